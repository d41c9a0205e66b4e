"""Plain message objects handed to transports."""

import email.message
import email.policy
import email.utils
import hashlib
from dataclasses import dataclass
from datetime import datetime

_POLICY = email.policy.SMTP.clone(cte_type="7bit")


@dataclass(frozen=True)
class EmailMessage:
    """One email, ready to send; the idempotency key names it across re-sends."""

    to: str
    sender: str
    subject: str
    text: str
    html: str
    idempotency_key: str
    date: datetime | None = None

    @property
    def message_id(self) -> str:
        """Return the Message-ID derived from the idempotency key."""
        digest = hashlib.sha256(self.idempotency_key.encode()).hexdigest()[:32]
        _, at, domain = email.utils.parseaddr(self.sender)[1].rpartition("@")
        return f"<{digest}@{domain if at and domain else 'localhost'}>"

    def to_mime(self) -> email.message.EmailMessage:
        """Build a multipart/alternative MIME message with text and HTML parts."""
        mime = email.message.EmailMessage(policy=_POLICY)
        mime["From"] = self.sender
        mime["To"] = self.to
        mime["Subject"] = self.subject
        mime["Message-ID"] = self.message_id
        if self.date is not None:
            mime["Date"] = email.utils.format_datetime(self.date)
        mime.set_content(self.text)
        mime.add_alternative(self.html, subtype="html")
        return mime


@dataclass(frozen=True)
class WebhookMessage:
    """One webhook delivery; event_id stays the same across retries."""

    url: str
    secret: str
    event_id: str
    timestamp: int
    body: bytes
