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


def measure(call: Callable[[], object], runs: int, reset: Callable[[], object] = lambda: None) -> Latency:
    """Time `runs` calls after WARMUP untimed ones, running `reset` untimed after each."""
    for _ in range(WARMUP):
        call()
        reset()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
        reset()
    return Latency.of(seconds)


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
