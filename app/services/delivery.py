"""Deliver the outbox: a SQL store for the dispatcher, with claims that never double-send."""
import random
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, or_, select, update

from app.extensions import db
from app.models import OutboxMessage, Partner
from app.models.outbox import CLAIMED, DEAD, DISCARDED, PENDING, SENDING, SENT, UNKNOWN
from app.services import payment_reminders
from notifications.dispatcher import DispatchReport, OutboxItem, dispatch
from notifications.transports import Transport, transport_from_url
from notifications.webhooks import WebhookTransport

LEASE_EXPIRED_WHILE_SENDING = (
    "The worker stopped while sending; it may have been delivered. Check, then retry or discard.")
OUTBOX = OutboxMessage.__table__.c
HELD_ROW = update(OutboxMessage.__table__).where(  # a row this worker still holds, by :item_id and :token
    OUTBOX.id == bindparam("item_id"), OUTBOX.claimed_by == bindparam("token"))
AT, ERROR = bindparam("at", type_=OUTBOX.sent_at.type), bindparam("error", type_=OUTBOX.last_error.type)
MARKS = {  # each mark of a held row, built once; its values are bound at execution
    SENDING: HELD_ROW.values(status=SENDING, lease_expires_at=bindparam("lease_expires_at", type_=AT.type)),
    SENT: HELD_ROW.values(status=SENT, sent_at=AT, attempts=OUTBOX.attempts + 1, claimed_by=None),
    PENDING: HELD_ROW.values(status=PENDING, next_attempt_at=AT, last_error=ERROR, attempts=OUTBOX.attempts + 1,
                             claimed_by=None, lease_expires_at=None),
    DEAD: HELD_ROW.values(status=DEAD, last_error=ERROR, attempts=OUTBOX.attempts + 1, claimed_by=None),
    UNKNOWN: HELD_ROW.values(status=UNKNOWN, last_error=ERROR, attempts=OUTBOX.attempts + 1, claimed_by=None),
}


