"""Rate limits of the public forms and the sign-in, per IP address and per email address (Flask-Limiter)."""
from flask import current_app, request
from flask_limiter.util import get_remote_address

from app.extensions import limiter

EMAIL_FIELDS = ("client_email", "email")


def submitted_email() -> str:
    """Return the limit key of the email address a form names (the IP address when it names none)."""
    for name in EMAIL_FIELDS:
        address = request.form.get(name, "").strip().lower()
        if address:
            return f"email:{address}"
    return f"ip:{get_remote_address()}"


def per_ip() -> str:
    """Return the per-IP limit of form submissions."""
    return current_app.config["WEB_LIMIT_PER_IP"]


def per_email() -> str:
    """Return the per-email limit of form submissions."""
    return current_app.config["WEB_LIMIT_PER_EMAIL"]


def form_limits(scope: str):
    """Limit the POSTs of every view in a scope, per IP and per email address."""
    def decorate(view):
        view = limiter.shared_limit(per_ip, scope=f"{scope}:ip", methods=["POST"])(view)
        return limiter.shared_limit(per_email, scope=f"{scope}:email", key_func=submitted_email,
                                    methods=["POST"])(view)
    return decorate
