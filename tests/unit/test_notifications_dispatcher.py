"""The outbox dispatcher, driven through an in-memory store and recording transports."""

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from notifications.dispatcher import (
    MAX_ATTEMPTS,
    DispatchReport,
    OutboxItem,
    dispatch,
    message_for,
    retry_delay,
)
from notifications.message import EmailMessage, WebhookMessage
from notifications.rendering import render_email
from notifications.transports import DeliveryError

NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
SENDER = "Partner Catalogue <no-reply@crm.example>"


@dataclass
class Row:
    """One outbox row as the fake store keeps it."""

    item: OutboxItem
    state: str = "pending"
    claimed_by: str | None = None
    next_attempt_at: datetime = NOW
    errors: list[str] = field(default_factory=list)


class InMemoryOutbox:
    """A working OutboxStore kept in a dict, recording every write; deliveries are written with the next one."""

    def __init__(self, *items: OutboxItem) -> None:
        self.rows = {item.id: Row(item) for item in items}
        self.calls: list[tuple[str, int]] = []
        self.delivered: list[int] = []

    def claim(self, worker_id: str, now: datetime, limit: int) -> list[OutboxItem]:
        due = [row for row in self.rows.values() if row.state == "pending" and row.next_attempt_at <= now]
        for row in due[:limit]:
            row.claimed_by = worker_id
        return [row.item for row in due[:limit]]

    def mark_sending(self, item_id: int, now: datetime) -> bool:
        if self.rows[item_id].claimed_by is None:
            return False
        self._move(item_id, "sending")
        return True

    def mark_sent(self, item_id: int, now: datetime) -> None:
        self.delivered.append(item_id)

    def flush(self) -> None:
        for item_id in self.delivered:
            row = self.rows[item_id]
            self.calls.append(("sent", item_id))
            row.state = "sent"
        self.delivered.clear()

    def mark_retry(self, item_id: int, now: datetime, error: str, next_attempt_at: datetime) -> None:
        row = self._move(item_id, "pending", error)
        row.item = replace(row.item, attempts=row.item.attempts + 1)
        row.next_attempt_at = next_attempt_at
        row.claimed_by = None

    def mark_dead(self, item_id: int, now: datetime, error: str) -> None:
        self._move(item_id, "dead", error)

    def mark_unknown(self, item_id: int, now: datetime, error: str) -> None:
        self._move(item_id, "unknown", error)

    def disable_webhook(self, item_id: int, now: datetime, error: str) -> None:
        self._move(item_id, "disabled", error)

    def _move(self, item_id: int, state: str, error: str | None = None) -> Row:
        self.flush()
        row = self.rows[item_id]
        self.calls.append((state, item_id))
        row.state = state
        if error is not None:
            row.errors.append(error)
        return row

    def state(self, item_id: int) -> str:
        """Return one row's state."""
        return self.rows[item_id].state


@dataclass
class RecordingTransport:
    """Record what is sent, failing on demand, and check the store said "sending" first."""

    store: InMemoryOutbox
    name: str = "recording"
    resend_is_safe: bool = False
    failures: dict[str, Exception] = field(default_factory=dict)
    sent: list[EmailMessage | WebhookMessage] = field(default_factory=list)

    def send(self, message: EmailMessage | WebhookMessage) -> None:
        key = message.idempotency_key if isinstance(message, EmailMessage) else message.event_id
        [row] = [row for row in self.store.rows.values() if row.item.idempotency_key == key]
        assert row.state == "sending"
        if key in self.failures:
            raise self.failures[key]
        self.sent.append(message)


def make_email_item(item_id: int = 1, attempts: int = 0, **payload: str) -> OutboxItem:
    """Return an email outbox item."""
    fields = {"to": "maria@example.org", "subject": "Hello", "text": "Hi Maria", "html": "<p>Hi Maria</p>"}
    return OutboxItem(item_id, "email", {**fields, **payload}, f"email-{item_id}", attempts)


def make_webhook_item(item_id: int = 2, attempts: int = 0) -> OutboxItem:
    """Return a webhook outbox item."""
    payload = {
        "url": "https://hooks.partner.example/crm",
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "event_id": f"webhook-{item_id}",
        "body": json.dumps({"type": "deal.created", "data": {"id": 7}}),
    }
    return OutboxItem(item_id, "webhook", payload, f"webhook-{item_id}", attempts)


def run(store: InMemoryOutbox, **transports: RecordingTransport) -> DispatchReport:
    """Dispatch once with a seeded random source."""
    return dispatch(store, transports, NOW, "worker-1", random.Random(7), SENDER)


def set_up(*items: OutboxItem, resend_is_safe: bool = False) -> tuple[InMemoryOutbox, RecordingTransport]:
    """Return a store holding the items and a transport bound to it."""
    store = InMemoryOutbox(*items)
    return store, RecordingTransport(store, resend_is_safe=resend_is_safe)


