"""Catalogue search counts and pages by language group: the same order and totals as one ordered query."""
import pytest

from app.services import catalogue
from app.services.errors import Invalid
from matching import SearchFilters
from tests.builders import make_partner, make_service


def page_of(filters: SearchFilters, page: int, per_page: int) -> tuple[list[tuple[int, str | None]], int]:
    """Return a search page as (partner id, language match) pairs, and the total."""
    found = catalogue.search(filters, page, per_page)
    return [(partner.id, partner.language_match) for partner in found.items], found.total


def test_language_pages_run_through_primary_then_secondary_speakers(ctx, clock):
    natives = [make_partner(clock.now, country="GB", primary_language="en", secondary_languages=[]).id
               for _ in range(3)]
    secondary = [make_partner(clock.now).id for _ in range(3)]  # German, English as a second language
    french = make_partner(clock.now, secondary_languages=["fr"]).id
    expected = [(partner_id, "primary") for partner_id in natives] + [
        (partner_id, "secondary") for partner_id in secondary]
    english = SearchFilters(language="en")
    pages = [page_of(english, page, 2) for page in (1, 2, 3, 4)]
    assert [items for items, _ in pages] == [expected[0:2], expected[2:4], expected[4:6], []]
    assert {total for _, total in pages} == {6}
    assert page_of(english, 2, 4) == (expected[4:6], 6)
    assert page_of(SearchFilters(language="fr"), 1, 20) == ([(french, "secondary")], 1)


def test_totals_count_every_partner_offering_the_service(ctx, clock):
    make_partner(clock.now, services=["email-marketing"], accepting_requests=False)
    make_partner(clock.now, services=["email-marketing", "seo"])
    make_partner(clock.now, services=["email-marketing"], country="AT")
    make_partner(clock.now, services=["seo"])
    assert catalogue.search(SearchFilters(service="email-marketing"), 1, 1).total == 3
    assert catalogue.search(SearchFilters(service="seo"), 9, 1).total == 2
    assert catalogue.search(SearchFilters(service="email-marketing", country="AT"), 1, 20).total == 1
    make_service("ppc")
    assert page_of(SearchFilters(service="ppc"), 1, 20) == ([], 0)  # a known service nobody offers: no refusal


@pytest.mark.parametrize("filters", [SearchFilters(service="no-such"), SearchFilters(service="no-such", country="DE"),
                                     SearchFilters(service="no-such", language="en")])
def test_an_unknown_service_is_refused_whatever_else_is_asked(ctx, clock, filters):
    make_partner(clock.now)
    with pytest.raises(Invalid) as refused:
        catalogue.search(filters, 1, 20)
    assert "service" in refused.value.fields
