"""Runs the benchmarks and prints their figures next to peers and limits measured in the same run. Asserts nothing.

1. POST /api/v1/payments: closed-loop load from N client threads (poller stopped, no endpoints), in
   alternating windows with a minimal create endpoint (``bench/minimal_app.py``) on the same stack;
   then py-spy samples the API under the same load and charges each sample to a layer (``bench/profile.py``).
2. create -> ``payment.success`` webhook latency at a steady create rate, real API + poller.
3. webhook deliveries per second: pre-written delivery rows, jobs queued at once, real poller.
4. slow merchants next door: what four 10-second receivers cost payments and a healthy endpoint.
5. Redis queue jobs per second in one process with a no-op handler (bare loop and poller.run), then
   Dramatiq, Celery and RQ draining the same number of no-op jobs, one worker process each (``bench/peers.py``).
6. Growth (``bench/growth.py``): Redis memory per queued job and the drain rate with a backlog of 100,000
   no-op jobs and of 100,000 webhook deliveries (real poller, fast receiver); the API's and the poller's
   resident memory over 10,000 payments settled and delivered.
7. Scale out (``bench/scale.py``): the same payments through 1 API + 1 poller, then 2 APIs + 2 pollers: creates,
   settled payments and delivered webhooks per second, each payment settled once and each event delivered once.
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
from pathlib import Path
from typing import Any, TypeVar

from bench import deliveries, growth, isolation, load, profile, queue_bench, report, scale
from bench.peers import THREADS as PEERS_THREADS
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
RESULTS_DIR = Path(__file__).resolve().parent / ".results"  # git-ignored: saved profiles
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
    minimal: load.ThroughputResult | None = None
    profile: profile.Profile | None = None
    peers: list[queue_bench.PeerResult] = field(default_factory=list)
    # Declared before the ``growth`` field, which would otherwise hide the ``growth`` module from mypy.
    growth_backlog: growth.BacklogResult | None = None
    growth_memory: growth.MemoryResult | None = None
    growth: queue_bench.GrowthResult | None = None
    background_busy: float | None = None
    e2e: list[float] = field(default_factory=list)
    deliveries: deliveries.DeliveryResult | None = None
    queue: queue_bench.QueueResult | None = None
    isolation: isolation.IsolationResult | None = None
    sample_payment: dict[str, Any] | None = None
    scale: scale.ScaleResult | None = None
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


def phase_creates(
    stack: Stack, args: argparse.Namespace, stop: threading.Event, results: Results
) -> load.ThroughputResult:
    heading(
        f"1. POST /api/v1/payments throughput ({args.threads} client threads, closed loop), "
        f"beside a minimal create endpoint"
    )
    say(
        f"   API: gunicorn, {settings().web_concurrency} sync workers. Poller stopped, no webhook endpoints "
        "(each create still writes the payment, its payment.created event and queues a job)."
    )
    say(
        f"   Minimal endpoint (bench/minimal_app.py): gunicorn, {settings().web_concurrency} default sync workers; "
        "parse JSON, look the key up, one transaction inserting"
    )
    say("   the payment and its event, one LPUSH, 201. Nothing else: the limit a create on this stack can reach.")
    say(
        f"   The load generator is one Python process with {args.threads} threads on the same "
        f"{os.cpu_count()} cores as the API and PostgreSQL."
    )
    say(
        f"   {args.rounds} rounds, each: warm-up {args.warmup:.0f} s then {args.duration:.0f} s measured per target, "
        "the order alternating so drift in the machine's load falls on both ..."
    )
    stack.start_minimal()
    ours: list[load.ThroughputResult] = []
    minimal: list[load.ThroughputResult] = []
    before: list[load.ThroughputResult] = []
    try:
        order = [
            ("gateway", stack.api_port, stack.api_pid, ours),
            ("minimal", stack.minimal_port, stack.minimal_pid, minimal),
        ]
        if args.baseline:
            say(f"   baseline: the same API started from {args.baseline} (the code before a change), same rounds")
            order.append(("baseline", stack.start_baseline(Path(args.baseline)), stack.baseline_pid, before))
        for i in range(args.rounds):
            for name, port, pid, into in order if i % 2 == 0 else order[::-1]:
                r = load.closed_loop(port, args.threads, args.warmup, args.duration, stop, pid)
                into.append(r)
                busy = f"{r.machine_busy:.0%}" if r.machine_busy is not None else "?"
                say(f"   round {i + 1} {name:<8} {r.per_s:7,.0f} /s  (machine CPU {busy} busy)")
    finally:
        stack.stop_minimal()
        stack.stop_baseline()
    r, m = load.combined(ours), load.combined(minimal)
    results.minimal = m
    other = {s: n for s, n in r.statuses.items() if s != 201}
    say(f"   gateway: {r.ok} payments created in {r.duration_s:.1f} s = {r.per_s:,.0f} creates/s")
    say(f"     latency (client-side, includes queueing for a worker): {latency_line(r.latencies_s)}")
    say(f"     other answers: {other or 'none'} (0 = connection error)")
    say(f"   minimal: {m.ok} created in {m.duration_s:.1f} s = {m.per_s:,.0f} creates/s; {latency_line(m.latencies_s)}")
    say(f"     other answers: {({s: n for s, n in m.statuses.items() if s != 201}) or 'none'}")
    rounds = ", ".join(f"{a.per_s / b.per_s:.2f}" for a, b in zip(ours, minimal, strict=True) if b.per_s)
    say(f"   gateway ÷ minimal: {_ratio(r.per_s, m.per_s)} (per round: {rounds}; target ≥ 0.75×)")
    say("   CPU per request, ms (the machine's two cores are the limit, so this is where creates/s goes):")
    say(f"     {'':<10} " + " ".join(f"{name:>15}" for name in r.cpu_ms) + f" {'total':>8}")
    for name, x in (("gateway", r), ("minimal", m)):
        cells = " ".join(f"{v:>15.2f}" for v in x.cpu_ms.values())
        say(f"     {name:<10} {cells} {sum(x.cpu_ms.values()):>8.2f}")
    if before:
        b = load.combined(before)
        per_round = ", ".join(f"{a.per_s / x.per_s:.2f}" for a, x in zip(ours, before, strict=True) if x.per_s)
        say(f"   baseline: {b.per_s:,.0f} creates/s; {latency_line(b.latencies_s)}")
        cells = " ".join(f"{v:>15.2f}" for v in b.cpu_ms.values())
        say(f"     CPU ms per request: {cells} {sum(b.cpu_ms.values()):>8.2f}")
        say(
            f"   gateway ÷ baseline: {_ratio(r.per_s, b.per_s)} (per round: {per_round}); "
            f"baseline ÷ minimal: {_ratio(b.per_s, m.per_s)}"
        )
    return r


def phase_profile(stack: Stack, args: argparse.Namespace, stop: threading.Event) -> profile.Profile:
    heading(f"1b. where a create's time goes: py-spy on the API's workers (2 × {args.profile:.0f} s, same load)")
    if not profile.available():
        raise RuntimeError("py-spy is not in bench/.venv-peers: `make bench` installs it")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    found: dict[str, profile.Profile] = {}
    for kind in ("wall", "cpu"):
        raw = stack.logdir / f"profile.{kind}.raw.txt"
        spy = profile.record(stack.api_pid, args.profile + 0.5, raw, idle=kind == "wall")
        r = load.closed_loop(stack.api_port, args.threads, 1.0, args.profile, stop)
        found[kind] = p = profile.finish(spy, raw)
        if p.error:
            raise RuntimeError(f"py-spy: {p.error}")
        say(f"   {kind}: {r.per_s:,.0f} creates/s while sampled, {p.samples:,} samples")
    say("   (py-spy --nonblocking at 250 Hz; 'wall': every sample, waits included; 'CPU': samples holding the GIL)")
    for line in profile.table(found["wall"], found["cpu"]):
        say(f"   {line}")
    say(f"   saved: {profile.save(found['wall'], found['cpu'], RESULTS_DIR, stamp)} (+ py-spy's raw stacks)")
    return found["wall"]


def _ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs:
        return "n/a"
    return f"{ours / theirs:.2f}×"


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
    say(
        f"     from the first completion to the last (the peers' window): {r.first_to_last_s:.2f} s "
        f"= {r.first_to_last_per_s:,.0f} jobs/s"
    )
    say(f"   failed/dead jobs: {r.failed}")
    return r


def phase_peers(args: argparse.Namespace, results: Results) -> list[queue_bench.PeerResult]:
    heading(f"5b. peers on the same Redis: {args.queue_jobs:,} no-op jobs each, one worker process")
    say(
        f"   bench/.venv-peers (bench/requirements-peers.txt): Dramatiq ({PEERS_THREADS} threads), "
        f"Celery (threads pool, {PEERS_THREADS}), RQ SimpleWorker."
    )
    say(
        "   Jobs are enqueued before the worker starts; timed from the first completion to the last, "
        f"or for {args.peer_cap:.0f} s if that comes first."
    )
    out = []
    for peer in args.peers.split(","):
        p = queue_bench.run_peer(peer, args.queue_jobs, args.peer_cap)
        out.append(p)
        busy = f"{p.machine_busy:.0%}" if p.machine_busy is not None else "?"
        capped = f" (stopped at the {args.peer_cap:.0f} s cap)" if p.capped else ""
        say(
            f"   {peer:<9} {p.completed:,} jobs in {p.seconds:.2f} s = {p.per_s:,.0f} jobs/s{capped} "
            f"(machine CPU {busy} busy over the run)"
        )
        if p.error:
            say(f"     !! {p.error.strip().splitlines()[-1] if p.error.strip() else 'no output'}")
    best = max(out, key=lambda p: p.per_s, default=None)
    if best and results.queue:
        say(
            f"   ours (poller.run, first→last) ÷ best peer ({best.peer}): "
            f"{_ratio(results.queue.first_to_last_per_s, best.per_s)} (target ≥ 2.5×)"
        )
    return out


def phase_growth(
    stack: Stack, receiver: Receiver, args: argparse.Namespace, results: Results, stop: threading.Event
) -> None:
    """Three parts, each on fresh data and guarded on its own: one failing leaves the others' figures."""
    heading("6. growth: how cost grows with work (Redis is shared: its memory figures are a bound, not exact)")
    if args.growth_jobs > 0:
        results.growth = guarded(results, "phase 6a", lambda: _growth_jobs(args))
    if args.growth_deliveries > 0:
        stack.reset_data()
        results.growth_backlog = guarded(
            results, "phase 6b", lambda: _growth_backlog(stack, receiver, args, results, stop)
        )
        stack.stop_all()
    if args.growth_payments > 0:
        stack.reset_data()
        results.growth_memory = guarded(results, "phase 6c", lambda: _growth_memory(stack, receiver, args, stop))
        stack.stop_all()


