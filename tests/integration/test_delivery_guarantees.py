"""The outbox's delivery guarantees, through the real database: each notification is sent exactly once.

Concurrent workers, workers that die between claiming, sending and recording, SMTP outages and poison
rows, and a failed request that must leave nothing behind. Time never passes by sleeping: each test
moves the `now` it hands to `deliver_pending`.
"""
import email
import random
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
import responses
from aiosmtpd.controller import Controller
from flask import current_app
from sqlalchemy import event, func, insert, select

from app.extensions import db
from app.models import Client, Deal, LeadRequest, OutboxMessage, Partner
from app.schemas.lead_request import RequestCreate
from app.services import delivery, intake
from app.services.delivery import LEASE_EXPIRED_WHILE_SENDING, SqlOutboxStore, deliver_pending
from notifications.dispatcher import BASE_DELAY_SECONDS, MAX_DELAY_SECONDS, message_for
from notifications.message import EmailMessage
from tests.builders import make_partner, request_body

MAIL_PROVIDER = "https://mail.example.test/send"
StartSmtp = Callable[..., int]


# --- builders -------------------------------------------------------------------------------------


def email_row(key: str, now: datetime, to: str = "anna@example.org") -> dict:
    """Return the column values of one pending email due at now."""
    payload = {"to": to, "subject": f"Subject {key}", "text": f"Text of {key}", "html": f"<p>{key}</p>",
               "template": "client_confirmation"}
    return {"channel": "email", "dedupe_key": key, "payload": payload, "status": "pending", "attempts": 0,
            "next_attempt_at": now, "created_at": now}


def seed_emails(count: int, now: datetime, prefix: str = "bulk", to: str = "anna@example.org") -> list[str]:
    """Insert count pending emails due at now in one statement; return their dedupe keys."""
    keys = [f"{prefix}:{number:04d}" for number in range(count)]
    db.session.execute(insert(OutboxMessage), [email_row(key, now, to) for key in keys])
    db.session.commit()
    return keys


def row(key: str) -> OutboxMessage:
    """Return the outbox row with this dedupe key, freshly read."""
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).one()


def status_counts() -> dict[str, int]:
    """Return how many outbox rows are in each status."""
    db.session.expire_all()
    return dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())


def lease() -> timedelta:
    """Return the configured claim lease."""
    return timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def deliver(now: datetime, worker: str = "w", seed: int = 0):
    """Run one delivery pass as of now and return its report."""
    return deliver_pending(now, worker, random.Random(seed))


def send_then_die(now: datetime) -> list[str]:
    """Claim due rows, mark them sending and hand them to the transport, then die before marking them sent."""
    channels = delivery.transports()
    store = SqlOutboxStore(lease(), {name: transport.resend_is_safe for name, transport in channels.items()})
    keys = []
    for item in store.claim("doomed", now, 100):
        store.mark_sending(item.id, now)
        channels[item.channel].send(message_for(item, current_app.config["MAIL_FROM"], now))
        keys.append(item.idempotency_key)
    return keys  # the worker is gone: no mark_sent


# --- transports -----------------------------------------------------------------------------------


@dataclass
class RecordingTransport:
    """A thread-safe email transport that only records the keys it was asked to send."""

    name: str = "recording"
    resend_is_safe: bool = False
    sent: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message: EmailMessage) -> None:
        """Record one send."""
        with self.lock:
            self.sent.append(message.idempotency_key)


@dataclass
class StallingTransport(RecordingTransport):
    """A recording transport that hangs while sending one key until told to go on."""

    stall_on: str = ""
    stalled: threading.Event = field(default_factory=threading.Event)
    resume: threading.Event = field(default_factory=threading.Event)

    def send(self, message: EmailMessage) -> None:
        """Record the send; for the chosen key, hang until resumed."""
        super().send(message)
        if message.idempotency_key == self.stall_on and not self.stalled.is_set():
            self.stalled.set()
            assert self.resume.wait(30), "the stalled send was never resumed"


