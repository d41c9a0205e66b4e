"""Unit tests of matching.selection: capacity, bands, rotation and reasons of picks."""

import dataclasses
import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from matching.filters import SearchFilters
from matching.selection import (
    BAND_WIDTH,
    PICK_COUNT,
    Candidate,
    has_capacity,
    is_eligible,
    score_band,
    select_partners,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
NO_FILTERS = SearchFilters()
GERMAN = SearchFilters(service="seo", language="de")


def make_candidate(partner_id: int, **overrides) -> Candidate:
    """Build an eligible, never-assigned candidate scoring 70, with overrides."""
    values = {
        "partner_id": partner_id,
        "score": 70.0,
        "language_match": None,
        "last_assigned_at": None,
        "monthly_capacity": None,
        "recent_catalogue_deals": 0,
    }
    return Candidate(**{**values, **overrides})


def picked_ids(candidates, filters=NO_FILTERS, seed=1, count=PICK_COUNT) -> list[int]:
    """Return the partner ids select_partners picks with a seeded rng."""
    picks = select_partners(candidates, filters, random.Random(seed), count)
    return [pick.partner_id for pick in picks]


def run_requests(candidates, requests: int, count: int) -> tuple[Counter, list[list[int]]]:
    """Simulate consecutive requests, recording each assignment on the candidates."""
    pool = {candidate.partner_id: candidate for candidate in candidates}
    rng = random.Random(42)
    received: Counter = Counter()
    history = []
    for number in range(requests):
        now = T0 + timedelta(hours=number)
        ids = [pick.partner_id for pick in select_partners(list(pool.values()), NO_FILTERS, rng, count)]
        for partner_id in ids:
            pool[partner_id] = dataclasses.replace(pool[partner_id], last_assigned_at=now)
        received.update(ids)
        history.append(ids)
    return received, history


# --- bands and capacity ----------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"), [(0.0, 0), (4.9999, 0), (5.0, 1), (71.2, 14), (74.9999, 14), (75.0, 15), (100.0, 20)]
)
def test_score_band(score, band):
    assert score_band(score) == band


def test_band_width_groups_five_points():
    assert BAND_WIDTH == 5.0


@pytest.mark.parametrize(
    ("capacity", "recent", "expected"),
    [(None, 0, True), (None, 1_000, True), (3, 2, True), (3, 3, False), (3, 4, False), (0, 0, False)],
)
def test_has_capacity(capacity, recent, expected):
    candidate = make_candidate(1, monthly_capacity=capacity, recent_catalogue_deals=recent)

    assert has_capacity(candidate) is expected


def test_is_eligible_needs_both_acceptance_and_capacity():
    assert is_eligible(make_candidate(1))
    assert not is_eligible(make_candidate(1, accepting_requests=False))
    assert not is_eligible(make_candidate(1, monthly_capacity=1, recent_catalogue_deals=1))


def test_partners_at_capacity_are_not_picked():
    candidates = [
        make_candidate(1, score=95.0, monthly_capacity=5, recent_catalogue_deals=5),
        make_candidate(2, score=90.0, monthly_capacity=5, recent_catalogue_deals=4),
        make_candidate(3, score=60.0),
        make_candidate(4, score=50.0),
    ]

    assert picked_ids(candidates) == [2, 3, 4]


def test_partners_not_accepting_requests_are_not_picked():
    candidates = [
        make_candidate(1, score=99.0, accepting_requests=False),
        make_candidate(2, score=80.0),
        make_candidate(3, score=60.0),
        make_candidate(4, score=40.0),
    ]

    assert picked_ids(candidates) == [2, 3, 4]


# --- how many ------------------------------------------------------------------


def test_fewer_than_three_when_fewer_qualify():
    candidates = [
        make_candidate(1, score=80.0),
        make_candidate(2, score=60.0),
        make_candidate(3, accepting_requests=False),
    ]

    assert picked_ids(candidates) == [1, 2]


