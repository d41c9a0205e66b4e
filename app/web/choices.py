"""Option lists of the forms, with names in the page language (from the CLDR data Babel ships)."""
from functools import cache

import pycountry
from flask import g
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from app.services import catalogue

ANY = ("", _l("Any"))
PARTNER_TYPES = (("agency", _l("Agency")), ("freelancer", _l("Freelancer")))
TIERS = (("bronze", _l("Bronze")), ("silver", _l("Silver")), ("gold", _l("Gold")), ("platinum", _l("Platinum")))
STATUSES = (("new", _l("New")), ("in_progress", _l("In progress")), ("won", _l("Won")), ("lost", _l("Lost")))
FILTER_LABELS = {"service": _l("service"), "country": _l("country"), "language": _l("language"), "type": _l("type"),
                 "tier": _l("tier")}
ACTORS = (("partner", _l("You")), ("client", _l("Client")), ("system", _l("System")))
OFFER_SOURCES = (("direct", _l("directly to me")), ("platform", _l("through the platform")))
SORTS = (("orders", _l("Completed orders")), ("amount", _l("Amount spent")), ("last_order", _l("Last order")),
         ("name", _l("Name")))
CURRENCIES = ("EUR", "USD", "GBP", "CNY", "RUB", "IRR", "PLN", "UAH", "KZT", "BRL", "CHF")


def options(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs into select options."""
    return [SelectChoice(value, label) for value, label in pairs]


def any_type() -> list[SelectChoice]:
    """Return the partner type options, "any" first."""
    return options([ANY, *PARTNER_TYPES])


def any_tier() -> list[SelectChoice]:
    """Return the tier options, "any" first."""
    return options([ANY, *TIERS])


@cache
def country_codes() -> tuple[str, ...]:
    """Return every ISO 3166-1 alpha-2 code."""
    return tuple(country.alpha_2 for country in pycountry.countries)


@cache
def language_codes() -> tuple[str, ...]:
    """Return every ISO 639-1 code."""
    return tuple(language.alpha_2 for language in pycountry.languages if hasattr(language, "alpha_2"))


def country_name(code: str | None) -> str:
    """Return a country's name in the page language."""
    return get_locale().territories.get(code or "", code or "")


def language_name(code: str | None) -> str:
    """Return a language's name in the page language."""
    return get_locale().languages.get(code or "", code or "")


def named(codes, name) -> list[tuple[str, str]]:
    """Return (code, name) pairs sorted by name."""
    return sorted(((code, name(code)) for code in codes), key=lambda pair: pair[1].casefold())


def country_choices(first=ANY) -> list[SelectChoice]:
    """Return the country options after a first blank option ("any")."""
    return options([first, *named(country_codes(), country_name)])


def language_choices() -> list[SelectChoice]:
    """Return the language options, "any" first."""
    return options([ANY, *named(language_codes(), language_name)])


def service_choices(first=ANY) -> list[SelectChoice]:
    """Return the services offered in the catalogue, after a first blank option."""
    return options([first, *service_names().items()])


def service_name(slug: str) -> str:
    """Return a service's name by its slug."""
    return service_names().get(slug, slug)


def service_names() -> dict[str, str]:
    """Return every service's name by slug, in list order, read once a request (search form and cards alike)."""
    if "service_names" not in g:
        g.service_names = {service.slug: service.name for service in catalogue.list_services()}
    return g.service_names


def weekday_names() -> list[str]:
    """Return the names of the days, Monday first, in the page language."""
    return [get_locale().days["format"]["wide"][number] for number in range(7)]


def label(options, value: str | None) -> str:
    """Return the display name of a value in a fixed option list."""
    return str(dict(options).get(value, value or ""))
