"""Scheduled work as of one `now`: follow-ups, responsiveness upkeep, payment reminders, then delivery."""
import random
from datetime import datetime

from app.metrics import FOLLOW_UPS, SWEEP_DURATION
from app.services import follow_ups, payment_reminders, responsiveness
from app.services.delivery import deliver_pending


def run_due(now: datetime, worker_id: str, rng: random.Random) -> dict:
    """Run every due sweep as of `now`, then deliver pending notifications; return what happened."""
    with SWEEP_DURATION.labels("follow_ups").time():
        follow_up_outcomes = follow_ups.sweep(now, rng)
    for outcome, count in follow_up_outcomes.items():
        FOLLOW_UPS.labels(outcome).inc(count)
    with SWEEP_DURATION.labels("responsiveness").time():
        refreshed = responsiveness.sweep(now)
    with SWEEP_DURATION.labels("payment_reminders").time():
        reminders = payment_reminders.sweep(now)
    with SWEEP_DURATION.labels("delivery").time():
        delivery = deliver_pending(now, worker_id, rng)
    return {"now": now.isoformat(), "follow_ups": dict(follow_up_outcomes), "responsiveness_refreshed": refreshed,
            "payment_reminders": reminders, "delivery": vars(delivery)}
