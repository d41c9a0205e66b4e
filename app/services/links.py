"""Client links: signed, purpose-salted tokens that expire after 90 days."""
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from app.services.errors import Unauthenticated

CLIENT_LINK_SALT = "client-link"


class LinkInvalid(Unauthenticated):
    """The client token is tampered with or expired."""


class SignedAt(TimestampSigner):
    """A timestamp signer that stamps the app's `now` instead of reading the wall clock."""

    def __init__(self, *args, moment: datetime | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.moment = moment

    def get_timestamp(self) -> int:
        """Return the moment of signing as Unix seconds."""
        return int(self.moment.timestamp())


def serializer(now: datetime | None = None) -> URLSafeTimedSerializer:
    """Return the serializer for client links; tokens it signs carry `now` as their issue time."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CLIENT_LINK_SALT, signer=SignedAt,
                                  signer_kwargs={"moment": now})


def client_token(client_id: int, now: datetime) -> str:
    """Sign a token naming the client, issued at `now`."""
    return serializer(now).dumps({"client": client_id})


def client_link(client_id: int, now: datetime) -> str:
    """Return the client's page URL, its token issued at `now`."""
    return public_url(f"client/{client_token(client_id, now)}")


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
