"""Auto-responder rules: a partner's weekly opening hours, kept in its own IANA time zone.

A span (start, end) is local wall-clock time; one whose end is not after its start (22:00-02:00,
09:00-00:00, 08:00-08:00) runs into the next day. A start that a daylight-saving gap skips is read
with the offset before the change (02:30 on a spring-forward night opens at 03:30 summer time); an
ambiguous one in the autumn overlap is its first occurrence.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pipelines.clock import as_utc, zone

Span = tuple[time, time]
AUTO_REPLY_INTERVAL = timedelta(hours=24)
PARTNER_ACTIVE_GRACE = timedelta(minutes=5)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_KEYS = tuple(name.lower() for name in DAY_NAMES)


@dataclass(frozen=True)
class WeeklyHours:
    """Opening spans per weekday (0 is Monday) in the IANA zone timezone."""

    timezone: str
    spans: Mapping[int, tuple[Span, ...]]

    def __post_init__(self) -> None:
        """Reject an unknown zone or a weekday outside 0..6."""
        zone(self.timezone)
        if not set(self.spans) <= set(range(7)):
            raise ValueError("weekdays run from 0 (Monday) to 6 (Sunday)")


def is_open(hours: WeeklyHours, now: datetime) -> bool:
    """Tell whether now falls inside one of the partner's spans."""
    now = as_utc(now)
    return any(start <= now < end for start, end in _intervals(hours, now))


def next_opening(hours: WeeklyHours, now: datetime) -> datetime | None:
    """Return, in UTC, the start of the first span beginning after now; None without spans."""
    now = as_utc(now)
    starts = [start for start, _ in _intervals(hours, now) if start > now]
    return min(starts, default=None)


def _intervals(hours: WeeklyHours, now: datetime) -> list[tuple[datetime, datetime]]:
    """List the UTC intervals of the spans of local days from yesterday to a week ahead."""
    tz = zone(hours.timezone)
    today = now.astimezone(tz).date()
    days = (today + timedelta(days=offset) for offset in range(-1, 8))
    return [
        _interval(day, start, end, tz) for day in days for start, end in hours.spans.get(day.weekday(), ())
    ]


def _interval(day: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Place one local span opening on day as a UTC interval."""
    closing_day = day + timedelta(days=1) if end <= start else day
    opens = datetime.combine(day, start, tzinfo=tz)
    closes = datetime.combine(closing_day, end, tzinfo=tz)
    return opens.astimezone(UTC), closes.astimezone(UTC)


def should_auto_reply(
    *,
    hours: WeeklyHours | None,
    now: datetime,
    away: bool,
    last_auto_reply_at: datetime | None,
    last_partner_reply_at: datetime | None,
) -> bool:
    """Tell whether a client's message to this deal gets an automatic reply now.

    Only when the partner is away or outside its hours (no hours set: only when away); at most once
    in any 24 hours per deal; never within 5 minutes of the partner's own reply.
    """
    now = as_utc(now)
    closed = away or (hours is not None and not is_open(hours, now))
    if not closed:
        return False
    if last_auto_reply_at is not None and now - as_utc(last_auto_reply_at) < AUTO_REPLY_INTERVAL:
        return False
    return last_partner_reply_at is None or now - as_utc(last_partner_reply_at) >= PARTNER_ACTIVE_GRACE


def describe_next_opening(opening: datetime, client_timezone: str | None) -> str:
    """Word an opening as the client reads it, e.g. "Monday 09:00 (Europe/Berlin)".

    An unknown or missing client zone falls back to UTC.
    """
    tz = _zone_or_utc(client_timezone)
    local = as_utc(opening).astimezone(tz)
    return f"{DAY_NAMES[local.weekday()]} {local:%H:%M} ({tz.key})"


def _zone_or_utc(name: str | None) -> ZoneInfo:
    """Return the zone called name, or UTC when it is missing or unknown."""
    try:
        return zone(name) if name else ZoneInfo("UTC")
    except ValueError:
        return ZoneInfo("UTC")
