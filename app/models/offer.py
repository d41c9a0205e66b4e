"""Offers a partner makes a client, their payment, and the payment-reminder decisions about them."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.tenant import TenantOwned
from app.models.types import UTCDateTime, money


class Offer(TenantOwned, db.Model):
    """An amount to pay for a deal; `source` is direct or platform (payment state arrives late)."""

    __tablename__ = "offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_via: Mapped[str | None] = mapped_column(String(16))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    reminder_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_offers_partner_client", "partner_id", "client_id", "created_at"),
        Index("ix_offers_partner_paid", "partner_id", "client_id",  # My Contacts reads paid offers from the index only
              postgresql_include=["currency", "amount", "paid_at", "deal_id"],
              postgresql_where=text("paid_at IS NOT NULL"), sqlite_where=text("paid_at IS NOT NULL")),
        Index("ix_offers_deal", "deal_id"),
        Index("ix_offers_reminder_due", "reminder_due_at", postgresql_where=text("reminder_due_at IS NOT NULL"),
              sqlite_where=text("reminder_due_at IS NOT NULL")),
    )

    @property
    def price(self) -> dict:
        """Return the amount as contract money."""
        return money(self.amount, self.currency)


class ReminderDecision(db.Model):
    """One decision of the payment-reminder sweep about one offer: sent, waiting or skipped, and why."""

    __tablename__ = "reminder_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    segment: Mapped[str | None] = mapped_column(String(32))
    wait_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