def test_success_marks_sending_then_sent() -> None:
    store, transport = set_up(make_email_item(1), make_email_item(3))
    assert run(store, email=transport) == DispatchReport(sent=2)
    assert store.calls == [("sending", 1), ("sent", 1), ("sending", 3), ("sent", 3)]
    assert [message.to for message in transport.sent] == ["maria@example.org"] * 2


def test_the_last_delivery_of_a_batch_is_written_even_when_the_batch_stops_on_an_error() -> None:
    store, transport = set_up(make_email_item(1), make_email_item(3))
    real_mark_sending = store.mark_sending

    def store_down_after_the_first(item_id: int, now: datetime) -> bool:
        if item_id == 3:
            raise ConnectionError("database gone")
        return real_mark_sending(item_id, now)

    store.mark_sending = store_down_after_the_first
    with pytest.raises(ConnectionError):
        run(store, email=transport)
    assert store.calls == [("sending", 1), ("sent", 1)] and store.state(3) == "pending"


def test_email_message_is_built_from_the_payload() -> None:
    message = message_for(make_email_item(5), SENDER, NOW)
    assert message == EmailMessage(
        to="maria@example.org",
        sender=SENDER,
        subject="Hello",
        text="Hi Maria",
        html="<p>Hi Maria</p>",
        idempotency_key="email-5",
        date=NOW,
    )


def test_an_email_queued_as_template_and_context_is_rendered_when_sent() -> None:
    queued = OutboxItem(6, "email", {"to": "anna@example.org", "template": "client_link", "language": "ru",
                                     "context": {"client_name": "Анна", "client_link": "http://leads.test/client/t"}},
                        "email-6", 0)
    store, transport = set_up(queued)
    assert run(store, email=transport) == DispatchReport(sent=1)
    [message] = transport.sent
    assert message == EmailMessage(to="anna@example.org", sender=SENDER, idempotency_key="email-6", date=NOW,
                                   **asdict(render_email("client_link", "ru", queued.payload["context"])))
    assert "Анна" in message.text and "http://leads.test/client/t" in message.html


def test_an_email_whose_template_cannot_render_its_context_dies_at_once() -> None:
    queued = OutboxItem(7, "email", {"to": "anna@example.org", "template": "client_link", "language": "en",
                                     "context": {"client_name": "Anna"}}, "email-7", 0)
    store, transport = set_up(queued, make_email_item(1))
    assert run(store, email=transport) == DispatchReport(sent=1, dead=1)
    assert store.rows[7].errors == ["malformed outbox payload: UndefinedError: 'client_link' is undefined"]


def test_webhook_message_carries_the_body_as_bytes() -> None:
    store, transport = set_up(make_webhook_item(2))
    assert run(store, webhook=transport) == DispatchReport(sent=1)
    [message] = transport.sent
    assert isinstance(message, WebhookMessage)
    assert message.body == b'{"type": "deal.created", "data": {"id": 7}}'
    assert (message.event_id, message.timestamp) == ("webhook-2", int(NOW.timestamp()))  # signed at each attempt


def test_unknown_channel_in_a_payload_is_refused() -> None:
    with pytest.raises(ValueError, match="sms"):
        message_for(replace(make_email_item(), channel="sms"), SENDER, NOW)


def test_retryable_failure_is_scheduled_with_backoff() -> None:
    store, transport = set_up(make_email_item(1, attempts=2))
    transport.failures["email-1"] = DeliveryError("SMTP 451: try later", retryable=True)
    assert run(store, email=transport) == DispatchReport(retried=1)
    row = store.rows[1]
    assert row.state == "pending" and row.errors == ["SMTP 451: try later"]
    assert NOW <= row.next_attempt_at <= NOW + timedelta(seconds=30 * 2**2)
    assert row.next_attempt_at == NOW + retry_delay(3, random.Random(7))


def test_retry_after_is_honoured() -> None:
    store, transport = set_up(make_email_item(1))
    transport.failures["email-1"] = DeliveryError("HTTP 429", retryable=True, retry_after=900)
    run(store, email=transport)
    assert store.rows[1].next_attempt_at >= NOW + timedelta(seconds=900)


def test_last_attempt_goes_dead() -> None:
    store, transport = set_up(make_email_item(1, attempts=MAX_ATTEMPTS - 1))
    transport.failures["email-1"] = DeliveryError("HTTP 503", retryable=True)
    assert run(store, email=transport) == DispatchReport(dead=1)
    assert store.state(1) == "dead"


def test_permanent_failure_goes_dead_at_once() -> None:
    store, transport = set_up(make_email_item(1))
    transport.failures["email-1"] = DeliveryError("SMTP 550: no such user", retryable=False)
    assert run(store, email=transport) == DispatchReport(dead=1)
    assert store.rows[1].errors == ["SMTP 550: no such user"]


