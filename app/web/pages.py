"""The shape every page blueprint shares: translated error pages and the ?lang= switch."""
from flask import Blueprint

from app.web.errors import install_error_pages
from app.web.languages import remember_choice


def page_blueprint(name: str, import_name: str, **options) -> Blueprint:
    """Return a blueprint of HTML pages."""
    blueprint = Blueprint(name, import_name, **options)
    blueprint.before_request(remember_choice)
    install_error_pages(blueprint)
    return blueprint
