"""Normalise instants to UTC and resolve IANA time zones."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def as_utc(moment: datetime) -> datetime:
    """Return moment in UTC; reject a naive datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: give a timezone-aware one")
    return moment.astimezone(UTC)


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone called name; raise ValueError when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error
