"""Issue 8, load: the service under gunicorn (4 workers) beside its scheduler, on PostgreSQL with the generated
100,000-partner catalogue, driven open-loop by a mix of catalogue searches, find-a-partner submissions, deal moves
and messages at increasing rates; then find-a-partner alone against the service and against the SQL floor
(tests/bench/floor_app.py), a py-spy profile of the service under that load (in a step of its own: the sampler
takes CPU), and the accounting of every submission in the database.

Run:  .venv/bin/python tests/bench/load.py          (about 10 minutes; --help lists the knobs)
Exit status 1 when the accounting fails. The Markdown report goes to .bench/load-report.md, the servers' logs
beside it.

Traffic goes to 127.0.0.1 only; every step is bounded in time and in requests in flight, and the script stops
the processes it started. The database (default `bench_load`) is dropped and rebuilt on each run.
"""
import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

from tests.bench import catalogue_data, load_http, load_workload  # noqa: E402
from tests.bench.crm_bench import free_port, markdown_table  # noqa: E402
from tests.bench.load_http import Step  # noqa: E402
from tests.bench.load_monitor import StepMonitor, children  # noqa: E402
from tests.bench.load_profile import profile_service, statement_profile  # noqa: E402
from tests.bench.load_workload import DealState, Workload  # noqa: E402

AUTOVACUUM_OFF = (": **not as in production** - dead partner rows and stale statistics pile up during the run and "
                  "the service's PostgreSQL CPU per submission doubles within minutes; `ALTER SYSTEM SET autovacuum = "
                  "on` and `SELECT pg_reload_conf()` first")
FORBIDDEN_DATABASES = frozenset({"test", "lead_dev", "web_dev", "bench", "bench_sweep", "postgres"})
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
BIN = Path(sys.executable).parent
WORKERS = 4
SEED = 1
KINDS = ("search", "submit", "update", "message")


