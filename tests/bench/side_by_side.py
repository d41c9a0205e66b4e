"""Issue 8: what a change saves, timed in two checkouts at the same moment so that both see the same host.

The host's speed drifts by tens of percent within minutes, and runs one after the other compare badly: the later
run of a pair tends to be the faster. Instructions (intake_cost.py) do not drift, but they are not time: work
removed from a tight loop saves fewer nanoseconds than the same count removed from SQLAlchemy's pointer chasing.
This script starts intake_cost.py's in-process child in each checkout at once (the same warm-up and submissions,
each with its own database connection, on the same database) and reports, round after round, the CPU per
submission of each web process and of its PostgreSQL backend, and the ratio of the two checkouts' totals.

A checkout is a folder holding this repository at some commit, with its own `.venv` (a symlink to this one will do):
    git worktree add ../before <rev> && ln -s "$PWD/.venv" ../before/.venv
Both need intake_cost.py (commit 864f935 or later). The database must hold the catalogue: run intake_cost.py or
load_ceiling.py first, or pass --rebuild.

Run:  .venv/bin/python tests/bench/side_by_side.py ../before . [--rounds 4] [--count 600]      (about 3 minutes)
"""
import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench import intake_cost, load  # noqa: E402
from tests.bench.crm_bench import markdown_table  # noqa: E402

HEADER = ("round", "A web CPU ms", "A PostgreSQL CPU ms", "B web CPU ms", "B PostgreSQL CPU ms", "B / A (both)")


def main(argv: list[str] | None = None) -> float:
    """Time both checkouts' submissions together, round after round; print the rounds and the median ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="checkout A")
    parser.add_argument("after", type=Path, help="checkout B")
    parser.add_argument("--rounds", type=int, default=4, help="rounds, each timing both at once")
    parser.add_argument("--count", type=int, default=600, help="timed submissions per checkout and round")
    parser.add_argument("--database", default="bench_load", help="PostgreSQL database holding the catalogue")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the 100,000-partner catalogue first")
    args = parser.parse_args(argv)
    url = load.database_url(args.database)
    if args.rebuild:
        load.create_database(url)
        load.rebuild(url, 100_000)
    rows = [round_row(number, together((args.before, args.after), args.database, args.count))
            for number in range(1, args.rounds + 1)]
    print(markdown_table(HEADER, rows))
    ratios = [float(row[-1]) for row in rows]
    print(f"\nmedian B / A {statistics.median(ratios):.3f} (range {min(ratios):.3f}–{max(ratios):.3f})")
    return statistics.median(ratios)


def together(checkouts: tuple[Path, Path], database: str, count: int) -> list[dict]:
    """Run each checkout's timed child at the same moment; return their figures in CPU ms per submission."""
    children = [subprocess.Popen(
        intake_cost.child_command(root, str(root / ".venv/bin/python"), database, "service", intake_cost.WARM, count),
        cwd=root, env=load.service_env(load.database_url(database), PYTHONPATH=str(root)),
        stdout=subprocess.PIPE, text=True) for root in (checkout.resolve() for checkout in checkouts)]
    outputs = [child.communicate()[0] for child in children]
    if any(child.returncode for child in children):
        raise SystemExit("a checkout's submissions failed; run intake_cost.py there to see why")
    seconds = [intake_cost.child_figures(output) for output in outputs]
    return [{"web": 1000 * side["cpu_s"] / count, "backend": 1000 * side["backend_cpu_s"] / count} for side in seconds]


def round_row(number: int, figures: list[dict]) -> tuple:
    """Return one round's line: each checkout's web and backend CPU per submission, and the ratio of the totals."""
    totals = [side["web"] + side["backend"] for side in figures]
    return (number, *(f"{side[name]:.2f}" for side in figures for name in ("web", "backend")),
            f"{totals[1] / totals[0]:.3f}")


if __name__ == "__main__":
    main()
