"""Issue 8, what mixed traffic costs: the CPU one request of each kind of load.py's mix takes in the web process
and in PostgreSQL, so that "what breaks first" rests on a measurement.

Each kind runs in-process behind Flask's test client (no HTTP server, one database connection, one request at a
time) on the rebuilt 100,000-partner catalogue, with load.py's partner tokens and request generator: the web
process's CPU time and that of the one PostgreSQL backend that served it (/proc/<pid>/stat), per request, after a
warm-up. The last column weighs each kind by its share of the mix (40% searches, 40% submissions, 10% deal moves,
10% messages): the part of a mixed request's server CPU that kind accounts for.

Run:  .venv/bin/python tests/bench/kind_cost.py [--count 300]      (about 2 minutes)
"""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench import intake_cost, load  # noqa: E402
from tests.bench.crm_bench import markdown_table  # noqa: E402
from tests.bench.load_http import Call  # noqa: E402
from tests.bench.load_workload import MIX, Workload  # noqa: E402

HEADER = ("kind", "web process CPU ms", "PostgreSQL backend CPU ms", "both CPU ms", "share of the mix's CPU")
WARM = 30  # requests of each kind before anything is counted


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Rebuild the database, time each kind of request, print the table; return the figures per kind."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300, help="counted requests of each kind")
    load.add_catalogue_options(parser)
    args = parser.parse_args(argv)
    url = load.database_url(args.database)
    load.create_database(url)
    load.rebuild(url, args.partners)
    workload = Workload(f"kinds-{time.time_ns()}", load.SEED, *load.issue_tokens(url, args.tokens))
    client, backend_pid = intake_cost.service_client(url)
    figures = {kind: kind_figures(client, backend_pid, getattr(workload, kind), args.count) for kind in MIX}
    print(markdown_table(HEADER, table_rows(figures)))
    return figures


def kind_figures(client, backend_pid, next_call, count: int) -> dict[str, float]:
    """Send WARM then `count` calls of one kind; return the counted calls' CPU per request, in milliseconds."""
    send(client, next_call, WARM)
    web, backend = intake_cost.cpu_during(backend_pid, lambda: send(client, next_call, count), "kind_cost")
    return {"web_ms": web / count * 1000, "backend_ms": backend / count * 1000}


def send(client, next_call, count: int) -> None:
    """Send `count` calls through the test client, booking each answer; stop on an unexpected one."""
    for _ in range(count):
        call: Call = next_call()
        headers = {"Authorization": f"Bearer {call.token}"} if call.token else {}
        response = client.open(call.path, method=call.method, json=call.body, headers=headers)
        if response.status_code >= 300:
            raise SystemExit(f"{call.kind}: unexpected answer {response.status_code}: "
                             f"{response.get_data(as_text=True)[:300]}")
        if call.on_answer:
            call.on_answer(response.status_code, response.get_json())


def table_rows(figures: dict[str, dict[str, float]]) -> list[tuple]:
    """Return a line per kind: its CPU per request and its share of a mixed request's CPU."""
    weighted = {kind: (values["web_ms"] + values["backend_ms"]) * MIX[kind] for kind, values in figures.items()}
    return [(kind, f"{values['web_ms']:.2f}", f"{values['backend_ms']:.2f}",
             f"{values['web_ms'] + values['backend_ms']:.2f}", f"{weighted[kind] / sum(weighted.values()):.0%}")
            for kind, values in figures.items()]


if __name__ == "__main__":
    main()
