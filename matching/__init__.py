"""Pure catalogue matching: search filters, ranking score, partner selection, suggestions.

``matching.suggestions`` names the re-exported function, which hides the module of the
same name as an attribute: import from it with ``from matching.suggestions import ...``.
"""

from matching.filters import FILTER_NAMES, LanguageMatch, SearchFilters, language_match
from matching.ranking import (
    PRIOR_MEAN,
    PRIOR_WEIGHT,
    RankingInputs,
    ScoreBreakdown,
    bayesian_rating,
    ranking_score,
    score_breakdown,
)
from matching.selection import (
    BAND_WIDTH,
    PICK_COUNT,
    Candidate,
    Pick,
    enough_with_capacity,
    has_capacity,
    is_eligible,
    score_band,
    select_partners,
)
from matching.suggestions import suggestions

__all__ = [
    "BAND_WIDTH",
    "FILTER_NAMES",
    "PICK_COUNT",
    "PRIOR_MEAN",
    "PRIOR_WEIGHT",
    "Candidate",
    "LanguageMatch",
    "Pick",
    "RankingInputs",
    "ScoreBreakdown",
    "SearchFilters",
    "bayesian_rating",
    "enough_with_capacity",
    "has_capacity",
    "is_eligible",
    "language_match",
    "ranking_score",
    "score_band",
    "score_breakdown",
    "select_partners",
    "suggestions",
]
