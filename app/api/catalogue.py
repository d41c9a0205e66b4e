"""Catalogue API: services and partner profiles."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.auth import admin_or_partner_required, admin_required
from app.clock import now
from app.extensions import db
from app.schemas.partner import (
    PartnerCreate,
    PartnerCreated,
    PartnerFields,
    PartnerPage,
    PartnerPrivate,
    PartnerPublic,
    PartnerSearchArgs,
)
from app.schemas.service import ServiceCreate, ServiceOut
from app.services import catalogue
from matching import SearchFilters

blp = Blueprint("catalogue", __name__, url_prefix="/api/v1", description="The partner catalogue")


@blp.route("/services")
class Services(MethodView):
    """The services partners offer."""

    @blp.response(200, ServiceOut(many=True))
    def get(self):
        """List services."""
        return catalogue.list_services()

    @admin_required
    @blp.arguments(ServiceCreate())
    @blp.response(201, ServiceOut)
    def post(self, data):
        """Add a service (admin)."""
        service = catalogue.create_service(data["slug"], data["name"])
        db.session.commit()
        return service


@blp.route("/partners")
class Partners(MethodView):
    """Search the catalogue and add partners."""

    @blp.arguments(PartnerSearchArgs(), location="query")
    @blp.response(200, PartnerPage)
    def get(self, args):
        """Search partners; with `language`, primary speakers come first."""
        page, per_page = args.pop("page"), args.pop("per_page")
        return catalogue.search(SearchFilters(**args), page, per_page)

    @admin_required
    @blp.arguments(PartnerCreate())
    @blp.response(201, PartnerCreated)
    def post(self, data):
        """Add a partner (admin); the token and webhook secret are shown once."""
        partner, token, secret = catalogue.create_partner(data, now())
        db.session.commit()
        created = {"partner": partner, "token": token}
        return created | ({"webhook_secret": secret} if secret else {})


@blp.route("/partners/<int:partner_id>")
class PartnerProfile(MethodView):
    """One partner."""

    @blp.response(200, PartnerPublic)
    def get(self, partner_id):
        """Show a public profile."""
        return catalogue.get_partner(partner_id)

    @admin_or_partner_required
    @blp.arguments(PartnerFields())
    @blp.response(200, PartnerPrivate)
    def patch(self, data, partner_id):
        """Change partner fields (admin, or the partner itself)."""
        partner = catalogue.update_partner(partner_id, data)
        db.session.commit()
        return partner
