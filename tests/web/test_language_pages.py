"""Languages: the visitor's choice, then Accept-Language; Persian right to left; complete translations."""
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.extensions import db
from app.models import Deal
from tests.builders import make_partner
from tests.web.conftest import TRANSLATIONS, direct_request, sign_in, text_of

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ("ru", "fa", "zh")
PUBLIC_PAGES = ("/", "/partners", "/find-a-partner", "/client-link", "/dashboard/login")


def test_accept_language_picks_the_page_language(client, clock):
    make_partner(clock.now)
    html = text_of(client.get("/partners", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}))
    assert '<html lang="ru" dir="ltr">' in html and "Партнёры" in html
    assert '<html lang="en" dir="ltr">' in text_of(client.get("/partners", headers={"Accept-Language": "de"}))


def test_a_chosen_language_wins_over_accept_language_and_is_remembered(client):
    assert '<html lang="fa" dir="rtl">' in text_of(client.get("/partners?lang=fa"))
    remembered = text_of(client.get("/find-a-partner", headers={"Accept-Language": "zh"}))
    assert '<html lang="fa" dir="rtl">' in remembered
    assert 'href="/find-a-partner?lang=ru"' in remembered and 'aria-current="true">فارسی' in remembered


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_every_public_page_renders_in_every_language(client, language):
    for path in PUBLIC_PAGES:
        answer = client.get(f"{path}?lang={language}")
        assert answer.status_code == 200, path
        assert f'<html lang="{language}"' in text_of(answer)


def extracted_messages() -> set:
    """Return every message the web pages use, as `pybabel extract -F babel.cfg -k _l` finds them."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = DEFAULT_KEYWORDS | {"_l": None}
    return {message for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map, keywords=keywords)}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalogue = read_po(po_file)
    for message in extracted_messages():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalogue.get(key)
        assert entry is not None and not entry.fuzzy, f"{language}: {key!r} is not translated"
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(strings), f"{language}: {key!r} has an empty translation"
        assert not entry.check(catalogue), f"{language}: {key!r} placeholders differ"


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_every_dashboard_and_client_page_renders_in_every_language(client, clock, language):
    partner = make_partner(clock.now, email="nova@example.com")
    deal_id, token = direct_request(client, partner.id)
    client.patch(f"/api/v1/deals/{deal_id}", json={"status": "won", "amount": "500"}, headers=partner.headers)
    sign_in(client, partner.id, "nova@example.com")
    client_id = db.session.scalar(select(Deal.client_id))
    pages = ("/dashboard", f"/dashboard/deals/{deal_id}", "/dashboard/contacts", f"/dashboard/contacts/{client_id}",
             "/dashboard/responsiveness", "/dashboard/templates", "/dashboard/hours", "/dashboard/pipelines",
             "/dashboard/settings", f"/client/{token}", f"/partners/{partner.id}", "/partners")
    for path in pages:
        answer = client.get(path, query_string={"lang": language, "language": "de"})
        assert answer.status_code == 200, path
        assert f'<html lang="{language}"' in text_of(answer), path
