"""Partner API tokens: issued once, stored as hashes, revocable."""
import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, Partner
from app.services.errors import NotFound

TOKEN_PREFIX = "lp_"


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest stored for a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(partner_id: int, now: datetime) -> str:
    """Create a new token for a partner and return it (shown once)."""
    if db.session.get(Partner, partner_id) is None:
        raise NotFound(f"Partner {partner_id} does not exist.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(partner_id=partner_id, token_hash=token_hash(token), created_at=now))
    db.session.flush()
    return token


def partner_for_token(token: str) -> int | None:
    """Return the partner id of a live token, or None."""
    row = db.session.execute(
        select(ApiToken.partner_id).where(ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None))
    ).first()
    return row.partner_id if row else None


def revoke_token(token: str, now: datetime) -> bool:
    """Revoke a token; tell whether it was live."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    db.session.flush()
    return True
