"""Small numeric and formatting helpers."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.1f} ms"


def latency_line(values: Sequence[float]) -> str:
    return (
        f"p50 {ms(percentile(values, 50))} · p90 {ms(percentile(values, 90))} · "
        f"p99 {ms(percentile(values, 99))} · max {ms(max(values) if values else math.nan)}"
    )


@dataclass(frozen=True, slots=True)
class CpuSample:
    """Whole-machine CPU counters (from /proc/stat) and this process's CPU time."""

    busy_ticks: int
    total_ticks: int
    process_s: float
    wall_s: float

    @classmethod
    def take(cls) -> CpuSample:
        busy = total = 0
        try:
            with open("/proc/stat") as f:
                fields = [int(x) for x in f.readline().split()[1:]]
            total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
            busy = total - fields[3] - fields[4]
        except (OSError, ValueError, IndexError):
            pass
        return cls(busy, total, time.process_time(), time.monotonic())

    def busy_until(self, later: CpuSample) -> float | None:
        """Fraction of the whole machine's CPU time that was busy between the two samples."""
        if later.total_ticks <= self.total_ticks:
            return None
        return (later.busy_ticks - self.busy_ticks) / (later.total_ticks - self.total_ticks)

    def until(self, later: CpuSample) -> str:
        """'machine 97% busy; benchmark process used 0.41 cores' (machine part only where /proc exists)."""
        wall = max(1e-9, later.wall_s - self.wall_s)
        cores = (later.process_s - self.process_s) / wall
        text = f"load generator process used {cores:.2f} of {os.cpu_count()} cores"
        busy = self.busy_until(later)
        if busy is not None:
            text = f"machine CPU {busy:.0%} busy; " + text
        return text


def _cpu_s(pid: int) -> float:
    """utime + stime of one process, in seconds (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def descendants(root: int) -> list[int]:
    """``root`` and every process under it."""
    parents = {pid: ppid for pid, ppid in _pids(lambda _, __: True, with_parent=True)}
    found, frontier = [root], {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier}
        found += frontier
    return found


def _pids(where: Callable[[str, int], bool], with_parent: bool = False) -> list[Any]:
    """Processes whose (command name, parent pid) match (as (pid, ppid) pairs ``with_parent``)."""
    found: list[Any] = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                head, _, rest = f.read().rpartition(")")
            name, ppid = head.partition("(")[2], int(rest.split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if where(name, ppid):
            found.append((int(entry), ppid) if with_parent else int(entry))
    return found


@dataclass(frozen=True, slots=True)
class ProcessCpu:
    """CPU seconds used so far by each group of processes a create passes through."""

    groups: dict[str, float]

    @classmethod
    def take(cls, server_pid: int) -> ProcessCpu:
        groups = {
            "HTTP server": sum(_cpu_s(p) for p in descendants(server_pid)) if server_pid else 0.0,
            # Every backend on the machine: another database's queries would count too (the machine is shared).
            "PostgreSQL": sum(_cpu_s(p) for p in _pids(lambda name, _: name.startswith("postgres"))),
            "Redis": sum(_cpu_s(p) for p in _pids(lambda name, _: name.startswith("redis-server"))),
            "load generator": time.process_time(),
        }
        return cls(groups)

    def per_request_ms(self, later: ProcessCpu, requests: int) -> dict[str, float]:
        return {k: (later.groups[k] - v) * 1000 / max(1, requests) for k, v in self.groups.items()}
