"""Unit tests of matching.suggestions: which filter removals would find partners."""

import pytest

from matching.suggestions import suggestions


def test_no_counts_give_no_suggestions():
    assert suggestions({}) == []


def test_filters_that_still_find_nobody_are_left_out():
    assert suggestions({"service": 0, "country": 0}) == []


def test_most_found_first():
    result = suggestions({"service": 2, "country": 7, "tier": 4})

    assert result == [
        {"filter": "country", "would_find": 7},
        {"filter": "tier", "would_find": 4},
        {"filter": "service", "would_find": 2},
    ]


def test_ties_follow_filter_names_order_not_input_order():
    result = suggestions({"tier": 3, "language": 3, "service": 3, "country": 0})

    assert [item["filter"] for item in result] == ["service", "language", "tier"]


def test_zero_is_dropped_among_positive_counts():
    result = suggestions({"type": 0, "language": 1})

    assert result == [{"filter": "language", "would_find": 1}]


def test_unknown_filter_name_is_rejected():
    with pytest.raises(ValueError, match="budget"):
        suggestions({"budget": 5})


def test_text_query_is_not_a_suggestion():
    with pytest.raises(ValueError, match="q"):
        suggestions({"q": 5})
