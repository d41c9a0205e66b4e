"""Issue 8, counted rather than timed: what one find-a-partner submission costs the web process and PostgreSQL,
in the service and in the SQL floor (tests/bench/floor_app.py).

The host's speed drifts by tens of percent within minutes, so timed comparisons need paired rounds
(load_ceiling.py). This script counts instead, each app in-process behind Flask's test client (no HTTP server,
one database connection, one submission at a time), on the rebuilt 100,000-partner catalogue:

- the web process's instructions per submission, with valgrind's callgrind, which gives the same count run after
  run whatever else the machine does: two runs of the same submissions, WARM + SHORT and WARM + SHORT + COUNT,
  and their difference divided by COUNT, so that start-up and warm-up cancel out;
- from a run without valgrind: the web process's CPU time and the CPU time of the one PostgreSQL backend that
  served it (/proc/<pid>/stat), per submission.

callgrind counts the web process's own instructions in user space: not the kernel's work on its behalf (socket
reads and writes), nor PostgreSQL's. The CPU times include both, but drift with the host.

Run:  .venv/bin/python tests/bench/intake_cost.py [--count 100] [--timed 1000]      (about 6 minutes)
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench import load  # noqa: E402
from tests.bench.crm_bench import markdown_table  # noqa: E402
from tests.bench.load_workload import Workload  # noqa: E402

SIDES = ("service", "floor")
WARM = 60  # submissions before anything is counted: caches, prepared statements, first-use imports
SHORT = 40  # the shorter callgrind run's counted submissions; the longer one adds --count
TICKS = os.sysconf("SC_CLK_TCK")
HEADER = ("side", "instructions / submission (web process, callgrind)", "web process CPU ms",
          "PostgreSQL backend CPU ms", "both CPU ms")
FIGURES = ("instructions", "cpu_ms", "backend_ms", "both_ms")


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Rebuild the database, count each side, print the table and the floor/service ratios; return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100, help="submissions the two callgrind runs differ by")
    parser.add_argument("--timed", type=int, default=1000, help="submissions of the run without valgrind")
    parser.add_argument("--partners", type=int, default=100_000, help="catalogue size")
    parser.add_argument("--database", default="bench_load", help="PostgreSQL database to rebuild and use")
    parser.add_argument("--keep", action="store_true", help="use the database as it is, without rebuilding")
    parser.add_argument("--sides", default=",".join(SIDES), help="which of service,floor to count")
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)  # a child: submit and print figures
    parser.add_argument("--submissions", type=int, nargs=2, help=argparse.SUPPRESS)  # a child's warm-up, count
    args = parser.parse_args(argv)
    url = load.database_url(args.database)
    if args.side:
        print(json.dumps(child(args.side, url, *args.submissions)))
        return {}
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    if not args.keep:
        load.create_database(url)
        load.rebuild(url, args.partners)
    figures = {side: side_figures(side, args) for side in args.sides.split(",")}
    rows = [row(side, values) for side, values in figures.items()]
    if figures.keys() == set(SIDES):
        rows.append(("floor / service", *(f"{figures['floor'][name] / figures['service'][name]:.2f}"
                                          for name in FIGURES)))
    print(markdown_table(HEADER, rows))
    return figures


def side_figures(side: str, args) -> dict[str, float]:
    """Return one side's instructions per submission (callgrind) and its timed run's figures per submission."""
    timed = run_child(side, args, WARM, args.timed)
    short, long = (instructions(side, args, WARM + SHORT + extra) for extra in (0, args.count))
    print(f"  {side}: {timed}; instructions {short:,} and {long:,}", flush=True)
    cpu_ms, backend_ms = (1000 * timed[name] / args.timed for name in ("cpu_s", "backend_cpu_s"))
    return {"instructions": (long - short) / args.count, "cpu_ms": cpu_ms, "backend_ms": backend_ms,
            "both_ms": cpu_ms + backend_ms}


def row(side: str, figures: dict[str, float]) -> tuple:
    """Return a side's line of the table."""
    return (side, f"{figures['instructions'] / 1e6:.2f} M",
            *(f"{figures[name]:.2f}" for name in FIGURES[1:]))


def run_child(side: str, args, warm: int, count: int, wrapper: tuple[str, ...] = ()) -> dict:
    """Run a child process that submits warm + count requests; return the figures it prints."""
    command = [*wrapper, *child_command(ROOT, sys.executable, args.database, side, warm, count)]
    output = subprocess.run(command, cwd=ROOT, env=load.service_env(load.database_url(args.database)),
                            check=True, capture_output=True, text=True).stdout
    return child_figures(output)


def child_command(root: Path, python: str, database: str, side: str, warm: int, count: int) -> list[str]:
    """Return the command running a checkout's child: warm, then count submissions on one side, figures printed."""
    return [python, str(root / "tests/bench/intake_cost.py"), "--database", database, "--side", side,
            "--submissions", str(warm), str(count)]


def child_figures(output: str) -> dict:
    """Return the figures a child printed on its last line (CPU seconds of the web process and its backend)."""
    return json.loads(output.splitlines()[-1])


def instructions(side: str, args, submissions: int) -> int:
    """Return the instructions a child executes in all (start-up, warm-up and submissions) under callgrind."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        run_child(side, args, submissions, 0, ("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"))
        return int(re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE).group(1))


def child(side: str, url: str, warm: int, count: int) -> dict:
    """Submit warm, then count find-a-partner requests in-process; return the counted ones' CPU times."""
    client, backend_pid = (service_client if side == "service" else floor_client)(url)
    workload = Workload(f"cost-{side}-{time.time_ns()}", load.SEED, {}, [])
    submit(client, workload, warm)
    web, backend = cpu_during(backend_pid, lambda: submit(client, workload, count), side)
    return {"cpu_s": web, "backend_cpu_s": backend}


def cpu_during(backend_pid, run, what: str) -> tuple[float, float]:
    """Return the CPU seconds this process and its one database backend spend while `run()` sends requests."""
    pid = backend_pid()
    cpu_before, backend_before = time.process_time(), cpu_seconds(pid)
    run()
    web, backend = time.process_time() - cpu_before, cpu_seconds(pid) - backend_before
    if backend_pid() != pid:
        raise SystemExit(f"{what}: the requests changed database connection; the backend's CPU is not theirs")
    return web, backend


def submit(client, workload: Workload, count: int) -> None:
    """Post count find-a-partner submissions; stop on an unexpected answer."""
    for _ in range(count):
        call = workload.submit()
        response = client.post(call.path, json=call.body)
        if response.status_code != 201:
            raise SystemExit(f"unexpected answer {response.status_code}: {response.get_data(as_text=True)[:300]}")


def service_client(url: str):
    """Return the service's test client and a function naming its database backend's process id."""
    from app.extensions import db
    from tests.bench.crm_bench import make_app

    app = make_app(url, LOG_LEVEL="WARNING")

    def backend_pid() -> int:
        with app.app_context(), db.engine.connect() as connection:  # the pool's one connection, the requests' own
            return connection.connection.driver_connection.info.backend_pid

    return app.test_client(), backend_pid


def floor_client(url: str):
    """Return the floor's test client and a function naming its database backend's process id."""
    os.environ["FLOOR_DATABASE_URL"] = url
    from tests.bench import floor_app

    return floor_app.app.test_client(), lambda: floor_app.connection().info.backend_pid


def cpu_seconds(pid: int) -> float:
    """Return a local process's user and system CPU time so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime and stime, fields 14 and 15 of proc(5)


if __name__ == "__main__":
    main()
