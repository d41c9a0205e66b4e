"""Issue 8: a short run of tests/bench/side_by_side.py, this checkout against itself on a small catalogue.

Run: .venv/bin/python -m pytest tests/bench/test_side_by_side.py -s -p no:cacheprovider -o addopts=""
"""

from tests.bench import load, side_by_side


def test_a_checkout_against_itself_costs_about_the_same(load_server):
    """Both runs time their submissions at once; the same code comes out near a ratio of 1."""
    url = load.database_url("bench_side_by_side")
    load.create_database(url)
    load.rebuild(url, 5000)
    ratio = side_by_side.main([str(load.ROOT), str(load.ROOT), "--rounds", "2", "--count", "40",
                               "--database", "bench_side_by_side"])
    assert 0.5 < ratio < 2