def _growth_jobs(args: argparse.Namespace) -> queue_bench.GrowthResult:
    say(
        f"   6a. {args.growth_jobs:,} no-op jobs queued in batches of 1,000 with nothing running, "
        "then drained by the bare loop (1 thread, as in 5)."
    )
    g = queue_bench.growth(args.growth_jobs)
    say(f"     Redis memory: {g.bytes_per_job:,.0f} bytes per queued job (used_memory before/after)")
    say(f"     drained {g.drained:,} jobs in {g.drain_s:.2f} s = {g.drain_per_s:,.0f} jobs/s")
    return g


def _growth_backlog(
    stack: Stack, receiver: Receiver, args: argparse.Namespace, results: Results, stop: threading.Event
) -> growth.BacklogResult:
    say(
        f"   6b. {args.growth_deliveries:,} payment.created deliveries to one endpoint on the fast receiver: rows "
        f"written in bulk, jobs queued with nothing running, then one poller"
    )
    say(
        f"     ({settings().webhook_concurrency} webhook-lane threads) started and timed until PostgreSQL shows "
        f"every delivery settled (at most {args.growth_cap:.0f} s)."
    )
    stack.start_api()  # only to create the endpoint: the poller drains alone
    _create_endpoint(stack, receiver.url, ["payment.created"])
    stack.stop_api()
    payment = results.sample_payment or growth.SAMPLE_PAYMENT
    r = growth.backlog(stack, receiver, args.growth_deliveries, payment, args.growth_cap, stop)
    capped = f" (stopped at the {args.growth_cap:.0f} s cap)" if r.capped else ""
    say(f"     rows written in {r.insert_s:.1f} s; Redis memory: {r.bytes_per_job:,.0f} bytes per queued delivery job")
    say(
        f"     {r.succeeded:,} succeeded, {r.failed:,} failed, of {r.count:,}, {r.drain_s:.1f} s after starting "
        f"the poller{capped} = {r.per_s:,.0f} deliveries/s (status in PostgreSQL)"
    )
    say(
        f"     receiver: {r.received:,} requests, the first {r.first_after_s:.2f} s and the last "
        f"{r.last_after_s:.1f} s after starting the poller = {r.receiver_per_s:,.0f}/s from first to last"
    )
    say(
        f"     first tenth of the requests {r.first_tenth_per_s:,.0f}/s, last tenth {r.last_tenth_per_s:,.0f}/s "
        f"(last ÷ first: {_ratio(r.last_tenth_per_s, r.first_tenth_per_s)})"
    )
    return r


