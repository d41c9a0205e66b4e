"""The page language: the visitor's choice (?lang=, kept in the session or profile), then Accept-Language."""
from flask import Flask, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user

from app.extensions import db
from app.services.web_preferences import set_partner_language

LANGUAGES = {"en": "English", "ru": "Русский", "fa": "فارسی", "zh": "中文"}
RIGHT_TO_LEFT = frozenset({"fa"})
DEFAULT_LANGUAGE = "en"


def chosen_language() -> str | None:
    """Return a supported language given with ?lang=, if any."""
    code = request.args.get("lang", "")
    return code if code in LANGUAGES else None


def remember_choice() -> None:
    """Keep a ?lang= choice in the session and, for a signed-in partner, in its profile."""
    code = chosen_language()
    if code is None:
        return
    session["lang"] = code
    if current_user.is_authenticated and current_user.ui_language != code:
        set_partner_language(current_user.id, code)
        db.session.commit()


def select_locale() -> str:
    """Pick the page language: choice, session, partner profile, then Accept-Language."""
    partner_language = current_user.ui_language if current_user.is_authenticated else None
    for code in (chosen_language(), session.get("lang"), partner_language):
        if code in LANGUAGES:
            return code
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT_LANGUAGE)


def select_timezone() -> str:
    """Show times in a signed-in partner's zone, else in UTC."""
    return current_user.timezone if current_user.is_authenticated else "UTC"


def page_language() -> str:
    """Return the language of the current page."""
    return str(get_locale() or DEFAULT_LANGUAGE)


def language_url(code: str) -> str:
    """Return the current page's URL in another language (query kept)."""
    args = request.args.to_dict(flat=False) | {"lang": code}
    return url_for(request.endpoint or "web_site.home", **(request.view_args or {}), **args)


def language_context() -> dict:
    """Give templates the page language, its direction and the switch."""
    code = page_language()
    return {"page_language": code, "text_direction": "rtl" if code in RIGHT_TO_LEFT else "ltr",
            "languages": LANGUAGES, "language_url": language_url}


def install_languages(app: Flask) -> None:
    """Give every template the page language."""
    app.context_processor(language_context)
