"""Write notifications to the outbox in the caller's transaction, once per logical message."""
import json
import uuid
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import OutboxMessage, Partner
from app.models.outbox import PENDING
from notifications.rendering import render_email


def add_once(row: OutboxMessage) -> bool:
    """Insert a row unless its dedupe key exists, in one statement; tell whether it was added."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    values = {name: getattr(row, name) for name in (
        "channel", "dedupe_key", "payload", "partner_id", "next_attempt_at", "created_at")}
    stmt = insert(OutboxMessage.__table__).values(status=PENDING, attempts=0, **values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OutboxMessage.__table__.c.id)
    return db.session.execute(stmt).first() is not None


def enqueue_email(
    *, key: str, to: str, template: str, language: str | None, context: dict, now: datetime,
    partner_id: int | None = None, extra: dict | None = None,
) -> bool:
    """Render an email and queue it under a unique key; `extra` rides along in the payload."""
    rendered = render_email(template, language, context)
    payload = {"to": to, "subject": rendered.subject, "text": rendered.text, "html": rendered.html,
               "template": template} | (extra or {})
    return add_once(OutboxMessage(
        channel="email", dedupe_key=key, payload=payload, partner_id=partner_id,
        next_attempt_at=now, created_at=now,
    ))


def enqueue_webhook(partner: Partner, event_type: str, data: dict, now: datetime, key: str) -> bool:
    """Queue a signed webhook event for a partner with an enabled webhook URL."""
    if not partner.webhook_url or partner.webhook_disabled_at is not None:
        return False
    event_id = f"msg_{uuid.uuid4().hex}"
    body = {"type": event_type, "timestamp": now.isoformat(), "data": data}
    payload = {"event_id": event_id, "body": json.dumps(body)}
    return add_once(OutboxMessage(
        channel="webhook", dedupe_key=key, payload=payload, partner_id=partner.id,
        next_attempt_at=now, created_at=now,
    ))

