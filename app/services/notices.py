"""What each deal event tells whom: emails and webhooks, written to the outbox."""
from datetime import datetime

from app.models import Deal, Message, Partner, Review
from app.services.links import client_link, public_url
from app.services.outbox import email_row, enqueue_email, enqueue_webhook
from pipelines.transitions import StatusChanged


def deal_data(deal: Deal) -> dict:
    """Return the webhook payload describing a deal."""
    client = deal.client
    return {
        "deal_id": deal.id, "request_id": deal.request_id, "pipeline_id": deal.pipeline_id,
        "status": deal.status, "title": deal.title, "amount": deal.amount_money,
        "client": {"name": client.name, "email": client.email, "phone": client.phone},
        "created_at": deal.created_at.isoformat(),
    }


def deal_url(deal: Deal) -> str:
    """Return the partner's dashboard page of a deal."""
    return public_url(f"dashboard/deals/{deal.id}")


def deal_created(deal: Deal, now: datetime) -> None:
    """Tell the partner's webhook about a new deal."""
    enqueue_webhook(deal.partner, "deal.created", lambda: deal_data(deal), now, key=f"webhook:deal.created:{deal.id}")


def new_deal_emails(openings: list[tuple[Deal, Partner]], now: datetime) -> list[dict]:
    """Return the outbox rows emailing each partner about its new request (if it wants such emails)."""
    return [email_row(
        key=f"new-deal:{deal.id}", to=partner.email, template="partner_new_deal", language=None,
        partner_id=partner.id, now=now, context={
            "partner_name": partner.name, "client_name": deal.client.name, "client_email": deal.client.email,
            "client_phone": deal.client.phone, "project_title": deal.title,
            "project_description": deal.description, "budget": budget_text(deal),
            "deal_url": deal_url(deal), "mode": deal.source,
        }) for deal, partner in openings if partner.notify_new_deals]


def budget_text(deal: Deal) -> str | None:
    """Return the budget as "800.00 EUR", or None."""
    return None if deal.budget_amount is None else f"{deal.budget_amount:.2f} {deal.budget_currency}"


def message_posted(deal: Deal, message: Message, now: datetime) -> None:
    """Deliver a deal message to the other side (system notes are not mailed), and the partner's webhook."""
    partner, client = deal.partner, deal.client
    if message.origin == "client":
        enqueue_email(
            key=f"message:{message.id}", to=partner.email, template="client_message", language=None,
            partner_id=partner.id, now=now, context={
                "partner_name": partner.name, "client_name": client.name, "project_title": deal.title,
                "body": message.body, "deal_url": deal_url(deal)})
    elif message.origin != "system":
        enqueue_email(
            key=f"message:{message.id}", to=client.email, template="deal_message", language=client.language,
            now=now, context={
                "client_name": client.name, "partner_name": partner.name, "project_title": deal.title,
                "body": message.body, "client_link": client_link(client.id, now)})
    enqueue_webhook(partner, "message.created", lambda: {
        "deal_id": deal.id, "message_id": message.id, "origin": message.origin, "body": message.body,
        "created_at": message.created_at.isoformat()}, now, key=f"webhook:message.created:{message.id}")


def status_changed(deal: Deal, event: StatusChanged, change_id: int, now: datetime) -> None:
    """Tell the partner's webhook about a move; on a first win, ask the client for a review."""
    enqueue_webhook(deal.partner, "deal.status_changed", lambda: deal_data(deal) | {
        "from_status": event.from_status.value, "to_status": event.to_status.value,
        "lost_reason": event.lost_reason}, now, key=f"webhook:deal.status_changed:{change_id}")
    if event.first_win:
        review_request(deal, now)


def review_request(deal: Deal, now: datetime) -> None:
    """Ask the client, once per deal, to review the partner."""
    client = deal.client
    enqueue_email(
        key=f"review-request:{deal.id}", to=client.email, template="review_request", language=client.language,
        now=now, context={"client_name": client.name, "partner_name": deal.partner.name,
                          "project_title": deal.title,
                          "review_link": f"{client_link(client.id, now)}#review-{deal.id}"})


def review_posted(review: Review, deal: Deal, now: datetime) -> None:
    """Tell the partner's webhook about a new review."""
    enqueue_webhook(deal.partner, "review.created", lambda: {
        "review_id": review.id, "deal_id": deal.id, "rating": review.rating, "text": review.text,
        "created_at": review.created_at.isoformat()}, now, key=f"webhook:review.created:{review.id}")


def offer_made(deal: Deal, offer, now: datetime) -> None:
    """Email the client a new offer, with their link."""
    client = deal.client
    enqueue_email(
        key=f"offer:{offer.id}", to=client.email, template="offer_made", language=client.language, now=now,
        context={"client_name": client.name, "partner_name": deal.partner.name, "project_title": deal.title,
                 "description": offer.description, "amount": f"{offer.amount:.2f} {offer.currency}",
                 "client_link": f"{client_link(client.id, now)}#offer-{offer.id}"})


def choice_made(deal: Deal, chosen: bool, now: datetime) -> None:
    """Tell a partner whether the client chose it for a request."""
    partner = deal.partner
    enqueue_email(
        key=f"choice:{deal.id}:{'chosen' if chosen else 'closed'}:{now.isoformat()}", to=partner.email,
        template="client_choice", language=None, partner_id=partner.id, now=now, context={
            "partner_name": partner.name, "client_name": deal.client.name, "project_title": deal.title,
            "chosen": chosen, "deal_url": deal_url(deal)})
