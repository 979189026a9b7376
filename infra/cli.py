"""``gateway``: invoke any handler by itself, inspect the queue, migrate, seed, replay a webhook,
create a merchant.

Handlers run through the entry point Lambda uses (the Chalice app), against the configured
PostgreSQL and Redis (``DATABASE_URL``, ``REDIS_URL``). Examples::

    gateway list
    gateway invoke create_payment --event '{"api_key": "key_test_123", "body": {"amount": 100, ...}}'
    gateway invoke get_payment --event '{"api_key": "key_test_123", "params": {"payment_id": "pay_…"}}'
    echo '{"ref_id": "pay_…"}' | gateway invoke process_payment -
    gateway invoke poll_jobs --seconds 5
    gateway queue
    gateway retry-dead process_payment:pay_…     (or --all)
    gateway replay whd_…
    gateway purge-events                         (what the poller does every minute)
    gateway merchants create --name "Acme Books"
    gateway openapi > docs/openapi.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from shared import log
from shared.config import settings

POLLER = "poll_jobs"
MAX_MERCHANT_NAME = 100


def _routes() -> dict[str, tuple[str, str]]:
    """Route handler name → (method, path template)."""
    from app import app

    return {
        entry.view_name: (method, path) for path, methods in app.routes.items() for method, entry in methods.items()
    }


def _jobs() -> list[str]:
    from app import JOBS

    return sorted(JOBS)


def cmd_list(_: argparse.Namespace) -> int:
    print("HTTP handlers (event: {api_key, params, query, headers, body}):")
    for name, (method, path) in sorted(_routes().items()):
        print(f"  {name:28} {method:6} {path}")
    print("Job handlers (event: {ref_id}):")
    for name in _jobs():
        print(f"  {name}")
    print(f"Scheduled:\n  {POLLER:28} the poller (use --seconds)")
    return 0


def _read_event(args: argparse.Namespace) -> dict[str, Any]:
    if args.event_file == "-":
        raw = sys.stdin.read()
    elif args.event_file:
        raw = Path(args.event_file).read_text()
    else:
        raw = args.event or "{}"
    event = json.loads(raw)
    if not isinstance(event, dict):
        raise SystemExit("the event must be a JSON object")
    return event


def _invoke_route(method: str, template: str, event: dict[str, Any]) -> dict[str, Any]:
    from chalice.test import Client

    from app import app

    params = event.get("params") or {}
    path = re.sub(r"{(\w+)}", lambda m: str(params.get(m.group(1), m.group(0))), template)
    missing = re.findall(r"{(\w+)}", path)
    if missing:
        raise SystemExit(f"the event's params must give {', '.join(missing)}")
    query = event.get("query") or {}
    if query:
        from urllib.parse import urlencode

        path += "?" + urlencode(query)
    headers = {"Content-Type": "application/json", **(event.get("headers") or {})}
    if event.get("api_key"):
        headers["X-Api-Key"] = event["api_key"]
    body = event.get("body")
    raw = body if isinstance(body, str) else (json.dumps(body) if body is not None else "")
    with Client(app) as client:
        response = client.http.request(method, path, headers=headers, body=raw.encode())
    try:
        payload: Any = json.loads(response.body)
    except ValueError:
        payload = response.body.decode(errors="replace")
    return {"status": response.status_code, "headers": dict(response.headers), "body": payload}


def _invoke_lambda(name: str, event: dict[str, Any], seconds: float) -> Any:
    from chalice.local import LambdaContext

    from app import app

    if name == POLLER:
        # The poller stops when less than (webhook timeout + 5 s) remains: give it `seconds` of work.
        margin_ms = int((settings().webhook_timeout_s + 5) * 1000)
        context = LambdaContext(name, memory_size=512, max_runtime_ms=margin_ms + int(seconds * 1000))
        event = {
            "id": "cli",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "0",
            "time": "1970-01-01T00:00:00Z",
            "region": settings().aws_region,
            "resources": [],
            "detail": {},
            "version": "0",
            **event,
        }
    else:
        context = LambdaContext(name, memory_size=512)
    return app.handler_map[name](event, context)


def cmd_invoke(args: argparse.Namespace) -> int:
    event = _read_event(args)
    routes = _routes()
    if args.name in routes:
        result = _invoke_route(*routes[args.name], event)
    elif args.name in _jobs() or args.name == POLLER:
        result = _invoke_lambda(args.name, event, args.seconds)
    else:
        raise SystemExit(f"no handler named {args.name!r}; `gateway list` shows them")
    print(json.dumps(result, indent=2, default=str))
    return 0


def cmd_queue(args: argparse.Namespace) -> int:
    from shared import keys, queue
    from shared.job_types import LANES

    q = queue.default_queue()
    out: dict[str, Any] = {**q.stats(), "pollers_alive": q.live_pollers(settings().heartbeat_ttl_s)}
    for lane in LANES:
        for state, key in (
            ("due", keys.lane_due(lane)),
            ("leased", keys.lane_leased(lane)),
            ("parked", keys.lane_parked(lane)),
        ):
            rows: list[tuple[bytes, float]] = q.redis.zrange(key, 0, args.limit - 1, withscores=True)  # type: ignore[assignment]
            out[f"{lane}_{state}"] = [{"job": job.decode(), "at_ms": int(score)} for job, score in rows]
    out["dead"] = q.dead_jobs(args.limit)
    print(json.dumps(out, indent=2))
    return 0


def cmd_retry_dead(args: argparse.Namespace) -> int:
    """Give dead jobs a fresh start: clear the error shown on their rows and queue them again."""
    from shared import db, queue
    from shared.db import payments, refunds, webhook_deliveries
    from shared.job_types import DELIVER_WEBHOOK, PROCESS_PAYMENT, PROCESS_REFUND
    from shared.queue import FollowUp

    q = queue.default_queue()
    job_ids = list(args.job_ids)
    if args.all:
        job_ids += [job["id"] for job in q.dead_jobs(10_000)]
        # Rows marked in PostgreSQL whose dead job Redis no longer has (it was flushed, say).
        with db.autocommit() as tx:
            for table, job_type in (("payments", PROCESS_PAYMENT), ("refunds", PROCESS_REFUND)):
                tx.execute(f"SELECT id FROM {table} WHERE status = 'pending' AND processing_error IS NOT NULL")
                job_ids += [queue.job_id(job_type, r["id"]) for r in tx.fetchall()]
    if not job_ids:
        raise SystemExit("name the dead jobs to retry (as `gateway queue` lists them), or pass --all")
    revived = []
    for jid in dict.fromkeys(job_ids):
        job_type, _, ref_id = jid.partition(":")
        with db.transaction() as tx:
            if job_type == PROCESS_PAYMENT:
                payments.set_processing_error(tx, ref_id, None)
            elif job_type == PROCESS_REFUND:
                refunds.set_processing_error(tx, ref_id, None)
            elif job_type == DELIVER_WEBHOOK:
                tx.execute("SELECT merchant_id, livemode FROM webhook_deliveries WHERE id = %s", (ref_id,))
                row = tx.fetchone()
                if row is None:
                    raise SystemExit(f"no delivery {ref_id!r}")
                webhook_deliveries.request_retry(tx, ref_id, row["merchant_id"], row["livemode"])
            else:
                raise SystemExit(f"{jid!r} is not a job id (type:ref_id, as `gateway queue` lists them)")
        q.enqueue([FollowUp(job_type, ref_id)])
        revived.append(jid)
    print(json.dumps({"queued": revived}, indent=2))
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    from shared.db import migrations

    migrations.ensure_database(settings().database_url)
    applied = migrations.migrate(settings().database_url)
    print(f"applied: {', '.join(applied) or 'nothing (up to date)'}")
    return 0


def cmd_seed(_: argparse.Namespace) -> int:
    from shared import seed

    if not seed.is_allowed(settings()):
        print(
            "gateway seed: refusing to seed in production (GATEWAY_ENV=production): the seed's keys are public. "
            "Create a merchant with `gateway merchants create --name …` instead.",
            file=sys.stderr,
        )
        return 1
    seed.run(settings())
    print(f"seeded merchant {seed.MERCHANT_ID} (key {seed.API_KEY}) and endpoint {seed.ENDPOINT_ID}")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Schedule the delivery again (as POST /webhooks/{id}/retry does), or with --now send it here."""
    from shared import db, queue
    from shared.db import webhook_deliveries
    from shared.job_types import DELIVER_WEBHOOK
    from shared.models.webhook_deliveries import WebhookDelivery
    from shared.queue import FollowUp

    with db.transaction() as tx:
        tx.execute("SELECT merchant_id, livemode FROM webhook_deliveries WHERE id = %s", (args.delivery_id,))
        row = tx.fetchone()
        if row is None:
            raise SystemExit(f"no delivery {args.delivery_id!r}")
        delivery = webhook_deliveries.request_retry(tx, args.delivery_id, row["merchant_id"], row["livemode"])
    if args.now:
        _invoke_lambda(DELIVER_WEBHOOK, {"ref_id": delivery["id"]}, 0)
        with db.autocommit() as tx:
            delivery = webhook_deliveries.get(tx, delivery["id"], row["merchant_id"], row["livemode"])
    else:
        queue.submit([FollowUp(DELIVER_WEBHOOK, delivery["id"])])
    print(json.dumps(WebhookDelivery.from_row(delivery).public(), indent=2))
    return 0


