"""Bot traps of the public forms: a honeypot field and a minimum fill time (a signed start stamp)."""
from datetime import datetime

from flask import current_app
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import HiddenField, StringField

STAMP_SALT = "form-started"


def serializer() -> URLSafeSerializer:
    """Return the serializer of form start stamps."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=STAMP_SALT)


class PublicForm(FlaskForm):
    """A form anyone may submit: a hidden field people leave empty, and the moment it was shown."""

    website = StringField("Website", render_kw={"autocomplete": "off", "tabindex": "-1"})
    started = HiddenField()

    def stamp(self, now: datetime) -> None:
        """Sign the moment the form is shown."""
        self.started.data = serializer().dumps(now.timestamp())

    def seconds_taken(self, now: datetime) -> float | None:
        """Return how long the visitor took, or None for a missing or forged stamp."""
        try:
            return now.timestamp() - float(serializer().loads(self.started.data or ""))
        except (BadSignature, TypeError, ValueError):
            return None

    def looks_automated(self, now: datetime) -> bool:
        """Tell whether the honeypot is filled or the form came back too fast (or without its stamp)."""
        taken = self.seconds_taken(now)
        return bool(self.website.data) or taken is None or taken < current_app.config["FORM_MIN_FILL_SECONDS"]