class SqlOutboxStore:
    """The outbox table as the dispatcher's store: each mark commits, deliveries with the next mark (or flush)."""

    def __init__(self, lease: timedelta, resend_safe: Mapping[str, bool]):
        self.lease = lease
        self.resend_safe = resend_safe
        self.tokens: dict[int, str] = {}
        self.delivered: list[tuple[int, datetime]] = []  # sent, to be recorded in the next transaction
        self.last_claimed = 0

    def claim(self, worker_id: str, now: datetime, limit: int) -> list[OutboxItem]:
        """Claim due rows (and rows whose lease expired) for this worker, atomically."""
        self.hold_uncertain(now)
        token = f"{worker_id}:{uuid.uuid4().hex[:12]}"
        due = self.due(now)
        ids = select(OutboxMessage.id).where(due).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        ids = ids.limit(limit)
        if db.engine.dialect.name == "postgresql":
            ids = ids.with_for_update(skip_locked=True)
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids.scalar_subquery()), due)
            .values(status=CLAIMED, claimed_by=token, lease_expires_at=now + self.lease)
            .execution_options(synchronize_session=False))
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.claimed_by == token)
                                  .order_by(OutboxMessage.id)).all()
        self.last_claimed = len(rows)
        items = [self.item(row) for row in rows if self.still_wanted(row, now) and self.endpoint_enabled(row)]
        self.tokens.update({item.id: token for item in items})
        db.session.commit()
        return items

    def endpoint_enabled(self, row: OutboxMessage) -> bool:
        """Drop a webhook queued before its partner's endpoint was disabled."""
        if row.channel != "webhook":
            return True
        partner = db.session.get(Partner, row.partner_id) if row.partner_id else None
        if partner is not None and partner.webhook_url and partner.webhook_disabled_at is None:
            return True
        row.status, row.claimed_by, row.last_error = DEAD, None, "The partner's webhook endpoint is disabled."
        return False

    def still_wanted(self, row: OutboxMessage, now: datetime) -> bool:
        """Drop a payment reminder whose offer was paid (or superseded) since it was queued."""
        offer_id = row.payload.get("offer_id")
        if offer_id is None or payment_reminders.still_wanted(offer_id, now):
            return True
        row.status, row.claimed_by, row.last_error = DISCARDED, None, "The offer was paid before the reminder left."
        return False

    def due(self, now: datetime):
        """Return the condition of rows ready to be claimed."""
        expired = and_(OutboxMessage.lease_expires_at <= now, or_(
            OutboxMessage.status == CLAIMED,
            and_(OutboxMessage.status == SENDING, OutboxMessage.channel.in_(self.safe_channels()))))
        return or_(and_(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now), expired)

    def safe_channels(self) -> list[str]:
        """Return the channels whose transport may re-send without harm."""
        return [channel for channel, safe in self.resend_safe.items() if safe]

    def hold_uncertain(self, now: datetime) -> None:
        """Mark rows abandoned mid-send on an unsafe transport as `unknown` for an operator."""
        db.session.execute(
            update(OutboxMessage).where(
                OutboxMessage.status == SENDING, OutboxMessage.lease_expires_at <= now,
                OutboxMessage.channel.not_in(self.safe_channels()))
            .values(status=UNKNOWN, last_error=LEASE_EXPIRED_WHILE_SENDING, claimed_by=None)
            .execution_options(synchronize_session=False))

    def item(self, row: OutboxMessage) -> OutboxItem:
        """Turn a row into the dispatcher's item (webhooks get the partner's current URL and secret)."""
        payload = dict(row.payload)
        if row.channel == "webhook":
            partner = db.session.get(Partner, row.partner_id) if row.partner_id else None
            payload |= {"url": partner.webhook_url if partner else "", "secret": partner.webhook_secret or ""
                        if partner else ""}
        return OutboxItem(id=row.id, channel=row.channel, payload=payload, idempotency_key=row.dedupe_key,
                          attempts=row.attempts)

    def set(self, item_id: int, status: str, **values) -> bool:
        """Mark one row this worker still holds (deliveries not yet recorded first) and commit; tell if it held it."""
        self.record_delivered()
        result = db.session.connection().execute(MARKS[status], {
            "item_id": item_id, "token": self.tokens.get(item_id), **values})
        db.session.commit()
        return result.rowcount == 1

    def record_delivered(self) -> None:
        """Write the sent marks held back since the last commit, in the current transaction."""
        if self.delivered:
            db.session.connection().execute(MARKS[SENT], [
                {"item_id": item_id, "token": self.tokens.pop(item_id, None), "at": at}
                for item_id, at in self.delivered])
            self.delivered.clear()

    def flush(self) -> None:
        """Commit the sent marks held back."""
        self.record_delivered()
        db.session.commit()

    def mark_sending(self, item_id: int, now: datetime) -> bool:
        """Note that the transport is about to be called, unless another worker took the row over."""
        return self.set(item_id, SENDING, lease_expires_at=now + self.lease)

    def mark_sent(self, item_id: int, now: datetime) -> None:
        """Record a delivery with the next mark or flush; a crash before then leaves the row as a crash mid-send."""
        self.delivered.append((item_id, now))

    def mark_retry(self, item_id: int, now: datetime, error: str, next_attempt_at: datetime) -> None:
        """Put a failed row back for a later try."""
        self.set(item_id, PENDING, at=next_attempt_at, error=error)

    def mark_dead(self, item_id: int, now: datetime, error: str) -> None:
        """Give up on a row."""
        self.set(item_id, DEAD, error=error)

    def mark_unknown(self, item_id: int, now: datetime, error: str) -> None:
        """Hold a row whose delivery is uncertain for an operator."""
        self.set(item_id, UNKNOWN, error=error)

    def disable_webhook(self, item_id: int, now: datetime, error: str) -> None:
        """Disable the partner's webhook endpoint (it answered 410) and drop the row."""
        partner_id = db.session.scalar(select(OutboxMessage.partner_id).where(OutboxMessage.id == item_id))
        if partner_id is not None:
            db.session.execute(update(Partner).where(Partner.id == partner_id).values(webhook_disabled_at=now))
        self.mark_dead(item_id, now, error)


def transports() -> dict[str, Transport]:
    """Build the transports named by the configuration."""
    config = current_app.config
    return {"email": transport_from_url(config["MAIL_URL"], sender=config["MAIL_FROM"]),
            "webhook": WebhookTransport(allow_private=config["WEBHOOK_ALLOW_PRIVATE"])}


def deliver_pending(now: datetime, worker_id: str, rng: random.Random, batch: int = 100) -> DispatchReport:
    """Send every due outbox row, batch after batch, and return the totals."""
    channels = transports()
    store = SqlOutboxStore(timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"]),
                           {name: transport.resend_is_safe for name, transport in channels.items()})
    total = DispatchReport()
    while True:
        report = dispatch(store, channels, now, worker_id, rng, current_app.config["MAIL_FROM"], batch)
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        if store.last_claimed < batch:
            return total
