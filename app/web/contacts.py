"""My Contacts (every client the partner has had a deal with), reconnecting with them, and the offers of a deal."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import Schema

from app.clock import now
from app.extensions import db
from app.schemas.contacts import ContactMessageIn, OfferIn
from app.services import contacts, offers
from app.services.errors import TooMany
from app.web.choices import SORTS
from app.web.dashboard import submit_deal_form
from app.web.forms.dashboard import ContactMessageForm, ContactOfferForm, OfferForm
from app.web.forms.public import ActionForm
from app.web.forms.validation import attempt, load_into
from app.web.pages import page_blueprint
from app.web.sessions import partner_page
from app.web.templating import duration

blp = page_blueprint("web_contacts", __name__, url_prefix="/dashboard")
PER_PAGE = 50


@blp.get("/contacts")
@partner_page
def contact_list():
    """List contacts, sorted by completed orders, amount spent, last order or name."""
    sort = request.args.get("sort") if request.args.get("sort") in dict(SORTS) else "last_order"
    order = "asc" if request.args.get("order") == "asc" else "desc"
    page = max(request.args.get("page", 1, type=int), 1)
    found = contacts.list_contacts(current_user.id, sort, order, page, PER_PAGE)
    return render_template("dashboard/contacts.html", contacts=found, sort=sort, order=order, sorts=SORTS)


def contact_page(client_id: int, status: int = 200, message: ContactMessageForm | None = None,
                 offer: ContactOfferForm | None = None):
    """Render a contact's timeline with the forms that reconnect (or the one that just failed)."""
    return render_template(
        "dashboard/contact.html", contact=contacts.timeline(current_user.id, client_id),
        message=message or ContactMessageForm(formdata=None), offer=offer or ContactOfferForm(formdata=None),
        daily_cap=current_app.config["RECONNECT_DAILY_CAP"]), status


def within_daily_cap(form: FlaskForm, action) -> tuple[object | None, int]:
    """Run a reconnection; a refusal goes on the form with 422, the reached daily cap with 429."""
    try:
        return attempt(form, action), 422
    except TooMany as error:
        db.session.rollback()
        form.form_errors.append(_("You have reached today's limit of conversations with past clients. "
                                  "You can start the next one in %(wait)s.", wait=duration(error.retry_after)))
        return None, 429


def reconnect(client_id: int, kind: str, form: FlaskForm, schema: Schema, action):
    """Check a reconnection form and open the new deal, or show the form again with what went wrong."""
    data = form.validate_on_submit() and load_into(form, schema, form.payload())
    opened, status = within_daily_cap(form, lambda: data and action(current_user.id, client_id, data, now()))
    if not opened:
        return contact_page(client_id, status, **{kind: form})
    db.session.commit()
    flash(_("A new deal was opened with your message or offer."), "success")
    return redirect(url_for("web_dashboard.deal", deal_id=opened[0].id, _anchor=f"{kind}s"))


@blp.get("/contacts/<int:client_id>")
@partner_page
def contact(client_id: int):
    """Show one client's deals, messages and offers with this partner."""
    return contact_page(client_id)


@blp.post("/contacts/<int:client_id>/messages")
@partner_page
def message_contact(client_id: int):
    """Reconnect with a past client by message (a new deal, within the daily cap)."""
    return reconnect(client_id, "message", ContactMessageForm(), ContactMessageIn(),
                     lambda partner, client, data, at: contacts.message_contact(partner, client, data["body"], at))


@blp.post("/contacts/<int:client_id>/offers")
@partner_page
def offer_to_contact(client_id: int):
    """Reconnect with a past client by offer (a new deal, within the daily cap)."""
    return reconnect(client_id, "offer", ContactOfferForm(), OfferIn(), contacts.offer_to_contact)


@blp.post("/deals/<int:deal_id>/offers")
@partner_page
def make_offer(deal_id: int):
    """Make the client of a deal an offer."""
    return submit_deal_form(deal_id, OfferForm(), OfferIn(), "offer", _("The offer was sent to the client."),
                            lambda data: offers.create_offer(deal_id, data, now()))


@blp.post("/offers/<int:offer_id>/paid")
@partner_page
def offer_paid(offer_id: int):
    """Record that the client paid an offer (which wins its deal)."""
    form = ActionForm()
    offer = attempt(form, lambda: offers.pay_as_partner(offer_id, now()))
    if offer:
        db.session.commit()
        flash(_("The payment was recorded."), "success")
        return redirect(url_for("web_dashboard.deal", deal_id=offer.deal_id, _anchor="offers"))
    flash(" ".join(form.form_errors), "error")
    return redirect(url_for("web_dashboard.board"))
