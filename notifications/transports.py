"""Email transports chosen by URL: console, file, SMTP (notifications.smtp) and an HTTP provider."""

import email.utils
import logging
import os
import tempfile
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import quote, unquote, urlsplit

import requests

from notifications.errors import DeliveryError
from notifications.message import EmailMessage, WebhookMessage
from notifications.smtp import SMTP_PORTS, smtp_transport

logger = logging.getLogger("notifications")

MAX_RETRY_AFTER = 7 * 24 * 3600

MessageT = TypeVar("MessageT", EmailMessage, WebhookMessage, contravariant=True)


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


@runtime_checkable
class Batching(Protocol):
    """A transport that sends a batch of messages better on one connection."""

    def open_batch(self) -> AbstractContextManager[Transport[Any]]: ...


def batch_sender(transport: Transport[MessageT]) -> AbstractContextManager[Transport[MessageT]]:
    """Return a context yielding what sends a batch: the transport's batch session if it keeps one, else itself."""
    return transport.open_batch() if isinstance(transport, Batching) else nullcontext(transport)


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
        return smtp_transport(url, sender, timeout)
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

