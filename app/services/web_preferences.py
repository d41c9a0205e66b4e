"""Language preferences chosen on the web pages: a partner's dashboard language, a client's email language."""
from app.extensions import db
from app.models import Client
from app.services.catalogue import get_partner


def set_partner_language(partner_id: int, language: str) -> None:
    """Remember the language a partner uses the dashboard in."""
    get_partner(partner_id).ui_language = language
    db.session.flush()


def set_client_language(client: Client, language: str) -> None:
    """Remember the language a client reads the pages (and so their emails) in."""
    client.language = language
    db.session.flush()
