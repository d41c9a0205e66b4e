"""Forms of the public pages: catalogue search, requests, the client's link, messages and reviews."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectChoice, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.web import choices
from app.web.choices import CURRENCIES
from app.web.forms.validation import compact
from app.web.honeypot import PublicForm


class SearchForm(FlaskForm):
    """The catalogue filters (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    service = SelectField(_l("Service"), validate_choice=False)
    country = SelectField(_l("Country"), validate_choice=False)
    language = SelectField(_l("Language"), validate_choice=False)
    type = SelectField(_l("Type"), choices=choices.any_type(), validate_choice=False)
    tier = SelectField(_l("Tier"), choices=choices.any_tier(), validate_choice=False)
    q = StringField(_l("Name contains"), [Optional(), Length(max=100)])

    def fill_choices(self) -> "SearchForm":
        """Load the option lists in the page language."""
        self.service.choices = choices.service_choices()
        self.country.choices = choices.country_choices()
        self.language.choices = choices.language_choices()
        return self

    def filters(self) -> dict:
        """Return the filters given, as the catalogue search takes them."""
        return compact({name: self[name].data for name in ("service", "country", "language", "type", "tier", "q")})


class RequestForm(PublicForm):
    """A request to one partner: the client's contact details and the project."""

    client_name = StringField(_l("Your name"), [DataRequired(), Length(max=200)], render_kw={"autocomplete": "name"})
    client_email = EmailField(_l("Email"), [DataRequired(), Email()], render_kw={"autocomplete": "email"})
    client_phone = TelField(_l("Phone (optional)"), [Optional(), Length(max=40)], render_kw={"autocomplete": "tel"})
    client_country = SelectField(_l("Your country (optional)"), validate_choice=False)
    project_title = StringField(_l("Project title"), [DataRequired(), Length(max=200)])
    project_description = TextAreaField(_l("What do you need?"), [Optional(), Length(max=10_000)])
    project_budget_amount = StringField(_l("Budget (optional)"), render_kw={"inputmode": "decimal"})
    project_budget_currency = SelectField(_l("Currency"), choices=[SelectChoice(code) for code in CURRENCIES],
                                          validate_choice=False)

    def fill_choices(self) -> "RequestForm":
        """Load the option lists in the page language."""
        self.client_country.choices = choices.country_choices(first=("", "—"))
        return self

    def payload(self, language: str) -> dict:
        """Return the request as the intake takes it, in the page language."""
        amount = (self.project_budget_amount.data or "").strip()
        budget = {"amount": amount, "currency": self.project_budget_currency.data} if amount else {}
        return compact({
            "client": {"name": self.client_name.data, "email": self.client_email.data,
                       "phone": self.client_phone.data, "country": self.client_country.data, "language": language},
            "project": {"title": self.project_title.data, "description": self.project_description.data,
                        "budget": budget},
        })


class FindForm(RequestForm):
    """The find-a-partner form: a request plus the filters partners must pass."""

    filters_service = SelectField(_l("Service"), [DataRequired()], validate_choice=False)
    filters_country = SelectField(_l("Partner's country"), validate_choice=False)
    filters_language = SelectField(_l("Language you want to speak"), validate_choice=False)
    filters_type = SelectField(_l("Type"), choices=choices.any_type(), validate_choice=False)
    filters_tier = SelectField(_l("Tier"), choices=choices.any_tier(), validate_choice=False)

    def fill_choices(self) -> "FindForm":
        """Load the option lists in the page language."""
        super().fill_choices()
        self.filters_service.choices = choices.service_choices(first=("", _l("Choose a service")))
        self.filters_country.choices = choices.country_choices()
        self.filters_language.choices = choices.language_choices()
        return self

    def payload(self, language: str) -> dict:
        """Return the request with its filters."""
        filters = {name: self[f"filters_{name}"].data for name in ("service", "country", "language", "type", "tier")}
        return super().payload(language) | {"filters": compact(filters)}


class ClientLinkForm(PublicForm):
    """Ask for a fresh link to one's requests."""

    email = EmailField(_l("Email"), [DataRequired(), Email()], render_kw={"autocomplete": "email"})


class ActionForm(FlaskForm):
    """A button-only form: just the CSRF token."""


class MessageForm(FlaskForm):
    """A message on a deal."""

    body = TextAreaField(_l("Message"), [DataRequired(), Length(max=10_000)])


class ReviewForm(FlaskForm):
    """A review of a won deal."""

    rating = RadioField(_l("Rating"), [DataRequired()], choices=choices.options((n, n) for n in "54321"))
    text = TextAreaField(_l("Your review (optional)"), [Optional(), Length(max=5_000)])
