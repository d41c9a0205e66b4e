"""Partners (agencies and freelancers) and their catalogue attributes."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.service import Service
from app.models.types import UTCDateTime

partner_services = Table(
    "partner_services",
    db.metadata,
    Column("partner_id", ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_partner_services_service_partner", "service_id", "partner_id"),
)


class PartnerLanguage(db.Model):
    """A secondary language a partner speaks."""

    __tablename__ = "partner_languages"
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    __table_args__ = (Index("ix_partner_languages_language_partner", "language", "partner_id"),)


class Partner(db.Model):
    """An agency or freelancer listed in the catalogue."""

    __tablename__ = "partners"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2))
    primary_language: Mapped[str] = mapped_column(String(2))
    email: Mapped[str] = mapped_column(String(320))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
    webhook_disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepting_requests: Mapped[bool] = mapped_column(Boolean, default=True)
    monthly_capacity: Mapped[int | None] = mapped_column(Integer)
    notify_new_deals: Mapped[bool] = mapped_column(Boolean, default=True)
    completed_projects: Mapped[int] = mapped_column(Integer, default=0)
    reviews_count: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    response_rate: Mapped[float | None] = mapped_column(Float)
    response_time_hours: Mapped[float | None] = mapped_column(Float)
    ranking_score: Mapped[float] = mapped_column(Float, default=0.0)
    ranking_band: Mapped[int] = mapped_column(Integer, default=0)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responsiveness_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    auto_reply: Mapped[dict | None] = mapped_column(JSON)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    ui_language: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What profiles show of `services` and `secondary_language_rows`, read with the row (no joins): sorted copies
    # that catalogue.apply_fields keeps; the catalogue filters still use the two tables and their indexes.
    service_slugs: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    secondary_languages: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))

    services: Mapped[list[Service]] = relationship(secondary=partner_services, order_by=Service.slug)
    secondary_language_rows: Mapped[list[PartnerLanguage]] = relationship(
        cascade="all, delete-orphan", order_by=PartnerLanguage.language
    )

    language_match = None  # set by a language search: "primary" / "secondary"

    __table_args__ = (
        Index("ix_partners_rank", "ranking_score", "id"),
        Index("ix_partners_country_rank", "country", "ranking_score"),
        Index("ix_partners_primary_language_rank", "primary_language", "ranking_score"),
        Index("ix_partners_email", "email"),
        Index("ix_partners_selection", ranking_band.desc(), last_assigned_at.asc().nulls_first(), id),
        Index("ix_partners_language_selection", primary_language, ranking_band.desc(),
              last_assigned_at.asc().nulls_first(), id),
        Index("ix_partners_country_selection", country, ranking_band.desc(), last_assigned_at.asc().nulls_first(), id),
        Index("ix_partners_country_language_selection", country, primary_language, ranking_band.desc(),
              last_assigned_at.asc().nulls_first(), id),
    )

    @property
    def rating(self) -> float | None:
        """Return the plain average rating, or None without reviews."""
        return round(self.rating_sum / self.reviews_count, 2) if self.reviews_count else None


class ApiToken(db.Model):
    """A partner's bearer token, stored as a SHA-256 hash only."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
