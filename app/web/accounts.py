"""Partner sign-in: email and password, or a magic link by email; sign-out."""
from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.clock import now
from app.extensions import db
from app.models import Partner
from app.services import accounts
from app.web.forms.dashboard import LoginForm, MagicLinkForm
from app.web.limits import form_limits
from app.web.mail import sign_in_email
from app.web.pages import page_blueprint
from app.web.sessions import PartnerUser

blp = page_blueprint("web_accounts", __name__, url_prefix="/dashboard")


def next_page() -> str:
    """Return the dashboard page the partner wanted before signing in (a local path only), or the board."""
    wanted = request.args.get("next", "")
    local = wanted.startswith("/dashboard") and not wanted.startswith("//") and "\\" not in wanted
    return wanted if local else url_for("web_dashboard.board")


def sign_in(partner: Partner):
    """Start a session for a partner, in its language, and open the page it wanted."""
    login_user(PartnerUser.of(partner))
    if partner.ui_language:
        session["lang"] = partner.ui_language
    return redirect(next_page())


def login_page(login: LoginForm | None = None, magic: MagicLinkForm | None = None):
    """Render the sign-in page with both forms."""
    failed = bool(login and login.errors or magic and magic.errors)
    page = render_template("accounts/login.html", login=login or LoginForm(formdata=None),
                           magic=magic or MagicLinkForm(formdata=None))
    return page, 422 if failed else 200


@blp.route("/login", methods=["GET", "POST"])
@form_limits("sign-in")
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("web_dashboard.board"))
    form = LoginForm()
    if form.validate_on_submit():
        partner = accounts.authenticate(form.email.data, form.password.data)
        if partner is not None:
            return sign_in(partner)
        form.form_errors.append(_("The email or the password is wrong."))
    return login_page(login=form)


@blp.post("/magic-link")
@form_limits("sign-in")
def magic_link():
    """Email a sign-in link to every partner with this address; the answer is the same for any address."""
    form = MagicLinkForm()
    if not form.validate_on_submit():
        return login_page(magic=form)
    for partner in accounts.partners_by_email(form.email.data):
        accounts.queue_login_email(partner, sign_in_email(partner, now()), now())
    db.session.commit()
    return render_template("accounts/link_sent.html")


@blp.get("/magic/<token>")
def magic(token: str):
    """Sign in with a link from an email."""
    return sign_in(accounts.partner_for_magic_token(token, now()))


@blp.post("/logout")
def logout():
    """End the session."""
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("web_accounts.login"))

