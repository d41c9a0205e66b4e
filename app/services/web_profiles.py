"""What a public profile page shows beyond the profile itself: the partner's latest reviews."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import Client, Review

REVIEWS_SHOWN = 20


@dataclass(frozen=True)
class PublicReview:
    """A review as the catalogue shows it: the reviewer's first name only."""

    rating: int
    text: str
    author: str
    created_at: datetime


def latest_reviews(partner_id: int, limit: int = REVIEWS_SHOWN) -> list[PublicReview]:
    """Return a partner's latest reviews, newest first."""
    rows = db.session.execute(
        select(Review.rating, Review.text, Client.name, Review.created_at)
        .join(Client, Client.id == Review.client_id).where(Review.partner_id == partner_id)
        .order_by(Review.created_at.desc(), Review.id.desc()).limit(limit))
    return [PublicReview(rating, text or "", first_name(name), created_at) for rating, text, name, created_at in rows]


def first_name(name: str) -> str:
    """Return the first word of a name."""
    return (name or "").split(" ", 1)[0]
