"""Requests API: clients send requests, the admin sees why partners were chosen."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.auth import admin_required
from app.clock import now, rng
from app.extensions import commit_for_answer
from app.schemas.lead_request import RequestAdminOut, RequestCreate, RequestOut
from app.services import intake

blp = Blueprint("requests", __name__, url_prefix="/api/v1", description="Client requests")


@blp.route("/requests")
class Requests(MethodView):
    """Client requests (no account needed)."""

    @blp.arguments(RequestCreate())
    @blp.response(201, RequestOut)
    @blp.alt_response(200, schema=RequestOut, description="The same request within 24 hours: the existing one")
    def post(self, data):
        """Send a request directly to a partner, or let the system pick three."""
        result = intake.submit_request(data, now(), rng())
        commit_for_answer()
        return intake.request_view(result), 201 if result.created else 200


@blp.route("/requests/<int:request_id>")
class RequestDetail(MethodView):
    """One request, for the admin."""

    @admin_required
    @blp.response(200, RequestAdminOut)
    def get(self, request_id):
        """Show a request and why each partner was chosen."""
        return intake.describe(request_id)
