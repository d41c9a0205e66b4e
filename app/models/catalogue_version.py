"""The catalogue's version: one token, replaced by every change to what searches filter on."""
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class CatalogueVersion(db.Model):
    """The one row whose token names the catalogue as searches see it; counts cached under an old token are void."""

    __tablename__ = "catalogue_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
