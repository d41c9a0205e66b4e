"""Catalogue totals: counted once per filter set while the catalogue is unchanged, counted anew after any change."""
from sqlalchemy import delete

from app.extensions import db
from app.models import CatalogueVersion
from tests.builders import make_partner
from tests.statements import sent_statements


def total(client, **query) -> int:
    """Search the catalogue; return the answer's total."""
    answer = client.get("/api/v1/partners", query_string=query)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["total"]


def counted(client, **query) -> tuple[int, bool]:
    """Search; return the total and whether the search counted partners in SQL."""
    with sent_statements(words=200) as sent:
        found = total(client, **query)
    return found, any("count(" in statement for statement in sent)


def test_a_repeated_search_and_its_next_page_reuse_the_count(client, clock):
    for _ in range(3):
        make_partner(clock.now, country="FR")
    make_partner(clock.now, country="DE")
    assert counted(client, country="FR", per_page=2) == (3, True)
    assert counted(client, country="FR", per_page=2) == (3, False)
    assert counted(client, country="FR", per_page=2, page=2) == (3, False)
    assert counted(client, country="DE") == (1, True)  # another filter set has counts of its own
    assert counted(client, country="FR", language="de") == (3, True)


def test_a_new_partner_is_counted_at_once(client, clock):
    make_partner(clock.now, country="FR")
    assert total(client, country="FR") == 1
    make_partner(clock.now, country="FR")
    assert counted(client, country="FR") == (2, True)


def test_a_profile_change_to_a_filtered_field_is_counted_at_once(client, clock, admin_headers):
    moving = make_partner(clock.now, country="FR", secondary_languages=["en"])
    make_partner(clock.now, country="FR")
    assert (total(client, country="FR"), total(client, language="it")) == (2, 0)
    moved = client.patch(f"/api/v1/partners/{moving.id}", json={"country": "IT"}, headers=moving.headers)
    assert moved.status_code == 200
    assert (total(client, country="FR"), total(client, country="IT")) == (1, 1)
    client.patch(f"/api/v1/partners/{moving.id}", json={"secondary_languages": ["it"]}, headers=admin_headers)
    assert total(client, language="it") == 1


def test_a_change_searches_do_not_filter_on_keeps_the_counts(client, clock):
    partner = make_partner(clock.now, country="FR")
    assert counted(client, country="FR") == (1, True)
    paused = client.patch(f"/api/v1/partners/{partner.id}", json={"accepting_requests": False},
                          headers=partner.headers)
    assert paused.status_code == 200
    assert counted(client, country="FR") == (1, False)


def test_a_refused_change_leaves_the_counts_right(client, clock):
    partner = make_partner(clock.now, country="FR")
    assert total(client, country="FR") == 1
    refused = client.patch(f"/api/v1/partners/{partner.id}", json={"country": "IT", "services": ["no-such"]},
                           headers=partner.headers)
    assert refused.status_code == 422
    assert (total(client, country="FR"), total(client, country="IT")) == (1, 0)


def test_without_a_version_row_every_search_counts(ctx, client, clock):
    make_partner(clock.now, country="FR")
    db.session.execute(delete(CatalogueVersion))
    db.session.commit()
    assert counted(client, country="FR") == (1, True)
    assert counted(client, country="FR") == (1, True)
    make_partner(clock.now, country="FR")  # the next change brings the row back
    assert counted(client, country="FR") == (2, True)
    assert counted(client, country="FR") == (2, False)
