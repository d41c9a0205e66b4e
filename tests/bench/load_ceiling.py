"""Issue 8, the intake alone: the find-a-partner ceiling of the service or of the SQL floor, without the scheduler.

load.py measures the service while its scheduler delivers the outbox, after minutes of mixed load; this script
isolates the submission itself: a freshly rebuilt database, gunicorn (4 workers) and nothing else, a 5-second
warm-up, then the closed loop of load.py's ceiling step. Same database rules as load.py (default `bench_load`,
dropped and rebuilt).

Run:  .venv/bin/python tests/bench/load_ceiling.py [--floor] [--seconds 20]      (about a minute)
"""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench import load  # noqa: E402
from tests.bench.crm_bench import free_port, markdown_table  # noqa: E402
from tests.bench.load_monitor import children  # noqa: E402
from tests.bench.load_workload import Workload  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    """Rebuild the database, serve the service (or the floor) and print the ceiling step's figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--floor", action="store_true", help="serve tests/bench/floor_app.py instead")
    parser.add_argument("--seconds", type=float, default=20, help="length of the closed-loop step")
    parser.add_argument("--users", type=int, default=8, help="concurrent clients")
    parser.add_argument("--database", default="bench_load", help="PostgreSQL database to rebuild and use")
    args = parser.parse_args(argv)
    url = load.database_url(args.database)
    load.create_database(url)
    load.rebuild(url, 100_000)
    port, app = free_port(), "tests.bench.floor_app:app" if args.floor else "wsgi:app"
    workload = Workload(f"ceiling{time.time_ns()}", load.SEED, {}, [])
    log = Path(load.options([]).report).parent / "load-ceiling-gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    with load.running(load.gunicorn(app, port), load.service_env(url, FLOOR_DATABASE_URL=url), log) as server:
        load.wait_ready(port, "/healthz")
        target = load.Target(port, url, {"gunicorn workers": children(server.pid)})
        load.ceiling_step(target, "warm-up", args.users, 5, workload.submit, 10)
        measured = load.ceiling_step(target, "ceiling", args.users, args.seconds, workload.submit, 10)
    print(markdown_table(load.HEADER, load.step_rows(measured, ("submit",))))
    print(markdown_table(load.RESOURCE_HEADER, [load.resource_row(measured)]))


if __name__ == "__main__":
    main()
