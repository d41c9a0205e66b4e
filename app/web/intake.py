"""The find-a-partner form, and the request flow it shares with a profile's direct request form."""
from flask import render_template, request

from app.clock import now, rng
from app.extensions import db
from app.schemas.lead_request import RequestCreate
from app.services import intake, web_retries
from app.web.forms.public import FindForm, RequestForm
from app.web.forms.validation import attempt, load_into
from app.web.languages import page_language
from app.web.limits import form_limits
from app.web.pages import page_blueprint

blp = page_blueprint("web_intake", __name__)


def render_sent(result: intake.IntakeResult | None):
    """Show the success page: the partners chosen, or the suggestions (nothing for a trapped bot)."""
    view = intake.request_view(result) if result else None
    token = web_retries.retry_token(result.request.id) if result and view["status"] == "unmatched" else None
    language = (result.request.filters or {}).get("language") if result else None
    return render_template("requests/sent.html", result=view, created=not result or result.created,
                           retry_token=token, language=language)


def send_request(form: RequestForm, extra: dict, template: str, **context):
    """Submit a request form: fake success for bots, the success page, or the form with its errors."""
    if request.method == "POST" and form.looks_automated(now()):
        return render_sent(None)
    if form.validate_on_submit():
        data = load_into(form, RequestCreate(), form.payload(page_language()) | extra)
        result = data and attempt(form, lambda: intake.submit_request(data, now(), rng()))
        if result:
            db.session.commit()
            return render_sent(result)
    if request.method == "GET":
        form.stamp(now())
    return render_template(template, form=form, **context), 422 if form.errors else 200


@blp.route("/find-a-partner", methods=["GET", "POST"])
@form_limits("requests")
def find():
    """Show and take the find-a-partner form."""
    form = FindForm(data=request.args.to_dict()).fill_choices()
    return send_request(form, {}, "requests/find.html")


@blp.post("/find-a-partner/retry")
@form_limits("requests")
def retry():
    """Send an unmatched request again without one suggested filter."""
    result = web_retries.retry_without(request.form.get("token", ""), request.form.get("filter", ""), now(), rng())
    db.session.commit()
    return render_sent(result)