def cmd_purge_events(args: argparse.Namespace) -> int:
    """Delete events past EVENT_RETENTION_DAYS with their settled deliveries, as the poller does."""
    import dataclasses

    from shared import retention

    purged = retention.purge(settings(), batches=args.batches)
    print(json.dumps({"retention_days": settings().event_retention_days, **dataclasses.asdict(purged)}, indent=2))
    return 0


def cmd_merchants_create(args: argparse.Namespace) -> int:
    """Create a merchant with a secret and a publishable key in each mode, and print them once."""
    from shared import auth, db, ids
    from shared.auth import KeyKind
    from shared.db import merchants

    name = args.name.strip()
    if not 1 <= len(name) <= MAX_MERCHANT_NAME or not name.isprintable():
        raise SystemExit(f"--name must be 1 to {MAX_MERCHANT_NAME} printable characters")
    merchant_id = ids.new("mch")
    with db.transaction() as tx:
        merchants.insert(tx, merchant_id, name)
        keys = {
            mode: {kind.value: auth.issue_key(tx, merchant_id, kind, livemode) for kind in KeyKind}
            for mode, livemode in (("live", True), ("test", False))
        }
    print(json.dumps({"id": merchant_id, "name": name, "keys": keys}, indent=2))
    # On stderr, so stdout stays one JSON document a script can parse.
    print("Store these keys now: only their hashes are kept, so they cannot be shown again.", file=sys.stderr)
    return 0


