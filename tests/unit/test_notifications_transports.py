"""Email transports: choice by URL, console, file and the HTTP provider."""

import email
import email.policy
import json
import logging
from pathlib import Path

import pytest
import requests
import responses

from notifications.message import EmailMessage
from notifications.smtp import SmtpTransport
from notifications.transports import (
    ConsoleTransport,
    DeliveryError,
    FileTransport,
    HttpEmailTransport,
    transport_from_url,
)

PROVIDER_URL = "https://mail-provider.example/v1/send"


def make_email(**overrides: object) -> EmailMessage:
    """Return an email with sensible defaults."""
    fields: dict[str, object] = {
        "to": "maria@example.org",
        "sender": "no-reply@crm.example",
        "subject": "Your link to your requests",
        "text": "Here is your link: https://crm.example/client/t",
        "html": "<p>Here is your link</p>",
        "idempotency_key": "client-link:42",
    }
    return EmailMessage(**{**fields, **overrides})  # type: ignore[arg-type]


def test_console_url_gives_a_console_transport() -> None:
    assert transport_from_url("console://") == ConsoleTransport()


def test_file_url_gives_a_file_transport(tmp_path: Path) -> None:
    assert transport_from_url(f"file://{tmp_path}/mail") == FileTransport(tmp_path / "mail")


@pytest.mark.parametrize("url", ["file://relative/dir", "file://"])
def test_file_url_must_be_absolute(url: str) -> None:
    with pytest.raises(ValueError, match="file:///absolute/dir"):
        transport_from_url(url)


def test_plain_smtp_url() -> None:
    transport = transport_from_url("smtp://mail.example.org:2525", timeout=3)
    assert transport == SmtpTransport(host="mail.example.org", port=2525, timeout=3)
    assert transport.resend_is_safe is False


def test_smtp_url_with_credentials_starttls_and_sender() -> None:
    transport = transport_from_url(
        "smtp://crm%40example.org:p%40ss:word@mail.example.org:587?starttls=1",
        sender="CRM <bounces@crm.example>",
    )
    assert transport == SmtpTransport(
        host="mail.example.org",
        port=587,
        username="crm@example.org",
        password="p@ss:word",
        starttls=True,
        envelope_sender="bounces@crm.example",
    )
    assert "p@ss" not in repr(transport)


def test_smtps_url_uses_implicit_tls_and_its_default_port() -> None:
    transport = transport_from_url("smtps://mail.example.org")
    assert transport == SmtpTransport(host="mail.example.org", port=465, implicit_tls=True)


def test_smtp_url_without_host_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a host"):
        transport_from_url("smtp://")


@pytest.mark.parametrize("url", [PROVIDER_URL, "http://127.0.0.1:8025/send"])
def test_http_url_gives_the_provider_transport(url: str) -> None:
    transport = transport_from_url(url, timeout=4)
    assert isinstance(transport, HttpEmailTransport)
    assert (transport.url, transport.timeout, transport.resend_is_safe) == (url, 4, True)


@pytest.mark.parametrize("url", ["sendmail://localhost", "", "mailto:ops@example.org"])
def test_unknown_scheme_is_refused_clearly(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported mail URL scheme"):
        transport_from_url(url)


def test_console_logs_the_message(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="notifications"):
        ConsoleTransport().send(make_email())
    assert "maria@example.org" in caplog.text
    assert "https://crm.example/client/t" in caplog.text
    assert caplog.records[0].name == "notifications"


def test_file_transport_writes_one_eml_per_message(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path / "outbox")
    transport.send(make_email())
    transport.send(make_email(idempotency_key="client-link:43"))
    files = sorted(path.name for path in (tmp_path / "outbox").iterdir())
    assert files == ["client-link%3A42.eml", "client-link%3A43.eml"]
    parsed = email.message_from_bytes(
        (tmp_path / "outbox" / files[0]).read_bytes(), policy=email.policy.default
    )
    assert parsed["Subject"] == "Your link to your requests"
    assert parsed["Message-ID"] == make_email().message_id


def test_file_transport_resend_replaces_the_same_file(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path)
    transport.send(make_email(subject="first"))
    transport.send(make_email(subject="second"))
    [path] = tmp_path.iterdir()
    assert b"Subject: second" in path.read_bytes()


def test_file_name_cannot_escape_the_directory(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path / "mail")
    message = make_email(idempotency_key="../../etc/passwd")
    transport.send(message)
    assert transport.path_for(message).parent == tmp_path / "mail"
    assert [path.name for path in (tmp_path / "mail").iterdir()] == ["..%2F..%2Fetc%2Fpasswd.eml"]


def test_file_transport_failure_is_retryable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(DeliveryError) as caught:
        FileTransport(blocker).send(make_email())
    assert caught.value.retryable and not caught.value.maybe_delivered


@responses.activate
def test_http_provider_posts_json_with_the_idempotency_key() -> None:
    responses.post(PROVIDER_URL, status=202)
    HttpEmailTransport(PROVIDER_URL).send(make_email())
    [call] = responses.calls
    assert call.request.headers["Idempotency-Key"] == "client-link:42"
    assert json.loads(call.request.body) == {
        "from": "no-reply@crm.example",
        "to": "maria@example.org",
        "subject": "Your link to your requests",
        "text": "Here is your link: https://crm.example/client/t",
        "html": "<p>Here is your link</p>",
    }


@responses.activate
@pytest.mark.parametrize(
    ("status", "headers", "retry_after"),
    [
        (429, {"Retry-After": "120"}, 120.0),
        (
            503,
            {"Retry-After": "Wed, 21 Oct 2026 07:30:00 GMT", "Date": "Wed, 21 Oct 2026 07:28:00 GMT"},
            120.0,
        ),
        (500, {}, None),
        (502, {"Retry-After": "soon"}, None),
        (429, {"Retry-After": "99999999999"}, 7 * 24 * 3600.0),
    ],
)
def test_http_provider_throttling_and_outages_are_retryable(
    status: int, headers: dict[str, str], retry_after: float | None
) -> None:
    responses.post(PROVIDER_URL, status=status, headers=headers)
    with pytest.raises(DeliveryError) as caught:
        HttpEmailTransport(PROVIDER_URL).send(make_email())
    assert caught.value.retryable
    assert caught.value.retry_after == retry_after
    assert not caught.value.disable_endpoint


@responses.activate
@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 302])
def test_http_provider_client_errors_are_permanent(status: int) -> None:
    responses.post(PROVIDER_URL, status=status)
    with pytest.raises(DeliveryError) as caught:
        HttpEmailTransport(PROVIDER_URL).send(make_email())
    assert not caught.value.retryable
    assert str(status) in str(caught.value)


@responses.activate
@pytest.mark.parametrize(
    ("failure", "maybe_delivered"),
    [
        (requests.ConnectionError("refused"), False),
        (requests.ConnectTimeout("no route"), False),
        (requests.ReadTimeout("slow"), True),
    ],
)
def test_http_provider_network_failures_are_retryable(failure: Exception, maybe_delivered: bool) -> None:
    responses.post(PROVIDER_URL, body=failure)
    with pytest.raises(DeliveryError) as caught:
        HttpEmailTransport(PROVIDER_URL).send(make_email())
    assert caught.value.retryable
    assert caught.value.maybe_delivered is maybe_delivered
