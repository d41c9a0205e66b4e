"""Catalogue ranking score: a number from 0 to 100, rounded to 4 decimals.

    score = 50 * rating + 30 * experience + 20 * responsiveness

each factor lying in 0..1:

* rating = (R - 1) / 4, where R is the Bayesian average rating
  R = (PRIOR_MEAN * PRIOR_WEIGHT + rating_sum) / (PRIOR_WEIGHT + reviews_count),
  i.e. the partner's own stars plus PRIOR_WEIGHT (5) virtual reviews of PRIOR_MEAN (4.0).
  A partner without reviews gets R = 4.0; one 5-star review gives 4.17 while forty
  4.8-star reviews give 4.71, so volume of good reviews beats a single lucky one.
* experience = min(1, ln(1 + completed_projects) / ln(1 + EXPERIENCE_CAP)), EXPERIENCE_CAP = 50:
  logarithmic, so the first projects count most (10 projects = 0.61, 25 = 0.83), and
  capped, so 50 or more completed projects all earn the full 30 points.
* responsiveness = 0.6 * rate + 0.4 * speed, where
  rate = response_rate (0..1), or 0.5 when not yet measurable, and
  speed = 24 / (24 + response_time_hours) (1 at once, 0.5 after 24 h, 0.25 after 72 h),
  or 0.5 when not yet measurable.
  An unmeasured partner thus gets the neutral 0.5 (10 points); a partner that answered
  nobody (rate 0, no time) gets 0.2 (4 points) and ranks below it; between two otherwise
  equal partners the faster one ranks higher.

Why PRIOR_MEAN = 4.0 and PRIOR_WEIGHT = 5: on service marketplaces averages cluster
around 4.3-4.7 stars, so a prior slightly below that places an unreviewed newcomer
under established good partners yet above poorly rated ones; five virtual reviews mean
a partner's own average outweighs the prior only once it has more than five reviews,
which blunts both a single 5-star and a single 1-star review.
"""

import math
from dataclasses import dataclass

PRIOR_MEAN = 4.0
PRIOR_WEIGHT = 5
RATING_WEIGHT = 50.0
EXPERIENCE_WEIGHT = 30.0
RESPONSIVENESS_WEIGHT = 20.0
EXPERIENCE_CAP = 50
RESPONSE_RATE_SHARE = 0.6
RESPONSE_SPEED_SHARE = 0.4
HALF_SPEED_HOURS = 24.0
NEUTRAL_FACTOR = 0.5
MIN_STARS = 1
MAX_STARS = 5


@dataclass(frozen=True)
class RankingInputs:
    """Hold the facts about a partner that its ranking score is computed from."""

    completed_projects: int
    reviews_count: int
    rating_sum: int
    response_rate: float | None = None
    response_time_hours: float | None = None

    def __post_init__(self) -> None:
        """Reject values that no real partner can have."""
        if self.completed_projects < 0:
            raise ValueError("completed_projects must not be negative")
        _check_reviews(self.rating_sum, self.reviews_count)
        if self.response_rate is not None and not 0.0 <= self.response_rate <= 1.0:
            raise ValueError("response_rate must lie between 0 and 1")
        if self.response_time_hours is not None and self.response_time_hours < 0:
            raise ValueError("response_time_hours must not be negative")


@dataclass(frozen=True)
class ScoreBreakdown:
    """Hold the points each component contributes to a ranking score."""

    rating: float
    experience: float
    responsiveness: float

    @property
    def total(self) -> float:
        """Return the ranking score, 0..100, rounded to 4 decimals."""
        return round(self.rating + self.experience + self.responsiveness, 4)


def bayesian_rating(rating_sum: int, reviews_count: int) -> float:
    """Return the average rating shrunk towards PRIOR_MEAN by PRIOR_WEIGHT virtual reviews."""
    _check_reviews(rating_sum, reviews_count)
    return (PRIOR_MEAN * PRIOR_WEIGHT + rating_sum) / (PRIOR_WEIGHT + reviews_count)


def rating_factor(rating: float) -> float:
    """Return a 1..5 star rating mapped onto 0..1."""
    return (rating - MIN_STARS) / (MAX_STARS - MIN_STARS)


def experience_factor(completed_projects: int) -> float:
    """Return 0..1 for completed projects, on a log scale capped at EXPERIENCE_CAP."""
    return min(1.0, math.log1p(completed_projects) / math.log1p(EXPERIENCE_CAP))


def response_speed_factor(response_time_hours: float | None) -> float:
    """Return 0..1 for a median response time, neutral when not yet measurable."""
    if response_time_hours is None:
        return NEUTRAL_FACTOR
    return HALF_SPEED_HOURS / (HALF_SPEED_HOURS + response_time_hours)


def responsiveness_factor(response_rate: float | None, response_time_hours: float | None) -> float:
    """Return 0..1 combining response rate and speed, neutral parts when unmeasured."""
    rate = NEUTRAL_FACTOR if response_rate is None else response_rate
    speed = response_speed_factor(response_time_hours)
    return RESPONSE_RATE_SHARE * rate + RESPONSE_SPEED_SHARE * speed


def score_breakdown(inputs: RankingInputs) -> ScoreBreakdown:
    """Return the weighted points of each ranking component."""
    rating = bayesian_rating(inputs.rating_sum, inputs.reviews_count)
    return ScoreBreakdown(
        rating=RATING_WEIGHT * rating_factor(rating),
        experience=EXPERIENCE_WEIGHT * experience_factor(inputs.completed_projects),
        responsiveness=RESPONSIVENESS_WEIGHT
        * responsiveness_factor(inputs.response_rate, inputs.response_time_hours),
    )


def ranking_score(inputs: RankingInputs) -> float:
    """Return the catalogue ranking score, 0..100, rounded to 4 decimals."""
    return score_breakdown(inputs).total


def _check_reviews(rating_sum: int, reviews_count: int) -> None:
    """Reject a rating sum that 1..5 star reviews cannot add up to."""
    if reviews_count < 0:
        raise ValueError("reviews_count must not be negative")
    if not MIN_STARS * reviews_count <= rating_sum <= MAX_STARS * reviews_count:
        raise ValueError("rating_sum must lie between 1 and 5 stars per review")
