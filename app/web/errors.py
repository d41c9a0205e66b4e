"""Error pages of the web blueprints: refusals and HTTP errors as translated pages, never JSON."""
from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.api.errors import DOMAIN_STATUS
from app.extensions import db
from app.services.errors import DomainError

PAGES = {
    400: (_l("Something is wrong with this request"), _l("Please go back, reload the page and try again.")),
    401: (_l("Please sign in"), _l("This page needs a valid link or a signed-in partner.")),
    403: (_l("Not allowed"), _l("You may not open this page.")),
    404: (_l("Page not found"), _l("This page does not exist, or it is not yours.")),
    405: (_l("Not allowed"), _l("This page cannot be used this way.")),
    409: (_l("That is not possible now"), _l("The change does not fit the current state. Please reload the page.")),
    413: (_l("Too much data"), _l("Please send less text.")),
    422: (_l("Please check your input"), _l("Some fields are not valid.")),
    429: (_l("Too many attempts"), _l("Please wait a while before you try again.")),
    500: (_l("Something went wrong on our side"), _l("Nothing was changed. Please try again in a moment.")),
}
EXPIRED_FORM = (_l("This form has expired"), _l("Please go back, reload the page and submit the form again."))


def error_page(status: int, title=None, text=None):
    """Render the error page for a status."""
    default_title, default_text = PAGES.get(status, PAGES[400])
    page = render_template("errors/page.html", title=title or default_title, text=text or default_text)
    return page, status


def http_error(error: HTTPException):
    """Render an HTTP error (including a rejected CSRF token and a rate limit) as a page."""
    db.session.rollback()
    if isinstance(error, CSRFError):
        return error_page(400, *EXPIRED_FORM)
    return error_page(error.code or 500)


def domain_error(error: DomainError):
    """Render a refusal of the services that no view handled as a page."""
    db.session.rollback()
    status = next(code for cls, code in DOMAIN_STATUS.items() if isinstance(error, cls))
    return error_page(status)


def install_error_pages(blueprint: Blueprint) -> None:
    """Make a web blueprint answer errors with pages."""
    blueprint.register_error_handler(HTTPException, http_error)
    blueprint.register_error_handler(DomainError, domain_error)
