"""HTTP load against the API: closed-loop throughput (phase 1) and paced creates (phase 2)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.stack import Client
from bench.stats import CpuSample, ProcessCpu

PAYMENTS = "/api/v1/payments"
CARD = {"number": "4111111111111111", "expiry_month": 12, "expiry_year": 2035, "cvv": "123", "name": "Bench"}


def payment_body(order_id: str = "order_1") -> bytes:
    doc = {"amount": 50000, "currency": "INR", "method": "card", "order_id": order_id, "card": CARD}
    return json.dumps(doc).encode()


@dataclass
class ThroughputResult:
    threads: int
    duration_s: float
    latencies_s: list[float] = field(default_factory=list)  # successful requests only
    statuses: Counter[int] = field(default_factory=Counter)  # 0 = transport error
    cpu: str = ""
    machine_busy: float | None = None  # fraction of the machine's CPU busy during the window
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU ms per request by process group

    @property
    def ok(self) -> int:
        return self.statuses[201]

    @property
    def per_s(self) -> float:
        return self.ok / self.duration_s


def combined(rounds: list[ThroughputResult]) -> ThroughputResult:
    """Several measured windows of the same target as one (counts and durations added up)."""
    total = ThroughputResult(rounds[0].threads, sum(r.duration_s for r in rounds))
    for r in rounds:
        total.latencies_s += r.latencies_s
        total.statuses.update(r.statuses)
    total.cpu = "; ".join(r.cpu for r in rounds)
    busy = [r.machine_busy for r in rounds if r.machine_busy is not None]
    total.machine_busy = sum(busy) / len(busy) if busy else None
    for name in rounds[0].cpu_ms:
        # Weighted by each round's requests: the CPU of all rounds over all their requests.
        total.cpu_ms[name] = sum(r.cpu_ms.get(name, 0.0) * r.ok for r in rounds) / max(1, total.ok)
    return total


def closed_loop(
    port: int, threads: int, warmup_s: float, duration_s: float, stop: threading.Event, server_pid: int = 0
) -> ThroughputResult:
    """``threads`` clients each POST a payment, wait for the answer, and POST again. Requests that
    finish inside the measured window count; the warm-up before it does not."""
    body = payment_body()
    start = time.perf_counter() + warmup_s
    end = start + duration_s
    result = ThroughputResult(threads, duration_s)
    lock = threading.Lock()

    def worker() -> None:
        client = Client(port)
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        try:
            while not stop.is_set():
                t0 = time.perf_counter()
                if t0 >= end:
                    break
                status, _ = client.request("POST", PAYMENTS, body)
                t1 = time.perf_counter()
                if start <= t1 <= end:
                    statuses[status] += 1
                    if status == 201:
                        latencies.append(t1 - t0)
                if status == 0:
                    time.sleep(0.01)  # do not spin on a refused connection
        finally:
            client.close()
            with lock:
                result.latencies_s += latencies
                result.statuses.update(statuses)

    workers = [threading.Thread(target=worker, daemon=True, name=f"load-{i}") for i in range(threads)]
    for w in workers:
        w.start()
    time.sleep(max(0.0, start - time.perf_counter()))
    before, processes = CpuSample.take(), ProcessCpu.take(server_pid)
    time.sleep(max(0.0, end - time.perf_counter()))
    after, processes_after = CpuSample.take(), ProcessCpu.take(server_pid)
    result.cpu = before.until(after)
    result.machine_busy = before.busy_until(after)
    for w in workers:
        w.join()
    # Requests finished in the window, counted after the join (each thread adds its own at the end).
    result.cpu_ms = processes.per_request_ms(processes_after, result.ok)
    return result


@dataclass(frozen=True, slots=True)
class Sent:
    payment_id: str  # "" if the create failed
    sent_at: float  # time.time() just before the request was written
    post_s: float  # how long the POST took
    status: int
    payment: dict[str, Any] | None


def paced_creates(port: int, rate_per_s: float, count: int, senders: int, stop: threading.Event) -> list[Sent]:
    """POST ``count`` payments on a fixed schedule of ``rate_per_s`` (request i is due at i/rate),
    from ``senders`` threads so one slow answer does not hold the schedule back."""
    slots = itertools.count()
    t0 = time.perf_counter() + 0.05
    sent: list[Sent] = []
    lock = threading.Lock()

    def sender() -> None:
        client = Client(port)
        mine: list[Sent] = []
        try:
            while not stop.is_set():
                i = next(slots)
                if i >= count:
                    break
                delay = t0 + i / rate_per_s - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                body = payment_body(f"order_{i}")
                sent_at = time.time()
                p0 = time.perf_counter()
                status, raw = client.request("POST", PAYMENTS, body)
                post_s = time.perf_counter() - p0
                payment: dict[str, Any] | None = json.loads(raw) if status == 201 else None
                mine.append(Sent(str(payment["id"]) if payment else "", sent_at, post_s, status, payment))
        finally:
            client.close()
            with lock:
                sent.extend(mine)

    threads = [threading.Thread(target=sender, daemon=True, name=f"sender-{i}") for i in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent.sort(key=lambda s: s.sent_at)
    return sent
