"""Relaxation suggestions for a search or request that found no partner."""

from collections.abc import Mapping

from matching.filters import FILTER_NAMES


def suggestions(counts_without: Mapping[str, int]) -> list[dict]:
    """Return [{"filter", "would_find"}] for each filter whose removal finds partners.

    Most found first, ties in FILTER_NAMES order; filters that would still find
    nobody are left out.
    """
    unknown = sorted(set(counts_without) - set(FILTER_NAMES))
    if unknown:
        raise ValueError(f"unknown filters: {', '.join(unknown)}")
    found = [(name, n) for name, n in counts_without.items() if n > 0]
    found.sort(key=lambda item: (-item[1], FILTER_NAMES.index(item[0])))
    return [{"filter": name, "would_find": n} for name, n in found]
