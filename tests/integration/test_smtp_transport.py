"""The SMTP transport against a real SMTP server (aiosmtpd) on 127.0.0.1."""

import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from notifications.message import EmailMessage
from notifications.transports import DeliveryError, transport_from_url

StartServer = Callable[..., int]


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and answers as told."""

    rcpt_reply: str | None = None
    data_reply: str = "250 Message accepted for delivery"
    drop_during_data: bool = False
    received: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.drop_during_data:
            server.transport.close()
        elif self.data_reply.startswith("250"):
            self.received.append(envelope)
        return self.data_reply


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def start_server() -> Iterator[StartServer]:
    """Start aiosmtpd controllers on free ports and stop them afterwards."""
    controllers: list[Controller] = []

    def start(handler: Mailbox, **smtp_options: Any) -> int:
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **smtp_options)
        controller.start()
        controllers.append(controller)
        return controller.port

    yield start
    for controller in controllers:
        controller.stop()


def make_email(**overrides: object) -> EmailMessage:
    """Return an email with sensible defaults."""
    fields: dict[str, object] = {
        "to": "Мария <maria@example.org>",
        "sender": "Partner Catalogue <no-reply@crm.example>",
        "subject": "Ваша заявка «Рассылка» отправлена",
        "text": "Здравствуйте!\n.\nhttps://crm.example/client/tok",
        "html": "<p>Здравствуйте!</p>",
        "idempotency_key": "request-17:client_confirmation",
    }
    return EmailMessage(**{**fields, **overrides})  # type: ignore[arg-type]


def test_message_arrives_intact(start_server: StartServer) -> None:
    mailbox = Mailbox()
    port = start_server(mailbox)
    message = make_email()
    transport_from_url(f"smtp://127.0.0.1:{port}").send(message)

    [envelope] = mailbox.received
    assert envelope.mail_from == "no-reply@crm.example"
    assert envelope.rcpt_tos == ["maria@example.org"]
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received["Subject"] == "Ваша заявка «Рассылка» отправлена"
    assert received["Message-ID"] == message.message_id
    assert received.get_content_type() == "multipart/alternative"
    text, html = received.iter_parts()
    assert text.get_content().splitlines() == ["Здравствуйте!", ".", "https://crm.example/client/tok"]
    assert html.get_content_type() == "text/html"
    assert "<p>Здравствуйте!</p>" in html.get_content()


def test_envelope_sender_can_be_overridden(start_server: StartServer) -> None:
    mailbox = Mailbox()
    port = start_server(mailbox)
    transport_from_url(f"smtp://127.0.0.1:{port}", sender="bounces@crm.example").send(make_email())
    assert mailbox.received[0].mail_from == "bounces@crm.example"


def test_login_with_credentials_from_the_url(start_server: StartServer) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cr:t", handled=False)

    mailbox = Mailbox()
    port = start_server(mailbox, authenticator=authenticator, auth_require_tls=False)
    transport_from_url(f"smtp://crm:s3cr%3At@127.0.0.1:{port}").send(make_email())
    assert logins == [(b"crm", b"s3cr:t")]
    assert len(mailbox.received) == 1

    with pytest.raises(DeliveryError) as caught:
        transport_from_url(f"smtp://crm:wrong@127.0.0.1:{port}").send(make_email())
    assert caught.value.retryable and not caught.value.maybe_delivered


def test_stopped_server_gives_a_retryable_error(start_server: StartServer) -> None:
    port = free_port()
    with pytest.raises(DeliveryError) as caught:
        transport_from_url(f"smtp://127.0.0.1:{port}", timeout=2).send(make_email())
    assert caught.value.retryable
    assert not caught.value.maybe_delivered


def test_server_that_stopped_after_serving_gives_a_retryable_error() -> None:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    transport = transport_from_url(f"smtp://127.0.0.1:{controller.port}", timeout=2)
    transport.send(make_email())
    controller.stop()
    with pytest.raises(DeliveryError) as caught:
        transport.send(make_email())
    assert caught.value.retryable and not caught.value.maybe_delivered
    assert len(mailbox.received) == 1


@pytest.mark.parametrize(
    ("mailbox", "retryable"),
    [
        (Mailbox(rcpt_reply="550 5.1.1 No such user"), False),
        (Mailbox(rcpt_reply="451 4.3.0 Try again later"), True),
        (Mailbox(data_reply="554 5.7.1 Message rejected as spam"), False),
        (Mailbox(data_reply="452 4.3.1 Insufficient system storage"), True),
    ],
)
def test_refusals_are_classified_by_reply_code(
    start_server: StartServer, mailbox: Mailbox, retryable: bool
) -> None:
    port = start_server(mailbox)
    with pytest.raises(DeliveryError) as caught:
        transport_from_url(f"smtp://127.0.0.1:{port}").send(make_email())
    assert caught.value.retryable is retryable
    assert not caught.value.maybe_delivered
    assert mailbox.received == []


def test_connection_lost_during_data_may_have_delivered(start_server: StartServer) -> None:
    port = start_server(Mailbox(drop_during_data=True))
    transport = transport_from_url(f"smtp://127.0.0.1:{port}", timeout=5)
    with pytest.raises(DeliveryError) as caught:
        transport.send(make_email())
    assert caught.value.maybe_delivered
    assert transport.resend_is_safe is False


@dataclass
class CountingMailbox(Mailbox):
    """A mailbox noting the connection (client port) each MAIL came on; it can drop one idle connection."""

    peers: list[int] = field(default_factory=list)
    refused: frozenset[str] = frozenset()
    drop_second_mail: bool = False
    mails: int = 0

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 No such user"
        return await super().handle_RCPT(server, session, envelope, address, options)

    async def handle_MAIL(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        self.mails += 1
        self.peers.append(session.peer[1])
        if self.drop_second_mail and self.mails == 2:
            server.transport.close()  # as if the server had timed the idle connection out
        envelope.mail_from = address
        return "250 OK"


def test_a_batch_goes_out_on_one_connection(start_server: StartServer) -> None:
    mailbox = CountingMailbox()
    transport = transport_from_url(f"smtp://127.0.0.1:{start_server(mailbox)}")
    with transport.open_batch() as session:
        for number in range(3):
            session.send(make_email(idempotency_key=f"key-{number}"))
    assert len(mailbox.received) == 3
    assert len(set(mailbox.peers)) == 1


def test_a_connection_the_server_closed_between_messages_is_replaced_without_loss(start_server: StartServer) -> None:
    mailbox = CountingMailbox(drop_second_mail=True)
    transport = transport_from_url(f"smtp://127.0.0.1:{start_server(mailbox)}")
    with transport.open_batch() as session:
        session.send(make_email(idempotency_key="first"))
        session.send(make_email(idempotency_key="second"))
    assert len(mailbox.received) == 2
    assert len(set(mailbox.peers)) == 2


def test_after_a_refusal_the_batch_goes_on_on_a_fresh_connection(start_server: StartServer) -> None:
    mailbox = CountingMailbox(refused=frozenset({"nobody@example.org"}))
    transport = transport_from_url(f"smtp://127.0.0.1:{start_server(mailbox)}")
    with transport.open_batch() as session:
        with pytest.raises(DeliveryError) as caught:
            session.send(make_email(to="nobody@example.org"))
        session.send(make_email())
    assert not caught.value.retryable
    assert [envelope.rcpt_tos for envelope in mailbox.received] == [["maria@example.org"]]
    assert len(set(mailbox.peers)) == 2
