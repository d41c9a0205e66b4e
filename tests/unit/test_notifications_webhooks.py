"""Webhook signing checked by the independent standardwebhooks package, and delivery outcomes."""

import base64
import json
import socket
import time

import pytest
import requests
import responses
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from notifications.message import WebhookMessage
from notifications.transports import DeliveryError
from notifications.webhooks import (
    WebhookTransport,
    is_public_address,
    new_secret,
    sign,
    signed_headers,
)

HOOK_URL = "https://hooks.partner.example/crm"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def make_webhook(**overrides: object) -> WebhookMessage:
    """Return a webhook delivery stamped now, as a receiver checks the clock."""
    body = json.dumps({"type": "deal.created", "timestamp": "2024-05-06T07:08:09+00:00", "data": {"id": 7}})
    fields: dict[str, object] = {
        "url": HOOK_URL,
        "secret": SECRET,
        "event_id": "msg_2b7f6c0e",
        "timestamp": int(time.time()),
        "body": body.encode(),
    }
    return WebhookMessage(**{**fields, **overrides})  # type: ignore[arg-type]


def test_signature_matches_the_reference_implementation() -> None:
    message = make_webhook(body='{"name": "Müller"}'.encode())
    assert Webhook(SECRET).verify(message.body, signed_headers(message)) == {"name": "Müller"}


def test_signature_is_the_documented_v1_hmac() -> None:
    assert sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}') == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_signature_changes_with_the_body() -> None:
    message = make_webhook()
    headers = signed_headers(message)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(message.body + b" ", headers)


def test_new_secret_is_prefixed_random_24_bytes_usable_by_receivers() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert secret != new_secret()
    message = make_webhook(secret=secret)
    Webhook(secret).verify(message.body, signed_headers(message))


@responses.activate
def test_transport_posts_the_signed_body() -> None:
    responses.post(HOOK_URL, status=204)
    message = make_webhook()
    WebhookTransport(allow_private=True).send(message)
    [call] = responses.calls
    assert call.request.body == message.body
    assert call.request.headers["content-type"] == "application/json"
    assert call.request.headers["webhook-id"] == "msg_2b7f6c0e"
    assert call.request.headers["webhook-timestamp"] == str(message.timestamp)
    Webhook(SECRET).verify(call.request.body, dict(call.request.headers))


@responses.activate
def test_gone_endpoint_is_disabled() -> None:
    responses.post(HOOK_URL, status=410)
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(allow_private=True).send(make_webhook())
    assert caught.value.disable_endpoint and not caught.value.retryable


@responses.activate
@pytest.mark.parametrize(("status", "retry_after"), [(429, 30.0), (500, None), (503, 3600.0)])
def test_throttling_and_server_errors_are_retryable(status: int, retry_after: float | None) -> None:
    headers = {"Retry-After": str(int(retry_after))} if retry_after else {}
    responses.post(HOOK_URL, status=status, headers=headers)
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(allow_private=True).send(make_webhook())
    assert caught.value.retryable and not caught.value.disable_endpoint
    assert caught.value.retry_after == retry_after


@responses.activate
@pytest.mark.parametrize("status", [301, 400, 401, 404, 422])
def test_other_answers_are_permanent(status: int) -> None:
    responses.post(HOOK_URL, status=status, headers={"Location": "http://127.0.0.1/"})
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(allow_private=True).send(make_webhook())
    assert not caught.value.retryable and not caught.value.disable_endpoint
    assert len(responses.calls) == 1


@responses.activate
@pytest.mark.parametrize("failure", [requests.ConnectionError("reset"), requests.ReadTimeout("slow")])
def test_network_failures_are_retryable(failure: Exception) -> None:
    responses.post(HOOK_URL, body=failure)
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(allow_private=True).send(make_webhook())
    assert caught.value.retryable


def fake_resolver(*addresses: str):
    """Return a getaddrinfo stand-in that resolves every host to the given addresses."""

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses]

    return getaddrinfo


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.5",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "::1",
        "fe80::1%eth0",
        "fd00::1",
        "::ffff:10.0.0.1",
        "240.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_and_reserved_addresses_are_not_public(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver(address))
    assert not is_public_address("https://hooks.partner.example/crm")


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_global_addresses_are_public(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver(address))
    assert is_public_address("https://hooks.partner.example:8443/crm")


def test_one_private_address_among_public_ones_is_enough_to_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver("93.184.216.34", "127.0.0.1"))
    assert not is_public_address(HOOK_URL)


def test_unresolvable_host_is_not_public(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> list[tuple]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    assert not is_public_address(HOOK_URL)


@pytest.mark.parametrize("url", ["ftp://93.184.216.34/", "https:///no-host", "not a url", "http://[::1"])
def test_non_http_urls_are_not_public(url: str) -> None:
    assert not is_public_address(url)


def test_literal_loopback_needs_no_resolver() -> None:
    assert not is_public_address("http://127.0.0.1:5000/hook")


@responses.activate
def test_transport_refuses_private_targets_without_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver("10.0.0.7"))
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport().send(make_webhook())
    assert not caught.value.retryable
    assert len(responses.calls) == 0


@responses.activate
def test_transport_retries_when_the_host_does_not_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> list[tuple]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport().send(make_webhook())
    assert caught.value.retryable


@responses.activate
def test_transport_sends_to_public_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver("93.184.216.34"))
    responses.post(HOOK_URL, status=200)
    WebhookTransport().send(make_webhook())
    assert len(responses.calls) == 1
