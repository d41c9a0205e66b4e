"""Scheduled work as of one `now`: follow-ups, responsiveness upkeep, payment reminders, then delivery."""
import random
from datetime import datetime

from app.services import follow_ups, payment_reminders, responsiveness
from app.services.delivery import deliver_pending


def run_due(now: datetime, worker_id: str, rng: random.Random) -> dict:
    """Run every due sweep as of `now`, then deliver pending notifications; return what happened."""
    follow_up_outcomes = follow_ups.sweep(now, rng)
    refreshed = responsiveness.sweep(now)
    reminders = payment_reminders.sweep(now)
    delivery = deliver_pending(now, worker_id, rng)
    return {"now": now.isoformat(), "follow_ups": dict(follow_up_outcomes), "responsiveness_refreshed": refreshed,
            "payment_reminders": reminders, "delivery": vars(delivery)}
