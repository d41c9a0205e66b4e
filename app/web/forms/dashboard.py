"""Forms of the partner's dashboard: sign-in, deal moves and messages, templates, hours, pipelines, settings."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional

from app.web.choices import CURRENCIES, OFFER_SOURCES, options
from app.web.forms.validation import compact
from app.web.languages import LANGUAGES
from pipelines.business_hours import WEEKDAY_KEYS


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), [DataRequired(), Email()], render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), [DataRequired()], render_kw={"autocomplete": "current-password"})


class MagicLinkForm(FlaskForm):
    """Ask for a sign-in link by email."""

    email = EmailField(_l("Email"), [DataRequired(), Email()], render_kw={"autocomplete": "username"})


class MoveForm(FlaskForm):
    """Move a deal to another status, with the amount or reason that status needs."""

    amount = StringField(_l("Amount"), render_kw={"inputmode": "decimal"})
    lost_reason = StringField(_l("Reason"), [Optional(), Length(max=200)])

    def payload(self, status: str) -> dict:
        """Return the change as the deal service takes it."""
        return compact({"status": status, "amount": self.amount.data, "lost_reason": self.lost_reason.data})


class DealMessageForm(FlaskForm):
    """A message to the client, typed or from a quick response."""

    body = TextAreaField(_l("Message"), [Optional(), Length(max=10_000)])
    template_id = SelectField(_l("Quick response"), [Optional()], coerce=int, validate_choice=False)

    def payload(self) -> dict:
        """Return the message as the deal service takes it."""
        return compact({"body": self.body.data, "template_id": self.template_id.data or None})


class LabelsForm(FlaskForm):
    """A deal's free labels, separated by commas."""

    labels = StringField(_l("Labels"), [Optional(), Length(max=1_000)])

    def payload(self) -> dict:
        """Return the labels as the deal service takes them."""
        return {"labels": [label.strip() for label in (self.labels.data or "").split(",") if label.strip()]}


class ContactMessageForm(FlaskForm):
    """A message to a past client, which opens a new deal."""

    body = TextAreaField(_l("Message"), [DataRequired(), Length(max=10_000)])

    def payload(self) -> dict:
        """Return the message as the contacts service takes it."""
        return {"body": self.body.data}


class ContactOfferForm(FlaskForm):
    """An offer to a past client, paid directly; it opens a new deal."""

    amount = StringField(_l("Amount"), [DataRequired()], render_kw={"inputmode": "decimal"})
    currency = SelectField(_l("Currency"), choices=[SelectChoice(code) for code in CURRENCIES])
    description = TextAreaField(_l("What the offer covers"), [Optional(), Length(max=2_000)])

    def payload(self) -> dict:
        """Return the offer as the offers service takes it."""
        return {"amount": {"amount": self.amount.data, "currency": self.currency.data},
                "description": self.description.data or "", "source": "direct"}


class OfferForm(ContactOfferForm):
    """An offer on a deal the client can accept and pay, directly or through a platform."""

    source = SelectField(_l("Paid"), choices=options(OFFER_SOURCES))

    def payload(self) -> dict:
        """Return the offer as the offers service takes it."""
        return super().payload() | {"source": self.source.data}


class TemplateForm(FlaskForm):
    """A quick response."""

    name = StringField(_l("Name"), [DataRequired(), Length(max=100)])
    body = TextAreaField(_l("Text"), [DataRequired(), Length(max=5_000)])

    def payload(self) -> dict:
        """Return the template fields."""
        return {"name": self.name.data, "body": self.body.data}


class PipelineForm(FlaskForm):
    """A pipeline's name and place."""

    name = StringField(_l("Name"), [DataRequired(), Length(max=100)])
    position = IntegerField(_l("Position (optional)"), [Optional(), NumberRange(min=0, max=10_000)])

    def payload(self) -> dict:
        """Return the pipeline fields given."""
        return compact({"name": self.name.data, "position": self.position.data})


class AutoReplyForm(FlaskForm):
    """Business hours (one field a day: "09:00-13:00, 14:00-18:00") and the away message."""

    enabled = BooleanField(_l("Send the away message outside business hours"))
    away = BooleanField(_l("I am away now (send it at any time)"))
    message = TextAreaField(_l("Away message"), [Optional(), Length(max=2_000)])

    def hours(self) -> dict[str, list[dict]]:
        """Return the hours per weekday as spans; a malformed day raises ValueError naming it."""
        return {day: spans(self[f"hours_{day}"].data or "", day) for day in WEEKDAY_KEYS}

    def day_fields(self, names: list[str]) -> list:
        """Return the weekday fields, labelled with the given day names."""
        fields = [self[f"hours_{day}"] for day in WEEKDAY_KEYS]
        for field, name in zip(fields, names, strict=True):
            field.label.text = name
        return fields

    def payload(self) -> dict:
        """Return the settings as the auto-reply service takes them."""
        return {"enabled": self.enabled.data, "away": self.away.data, "message": self.message.data or "",
                "hours": self.hours()}

    def show(self, settings: dict) -> None:
        """Fill the form from saved settings."""
        self.enabled.data, self.away.data = settings["enabled"], settings["away"]
        self.message.data = settings["message"]
        for day in WEEKDAY_KEYS:
            self[f"hours_{day}"].data = ", ".join(f"{s['start']}-{s['end']}" for s in settings["hours"].get(day, []))


for _day in WEEKDAY_KEYS:
    setattr(AutoReplyForm, f"hours_{_day}", StringField(_day, [Optional(), Length(max=100)]))


def spans(text: str, day: str) -> list[dict]:
    """Parse "09:00-13:00, 14:00-18:00" into [{"start", "end"}]; raise ValueError(day) when malformed."""
    found = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        start, dash, end = item.partition("-")
        if not dash:
            raise ValueError(day)
        found.append({"start": start.strip(), "end": end.strip()})
    return found


class SettingsForm(FlaskForm):
    """The partner's notifications, availability, webhook and language."""

    notify_new_deals = BooleanField(_l("Email me about new deals"))
    accepting_requests = BooleanField(_l("Accept new requests from the catalogue"))
    webhook_url = URLField(_l("Webhook URL (optional)"), [Optional(), Length(max=2_000)])
    ui_language = SelectField(_l("Dashboard language"), choices=options(LANGUAGES.items()))

    def payload(self) -> dict:
        """Return the profile fields as the catalogue service takes them."""
        return {"notify_new_deals": self.notify_new_deals.data, "accepting_requests": self.accepting_requests.data,
                "webhook_url": (self.webhook_url.data or "").strip() or None}


class PasswordForm(FlaskForm):
    """A new password, twice."""

    password = PasswordField(_l("New password"), [DataRequired()], render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), [DataRequired(), EqualTo("password")],
                            render_kw={"autocomplete": "new-password"})

