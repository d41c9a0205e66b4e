"""A partner's CRM pipelines (funnels)."""
from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.tenant import TenantOwned

CATALOGUE_PIPELINE_NAME = "Catalogue leads"


class Pipeline(TenantOwned, db.Model):
    """A named pipeline; the one with the lowest position receives catalogue deals."""

    __tablename__ = "pipelines"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_pipelines_partner_position", "partner_id", "position", "id"),)
