"""Render email template triplets (subject, text, html) in the reader's language."""

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2

SUPPORTED_LANGUAGES = ("en", "ru", "fa", "zh")
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class RenderedEmail:
    """The three rendered parts of one email."""

    subject: str
    text: str
    html: str


@functools.cache
def environment() -> jinja2.Environment:
    """Return the shared template environment, built on first use."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("notifications", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # shipped with the package: no stat() of three files per email
    )


@functools.cache
def available_templates() -> frozenset[str]:
    """Return the names of all templates shipped with the package."""
    return frozenset(environment().list_templates())


def template_language(template: str, language: str | None) -> str:
    """Pick the language to render in: the requested one if it has the template, else English."""
    primary = (language or "").replace("_", "-").split("-", 1)[0].lower()
    if primary in SUPPORTED_LANGUAGES and f"{primary}/{template}.subject.txt" in available_templates():
        return primary
    return DEFAULT_LANGUAGE


def rendered_payload(payload: Mapping[str, Any]) -> RenderedEmail:
    """Return an outbox email's parts: rendered now from its template and context, or as queued when rendered."""
    if "context" in payload:
        return render_email(payload["template"], payload.get("language"), payload["context"])
    return RenderedEmail(subject=payload["subject"], text=payload["text"], html=payload["html"])


def render_email(template: str, language: str | None, context: Mapping[str, Any]) -> RenderedEmail:
    """Render a template triplet; a missing context variable raises jinja2.UndefinedError."""
    env = environment()
    prefix = f"{template_language(template, language)}/{template}"
    subject = env.get_template(f"{prefix}.subject.txt").render(context)
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=env.get_template(f"{prefix}.txt").render(context),
        html=env.get_template(f"{prefix}.html").render(context),
    )
