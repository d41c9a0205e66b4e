"""The partner's dashboard: the deals board (at-risk queue first), a deal's page, and the responsiveness figures."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.clock import now
from app.extensions import db
from app.schemas.crm import DealChange, MessageIn
from app.services import deals, offers, pipelines, quick_responses, responsiveness
from app.web.choices import STATUSES, options
from app.web.forms.dashboard import DealMessageForm, LabelsForm, MoveForm, OfferForm
from app.web.forms.public import ActionForm
from app.web.forms.validation import attempt, load_into
from app.web.pages import page_blueprint
from app.web.sessions import partner_page

blp = page_blueprint("web_dashboard", __name__, url_prefix="/dashboard")
COLUMN_SIZE = 50
QUEUE_SIZE = 10


def move_form(deal, target: str, failed: tuple | None = None) -> MoveForm:
    """Return the form moving a deal to a status: the one that just failed, or a fresh one."""
    if failed is not None and failed[:2] == (deal.id, target):
        return failed[2]
    return MoveForm(prefix=f"move-{deal.id}-{target}", formdata=None, amount=deal.amount or deal.budget_amount or "")


def columns(filters: dict, page: int) -> list[tuple[str, object]]:
    """Return the board: each status with one page of its deals."""
    return [(status, deals.list_deals({"status": status, **filters}, page, COLUMN_SIZE, now()))
            for status, _label in STATUSES]


def board_filters() -> dict:
    """Return the board's pipeline and label filters, from the address or the move form."""
    return {"pipeline_id": request.values.get("pipeline", type=int),
            "label": request.values.get("label", "").strip() or None}


def board_url() -> str:
    """Return the board's address with the pipeline, label and page the move came from."""
    filters = board_filters()
    return url_for("web_dashboard.board", pipeline=filters["pipeline_id"] or None, label=filters["label"],
                   page=request.form.get("page", type=int) or None)


def board_page(failed: tuple | None = None):
    """Render the board, unanswered requests by deadline first; `failed` = (deal id, status, form) re-shows a move."""
    filters = board_filters()
    page = max(request.values.get("page", 1, type=int), 1)
    board = render_template(
        "dashboard/board.html", queue=deals.list_deals({"sort": "due", **filters}, 1, QUEUE_SIZE, now()),
        columns=columns(filters, page), pipelines=pipelines.list_pipelines(current_user.id),
        pipeline_id=filters["pipeline_id"], label_filter=filters["label"], page=page,
        failed_deal=failed[0] if failed else None, move_form=lambda deal, target: move_form(deal, target, failed))
    return board, 422 if failed else 200


def deal_page(deal_id: int, failed_move: tuple | None = None, message: DealMessageForm | None = None,
              offer: OfferForm | None = None, labels: LabelsForm | None = None):
    """Render a deal's page with its labels, history, messages, quick responses, moves and offers."""
    detail = deals.deal_detail(deal_id, now())
    message = message or DealMessageForm(formdata=None)
    message.template_id.choices = options([(0, "—"), *((t.id, t.name) for t in quick_responses.list_templates())])
    offer = offer or OfferForm(formdata=None, currency=detail.budget_currency or "EUR")
    labels = labels or LabelsForm(formdata=None, labels=", ".join(detail.labels))
    page = render_template("dashboard/deal.html", deal=detail, message=message, offer=offer, labels=labels,
                           offers=offers.deal_offers(deal_id),
                           move_form=lambda deal, target: move_form(deal, target, failed_move))
    return page, 422 if failed_move or message.errors or offer.errors or labels.errors else 200


SECTIONS = {"message": "messages", "offer": "offers", "labels": "labels"}  # form name -> anchor on the deal page


def submit_deal_form(deal_id: int, form, schema, name: str, done: str, action):
    """Validate a form of the deal page, run its action, and return to its section (or show its errors)."""
    data = form.validate() and load_into(form, schema, form.payload())
    if data and attempt(form, lambda: action(data)):
        db.session.commit()
        flash(done, "success")
        return redirect(url_for("web_dashboard.deal", deal_id=deal_id, _anchor=SECTIONS[name]))
    return deal_page(deal_id, **{name: form})


@blp.get("")
@partner_page
def board():
    """Show the deals board: one column per status."""
    return board_page()


@blp.post("/deals/<int:deal_id>/move/<status>")
@partner_page
def move(deal_id: int, status: str):
    """Move a deal to another status (won needs an amount, lost a reason)."""
    form = MoveForm(prefix=f"move-{deal_id}-{status}")
    changes = form.validate() and load_into(form, DealChange(), form.payload(status))
    if changes and attempt(form, lambda: deals.update_deal(deal_id, changes, now())):
        db.session.commit()
        flash(_("The deal moved."), "success")
        on_deal_page = request.form.get("back") == "deal"
        return redirect(url_for("web_dashboard.deal", deal_id=deal_id) if on_deal_page else board_url())
    if request.form.get("back") == "deal":
        return deal_page(deal_id, failed_move=(deal_id, status, form))
    return board_page((deal_id, status, form))


@blp.get("/deals/<int:deal_id>")
@partner_page
def deal(deal_id: int):
    """Show one deal."""
    return deal_page(deal_id)


@blp.post("/deals/<int:deal_id>/messages")
@partner_page
def write(deal_id: int):
    """Send the client a message, typed or from a quick response."""
    return submit_deal_form(deal_id, DealMessageForm(), MessageIn(), "message", _("Your message was sent."),
                            lambda data: deals.post_partner_message(deal_id, data.get("body"),
                                                                    data.get("template_id"), now()))


@blp.post("/deals/<int:deal_id>/labels")
@partner_page
def set_labels(deal_id: int):
    """Replace a deal's labels (an empty field removes them all)."""
    return submit_deal_form(deal_id, LabelsForm(), DealChange(), "labels", _("Saved."),
                            lambda data: deals.update_deal(deal_id, data, now()))


@blp.post("/deals/<int:deal_id>/spam")
@partner_page
def spam(deal_id: int):
    """Mark a new request as spam, or take the mark back."""
    action = responsiveness.unmark_spam if request.form.get("undo") else responsiveness.mark_spam
    form = ActionForm()
    if attempt(form, lambda: action(deal_id, now())):
        db.session.commit()
        flash(_("Saved."), "success")
    else:
        flash(" ".join(form.form_errors), "error")
    return redirect(url_for("web_dashboard.deal", deal_id=deal_id))


@blp.get("/responsiveness")
@partner_page
def figures():
    """Show the response rate and time, and the requests behind them."""
    return render_template("dashboard/responsiveness.html", report=responsiveness.report(current_user.id, now()),
                           requests=responsiveness.requests_view(current_user.id, now()))
