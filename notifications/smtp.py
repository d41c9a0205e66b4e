"""SMTP delivery: one message per connection, or a batch on one connection (smtplib)."""

import email.utils
import functools
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from notifications.errors import DeliveryError
from notifications.message import EmailMessage

SMTP_PORTS = {"smtp": 25, "smtps": 465}


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Return the default TLS context, built once (loading the CA store costs ~26 ms)."""
    return ssl.create_default_context()


@dataclass(frozen=True)
class SmtpTransport:
    """Send email with smtplib; a re-send after DATA may duplicate it."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    implicit_tls: bool = False
    starttls: bool = False
    envelope_sender: str | None = None
    timeout: float = 10
    name: str = "smtp"
    resend_is_safe: bool = False

    def send(self, message: EmailMessage) -> None:
        """Deliver one message on a connection of its own."""
        with self.open_batch() as session:
            session.send(message)

    @contextmanager
    def open_batch(self) -> Iterator["SmtpSession"]:
        """Yield a sender that keeps one connection open for many messages, and closes it at the end."""
        session = SmtpSession(self)
        try:
            yield session
        finally:
            session.close()

    def connect(self) -> smtplib.SMTP:
        """Open, secure and authenticate a session, or raise a retryable DeliveryError."""
        try:
            return self._connect()
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP connection failed: {error}", retryable=True) from error

    def _connect(self) -> smtplib.SMTP:
        """Open, secure and authenticate a session."""
        if self.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=tls_context()
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                client.starttls(context=tls_context())
            if self.username:
                client.login(self.username, self.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def open_envelope(self, client: smtplib.SMTP, message: EmailMessage) -> None:
        """Announce the sender and the recipient."""
        sender = self.envelope_sender or email.utils.parseaddr(message.sender)[1]
        recipient = email.utils.parseaddr(message.to)[1]
        try:
            client.ehlo_or_helo_if_needed()
            _expect(client.mail(sender), {250})
            _expect(client.rcpt(recipient), {250, 251})
        except UnicodeEncodeError as error:
            raise DeliveryError("non-ASCII addresses need SMTPUTF8", retryable=False) from error
        except (smtplib.SMTPServerDisconnected, ConnectionError) as error:
            raise ConnectionGone(f"SMTP envelope failed: {error}", retryable=True) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP envelope failed: {error}", retryable=True) from error


class ConnectionGone(DeliveryError):
    """The SMTP server had closed a reused connection by the time of the envelope: nothing of the message was sent."""


class SmtpSession:
    """Send messages over one SMTP connection, opened on the first message.

    A reused connection the server closed while idle is replaced once, before anything of the message was sent.
    After any failure the connection is dropped, so the next message starts on a fresh one.
    """

    def __init__(self, transport: SmtpTransport) -> None:
        self.transport = transport
        self.client: smtplib.SMTP | None = None

    @property
    def name(self) -> str:
        """Name the transport."""
        return self.transport.name

    @property
    def resend_is_safe(self) -> bool:
        """Tell whether a re-send is harmless (never, for SMTP)."""
        return self.transport.resend_is_safe

    def send(self, message: EmailMessage) -> None:
        """Deliver one message, classifying each failure by the stage it happened in."""
        if self.client is not None:
            try:
                return self._deliver(self.client, message)
            except ConnectionGone:
                pass
        return self._deliver(self.transport.connect(), message)

    def _deliver(self, client: smtplib.SMTP, message: EmailMessage) -> None:
        """Send the envelope and the DATA on a client; keep it for the next message unless something failed."""
        self.client = client
        try:
            self.transport.open_envelope(client, message)
            _transmit(client, message)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Say QUIT, if a connection is open."""
        if self.client is not None:
            _hang_up(self.client)
            self.client = None


def _transmit(client: smtplib.SMTP, message: EmailMessage) -> None:
    """Send the DATA; a dropped connection here may have delivered the message."""
    try:
        reply = client.data(message.to_mime().as_bytes())
    except smtplib.SMTPResponseException as error:
        raise _refusal(error.smtp_code, error.smtp_error) from error
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(
            f"SMTP connection lost during DATA: {error}", retryable=True, maybe_delivered=True
        ) from error
    _expect(reply, {250})


def _expect(reply: tuple[int, bytes], accepted: set[int]) -> None:
    """Raise a classified DeliveryError unless the SMTP reply code is accepted."""
    code, text = reply
    if code not in accepted:
        raise _refusal(code, text)


def _refusal(code: int, text: bytes | str) -> DeliveryError:
    """Classify an SMTP reply: 4xx is transient, anything else permanent."""
    detail = text.decode(errors="replace") if isinstance(text, bytes) else text
    return DeliveryError(f"SMTP {code}: {detail}", retryable=400 <= code < 500)


def _hang_up(client: smtplib.SMTP) -> None:
    """Say QUIT and close, ignoring a server that is already gone."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def smtp_transport(url: str, sender: str | None, timeout: float) -> SmtpTransport:
    """Build an SmtpTransport from smtp:// or smtps:// with optional credentials and ?starttls=1."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError("SMTP mail URL needs a host, e.g. smtp://mail.example.org:587")
    query = parse_qs(parts.query)
    return SmtpTransport(
        host=parts.hostname,
        port=parts.port or SMTP_PORTS[parts.scheme.lower()],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=parts.scheme.lower() == "smtps",
        starttls=query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes"),
        envelope_sender=email.utils.parseaddr(sender)[1] if sender else None,
        timeout=timeout,
    )
