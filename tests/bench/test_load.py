"""Issue 8: a short run of tests/bench/load.py (small catalogue, low rates) must account for every submission.

Run: .venv/bin/python -m pytest tests/bench/test_load.py -s -p no:cacheprovider -o addopts=""
The full run is `.venv/bin/python tests/bench/load.py` (about 10 minutes).
"""

from tests.bench import load


def test_a_short_load_run_accounts_for_every_submission(tmp_path, load_server):
    """Drive the service and the floor briefly; the script exits 0 only when the accounting holds."""
    report = tmp_path / "load-report.md"
    status = load.main(["--partners", "5000", "--tokens", "50", "--rates", "5,10", "--seconds", "8",
                        "--submit-rate", "5", "--submit-seconds", "8", "--ceiling-seconds", "5",
                        "--profile-seconds", "0", "--report", str(report)])
    text = report.read_text()
    assert status == 0, text
    assert "accounting holds" in text
