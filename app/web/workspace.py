"""The partner's tools: quick responses, business hours with the away message, and pipelines."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.clock import now
from app.extensions import db
from app.models import QuickResponse
from app.schemas.crm import PipelineChange, PipelineIn
from app.schemas.responsiveness import AutoReplyIn, TemplateIn
from app.services import auto_reply, catalogue, pipelines, quick_responses
from app.services.tenancy import owned
from app.web.forms.dashboard import AutoReplyForm, PipelineForm, TemplateForm
from app.web.forms.validation import attempt, load_into, show_errors
from app.web.pages import page_blueprint
from app.web.sessions import partner_page

blp = page_blueprint("web_workspace", __name__, url_prefix="/dashboard")


def saved(endpoint: str, **values):
    """Commit, confirm and go back to a page."""
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(endpoint, **values))


@blp.route("/templates", methods=["GET", "POST"])
@partner_page
def templates():
    """List quick responses and add one."""
    form = TemplateForm()
    data = form.validate_on_submit() and load_into(form, TemplateIn(), form.payload())
    if data and attempt(form, lambda: quick_responses.create_template(current_user.id, data["name"], data["body"],
                                                                      now())):
        return saved("web_workspace.templates")
    page = render_template("dashboard/templates.html", templates=quick_responses.list_templates(), form=form)
    return page, 422 if form.errors else 200


@blp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@partner_page
def template(template_id: int):
    """Edit a quick response."""
    form = TemplateForm(obj=owned(QuickResponse, template_id))
    data = form.validate_on_submit() and load_into(form, TemplateIn(), form.payload())
    if data and attempt(form, lambda: quick_responses.update_template(template_id, data, now())):
        return saved("web_workspace.templates")
    return render_template("dashboard/template.html", form=form, template_id=template_id), 422 if form.errors else 200


@blp.post("/templates/<int:template_id>/delete")
@partner_page
def delete_template(template_id: int):
    """Delete a quick response."""
    quick_responses.delete_template(template_id)
    return saved("web_workspace.templates")


@blp.route("/hours", methods=["GET", "POST"])
@partner_page
def hours():
    """Set business hours and the away message."""
    partner = catalogue.get_partner(current_user.id)
    form = AutoReplyForm()
    if request.method == "GET":
        form.show(auto_reply.settings(partner))
    elif form.validate_on_submit() and save_hours(form, partner):
        return saved("web_workspace.hours")
    return render_template("dashboard/hours.html", form=form), 422 if form.errors else 200


def save_hours(form: AutoReplyForm, partner) -> bool:
    """Check and save the auto-reply settings; show what is wrong on the form."""
    try:
        payload = form.payload()
    except ValueError as error:
        show_errors(form, {f"hours.{error.args[0]}": [_("Write the hours like 09:00-13:00, 14:00-18:00.")]})
        return False
    data = load_into(form, AutoReplyIn(), payload)
    return bool(data) and attempt(form, lambda: auto_reply.save_settings(partner, data)) is not None


@blp.route("/pipelines", methods=["GET", "POST"])
@partner_page
def pipeline_list():
    """List pipelines (the first receives catalogue deals) and add one."""
    form = PipelineForm()
    data = form.validate_on_submit() and load_into(form, PipelineIn(), form.payload())
    if data and attempt(form, lambda: pipelines.create_pipeline(current_user.id, data["name"], data.get("position"))):
        return saved("web_workspace.pipeline_list")
    page = render_template("dashboard/pipelines.html", form=form, pipelines=pipelines.list_pipelines(current_user.id),
                           edit_form=lambda p: PipelineForm(formdata=None, obj=p, prefix=f"pipeline-{p.id}"))
    return page, 422 if form.errors else 200


@blp.post("/pipelines/<int:pipeline_id>")
@partner_page
def pipeline(pipeline_id: int):
    """Rename or move a pipeline."""
    form = PipelineForm(prefix=f"pipeline-{pipeline_id}")
    data = form.validate() and load_into(form, PipelineChange(), form.payload())
    if data and attempt(form, lambda: pipelines.update_pipeline(pipeline_id, data)):
        return saved("web_workspace.pipeline_list")
    flash(" ".join(message for messages in form.errors.values() for message in messages), "error")
    return redirect(url_for("web_workspace.pipeline_list"))
