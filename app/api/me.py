"""The partner's own settings and figures (partner token): responsiveness, quick responses, auto-reply."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.auth import partner_required
from app.clock import now
from app.extensions import db
from app.schemas.responsiveness import (
    AutoReplyIn,
    AutoReplyOut,
    CountedRequestOut,
    ResponsivenessOut,
    TemplateChange,
    TemplateIn,
    TemplateOut,
    WebhookSecretOut,
)
from app.services import auto_reply, catalogue, quick_responses, responsiveness

blp = Blueprint("me", __name__, url_prefix="/api/v1", description="A partner's figures and tools (partner token)")


@blp.route("/me/responsiveness")
class Responsiveness(MethodView):
    """Response rate and time."""

    @partner_required
    @blp.response(200, ResponsivenessOut)
    def get(self):
        """Show response rate and time over the window, overall and per category."""
        return responsiveness.report(g.partner_id, now())


@blp.route("/me/responsiveness/requests")
class ResponsivenessRequests(MethodView):
    """The requests behind the figures."""

    @partner_required
    @blp.response(200, CountedRequestOut(many=True))
    def get(self):
        """List every request in the window with its times, state and whether it met its target."""
        return responsiveness.requests_view(g.partner_id, now())


@blp.route("/me/auto-reply")
class AutoReply(MethodView):
    """Business hours and the away message."""

    @partner_required
    @blp.response(200, AutoReplyOut)
    def get(self):
        """Show the auto-reply settings."""
        return auto_reply.settings(catalogue.get_partner(g.partner_id))

    @partner_required
    @blp.arguments(AutoReplyIn())
    @blp.response(200, AutoReplyOut)
    def put(self, data):
        """Change business hours (in the partner's timezone), the away switch and message."""
        saved = auto_reply.save_settings(catalogue.get_partner(g.partner_id), data)
        db.session.commit()
        return saved


@blp.route("/templates")
class Templates(MethodView):
    """Quick responses."""

    @partner_required
    @blp.response(200, TemplateOut(many=True))
    def get(self):
        """List quick responses."""
        return quick_responses.list_templates()

    @partner_required
    @blp.arguments(TemplateIn())
    @blp.response(201, TemplateOut)
    def post(self, data):
        """Save a quick response; placeholders: {client_name}, {partner_name}, {project_title}, {project_budget}."""
        template = quick_responses.create_template(g.partner_id, data["name"], data["body"], now())
        db.session.commit()
        return template


@blp.route("/templates/<int:template_id>")
class TemplateItem(MethodView):
    """One quick response."""

    @partner_required
    @blp.arguments(TemplateChange())
    @blp.response(200, TemplateOut)
    def patch(self, data, template_id):
        """Change a quick response."""
        template = quick_responses.update_template(template_id, data, now())
        db.session.commit()
        return template

    @partner_required
    @blp.response(204)
    def delete(self, template_id):
        """Delete a quick response."""
        quick_responses.delete_template(template_id)
        db.session.commit()


@blp.route("/me/webhook-secret")
class WebhookSecret(MethodView):
    """The secret webhooks are signed with."""

    @partner_required
    @blp.response(201, WebhookSecretOut)
    def post(self):
        """Rotate the webhook secret; the new one is shown once."""
        secret = catalogue.rotate_webhook_secret(g.partner_id)
        db.session.commit()
        return {"webhook_secret": secret}
