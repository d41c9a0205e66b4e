"""Issue 8: a short run of tests/bench/intake_cost.py (small catalogue, few submissions) counts both sides.

Run: .venv/bin/python -m pytest tests/bench/test_intake_cost.py -s -p no:cacheprovider -o addopts=""
The full run is `.venv/bin/python tests/bench/intake_cost.py` (about 5 minutes).
"""
import shutil

import pytest
import sqlalchemy

from tests.bench import intake_cost, load


def test_a_short_count_measures_the_service_and_the_floor():
    """Both sides get instructions and CPU per submission, and the service does more work than the floor."""
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed")
    try:
        with sqlalchemy.create_engine(load.SERVER + "postgres").connect():
            pass
    except Exception as error:  # noqa: BLE001 - any failure means "not available"
        pytest.skip(f"PostgreSQL not reachable: {error.__class__.__name__}")
    figures = intake_cost.main(["--partners", "5000", "--count", "5", "--timed", "20"])
    assert figures.keys() == {"service", "floor"}
    assert all(value > 0 for side in figures.values() for name, value in side.items() if name != "backend_ms")
    assert figures["service"]["instructions"] > figures["floor"]["instructions"]
