"""The partner's settings: notifications, availability, webhook URL and secret, dashboard language and password."""
from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from app.extensions import db
from app.schemas.partner import PartnerFields
from app.services import accounts, catalogue
from app.services.web_preferences import set_partner_language
from app.web.forms.dashboard import PasswordForm, SettingsForm
from app.web.forms.public import ActionForm
from app.web.forms.validation import attempt, load_into
from app.web.languages import page_language
from app.web.pages import page_blueprint
from app.web.sessions import PartnerUser, partner_page

blp = page_blueprint("web_settings", __name__, url_prefix="/dashboard")


def settings_page(form: SettingsForm | None = None, password: PasswordForm | None = None,
                  rotation: ActionForm | None = None, new_secret: str | None = None):
    """Render the settings with the partner's current values (or a failed form, or a just rotated secret)."""
    partner = catalogue.get_partner(current_user.id)
    form = form or SettingsForm(formdata=None, data={
        "notify_new_deals": partner.notify_new_deals, "accepting_requests": partner.accepting_requests,
        "webhook_url": partner.webhook_url or "", "ui_language": partner.ui_language or page_language()})
    rotation = rotation or ActionForm(formdata=None)
    page = render_template("dashboard/settings.html", form=form, partner=partner, rotation=rotation,
                           new_secret=new_secret, password=password or PasswordForm(formdata=None))
    return page, 422 if form.errors or rotation.errors or password and password.errors else 200


@blp.get("/settings")
@partner_page
def settings():
    """Show the settings."""
    return settings_page()


@blp.post("/settings")
@partner_page
def save_settings():
    """Save notifications, availability, the webhook URL and the dashboard language."""
    form = SettingsForm()
    data = form.validate_on_submit() and load_into(form, PartnerFields(), form.payload())
    if data and attempt(form, lambda: catalogue.update_partner(current_user.id, data)):
        set_partner_language(current_user.id, form.ui_language.data)
        db.session.commit()
        session["lang"] = form.ui_language.data
        flash(_("Saved."), "success")
        return redirect(url_for("web_settings.settings"))
    return settings_page(form=form)


@blp.post("/webhook-secret")
@partner_page
def rotate_webhook_secret():
    """Give the webhook a new signing secret and show it this once (needs a webhook URL)."""
    form = ActionForm()
    secret = form.validate_on_submit() and attempt(form, lambda: catalogue.rotate_webhook_secret(current_user.id))
    if not secret:
        return settings_page(rotation=form)
    db.session.commit()
    return settings_page(new_secret=secret)


@blp.post("/password")
@partner_page
def change_password():
    """Set a new password; other sessions of this partner end."""
    form = PasswordForm()
    partner = form.validate_on_submit() and attempt(
        form, lambda: accounts.set_password(current_user.id, form.password.data))
    if not partner:
        return settings_page(password=form)
    db.session.commit()
    login_user(PartnerUser.of(partner))
    flash(_("Your password was changed."), "success")
    return redirect(url_for("web_settings.settings"))