def test_maybe_delivered_on_an_unsafe_transport_waits_for_an_operator() -> None:
    store, transport = set_up(make_email_item(1))
    transport.failures["email-1"] = DeliveryError("lost during DATA", retryable=True, maybe_delivered=True)
    assert run(store, email=transport) == DispatchReport(unknown=1)
    assert store.state(1) == "unknown"
    assert run(store, email=transport) == DispatchReport()


def test_maybe_delivered_on_an_idempotent_transport_is_retried() -> None:
    store, transport = set_up(make_email_item(1), resend_is_safe=True)
    transport.failures["email-1"] = DeliveryError("read timeout", retryable=True, maybe_delivered=True)
    assert run(store, email=transport) == DispatchReport(retried=1)


def test_gone_webhook_disables_the_endpoint() -> None:
    store, transport = set_up(make_webhook_item(2), resend_is_safe=True)
    transport.failures["webhook-2"] = DeliveryError("HTTP 410", retryable=False, disable_endpoint=True)
    assert run(store, webhook=transport) == DispatchReport(disabled=1)
    assert store.state(2) == "disabled"


def test_a_poison_item_does_not_stop_the_others() -> None:
    store, transport = set_up(make_email_item(1), make_email_item(2), make_email_item(3))
    transport.failures["email-2"] = RuntimeError("template bug")
    assert run(store, email=transport) == DispatchReport(sent=2, retried=1)
    assert [store.state(item_id) for item_id in (1, 2, 3)] == ["sent", "pending", "sent"]
    assert store.rows[2].errors == ["RuntimeError: template bug"]


def test_a_malformed_payload_dies_at_once_without_blocking_others() -> None:
    broken = OutboxItem(4, "email", {"to": "maria@example.org"}, "email-4", 0)
    store, transport = set_up(broken, make_email_item(1))
    assert run(store, email=transport) == DispatchReport(sent=1, dead=1)
    assert store.rows[4].errors == ["malformed outbox payload: KeyError: 'subject'"]


def test_an_item_whose_claim_was_lost_is_not_sent() -> None:
    store, transport = set_up(make_email_item(1))
    [item] = store.claim("w1", NOW, 10)
    store.rows[1].claimed_by = None  # another worker took it over after the lease expired
    from notifications.dispatcher import _deliver

    assert _deliver(store, {"email": transport}, item, NOW, random.Random(1), "from@example.org").value == "lost"
    assert transport.sent == []


def test_a_channel_without_a_transport_is_retried() -> None:
    store, transport = set_up(make_webhook_item(2))
    assert run(store, email=transport) == DispatchReport(retried=1)
    assert "no transport for channel 'webhook'" in store.rows[2].errors[0]


def test_limit_is_passed_to_the_claim() -> None:
    store, transport = set_up(*(make_email_item(item_id) for item_id in range(1, 6)))
    report = dispatch(store, {"email": transport}, NOW, "worker-1", random.Random(1), SENDER, limit=2)
    assert report == DispatchReport(sent=2)
    assert [store.state(item_id) for item_id in range(1, 6)] == [
        "sent",
        "sent",
        "pending",
        "pending",
        "pending",
    ]


@pytest.mark.parametrize("attempt", range(1, 12))
def test_retry_delay_is_full_jitter_under_an_exponential_cap(attempt: int) -> None:
    ceiling = min(6 * 3600, 30 * 2 ** (attempt - 1))
    delays = [retry_delay(attempt, random.Random(seed)) for seed in range(200)]
    assert all(timedelta(0) <= delay <= timedelta(seconds=ceiling) for delay in delays)
    assert max(delays) > timedelta(seconds=ceiling * 0.9)
    assert min(delays) < timedelta(seconds=ceiling * 0.1)


def test_retry_delay_never_undercuts_retry_after() -> None:
    delays = [retry_delay(1, random.Random(seed), retry_after=600) for seed in range(50)]
    assert min(delays) == timedelta(seconds=600)


def test_retry_delay_is_reproducible_with_the_same_seed() -> None:
    assert retry_delay(4, random.Random(42)) == retry_delay(4, random.Random(42))


@dataclass
class BatchingTransport(RecordingTransport):
    """A recording transport that sends a batch inside a session, noting when sessions open and close."""

    sessions: list[str] = field(default_factory=list)

    @contextmanager
    def open_batch(self) -> Iterator[RecordingTransport]:
        self.sessions.append("open")
        try:
            yield self
        finally:
            self.sessions.append("closed")


def test_a_batch_is_sent_in_one_session_closed_even_after_a_poison_item() -> None:
    store = InMemoryOutbox(make_email_item(1), make_email_item(2), make_email_item(3))
    transport = BatchingTransport(store, failures={"email-2": RuntimeError("template bug")})
    assert run(store, email=transport) == DispatchReport(sent=2, retried=1)
    assert transport.sessions == ["open", "closed"]
    assert [message.idempotency_key for message in transport.sent] == ["email-1", "email-3"]
