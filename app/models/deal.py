"""Deals in a partner's pipeline, their status history and messages."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.client import Client
from app.models.lead_request import LeadRequest
from app.models.partner import Partner
from app.models.tenant import TenantOwned
from app.models.types import UTCDateTime, money

CATALOGUE_SOURCES = ("matched", "alternative")  # deals the catalogue sent: they count against monthly capacity
CATALOGUE_DEAL = text(f"source IN ({', '.join(repr(source) for source in CATALOGUE_SOURCES)})")


class DealLabel(db.Model):
    """A free label a partner puts on a deal, e.g. "vip"."""

    __tablename__ = "deal_labels"
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = mapped_column(String(40), primary_key=True)
    __table_args__ = (Index("ix_deal_labels_label_deal", "label", "deal_id"),)


class Deal(TenantOwned, db.Model):
    """One partner's deal for one client request."""

    __tablename__ = "deals"
    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("lead_requests.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="new")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    budget_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    lost_reason: Mapped[str | None] = mapped_column(String(200))
    ever_won: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str] = mapped_column(String(32), default="general")
    selection_reason: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    spam_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_auto_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    won_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    respond_by: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped[Partner] = relationship()
    client: Mapped[Client] = relationship()
    request: Mapped[LeadRequest | None] = relationship()
    label_rows: Mapped[list[DealLabel]] = relationship(cascade="all, delete-orphan", order_by="DealLabel.label")

    __table_args__ = (
        Index("ix_deals_partner_status", "partner_id", "status", "id"),
        Index("ix_deals_partner_created", "partner_id", "created_at"),
        Index("ix_deals_partner_catalogue_created", "partner_id", "created_at",  # the 30-day capacity count
              postgresql_where=CATALOGUE_DEAL, sqlite_where=CATALOGUE_DEAL),
        Index("ix_deals_partner_clock", "partner_id", "clock_started_at"),
        Index("ix_deals_partner_respond_by", "partner_id", "respond_by"),
        Index("ix_deals_request", "request_id"),
        Index("ix_deals_client_partner", "client_id", "partner_id"),
    )

    at_risk = False  # set when listed: less than a quarter of the response target left

    @property
    def labels(self) -> list[str]:
        """Return the deal's labels."""
        return [row.label for row in self.label_rows]

    @property
    def amount_money(self) -> dict | None:
        """Return the deal amount as contract money."""
        return money(self.amount, self.currency)

    @property
    def budget(self) -> dict | None:
        """Return the client's budget as contract money."""
        return money(self.budget_amount, self.budget_currency)


class DealStatusChange(db.Model):
    """One move of a deal between statuses."""

    __tablename__ = "deal_status_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Message(db.Model):
    """A message on a deal, with its origin: partner, client, automatic or system."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_messages_deal_created", "deal_id", "created_at"),)
