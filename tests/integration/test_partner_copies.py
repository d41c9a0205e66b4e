"""A partner's row keeps sorted copies of its service slugs and secondary languages equal to the tables they copy."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from app.extensions import db
from app.models import Partner, PartnerLanguage, Service, partner_services
from tests.builders import make_partner, make_service
from tests.statements import sent_statements

BEFORE_COPIES = "b3e1f6a8c4d2"  # the migration before partners had them


def tables_and_copies(partner_id: int) -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]]]:
    """Return a partner's (service slugs, secondary languages) read from their tables, and its row's copies."""
    db.session.expire_all()
    slugs = db.session.scalars(select(Service.slug).join(partner_services).where(
        partner_services.c.partner_id == partner_id).order_by(Service.slug)).all()
    languages = db.session.scalars(select(PartnerLanguage.language).where(
        PartnerLanguage.partner_id == partner_id).order_by(PartnerLanguage.language)).all()
    partner = db.session.get(Partner, partner_id)
    return (list(slugs), list(languages)), (partner.service_slugs, partner.secondary_languages)


def test_every_profile_change_keeps_the_copies(client, clock, admin_headers):
    for slug in ("seo", "email-marketing", "ads"):
        make_service(slug)
    partner = make_partner(clock.now, services=["seo", "email-marketing", "seo"], primary_language="de",
                           secondary_languages=["fr", "en", "fr", "de"])
    tables, copies = tables_and_copies(partner.id)
    assert tables == copies == (["email-marketing", "seo"], ["en", "fr"])
    changes = [({"services": ["seo", "ads"]}, (["ads", "seo"], ["en", "fr"])),
               ({"primary_language": "en"}, (["ads", "seo"], ["fr"])),  # a new primary is no longer secondary
               ({"secondary_languages": ["uk", "de"]}, (["ads", "seo"], ["de", "uk"])),
               ({"secondary_languages": [], "services": ["email-marketing"]}, (["email-marketing"], []))]
    for change, expected in changes:
        answer = client.patch(f"/api/v1/partners/{partner.id}", json=change, headers=admin_headers)
        assert answer.status_code == 200
        shown = answer.get_json()
        assert (shown["services"], shown["secondary_languages"]) == expected
        tables, copies = tables_and_copies(partner.id)
        assert tables == copies == expected


def test_a_refused_change_leaves_tables_and_copies_as_they_were(client, clock, admin_headers):
    make_service("seo")
    partner = make_partner(clock.now, services=["seo"], secondary_languages=["en"])
    answer = client.patch(f"/api/v1/partners/{partner.id}", json={"services": ["seo", "nope"],
                          "secondary_languages": ["fr"]}, headers=admin_headers)
    assert answer.status_code == 422
    tables, copies = tables_and_copies(partner.id)
    assert tables == copies == (["seo"], ["en"])


def test_the_migration_copies_what_existing_partners_have(ctx):
    db.session.remove()
    downgrade(revision=BEFORE_COPIES)
    try:
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO services (id, slug, name) VALUES (1, 'seo', 'SEO'), "
                                    "(2, 'ads', 'Ads'), (3, 'crm', 'CRM')"))
            connection.execute(text(
                "INSERT INTO partners (id, name, type, tier, country, primary_language, email, timezone, "
                "accepting_requests, notify_new_deals, completed_projects, reviews_count, rating_sum, ranking_score, "
                "ranking_band, created_at) VALUES (:id, 'P', 'agency', 'gold', 'DE', 'de', 'p@example.com', 'UTC', "
                "true, true, 0, 0, 0, 0, 0, '2026-01-01 00:00:00')"), [{"id": 1}, {"id": 2}])
            connection.execute(text("INSERT INTO partner_services (partner_id, service_id) VALUES (1, 3), (1, 1), "
                                    "(1, 2)"))
            connection.execute(text("INSERT INTO partner_languages (partner_id, language) VALUES (1, 'uk'), "
                                    "(1, 'en')"))
    finally:
        upgrade()
        db.engine.dispose()  # no pooled connection keeps statements prepared on the old table
    assert tables_and_copies(1) == ((["ads", "crm", "seo"], ["en", "uk"]),) * 2
    assert tables_and_copies(2) == (([], []),) * 2


def test_a_search_page_and_a_profile_read_no_service_or_language_rows(client, clock):
    for number in range(4):
        make_partner(clock.now, services=["seo", "email-marketing"], secondary_languages=["en", "fr"],
                     name=f"Partner {number}")
    with sent_statements(words=1) as sent:
        page = client.get("/api/v1/partners?service=seo&language=fr&per_page=3")
        profile = client.get(f"/api/v1/partners/{page.get_json()['items'][0]['id']}")
    assert [(item["services"], item["secondary_languages"]) for item in page.get_json()["items"]] == [
        (["email-marketing", "seo"], ["en", "fr"])] * 3
    assert profile.get_json()["services"] == ["email-marketing", "seo"]
    selects = [statement for statement in sent if statement == "SELECT"]  # SQLite also sends BEGIN
    assert len(selects) == 4  # the catalogue's token, the group sizes, the page, the profile: no loads of services
    # or languages
