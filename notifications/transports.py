"""Email transports chosen by URL: console, file, SMTP and an HTTP provider."""

import email.utils
import functools
import logging
import os
import smtplib
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import parse_qs, quote, unquote, urlsplit

import requests

from notifications.message import EmailMessage, WebhookMessage

logger = logging.getLogger("notifications")

MAX_RETRY_AFTER = 7 * 24 * 3600
SMTP_PORTS = {"smtp": 25, "smtps": 465}

MessageT = TypeVar("MessageT", EmailMessage, WebhookMessage, contravariant=True)


class DeliveryError(Exception):
    """A failed delivery, saying whether and when to try again."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        maybe_delivered: bool = False,
        retry_after: float | None = None,
        disable_endpoint: bool = False,
    ) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.maybe_delivered = maybe_delivered
        self.retry_after = retry_after
        self.disable_endpoint = disable_endpoint


class Transport(Protocol[MessageT]):
    """Deliver one message or raise DeliveryError."""

    @property
    def name(self) -> str: ...

    @property
    def resend_is_safe(self) -> bool: ...

    def send(self, message: MessageT) -> None: ...


@dataclass(frozen=True)
class ConsoleTransport:
    """Log each email instead of sending it."""

    name: str = "console"
    resend_is_safe: bool = True

    def send(self, message: EmailMessage) -> None:
        """Log the message headers and its text body."""
        logger.info(
            "email to=%s subject=%r key=%s\n%s",
            message.to,
            message.subject,
            message.idempotency_key,
            message.text,
        )


@dataclass(frozen=True)
class FileTransport:
    """Write each email as an .eml file named after its idempotency key."""

    directory: Path
    name: str = "file"
    resend_is_safe: bool = True

    def path_for(self, message: EmailMessage) -> Path:
        """Return the file that holds this message."""
        return self.directory / f"{quote(message.idempotency_key, safe='-_')}.eml"

    def send(self, message: EmailMessage) -> None:
        """Write the message atomically: a temporary file, then a rename."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomically(self.path_for(message), message.to_mime().as_bytes())
        except OSError as error:
            raise DeliveryError(f"cannot write to {self.directory}: {error}", retryable=True) from error


def _write_atomically(path: Path, data: bytes) -> None:
    """Write data to a temporary file beside path, then rename it into place."""
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
        try:
            tmp.write(data)
        except OSError:
            os.unlink(tmp.name)
            raise
    os.replace(tmp.name, path)


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


@runtime_checkable
class Batching(Protocol):
    """A transport that sends a batch of messages better on one connection."""

    def open_batch(self) -> AbstractContextManager[Transport[Any]]: ...


def batch_sender(transport: Transport[MessageT]) -> AbstractContextManager[Transport[MessageT]]:
    """Return a context yielding what sends a batch: the transport's batch session if it keeps one, else itself."""
    return transport.open_batch() if isinstance(transport, Batching) else nullcontext(transport)


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


@dataclass(frozen=True)
class HttpEmailTransport:
    """Post email as JSON to a provider that de-duplicates by Idempotency-Key."""

    url: str
    timeout: float = 10
    session: requests.Session = field(default_factory=requests.Session, repr=False, compare=False)
    name: str = "http"
    resend_is_safe: bool = True

    def send(self, message: EmailMessage) -> None:
        """Post the message; only a 2xx answer counts."""
        payload = {
            "from": message.sender,
            "to": message.to,
            "subject": message.subject,
            "text": message.text,
            "html": message.html,
        }
        headers = {"Idempotency-Key": message.idempotency_key}
        post_checked(self.session, self.url, self.timeout, json=payload, headers=headers)


def post_checked(session: requests.Session, url: str, timeout: float, **kwargs: object) -> None:
    """POST without following redirects and raise DeliveryError unless the answer is 2xx."""
    try:
        with session.post(url, timeout=timeout, allow_redirects=False, stream=True, **kwargs) as response:
            failure = http_failure(response)
    except requests.ConnectTimeout as error:
        raise DeliveryError(f"connect timeout: {error}", retryable=True) from error
    except requests.Timeout as error:
        raise DeliveryError(f"read timeout: {error}", retryable=True, maybe_delivered=True) from error
    except requests.RequestException as error:
        raise DeliveryError(f"HTTP request failed: {error}", retryable=True) from error
    if failure is not None:
        raise failure


def http_failure(response: requests.Response) -> DeliveryError | None:
    """Classify an HTTP answer: 2xx ok, 429/5xx retryable, 410 gone, the rest permanent."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    reason = f"HTTP {status} from {urlsplit(response.url).hostname}"
    if status == 429 or status >= 500:
        return DeliveryError(reason, retryable=True, retry_after=retry_after(response))
    return DeliveryError(reason, retryable=False, disable_endpoint=status == 410)


def retry_after(response: requests.Response) -> float | None:
    """Read Retry-After as seconds, or as a date relative to the answer's Date header."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(min(int(value), MAX_RETRY_AFTER))
    try:
        until = email.utils.parsedate_to_datetime(value)
        sent = email.utils.parsedate_to_datetime(response.headers.get("Date", ""))
        seconds = (until - sent).total_seconds()
    except (TypeError, ValueError):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def transport_from_url(url: str, sender: str | None = None, timeout: float = 10) -> Transport[EmailMessage]:
    """Build the email transport that MAIL_URL names; sender overrides the SMTP envelope sender."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "console":
        return ConsoleTransport()
    if scheme == "file":
        return FileTransport(_file_directory(url))
    if scheme in SMTP_PORTS:
        return _smtp_transport(url, sender, timeout)
    if scheme in ("http", "https"):
        return HttpEmailTransport(url, timeout=timeout)
    raise ValueError(
        f"unsupported mail URL scheme {scheme!r}: use console://, file:///dir, "
        "smtp://host:port, smtps://host:port or http(s)://provider/endpoint"
    )


def _file_directory(url: str) -> Path:
    """Return the absolute directory of a file:///dir URL."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or not parts.path:
        raise ValueError(f"file mail URL must look like file:///absolute/dir, not {url!r}")
    return Path(unquote(parts.path))


def _smtp_transport(url: str, sender: str | None, timeout: float) -> SmtpTransport:
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
