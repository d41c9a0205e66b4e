"""Where the service's time goes under issue 8's load: py-spy samples of the gunicorn workers, and SQL per request.

`profile_service` samples every worker (wall clock, idle included) while a step runs and sums the samples by
the library of the innermost frame and by the project functions on the stack. `statement_profile` runs
find-a-partner submissions in-process and counts the SQL statements each one sends, by statement shape.
"""
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from tests.bench.crm_bench import markdown_table

ROOT = Path(__file__).resolve().parents[2]
PY_SPY = Path(sys.executable).parent / "py-spy"
PROJECT = ("app/", "matching/", "notifications/", "pipelines/")
RECORD_END = re.compile(r" \d+$")  # a collapsed stack ends with its sample count
LIBRARIES = (  # (label, path fragment of the innermost frame), first match wins
    ("waiting for a request (idle worker)", "gunicorn/"),
    ("psycopg: PostgreSQL round trips", "psycopg"),
    ("SQLAlchemy (Python side)", "sqlalchemy/"),
    ("jinja2 (email templates)", "jinja2/"),
    ("marshmallow / flask-smorest / webargs", ("marshmallow/", "flask_smorest/", "webargs/", "apispec/")),
    ("Flask / Werkzeug", ("flask/", "werkzeug/", "flask_sqlalchemy/")),
    ("prometheus_client", "prometheus_client/"),
    ("project code (app, matching, notifications, pipelines)", PROJECT),
    ("Python standard library", "/lib/python3"),
)
STATEMENT_FILTERS = ({"service": "seo"}, {"service": "web-design", "country": "US"},
                     {"service": "email-marketing", "language": "de"}, {"service": "branding", "country": "FR",
                                                                        "language": "fr"},
                     {"service": "voice-over", "country": "TW", "language": "fa"})


@dataclass
class Frame:
    """One frame of a sampled stack: function, file and line."""

    function: str
    path: str

    @classmethod
    def parse(cls, text: str) -> "Frame":
        """Read py-spy's 'function (path:line)'."""
        function, _, rest = text.rpartition(" (")
        return cls(function or text, rest.rsplit(":", 1)[0])

    @property
    def project_name(self) -> str | None:
        """Return 'module.function' for a project frame, else None."""
        module = self.path.removeprefix(f"{ROOT}/")
        if module == self.path or not module.startswith(PROJECT):
            return None
        return f"{module.removesuffix('.py').replace('/', '.')}.{self.function}"


@dataclass
class Profile:
    """Samples of the gunicorn workers, summed."""

    output: Path
    seconds: float
    master_pid: int
    by_library: Counter = field(default_factory=Counter)
    by_function: Counter = field(default_factory=Counter)
    by_caller: Counter = field(default_factory=Counter)
    samples: int = 0

    def read(self) -> None:
        """Sum py-spy's collapsed stacks (worker processes only)."""
        for line in records(self.output.read_text(errors="replace")):
            stack, _, count = line.rpartition(" ")
            parts = stack.split(";")
            processes = [part for part in parts if part.startswith("process ")]
            if processes[-1:] != [] and not processes[-1].startswith(f"process {self.master_pid}:"):
                self.add([Frame.parse(part) for part in parts[len(processes):]], int(count))

    def add(self, frames: list[Frame], count: int) -> None:
        """Count one stack under its innermost library and each project function on it."""
        if not frames:
            return
        self.samples += count
        self.by_library[where := library(frames)] += count
        caller = next((f.project_name for f in reversed(frames) if f.project_name), None)
        if caller:
            self.by_caller[(caller, where)] += count
        for name in dict.fromkeys(f.project_name for f in frames if f.project_name):
            self.by_function[name] += count

    def report(self) -> str:
        """Return the profile as Markdown tables."""
        if not self.samples:
            return "### Profile\n\npy-spy recorded no worker samples (is ptrace allowed?)."
        busy = self.samples - self.by_library["waiting for a request (idle worker)"]
        libraries = [(name, f"{100 * n / self.samples:.1f}%") for name, n in self.by_library.most_common()]
        functions = [(f"`{name}`", f"{100 * n / max(busy, 1):.1f}%") for name, n in self.by_function.most_common(25)]
        callers = [(f"`{name}`", where, f"{100 * n / max(busy, 1):.1f}%")
                   for (name, where), n in self.by_caller.most_common(20)]
        return (f"### Profile (py-spy, {self.seconds:g} s, all {self.samples} wall-clock samples of the 4 workers)"
                f"\n\nInnermost frame, by library:\n\n{markdown_table(('where', 'share of samples'), libraries)}"
                f"\n\nProject functions on the stack (inclusive, share of busy samples):\n\n"
                f"{markdown_table(('function', 'share'), functions)}\n\nInnermost project function and the library "
                f"below it (share of busy samples):\n\n{markdown_table(('function', 'in', 'share'), callers)}")