def test_nobody_when_nobody_qualifies():
    candidates = [make_candidate(1, monthly_capacity=0), make_candidate(2, accepting_requests=False)]

    assert select_partners(candidates, NO_FILTERS, random.Random(1)) == []
    assert select_partners([], NO_FILTERS, random.Random(1)) == []


def test_count_limits_the_picks():
    candidates = [make_candidate(partner_id, score=10.0 * partner_id) for partner_id in range(1, 9)]

    assert picked_ids(candidates) == [8, 7, 6]
    assert picked_ids(candidates, count=5) == [8, 7, 6, 5, 4]
    assert picked_ids(candidates, count=0) == []


def test_negative_count_is_rejected():
    with pytest.raises(ValueError):
        select_partners([make_candidate(1)], NO_FILTERS, random.Random(1), count=-1)


def test_duplicate_candidates_are_picked_once():
    candidates = [make_candidate(1, score=90.0)] * 3 + [make_candidate(2, score=90.0)] * 2

    ids = picked_ids(candidates)

    assert sorted(ids) == [1, 2]


def test_duplicates_do_not_crowd_out_other_partners():
    candidates = [make_candidate(1, score=95.0)] * 4 + [
        make_candidate(2, score=80.0),
        make_candidate(2, score=80.0),
        make_candidate(3, score=60.0),
    ]

    assert picked_ids(candidates) == [1, 2, 3]


# --- order -----------------------------------------------------------------------


def test_clearly_better_band_wins_even_when_recently_assigned():
    candidates = [make_candidate(1, score=92.0, last_assigned_at=T0 + timedelta(days=9))] + [
        make_candidate(partner_id, score=70.0) for partner_id in range(2, 8)
    ]

    for seed in range(20):
        assert picked_ids(candidates, seed=seed)[0] == 1


def test_scores_within_a_band_are_comparable():
    candidates = [
        make_candidate(1, score=74.9, last_assigned_at=T0 + timedelta(days=1)),
        make_candidate(2, score=70.0, last_assigned_at=T0),
    ]

    assert picked_ids(candidates, count=1) == [2]


def test_least_recently_assigned_first_and_never_assigned_before_all():
    candidates = [
        make_candidate(1, last_assigned_at=T0 + timedelta(days=3)),
        make_candidate(2, last_assigned_at=T0 + timedelta(days=1)),
        make_candidate(3, last_assigned_at=None),
        make_candidate(4, last_assigned_at=T0 + timedelta(days=2)),
    ]

    assert picked_ids(candidates, count=4) == [3, 2, 4, 1]


def test_naive_times_are_read_as_utc_beside_aware_ones():
    candidates = [
        make_candidate(1, last_assigned_at=datetime(2025, 3, 2, 9, 0)),
        make_candidate(2, last_assigned_at=datetime(2025, 3, 1, 9, 0, tzinfo=UTC)),
    ]

    assert picked_ids(candidates, count=2) == [2, 1]


def test_primary_speakers_come_before_secondary_ones_whatever_their_band():
    candidates = [
        make_candidate(1, score=95.0, language_match="secondary"),
        make_candidate(2, score=55.0, language_match="primary"),
        make_candidate(3, score=85.0, language_match="secondary"),
        make_candidate(4, score=65.0, language_match="primary"),
    ]

    assert picked_ids(candidates, filters=GERMAN, count=4) == [4, 2, 1, 3]


def test_partners_without_the_language_come_last():
    candidates = [
        make_candidate(1, score=99.0, language_match=None),
        make_candidate(2, score=50.0, language_match="secondary"),
        make_candidate(3, score=40.0, language_match="primary"),
    ]

    assert picked_ids(candidates, filters=GERMAN) == [3, 2, 1]


def test_language_groups_are_ignored_without_a_language_filter():
    candidates = [
        make_candidate(1, score=95.0, language_match="secondary"),
        make_candidate(2, score=55.0, language_match="primary"),
    ]

    assert picked_ids(candidates, filters=SearchFilters(service="seo")) == [1, 2]


# --- fairness --------------------------------------------------------------------