def cmd_openapi(_: argparse.Namespace) -> int:
    from functions.api.routes import ENDPOINTS
    from shared.openapi import document

    print(json.dumps(document(ENDPOINTS), indent=2, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list every handler by name").set_defaults(func=cmd_list)
    invoke = sub.add_parser("invoke", help="invoke one handler with a JSON event and print its result")
    invoke.add_argument("name", help="a handler name from `gateway list`")
    invoke.add_argument("event_file", nargs="?", help="a file with the JSON event, or - for stdin")
    invoke.add_argument("--event", help="the JSON event inline")
    invoke.add_argument("--seconds", type=float, default=5, help="poll_jobs only: how long to drain (default 5)")
    invoke.set_defaults(func=cmd_invoke)
    queue_cmd = sub.add_parser("queue", help="show queue counts and the first jobs in each state")
    queue_cmd.add_argument("--limit", type=int, default=20, help="jobs to show per state (default 20)")
    queue_cmd.set_defaults(func=cmd_queue)
    retry_dead = sub.add_parser("retry-dead", help="queue dead jobs again, once their cause is fixed")
    retry_dead.add_argument("job_ids", nargs="*", help="job ids as `gateway queue` lists them (type:ref_id)")
    retry_dead.add_argument("--all", action="store_true", help="every dead job")
    retry_dead.set_defaults(func=cmd_retry_dead)
    sub.add_parser("migrate", help="create the database if needed and apply migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("seed", help="create the test merchant and its webhook endpoint (not in production)").set_defaults(
        func=cmd_seed
    )
    replay = sub.add_parser("replay", help="deliver a webhook again")
    replay.add_argument("delivery_id", help="a whd_… id")
    replay.add_argument("--now", action="store_true", help="attempt it in this process instead of queueing it")
    replay.set_defaults(func=cmd_replay)
    purge = sub.add_parser(
        "purge-events", help="delete events past EVENT_RETENTION_DAYS, their settled deliveries and old answers"
    )
    purge.add_argument("--batches", type=int, default=100, help="at most this many batches of 500 (default 100)")
    purge.set_defaults(func=cmd_purge_events)
    sub.add_parser("openapi", help="print the API's OpenAPI 3.1 document (docs/openapi.json)").set_defaults(
        func=cmd_openapi
    )
    merchants_cmd = sub.add_parser("merchants", help="manage merchants").add_subparsers(dest="action", required=True)
    create = merchants_cmd.add_parser(
        "create", help="create a merchant and print its id and its four API keys (shown once)"
    )
    create.add_argument("--name", required=True, help="the merchant's name (1-100 characters)")
    create.set_defaults(func=cmd_merchants_create)
    args = parser.parse_args(argv)
    log.configure(settings().log_level)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
