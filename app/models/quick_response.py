"""Quick responses: a partner's saved message templates with placeholders."""
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.tenant import TenantOwned
from app.models.types import UTCDateTime


class QuickResponse(TenantOwned, db.Model):
    """A named message template, e.g. "Thanks, I'll reply by {weekday}"."""

    __tablename__ = "quick_responses"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_quick_responses_partner", "partner_id", "name"),)
