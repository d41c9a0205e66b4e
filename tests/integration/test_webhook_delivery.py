"""Partner webhooks end to end: queued with the deal, signed per Standard Webhooks, retried, disabled on 410.

The partner is created through the admin API (which shows the signing secret once), a client request
queues the `deal.created` event, and `deliver_pending` posts it to an endpoint mocked by `responses`.
Signatures are checked with the independent `standardwebhooks` package. Time moves only through the
`now` handed to the delivery.
"""
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
import responses
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.extensions import db
from app.models import Deal, OutboxMessage, Partner
from app.services.delivery import deliver_pending
from notifications.dispatcher import BASE_DELAY_SECONDS, MAX_ATTEMPTS
from notifications.webhooks import new_secret
from tests.builders import make_service, partner_fields, request_body

HOOK = "https://hooks.example.test/lead"


# --- helpers --------------------------------------------------------------------------------------


def create_partner(client, admin_headers) -> tuple[int, str]:
    """Create a partner with a webhook through the admin API; return its id and signing secret."""
    make_service()
    answer = client.post("/api/v1/partners", json=partner_fields(webhook_url=HOOK), headers=admin_headers)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    return body["partner"]["id"], body["webhook_secret"]


def submit(client, email: str = "anna@example.org") -> int:
    """Send a find-a-partner request as a client; return the request id."""
    body = request_body()
    body["client"] = body["client"] | {"email": email}
    answer = client.post("/api/v1/requests", json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def webhook_rows() -> list[OutboxMessage]:
    """Return the queued webhook rows in id order, freshly read."""
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")
                                   .order_by(OutboxMessage.id)))


def the_webhook_row() -> OutboxMessage:
    """Return the single queued webhook row."""
    [row] = webhook_rows()
    return row


def deliver(now: datetime, seed: int = 0):
    """Run one delivery pass as of now and return its report."""
    return deliver_pending(now, "worker", random.Random(seed))


def webhook_ids(hooks: responses.RequestsMock) -> list[str]:
    """Return the webhook-id header of every call the endpoint received."""
    return [call.request.headers["webhook-id"] for call in hooks.calls]


def queue_one_event(client, admin_headers) -> tuple[int, str]:
    """Create a partner with a webhook and queue one deal.created event for it; return id and secret."""
    partner_id, secret = create_partner(client, admin_headers)
    submit(client)
    assert the_webhook_row().status == "pending"
    return partner_id, secret


