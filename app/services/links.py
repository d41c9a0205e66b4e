"""Client links: signed, purpose-salted tokens that expire after 90 days."""
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.services.errors import Unauthenticated

CLIENT_LINK_SALT = "client-link"


class LinkInvalid(Unauthenticated):
    """The client token is tampered with or expired."""


def serializer() -> URLSafeTimedSerializer:
    """Return the serializer for client links."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CLIENT_LINK_SALT)


def client_token(client_id: int) -> str:
    """Sign a token naming the client."""
    return serializer().dumps({"client": client_id})


def client_link(client_id: int) -> str:
    """Return the client's page URL."""
    return public_url(f"client/{client_token(client_id)}")


def client_from_token(token: str, now: datetime) -> int:
    """Return the client id of a valid token, or raise LinkInvalid."""
    try:
        data, issued_at = serializer().loads(token, return_timestamp=True)
    except BadSignature as error:
        raise LinkInvalid("This link is not valid.") from error
    max_age = timedelta(days=current_app.config["CLIENT_LINK_MAX_AGE_DAYS"])
    if now - issued_at.astimezone(UTC) > max_age:
        raise LinkInvalid("This link has expired; ask for a new one.")
    return int(data["client"])


def public_url(path: str) -> str:
    """Return an absolute URL on this installation."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/{path.lstrip('/')}"
