"""Settings: the only place that reads os.environ."""
import os
import secrets
from pathlib import Path

DEFAULTS = {
    "ADMIN_TOKEN": None,
    "MAIL_URL": "console://",
    "MAIL_FROM": "no-reply@localhost",
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    "FOLLOW_UP_AFTER_HOURS": 72,
    "RESPONSIVENESS_WINDOW_DAYS": 60,
    "WEBHOOK_ALLOW_PRIVATE": False,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "REMINDER_DELAY_HOURS": 2,
    "RECONNECT_DAILY_CAP": 20,
    "PAYMENT_WEBHOOK_SECRET": None,
    "METRICS_TOKEN": None,
    "PROMETHEUS_MULTIPROC_DIR": None,
    "OUTBOX_STUCK_MINUTES": 15,
    "LOG_LEVEL": "INFO",
    "PROXY_FIX_X_FOR": 0,
    "OUTBOX_LEASE_SECONDS": 300,
    "CLIENT_LINK_MAX_AGE_DAYS": 90,
    "RESPONSE_TARGET_HOURS": {"general": 24.0, "refund": 48.0},
    "FORM_MIN_FILL_SECONDS": 3,
    "WEB_LIMIT_PER_IP": "20 per hour",
    "WEB_LIMIT_PER_EMAIL": "5 per hour",
    "MAGIC_LINK_MAX_AGE_MINUTES": 15,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
}
BOOLEAN = {"WEBHOOK_ALLOW_PRIVATE", "RATELIMIT_ENABLED", "SESSION_COOKIE_SECURE"}
INTEGER = {
    "FOLLOW_UP_AFTER_HOURS", "RESPONSIVENESS_WINDOW_DAYS", "REMINDER_DELAY_HOURS",
    "RECONNECT_DAILY_CAP", "OUTBOX_LEASE_SECONDS", "CLIENT_LINK_MAX_AGE_DAYS", "OUTBOX_STUCK_MINUTES",
    "PROXY_FIX_X_FOR", "FORM_MIN_FILL_SECONDS", "MAGIC_LINK_MAX_AGE_MINUTES",
}


def response_targets(text: str) -> dict[str, float]:
    """Parse "general=24,refund=48" into per-category response targets in hours."""
    pairs = (item.split("=", 1) for item in text.split(",") if item.strip())
    return {category.strip(): float(hours) for category, hours in pairs}


def parse_value(name: str, raw: str):
    """Convert one environment string to the setting's type."""
    if name in BOOLEAN:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if name in INTEGER:
        return int(raw)
    if name == "RESPONSE_TARGET_HOURS":
        return response_targets(raw)
    return raw


def load_settings(instance_path: str, environ=None) -> dict:
    """Return the settings from the environment, with defaults."""
    environ = os.environ if environ is None else environ
    settings = {
        name: parse_value(name, environ[name]) if name in environ else default
        for name, default in DEFAULTS.items()
    }
    settings["SQLALCHEMY_DATABASE_URI"] = environ.get("DATABASE_URL") or default_database_url(instance_path)
    settings["SECRET_KEY"] = environ.get("SECRET_KEY") or installation_secret(instance_path)
    return settings


def default_database_url(instance_path: str) -> str:
    """Return the SQLite file under instance/."""
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / 'leadpipe.sqlite3'}"


def installation_secret(instance_path: str) -> str:
    """Return this installation's random secret, creating it once."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
