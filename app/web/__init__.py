"""The server-rendered pages (jinja2): catalogue, find-a-partner, the client's page and the partner dashboard."""
from flask import Flask

from app.cli_accounts import register_account_commands
from app.extensions import babel, csrf, limiter, login_manager
from app.web import accounts, catalogue, client_pages, contacts, dashboard, intake, settings, site, workspace
from app.web.languages import install_languages, select_locale, select_timezone
from app.web.sessions import load_user
from app.web.templating import install_template_helpers

BLUEPRINTS = [site.blp, catalogue.blp, intake.blp, client_pages.blp, accounts.blp, dashboard.blp, contacts.blp,
              workspace.blp, settings.blp]


def init_web(app: Flask) -> None:
    """Bind the page extensions, exempt the JSON API from CSRF and register the page blueprints."""
    for blueprint in list(app.blueprints.values()):
        csrf.exempt(blueprint)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "web_accounts.login"
    login_manager.login_message = None
    install_languages(app)
    install_template_helpers(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    register_account_commands(app)
