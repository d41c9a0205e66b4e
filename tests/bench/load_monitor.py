"""What the machine and PostgreSQL do during one load step: CPU by component, and what the backends wait for.

CPU comes from /proc (utime + stime of each process, and the machine's busy time), so the share of the two
cores taken by work outside the benchmark — other people's jobs on a shared machine — is reported too.
PostgreSQL's backends of the benchmark database are sampled from pg_stat_activity four times a second.
"""
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.25
BACKENDS = """
SELECT pid, CASE WHEN wait_event_type = 'Lock' THEN 'lock wait'
                 WHEN state = 'active' THEN 'executing'
                 WHEN state = 'idle in transaction' THEN 'in transaction, waiting for the app'
                 ELSE 'idle' END
FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'"""


def process_ticks(pid: int) -> int:
    """Return a process's user + system CPU ticks (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def machine_ticks() -> tuple[int, int]:
    """Return the machine's busy and total CPU ticks."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


def children(pid: int) -> list[int]:
    """Return the pids of a process's children."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


@dataclass
class StepMonitor:
    """Samples CPU per component and PostgreSQL backend states while a step runs."""

    url: str
    database: str
    components: dict[str, list[int]]  # name -> pids (gunicorn workers, scheduler, generator)
    states: Counter = field(default_factory=Counter)
    backend_pids: set = field(default_factory=set)

    def __enter__(self) -> "StepMonitor":
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.start_ticks = self.ticks()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.end_ticks = self.ticks()

    def ticks(self) -> dict[str, int]:
        """Return the CPU ticks of every component so far."""
        busy, total = machine_ticks()
        found = {name: sum(map(process_ticks, pids)) for name, pids in self.components.items()}
        found["PostgreSQL (this database)"] = sum(map(process_ticks, self.backend_pids))
        return found | {"machine busy": busy, "machine total": total}

    def sample(self) -> None:
        """Note the backends' states until stopped."""
        url = self.url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(url, autocommit=True) as connection:
            while not self.stop.wait(SAMPLE_SECONDS):
                for pid, state in connection.execute(BACKENDS, (self.database,)):
                    if pid not in self.backend_pids:
                        self.backend_pids.add(pid)
                        self.start_ticks["PostgreSQL (this database)"] += process_ticks(pid)
                    self.states[state] += 1

    def cpu_shares(self) -> dict[str, float]:
        """Return each component's share of the machine's CPU during the step, in percent (others too)."""
        total = max(1, self.end_ticks["machine total"] - self.start_ticks["machine total"])
        used = {name: self.end_ticks[name] - self.start_ticks[name] for name in self.end_ticks
                if not name.startswith("machine")}
        shares = {name: 100 * ticks / total for name, ticks in used.items()}
        busy = 100 * (self.end_ticks["machine busy"] - self.start_ticks["machine busy"]) / total
        return shares | {"other processes": max(0.0, busy - sum(shares.values())), "machine busy": busy}

    def cpu_seconds(self, names: tuple[str, ...]) -> float:
        """Return the CPU seconds some components used during the step."""
        return sum(self.end_ticks[name] - self.start_ticks[name] for name in names if name in self.end_ticks) / TICKS

    def state_shares(self) -> dict[str, float]:
        """Return how the sampled backends were spread over states, in percent."""
        count = sum(self.states.values())
        return {state: 100 * n / count for state, n in self.states.most_common()} if count else {}
