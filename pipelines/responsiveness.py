"""Response rate and response time of a partner's new requests.

A request's clock starts at its creation, or when it was unmarked as spam. Its first response is the
partner's first human message or first status change. Each category has a target in hours; a request
counts once answered or once its target has passed; a younger unanswered one is pending. Spam counts
nowhere, nor does a request whose clock started more than window_days before now.
"""

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pipelines.clock import as_utc

GENERAL = "general"
DEFAULT_TARGETS: Mapping[str, float] = {GENERAL: 24, "refund": 48}
SPAM_MARK_WINDOW_HOURS = 24
P90_PERCENT = 90


class RequestState(StrEnum):
    """Where a request stands against its response target."""

    MET = "met"
    LATE = "late"
    UNANSWERED = "unanswered"
    PENDING = "pending"
    SPAM = "spam"
    OUTSIDE_WINDOW = "outside_window"


COUNTED_STATES = frozenset({RequestState.MET, RequestState.LATE, RequestState.UNANSWERED})


@dataclass(frozen=True)
class RequestTiming:
    """The facts about one new request that responsiveness needs."""

    deal_id: int
    category: str
    clock_start: datetime
    first_response_at: datetime | None
    spam: bool = False


@dataclass(frozen=True)
class RequestOutcome:
    """One request judged against its target at a given moment."""

    deal_id: int
    category: str
    clock_start: datetime
    first_response_at: datetime | None
    target_hours: float
    respond_by: datetime
    state: RequestState
    response_hours: float | None
    counted: bool
    met_target: bool | None


@dataclass(frozen=True)
class ResponsivenessFigures:
    """Response rate and response-time statistics over counted requests."""

    counted_requests: int
    answered_in_time: int
    answered: int
    pending: int
    response_rate: float | None
    mean_hours: float | None
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class ResponseTimes:
    """Unrounded response-time statistics of the answered requests (None when there are none)."""

    answered: int
    mean: float | None
    median: float | None
    p90: float | None


def target_hours(category: str, targets: Mapping[str, float] = DEFAULT_TARGETS) -> float:
    """Return the category's target in hours, the general one for an unknown category."""
    return targets.get(category, targets[GENERAL])


def respond_by(
    clock_start: datetime, category: str, targets: Mapping[str, float] = DEFAULT_TARGETS
) -> datetime:
    """Return the moment by which the first response meets its target."""
    return as_utc(clock_start) + timedelta(hours=target_hours(category, targets))


def at_risk(
    now: datetime,
    clock_start: datetime,
    category: str,
    targets: Mapping[str, float] = DEFAULT_TARGETS,
) -> bool:
    """Tell whether an unanswered request has less than a quarter of its target left.

    A request already past its target is late, not at risk.
    """
    deadline = respond_by(clock_start, category, targets)
    quarter = timedelta(hours=target_hours(category, targets) / 4)
    return deadline - quarter < as_utc(now) < deadline


def can_mark_spam(created_at: datetime, now: datetime) -> bool:
    """Tell whether a request is still young enough to be marked as spam."""
    return as_utc(now) - as_utc(created_at) <= timedelta(hours=SPAM_MARK_WINDOW_HOURS)


def classify(
    timing: RequestTiming,
    now: datetime,
    window_days: int,
    targets: Mapping[str, float] = DEFAULT_TARGETS,
) -> RequestOutcome:
    """Judge one request at now.

    A response stamped after now has not happened yet at now; one stamped before the clock start
    (a request unmarked as spam after being answered) counts as immediate.
    """
    now, start = as_utc(now), as_utc(timing.clock_start)
    deadline = respond_by(start, timing.category, targets)
    answered_at = _answered_at(timing, now)
    state = _state(start, answered_at, deadline, now, window_days, timing.spam)
    hours = None if answered_at is None else max(0.0, _hours(answered_at - start))
    return RequestOutcome(
        deal_id=timing.deal_id,
        category=timing.category,
        clock_start=start,
        first_response_at=timing.first_response_at,
        target_hours=target_hours(timing.category, targets),
        respond_by=deadline,
        state=state,
        response_hours=hours if state in COUNTED_STATES else None,
        counted=state in COUNTED_STATES,
        met_target=_met(state),
    )


