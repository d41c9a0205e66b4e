"""Operations: health, readiness, metrics, request ids, redacted logs and the outbox commands."""
import json
import logging

from sqlalchemy import select, update

from app.extensions import db
from app.models import OutboxMessage
from app.observability import JsonFormatter, redact
from tests.builders import make_partner, request_body


def test_healthz_and_readyz(client, clock):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    checks = ready.get_json()["checks"]
    assert checks["migrations"]["ok"] and checks["migrations"]["current"] == checks["migrations"]["head"]
    assert checks["outbox"] == {"ok": True, "oldest_pending_seconds": None}


def test_readyz_is_503_when_the_outbox_is_stuck(client, clock):
    make_partner(clock.now)
    client.post("/api/v1/requests", json=request_body())
    clock.advance(minutes=16)
    stuck = client.get("/readyz")
    assert stuck.status_code == 503
    assert stuck.get_json()["checks"]["outbox"]["oldest_pending_seconds"] >= 960


def test_metrics_need_the_token_or_a_local_caller(ctx, client, clock, monkeypatch):
    make_partner(clock.now)
    client.post("/api/v1/requests", json=request_body())
    local = client.get("/metrics")
    assert local.status_code == 200
    text = local.get_data(as_text=True)
    for name in ("http_requests_total", "http_request_duration_seconds", "lead_requests_total",
                 'outbox_messages{status="pending"}'):
        assert name in text
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 403
    monkeypatch.setitem(ctx.config, "METRICS_TOKEN", "scrape-me")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200


def test_request_id_is_kept_or_made_and_returned(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(made.headers["X-Request-ID"]) == 32


def test_logs_are_json_without_contact_details_or_tokens():
    text = ("sent to anna@example.org, phone +49 30 1234567, link http://x/client/eyJhbGciOi.abc/xyz, "
            "Authorization: Bearer lp_secret123 and whsec_abcdef")
    cleaned = redact(text)
    for secret in ("anna@example.org", "1234567", "eyJhbGciOi", "lp_secret123", "abcdef"):
        assert secret not in cleaned
    assert redact("sweep at 2026-11-22T16:24:51+00:00") == "sweep at 2026-11-22T16:24:51+00:00"
    record = logging.LogRecord("access", logging.INFO, __file__, 1, "GET %s", ("/client/tok123",), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "GET /client/<token>" and entry["level"] == "INFO"


def test_outbox_commands_list_retry_and_discard(ctx, client, clock):
    make_partner(clock.now)
    client.post("/api/v1/requests", json=request_body())
    ids = list(db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[0]).values(status="unknown",
                                                                                     last_error="SMTP dropped"))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[1]).values(status="dead"))
    db.session.commit()
    runner = ctx.test_cli_runner()
    listed = [json.loads(line) for line in runner.invoke(args=["outbox", "list"]).output.splitlines()]
    assert [(row["id"], row["status"]) for row in listed] == [(ids[0], "unknown"), (ids[1], "dead")]
    assert runner.invoke(args=["outbox", "retry", str(ids[0])]).output.strip() == f"{ids[0]} pending"
    assert runner.invoke(args=["outbox", "discard", str(ids[1])]).output.strip() == f"{ids[1]} discarded"
    assert runner.invoke(args=["outbox", "retry", str(ids[1])]).exit_code != 0
    assert runner.invoke(args=["outbox", "retry", "99999"]).exit_code != 0
