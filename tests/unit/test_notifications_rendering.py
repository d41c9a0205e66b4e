"""Every email template renders in every language with a full context."""

import html
import re
from pathlib import Path

import jinja2
import pytest

from notifications.rendering import SUPPORTED_LANGUAGES, environment, render_email, template_language

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "notifications" / "templates"
PARTNERS = [
    {"name": "Studio Nord", "profile_url": "https://crm.example/partners/1"},
    {"name": "Anna Design", "profile_url": "https://crm.example/partners/2"},
]


CONTEXTS: dict[str, dict[str, object]] = {
    "client_confirmation": {
        "client_name": "Maria",
        "project_title": "Shop newsletter",
        "client_link": "https://crm.example/client/tok-123",
        "partners": PARTNERS,
        "mode": "matched",
        "status": "matched",
        "suggestions": [],
    },
    "partner_new_deal": {
        "partner_name": "Studio Nord",
        "client_name": "Maria",
        "client_email": "maria@example.org",
        "client_phone": "+49 30 1234567",
        "project_title": "Shop newsletter",
        "project_description": "A monthly newsletter for our shop.\nAbout 2000 subscribers.",
        "budget": "800.00 EUR",
        "deal_url": "https://crm.example/dashboard/deals/7",
        "mode": "matched",
    },
    "deal_message": {
        "client_name": "Maria",
        "partner_name": "Studio Nord",
        "project_title": "Shop newsletter",
        "body": "Hello Maria,\nwhen can we talk?",
        "client_link": "https://crm.example/client/tok-123",
    },
    "client_message": {
        "partner_name": "Studio Nord",
        "client_name": "Maria",
        "project_title": "Shop newsletter",
        "body": "Tomorrow at 10 works for me.",
        "deal_url": "https://crm.example/dashboard/deals/7",
    },
    "review_request": {
        "client_name": "Maria",
        "partner_name": "Studio Nord",
        "project_title": "Shop newsletter",
        "review_link": "https://crm.example/client/tok-123#review-7",
    },
    "follow_up_alternatives": {
        "client_name": "Maria",
        "project_title": "Shop newsletter",
        "partners": PARTNERS,
        "client_link": "https://crm.example/client/tok-123",
    },
    "client_link": {"client_name": "Maria", "client_link": "https://crm.example/client/tok-123"},
    "offer_made": {
        "client_name": "Maria",
        "partner_name": "Studio Nord",
        "project_title": "Shop newsletter",
        "description": "Design and first send",
        "amount": "800.00 EUR",
        "client_link": "https://crm.example/client/tok-123#offer-3",
    },
    "client_choice": {
        "partner_name": "Studio Nord",
        "client_name": "Maria",
        "project_title": "Shop newsletter",
        "chosen": True,
        "deal_url": "https://crm.example/dashboard/deals/7",
    },
    "payment_reminder": {
        "client_name": "Maria",
        "partner_name": "Studio Nord",
        "project_title": "Shop newsletter",
        "description": "Design and first send",
        "amount": "800.00 EUR",
        "client_link": "https://crm.example/client/tok-123#offer-3",
        "segment": "new_client",
        "paid_offers": 0,
    },
}


def make_context(template: str, **overrides: object) -> dict[str, object]:
    """Return a full context for one template, with overrides."""
    return {**CONTEXTS[template], **overrides}


def shown_values(context: dict[str, object]) -> list[str]:
    """Return every text the email must show: plain strings and the partners' names and links."""
    values = [
        value for key, value in context.items() if isinstance(value, str) and key not in ("mode", "status", "segment")
    ]
    if "partners" in context:
        values += [text for partner in PARTNERS for text in partner.values()]
    return values


TEMPLATES = tuple(CONTEXTS)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_in_every_language(template: str, language: str) -> None:
    context = make_context(template)
    email = render_email(template, language, context)
    assert email.subject.strip() == email.subject and "\n" not in email.subject
    assert "Shop newsletter" in email.subject or template == "client_link"
    assert f'<html lang="{language}"' in email.html
    for value in shown_values(context):
        assert value in email.text
        assert html.escape(value, quote=False) in email.html


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_each_language_ships_the_same_template_files(language: str) -> None:
    english = sorted(path.name for path in (TEMPLATES_DIR / "en").iterdir())
    assert sorted(path.name for path in (TEMPLATES_DIR / language).iterdir()) == english
    assert {f"{name}{suffix}" for name in TEMPLATES for suffix in (".subject.txt", ".txt", ".html")} <= set(
        english
    )


