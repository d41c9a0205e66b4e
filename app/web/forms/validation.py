"""Run a form's data through the API's schema and the services, and show every refusal next to its field."""
from collections.abc import Callable
from typing import TypeVar

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import Schema, ValidationError

from app.api.errors import flatten_messages
from app.extensions import db
from app.services.errors import Conflict, Invalid

T = TypeVar("T")

# Messages of the schemas and services that pages show translated (the msgid is the English text).
KNOWN_MESSAGES = (
    _l("Missing data for required field."), _l("Not a valid integer."), _l("Not a valid number."),
    _l("Not a valid email address."), _l("Not an ISO 3166-1 alpha-2 country code."),
    _l("Not an ISO 639-1 language code."), _l("Not an ISO 4217 currency code."), _l("Not an IANA time zone."),
    _l("A won deal needs an amount."), _l("A lost deal needs a reason."), _l("Give the currency of the amount."),
    _l("Must point at a public address."), _l("Not a valid URL."), _l("Use HH:MM."),
    _l("An enabled auto-reply needs a message."), _l("Use at least 10 characters."),
    _l("Must be greater than or equal to 0 and less than or equal to 9999999999.99."),
    _l("The email address is not valid. It must have exactly one @-sign."),
    _l("Only a won deal can be reviewed."), _l("This deal has been reviewed already."),
    _l("The request went to some of these partners already."),
    _l("This suggestion is not offered (any more) for this request."),
    _l("A request can be marked as spam only within 24 hours of its arrival."),
    _l("Give either body or template_id."), _l("Length must be between 1 and 40."),
    _l("Longer than maximum length 20."), _l("Set a webhook URL first."),
    _l("This partner was not offered for this request."), _l("The choice can be changed only within 7 days."),
)


def translated(message: str) -> str:
    """Translate a known schema or service message; others stay as they are."""
    return gettext(message) if message else message


def field_for(form: FlaskForm, dotted: str):
    """Return the form field a dotted name ("client.email") belongs to, or None."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        field = form._fields.get("_".join(parts[:end]))
        if field is not None:
            return field
    return None


def show_errors(form: FlaskForm, fields: dict[str, list[str]]) -> None:
    """Put each message next to its field; messages of no field go to the form's own list."""
    for name, messages in fields.items():
        field = field_for(form, name)
        target = form.form_errors if field is None else field.errors
        if field is not None and not isinstance(field.errors, list):
            field.errors = target = list(field.errors)
        target.extend(translated(message) for message in messages)


def load_into(form: FlaskForm, schema: Schema, payload: dict) -> dict | None:
    """Validate a payload with a schema; on refusal show the messages on the form and return None."""
    try:
        return schema.load(payload)
    except ValidationError as error:
        show_errors(form, flatten_messages(error.messages))
        return None


def compact(values: dict) -> dict:
    """Drop empty values (blank inputs), recursively, so the schema sees only what was given."""
    kept = {}
    for key, value in values.items():
        value = compact(value) if isinstance(value, dict) else value.strip() if isinstance(value, str) else value
        if value not in (None, "", {}):
            kept[key] = value
    return kept


def attempt(form: FlaskForm, action: Callable[[], T]) -> T | None:
    """Run a service call; on a refusal (Invalid, Conflict) roll back, show it on the form and return None."""
    try:
        return action()
    except Invalid as error:
        db.session.rollback()
        show_errors(form, error.fields)
    except Conflict as error:
        db.session.rollback()
        form.form_errors.append(translated(error.message))
    return None
