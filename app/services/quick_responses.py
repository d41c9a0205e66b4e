"""Quick responses: templates with placeholders, checked when saved, filled when sent."""
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import Deal, QuickResponse
from app.services.errors import Invalid
from app.services.tenancy import owned
from pipelines.quick_responses import PLACEHOLDERS, fill, unknown_placeholders


def check_body(body: str) -> None:
    """Refuse a template with unknown or malformed placeholders."""
    problems = unknown_placeholders(body)
    if problems:
        allowed = ", ".join("{" + name + "}" for name in sorted(PLACEHOLDERS))
        raise Invalid("Unknown placeholder.", {"body": [f"Unknown placeholder {', '.join(problems)}; use {allowed}."]})


def list_templates() -> list[QuickResponse]:
    """Return the acting partner's templates by name."""
    return list(db.session.scalars(select(QuickResponse).order_by(QuickResponse.name, QuickResponse.id)))


def create_template(partner_id: int, name: str, body: str, now: datetime) -> QuickResponse:
    """Save a new template."""
    check_body(body)
    template = QuickResponse(partner_id=partner_id, name=name, body=body, created_at=now, updated_at=now)
    db.session.add(template)
    db.session.flush()
    return template


def update_template(template_id: int, changes: dict, now: datetime) -> QuickResponse:
    """Change a template's name or body."""
    template = owned(QuickResponse, template_id)
    if "body" in changes:
        check_body(changes["body"])
    for name in ("name", "body"):
        if name in changes:
            setattr(template, name, changes[name])
    template.updated_at = now
    db.session.flush()
    return template


def delete_template(template_id: int) -> None:
    """Delete a template."""
    db.session.delete(owned(QuickResponse, template_id))
    db.session.flush()


def render_for(template_id: int, deal: Deal) -> str:
    """Fill a template with a deal's values."""
    template = owned(QuickResponse, template_id)
    return fill(template.body, {
        "client_name": deal.client.name, "partner_name": deal.partner.name, "project_title": deal.title,
        "project_budget": "" if deal.budget_amount is None else f"{deal.budget_amount:.2f} {deal.budget_currency}"})