def test_rotation_gives_six_equal_partners_five_leads_each_in_thirty_requests():
    candidates = [make_candidate(partner_id) for partner_id in range(1, 7)]

    received, history = run_requests(candidates, requests=30, count=1)

    assert received == {partner_id: 5 for partner_id in range(1, 7)}
    for start in range(0, 30, 6):
        assert sorted(ids[0] for ids in history[start : start + 6]) == [1, 2, 3, 4, 5, 6]


def test_rotation_with_three_picks_does_not_favour_the_same_three():
    candidates = [make_candidate(partner_id, score=70.0 + partner_id / 2) for partner_id in range(1, 7)]

    received, history = run_requests(candidates, requests=30, count=3)

    assert received == {partner_id: 15 for partner_id in range(1, 7)}
    for previous, current in pairwise(history):
        assert set(previous).isdisjoint(current)


def test_random_tie_break_depends_on_the_seed_not_on_partner_ids():
    candidates = [make_candidate(partner_id) for partner_id in range(1, 7)]

    first_picks = {picked_ids(candidates, seed=seed, count=1)[0] for seed in range(40)}

    assert len(first_picks) >= 4


def test_same_seed_gives_the_same_picks_whatever_the_input_order():
    candidates = [make_candidate(partner_id, score=60.0 + partner_id % 3) for partner_id in range(1, 11)]
    shuffled = list(candidates)
    random.Random(7).shuffle(shuffled)

    assert picked_ids(candidates, seed=3) == picked_ids(shuffled, seed=3)
    assert picked_ids(candidates, seed=3) == picked_ids(candidates, seed=3)


# --- reasons ---------------------------------------------------------------------


def test_reason_explains_the_pick():
    filters = SearchFilters(service="seo", country="DE", language="de", q="acme")
    candidate = make_candidate(7, score=71.2, language_match="primary", last_assigned_at=T0)

    [pick] = select_partners([candidate], filters, random.Random(1))

    assert pick.partner_id == 7
    assert pick.reason == {
        "filters": {"service": "seo", "country": "DE", "language": "de"},
        "language_match": "primary",
        "score": 71.2,
        "band": 14,
        "rank": 1,
        "eligible": 1,
        "last_assigned_at": "2025-03-01T09:00:00+00:00",
        "summary": "matches service=seo, country=DE, language=de; speaks de natively; "
        "score 71.2 (band 14); least recently assigned in its band",
    }


def test_reason_is_json_serialisable():
    candidates = [
        make_candidate(1, language_match="primary", last_assigned_at=T0),
        make_candidate(2, language_match="secondary"),
    ]

    picks = select_partners(candidates, GERMAN, random.Random(1))

    for pick in picks:
        assert json.loads(json.dumps(pick.reason)) == pick.reason


def test_reason_ranks_follow_the_pick_order():
    candidates = [make_candidate(partner_id, score=20.0 * partner_id) for partner_id in range(1, 5)]

    picks = select_partners(candidates, NO_FILTERS, random.Random(1))

    assert [(pick.partner_id, pick.reason["rank"]) for pick in picks] == [(4, 1), (3, 2), (2, 3)]
    assert {pick.reason["eligible"] for pick in picks} == {4}


def test_summary_names_a_secondary_speaker_and_a_random_tie():
    candidates = [
        make_candidate(1, language_match="secondary"),
        make_candidate(2, language_match="secondary"),
    ]

    picks = select_partners(candidates, SearchFilters(language="de"), random.Random(1))

    assert [pick.reason["summary"] for pick in picks] == [
        "matches language=de; speaks de as a secondary language; score 70.0 (band 14); "
        "never assigned a catalogue lead before, tie broken at random"
    ] * 2


def test_summary_without_filters():
    [pick] = select_partners([make_candidate(1, score=42.42)], NO_FILTERS, random.Random(1))

    assert pick.reason["filters"] == {}
    assert pick.reason["language_match"] is None
    assert pick.reason["summary"] == (
        "no filters given; score 42.4 (band 8); never assigned a catalogue lead before"
    )
