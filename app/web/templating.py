"""Template helpers: names in the page language, money, ratings, durations and page links."""
from decimal import Decimal

from flask import Flask, request, url_for
from flask_babel import format_currency, format_decimal, gettext, ngettext

from app.web import choices
from pipelines.transitions import Status, allowed_targets


def money(value: dict | None) -> str:
    """Format contract money ({"amount", "currency"}) in the page language."""
    if not value or value.get("amount") is None:
        return ""
    return format_currency(Decimal(str(value["amount"])), value["currency"])


def hours(value: float | None) -> str:
    """Format a number of hours ("3.5 h"), or a dash when unknown."""
    return "—" if value is None else gettext("%(hours)s h", hours=format_decimal(round(value, 1)))


def duration(seconds: int | None) -> str:
    """Format how long something lasted, in days, hours or minutes."""
    if seconds is None:
        return ""
    if seconds >= 86_400:
        return ngettext("%(num)d day", "%(num)d days", seconds // 86_400)
    if seconds >= 3_600:
        return ngettext("%(num)d hour", "%(num)d hours", seconds // 3_600)
    return ngettext("%(num)d minute", "%(num)d minutes", max(seconds // 60, 1))


def percent(value: float | None) -> str:
    """Format a rate between 0 and 1 as a percentage, or a dash."""
    return "—" if value is None else f"{format_decimal(round(value * 100))} %"


def page_url(page: int) -> str:
    """Return the current page's URL showing another page of results (query kept)."""
    args = request.args.to_dict(flat=False) | {"page": page}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def allowed_moves(status: str) -> tuple[str, ...]:
    """Return the statuses a deal in `status` may move to."""
    return allowed_targets(Status(status))


def install_template_helpers(app: Flask) -> None:
    """Register the helpers as jinja filters and globals."""
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(money=money, hours=hours, duration=duration, percent=percent,
                                 country_name=choices.country_name, language_name=choices.language_name,
                                 service_name=choices.service_name)
    app.jinja_env.globals.update(
        page_url=page_url, label=choices.label, allowed_moves=allowed_moves, weekday_names=choices.weekday_names,
        STATUSES=choices.STATUSES, PARTNER_TYPES=choices.PARTNER_TYPES, TIERS=choices.TIERS, ACTORS=choices.ACTORS,
        filter_names=choices.FILTER_LABELS)
