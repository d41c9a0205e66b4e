"""My Contacts and offers (partner token); offers may also be paid by a signed payment-provider callback."""
import hashlib
import hmac

from flask import abort, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.auth import partner_required
from app.clock import now
from app.extensions import db
from app.schemas.contacts import (
    ContactListArgs,
    ContactMessageIn,
    ContactPageOut,
    ContactTimelineOut,
    OfferIn,
    OfferOut,
    ReconnectOut,
)
from app.services import contacts, offers

blp = Blueprint("contacts", __name__, url_prefix="/api/v1", description="My Contacts and offers")
SIGNATURE_HEADER = "X-Payment-Signature"


@blp.route("/contacts")
class Contacts(MethodView):
    """Every client the partner has had a deal with."""

    @partner_required
    @blp.arguments(ContactListArgs(), location="query")
    @blp.response(200, ContactPageOut)
    def get(self, args):
        """List contacts with completed orders, amount spent (one row per currency) and last order."""
        return contacts.list_contacts(g.partner_id, args["sort"], args["order"], args["page"], args["per_page"])


@blp.route("/contacts/<int:client_id>")
class ContactTimeline(MethodView):
    """One contact."""

    @partner_required
    @blp.response(200, ContactTimelineOut)
    def get(self, client_id):
        """Show one timeline of the client's deals, messages and offers with this partner."""
        return contacts.timeline(g.partner_id, client_id)


@blp.route("/contacts/<int:client_id>/messages")
class ContactMessages(MethodView):
    """Reconnect with a past client by message."""

    @partner_required
    @blp.arguments(ContactMessageIn())
    @blp.response(201, ReconnectOut)
    def post(self, data, client_id):
        """Message a past client; opens a new deal (capped per day)."""
        deal, message = contacts.message_contact(g.partner_id, client_id, data["body"], now())
        db.session.commit()
        return {"deal_id": deal.id, "message_id": message.id}


@blp.route("/contacts/<int:client_id>/offers")
class ContactOffers(MethodView):
    """Reconnect with a past client by offer."""

    @partner_required
    @blp.arguments(OfferIn())
    @blp.response(201, ReconnectOut)
    def post(self, data, client_id):
        """Send a past client an offer; opens a new deal (capped per day)."""
        deal, offer = contacts.offer_to_contact(g.partner_id, client_id, data, now())
        db.session.commit()
        return {"deal_id": deal.id, "offer": offer}


@blp.route("/deals/<int:deal_id>/offers")
class DealOffers(MethodView):
    """Offers on a deal."""

    @partner_required
    @blp.response(200, OfferOut(many=True))
    def get(self, deal_id):
        """List a deal's offers."""
        return offers.deal_offers(offers.owned_deal(deal_id).id)

    @partner_required
    @blp.arguments(OfferIn())
    @blp.response(201, OfferOut)
    def post(self, data, deal_id):
        """Make the client an offer (source direct, or platform when payment state arrives late)."""
        offer = offers.create_offer(deal_id, data, now())
        db.session.commit()
        return offer


def provider_signature_valid() -> bool:
    """Check the payment provider's HMAC-SHA256 of the raw body."""
    secret = current_app.config.get("PAYMENT_WEBHOOK_SECRET")
    given = request.headers.get(SIGNATURE_HEADER, "").removeprefix("sha256=")
    if not secret or not given:
        return False
    expected = hmac.new(secret.encode(), request.get_data(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


def pay_by_partner(offer_id: int):
    """Record a payment as the partner."""
    return offers.pay_as_partner(offer_id, now())


@blp.route("/offers/<int:offer_id>/paid")
class OfferPaid(MethodView):
    """Payment of an offer."""

    @blp.response(200, OfferOut)
    def post(self, offer_id):
        """Record that an offer was paid: the partner (bearer token) or the provider (signed callback)."""
        if request.headers.get("Authorization"):
            offer = partner_required(pay_by_partner)(offer_id)
        elif provider_signature_valid():
            offer = offers.pay_as_provider(offer_id, now())
        else:
            abort(401, "A partner token or a valid payment signature is required.")
        db.session.commit()
        return offer
