"""Issue 8: a short run of tests/bench/side_by_side.py, this checkout against itself on a small catalogue.

Run: .venv/bin/python -m pytest tests/bench/test_side_by_side.py -s -p no:cacheprovider -o addopts=""
"""
import pytest
import sqlalchemy

from tests.bench import load, side_by_side


def test_a_checkout_against_itself_costs_about_the_same():
    """Both runs time their submissions at once; the same code comes out near a ratio of 1."""
    try:
        with sqlalchemy.create_engine(load.SERVER + "postgres").connect():
            pass
    except Exception as error:  # noqa: BLE001 - any failure means "not available"
        pytest.skip(f"PostgreSQL not reachable: {error.__class__.__name__}")
    url = load.database_url("bench_side_by_side")
    load.create_database(url)
    load.rebuild(url, 5000)
    ratio = side_by_side.main([str(load.ROOT), str(load.ROOT), "--rounds", "2", "--count", "40",
                               "--database", "bench_side_by_side"])
    assert 0.5 < ratio < 2