def records(text: str) -> Iterator[str]:
    """Yield py-spy's collapsed stacks, rejoining one that a garbled frame name broke over lines.

    With --nonblocking py-spy reads the workers' memory while they run, and now and then a frame name is garbage
    (binary, newlines included).
    """
    pending = ""
    for line in text.split("\n"):
        pending += line
        if RECORD_END.search(pending):
            yield pending
            pending = ""


def library(frames: list[Frame]) -> str:
    """Return the label of the innermost frame's library."""
    path = frames[-1].path
    for label, fragments in LIBRARIES:
        if any(fragment in path for fragment in ((fragments,) if isinstance(fragments, str) else fragments)):
            return label
    return "other"


@contextmanager
def profile_service(master_pid: int, seconds: float) -> Iterator[Profile]:
    """Sample the gunicorn master's workers with py-spy for `seconds` while the block runs."""
    output = Path(tempfile.mkstemp(suffix=".txt", prefix="load-profile-")[1])
    profile = Profile(output, seconds, master_pid)
    command = [str(PY_SPY), "record", "--pid", str(master_pid), "--subprocesses", "--idle", "--nonblocking",
               "--rate", "50", "--full-filenames", "--format", "raw", "--duration", str(int(seconds)),
               "--output", str(output)]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield profile
    finally:
        try:
            recorder.wait(seconds + 30)
        except subprocess.TimeoutExpired:
            recorder.kill()
        profile.read()


def statement_profile(url: str, runs: int = 4) -> str:
    """Run find-a-partner submissions in-process and report the SQL each sends, by statement shape."""
    from app.extensions import db
    from app.services import intake
    from tests.bench.crm_bench import StatementTimer, make_app, quiet_mail

    app = make_app(url)
    with app.app_context(), quiet_mail(), StatementTimer(db.engine) as timer:
        started = time.perf_counter()
        for number in range(runs * len(STATEMENT_FILTERS)):
            intake.submit_request(submission(number), datetime.now(UTC), random.Random(number))
            db.session.commit()
        elapsed = time.perf_counter() - started
    requests = runs * len(STATEMENT_FILTERS)
    rows = [(f"`{shape}`", f"{count / requests:.1f}", f"{1000 * seconds / requests:.2f}")
            for shape, count, seconds in timer.top(14)]
    with app.app_context():
        db.engine.dispose()
    return (f"### SQL per find-a-partner submission (in-process, {requests} submissions over "
            f"{len(STATEMENT_FILTERS)} filter sets)\n\n{timer.statements / requests:.1f} statements and "
            f"{1000 * timer.seconds / requests:.1f} ms in SQL per submission, {1000 * elapsed / requests:.1f} ms in "
            f"all (one client, no contention).\n\n"
            + markdown_table(("statement", "per submission", "ms per submission"), rows))


def submission(number: int) -> dict:
    """Return a validated find-a-partner body (as the schema hands it to the service)."""
    return {"client": {"name": f"Profile Client {number}", "email": f"profile-{time.time_ns()}@example.org",
                       "language": "en"},
            "project": {"title": f"Profiled project {number}", "description": "",
                        "budget": {"amount": Decimal("900.00"), "currency": "EUR"}},
            "filters": STATEMENT_FILTERS[number % len(STATEMENT_FILTERS)]}
