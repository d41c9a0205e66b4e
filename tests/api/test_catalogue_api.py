"""Catalogue API: services, partner profiles and search, through the public surface."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Partner
from app.services.catalogue import refresh_ranking
from tests.builders import make_partner, make_service, partner_fields

PRIVATE_FIELDS = {"email", "webhook_url", "monthly_capacity", "response_rate", "notify_new_deals"}


def test_services_are_listed_and_created_by_the_admin_only(client, admin_headers):
    assert client.get("/api/v1/services").get_json() == []
    created = client.post("/api/v1/services", json={"slug": "seo", "name": "SEO"}, headers=admin_headers)
    assert created.status_code == 201
    assert created.get_json() == {"slug": "seo", "name": "SEO"}
    assert client.get("/api/v1/services").get_json() == [{"slug": "seo", "name": "SEO"}]
    assert client.post("/api/v1/services", json={"slug": "seo", "name": "x"}, headers=admin_headers).status_code == 409


def test_admin_routes_refuse_missing_wrong_and_partner_tokens(client, clock):
    partner = make_partner(clock.now)
    body = {"slug": "seo", "name": "SEO"}
    missing = client.post("/api/v1/services", json=body)
    assert missing.status_code == 401
    assert missing.get_json()["error"]["code"] == "unauthorized"
    assert client.post("/api/v1/services", json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.post("/api/v1/services", json=body, headers=partner.headers).status_code == 403


def test_bad_service_slug_is_a_422_naming_the_field(client, admin_headers):
    answer = client.post("/api/v1/services", json={"slug": "Bad Slug!", "name": ""}, headers=admin_headers)
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"slug", "name"}


def test_partner_is_created_with_every_field_and_gets_a_token_and_webhook_secret(client, admin_headers):
    make_service("seo")
    make_service("email-marketing")
    fields = partner_fields(
        name="Nova Mail", type="freelancer", tier="platinum", country="UA", primary_language="uk",
        secondary_languages=["en", "ru"], services=["seo", "email-marketing"], timezone="Europe/Kyiv",
        webhook_url="https://hooks.example.com/leads", accepting_requests=True, monthly_capacity=12,
        notify_new_deals=False, email="Nova@Example.com")
    answer = client.post("/api/v1/partners", json=fields, headers=admin_headers)
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["token"].startswith("lp_")
    assert body["webhook_secret"].startswith("whsec_")
    partner = body["partner"]
    assert partner | {"id": 0} == partner | {
        "id": 0, "name": "Nova Mail", "type": "freelancer", "tier": "platinum", "country": "UA",
        "primary_language": "uk", "secondary_languages": ["en", "ru"], "services": ["email-marketing", "seo"],
        "timezone": "Europe/Kyiv", "webhook_url": "https://hooks.example.com/leads", "monthly_capacity": 12,
        "notify_new_deals": False, "email": "nova@example.com", "accepting_requests": True,
        "rating": None, "reviews_count": 0, "completed_projects": 0, "response_time_hours": None}
    own = client.get(f"/api/v1/partners/{partner['id']}")
    assert own.status_code == 200
    assert not PRIVATE_FIELDS & set(own.get_json())


def test_partner_without_webhook_gets_no_secret(client, admin_headers):
    make_service()
    body = client.post("/api/v1/partners", json=partner_fields(), headers=admin_headers).get_json()
    assert "webhook_secret" not in body
    assert body["partner"]["webhook_url"] is None


@pytest.mark.parametrize("field, value", [
    ("country", "XX"), ("primary_language", "xx"), ("secondary_languages", ["en", "zz"]),
    ("timezone", "Mars/Olympus"), ("services", ["no-such-service"]), ("type", "company"),
    ("tier", "diamond"), ("email", "not-an-email"), ("monthly_capacity", -1),
    ("webhook_url", "ftp://example.com"),
])
def test_invalid_partner_fields_are_422_with_the_field_named(client, admin_headers, field, value):
    make_service()
    answer = client.post("/api/v1/partners", json=partner_fields(**{field: value}), headers=admin_headers)
    assert answer.status_code == 422
    assert any(name.startswith(field) for name in answer.get_json()["error"]["fields"])
    assert db.session.scalar(select(Partner.id)) is None


def test_missing_required_partner_fields_are_all_named(client, admin_headers):
    answer = client.post("/api/v1/partners", json={}, headers=admin_headers)
    assert answer.status_code == 422
    assert {"name", "type", "tier", "country", "primary_language", "email"} <= set(
        answer.get_json()["error"]["fields"])


def test_private_webhook_address_is_refused_unless_allowed(ctx, client, admin_headers):
    make_service()
    ctx.config["WEBHOOK_ALLOW_PRIVATE"] = False
    try:
        answer = client.post("/api/v1/partners", json=partner_fields(webhook_url="http://127.0.0.1:9/hook"),
                             headers=admin_headers)
    finally:
        ctx.config["WEBHOOK_ALLOW_PRIVATE"] = True
    assert answer.status_code == 422
    assert "webhook_url" in answer.get_json()["error"]["fields"]


def test_partner_updates_its_own_profile_but_not_another(client, clock, admin_headers):
    first, second = make_partner(clock.now), make_partner(clock.now)
    changed = client.patch(f"/api/v1/partners/{first.id}", json={"accepting_requests": False, "tier": "gold"},
                           headers=first.headers)
    assert changed.status_code == 200
    assert changed.get_json()["tier"] == "gold"
    assert changed.get_json()["accepting_requests"] is False
    assert client.patch(f"/api/v1/partners/{second.id}", json={"tier": "gold"},
                        headers=first.headers).status_code == 403
    assert client.get(f"/api/v1/partners/{second.id}").get_json()["tier"] == "silver"
    by_admin = client.patch(f"/api/v1/partners/{second.id}", json={"secondary_languages": ["fr"]},
                            headers=admin_headers)
    assert by_admin.get_json()["secondary_languages"] == ["fr"]


def test_unknown_partner_is_404_in_the_contract_shape(client):
    answer = client.get("/api/v1/partners/999")
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


def search(client, **query) -> list[str]:
    """Return the names found by a catalogue search."""
    answer = client.get("/api/v1/partners", query_string=query)
    assert answer.status_code == 200, answer.get_json()
    return [item["name"] for item in answer.get_json()["items"]]


def test_every_filter_must_hold(client, clock):
    make_partner(clock.now, name="Berlin Mail", services=["email-marketing", "seo"])
    make_partner(clock.now, name="Kyiv Seo", country="UA", primary_language="uk", services=["seo"],
                 type="freelancer", tier="gold")
    make_partner(clock.now, name="Paris Mail", country="FR", primary_language="fr", secondary_languages=[],
                 tier="bronze")
    assert sorted(search(client, service="seo")) == ["Berlin Mail", "Kyiv Seo"]
    assert search(client, service="seo", country="UA") == ["Kyiv Seo"]
    assert search(client, type="freelancer") == ["Kyiv Seo"]
    assert search(client, tier="bronze") == ["Paris Mail"]
    assert sorted(search(client, language="en")) == ["Berlin Mail", "Kyiv Seo"]
    assert search(client, q="mAiL", country="FR") == ["Paris Mail"]
    assert search(client, q="%") == []
    assert search(client, service="seo", tier="bronze") == []


def test_language_search_puts_primary_speakers_first_then_by_score(client, clock):
    secondary_star = make_partner(clock.now, name="Secondary star", primary_language="de",
                                  secondary_languages=["en"])
    make_partner(clock.now, name="Primary plain", country="GB", primary_language="en", secondary_languages=[])
    primary_star = make_partner(clock.now, name="Primary star", country="US", primary_language="en",
                                secondary_languages=[])
    make_partner(clock.now, name="No english", secondary_languages=["fr"])
    for built in (secondary_star, primary_star):
        set_track_record(built.id, completed_projects=40, reviews_count=20, rating_sum=96)
    answer = client.get("/api/v1/partners", query_string={"language": "en"}).get_json()
    assert [(item["name"], item["language_match"]) for item in answer["items"]] == [
        ("Primary star", "primary"), ("Primary plain", "primary"), ("Secondary star", "secondary")]


def set_track_record(partner_id: int, **counters) -> None:
    """Give a partner a track record and refresh its ranking."""
    partner = db.session.get(Partner, partner_id)
    for name, value in counters.items():
        setattr(partner, name, value)
    refresh_ranking(partner)
    db.session.commit()


def test_ranking_prefers_a_proven_track_record(client, clock):
    make_partner(clock.now, name="Newcomer")
    one_review = make_partner(clock.now, name="One five-star review")
    proven = make_partner(clock.now, name="Forty reviews at 4.8")
    set_track_record(one_review.id, completed_projects=1, reviews_count=1, rating_sum=5)
    set_track_record(proven.id, completed_projects=40, reviews_count=40, rating_sum=192)
    assert search(client) == ["Forty reviews at 4.8", "One five-star review", "Newcomer"]
    profile = client.get(f"/api/v1/partners/{proven.id}").get_json()
    assert profile["rating"] == 4.8
    assert profile["reviews_count"] == 40
    assert profile["completed_projects"] == 40


def test_pagination_is_stable_and_counts_the_total(client, clock):
    for number in range(7):
        make_partner(clock.now, name=f"Equal {number}")
    pages = [client.get("/api/v1/partners", query_string={"page": page, "per_page": 3}).get_json()
             for page in (1, 2, 3)]
    names = [item["name"] for page in pages for item in page["items"]]
    assert [page["total"] for page in pages] == [7, 7, 7]
    assert len(names) == len(set(names)) == 7
    again = [item["name"] for item in client.get(
        "/api/v1/partners", query_string={"page": 1, "per_page": 3}).get_json()["items"]]
    assert again == names[:3]
    assert pages[0]["page"] == 1 and pages[0]["per_page"] == 3


@pytest.mark.parametrize("query, field", [
    ({"country": "XX"}, "country"), ({"language": "english"}, "language"), ({"per_page": 1000}, "per_page"),
    ({"page": 0}, "page"), ({"tier": "diamond"}, "tier"), ({"service": "no-such"}, "service"),
])
def test_invalid_search_filters_are_422(client, query, field):
    answer = client.get("/api/v1/partners", query_string=query)
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["fields"]
