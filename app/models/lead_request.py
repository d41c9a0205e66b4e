"""Client requests: one per form submission, fanned out into deals."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.client import Client
from app.models.types import UTCDateTime, money


class LeadRequest(db.Model):
    """A client's request, sent directly to one partner or matched to up to three."""

    __tablename__ = "lead_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    direct_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    service_slug: Mapped[str | None] = mapped_column(String(64))
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    suggestions: Mapped[list] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(32), default="general")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    budget_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    follow_up_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    follow_up_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_outcome: Mapped[str | None] = mapped_column(String(16))
    alternatives: Mapped[list] = mapped_column(JSON, default=list)
    chosen_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    first_chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship()

    __table_args__ = (
        Index("ix_lead_requests_client_created", "client_id", "created_at"),
        Index("ix_lead_requests_follow_up_pending", "follow_up_due_at",
              postgresql_where=text("follow_up_done_at IS NULL"), sqlite_where=text("follow_up_done_at IS NULL")),
    )

    @property
    def budget(self) -> dict | None:
        """Return the budget as contract money, or None."""
        return money(self.budget_amount, self.budget_currency)