def _growth_memory(
    stack: Stack, receiver: Receiver, args: argparse.Namespace, stop: threading.Event
) -> growth.MemoryResult:
    say(
        f"   6c. resident memory (VmRSS) of the API ({settings().web_concurrency} workers) and one poller over "
        f"{args.growth_payments:,} payments, created at {growth.CREATES_PER_S:.0f}/s in {growth.ROUNDS} rounds;"
    )
    say(
        "     sampled at the start and after each round, once every payment has settled and its payment.success "
        "(one endpoint, that event only) has arrived."
    )
    stack.start_api()
    _create_endpoint(stack, receiver.url, ["payment.success"])
    stack.start_poller()
    r = growth.memory(stack, receiver, args.growth_payments, args.growth_cap, stop)
    capped = f" (stopped waiting at the {args.growth_cap:.0f} s cap)" if r.capped else ""
    say(
        f"     {r.payments:,} created ({r.rejected} other answers), {r.settled:,} settled, {r.delivered:,} "
        f"payment.success received, in {r.seconds:.1f} s{capped}"
    )
    say(f"     {'payments':>9}  {'API arbiter':>11}  {'API workers: sum (each)':<36}  {'poller':>6}   (MB)")
    for s in r.samples:
        workers = f"{sum(s.api_workers_mb):7.1f} (" + " ".join(f"{mb:.1f}" for mb in s.api_workers_mb) + ")"
        say(f"     {s.payments:>9,}  {s.api_arbiter_mb:>11.1f}  {workers:<36}  {s.poller_mb:>6.1f}")
    grew = ", ".join(f"{name} {mb:+.1f} MB ({part:+.1%})" for name, (mb, part) in r.growth().items())
    say(f"     growth from {r.warm.payments:,} to {r.samples[-1].payments:,} payments: {grew}")
    if r.workers_replaced:
        say("     !! an API worker was replaced between samples: its RSS started over, so growth may be hidden")
    return r


