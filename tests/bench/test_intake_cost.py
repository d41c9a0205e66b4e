"""Issue 8: a short run of tests/bench/intake_cost.py (small catalogue, few submissions) counts both sides.

Run: .venv/bin/python -m pytest tests/bench/test_intake_cost.py -s -p no:cacheprovider -o addopts=""
The full run is `.venv/bin/python tests/bench/intake_cost.py` (about 5 minutes).
"""
import shutil

import pytest

from tests.bench import intake_cost


def test_a_short_count_measures_the_service_and_the_floor(load_server):
    """Both sides get instructions and CPU per submission, and the service does more work than the floor."""
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed")
    figures = intake_cost.main(["--partners", "5000", "--count", "5", "--timed", "20"])
    assert figures.keys() == {"service", "floor"}
    assert all(value > 0 for side in figures.values() for name, value in side.items() if name != "backend_ms")
    assert figures["service"]["instructions"] > figures["floor"]["instructions"]
