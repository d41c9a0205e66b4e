"""Unit tests of matching.ranking: the Bayesian rating and the catalogue ranking score."""

import dataclasses

import pytest

from matching.ranking import (
    EXPERIENCE_CAP,
    PRIOR_MEAN,
    PRIOR_WEIGHT,
    RankingInputs,
    bayesian_rating,
    experience_factor,
    ranking_score,
    response_speed_factor,
    responsiveness_factor,
    score_breakdown,
)


def make_inputs(**overrides) -> RankingInputs:
    """Build ranking inputs of an average partner, with overrides."""
    values = {
        "completed_projects": 10,
        "reviews_count": 8,
        "rating_sum": 36,
        "response_rate": 0.8,
        "response_time_hours": 6.0,
    }
    return RankingInputs(**{**values, **overrides})


# --- the Bayesian rating ---------------------------------------------------


def test_prior_is_a_sensible_rating():
    assert 1.0 <= PRIOR_MEAN <= 5.0
    assert PRIOR_WEIGHT > 0


def test_bayesian_rating_without_reviews_is_the_prior():
    assert bayesian_rating(0, 0) == PRIOR_MEAN


def test_bayesian_rating_shrinks_one_review_towards_the_prior():
    assert bayesian_rating(5, 1) == pytest.approx((PRIOR_MEAN * PRIOR_WEIGHT + 5) / (PRIOR_WEIGHT + 1))
    assert PRIOR_MEAN < bayesian_rating(5, 1) < 4.5
    assert 3.0 < bayesian_rating(1, 1) < PRIOR_MEAN


def test_bayesian_rating_approaches_the_real_average_with_many_reviews():
    assert bayesian_rating(4_800, 1_000) == pytest.approx(4.8, abs=0.01)


def test_bayesian_rating_of_forty_reviews_averaging_4_8():
    assert bayesian_rating(192, 40) == pytest.approx(212 / 45)


@pytest.mark.parametrize(("rating_sum", "reviews_count"), [(0, -1), (0, 1), (6, 1), (3, 0), (11, 2)])
def test_bayesian_rating_rejects_impossible_sums(rating_sum, reviews_count):
    with pytest.raises(ValueError):
        bayesian_rating(rating_sum, reviews_count)


# --- the score -------------------------------------------------------------


def test_one_five_star_review_does_not_beat_forty_reviews_of_4_8():
    one_perfect = make_inputs(reviews_count=1, rating_sum=5)
    forty_good = make_inputs(reviews_count=40, rating_sum=192)

    assert ranking_score(forty_good) > ranking_score(one_perfect)


def test_score_of_a_brand_new_partner():
    new = RankingInputs(completed_projects=0, reviews_count=0, rating_sum=0)

    # rating (4-1)/4 * 50 = 37.5, experience 0, neutral responsiveness 0.5 * 20 = 10
    assert ranking_score(new) == 47.5


def test_score_of_a_perfect_partner_is_100():
    perfect = RankingInputs(
        completed_projects=EXPERIENCE_CAP,
        reviews_count=10**6,
        rating_sum=5 * 10**6,
        response_rate=1.0,
        response_time_hours=0.0,
    )

    assert ranking_score(perfect) == pytest.approx(100.0, abs=0.01)
    assert ranking_score(perfect) <= 100.0


def test_score_of_the_worst_partner_is_near_0():
    worst = RankingInputs(
        completed_projects=0,
        reviews_count=10**6,
        rating_sum=10**6,
        response_rate=0.0,
        response_time_hours=10**9,
    )

    assert 0.0 <= ranking_score(worst) < 0.01


def test_score_is_rounded_to_4_decimals():
    score = ranking_score(make_inputs(reviews_count=3, rating_sum=13, response_time_hours=7.0))

    assert score == round(score, 4)
    assert isinstance(score, float)


