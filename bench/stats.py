"""Small numeric and formatting helpers."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass


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