@pytest.mark.parametrize("template", TEMPLATES)
def test_missing_variable_raises(template: str) -> None:
    context = make_context(template)
    del context["client_name"]
    with pytest.raises(jinja2.UndefinedError):
        render_email(template, "en", context)


def test_persian_is_right_to_left() -> None:
    email = render_email("client_link", "fa", make_context("client_link"))
    assert '<html lang="fa" dir="rtl">' in email.html


@pytest.mark.parametrize("language", [None, "", "de", "pt-BR", "xx"])
def test_unknown_language_falls_back_to_english(language: str | None) -> None:
    email = render_email("client_link", language, make_context("client_link"))
    assert '<html lang="en">' in email.html
    assert email.subject == "Your link to your requests"


@pytest.mark.parametrize(
    ("requested", "chosen"), [("ru", "ru"), ("ru-RU", "ru"), ("ZH_cn", "zh"), ("fa", "fa")]
)
def test_language_tags_use_their_primary_subtag(requested: str, chosen: str) -> None:
    assert template_language("client_link", requested) == chosen


def test_language_without_that_template_falls_back_to_english() -> None:
    assert template_language("no_such_template", "ru") == "en"


def test_unknown_template_raises() -> None:
    with pytest.raises(jinja2.TemplateNotFound):
        render_email("no_such_template", "en", {})


def test_html_is_escaped_and_text_is_not() -> None:
    context = make_context("deal_message", partner_name="<b>Nord & Co</b>", body="<script>alert(1)</script>")
    email = render_email("deal_message", "en", context)
    assert "&lt;script&gt;" in email.html and "<script>" not in email.html
    assert "&lt;b&gt;Nord &amp; Co&lt;/b&gt;" in email.html
    assert "<script>alert(1)</script>" in email.text
    assert "<b>Nord & Co</b>" in email.subject


def test_subject_is_one_line_even_with_a_multiline_title() -> None:
    context = make_context("review_request", project_title="Shop\r\nBcc: evil@example.org")
    assert render_email("review_request", "en", context).subject == (
        "How did “Shop Bcc: evil@example.org” go with Studio Nord?"
    )


def test_direct_matched_confirmation_names_the_chosen_partner() -> None:
    context = make_context("client_confirmation", mode="direct", partners=PARTNERS[:1])
    email = render_email("client_confirmation", "en", context)
    assert "the partner you chose" in email.text
    assert "Studio Nord: https://crm.example/partners/1" in email.text
    assert 'href="https://crm.example/partners/1"' in email.html
    assert email.subject == "Your request “Shop newsletter” is on its way"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_unmatched_confirmation_lists_the_suggestions(language: str) -> None:
    suggestions = [{"filter": "tier", "would_find": 1}, {"filter": "country", "would_find": 4}]
    context = make_context("client_confirmation", status="unmatched", partners=[], suggestions=suggestions)
    email = render_email("client_confirmation", language, context)
    assert re.search(r"\b4\b", email.text) and re.search(r"\b4\b", email.html)
    assert "crm.example/partners" not in email.text


def test_unmatched_confirmation_translates_filter_names() -> None:
    suggestions = [{"filter": "type", "would_find": 2}]
    context = make_context("client_confirmation", status="unmatched", partners=[], suggestions=suggestions)
    assert (
        "without the partner type filter: 2 partners"
        in render_email("client_confirmation", "en", context).text
    )
    assert "«тип партнёра»" in render_email("client_confirmation", "ru", context).text


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_new_deal_without_phone_or_budget(language: str) -> None:
    context = make_context("partner_new_deal", client_phone=None, budget=None, mode="direct")
    email = render_email("partner_new_deal", language, context)
    assert "+49" not in email.text and "tel:" not in email.html
    assert "None" not in email.text and "None" not in email.html


def test_new_deal_shows_contacts_and_budget() -> None:
    email = render_email("partner_new_deal", "en", make_context("partner_new_deal"))
    assert "Budget: 800.00 EUR" in email.text
    assert "Phone: +49 30 1234567" in email.text
    assert 'href="tel:+49301234567"' in email.html
    assert 'href="mailto:maria@example.org"' in email.html


def test_environment_is_built_once() -> None:
    assert environment() is environment()