@pytest.fixture
def recorder(monkeypatch) -> RecordingTransport:
    """Route every email through a RecordingTransport."""
    transport = RecordingTransport()
    monkeypatch.setattr(delivery, "transports", lambda: {"email": transport})
    return transport


# --- a real SMTP server ---------------------------------------------------------------------------


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and refuses the listed recipients with 550."""

    refused: frozenset[str] = frozenset()
    received: list[Any] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:
        """Accept a recipient unless it is refused."""
        if address in self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        """Keep the message."""
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        """Return the Message-ID of every received message."""
        return [email.message_from_bytes(envelope.original_content)["Message-ID"] for envelope in self.received]


def free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def start_smtp() -> Iterator[StartSmtp]:
    """Start aiosmtpd servers on demand (start(mailbox, port=None) -> port); stop them afterwards."""
    controllers: list[Controller] = []

    def start(mailbox: Mailbox, port: int | None = None) -> int:
        controller = Controller(mailbox, hostname="127.0.0.1", port=port or free_port())
        controller.start()
        controllers.append(controller)
        return controller.port

    yield start
    for controller in controllers:
        controller.stop()


# --- 1. concurrent workers ------------------------------------------------------------------------


def run_workers(app, count: int, now: datetime) -> list:
    """Run count delivery workers at once, each in its own thread and app context; return their reports."""
    reports: list = [None] * count
    errors: list[BaseException] = []
    start_together = threading.Barrier(count)

    def work(number: int) -> None:
        try:
            with app.app_context():
                start_together.wait(timeout=30)
                reports[number] = deliver_pending(now, f"w{number}", random.Random(number))
        except BaseException as error:  # noqa: BLE001 - reported to the test below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(number,), daemon=True) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a delivery worker hung"
    assert errors == []
    return reports


def test_eight_workers_deliver_a_thousand_notifications_exactly_once(app, ctx, clock, recorder):
    keys = seed_emails(1000, clock.now)

    reports = run_workers(app, 8, clock.now)

    sends = Counter(recorder.sent)
    assert len(recorder.sent) == 1000, f"duplicates: {[key for key, n in sends.items() if n > 1][:5]}"
    assert set(sends) == set(keys)
    assert sum(report.sent for report in reports) == 1000
    assert sum(report.retried + report.dead + report.unknown for report in reports) == 0
    assert status_counts() == {"sent": 1000}
    assert len([report for report in reports if report.sent]) > 1, "the workers did not share the work"


def test_each_delivery_costs_one_commit_its_sent_mark_riding_with_the_next_sending_mark(ctx, clock, recorder):
    keys = seed_emails(20, clock.now)
    commits: list[object] = []
    count = commits.append
    event.listen(db.engine, "commit", count)
    try:
        assert deliver(clock.now).sent == 20
    finally:
        event.remove(db.engine, "commit", count)
    assert recorder.sent == keys and status_counts() == {"sent": 20}
    assert len(commits) == 20 + 2  # the claim, a `sending` mark per message, the last `sent` mark


def test_a_delivery_not_yet_written_when_the_worker_died_is_held_as_unknown_not_resent(ctx, clock, recorder):
    [key] = seed_emails(1, clock.now)
    store = SqlOutboxStore(lease(), {"email": False})
    [item] = store.claim("doomed", clock.now, 10)
    assert store.mark_sending(item.id, clock.now)
    recorder.send(message_for(item, current_app.config["MAIL_FROM"], clock.now))
    store.mark_sent(item.id, clock.now)  # held back for the next mark, and the worker dies here
    db.session.rollback()

    deliver(clock.now + lease())
    assert row(key).status == "unknown" and recorder.sent == [key]


# --- 2. killed after claiming ---------------------------------------------------------------------


def test_a_worker_killed_after_claiming_leaves_its_rows_to_be_sent_once_after_the_lease(ctx, clock, recorder):
    [key] = seed_emails(1, clock.now)
    claimed = SqlOutboxStore(lease(), {"email": False}).claim("doomed", clock.now, 10)
    assert [item.idempotency_key for item in claimed] == [key]  # ...and the worker dies here

    assert deliver(clock.now + lease() - timedelta(seconds=1)).sent == 0
    assert recorder.sent == [] and row(key).status == "claimed"

    assert deliver(clock.now + lease()).sent == 1
    assert recorder.sent == [key] and row(key).status == "sent"
    assert deliver(clock.now + 10 * lease()).sent == 0
    assert recorder.sent == [key]


# --- 3. killed after the provider accepted --------------------------------------------------------


def test_http_provider_accepted_then_worker_died_resends_with_the_same_idempotency_key(ctx, clock, monkeypatch):
    monkeypatch.setitem(ctx.config, "MAIL_URL", MAIL_PROVIDER)
    [key] = seed_emails(1, clock.now)
    with responses.RequestsMock() as provider:
        provider.add(responses.POST, MAIL_PROVIDER, json={"id": "provider-1"}, status=202)
        assert send_then_die(clock.now) == [key]
        assert row(key).status == "sending"

        assert deliver(clock.now + lease() - timedelta(seconds=1)).sent == 0
        assert len(provider.calls) == 1
        assert deliver(clock.now + lease()).sent == 1
        idempotency_keys = [call.request.headers["Idempotency-Key"] for call in provider.calls]

    assert idempotency_keys == [key, key]
    assert row(key).status == "sent"


def test_smtp_server_received_then_worker_died_is_held_as_unknown_not_resent(ctx, clock, monkeypatch, start_smtp):
    mailbox = Mailbox()
    monkeypatch.setitem(ctx.config, "MAIL_URL", f"smtp://127.0.0.1:{start_smtp(mailbox)}")
    [key] = seed_emails(1, clock.now)
    assert send_then_die(clock.now) == [key]
    assert len(mailbox.received) == 1

    deliver(clock.now + lease() - timedelta(seconds=1))
    assert row(key).status == "sending"
    deliver(clock.now + lease())
    held = row(key)
    assert held.status == "unknown"
    assert held.last_error == LEASE_EXPIRED_WHILE_SENDING and "may have been delivered" in held.last_error

    deliver(clock.now + timedelta(days=2))
    assert row(key).status == "unknown"
    assert len(mailbox.received) == 1


# --- a stalled (not dead) worker ------------------------------------------------------------------


def test_a_worker_stalled_past_its_lease_never_sends_rows_another_worker_took_over(app, ctx, clock, monkeypatch):
    slow_key, other_key = seed_emails(2, clock.now)
    transport = StallingTransport(stall_on=slow_key)
    monkeypatch.setattr(delivery, "transports", lambda: {"email": transport})
    stalled_worker = threading.Thread(target=run_in_context, args=(app, clock.now, "stalled"), daemon=True)
    stalled_worker.start()
    try:
        assert transport.stalled.wait(30), "the first worker never reached the stalling send"
        takeover = deliver(clock.now + lease(), "fresh")  # e.g. the next cron run
        assert takeover.sent == 1
    finally:
        transport.resume.set()
        stalled_worker.join(timeout=30)

    assert not stalled_worker.is_alive()
    assert Counter(transport.sent)[other_key] == 1, f"{other_key} was sent {transport.sent.count(other_key)} times"


def run_in_context(app, now: datetime, worker: str) -> None:
    """Run one delivery pass in a thread of its own, as a separate worker process would."""
    with app.app_context():
        deliver_pending(now, worker, random.Random(7))


# --- 4. SMTP outage and a poison row --------------------------------------------------------------


def test_smtp_outage_backs_off_then_delivers_each_once_while_a_poison_row_dies(ctx, clock, monkeypatch, start_smtp):
    port = free_port()
    monkeypatch.setitem(ctx.config, "MAIL_URL", f"smtp://127.0.0.1:{port}")
    [poison] = seed_emails(1, clock.now, prefix="poison", to="nobody@refused.test")  # first in line
    keys = seed_emails(4, clock.now)

    now = clock.now
    for attempt in (1, 2, 3):  # the server is down: every row backs off, each time with a longer bound
        assert deliver(now, seed=attempt).retried == 5
        ceiling = timedelta(seconds=BASE_DELAY_SECONDS * 2 ** (attempt - 1))
        rows = [row(key) for key in [poison, *keys]]
        for waiting in rows:
            assert (waiting.status, waiting.attempts) == ("pending", attempt)
            assert now < waiting.next_attempt_at <= now + ceiling
            assert "SMTP connection failed" in waiting.last_error
        assert deliver(now).retried == 0  # nothing is retried before its time
        now = max(waiting.next_attempt_at for waiting in rows)

    mailbox = Mailbox(refused=frozenset({"nobody@refused.test"}))
    start_smtp(mailbox, port)
    report = deliver(now + timedelta(seconds=MAX_DELAY_SECONDS))
    assert (report.sent, report.dead, report.retried) == (4, 1, 0)

    assert sorted(envelope.rcpt_tos[0] for envelope in mailbox.received) == ["anna@example.org"] * 4
    assert len(set(mailbox.message_ids())) == 4
    assert [row(key).status for key in keys] == ["sent"] * 4
    dead = row(poison)
    assert dead.status == "dead" and dead.last_error.startswith("SMTP 550") and dead.attempts == 4

    assert deliver(now + timedelta(days=3)) == type(report)()
    assert len(mailbox.received) == 4


# --- 6. atomicity ---------------------------------------------------------------------------------


def table_counts() -> dict[str, int]:
    """Return the number of clients, requests, deals and outbox rows."""
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Client, LeadRequest, Deal, OutboxMessage)}


NOTHING = {"Client": 0, "LeadRequest": 0, "Deal": 0, "OutboxMessage": 0}


def intake_data() -> dict:
    """Return a find-a-partner request as the API hands it to the intake service (validated)."""
    return RequestCreate().load(request_body())


def test_a_failure_before_commit_leaves_neither_the_deal_nor_its_notifications(ctx, clock):
    make_partner(clock.now, webhook_url="https://hooks.example.test/lead")
    intake.submit_request(intake_data(), clock.now, random.Random(1))
    db.session.flush()
    assert table_counts() == {"Client": 1, "LeadRequest": 1, "Deal": 1, "OutboxMessage": 3}  # written...

    db.session.rollback()  # ...but the worker dies before commit

    assert table_counts() == NOTHING
    assert db.session.scalar(select(Partner.last_assigned_at)) is None


def test_a_request_failing_at_commit_after_its_deals_were_written_changes_nothing(client, clock, monkeypatch):
    for _ in range(3):
        make_partner(clock.now, webhook_url="https://hooks.example.test/lead")
    written_before_the_failure = []
    commit = db.session.commit

    def commit_fails_once() -> None:
        """Note what the request wrote, then lose the connection instead of committing (once)."""
        if written_before_the_failure:
            return commit()
        written_before_the_failure.append(table_counts())
        raise RuntimeError("connection lost during COMMIT")

    monkeypatch.setattr(db.session, "commit", commit_fails_once)
    monkeypatch.setitem(client.application.config, "PROPAGATE_EXCEPTIONS", False)

    answer = client.post("/api/v1/requests", json=request_body())

    assert answer.status_code == 500
    assert "nothing was changed" in answer.get_json()["error"]["message"]
    [written] = written_before_the_failure
    assert (written["Client"], written["LeadRequest"], written["Deal"]) == (1, 1, 3)
    assert written["OutboxMessage"] >= 1 + 3 + 3  # the client's confirmation, 3 partner emails, 3 webhooks
    assert table_counts() == NOTHING
