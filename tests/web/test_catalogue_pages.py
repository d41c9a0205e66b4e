"""The catalogue pages: search with every filter, language order, pagination, profiles and direct requests."""
import re

from sqlalchemy import select

from app.extensions import db
from app.models import Deal, LeadRequest, Partner
from tests.builders import make_partner, make_service
from tests.web.conftest import direct_request, fill_in, find_form, text_of


def names_in_order(html: str) -> list[str]:
    """Return the partner names of the result cards, top to bottom."""
    return re.findall(r'<h2 id="partner-\d+"><a href="/partners/\d+">([^<]+)</a>', html)


def test_language_search_puts_native_speakers_first_and_marks_them(client, clock):
    make_partner(clock.now, name="Second Speaker", primary_language="en", secondary_languages=["de"])
    make_partner(clock.now, name="Native Speaker", primary_language="de", secondary_languages=[])
    make_partner(clock.now, name="No German", primary_language="fr", secondary_languages=["en"])
    page = client.get("/partners?language=de")
    html = text_of(page)
    assert page.status_code == 200
    assert names_in_order(html) == ["Native Speaker", "Second Speaker"]
    assert "Speaks German natively" in html and "Also speaks German" in html
    assert "Partners who speak German natively come first." in html


def test_every_filter_narrows_the_catalogue(client, clock):
    make_partner(clock.now, name="Berlin Mail", country="DE", type="agency", tier="gold", services=["email-marketing"])
    make_partner(clock.now, name="Paris Seo", country="FR", type="freelancer", tier="bronze", services=["seo"],
                 primary_language="fr", secondary_languages=[])
    expectations = {
        "service=seo": ["Paris Seo"], "country=DE": ["Berlin Mail"], "type=freelancer": ["Paris Seo"],
        "tier=gold": ["Berlin Mail"], "q=berl": ["Berlin Mail"], "language=fr": ["Paris Seo"],
        "service=email-marketing&country=FR": [],
    }
    for query, names in expectations.items():
        html = text_of(client.get(f"/partners?{query}"))
        assert names_in_order(html) == names, query
    assert "No partner passes all these filters." in text_of(client.get("/partners?service=seo&country=DE"))


def test_results_show_rating_projects_and_response_time(client, clock):
    partner = make_partner(clock.now, name="Rated")
    deal_id, token = direct_request(client, partner.id)
    assert client.patch(f"/api/v1/deals/{deal_id}", json={"status": "won", "amount": "500"},
                        headers=partner.headers).status_code == 200
    client.post(f"/api/v1/client/{token}/reviews", json={"deal_id": deal_id, "rating": 4, "text": "Good"})
    db.session.get(Partner, partner.id).response_time_hours = 5.5
    db.session.commit()
    html = text_of(client.get("/partners"))
    assert "4 out of 5" in html and "(1 review)" in html
    assert "Completed projects: <strong>1</strong>" in html
    assert "Usually answers in: <strong>5.5 h</strong>" in html


def test_cards_and_profiles_name_the_services_offered(client, clock):
    make_service("seo", "Search engine optimisation")
    partner = make_partner(clock.now, services=["seo", "email-marketing"])
    tags = '<li class="tag">Email Marketing</li><li class="tag">Search engine optimisation</li>'
    assert tags in text_of(client.get("/partners"))
    assert tags in text_of(client.get(f"/partners/{partner.id}"))


def test_catalogue_pages_through_results(client, clock):
    for number in range(13):
        make_partner(clock.now, name=f"Partner {number:02d}")
    first, second = text_of(client.get("/partners")), text_of(client.get("/partners?page=2"))
    assert len(names_in_order(first)) == 12 and len(names_in_order(second)) == 1
    assert "13 partners found." in first
    assert 'rel="next"' in first and 'href="/partners?page=2"' in first
    assert 'rel="prev"' in second


def test_a_refused_filter_is_shown_next_to_its_field_with_the_input_kept(client, clock):
    page = client.get("/partners?q=" + "x" * 101)
    html = text_of(page)
    assert page.status_code == 422
    assert re.search(r'id="q"[^>]*aria-invalid="true"', html) or re.search(r'aria-invalid="true"[^>]*id="q"', html)
    assert 'id="q-error"' in html and "x" * 101 in html
    assert text_of(client.get("/partners?service=no-such-service")).count('id="service-error"') == 1


def test_profile_shows_facts_and_reviews(client, clock):
    partner = make_partner(clock.now, name="Studio Nord", secondary_languages=["en", "ru"])
    deal_id, token = direct_request(client, partner.id, name="Maria Schmidt", email="maria@example.org")
    client.patch(f"/api/v1/deals/{deal_id}", json={"status": "won", "amount": "500"}, headers=partner.headers)
    client.post(f"/api/v1/client/{token}/reviews", json={"deal_id": deal_id, "rating": 5, "text": "Superb work"})
    html = text_of(client.get(f"/partners/{partner.id}"))
    assert "<h1 id=\"profile-title\">Studio Nord</h1>" in html
    assert "German (native)" in html and "Russian" in html
    assert "Superb work" in html and "Maria" in html and "Schmidt" not in html
    assert "maria@example.org" not in html and "partner" + str(partner.id) not in html


def test_unknown_profile_is_a_404_page(client):
    page = client.get("/partners/999")
    assert page.status_code == 404 and "Page not found" in text_of(page)
    assert page.mimetype == "text/html"


def test_direct_request_from_the_profile_reaches_that_partner(client, clock):
    partner = make_partner(clock.now, name="Direct Partner")
    make_partner(clock.now, name="Other Partner")
    data = {key: value for key, value in find_form().items() if not key.startswith("filters_")}
    answer = fill_in(client, clock, f"/partners/{partner.id}", data)
    assert answer.status_code == 200, text_of(answer)
    assert "Thank you! Your request is on its way." in text_of(answer)
    assert "Direct Partner" in text_of(answer) and "Other Partner" not in text_of(answer)
    [deal] = db.session.scalars(select(Deal)).all()
    assert deal.partner_id == partner.id and deal.source == "direct"
    assert db.session.scalar(select(LeadRequest)).direct_partner_id == partner.id


def test_profile_of_a_partner_not_accepting_requests_has_no_form(client, clock):
    partner = make_partner(clock.now, accepting_requests=False)
    html = text_of(client.get(f"/partners/{partner.id}"))
    assert "Not accepting new requests at the moment." in html and 'name="client_email"' not in html