# Phase 7 ------------------------------------------------------------------------------------------


def phase_scale(stack: Stack, args: argparse.Namespace, stop: threading.Event) -> scale.ScaleResult:
    s = settings()
    heading(
        f"7. scale out: 2 APIs + 2 pollers beside 1 API + 1 poller ({args.scale_payments:,} payments each, "
        f"{args.threads} closed-loop client threads spread over the APIs)"
    )
    say(
        f"   Each configuration on empty data, with fresh processes: APIs of {s.web_concurrency} gunicorn workers, "
        f"pollers of {s.money_concurrency} money + {s.webhook_concurrency} webhook threads;"
    )
    say(
        "   one endpoint on the fast receiver subscribed to every payment event (created, pending, success: "
        "3 webhooks per payment)."
    )
    say(
        "   Timed from the first create until PostgreSQL shows every payment settled, and until the receiver "
        "has every event."
    )
    say(
        f"   !! Both configurations share the same {os.cpu_count()} cores with PostgreSQL, Redis, the load generator "
        "and the receiver: the ratio shows what"
    )
    say("   a second API and poller cost or gain on one machine (overhead, contention), not what another machine adds.")
    say(
        f"   Webhook slots are counted in Redis across pollers: one endpoint has at most "
        f"{s.webhook_endpoint_concurrency} attempts in flight however many pollers run."
    )
    runs = []
    for processes in (1, 2):
        r = scale.measure(stack, processes, args.scale_payments, args.threads, args.scale_wait, stop)
        runs.append(r)
        _say_scale_run(r, args.scale_wait)
    one, two = runs
    say(
        f"   2 + 2 ÷ 1 + 1: creates {_ratio(two.creates_per_s, one.creates_per_s)}, "
        f"settled {_ratio(two.settled_per_s, one.settled_per_s)}, "
        f"delivered {_ratio(two.delivered_per_s, one.delivered_per_s)}"
    )
    return scale.ScaleResult(one, two)


