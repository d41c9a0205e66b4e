"""Emails the web pages send themselves: the partner's sign-in link, in the partner's language."""
from datetime import datetime

from flask import render_template, url_for
from flask_babel import force_locale

from app.models import Partner
from app.services import accounts
from app.services.links import public_url
from app.web.languages import DEFAULT_LANGUAGE, LANGUAGES


def sign_in_email(partner: Partner, now: datetime) -> dict:
    """Render the subject, text and html of a partner's magic sign-in link."""
    link = public_url(url_for("web_accounts.magic", token=accounts.magic_token(partner, now)))
    language = partner.ui_language if partner.ui_language in LANGUAGES else DEFAULT_LANGUAGE
    context = {"partner_name": partner.name, "link": link}
    with force_locale(language):
        subject = render_template("emails/sign_in_link.subject.txt", **context)
        return {"subject": " ".join(subject.split()), "text": render_template("emails/sign_in_link.txt", **context),
                "html": render_template("emails/sign_in_link.html", **context)}
