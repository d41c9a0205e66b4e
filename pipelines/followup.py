"""The follow-up clock: when an unanswered request offers the client alternatives."""

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