@pytest.fixture
def hooks():
    """Mock the partner's webhook endpoint; each test registers the answers it wants, in order."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


# --- signing --------------------------------------------------------------------------------------


def test_deal_created_webhook_verifies_with_the_standard_webhooks_library(client, clock, admin_headers, hooks):
    clock.now = datetime.now(UTC)  # the receiver checks the timestamp against its own clock
    partner_id, secret = create_partner(client, admin_headers)
    request_id = submit(client)
    hooks.add(responses.POST, HOOK, status=200)

    assert deliver(clock.now).sent >= 1

    [call] = hooks.calls
    body, headers = call.request.body, dict(call.request.headers)
    event = Webhook(secret).verify(body, headers)
    deal = db.session.scalars(select(Deal).where(Deal.request_id == request_id)).one()
    assert event["type"] == "deal.created"
    assert (event["data"]["deal_id"], event["data"]["request_id"]) == (deal.id, request_id)
    assert deal.partner_id == partner_id
    row = the_webhook_row()
    assert headers["webhook-id"] == row.payload["event_id"] and headers["content-type"] == "application/json"
    assert row.status == "sent" and row.attempts == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"deal.created", b"deal.deleted"), headers)


# --- which answers count --------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "outcome"), [
    (200, "sent"), (202, "sent"), (204, "sent"),
    (302, "dead"), (400, "dead"), (404, "dead"),
    (429, "pending"), (500, "pending"), (503, "pending"),
])
def test_only_a_2xx_answer_counts_as_delivered(client, clock, admin_headers, hooks, status, outcome):
    queue_one_event(client, admin_headers)
    headers = {"Location": "https://elsewhere.example.test/"} if status == 302 else {}
    hooks.add(responses.POST, HOOK, status=status, headers=headers)

    deliver(clock.now)

    row = the_webhook_row()
    assert (row.status, row.attempts) == (outcome, 1)
    assert len(hooks.calls) == 1  # a redirect is not followed
    if outcome != "sent":
        assert row.last_error == f"HTTP {status} from hooks.example.test"


def test_a_500_is_retried_later_with_the_same_webhook_id_and_body(client, clock, admin_headers, hooks):
    queue_one_event(client, admin_headers)
    hooks.add(responses.POST, HOOK, status=500)
    hooks.add(responses.POST, HOOK, status=200)

    assert deliver(clock.now).retried == 1
    row = the_webhook_row()
    assert row.status == "pending" and row.last_error == "HTTP 500 from hooks.example.test"
    assert clock.now < row.next_attempt_at <= clock.now + timedelta(seconds=BASE_DELAY_SECONDS)
    assert deliver(row.next_attempt_at - timedelta(seconds=1)).retried == 0 and len(hooks.calls) == 1

    assert deliver(row.next_attempt_at).sent == 1

    first, second = hooks.calls
    assert webhook_ids(hooks) == [row.payload["event_id"]] * 2
    assert first.request.body == second.request.body
    assert (the_webhook_row().status, the_webhook_row().attempts) == ("sent", 2)


def test_a_late_retry_is_signed_with_the_time_of_its_attempt(client, clock, admin_headers, hooks):
    attempt_now = datetime.now(UTC)
    clock.now = attempt_now - timedelta(hours=1)  # the event was queued an hour ago...
    _, secret = queue_one_event(client, admin_headers)
    hooks.add(responses.POST, HOOK, status=503)  # ...and its first attempt failed
    hooks.add(responses.POST, HOOK, status=200)
    deliver(clock.now)
    assert the_webhook_row().next_attempt_at < attempt_now

    assert deliver(attempt_now).sent == 1  # the retry, now

    retry = hooks.calls[1].request
    assert Webhook(secret).verify(retry.body, dict(retry.headers))["type"] == "deal.created"
    assert retry.headers["webhook-timestamp"] == str(int(attempt_now.timestamp()))
    assert retry.headers["webhook-id"] == hooks.calls[0].request.headers["webhook-id"]


def test_429_retry_after_is_honoured(client, clock, admin_headers, hooks):
    queue_one_event(client, admin_headers)
    hooks.add(responses.POST, HOOK, status=429, headers={"Retry-After": "120"})
    hooks.add(responses.POST, HOOK, status=200)

    assert deliver(clock.now).retried == 1
    row = the_webhook_row()
    assert row.status == "pending" and row.next_attempt_at >= clock.now + timedelta(seconds=120)

    assert deliver(clock.now + timedelta(seconds=119)).retried == 0
    assert len(hooks.calls) == 1
    assert deliver(row.next_attempt_at).sent == 1
    assert webhook_ids(hooks) == [row.payload["event_id"]] * 2


# --- giving up ------------------------------------------------------------------------------------


def test_410_gone_disables_the_partners_webhook_and_stops_queueing_events(client, clock, admin_headers, hooks):
    partner_id, _ = queue_one_event(client, admin_headers)
    hooks.add(responses.POST, HOOK, status=410)

    assert deliver(clock.now).disabled == 1

    row = the_webhook_row()
    assert row.status == "dead" and row.last_error == "HTTP 410 from hooks.example.test"
    assert db.session.get(Partner, partner_id).webhook_disabled_at == clock.now

    later = clock.advance(hours=1)
    submit(client, email="boris@example.org")  # a new deal for the same partner...
    assert len(db.session.scalars(select(Deal).where(Deal.partner_id == partner_id)).all()) == 2
    assert webhook_rows() == [row]  # ...but no new webhook event
    deliver(later + timedelta(days=1))
    assert len(hooks.calls) == 1


def test_after_max_attempts_failures_the_row_is_dead(client, clock, admin_headers, hooks):
    queue_one_event(client, admin_headers)
    hooks.add(responses.POST, HOOK, status=500)

    now = clock.now
    for attempt in range(1, MAX_ATTEMPTS):
        assert deliver(now, seed=attempt).retried == 1
        row = the_webhook_row()
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.next_attempt_at - now <= timedelta(seconds=BASE_DELAY_SECONDS * 2 ** (attempt - 1))
        now = row.next_attempt_at
    assert deliver(now).dead == 1

    row = the_webhook_row()
    assert (row.status, row.attempts) == ("dead", MAX_ATTEMPTS)
    assert row.last_error == "HTTP 500 from hooks.example.test"
    assert webhook_ids(hooks) == [row.payload["event_id"]] * MAX_ATTEMPTS
    deliver(now + timedelta(days=7))
    assert len(hooks.calls) == MAX_ATTEMPTS


def test_event_body_is_the_json_that_was_queued(client, clock, admin_headers, hooks):
    queue_one_event(client, admin_headers)
    hooks.add(responses.POST, HOOK, status=204)
    deliver(clock.now)
    [call] = hooks.calls
    queued = the_webhook_row().payload
    assert call.request.body == queued["body"].encode()
    assert json.loads(call.request.body)["timestamp"] == clock.now.isoformat()