def test_score_is_the_sum_of_its_breakdown():
    inputs = make_inputs()
    parts = score_breakdown(inputs)

    assert ranking_score(inputs) == round(parts.rating + parts.experience + parts.responsiveness, 4)
    assert 0 <= parts.rating <= 50
    assert 0 <= parts.experience <= 30
    assert 0 <= parts.responsiveness <= 20


def test_weights_are_50_rating_30_experience_20_responsiveness():
    top = score_breakdown(
        RankingInputs(EXPERIENCE_CAP, 10**9, 5 * 10**9, response_rate=1.0, response_time_hours=0.0)
    )

    assert top.rating == pytest.approx(50.0, abs=1e-6)
    assert top.experience == pytest.approx(30.0)
    assert top.responsiveness == pytest.approx(20.0)


# --- experience --------------------------------------------------------------


def test_experience_has_diminishing_returns():
    first_ten = experience_factor(10) - experience_factor(0)
    next_ten = experience_factor(20) - experience_factor(10)

    assert first_ten > next_ten > 0


def test_experience_is_capped():
    assert experience_factor(0) == 0.0
    assert experience_factor(EXPERIENCE_CAP) == pytest.approx(1.0)
    assert experience_factor(EXPERIENCE_CAP * 20) == 1.0


def test_more_completed_projects_never_lower_the_score():
    scores = [ranking_score(make_inputs(completed_projects=n)) for n in range(0, 120)]

    assert scores == sorted(scores)
    assert scores[EXPERIENCE_CAP] == scores[-1]


# --- responsiveness ----------------------------------------------------------


def test_unmeasured_responsiveness_is_neutral():
    assert responsiveness_factor(None, None) == 0.5


def test_fast_partner_ranks_above_an_otherwise_equal_slow_one():
    fast = make_inputs(response_rate=0.9, response_time_hours=1.0)
    slow = make_inputs(response_rate=0.9, response_time_hours=48.0)

    assert ranking_score(fast) > ranking_score(slow)


def test_non_responsive_partner_ranks_below_an_unmeasured_one():
    silent = make_inputs(response_rate=0.0, response_time_hours=None)
    unmeasured = make_inputs(response_rate=None, response_time_hours=None)

    assert ranking_score(silent) < ranking_score(unmeasured)


def test_reliable_fast_partner_ranks_above_an_unmeasured_one():
    reliable = make_inputs(response_rate=0.95, response_time_hours=2.0)
    unmeasured = make_inputs(response_rate=None, response_time_hours=None)

    assert ranking_score(reliable) > ranking_score(unmeasured)


def test_higher_response_rate_ranks_higher():
    assert ranking_score(make_inputs(response_rate=0.9)) > ranking_score(make_inputs(response_rate=0.5))


def test_response_speed_halves_after_a_day():
    assert response_speed_factor(0.0) == 1.0
    assert response_speed_factor(24.0) == 0.5
    assert response_speed_factor(72.0) == 0.25
    assert response_speed_factor(None) == 0.5


def test_response_speed_only_falls_with_time():
    speeds = [response_speed_factor(float(hours)) for hours in range(0, 200)]

    assert speeds == sorted(speeds, reverse=True)
    assert all(0.0 < speed <= 1.0 for speed in speeds)


# --- inputs ------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"completed_projects": -1},
        {"reviews_count": -1, "rating_sum": 0},
        {"reviews_count": 2, "rating_sum": 11},
        {"reviews_count": 2, "rating_sum": 1},
        {"response_rate": 1.5},
        {"response_rate": -0.1},
        {"response_time_hours": -1.0},
    ],
)
def test_impossible_inputs_are_rejected(overrides):
    with pytest.raises(ValueError):
        make_inputs(**overrides)


def test_inputs_are_frozen_and_default_to_unmeasured():
    inputs = RankingInputs(completed_projects=1, reviews_count=0, rating_sum=0)

    assert inputs.response_rate is None
    assert inputs.response_time_hours is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        inputs.reviews_count = 3  # type: ignore[misc]
