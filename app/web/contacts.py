"""My Contacts (every client the partner has had a deal with) and the offers of a deal."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.clock import now
from app.extensions import db
from app.schemas.contacts import OfferIn
from app.services import contacts, offers
from app.web.choices import SORTS
from app.web.dashboard import deal_page
from app.web.forms.dashboard import OfferForm
from app.web.forms.public import ActionForm
from app.web.forms.validation import attempt, load_into
from app.web.pages import page_blueprint
from app.web.sessions import partner_page

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


@blp.get("/contacts/<int:client_id>")
@partner_page
def contact(client_id: int):
    """Show one client's deals, messages and offers with this partner."""
    return render_template("dashboard/contact.html", contact=contacts.timeline(current_user.id, client_id))


@blp.post("/deals/<int:deal_id>/offers")
@partner_page
def make_offer(deal_id: int):
    """Make the client of a deal an offer."""
    form = OfferForm()
    data = form.validate_on_submit() and load_into(form, OfferIn(), form.payload())
    if data and attempt(form, lambda: offers.create_offer(deal_id, data, now())):
        db.session.commit()
        flash(_("The offer was sent to the client."), "success")
        return redirect(url_for("web_dashboard.deal", deal_id=deal_id, _anchor="offers"))
    return deal_page(deal_id, offer=form)


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
