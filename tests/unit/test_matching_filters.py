"""Unit tests of matching.filters: search filters and language matching."""

import dataclasses

import pytest

from matching.filters import FILTER_NAMES, LanguageMatch, SearchFilters, language_match


def test_filter_names_are_the_contract_filters_in_order():
    assert FILTER_NAMES == ("service", "country", "language", "type", "tier")


def test_given_is_empty_without_filters():
    assert SearchFilters().given() == {}


def test_given_returns_set_filters_in_filter_names_order():
    filters = SearchFilters(tier="gold", service="seo", country="DE")

    given = filters.given()

    assert given == {"service": "seo", "country": "DE", "tier": "gold"}
    assert list(given) == ["service", "country", "tier"]


def test_given_leaves_out_the_text_query():
    assert SearchFilters(q="acme", language="de").given() == {"language": "de"}


def test_given_treats_an_empty_value_as_unset():
    assert SearchFilters(service="", country="FR").given() == {"country": "FR"}


def test_without_removes_one_filter_and_keeps_the_rest():
    filters = SearchFilters(service="seo", country="DE", language="de", q="acme")

    relaxed = filters.without("country")

    assert relaxed == SearchFilters(service="seo", language="de", q="acme")
    assert filters.country == "DE"


def test_without_can_remove_the_text_query():
    assert SearchFilters(service="seo", q="acme").without("q") == SearchFilters(service="seo")


def test_without_rejects_an_unknown_filter():
    with pytest.raises(ValueError, match="unknown filter"):
        SearchFilters(service="seo").without("budget")


def test_filters_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        SearchFilters().service = "seo"  # type: ignore[misc]


def test_relaxations_drop_each_given_filter_once():
    filters = SearchFilters(service="seo", language="de", q="acme")

    assert filters.relaxations() == {
        "service": SearchFilters(language="de", q="acme"),
        "language": SearchFilters(service="seo", q="acme"),
    }


def test_relaxations_are_empty_without_filters():
    assert SearchFilters(q="acme").relaxations() == {}


def test_language_match_primary():
    assert language_match("de", "de", ["en"]) == "primary"


def test_language_match_secondary():
    assert language_match("en", "de", ["fr", "en"]) == "secondary"


def test_language_match_primary_wins_when_also_listed_as_secondary():
    assert language_match("de", "de", ["de"]) == "primary"


def test_language_match_none_when_not_spoken():
    assert language_match("ru", "de", ["en"]) is None


@pytest.mark.parametrize("language", [None, ""])
def test_language_match_none_without_a_language(language):
    assert language_match(language, "de", ["en"]) is None


def test_language_match_ignores_case_and_spaces():
    assert language_match(" DE", "de ", []) == "primary"
    assert language_match("En", "de", ["EN"]) == "secondary"


def test_language_match_accepts_any_iterable_of_secondary_languages():
    assert language_match("fr", "de", (code for code in ["en", "fr"])) == "secondary"


def test_language_match_returns_plain_strings():
    result = language_match("de", "de", [])

    assert type(result) is str
    assert result == LanguageMatch.PRIMARY
