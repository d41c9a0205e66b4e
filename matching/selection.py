"""Selection policy of "find a partner": pick up to PICK_COUNT distinct partners fairly.

1. Drop candidates that are not accepting requests or have reached their monthly
   capacity (matched leads received in the last 30 days >= monthly_capacity;
   no capacity means unlimited).
2. Order the rest by
   a. language group, only when a language filter is given: primary speakers, then
      secondary speakers, then the others;
   b. score band, best first: band = floor(score / BAND_WIDTH), so scores within the
      same 5 points count as comparable and a clearly better partner still wins;
   c. least recently assigned first (never assigned before anyone), which rotates
      leads among comparable partners;
   d. a random tie-break drawn from the injected rng, one draw per partner in
      ascending partner id order, so a given seed and candidate set always give the
      same order whatever order the candidates arrive in.
3. Take the first `count` distinct partner ids (a partner listed twice is picked once).

Each pick carries a JSON-serialisable reason explaining the choice.
"""

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from matching.filters import LanguageMatch, SearchFilters

PICK_COUNT = 3
BAND_WIDTH = 5.0
LANGUAGE_GROUPS: dict[str, int] = {LanguageMatch.PRIMARY: 0, LanguageMatch.SECONDARY: 1}
OTHER_LANGUAGE_GROUP = len(LANGUAGE_GROUPS)
NEVER_ASSIGNED = datetime.min.replace(tzinfo=UTC)

PolicyKey = tuple[int, int, datetime]


@dataclass(frozen=True)
class Candidate:
    """Describe a partner that passes every filter of a matched request."""

    partner_id: int
    score: float
    language_match: str | None
    last_assigned_at: datetime | None
    monthly_capacity: int | None
    recent_catalogue_deals: int
    accepting_requests: bool = True


@dataclass(frozen=True)
class Pick:
    """Name a chosen partner and why it was chosen."""

    partner_id: int
    reason: dict[str, Any]


def has_capacity(candidate: Candidate) -> bool:
    """Return whether the partner may still receive a catalogue lead in this 30-day window."""
    capacity = candidate.monthly_capacity
    return capacity is None or candidate.recent_catalogue_deals < capacity


def enough_with_capacity(candidates: Sequence[Candidate]) -> bool:
    """Return whether PICK_COUNT of the candidates may still receive a catalogue lead (reading further is moot)."""
    return sum(map(has_capacity, candidates)) >= PICK_COUNT


def is_eligible(candidate: Candidate) -> bool:
    """Return whether the partner accepts requests and has capacity left."""
    return candidate.accepting_requests and has_capacity(candidate)


def score_band(score: float) -> int:
    """Return the band of comparable scores that a score falls in."""
    return math.floor(score / BAND_WIDTH)


def select_partners(
    candidates: Sequence[Candidate],
    filters: SearchFilters,
    rng: random.Random,
    count: int = PICK_COUNT,
) -> list[Pick]:
    """Pick up to `count` distinct eligible partners in policy order, each with its reason."""
    if count < 0:
        raise ValueError("count must not be negative")
    ordered = order_candidates(candidates, filters, rng)
    key_counts = Counter(policy_key(candidate, filters) for candidate in ordered)
    picks = []
    for rank, candidate in enumerate(ordered[:count], start=1):
        tied = key_counts[policy_key(candidate, filters)] > 1
        reason = explain(candidate, filters, rank, len(ordered), tied)
        picks.append(Pick(partner_id=candidate.partner_id, reason=reason))
    return picks


def order_candidates(
    candidates: Sequence[Candidate], filters: SearchFilters, rng: random.Random
) -> list[Candidate]:
    """Return the eligible candidates in policy order, each partner once."""
    eligible = [candidate for candidate in candidates if is_eligible(candidate)]
    draws = {partner_id: rng.random() for partner_id in sorted({c.partner_id for c in eligible})}
    ordered = sorted(
        eligible,
        key=lambda c: (*policy_key(c, filters), draws[c.partner_id], c.partner_id),
    )
    return _distinct(ordered)


def policy_key(candidate: Candidate, filters: SearchFilters) -> PolicyKey:
    """Return the deterministic part of a candidate's sort key: group, band, last assignment."""
    return (
        language_group(candidate, filters),
        -score_band(candidate.score),
        _assigned_moment(candidate.last_assigned_at),
    )


def language_group(candidate: Candidate, filters: SearchFilters) -> int:
    """Return 0 for primary, 1 for secondary, 2 for other speakers; 0 without a language filter."""
    if not filters.language:
        return 0
    return LANGUAGE_GROUPS.get(candidate.language_match or "", OTHER_LANGUAGE_GROUP)


def explain(
    candidate: Candidate, filters: SearchFilters, rank: int, eligible: int, tied: bool
) -> dict[str, Any]:
    """Return the JSON-serialisable reason a candidate was picked."""
    last = candidate.last_assigned_at
    return {
        "filters": filters.given(),
        "language_match": candidate.language_match,
        "score": candidate.score,
        "band": score_band(candidate.score),
        "rank": rank,
        "eligible": eligible,
        "last_assigned_at": last.isoformat() if last else None,
        "summary": summary(candidate, filters, tied),
    }


def summary(candidate: Candidate, filters: SearchFilters, tied: bool) -> str:
    """Return one human sentence explaining why a candidate was picked."""
    parts = [_filters_phrase(filters.given())]
    if filters.language:
        parts.append(_language_phrase(candidate.language_match, filters.language))
    parts.append(f"score {candidate.score:.1f} (band {score_band(candidate.score)})")
    parts.append(_fairness_phrase(candidate.last_assigned_at, tied))
    return "; ".join(parts)


def _filters_phrase(given: dict[str, str]) -> str:
    """Return the phrase naming the filters a partner matches."""
    if not given:
        return "no filters given"
    return "matches " + ", ".join(f"{name}={value}" for name, value in given.items())


def _language_phrase(match: str | None, language: str) -> str:
    """Return the phrase saying how a partner speaks the requested language."""
    if match == LanguageMatch.PRIMARY:
        return f"speaks {language} natively"
    if match == LanguageMatch.SECONDARY:
        return f"speaks {language} as a secondary language"
    return f"does not list {language}"


def _fairness_phrase(last_assigned_at: datetime | None, tied: bool) -> str:
    """Return the phrase explaining the rotation step that favoured a partner."""
    phrase = (
        "never assigned a catalogue lead before"
        if last_assigned_at is None
        else "least recently assigned in its band"
    )
    return f"{phrase}, tie broken at random" if tied else phrase


def _assigned_moment(last_assigned_at: datetime | None) -> datetime:
    """Return the last assignment as an aware UTC moment, the earliest one if never assigned."""
    if last_assigned_at is None:
        return NEVER_ASSIGNED
    if last_assigned_at.tzinfo is None:
        return last_assigned_at.replace(tzinfo=UTC)
    return last_assigned_at


def _distinct(ordered: list[Candidate]) -> list[Candidate]:
    """Return the candidates with later duplicates of a partner id removed."""
    seen: set[int] = set()
    result = []
    for candidate in ordered:
        if candidate.partner_id not in seen:
            seen.add(candidate.partner_id)
            result.append(candidate)
    return result
