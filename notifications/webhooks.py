"""Standard Webhooks signing, delivery and the public-address rule."""

import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from notifications.message import WebhookMessage
from notifications.transports import DeliveryError, post_checked

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """Return the v1 signature of one event per the Standard Webhooks specification."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


def new_secret() -> str:
    """Return a fresh random signing secret."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(message: WebhookMessage) -> dict[str, str]:
    """Return the headers that identify, date and sign one webhook delivery."""
    return {
        "webhook-id": message.event_id,
        "webhook-timestamp": str(message.timestamp),
        "webhook-signature": sign(message.secret, message.event_id, message.timestamp, message.body),
        "content-type": "application/json",
    }


def is_public_address(url: str) -> bool:
    """Tell whether an http(s) URL's host resolves only to public addresses."""
    try:
        addresses = _addresses(url)
    except (OSError, ValueError):
        return False
    return all(_is_public(address) for address in addresses)


def _addresses(url: str) -> list[str]:
    """Resolve an http(s) URL's host; ValueError for other URLs, OSError when resolution fails."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL with a host: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return [info[4][0] for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)]


def _require_public(url: str) -> None:
    """Raise DeliveryError unless the URL resolves only to public addresses."""
    try:
        addresses = _addresses(url)
    except OSError as error:
        raise DeliveryError(f"cannot resolve webhook host: {error}", retryable=True) from error
    except ValueError as error:
        raise DeliveryError(str(error), retryable=False) from error
    if not all(_is_public(address) for address in addresses):
        raise DeliveryError(f"webhook URL {url} resolves to a non-public address", retryable=False)


def _is_public(address: str) -> bool:
    """Tell whether one resolved IP address is globally routable."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    hidden = ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved
    return ip.is_global and not (hidden or ip.is_multicast or ip.is_unspecified)


@dataclass(frozen=True)
class WebhookTransport:
    """POST signed events; the receiver de-duplicates by webhook-id, so a re-send is safe."""

    timeout: float = 10
    allow_private: bool = False
    session: requests.Session = field(default_factory=requests.Session, repr=False, compare=False)
    name: str = "webhook"
    resend_is_safe: bool = True

    def send(self, message: WebhookMessage) -> None:
        """Deliver one event; only a 2xx answer counts."""
        if not self.allow_private:
            _require_public(message.url)
        post_checked(
            self.session, message.url, self.timeout, data=message.body, headers=signed_headers(message)
        )
