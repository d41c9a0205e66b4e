"""Issue 8, the intake alone: the find-a-partner ceiling of the service against the SQL floor, without the scheduler.

load.py measures the service while its scheduler delivers the outbox, after minutes of mixed load; this script
isolates the submission itself. It rebuilds the database (same rules as load.py: default `bench_load`, dropped
and rebuilt), serves the service and the floor side by side (gunicorn, 4 workers each), warms both up, then
runs load.py's closed-loop ceiling step against each in turn, round after round. The host's speed drifts by
tens of percent within minutes (a CPU-bound loop varies ±40% here), so each round pairs the two measured a few
seconds apart, and the figure to quote is the median of the rounds' ratios. Who goes first alternates from round
to round: in paired runs of the same code under two Python builds, the second of a pair was about 4% faster.

Run:  .venv/bin/python tests/bench/load_ceiling.py [--rounds 5] [--seconds 15]      (about 4 minutes)
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy  # noqa: E402

from tests.bench import load  # noqa: E402
from tests.bench.crm_bench import free_port, markdown_table  # noqa: E402
from tests.bench.load_monitor import children  # noqa: E402
from tests.bench.load_workload import Workload  # noqa: E402

APPS = {"service": "wsgi:app", "floor": "tests.bench.floor_app:app"}
HEADER = ("round", "service ok/s", "p99 ms", "server CPU ms", "floor ok/s", "p99 ms", "server CPU ms",
          "ratio", "cost ratio")


def main(argv: list[str] | None = None) -> None:
    """Rebuild the database, serve the service and the floor, and print each round's pair and the median ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="service/floor pairs")
    parser.add_argument("--seconds", type=float, default=15, help="length of each closed-loop step")
    parser.add_argument("--users", type=int, default=8, help="concurrent clients")
    parser.add_argument("--database", default="bench_load", help="PostgreSQL database to rebuild and use")
    args = parser.parse_args(argv)
    url = load.database_url(args.database)
    print(load.postgres_settings(sqlalchemy.create_engine(load.SERVER + "postgres")), flush=True)
    load.create_database(url)
    load.rebuild(url, 100_000)
    logs = Path(load.options([]).report).parent
    logs.mkdir(exist_ok=True)
    ports = {name: free_port() for name in APPS}
    env = load.service_env(url, FLOOR_DATABASE_URL=url)
    with load.running(load.gunicorn(APPS["service"], ports["service"]), env, logs / "load-ceiling-service.log") as \
            service, load.running(load.gunicorn(APPS["floor"], ports["floor"]), env, logs / "load-ceiling-floor.log") \
            as floor:
        servers = {"service": service, "floor": floor}
        targets, workloads = {}, {}
        for name, server in servers.items():
            load.wait_ready(ports[name], "/healthz")
            targets[name] = load.Target(ports[name], url, {"gunicorn workers": children(server.pid)})
            workloads[name] = Workload(f"{name}{time.time_ns()}", load.SEED, {}, [])
            load.ceiling_step(targets[name], f"{name} warm-up", args.users, 5, workloads[name].submit, 10)
        rounds = [{name: load.ceiling_step(targets[name], f"{name} round {number}", args.users, args.seconds,
                                           workloads[name].submit, 10) for name in turn_order(number)}
                  for number in range(1, args.rounds + 1)]
    rows = [round_row(number, pair) for number, pair in enumerate(rounds, 1)]
    ratios = [float(row[-2]) for row in rows]
    print(markdown_table(HEADER, rows))
    resources = [load.resource_row(pair[name]) for pair in rounds for name in APPS]
    print("\n" + markdown_table(load.RESOURCE_HEADER, resources))
    print(f"\nmedian ratio {statistics.median(ratios):.2f} (range {min(ratios):.2f}–{max(ratios):.2f}); "
          f"service median {statistics.median(p['service'].figures('submit').per_second for p in rounds):.1f}/s, "
          f"floor median {statistics.median(p['floor'].figures('submit').per_second for p in rounds):.1f}/s")


def turn_order(number: int) -> list[str]:
    """Return who goes first in a round, in turn: the second of a pair measured a few percent faster here."""
    return list(APPS) if number % 2 else list(reversed(APPS))


def round_row(number: int, pair: dict) -> tuple:
    """Return one round's line: each side's throughput, p99 and server CPU per submission, and the ratios."""
    figures = {name: pair[name].figures("submit") for name in APPS}
    costs = {name: load.cost_ms(pair[name]) for name in APPS}
    ratio = figures["service"].per_second / max(figures["floor"].per_second, 1e-9)
    return (number, *(value for name in APPS for value in (
        f"{figures[name].per_second:.1f}", f"{figures[name].p99_ms:.0f}", f"{costs[name]:.1f}")),
        f"{ratio:.2f}", f"{costs['floor'] / max(costs['service'], 1e-9):.2f}")


if __name__ == "__main__":
    main()