def _answered_at(timing: RequestTiming, now: datetime) -> datetime | None:
    """Return the first response in UTC if it happened by now."""
    if timing.first_response_at is None or as_utc(timing.first_response_at) > now:
        return None
    return as_utc(timing.first_response_at)


def _state(
    start: datetime,
    answered_at: datetime | None,
    deadline: datetime,
    now: datetime,
    window_days: int,
    spam: bool,
) -> RequestState:
    """Name the state of a request at now."""
    if start < now - timedelta(days=window_days):
        return RequestState.OUTSIDE_WINDOW
    if spam:
        return RequestState.SPAM
    if answered_at is not None:
        return RequestState.MET if answered_at <= deadline else RequestState.LATE
    return RequestState.UNANSWERED if now >= deadline else RequestState.PENDING


def _met(state: RequestState) -> bool | None:
    """Say whether a counted state met its target; None when not counted."""
    if state not in COUNTED_STATES:
        return None
    return state is RequestState.MET


def _hours(delta: timedelta) -> float:
    """Convert a duration to hours."""
    return delta.total_seconds() / 3600


def figures(outcomes: Iterable[RequestOutcome]) -> ResponsivenessFigures:
    """Sum up outcomes: rate = met / counted; times over counted answered requests, late ones too."""
    outcomes = list(outcomes)
    counted = [outcome for outcome in outcomes if outcome.counted]
    return summarise(
        counted=len(counted),
        in_time=sum(1 for outcome in counted if outcome.met_target),
        pending=sum(1 for outcome in outcomes if outcome.state is RequestState.PENDING),
        times=response_times(sorted(o.response_hours for o in counted if o.response_hours is not None)),
    )


def response_times(sorted_hours: list[float]) -> ResponseTimes:
    """Return the count, mean, median and nearest-rank 90th percentile of sorted response times."""
    if not sorted_hours:
        return ResponseTimes(0, None, None, None)
    return ResponseTimes(len(sorted_hours), statistics.fmean(sorted_hours), statistics.median(sorted_hours),
                         nearest_rank(sorted_hours, P90_PERCENT))


def summarise(counted: int, in_time: int, pending: int, times: ResponseTimes) -> ResponsivenessFigures:
    """Return the figures as reported: the rate rounded to 4 places, hours to 2."""
    return ResponsivenessFigures(
        counted_requests=counted,
        answered_in_time=in_time,
        answered=times.answered,
        pending=pending,
        response_rate=round(in_time / counted, 4) if counted else None,
        mean_hours=_round_hours(times.mean),
        median_hours=_round_hours(times.median),
        p90_hours=_round_hours(times.p90),
    )


def _round_hours(hours: float | None) -> float | None:
    """Round hours to 2 places, keeping None."""
    return None if hours is None else round(hours, 2)


def nearest_rank(sorted_values: list[float], percent: int) -> float:
    """Return the nearest-rank percentile: the value at 1-based rank ceil(percent * n / 100).

    Integer arithmetic keeps the rank exact, with no float rounding of percent * n / 100.
    """
    rank = max(1, -(-percent * len(sorted_values) // 100))
    return sorted_values[rank - 1]


def by_category(outcomes: Iterable[RequestOutcome]) -> dict[str, ResponsivenessFigures]:
    """Sum up outcomes per category, for the categories with counted or pending requests."""
    groups: dict[str, list[RequestOutcome]] = {}
    for outcome in outcomes:
        if outcome.counted or outcome.state is RequestState.PENDING:
            groups.setdefault(outcome.category, []).append(outcome)
    return {category: figures(groups[category]) for category in sorted(groups)}


def public_response_time(figs: ResponsivenessFigures, minimum_answered: int = 3) -> float | None:
    """Return the median response time shown to clients, None below minimum_answered answers."""
    if figs.answered < minimum_answered:
        return None
    return figs.median_hours


def next_change(outcomes: Iterable[RequestOutcome], window_days: int) -> datetime | None:
    """Return when the figures next change by time alone: a pending target runs out or a request leaves the window."""
    window = timedelta(days=window_days)
    moments = [o.respond_by for o in outcomes if o.state is RequestState.PENDING]
    moments += [o.clock_start + window for o in outcomes if o.counted]
    return min(moments, default=None)
