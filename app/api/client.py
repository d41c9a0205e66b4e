"""The client's API: a signed link instead of an account."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.clock import now
from app.extensions import db
from app.schemas.client import (
    AcceptedOut,
    AlternativesIn,
    ChoiceIn,
    ChoiceOut,
    ClientLinkIn,
    ClientMessageIn,
    ClientOverviewOut,
    ReviewIn,
    ReviewOut,
)
from app.schemas.contacts import OfferOut
from app.schemas.crm import MessageOut
from app.schemas.lead_request import RequestOut
from app.services import choice, clients, follow_ups, intake, offers

blp = Blueprint("client", __name__, url_prefix="/api/v1", description="The client's side (signed link)")


@blp.route("/client-links")
class ClientLinks(MethodView):
    """Fresh links by email."""

    @blp.arguments(ClientLinkIn())
    @blp.response(202, AcceptedOut)
    def post(self, data):
        """Email a fresh link to a known client; the answer is the same for any email."""
        clients.send_fresh_link(data["email"], now())
        db.session.commit()
        return {"status": "accepted"}


@blp.route("/client/<token>")
class ClientOverview(MethodView):
    """The client's requests and deals."""

    @blp.response(200, ClientOverviewOut)
    def get(self, token):
        """Show the client's requests, each deal's partner, status and messages."""
        return clients.overview(clients.client_for_token(token, now()))


@blp.route("/client/<token>/messages")
class ClientMessages(MethodView):
    """Messages to a partner."""

    @blp.arguments(ClientMessageIn())
    @blp.response(201, MessageOut)
    def post(self, data, token):
        """Write to the partner of one of your deals."""
        client = clients.client_for_token(token, now())
        message = clients.post_client_message(client, data["deal_id"], data["body"], now())
        db.session.commit()
        return message


@blp.route("/client/<token>/reviews")
class ClientReviews(MethodView):
    """Reviews of won deals."""

    @blp.arguments(ReviewIn())
    @blp.response(201, ReviewOut)
    def post(self, data, token):
        """Rate a won deal 1-5, once."""
        client = clients.client_for_token(token, now())
        review = clients.leave_review(client, data["deal_id"], data["rating"], data["text"], now())
        db.session.commit()
        return review


@blp.route("/client/<token>/alternatives")
class ClientAlternatives(MethodView):
    """Partners offered after nobody answered."""

    @blp.arguments(AlternativesIn())
    @blp.response(201, RequestOut)
    def post(self, data, token):
        """Send the same request to some of the offered partners, as new deals."""
        client = clients.client_for_token(token, now())
        result = follow_ups.send_to_alternatives(client.id, data["request_id"], data["partner_ids"], now())
        db.session.commit()
        return intake.request_view(result)


@blp.route("/client/<token>/offers/<int:offer_id>/accept")
class ClientOfferAccept(MethodView):
    """Accepting an offer."""

    @blp.response(200, OfferOut)
    def post(self, token, offer_id):
        """Accept one of your offers (payment is recorded separately)."""
        client = clients.client_for_token(token, now())
        offer = offers.accept(client.id, offer_id, now())
        db.session.commit()
        return offer


@blp.route("/client/<token>/choice")
class ClientChoice(MethodView):
    """The partner the client chooses."""

    @blp.arguments(ChoiceIn())
    @blp.response(200, ChoiceOut)
    def post(self, data, token):
        """Choose one partner of a request; the others' open deals close (changeable for 7 days)."""
        client = clients.client_for_token(token, now())
        deal = choice.choose(client.id, data["request_id"], data["partner_id"], now())
        db.session.commit()
        return {"request_id": data["request_id"], "partner_id": deal.partner_id, "deal_id": deal.id,
                "chosen_at": deal.chosen_at}
