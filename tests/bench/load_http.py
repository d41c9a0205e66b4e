"""Open-loop HTTP load over the loopback for issue 8: a tiny asyncio HTTP/1.0 client, paced arrivals, statistics.

Arrivals are a Poisson process at the target rate, decided in advance of the answers (open loop), and each
latency runs from the moment a request was due, not from when it was sent, so a server or generator that
falls behind shows up in the figures instead of slowing the offered load down (no coordinated omission).
"""
import asyncio
import json
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

HOST = "127.0.0.1"
MAX_IN_FLIGHT = 200
HARD_LIMIT = 6


@dataclass
class Call:
    """One request to send, and what to do with its answer."""

    kind: str
    method: str
    path: str
    body: dict | None = None
    token: str | None = None
    on_answer: Callable[[int, dict | None], None] | None = None
    on_failure: Callable[[], None] | None = None  # sent, but no answer came: it may or may not have acted
    on_unsent: Callable[[], None] | None = None  # never sent (too many in flight)


@dataclass(frozen=True)
class Outcome:
    """What became of one call: status (None when unanswered), latency from its due time, error kind."""

    kind: str
    status: int | None
    due: float
    finished: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the call was answered with a 2xx in time."""
        return self.error is None and self.status is not None and 200 <= self.status < 300


@dataclass
class Step:
    """The outcomes of one load step and its wall-clock bounds."""

    name: str
    target_rate: float | None
    started: float
    seconds: float
    outcomes: list[Outcome] = field(default_factory=list)


def encode(call: Call, port: int) -> bytes:
    """Return the raw HTTP/1.0 request (one connection per request, as gunicorn's sync workers do)."""
    body = b"" if call.body is None else json.dumps(call.body).encode()
    lines = [f"{call.method} {call.path} HTTP/1.0", f"Host: {HOST}:{port}", f"Content-Length: {len(body)}"]
    if call.body is not None:
        lines.append("Content-Type: application/json")
    if call.token:
        lines.append(f"Authorization: Bearer {call.token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def exchange(port: int, call: Call) -> tuple[int, dict | None]:
    """Send one request and read the whole answer; return its status and JSON body."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(encode(call, port))
        raw = await reader.read()
    finally:
        writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    try:
        return status, json.loads(payload) if payload else None
    except ValueError:
        return status, None


async def timed(port: int, call: Call, due: float, timeout: float) -> Outcome:
    """Run one call and report its outcome, calling its answer hook.

    An answer later than `timeout` counts as a timeout, but the connection is kept until the server answers
    (or HARD_LIMIT × timeout passes): the server's queue then never holds more requests than the generator has
    in flight, an overloaded step cannot leave a backlog to the next one, and a late answer is still booked.
    """
    status, body, error = None, None, None
    try:
        status, body = await asyncio.wait_for(exchange(port, call), HARD_LIMIT * timeout)
    except TimeoutError:
        error = "no answer"
    except (OSError, IndexError, ValueError) as failure:
        error = type(failure).__name__
    finished = time.perf_counter()
    if status is not None and call.on_answer:
        call.on_answer(status, body)
    elif status is None and call.on_failure:
        call.on_failure()
    if status is not None and finished - due > timeout:
        error = "timeout"
    return Outcome(call.kind, status, due, finished, error)


async def open_loop(port: int, rate: float, seconds: float, next_call: Callable[[], Call], timeout: float,
                    seed: int) -> tuple[float, list[Outcome]]:
    """Offer Poisson arrivals at `rate` for `seconds`; return the start time and every outcome."""
    arrivals, tasks, in_flight, dropped = random.Random(seed), [], set(), []
    start = due = time.perf_counter()
    while (due := due + arrivals.expovariate(rate)) < start + seconds:
        if (delay := due - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        call = next_call()
        if len(in_flight) >= MAX_IN_FLIGHT:
            dropped.append(Outcome(call.kind, None, due, due, "dropped"))
            if call.on_unsent:
                call.on_unsent()
            continue
        task = asyncio.create_task(timed(port, call, due, timeout))
        tasks.append(task)
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    return start, dropped + list(await asyncio.gather(*tasks))


async def closed_loop(port: int, users: int, seconds: float, next_call: Callable[[], Call],
                      timeout: float) -> tuple[float, list[Outcome]]:
    """Run `users` clients that each send their next request as soon as the last is answered."""
    start = time.perf_counter()
    outcomes: list[Outcome] = []

    async def user() -> None:
        while time.perf_counter() < start + seconds:
            outcomes.append(await timed(port, next_call(), time.perf_counter(), timeout))

    await asyncio.gather(*(user() for _ in range(users)))
    return start, outcomes


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile of values (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


@dataclass(frozen=True)
class KindFigures:
    """Throughput and latency of one kind of request in one step."""

    kind: str
    sent: int
    ok: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: Counter

    @property
    def error_text(self) -> str:
        """Return the errors as 'timeout 3, 409 2', or '0'."""
        return ", ".join(f"{name} {count}" for name, count in self.errors.most_common()) or "0"


def figures(outcomes: list[Outcome], kind: str, started: float, seconds: float) -> KindFigures:
    """Summarise the outcomes of one kind: answered 2xx per second of the step, latencies of all answered."""
    mine = [o for o in outcomes if o.kind == kind]
    answered = [(o.finished - o.due) * 1000 for o in mine if o.status is not None]
    ok = sum(o.ok for o in mine)
    elapsed = max([seconds, *(o.finished - started for o in mine)])
    errors = Counter(o.error or str(o.status) for o in mine if not o.ok)
    return KindFigures(kind, len(mine), ok, ok / elapsed if elapsed else 0.0, statistics.median(answered)
                       if answered else 0.0, percentile(answered, 0.99), errors)
