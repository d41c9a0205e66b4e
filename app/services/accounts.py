"""Partner accounts for the dashboard: passwords, magic-link tokens and the partner behind a session."""
import hashlib
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import Partner
from app.services.catalogue import get_partner
from app.services.errors import Invalid, Unauthenticated
from app.services.outbox import add_once, outbox_row

MIN_PASSWORD_LENGTH = 10
MAGIC_LINK_SALT = "partner-magic-link"
# Checked when no partner matches, so that a wrong email costs as much time as a wrong password.
UNUSABLE_HASH = generate_password_hash("no partner has this password")


def set_password(partner_id: int, password: str) -> Partner:
    """Store a new password hash for a partner (which ends its other dashboard sessions)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("Password too short.", {"password": [f"Use at least {MIN_PASSWORD_LENGTH} characters."]})
    partner = get_partner(partner_id)
    partner.password_hash = generate_password_hash(password)
    db.session.flush()
    return partner


def partners_by_email(email: str) -> list[Partner]:
    """Return the partners registered under an email address (case-insensitive)."""
    address = email.strip().lower()
    return list(db.session.scalars(select(Partner).where(Partner.email == address).order_by(Partner.id)))


def authenticate(email: str, password: str) -> Partner | None:
    """Return the partner whose email and password match, or None."""
    for partner in partners_by_email(email):
        if partner.password_hash and check_password_hash(partner.password_hash, password):
            return partner
    check_password_hash(UNUSABLE_HASH, password)
    return None


def session_key(partner: Partner) -> str:
    """Return the session id of a partner: its id and a fingerprint of its password hash."""
    fingerprint = hashlib.sha256((partner.password_hash or "").encode()).hexdigest()[:16]
    return f"{partner.id}:{fingerprint}"


def partner_for_session(key: str) -> Partner | None:
    """Return the partner a session id names, or None once the password changed since login."""
    partner_id, _, _ = key.partition(":")
    partner = db.session.get(Partner, int(partner_id)) if partner_id.isdigit() else None
    return partner if partner is not None and session_key(partner) == key else None


def serializer() -> URLSafeSerializer:
    """Return the serializer of magic-link tokens."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=MAGIC_LINK_SALT)


def magic_token(partner: Partner, now: datetime) -> str:
    """Sign a short-lived login token for a partner (it dies with a password change, too)."""
    return serializer().dumps({"session": session_key(partner), "issued": int(now.timestamp())})


def partner_for_magic_token(token: str, now: datetime) -> Partner:
    """Return the partner of a valid, unexpired magic-link token, or raise Unauthenticated."""
    try:
        data = serializer().loads(token)
        issued_at = datetime.fromtimestamp(int(data["issued"]), UTC)
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise Unauthenticated("This login link is not valid.") from error
    max_age = timedelta(minutes=current_app.config["MAGIC_LINK_MAX_AGE_MINUTES"])
    partner = partner_for_session(str(data.get("session", "")))
    if not timedelta(0) <= now - issued_at <= max_age or partner is None:
        raise Unauthenticated("This login link has expired; ask for a new one.")
    return partner


def queue_login_email(partner: Partner, email: dict, now: datetime) -> bool:
    """Queue a rendered login email ({"subject", "text", "html"}) to a partner, at most one a minute."""
    minute = int(now.timestamp() // 60)
    payload = {"to": partner.email, "template": "partner_magic_link", **email}
    return add_once(outbox_row("email", f"magic-link:{partner.id}:{minute}", payload, partner.id, now))
