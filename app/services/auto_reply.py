"""The auto-responder: outside business hours (or while away) the client gets the away message, never a 'response'."""
from datetime import datetime, time

from sqlalchemy import func, select

from app.extensions import db
from app.models import Deal, Message, Partner
from app.services import notices
from pipelines.business_hours import (
    WEEKDAY_KEYS,
    WeeklyHours,
    describe_next_opening,
    next_opening,
    should_auto_reply,
)

DEFAULT_SETTINGS = {"enabled": False, "away": False, "message": "", "hours": {}}


def settings(partner: Partner) -> dict:
    """Return the partner's auto-reply settings, with defaults."""
    return DEFAULT_SETTINGS | (partner.auto_reply or {})


def save_settings(partner: Partner, changes: dict) -> dict:
    """Change the auto-reply settings (hours as {"monday": [{"start": "09:00", "end": "18:00"}], …})."""
    partner.auto_reply = settings(partner) | changes
    db.session.flush()
    return settings(partner)


def weekly_hours(partner: Partner) -> WeeklyHours | None:
    """Turn stored hours into the domain's weekly schedule; None when no hours are set."""
    spans = {WEEKDAY_KEYS.index(day): tuple((time.fromisoformat(span["start"]), time.fromisoformat(span["end"]))
                                            for span in items)
             for day, items in settings(partner)["hours"].items() if items}
    return WeeklyHours(timezone=partner.timezone, spans=spans) if spans else None


def answer_if_away(deal: Deal, now: datetime) -> Message | None:
    """Send the away message on a deal when the rules say so; it never counts as a response."""
    partner, config = deal.partner, settings(deal.partner)
    if not config["enabled"] or not config["message"]:
        return None
    hours = weekly_hours(partner)
    if not should_auto_reply(hours=hours, now=now, away=config["away"], last_auto_reply_at=deal.last_auto_reply_at,
                             last_partner_reply_at=last_partner_reply(deal)):
        return None
    message = Message(deal_id=deal.id, origin="automatic", body=away_text(config["message"], hours, deal, now),
                      created_at=now)
    db.session.add(message)
    deal.last_auto_reply_at = now
    db.session.flush()
    notices.message_posted(deal, message, now)
    return message


def away_text(message: str, hours: WeeklyHours | None, deal: Deal, now: datetime) -> str:
    """Add the next opening time, in the client's zone, to the away message."""
    opening = next_opening(hours, now) if hours else None
    if opening is None:
        return message
    return f"{message}\n\nWe are back {describe_next_opening(opening, deal.client.timezone)}."


def last_partner_reply(deal: Deal) -> datetime | None:
    """Return when the partner last wrote on this deal."""
    return db.session.scalar(select(func.max(Message.created_at)).where(
        Message.deal_id == deal.id, Message.origin == "partner"))
