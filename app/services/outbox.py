"""Write notifications to the outbox in the caller's transaction, once per logical message."""
import json
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Insert

from app.extensions import db
from app.models import OutboxMessage, Partner
from app.models.outbox import PENDING
from app.services import upserts


def add_once(row: dict) -> bool:
    """Insert an outbox row's values (see outbox_row) unless its dedupe key exists; tell whether it was added."""
    return db.session.connection().execute(insert_new(), row).first() is not None


def add_all_once(rows: list[dict]) -> None:
    """Insert rows (as add_once takes them) in one multi-row statement, skipping those whose dedupe key exists."""
    if rows:
        db.session.connection().execute(insert_new(), rows)  # executemany with RETURNING: one multi-row VALUES


def outbox_row(channel: str, key: str, payload: dict, partner_id: int | None, now: datetime) -> dict:
    """Return the values of a pending outbox row, due at once."""
    return {"channel": channel, "dedupe_key": key, "payload": payload, "partner_id": partner_id,
            "next_attempt_at": now, "created_at": now}


@upserts.per_dialect
def insert_new(dialect: str) -> Insert:
    """Return the INSERT of a pending row that does nothing when the row's dedupe key exists, answering its id."""
    return (upserts.insert(OutboxMessage.__table__, dialect).values(status=PENDING, attempts=0)
            .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OutboxMessage.__table__.c.id))


def email_row(
    *, key: str, to: str, template: str, language: str | None, context: dict, now: datetime,
    partner_id: int | None = None, extra: dict | None = None,
) -> dict:
    """Return the values of an email's outbox row: its template and context, rendered when sent; `extra` rides along."""
    payload = {"to": to, "template": template, "language": language, "context": context} | (extra or {})
    return outbox_row("email", key, payload, partner_id, now)


def enqueue_email(**fields) -> bool:
    """Queue an email under a unique key (the fields of email_row)."""
    return add_once(email_row(**fields))


def enqueue_webhook(partner: Partner, event_type: str, data: Callable[[], dict], now: datetime, key: str) -> bool:
    """Queue a signed webhook event for a partner with an enabled webhook URL; `data` is built only then."""
    if not partner.webhook_url or partner.webhook_disabled_at is not None:
        return False
    event_id = f"msg_{uuid.uuid4().hex}"
    body = {"type": event_type, "timestamp": now.isoformat(), "data": data()}
    payload = {"event_id": event_id, "body": json.dumps(body)}
    return add_once(outbox_row("webhook", key, payload, partner.id, now))
