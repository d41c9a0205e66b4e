"""Operator actions on the outbox: see failed or uncertain notifications, retry or discard them."""
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.models.outbox import DEAD, DISCARDED, PENDING, SENT, UNKNOWN
from app.services.errors import Conflict, NotFound

NEEDS_AN_OPERATOR = (DEAD, UNKNOWN)


def listing(statuses: tuple[str, ...], limit: int) -> list[OutboxMessage]:
    """Return outbox rows with the given statuses, oldest first."""
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.status.in_(statuses))
                                   .order_by(OutboxMessage.created_at, OutboxMessage.id).limit(limit)))


def row(message_id: int) -> OutboxMessage:
    """Return one outbox row, or NotFound."""
    found = db.session.get(OutboxMessage, message_id)
    if found is None:
        raise NotFound(f"Outbox message {message_id} does not exist.")
    return found


def retry(message_id: int, now: datetime) -> OutboxMessage:
    """Send a dead, unknown or pending row again at the next delivery (same idempotency key)."""
    message = row(message_id)
    if message.status in (SENT, DISCARDED):
        raise Conflict(f"Message {message_id} is {message.status}; nothing to retry.")
    message.status, message.next_attempt_at, message.claimed_by = PENDING, now, None
    message.lease_expires_at = None
    db.session.flush()
    return message


def discard(message_id: int, now: datetime) -> OutboxMessage:
    """Give up on a row that was not sent."""
    message = row(message_id)
    if message.status == SENT:
        raise Conflict(f"Message {message_id} was sent already.")
    message.status, message.claimed_by = DISCARDED, None
    message.last_error = f"discarded by an operator at {now.isoformat()}"
    db.session.flush()
    return message
