"""Issue 8: a short run of tests/bench/kind_cost.py (small catalogue, few requests) times every kind of the mix.

Run: .venv/bin/python -m pytest tests/bench/test_kind_cost.py -s -p no:cacheprovider -o addopts=""
The full run is `.venv/bin/python tests/bench/kind_cost.py` (about 2 minutes).
"""

from tests.bench import kind_cost
from tests.bench.load_workload import MIX


def test_a_short_run_times_each_kind_of_the_mix(load_server):
    """Every kind gets web and PostgreSQL CPU per request."""
    figures = kind_cost.main(["--partners", "5000", "--tokens", "50", "--count", "10"])
    assert figures.keys() == MIX.keys()
    assert all(values["web_ms"] > 0 and values["backend_ms"] >= 0 for values in figures.values())


def test_shares_weigh_each_kind_by_the_mix():
    """A kind's share is its CPU times its weight in the mix, over the mixed request's total."""
    same = {kind: {"web_ms": 1.0, "backend_ms": 1.0} for kind in MIX}
    shares = {row[0]: row[-1] for row in kind_cost.table_rows(same)}
    assert shares == {kind: f"{weight / sum(MIX.values()):.0%}" for kind, weight in MIX.items()}
