"""The front page and the pages' static files."""
from flask import render_template

from app.services import catalogue
from app.web.pages import page_blueprint

blp = page_blueprint("web_site", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/web")


@blp.get("/")
def home():
    """Show what the catalogue offers and the two ways to find a partner."""
    return render_template("home.html", services=catalogue.list_services())