def options(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_catalogue_options(parser)
    parser.add_argument("--rates", default="10,25,50,100,200,300", help="target req/s of the mixed steps")
    parser.add_argument("--seconds", type=float, default=60, help="length of each mixed step")
    parser.add_argument("--submit-rate", type=float, default=200, help="find-a-partner req/s, service and floor")
    parser.add_argument("--submit-seconds", type=float, default=60, help="length of each find-a-partner step")
    parser.add_argument("--ceiling-seconds", type=float, default=20, help="closed-loop throughput ceiling step")
    parser.add_argument("--users", type=int, default=8, help="concurrent clients of the ceiling step")
    parser.add_argument("--keep-going", action="store_true", help="run every rate, even past saturation")
    parser.add_argument("--timeout", type=float, default=10,
                        help="an answer later than this counts as a timeout (seconds)")
    parser.add_argument("--profile-seconds", type=float, default=15, help="py-spy sampling (0: no profile)")
    parser.add_argument("--report", default=str(ROOT / ".bench" / "load-report.md"), help="Markdown report file")
    return parser.parse_args(argv)


def add_catalogue_options(parser: argparse.ArgumentParser) -> None:
    """Add the options naming the database to rebuild, its catalogue's size and how many partners get tokens."""
    parser.add_argument("--database", default="bench_load", help="PostgreSQL database to rebuild and use")
    parser.add_argument("--partners", type=int, default=100_000, help="catalogue size")
    parser.add_argument("--tokens", type=int, default=300, help="partners given API tokens (those with most deals)")


# --- the database -------------------------------------------------------------------------------------------


def database_url(name: str) -> str:
    """Return the benchmark database's URL, refusing the databases other work relies on."""
    if name in FORBIDDEN_DATABASES:
        raise SystemExit(f"Refusing to rebuild database {name!r}: it is not the load test's own.")
    return SERVER + name


def create_database(url: str) -> None:
    """Create the database when it does not exist yet."""
    name = make_url(url).database
    engine = sqlalchemy.create_engine(SERVER + "postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()


def rebuild(url: str, partners: int) -> None:
    """Empty the schema, migrate it with the CLI, bulk-load the catalogue and analyse it."""
    from app import models  # noqa: F401 - registers the tables the loader inserts into

    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, check=True,
                   env=service_env(url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with engine.begin() as connection:
        catalogue_data.load(connection, catalogue_data.generate(SEED, partners))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def issue_tokens(url: str, count: int) -> tuple[dict[int, str], list[DealState]]:
    """Give API tokens to the partners with most deals; return the tokens and those partners' deals."""
    from app.extensions import db
    from app.services.tokens import issue_token
    from tests.bench.crm_bench import make_app

    app = make_app(url)
    with app.app_context():
        ids = list(db.session.execute(text(
            "SELECT partner_id FROM deals GROUP BY partner_id ORDER BY count(*) DESC, partner_id LIMIT :n"),
            {"n": count}).scalars())
        tokens = {partner_id: issue_token(partner_id, datetime.now(UTC)) for partner_id in ids}
        db.session.commit()
        deals = [DealState(*row) for row in db.session.execute(text(
            "SELECT id, partner_id, status, ever_won FROM deals WHERE partner_id = ANY(:ids) ORDER BY id"),
            {"ids": ids})]
        db.engine.dispose()
    return tokens, deals


# --- the processes ------------------------------------------------------------------------------------------


def service_env(url: str, **extra: str) -> dict[str, str]:
    """Return the environment of the service's processes."""
    return os.environ | {"DATABASE_URL": url, "MAIL_URL": "console://", "LOG_LEVEL": "WARNING",
                         "RATELIMIT_ENABLED": "false", "SECRET_KEY": "bench-load", "PYTHONPATH": str(ROOT),
                         "PUBLIC_BASE_URL": "http://127.0.0.1:5000"} | extra


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run a process for the duration of the block, its output in a log file; stop it afterwards."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def gunicorn(app: str, port: int) -> list[str]:
    """Return the gunicorn command serving an app with the benchmark's settings."""
    return [str(BIN / "gunicorn"), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", app]


def wait_ready(port: int, path: str, seconds: float = 60) -> None:
    """Wait until GET path answers 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"Nothing answered on port {port} within {seconds} s.")


def settle(port: int, path: str, seconds: float = 120) -> None:
    """Wait until the server answers promptly again (its backlog from an overloaded step is gone)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=seconds).close()
        except OSError:
            pass
        if time.perf_counter() - started < 0.05:
            return
        time.sleep(0.5)


# --- the steps ----------------------------------------------------------------------------------------------


@dataclass
class Target:
    """A server under test: its port, its database and the processes whose CPU is its own."""

    port: int
    url: str
    components: dict[str, list[int]]


@dataclass
class Measured:
    """A step's outcomes, with what the machine and PostgreSQL did meanwhile."""

    step: Step
    monitor: StepMonitor

    def figures(self, kind: str = "all") -> load_http.KindFigures:
        """Return one kind's figures ('all' for every kind together)."""
        outcomes = all_kinds(self.step.outcomes) if kind == "all" else self.step.outcomes
        return load_http.figures(outcomes, kind, self.step.started, self.step.seconds)


def measure(target: Target, name: str, rate: float | None, seconds: float, run) -> Measured:
    """Run one step (a coroutine factory returning its start time and outcomes) under the monitor."""
    components = target.components | {"load generator": [os.getpid()]}
    with StepMonitor(target.url, make_url(target.url).database, components) as monitor:
        started, outcomes = asyncio.run(run())
    measured = Measured(Step(name, rate, started, seconds, outcomes), monitor)
    done = measured.figures()
    print(f"  {name}: {done.sent} sent, {done.per_second:.1f} ok/s, p99 {done.p99_ms:.0f} ms, errors "
          f"{done.error_text}; CPU busy {monitor.cpu_shares()['machine busy']:.0f}%", flush=True)
    return measured


def open_step(target: Target, name: str, rate: float, seconds: float, next_call, timeout: float) -> Measured:
    """Offer an open-loop load at a rate, then wait for the server's backlog to drain."""
    measured = measure(target, name, rate, seconds, lambda: load_http.open_loop(
        target.port, rate, seconds, next_call, timeout, seed=int(rate)))
    settle(target.port, "/healthz")
    return measured


def ceiling_step(target: Target, name: str, users: int, seconds: float, next_call, timeout: float) -> Measured:
    """Find the throughput ceiling with a closed loop of clients."""
    return measure(target, name, None, seconds, lambda: load_http.closed_loop(
        target.port, users, seconds, next_call, timeout))


def saturated(measured: Measured) -> bool:
    """Tell whether a step got less than half of its offered load answered."""
    return measured.figures().per_second < 0.5 * (measured.step.target_rate or 0)


def step_rows(measured: Measured, kinds=KINDS) -> list[tuple]:
    """Return the report lines of a step: every kind present, then all together."""
    step, rows = measured.step, []
    for kind in (kind for kind in kinds if any(o.kind == kind for o in step.outcomes)):
        fig = measured.figures(kind)
        rows.append((step.name, target(step), kind, fig.sent, f"{fig.per_second:.1f}", f"{fig.p50_ms:.0f}",
                     f"{fig.p99_ms:.0f}", fig.error_text))
    if len(rows) > 1:
        fig = measured.figures()
        rows.append((step.name, target(step), "**all**", fig.sent, f"**{fig.per_second:.1f}**",
                     f"{fig.p50_ms:.0f}", f"{fig.p99_ms:.0f}", fig.error_text))
    return rows


def cost_ms(measured: Measured) -> float:
    """Return the CPU the server side (workers, its PostgreSQL backends, scheduler) spent per answered request."""
    return 1000 * measured.monitor.cpu_seconds(SERVER_SIDE) / max(1, measured.figures().ok)


def resource_row(measured: Measured) -> tuple:
    """Return one line of the resources table: CPU by component, cost per request and the backends' states."""
    cpu, states = measured.monitor.cpu_shares(), measured.monitor.state_shares()
    cost = cost_ms(measured)
    return (measured.step.name, *(f"{cpu.get(name, 0):.0f}%" for name in CPU_COLUMNS), f"{cost:.0f}",
            f"{1000 * CORES / cost:.0f}/s", *(f"{states.get(name, 0):.0f}%" for name in STATE_COLUMNS))


def all_kinds(outcomes: list) -> list:
    """Return the outcomes relabelled as one kind, 'all'."""
    return [load_http.Outcome("all", o.status, o.due, o.finished, o.error) for o in outcomes]


def target(step: Step) -> str:
    """Return a step's offered load: its rate, or the closed loop's users."""
    return f"{step.target_rate:g}/s" if step.target_rate else "closed loop"


HEADER = ("step", "offered", "kind", "sent", "ok/s", "p50 ms", "p99 ms", "errors")
CPU_COLUMNS = ("machine busy", "gunicorn workers", "PostgreSQL (this database)", "scheduler", "load generator",
               "other processes")
STATE_COLUMNS = ("executing", "lock wait", "in transaction, waiting for the app", "idle")
SERVER_SIDE = ("gunicorn workers", "PostgreSQL (this database)", "scheduler")
CORES = os.cpu_count() or 1
RESOURCE_HEADER = ("step", "CPU busy", "workers", "PostgreSQL", "scheduler", "generator", "others",
                   "server CPU ms / ok req", "dedicated-box estimate", "PG executing", "PG lock wait",
                   "PG in txn, waiting for app", "PG idle")


def tables(title: str, measured: list[Measured], kinds=KINDS) -> str:
    """Return a titled latency table and resources table for some steps."""
    rows = [row for one in measured for row in step_rows(one, kinds)]
    return (f"### {title}\n\n{markdown_table(HEADER, rows)}\n\nCPU (share of both cores; 'others' is work "
            f"outside this benchmark), the server side's CPU per answered request and the rate {CORES} cores would "
            f"sustain at that cost, and PostgreSQL backends (share of samples) during each step:\n\n"
            f"{markdown_table(RESOURCE_HEADER, [resource_row(one) for one in measured])}")


# --- the whole run ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Prepare, load the service and the floor, account, profile and report."""
    args = options(argv)
    url = database_url(args.database)
    logs = Path(args.report).parent
    logs.mkdir(exist_ok=True)
    print(f"Preparing {make_url(url).database} with {args.partners:,} partners …", flush=True)
    began = time.monotonic()
    create_database(url)
    rebuild(url, args.partners)
    tokens, deals = issue_tokens(url, args.tokens)
    print(f"  ready in {time.monotonic() - began:.0f} s: {len(tokens)} tokens, {len(deals)} deals to move",
          flush=True)
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as connection:
        marks = load_workload.high_water_marks(connection)
    workload = Workload("svc", SEED, tokens, deals)
    sections = [machine_section(engine, args)]
    service = run_service(url, args, workload, logs)
    sections += service.sections
    accounting, accounted = accounting_section(engine, workload, marks)
    sections.append(accounting)
    floor = run_floor(url, args, logs)
    sections.append(floor_section(service, floor, args))
    sections.append(statement_profile(url))
    report = "\n\n".join(sections) + "\n"
    Path(args.report).write_text(report)
    print("\n" + report)
    print(f"Written to {args.report}; {time.monotonic() - began:.0f} s in all.")
    engine.dispose()
    return 0 if accounted else 1


@dataclass
class ServiceRun:
    """What the service's part of the run produced."""

    sections: list[str]
    submit: Measured
    ceiling: Measured


def run_service(url: str, args, workload: Workload, logs: Path) -> ServiceRun:
    """Serve the app with the scheduler beside it, run the mixed steps, find-a-partner alone, profile it."""
    port, env = free_port(), service_env(url)
    scheduler = [str(BIN / "flask"), "--app", "wsgi", "scheduler", "--interval", "5"]
    with running(gunicorn("wsgi:app", port), env, logs / "load-gunicorn.log") as server, \
            running(scheduler, env, logs / "load-scheduler.log") as timer:
        wait_ready(port, "/healthz")
        service = Target(port, url, {"gunicorn workers": children(server.pid), "scheduler": [timer.pid]})
        print(f"Service on :{port} (gunicorn pid {server.pid}); mixed steps …", flush=True)
        mixed = mixed_steps(service, args, workload)
        submit = open_step(service, "find-a-partner", args.submit_rate, args.submit_seconds, workload.submit,
                           args.timeout)
        ceiling = ceiling_step(service, "find-a-partner ceiling", args.users, args.ceiling_seconds,
                               workload.submit, args.timeout)
        profile = profiled_step(service, server.pid, args, workload)
    sections = [tables("Service: mixed load", mixed), tables("Service: find-a-partner alone", [submit, ceiling],
                                                             ("submit",)), profile]
    return ServiceRun(sections, submit, ceiling)


def mixed_steps(service: Target, args, workload: Workload) -> list[Measured]:
    """Run the mixed steps at increasing rates, stopping after the first one the service cannot keep up with."""
    mixed = []
    for rate in (float(r) for r in args.rates.split(",")):
        mixed.append(open_step(service, f"mix {rate:g}/s", rate, args.seconds, workload.next_call, args.timeout))
        if saturated(mixed[-1]) and not args.keep_going:
            print("  saturated: the higher rates are skipped (--keep-going runs them)", flush=True)
            break
    return mixed


def profiled_step(service: Target, pid: int, args, workload: Workload) -> str:
    """Profile the workers with py-spy during a closed-loop find-a-partner step of its own, after the measured ones.

    The sampler takes CPU from the two cores, so no figure of the report is measured while it runs; the step's
    submissions are accounted for with the others'.
    """
    if not args.profile_seconds:
        return ""
    with profile_service(pid, args.profile_seconds) as profile:
        ceiling_step(service, "find-a-partner, profiled", args.users, args.profile_seconds, workload.submit,
                     args.timeout)
    return profile.report()


def run_floor(url: str, args, logs: Path) -> tuple[Measured, Measured]:
    """Serve the SQL floor under the same gunicorn settings and run the find-a-partner steps against it."""
    port = free_port()
    workload = Workload("floor", SEED, {}, [])
    with running(gunicorn("tests.bench.floor_app:app", port), service_env(url, FLOOR_DATABASE_URL=url),
                 logs / "load-floor.log") as server:
        wait_ready(port, "/healthz")
        floor = Target(port, url, {"gunicorn workers": children(server.pid)})
        print(f"Floor on :{port} …", flush=True)
        submit = open_step(floor, "floor find-a-partner", args.submit_rate, args.submit_seconds,
                           workload.submit, args.timeout)
        ceiling = ceiling_step(floor, "floor ceiling", args.users, args.ceiling_seconds, workload.submit,
                               args.timeout)
    return submit, ceiling


def floor_section(service: ServiceRun, floor: tuple[Measured, Measured], args) -> str:
    """Return the floor's tables and the service/floor throughput ratios."""
    def ratio_line(label: str, mine: Measured, floors: Measured) -> str:
        ours, theirs = mine.figures("submit").per_second, floors.figures("submit").per_second
        return (f"- {label}: service {ours:.1f}/s, floor {theirs:.1f}/s, **ratio {ours / max(theirs, 1e-9):.2f}**; "
                f"server CPU per submission: service {cost_ms(mine):.0f} ms, floor {cost_ms(floors):.0f} ms, "
                f"**cost ratio floor/service {cost_ms(floors) / max(cost_ms(mine), 1e-9):.2f}**")

    lines = [ratio_line(f"at {args.submit_rate:g}/s offered", service.submit, floor[0]),
             ratio_line(f"ceiling ({args.users} clients, closed loop)", service.ceiling, floor[1])]
    return (tables("Floor: find-a-partner as one hand-written SQL transaction", list(floor), ("submit",))
            + "\n\nService / floor find-a-partner throughput:\n\n" + "\n".join(lines))


def accounting_section(engine: Engine, workload: Workload, marks: dict[str, int]) -> tuple[str, bool]:
    """Account for every submission and move: database rows against what the answers imply; tell if it holds."""
    with engine.connect() as connection:
        checks, pairs_match = load_workload.account(connection, workload.ledger, marks)
        delivery = load_workload.outbox_status(connection, marks)
    rows = [(c.what, c.expected, c.uncertain, c.found, "ok" if c.ok else "**MISMATCH**") for c in checks]
    ledger = workload.ledger
    verdict = all(c.ok for c in checks) and pairs_match
    lines = [f"- submissions sent {len(ledger.submissions)}, answered 201 "
             f"{sum(1 for a in ledger.submissions.values() if a)}; unexpected answers: "
             f"{dict(ledger.unexpected) or 'none'}; unanswered calls: {dict(ledger.uncertain) or 'none'}",
             f"- every answered request's (request, partner) pairs equal the deals in the database: {pairs_match}",
             f"- outbox rows written by the load, by delivery status at the end: {dict(delivery)}",
             f"- **accounting {'holds' if verdict else 'FAILS'}**"]
    return ("### Accounting\n\n" + markdown_table(("rows", "expected", "uncertain", "found", ""), rows)
            + "\n\n" + "\n".join(lines)), verdict


def postgres_settings(engine: Engine) -> str:
    """Return PostgreSQL's version and whether autovacuum runs (warning when it does not)."""
    with engine.connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar_one()
        autovacuum = connection.execute(text("SHOW autovacuum")).scalar_one()
    return f"PostgreSQL {version} (autovacuum {autovacuum}{AUTOVACUUM_OFF if autovacuum == 'off' else ''})"


def machine_section(engine: Engine, args) -> str:
    """Describe the machine, the database and the run's settings."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    return (f"### Machine and settings\n\n- {os.cpu_count()} CPUs ({cpu}), {memory:.0f} GiB memory, "
            f"{postgres_settings(engine)}, Python {sys.version.split()[0]}; load average before: "
            f"{os.getloadavg()[0]:.2f}\n- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; gunicorn {WORKERS} sync workers, "
            f"scheduler every 5 s, {args.partners:,} partners, {args.tokens} partner tokens; "
            f"mixed steps {args.rates} req/s × {args.seconds:g} s (mix {load_workload.MIX}); find-a-partner "
            f"{args.submit_rate:g}/s × {args.submit_seconds:g} s; ceiling {args.users} clients × "
            f"{args.ceiling_seconds:g} s; client timeout {args.timeout:g} s")


if __name__ == "__main__":
    sys.exit(main())