def _scale_label(processes: int) -> str:
    return "1 API + 1 poller" if processes == 1 else f"{processes} APIs + {processes} pollers"


def _say_scale_run(r: scale.ScaleRun, wait_s: float) -> None:
    other = {status: n for status, n in r.statuses.items() if status != 201}
    busy = f"{r.machine_busy:.0%}" if r.machine_busy is not None else "?"
    capped = "" if r.finished else f" (!! not finished {wait_s:.0f} s after the last create)"
    say(
        f"   {_scale_label(r.processes)}: {r.created:,} created in {r.create_s:.2f} s = {r.creates_per_s:,.0f} "
        f"creates/s (other answers: {other or 'none'}); machine CPU {busy} busy{capped}"
    )
    say(
        f"     settled {r.settled:,} of {r.payments:,}, the last {r.settle_s:.2f} s after the first create "
        f"({r.settle_s - r.create_s:+.2f} s after the last answer) = {r.settled_per_s:,.0f} settled/s"
    )
    say(
        f"     webhooks: {r.delivered:,} of {r.deliveries:,} events received, the last {r.deliver_s:.2f} s after "
        f"the first create ({r.deliver_s - r.create_s:+.2f} s after the last answer) "
        f"= {r.delivered_per_s:,.0f} delivered/s"
    )
    say(
        f"     done twice (expect 0): settled twice {r.settled_twice}, events recorded twice {r.duplicate_events}, "
        f"deliveries with > 1 attempt {r.multi_attempt_deliveries}, copies at the receiver {r.receiver_duplicates}"
    )
    say(
        f"     left undone (expect 0): never settled {r.never_settled}, events not received {r.missing_events}, "
        f"failed deliveries {r.failed_deliveries}, dead jobs {r.dead_jobs}"
    )
    say(
        f"     Redis CPU per payment, create to last webhook: {r.redis_cpu_ms:.2f} ms "
        "(the server is shared: other clients' commands count too)"
    )


# Summary ------------------------------------------------------------------------------------------


