"""The client's page (a signed link, no account): requests, deals, the choice, messages, reviews, my partners."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.clock import now
from app.extensions import db
from app.models import Client
from app.schemas.client import AlternativesIn
from app.services import choice, clients, follow_ups, offers
from app.services.links import LinkInvalid
from app.services.web_preferences import set_client_language
from app.web.forms.public import ActionForm, ClientLinkForm, MessageForm, ReviewForm
from app.web.forms.validation import attempt, load_into
from app.web.languages import chosen_language
from app.web.limits import form_limits
from app.web.pages import page_blueprint

blp = page_blueprint("web_client", __name__)
FORMS = {"message": MessageForm, "review": ReviewForm}


def deal_form(kind: str, deal_id: int, failed: tuple | None = None):
    """Return the form of one kind for one deal: the one that just failed, or a fresh one."""
    if failed and failed[:2] == (kind, deal_id):
        return failed[2]
    return FORMS[kind](prefix=f"{kind}-{deal_id}", formdata=None)


def choice_open(req: dict) -> bool:
    """Tell whether the client may still choose, or change, the partner of a request sent to several."""
    return len(req["deals"]) > 1 and choice.may_choose(req["choice_open_until"], now())


def can_choose(req: dict, deal: dict) -> bool:
    """Tell whether to offer a deal's partner as the choice: not chosen, not lost for another reason, still in time."""
    return choice_open(req) and not deal["chosen"] and (deal["status"] != "lost" or deal["closed_by_choice"])


def client_page(token: str, client: Client, failed: tuple | None = None):
    """Render the client's page; `failed` = (kind, deal id, form) re-shows a form with its errors."""
    page = render_template("client/page.html", token=token, overview=clients.overview(client),
                           choice_open=choice_open, can_choose=can_choose,
                           deal_form=lambda kind, deal_id: deal_form(kind, deal_id, failed))
    return page, 422 if failed else 200


def after_post(token: str, deal_id: int, message: str):
    """Confirm a change and go back to the deal on the page."""
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("web_client.page", token=token, _anchor=f"deal-{deal_id}"))


@blp.get("/client/<token>")
def page(token: str):
    """Show the client's requests and deals; a ?lang= choice becomes the language of their emails."""
    client = clients.client_for_token(token, now())
    if chosen_language() and client.language != chosen_language():
        set_client_language(client, chosen_language())
        db.session.commit()
    return client_page(token, client)


@blp.post("/client/<token>/deals/<int:deal_id>/messages")
def write(token: str, deal_id: int):
    """Send the partner of one of the client's deals a message."""
    client = clients.client_for_token(token, now())
    form = deal_form("message", deal_id)
    form.process(request.form)
    if form.validate() and attempt(form, lambda: clients.post_client_message(client, deal_id, form.body.data, now())):
        return after_post(token, deal_id, _("Your message was sent."))
    return client_page(token, client, ("message", deal_id, form))


@blp.post("/client/<token>/deals/<int:deal_id>/review")
def review(token: str, deal_id: int):
    """Rate a won deal, once."""
    client = clients.client_for_token(token, now())
    form = deal_form("review", deal_id)
    form.process(request.form)
    if form.validate() and attempt(form, lambda: clients.leave_review(
            client, deal_id, int(form.rating.data), form.text.data or "", now())):
        return after_post(token, deal_id, _("Thank you for your review!"))
    return client_page(token, client, ("review", deal_id, form))


def client_action(token: str, anchor: str, done: str, action):
    """Run a one-click action of the client's page, confirm it (or say why not) and go back to the page."""
    client = clients.client_for_token(token, now())
    form = ActionForm()
    if attempt(form, lambda: action(client, form)):
        db.session.commit()
        flash(done, "success")
    else:
        flash(" ".join(message for messages in form.errors.values() for message in messages), "error")
    return redirect(url_for("web_client.page", token=token, _anchor=anchor))


@blp.post("/client/<token>/requests/<int:request_id>/alternatives")
def alternatives(token: str, request_id: int):
    """Send a request to partners offered after nobody answered in time."""
    def send(client, form):
        data = load_into(form, AlternativesIn(), {"request_id": request_id,
                                                  "partner_ids": request.form.getlist("partner_ids")})
        return data and follow_ups.send_to_alternatives(client.id, request_id, data["partner_ids"], now())
    return client_action(token, f"request-{request_id}", _("Your request was sent to the partners you chose."), send)


@blp.post("/client/<token>/requests/<int:request_id>/choice")
def choose(token: str, request_id: int):
    """Choose one partner of a request; the others' open deals close."""
    partner_id = request.form.get("partner_id", type=int) or 0
    return client_action(token, f"request-{request_id}", _("Thank you! We told the partners about your choice."),
                         lambda client, form: choice.choose(client.id, request_id, partner_id, now()))


@blp.post("/client/<token>/offers/<int:offer_id>/accept")
def accept_offer(token: str, offer_id: int):
    """Accept a partner's offer."""
    return client_action(token, f"offer-{offer_id}", _("You accepted the offer. The partner will ask you to pay."),
                         lambda client, form: offers.accept(client.id, offer_id, now()))


@blp.route("/client-link", methods=["GET", "POST"])
@form_limits("client-links")
def fresh_link():
    """Email a known client a fresh link; the answer is the same for any address."""
    form = ClientLinkForm()
    if form.validate_on_submit():
        if not form.looks_automated(now()):
            clients.send_fresh_link(form.email.data, now())
            db.session.commit()
        return render_template("client/link_sent.html")
    if request.method == "GET":
        form.stamp(now())
    return render_template("client/link.html", form=form), 422 if form.errors else 200


@blp.errorhandler(LinkInvalid)
def invalid_link(error: LinkInvalid):
    """Offer a fresh link instead of a broken or expired one."""
    form = ClientLinkForm(formdata=None)
    form.stamp(now())
    return render_template("client/link.html", form=form, expired=True), 401
