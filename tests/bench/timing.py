"""Latency measurement and the printed results table, shared by the benchmarks."""
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

WARMUP = 5


@dataclass(frozen=True)
class Latency:
    """Median and 95th percentile of a series of timings, in milliseconds."""

    median_ms: float
    p95_ms: float
    runs: int

    @classmethod
    def of(cls, seconds: list[float]) -> "Latency":
        """Summarise timings given in seconds."""
        p95 = statistics.quantiles(seconds, n=20, method="inclusive")[18]
        return cls(statistics.median(seconds) * 1000, p95 * 1000, len(seconds))


def timed(call: Callable[[], object], reset: Callable[[], object]) -> float:
    """Return the seconds one call takes, running `reset` (untimed) after it."""
    start = time.perf_counter()
    call()
    elapsed = time.perf_counter() - start
    reset()
    return elapsed


def nothing() -> None:
    """Do nothing (the default reset)."""


def measure(call: Callable[[], object], runs: int, reset: Callable[[], object] = nothing) -> Latency:
    """Time `runs` calls after WARMUP untimed ones, running `reset` untimed after each."""
    for _ in range(WARMUP):
        timed(call, reset)
    return Latency.of([timed(call, reset) for _ in range(runs)])


def measure_pair(
    service: Callable[[], object], floor: Callable[[], object], runs: int, reset: Callable[[], object] = nothing
) -> tuple[Latency, Latency]:
    """Time a service and its floor in alternation, so that both see the same machine load."""
    for _ in range(WARMUP):
        timed(service, reset)
        timed(floor, reset)
    pairs = [(timed(service, reset), timed(floor, reset)) for _ in range(runs)]
    return Latency.of([pair[0] for pair in pairs]), Latency.of([pair[1] for pair in pairs])


@dataclass(frozen=True)
class Row:
    """One line of the results table: a service call against its SQL floor."""

    engine: str
    operation: str
    case: str
    matches: int
    ids: int
    service: Latency
    floor: Latency
    floor_form: str
    goal: str = ""

    @property
    def ratio(self) -> float:
        """Return the service's median over the floor's median."""
        return self.service.median_ms / self.floor.median_ms


HEADER = ("engine", "operation", "case", "matches", "ids", "median ms", "p95 ms", "floor SQL", "floor med",
          "floor p95", "ratio", "goal")


def cells(row: Row) -> tuple[str, ...]:
    """Return a row's table cells."""
    return (row.engine, row.operation, row.case, f"{row.matches:,}", str(row.ids), f"{row.service.median_ms:.2f}",
            f"{row.service.p95_ms:.2f}", row.floor_form, f"{row.floor.median_ms:.2f}", f"{row.floor.p95_ms:.2f}",
            f"{row.ratio:.1f}x", row.goal)


def table(rows: list[Row]) -> str:
    """Return the rows as a Markdown table."""
    lines = [HEADER, *map(cells, rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    text = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |"
            for line in lines]
    text.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(text)