def summary_rows(results: Results) -> list[tuple[str, str, str, str]]:
    """(metric, this gateway, measured beside it, ratio) per row: the text summary and the HTML report show these."""
    # A phase that failed (listed with !! below) or was left out by --only.
    missing = "—"

    def rate(value: float | None) -> str:
        return missing if value is None else f"{value:,.0f} /s"

    def lat(values: list[float], p: float) -> str:
        return ms(percentile(values, p)) if values else missing

    c, m, q, sc = results.creates, results.minimal, results.queue, results.scale
    best = max(results.peers, key=lambda p: p.per_s, default=None)
    return [
        (
            "POST /payments throughput",
            rate(c.per_s if c else None),
            f"minimal endpoint {rate(m.per_s if m else None)}",
            _ratio(c.per_s if c else None, m.per_s if m else None) + " (target ≥ 0.75×)",
        ),
        (
            "POST /payments latency p50 / p99",
            f"{lat(c.latencies_s, 50)} / {lat(c.latencies_s, 99)}" if c else missing,
            f"minimal {lat(m.latencies_s, 50)} / {lat(m.latencies_s, 99)}" if m else "—",
            "",
        ),
        ("create → payment.success p50", lat(results.e2e, 50), f"earlier reference {REFERENCE['e2e_p50']}", ""),
        ("create → payment.success p99", lat(results.e2e, 99), f"earlier reference {REFERENCE['e2e_p99']}", ""),
        (
            "webhook deliveries",
            rate(results.deliveries.per_s if results.deliveries else None),
            f"earlier reference {REFERENCE['deliveries']}",
            "",
        ),
        ("queue jobs / process, bare loop", rate(q.raw_per_s if q else None), "—", ""),
        (
            "queue jobs / process, poller.run",
            rate(q.first_to_last_per_s if q else None) + " f→l",
            f"best peer {best.peer} {rate(best.per_s)}" if best else "peers: —",
            _ratio(q.first_to_last_per_s if q else None, best.per_s if best else None) + " (target ≥ 2.5×)",
        ),
        (
            "slow neighbours: last payment settled",
            f"{results.isolation.settled_after_last_create_s:.2f} s after" if results.isolation else missing,
            "target ≤ 2 s",
            "",
        ),
        (
            "slow neighbours: healthy p99",
            lat(results.isolation.healthy_latencies_s, 99) if results.isolation else missing,
            "target < 1 s",
            "",
        ),
        (
            "2 APIs + 2 pollers vs 1 + 1: creates",
            rate(sc.double.creates_per_s if sc else None),
            f"1 + 1: {rate(sc.single.creates_per_s if sc else None)}",
            _ratio(sc.double.creates_per_s, sc.single.creates_per_s) + " (same 2 cores)" if sc else "",
        ),
        (
            "2 APIs + 2 pollers vs 1 + 1: webhooks",
            rate(sc.double.delivered_per_s if sc else None),
            f"1 + 1: {rate(sc.single.delivered_per_s if sc else None)}",
            (
                f"{_ratio(sc.double.delivered_per_s, sc.single.delivered_per_s)}; duplicates "
                f"{sc.single.duplicates + sc.double.duplicates}, missing {sc.single.missing + sc.double.missing}"
            )
            if sc
            else "",
        ),
    ]


