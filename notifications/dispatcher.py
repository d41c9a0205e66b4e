"""Drain the outbox: send each claimed item and record what happened to it."""

import logging
import random
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import jinja2

from notifications.message import EmailMessage, WebhookMessage
from notifications.rendering import rendered_payload
from notifications.transports import DeliveryError, Transport, batch_sender

logger = logging.getLogger("notifications")

MAX_ATTEMPTS = 8
BASE_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 6 * 3600


@dataclass(frozen=True)
class OutboxItem:
    """One pending notification as the store hands it out."""

    id: int
    channel: str
    payload: Mapping[str, Any]
    idempotency_key: str
    attempts: int


class OutboxStore(Protocol):
    """Persist the outbox; each mark is committed before it returns, except mark_sent (see there)."""

    def claim(self, worker_id: str, now: datetime, limit: int) -> list[OutboxItem]: ...

    def mark_sending(self, item_id: int, now: datetime) -> bool:
        """Mark the item as being sent; False when this worker no longer holds its claim."""
        ...

    def mark_sent(self, item_id: int, now: datetime) -> None:
        """Record a delivery, at the latest with the next mark or flush; until then the item stays `sending`."""
        ...

    def flush(self) -> None:
        """Commit what mark_sent held back."""
        ...

    def mark_retry(self, item_id: int, now: datetime, error: str, next_attempt_at: datetime) -> None: ...

    def mark_dead(self, item_id: int, now: datetime, error: str) -> None: ...

    def mark_unknown(self, item_id: int, now: datetime, error: str) -> None: ...

    def disable_webhook(self, item_id: int, now: datetime, error: str) -> None: ...


class Outcome(StrEnum):
    """What became of one item; each value names a DispatchReport counter."""

    SENT = "sent"
    RETRIED = "retried"
    DEAD = "dead"
    UNKNOWN = "unknown"
    DISABLED = "disabled"
    LOST = "lost"


@dataclass
class DispatchReport:
    """Count what one dispatch run did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    unknown: int = 0
    disabled: int = 0
    lost: int = 0

    def record(self, outcome: Outcome) -> None:
        """Count one item's outcome."""
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


def retry_delay(attempt: int, rng: random.Random, retry_after: float | None = None) -> timedelta:
    """Return the wait before the next try: full-jitter exponential backoff, at least Retry-After."""
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** max(attempt - 1, 0))
    seconds = rng.uniform(0, ceiling)
    return timedelta(seconds=max(seconds, retry_after or 0.0))


def message_for(item: OutboxItem, sender: str, now: datetime) -> EmailMessage | WebhookMessage:
    """Build the message an outbox item describes."""
    payload = item.payload
    if item.channel not in ("email", "webhook"):
        raise ValueError(f"unknown outbox channel {item.channel!r}")
    if item.channel == "webhook":
        return WebhookMessage(
            url=payload["url"],
            secret=payload["secret"],
            event_id=payload["event_id"],
            timestamp=int(now.timestamp()),
            body=payload["body"].encode(),
        )
    email = rendered_payload(payload)
    return EmailMessage(
        to=payload["to"],
        sender=sender,
        subject=email.subject,
        text=email.text,
        html=email.html,
        idempotency_key=item.idempotency_key,
        date=now,
    )


def dispatch(
    store: OutboxStore,
    transports: Mapping[str, Transport[Any]],
    now: datetime,
    worker_id: str,
    rng: random.Random,
    sender: str,
    limit: int = 100,
) -> DispatchReport:
    """Send a batch of claimed items, a connection per transport; one failing item never stops the others."""
    report = DispatchReport()
    items = store.claim(worker_id, now, limit)
    with ExitStack() as stack:
        senders = {name: stack.enter_context(batch_sender(transport)) for name, transport in transports.items()}
        stack.callback(store.flush)  # however the batch ends, before the connections close
        for item in items:
            report.record(_deliver(store, senders, item, now, rng, sender))
    return report


def _deliver(
    store: OutboxStore,
    transports: Mapping[str, Transport[Any]],
    item: OutboxItem,
    now: datetime,
    rng: random.Random,
    sender: str,
) -> Outcome:
    """Send one item and record the result."""
    if not store.mark_sending(item.id, now):
        return Outcome.LOST
    transport = transports.get(item.channel)
    resend_is_safe = transport is not None and transport.resend_is_safe
    try:
        message = message_for(item, sender, now)
    except (KeyError, TypeError, ValueError, jinja2.TemplateError) as error:
        store.mark_dead(item.id, now, f"malformed outbox payload: {type(error).__name__}: {error}")
        return Outcome.DEAD
    try:
        if transport is None:
            raise DeliveryError(f"no transport for channel {item.channel!r}", retryable=True)
        transport.send(message)
    except DeliveryError as error:
        return _settle(store, item, now, rng, error, resend_is_safe)
    except Exception as error:  # a poison item must not stop the batch
        logger.exception("outbox item %s failed unexpectedly", item.id)
        unexpected = DeliveryError(f"{type(error).__name__}: {error}", retryable=True)
        return _settle(store, item, now, rng, unexpected, resend_is_safe)
    store.mark_sent(item.id, now)
    return Outcome.SENT


def _settle(
    store: OutboxStore,
    item: OutboxItem,
    now: datetime,
    rng: random.Random,
    error: DeliveryError,
    resend_is_safe: bool,
) -> Outcome:
    """Record a failed attempt: disable, hold for an operator, retry later, or give up."""
    reason = str(error)
    logger.warning(
        "outbox item %s (%s) attempt %s failed: %s", item.id, item.channel, item.attempts + 1, reason
    )
    if error.disable_endpoint:
        store.disable_webhook(item.id, now, reason)
        return Outcome.DISABLED
    if error.maybe_delivered and not resend_is_safe:
        store.mark_unknown(item.id, now, reason)
        return Outcome.UNKNOWN
    if error.retryable and item.attempts + 1 < MAX_ATTEMPTS:
        delay = retry_delay(item.attempts + 1, rng, error.retry_after)
        store.mark_retry(item.id, now, reason, now + delay)
        return Outcome.RETRIED
    store.mark_dead(item.id, now, reason)
    return Outcome.DEAD
