"""Partner CRM API (partner token): pipelines, deals, messages."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.auth import partner_required
from app.clock import now
from app.extensions import commit_for_answer, db
from app.schemas.crm import (
    DealChange,
    DealListArgs,
    DealOut,
    DealPageOut,
    MessageIn,
    MessageOut,
    PipelineChange,
    PipelineIn,
    PipelineOut,
)
from app.schemas.responsiveness import SpamOut
from app.services import deals, pipelines, responsiveness

blp = Blueprint("crm", __name__, url_prefix="/api/v1", description="A partner's CRM (partner token)")


@blp.route("/pipelines")
class Pipelines(MethodView):
    """The partner's pipelines; the first one receives catalogue deals."""

    @partner_required
    @blp.response(200, PipelineOut(many=True))
    def get(self):
        """List pipelines, first one first."""
        return pipelines.list_pipelines(g.partner_id)

    @partner_required
    @blp.arguments(PipelineIn())
    @blp.response(201, PipelineOut)
    def post(self, data):
        """Add a pipeline (at the end unless a position is given)."""
        pipeline = pipelines.create_pipeline(g.partner_id, data["name"], data.get("position"))
        db.session.commit()
        return pipeline


@blp.route("/pipelines/<int:pipeline_id>")
class PipelineItem(MethodView):
    """One pipeline."""

    @partner_required
    @blp.arguments(PipelineChange())
    @blp.response(200, PipelineOut)
    def patch(self, data, pipeline_id):
        """Rename or reorder a pipeline; existing deals never move."""
        pipeline = pipelines.update_pipeline(pipeline_id, data)
        db.session.commit()
        return pipeline


@blp.route("/deals")
class Deals(MethodView):
    """The partner's deals."""

    @partner_required
    @blp.arguments(DealListArgs(), location="query")
    @blp.response(200, DealPageOut)
    def get(self, args):
        """List deals newest first (by status, pipeline, label), or unanswered requests by deadline (sort=due)."""
        return deals.list_deals(args, args["page"], args["per_page"], now())


@blp.route("/deals/<int:deal_id>")
class DealItem(MethodView):
    """One deal."""

    @partner_required
    @blp.response(200, DealOut)
    def get(self, deal_id):
        """Show a deal with client, project, history and messages."""
        return deals.deal_detail(deal_id, now())

    @partner_required
    @blp.arguments(DealChange())
    @blp.response(200, DealOut)
    def patch(self, data, deal_id):
        """Move a deal (new → in_progress → won/lost; won/lost → in_progress) or set its amount."""
        deal = deals.update_deal(deal_id, data, now())
        commit_for_answer()
        return deals.detail(deal, now())


@blp.route("/deals/<int:deal_id>/messages")
class DealMessages(MethodView):
    """Messages to the client."""

    @partner_required
    @blp.arguments(MessageIn())
    @blp.response(201, MessageOut)
    def post(self, data, deal_id):
        """Send the client a message, typed or from a quick response (emailed with their link)."""
        message = deals.post_partner_message(deal_id, data.get("body"), data.get("template_id"), now())
        commit_for_answer()
        return message


@blp.route("/deals/<int:deal_id>/spam")
class DealSpam(MethodView):
    """Spam marks on new requests."""

    @partner_required
    @blp.response(200, SpamOut)
    def post(self, deal_id):
        """Mark a request as spam (within 24 hours of its arrival): it counts nowhere, no follow-up."""
        deal = responsiveness.mark_spam(deal_id, now())
        db.session.commit()
        return deal

    @partner_required
    @blp.response(200, SpamOut)
    def delete(self, deal_id):
        """Take back a spam mark; the request's response clock restarts now."""
        deal = responsiveness.unmark_spam(deal_id, now())
        db.session.commit()
        return deal
