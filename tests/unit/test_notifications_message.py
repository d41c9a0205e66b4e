"""Email messages become well-formed, recognisable MIME."""

import email
import email.policy
from datetime import UTC, datetime

import pytest

from notifications.message import EmailMessage


def make_email(**overrides: object) -> EmailMessage:
    """Return an email with sensible defaults."""
    fields: dict[str, object] = {
        "to": "Мария <maria@example.org>",
        "sender": "Partner Catalogue <no-reply@crm.example>",
        "subject": "Ваша заявка «Рассылка» отправлена",
        "text": "Здравствуйте!\n.\nСсылка: https://crm.example/client/t",
        "html": "<p>Здравствуйте!</p>",
        "idempotency_key": "request-17:client_confirmation",
    }
    return EmailMessage(**{**fields, **overrides})  # type: ignore[arg-type]


def parse(message: EmailMessage) -> email.message.EmailMessage:
    """Serialise and parse back, as a receiver would."""
    raw = message.to_mime().as_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def test_mime_is_multipart_alternative_with_text_then_html() -> None:
    received = parse(make_email())
    assert received.get_content_type() == "multipart/alternative"
    parts = list(received.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().splitlines() == [
        "Здравствуйте!",
        ".",
        "Ссылка: https://crm.example/client/t",
    ]
    assert parts[1].get_content().splitlines() == ["<p>Здравствуйте!</p>"]


def test_headers_survive_non_ascii() -> None:
    received = parse(make_email())
    assert received["Subject"] == "Ваша заявка «Рассылка» отправлена"
    assert received["To"].addresses[0].addr_spec == "maria@example.org"
    assert received["From"].addresses[0].display_name == "Partner Catalogue"


def test_body_is_seven_bit_clean() -> None:
    assert make_email().to_mime().as_bytes().isascii()


def test_message_id_is_derived_from_the_idempotency_key() -> None:
    first, again = make_email(), make_email(subject="re-rendered")
    other = make_email(idempotency_key="request-18:client_confirmation")
    assert parse(first)["Message-ID"] == parse(again)["Message-ID"] == first.message_id
    assert first.message_id != other.message_id
    assert first.message_id.startswith("<") and first.message_id.endswith("@crm.example>")


def test_message_id_falls_back_to_localhost_without_a_sender_domain() -> None:
    assert make_email(sender="postmaster").message_id.endswith("@localhost>")


def test_date_header_comes_from_the_given_time() -> None:
    message = make_email(date=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC))
    assert parse(message)["Date"].datetime == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert "Date" not in parse(make_email())


@pytest.mark.parametrize("field", ["to", "subject"])
def test_header_injection_is_refused(field: str) -> None:
    message = make_email(**{field: "x@example.org\r\nBcc: victim@example.org"})
    with pytest.raises(ValueError):
        message.to_mime()