def summary(results: Results) -> None:
    c, m = results.creates, results.minimal
    rows = summary_rows(results)
    peers = ", ".join(f"{p.peer} {p.per_s:,.0f}" for p in results.peers)
    heading(f"Summary ({cores()}, load generator and receiver on the same cores; peers measured in this run)")
    width = max(len(r[0]) for r in rows)
    say(f"   {'metric':<{width}}   {'this gateway':>21}   {'measured beside it':<28}   ratio")
    say(f"   {'-' * width}   {'-' * 21}   {'-' * 28}   {'-' * 24}")
    for name, ours, ref, ratio in rows:
        say(f"   {name:<{width}}   {ours:>21}   {ref:<28}   {ratio}")
    if peers:
        say(f"   peers, jobs/s (first→last completion): {peers}")
    if results.growth:
        g = results.growth
        say(
            f"   backlog of {g.jobs:,} jobs: {g.bytes_per_job:,.0f} bytes of Redis each; "
            f"drained at {g.drain_per_s:,.0f} jobs/s (bare loop)"
        )
    if results.growth_backlog:
        b = results.growth_backlog
        capped = " (capped: not all settled)" if b.capped else ""
        say(
            f"   backlog of {b.count:,} deliveries: {b.bytes_per_job:,.0f} bytes of Redis each; drained in "
            f"{b.drain_s:.0f} s{capped} = {b.per_s:,.0f}/s; first tenth {b.first_tenth_per_s:,.0f}/s, "
            f"last tenth {b.last_tenth_per_s:,.0f}/s"
        )
    if results.growth_memory:
        r = results.growth_memory
        last = r.samples[-1]
        grew = ", ".join(
            f"{name} {last.parts()[name]:.0f} MB ({mb:+.1f} MB, {part:+.1%})" for name, (mb, part) in r.growth().items()
        )
        say(f"   RSS after {last.payments:,} payments (change since {r.warm.payments:,}): {grew}")
    busy = [r.machine_busy for r in (c, m) if r and r.machine_busy is not None]
    bg = f"{results.background_busy:.0%}" if results.background_busy is not None else "unknown"
    during = f"{min(busy):.0%}–{max(busy):.0%}" if busy else "unknown"
    say(f"   machine: {bg} busy before starting; {during} busy during the create windows (2 cores shared)")
    for name, error in results.errors.items():
        say(f"   !! {name}: {error}")


# Main ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--threads", type=int, default=32, help="client threads for phase 1 (32)")
    p.add_argument("--warmup", type=float, default=1.0, help="phase 1 warm-up seconds (1)")
    p.add_argument("--duration", type=float, default=5.0, help="phase 1 measured seconds per round and target (5)")
    p.add_argument("--rounds", type=int, default=2, help="phase 1 rounds, gateway and minimal alternating (2)")
    p.add_argument("--baseline", default="", help="phase 1: also measure the API of this copy of the tree")
    p.add_argument("--profile", type=float, default=8.0, help="phase 1b py-spy seconds; 0 skips it (8)")
    p.add_argument("--e2e-rate", type=float, default=100.0, help="phase 2 creates per second (100)")
    p.add_argument("--e2e-count", type=int, default=500, help="phase 2 payments (500)")
    p.add_argument("--e2e-wait", type=float, default=20.0, help="phase 2: longest wait for webhooks after sending (20)")
    p.add_argument("--deliveries", type=int, default=3000, help="phase 3 deliveries (3000)")
    p.add_argument("--deliveries-cap", type=float, default=20.0, help="phase 3: stop timing after this many s (20)")
    p.add_argument("--queue-jobs", type=int, default=10000, help="phase 5 jobs per loop and per peer (10000)")
    p.add_argument("--peers", default=",".join(queue_bench.PEERS), help="phase 5b peers; empty skips them")
    p.add_argument("--peer-cap", type=float, default=15.0, help="phase 5b: stop timing a peer after this many s (15)")
    p.add_argument(
        "--only",
        default="",
        help="comma-separated phases (creates,e2e,deliveries,isolation,queue,growth,scale); default all",
    )
    p.add_argument("--growth-jobs", type=int, default=100_000, help="phase 6 no-op job backlog; 0 skips it (100000)")
    p.add_argument(
        "--growth-deliveries", type=int, default=100_000, help="phase 6 delivery backlog; 0 skips it (100000)"
    )
    p.add_argument(
        "--growth-payments", type=int, default=10_000, help="phase 6 payments while sampling RSS; 0 skips it (10000)"
    )
    p.add_argument(
        "--growth-cap", type=float, default=600.0, help="phase 6: longest wait for a drain or the payments, s (600)"
    )
    p.add_argument("--isolation-rate", type=float, default=20.0, help="phase 4 creates per second (20)")
    p.add_argument("--isolation-count", type=int, default=60, help="phase 4 payments (60)")
    p.add_argument("--scale-payments", type=int, default=3000, help="phase 7 payments per configuration (3000)")
    p.add_argument(
        "--scale-wait", type=float, default=120.0, help="phase 7: longest wait for settling and webhooks, s (120)"
    )
    return p.parse_args(argv)


