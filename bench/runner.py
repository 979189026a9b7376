"""Runs the four benchmarks and prints their figures next to the reference ones. Asserts nothing.

1. POST /api/v1/payments: closed-loop load from N client threads (poller stopped, no endpoints).
2. create -> ``payment.success`` webhook latency at a steady create rate, real API + poller.
3. webhook deliveries per second: pre-written delivery rows, jobs queued at once, real poller.
4. slow merchants next door: what four 10-second receivers cost payments and a healthy endpoint.
5. Redis queue jobs per second in one process with a no-op handler (bare loop and poller.run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import shutil
import signal
import threading
import time
import traceback
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bench import deliveries, isolation, load, queue_bench
from bench.receiver import Receiver
from bench.stack import Client, Stack
from bench.stats import CpuSample, latency_line, ms, percentile
from shared.config import settings

T = TypeVar("T")

REFERENCE = {
    "creates": "~1,100 /s",
    "e2e_p50": "≈ 6 ms",
    "e2e_p99": "≈ 25 ms",
    "deliveries": "500–900 /s",
    "queue": "2,400 /s",
}
FORBIDDEN_DATABASES = {"gateway", "gateway_test"}
FORBIDDEN_REDIS_DBS = {"", "0", "13", "15"}


def say(text: str = "") -> None:
    print(text, flush=True)


def heading(text: str) -> None:
    say()
    say(f"== {text}")


def cores() -> str:
    total = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else total
    return f"{total} CPU cores" + (f" ({usable} usable by this process)" if usable != total else "")


@dataclass
class Results:
    creates: load.ThroughputResult | None = None
    e2e: list[float] = field(default_factory=list)
    deliveries: deliveries.DeliveryResult | None = None
    queue: queue_bench.QueueResult | None = None
    isolation: isolation.IsolationResult | None = None
    sample_payment: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)


def guarded(results: Results, name: str, phase: Callable[[], T]) -> T | None:
    """Run one phase; an exception is reported and the remaining phases still run."""
    try:
        return phase()
    except Exception as exc:
        results.errors[name] = f"{type(exc).__name__}: {exc}"
        say(f"   !! {name} did not complete: {results.errors[name]}")
        traceback.print_exc()
        return None


# Phase 1 ------------------------------------------------------------------------------------------


def phase_creates(stack: Stack, args: argparse.Namespace, stop: threading.Event) -> load.ThroughputResult:
    heading(f"1. POST /api/v1/payments throughput ({args.threads} client threads, closed loop)")
    say(
        f"   API: gunicorn, {settings().web_concurrency} sync workers. Poller stopped, no webhook endpoints "
        "(each create still writes the payment, its payment.created event and queues a job)."
    )
    say(
        f"   The load generator is one Python process with {args.threads} threads on the same "
        f"{os.cpu_count()} cores as the API and PostgreSQL."
    )
    say(f"   warm-up {args.warmup:.0f} s, then {args.duration:.0f} s measured ...")
    r = load.closed_loop(stack.api_port, args.threads, args.warmup, args.duration, stop)
    other = {s: n for s, n in r.statuses.items() if s != 201}
    say(f"   {r.ok} payments created in {r.duration_s:.1f} s = {r.per_s:,.0f} creates/s")
    say(f"   latency (client-side, includes queueing for a worker): {latency_line(r.latencies_s)}")
    say(f"   other answers: {other or 'none'} (0 = connection error)")
    say(f"   CPU during the window: {r.cpu}")
    return r


# Phase 2 ------------------------------------------------------------------------------------------


def _collect(receiver: Receiver, wanted: set[str], timeout_s: float) -> tuple[dict[str, float], Counter[str]]:
    """First ``payment.success`` arrival time per wanted payment id, and counts of every event seen."""
    got: dict[str, float] = {}
    seen: Counter[str] = Counter()
    deadline = time.monotonic() + timeout_s
    while True:
        for hit in receiver.drain():
            seen[hit.event] += 1
            if hit.event == "payment.success" and hit.payment_id in wanted and hit.payment_id not in got:
                got[hit.payment_id] = hit.received_at
        if len(got) >= len(wanted) or time.monotonic() > deadline:
            return got, seen
        time.sleep(0.05)


def phase_e2e(
    stack: Stack, receiver: Receiver, args: argparse.Namespace, results: Results, stop: threading.Event
) -> list[float]:
    heading(f"2. create → payment.success webhook latency ({args.e2e_count} payments at {args.e2e_rate:.0f}/s)")
    say(
        "   API + one poller (TEST_PROCESSING_DELAY=0). One endpoint subscribed to payment.success only, "
        "pointing at an asyncio receiver in its own process."
    )
    say("   Measured from just before the POST is written to the receiver having the whole webhook request.")
    _create_endpoint(stack, receiver.url, ["payment.success"])
    stack.start_poller()

    warm = load.paced_creates(stack.api_port, args.e2e_rate, 20, 4, stop)
    _collect(receiver, {s.payment_id for s in warm if s.payment_id}, 15)
    receiver.drain()

    sent = load.paced_creates(stack.api_port, args.e2e_rate, args.e2e_count, 8, stop)
    created = [s for s in sent if s.payment_id]
    results.sample_payment = next((s.payment for s in created if s.payment), None)
    got, seen = _collect(receiver, {s.payment_id for s in created}, args.e2e_wait)
    latencies = [got[s.payment_id] - s.sent_at for s in created if s.payment_id in got]
    after_post = [got[s.payment_id] - s.sent_at - s.post_s for s in created if s.payment_id in got]
    span = sent[-1].sent_at - sent[0].sent_at if len(sent) > 1 else 0.0
    rate = (len(sent) - 1) / span if span > 0 else math.nan
    say(f"   sent {len(sent)} creates at {rate:.0f}/s achieved; {len(created)} answered 201")
    say(f"   payment.success webhooks received for {len(got)} of {len(created)} (other events seen: {dict(seen)})")
    say(f"   POST /payments answer time:           {latency_line([s.post_s for s in created])}")
    say(f"   create → payment.success received:    {latency_line(latencies)}")
    say(f"     of which after the POST answered:   {latency_line(after_post)}")
    return latencies


def _create_endpoint(stack: Stack, url: str, events: list[str] | None) -> None:
    """An endpoint of the seeded merchant; ``events`` None subscribes it to every event."""
    client = Client(stack.api_port)
    body: dict[str, Any] = {"url": url} if events is None else {"url": url, "events": events}
    try:
        status, endpoint = client.post_json("/api/v1/webhook-endpoints", body)
    finally:
        client.close()
    if status != 201:
        raise RuntimeError(f"creating the webhook endpoint answered {status}: {endpoint}")


# Phase 3 ------------------------------------------------------------------------------------------


def phase_deliveries(
    stack: Stack, receiver: Receiver, args: argparse.Namespace, results: Results
) -> deliveries.DeliveryResult:
    heading(f"3. webhook deliveries per second ({args.deliveries} deliveries, one poller)")
    say(
        f"   {args.deliveries} payment.created events with one delivery each are written first (gateway code, "
        "committed, not queued); with the poller running and idle,"
    )
    say(
        "   their deliver_webhook jobs are queued in one call and timed until PostgreSQL shows every delivery "
        "settled. Each delivery = 2 DB transactions + signed POST"
    )
    say(
        f"   to the receiver (HTTP/1.1 keep-alive). Poller: {settings().webhook_concurrency} webhook-lane threads; "
        "no payment jobs run in the window."
    )
    _create_endpoint(stack, receiver.url, ["payment.created"])
    stack.start_poller()
    payment = results.sample_payment or {"id": "pay_x", "amount": 50000, "currency": "INR", "status": "pending"}
    jobs = deliveries.insert_deliveries(args.deliveries, payment)
    r = deliveries.measure(stack, receiver, jobs, args.deliveries_cap)
    capped = f" (stopped at the {args.deliveries_cap:.0f} s cap)" if r.succeeded + r.failed < r.count else ""
    say(
        f"   {r.succeeded} succeeded, {r.failed} failed, of {r.count}, in {r.seconds:.2f} s{capped} "
        f"= {r.per_s:,.0f} deliveries/s (to status success in PostgreSQL)"
    )
    say(
        f"   receiver: {r.received} requests, first {ms(r.first_after_s)} after queueing, "
        f"{r.receiver_per_s:,.0f} requests/s from first to last"
    )
    return r


# Phase 4 ------------------------------------------------------------------------------------------


def phase_isolation(
    stack: Stack, healthy: Receiver, args: argparse.Namespace, stop: threading.Event
) -> isolation.IsolationResult:
    heading(
        f"4. slow merchants next door ({args.isolation_count} payments at {args.isolation_rate:.0f}/s, "
        f"4 endpoints answering after {isolation.SLOW_ANSWER_S:.0f} s)"
    )
    say(
        "   One merchant: four endpoints subscribed to every event whose receivers answer after 10 s, and one "
        "healthy endpoint subscribed to payment.success."
    )
    say("   Target: every payment settled within 2 s of the last create; healthy payment.success p99 under 1 s.")
    slow = [Receiver(delay_s=isolation.SLOW_ANSWER_S) for _ in range(4)]
    try:
        for receiver in slow:
            _create_endpoint(stack, receiver.url, None)
        _create_endpoint(stack, healthy.url, ["payment.success"])
        stack.start_poller()
        r = isolation.measure(stack, healthy, slow, args.isolation_rate, args.isolation_count, stop)
        stack.stop_poller()
    finally:
        for receiver in slow:
            receiver.close()
    say(
        f"   payments settled: {r.settled} of {r.payments}, "
        f"the last {r.settled_after_last_create_s:.2f} s after the last create"
    )
    say(
        f"   healthy endpoint: {len(r.healthy_latencies_s)} of {r.payments} payment.success received; "
        f"create → received {latency_line(r.healthy_latencies_s)}"
    )
    say(
        f"   slow endpoints: {r.slow_requests} requests reached them; "
        f"deliveries parked waiting for a slot: {r.parked}; jobs completed: {r.completed_jobs}"
    )
    return r


# Phase 5 ------------------------------------------------------------------------------------------


def phase_queue(args: argparse.Namespace, stop: threading.Event) -> queue_bench.QueueResult:
    heading(f"5. Redis queue jobs per second, one process, no-op handler ({args.queue_jobs:,} jobs per loop)")
    say("   shared.queue.Queue on Redis db 14 with nothing else running; no PostgreSQL, no HTTP.")
    r = queue_bench.run(args.queue_jobs, stop)
    say(f"   enqueue in batches of 1,000: {r.enqueue_per_s:,.0f} jobs/s")
    say(
        f"   bare loop, 1 thread (claim {r.raw_claim_limit} → execute → complete): "
        f"{r.jobs:,} jobs in {r.raw_s:.2f} s = {r.raw_per_s:,.0f} jobs/s"
    )
    say(
        f"   functions.poller.run ({r.poller_concurrency} money-lane threads, reconciliation off): "
        f"{r.poller_completed:,} jobs in {r.poller_s:.2f} s = {r.poller_per_s:,.0f} jobs/s"
    )
    say(f"   failed/dead jobs: {r.failed}")
    return r


# Summary ------------------------------------------------------------------------------------------


def summary(results: Results) -> None:
    def rate(value: float | None) -> str:
        return "error" if value is None else f"{value:,.0f} /s"

    def lat(values: list[float], p: float) -> str:
        return ms(percentile(values, p)) if values else "error"

    c = results.creates
    rows = [
        ("POST /payments throughput", rate(c.per_s if c else None), REFERENCE["creates"]),
        (
            "POST /payments latency p50 / p99",
            f"{lat(c.latencies_s, 50)} / {lat(c.latencies_s, 99)}" if c else "error",
            "—",
        ),
        ("create → payment.success p50", lat(results.e2e, 50), REFERENCE["e2e_p50"]),
        ("create → payment.success p99", lat(results.e2e, 99), REFERENCE["e2e_p99"]),
        (
            "webhook deliveries",
            rate(results.deliveries.per_s if results.deliveries else None),
            REFERENCE["deliveries"],
        ),
        (
            "queue jobs / process, bare loop",
            rate(results.queue.raw_per_s if results.queue else None),
            REFERENCE["queue"],
        ),
        (
            "queue jobs / process, poller.run",
            rate(results.queue.poller_per_s if results.queue else None),
            REFERENCE["queue"],
        ),
        (
            "slow neighbours: last payment settled",
            f"{results.isolation.settled_after_last_create_s:.2f} s after" if results.isolation else "error",
            "target ≤ 2 s",
        ),
        (
            "slow neighbours: healthy p99",
            lat(results.isolation.healthy_latencies_s, 99) if results.isolation else "error",
            "target < 1 s",
        ),
    ]
    heading(f"Summary ({cores()}, load generator and receiver on the same cores)")
    width = max(len(r[0]) for r in rows)
    say(f"   {'metric':<{width}}   {'this gateway':>21}   reference (minimal hand-written)")
    say(f"   {'-' * width}   {'-' * 21}   {'-' * 32}")
    for name, ours, ref in rows:
        say(f"   {name:<{width}}   {ours:>21}   {ref}")
    for name, error in results.errors.items():
        say(f"   !! {name}: {error}")


# Main ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--threads", type=int, default=32, help="client threads for phase 1 (32)")
    p.add_argument("--warmup", type=float, default=1.0, help="phase 1 warm-up seconds (1)")
    p.add_argument("--duration", type=float, default=10.0, help="phase 1 measured seconds (10)")
    p.add_argument("--e2e-rate", type=float, default=100.0, help="phase 2 creates per second (100)")
    p.add_argument("--e2e-count", type=int, default=500, help="phase 2 payments (500)")
    p.add_argument("--e2e-wait", type=float, default=20.0, help="phase 2: longest wait for webhooks after sending (20)")
    p.add_argument("--deliveries", type=int, default=3000, help="phase 3 deliveries (3000)")
    p.add_argument("--deliveries-cap", type=float, default=20.0, help="phase 3: stop timing after this many s (20)")
    p.add_argument("--queue-jobs", type=int, default=20000, help="phase 5 jobs per loop (20000)")
    p.add_argument("--isolation-rate", type=float, default=20.0, help="phase 4 creates per second (20)")
    p.add_argument("--isolation-count", type=int, default=60, help="phase 4 payments (60)")
    return p.parse_args(argv)


def _refuse_shared_data() -> str | None:
    s = settings()
    database = urllib.parse.urlsplit(s.database_url).path.strip("/")
    redis_db = urllib.parse.urlsplit(s.redis_url).path.strip("/")
    if database in FORBIDDEN_DATABASES or redis_db in FORBIDDEN_REDIS_DBS:
        return f"refusing to wipe {s.database_url} / {s.redis_url}: point BENCH_DATABASE_URL/BENCH_REDIS_URL elsewhere"
    return None


def background_load() -> str:
    """How busy the machine is before we start anything: other work skews every figure below."""
    before = CpuSample.take()
    time.sleep(1)
    busy = before.busy_until(CpuSample.take())
    if busy is None:
        return "Background CPU load: unknown (no /proc/stat)"
    load = f" · load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    text = f"Background CPU load before starting: {busy:.0%} of the machine{load}"
    if busy > 0.15:
        text += "\n!! Other processes are using the CPU: the figures below will be lower than on an idle machine."
    return text


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    refusal = _refuse_shared_data()
    if refusal:
        say(refusal)
        return 2
    # Ctrl-C and SIGTERM unwind through the finally below, which stops every child process
    # (SIGINT explicitly, as a shell may start us with it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    s = settings()
    started = time.monotonic()
    say(f"Payment gateway benchmark · {dt.datetime.now().isoformat(timespec='seconds')}")
    say(f"Machine: {cores()} · {platform.machine()} · Python {platform.python_version()}")
    say(f"Data: {s.database_url} · {s.redis_url} (wiped between phases)")
    say(
        f"Gateway: {s.web_concurrency} gunicorn workers · poller lanes: money {s.money_concurrency} threads, "
        f"webhooks {s.webhook_concurrency} · "
        f"TEST_MODE, TEST_PROCESSING_DELAY={s.test_processing_delay_ms} ms · LOG_LEVEL={s.log_level}"
    )
    say("Everything (API, poller, PostgreSQL, Redis, load generator, receiver) runs on these same cores.")
    say(background_load())

    results = Results()
    stop = threading.Event()
    stack = Stack()
    receiver: Receiver | None = None
    try:
        stack.prepare_database()
        stack.reset_data()
        receiver = Receiver()
        api_up = guarded(results, "API start", stack.start_api) is not None
        if api_up:
            results.creates = guarded(results, "phase 1", lambda: phase_creates(stack, args, stop))

            stack.reset_data()
            rcv = receiver
            results.e2e = guarded(results, "phase 2", lambda: phase_e2e(stack, rcv, args, results, stop)) or []
            stack.stop_poller()

            stack.reset_data()
            results.deliveries = guarded(results, "phase 3", lambda: phase_deliveries(stack, rcv, args, results))
            stack.stop_poller()

            stack.reset_data()
            rcv.drain()
            results.isolation = guarded(results, "phase 4", lambda: phase_isolation(stack, rcv, args, stop))
            stack.stop_all()
        results.queue = guarded(results, "phase 5", lambda: phase_queue(args, stop))
        stack.reset_data()
    except KeyboardInterrupt:
        say("\ninterrupted: stopping the gateway processes")
        return 130
    finally:
        # A second Ctrl-C must not cut the clean-up short and leave a server running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop.set()
        stack.stop_all()
        if receiver is not None:
            receiver.close()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    summary(results)
    if results.errors:
        say(f"\n(total {time.monotonic() - started:.0f} s; child process logs kept in {stack.logdir})")
    else:
        shutil.rmtree(stack.logdir, ignore_errors=True)
        say(f"\n(total {time.monotonic() - started:.0f} s)")
    return 0
