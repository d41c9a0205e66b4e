"""Delivering the outbox through the configured transport, via `flask jobs run-due`."""
import email
import json
import socket

from sqlalchemy import select

from app.clock import rng
from app.extensions import db
from app.models import OutboxMessage
from app.services.intake import submit_request
from tests.builders import make_partner


def queue_one_request(clock) -> None:
    """Submit a find-a-partner request through the service and commit it."""
    make_partner(clock.now)
    data = {"client": {"name": "Anna", "email": "anna@example.org", "language": "en"},
            "project": {"title": "Newsletter", "description": ""},
            "filters": {"service": "email-marketing"}, "category": "general"}
    submit_request(data, clock.now, rng())
    db.session.commit()


def run_due(ctx, *args) -> dict:
    """Run `flask jobs run-due` and return its JSON summary."""
    result = ctx.test_cli_runner().invoke(args=["jobs", "run-due", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def statuses() -> list[str]:
    """Return the outbox statuses in id order."""
    return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_run_due_delivers_pending_emails_to_files(ctx, clock, tmp_path, monkeypatch):
    monkeypatch.setitem(ctx.config, "MAIL_URL", f"file://{tmp_path}")
    queue_one_request(clock)
    summary = run_due(ctx, "--now", clock.now.isoformat())
    assert summary["delivery"]["sent"] == 2
    db.session.commit()
    assert statuses() == ["sent", "sent"]
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    messages = [email.message_from_bytes(path.read_bytes()) for path in files]
    recipients = sorted(m["To"] for m in messages)
    assert recipients[0] == "anna@example.org" and recipients[1].startswith("partner")
    assert run_due(ctx, "--now", clock.now.isoformat())["delivery"]["sent"] == 0


def closed_port() -> int:
    """Return a local port with nothing listening."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_failed_send_stays_pending_with_its_error_and_is_sent_later(ctx, clock, tmp_path, monkeypatch):
    monkeypatch.setitem(ctx.config, "MAIL_URL", f"smtp://127.0.0.1:{closed_port()}")
    queue_one_request(clock)
    summary = run_due(ctx, "--now", clock.now.isoformat())
    assert summary["delivery"]["retried"] == 2
    db.session.commit()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert all(row.status == "pending" and row.attempts == 1 and row.last_error for row in rows)
    monkeypatch.setitem(ctx.config, "MAIL_URL", f"file://{tmp_path}")
    later = clock.advance(hours=7)
    assert run_due(ctx, "--now", later.isoformat())["delivery"]["sent"] == 2
    db.session.commit()
    assert statuses() == ["sent", "sent"]