def _refuse_shared_data() -> str | None:
    s = settings()
    database = urllib.parse.urlsplit(s.database_url).path.strip("/")
    redis_db = urllib.parse.urlsplit(s.redis_url).path.strip("/")
    if database in FORBIDDEN_DATABASES or redis_db in FORBIDDEN_REDIS_DBS:
        return f"refusing to wipe {s.database_url} / {s.redis_url}: point BENCH_DATABASE_URL/BENCH_REDIS_URL elsewhere"
    return None


def background_load(results: Results) -> str:
    """How busy the machine is before we start anything: other work skews every figure below."""
    before = CpuSample.take()
    time.sleep(1)
    busy = before.busy_until(CpuSample.take())
    results.background_busy = busy
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
    started_at = dt.datetime.now().isoformat(timespec="seconds")
    say(f"Payment gateway benchmark · {started_at}")
    say(f"Machine: {cores()} · {platform.machine()} · Python {platform.python_version()}")
    say(f"Data: {s.database_url} · {s.redis_url} (wiped between phases)")
    say(
        f"Gateway: {s.web_concurrency} gunicorn workers · poller lanes: money {s.money_concurrency} threads, "
        f"webhooks {s.webhook_concurrency} · "
        f"TEST_MODE, TEST_PROCESSING_DELAY={s.test_processing_delay_ms} ms · LOG_LEVEL={s.log_level}"
    )
    say("Everything (API, poller, PostgreSQL, Redis, load generator, receiver) runs on these same cores.")
    results = Results()
    say(background_load(results))
    only = set(filter(None, args.only.split(",")))

    def wanted(phase: str) -> bool:
        return not only or phase in only

    stop = threading.Event()
    stack = Stack()
    receiver: Receiver | None = None
    try:
        stack.prepare_database()
        stack.reset_data()
        receiver = Receiver()
        api_up = guarded(results, "API start", stack.start_api) is not None
        if api_up:
            if wanted("creates"):
                results.creates = guarded(results, "phase 1", lambda: phase_creates(stack, args, stop, results))
                if args.profile > 0:
                    stack.reset_data()
                    results.profile = guarded(results, "phase 1b", lambda: phase_profile(stack, args, stop))

            rcv = receiver
            if wanted("e2e"):
                stack.reset_data()
                results.e2e = guarded(results, "phase 2", lambda: phase_e2e(stack, rcv, args, results, stop)) or []
                stack.stop_poller()

            if wanted("deliveries"):
                stack.reset_data()
                results.deliveries = guarded(results, "phase 3", lambda: phase_deliveries(stack, rcv, args, results))
                stack.stop_poller()

            if wanted("isolation"):
                stack.reset_data()
                rcv.drain()
                results.isolation = guarded(results, "phase 4", lambda: phase_isolation(stack, rcv, args, stop))
            stack.stop_all()
        if wanted("queue"):
            results.queue = guarded(results, "phase 5", lambda: phase_queue(args, stop))
            if args.peers:
                results.peers = guarded(results, "phase 5b", lambda: phase_peers(args, results)) or []
        if wanted("growth"):
            phase_growth(stack, receiver, args, results, stop)
        if wanted("scale"):
            stack.reset_data()
            results.scale = guarded(results, "phase 7", lambda: phase_scale(stack, args, stop))
            stack.stop_all()
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
    report_path = RESULTS_DIR / f"report-{dt.datetime.now():%Y%m%d-%H%M%S}.html"
    report.write(results, report_path, title_line=f"{started_at} · {cores()} · Python {platform.python_version()}")
    say(f"\nReport (latency distributions, ratios against peers): {report_path}")
    if results.errors:
        say(f"\n(total {time.monotonic() - started:.0f} s; child process logs kept in {stack.logdir})")
    else:
        shutil.rmtree(stack.logdir, ignore_errors=True)
        say(f"\n(total {time.monotonic() - started:.0f} s)")
    return 0
