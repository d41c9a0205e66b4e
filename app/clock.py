"""The edge's clock and randomness: computed once per request or job, injectable in tests."""
import random
from datetime import UTC, datetime

from flask import current_app


def system_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def now() -> datetime:
    """Return the app's notion of now (config CLOCK)."""
    return current_app.config["CLOCK"]()


def rng() -> random.Random:
    """Return a random generator, seeded when config RANDOM_SEED is set."""
    return random.Random(current_app.config.get("RANDOM_SEED"))
