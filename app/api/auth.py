"""Bearer-token authentication: the admin token and partner tokens."""
import hmac
from functools import wraps

from flask import abort, current_app, g, request

from app.services.tenancy import acting_as
from app.services.tokens import partner_for_token


def bearer_token() -> str | None:
    """Return the bearer token of the current request, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def is_admin(token: str | None) -> bool:
    """Tell whether the token is the configured admin token."""
    admin = current_app.config.get("ADMIN_TOKEN")
    return bool(admin and token and hmac.compare_digest(admin.encode(), token.encode()))


def authenticate() -> None:
    """Resolve the caller into g.is_admin / g.partner_id, or answer 401."""
    token = bearer_token()
    if token is None:
        abort(401, "A bearer token is required.")
    g.is_admin = is_admin(token)
    g.partner_id = None if g.is_admin else partner_for_token(token)
    if not g.is_admin and g.partner_id is None:
        abort(401, "The token is not valid.")


def admin_required(view):
    """Let only the admin token through."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        authenticate()
        if not g.is_admin:
            abort(403, "This needs the admin token.")
        return view(*args, **kwargs)
    return wrapper


def partner_required(view):
    """Let only partner tokens through; g.partner_id names the caller."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        authenticate()
        if g.is_admin:
            abort(403, "This needs a partner token.")
        with acting_as(g.partner_id):
            return view(*args, **kwargs)
    return wrapper


def admin_or_partner_required(view):
    """Let the admin or the partner named by `partner_id` through."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        authenticate()
        if not g.is_admin and g.partner_id != kwargs.get("partner_id"):
            abort(403, "A partner may change only its own profile.")
        return view(*args, **kwargs)
    return wrapper
