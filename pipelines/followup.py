"""The follow-up clock: when an unanswered request offers the client alternatives."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pipelines.clock import as_utc


def follow_up_due_at(created_at: datetime, after_hours: int) -> datetime:
    """Return the UTC instant exactly after_hours elapsed hours after created_at.

    The arithmetic is done in UTC, so a daylight-saving change in anyone's zone never shifts it.
    """
    if after_hours <= 0:
        raise ValueError("after_hours must be positive")
    return as_utc(created_at) + timedelta(hours=after_hours)


def needs_follow_up(
    *,
    created_at: datetime,
    now: datetime,
    after_hours: int,
    answered: bool,
    spam: bool,
    already_sent: bool,
) -> bool:
    """Tell whether the client should now be offered alternatives for this request."""
    if answered or spam or already_sent:
        return False
    return as_utc(now) >= follow_up_due_at(created_at, after_hours)


@dataclass(frozen=True)
class DealReply:
    """What a follow-up decision needs of one deal: when it was first answered, when marked as spam."""

    first_response_at: datetime | None
    spam_marked_at: datetime | None


def follow_up_outcome(
    *, created_at: datetime, due_at: datetime, now: datetime, after_hours: int, deals: Sequence[DealReply]
) -> str:
    """Return "due" when the client should be offered alternatives, else why not.

    The reasons: "unmatched" (no deals), "answered" (a first response by the due time), "spam" (every deal
    marked as spam) or "not_due" (the delay has not elapsed yet).
    """
    if not deals:
        return "unmatched"
    answered = any(deal.first_response_at is not None and deal.first_response_at <= due_at for deal in deals)
    spam = all(deal.spam_marked_at is not None for deal in deals)
    if needs_follow_up(created_at=created_at, now=now, after_hours=after_hours, answered=answered, spam=spam,
                       already_sent=False):
        return "due"
    return "answered" if answered else "spam" if spam else "not_due"
