"""How the poller runs a claimed job: in its own process (default), or by handing it to the job
type's own Lambda function (``JOB_INVOKER=lambda``), which runs and settles it there.

Either way the job keeps its lease token, so only the holder of the current lease can settle it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared import aws, queue
from shared.config import Settings
from shared.errors import GatewayError
from shared.queue import CrashRetry, FollowUp, Job, JobHandler, Queue

logger = logging.getLogger(__name__)
Invoker = Callable[[Job], None]
# When Lambda refuses an invocation (throttled, say), try again soon; the lease keeps it ours till then.
INVOKE_RETRY_S = 5.0


class _UnknownJob:
    CRASH_RETRY = CrashRetry(max_attempts=1, first_delay_s=0, max_delay_s=0)

    def run(self, job: Job) -> list[FollowUp]:
        raise GatewayError(f"no handler for job type {job.type!r}")

    def give_up(self, job: Job, reason: str) -> None:
        pass  # no row to mark: the dead job list shows it


def in_process(handlers: Mapping[str, JobHandler], q: Queue) -> Invoker:
    def invoke(job: Job) -> None:
        queue.execute(q, handlers.get(job.type) or _UnknownJob(), job)

    return invoke


def via_lambda(q: Queue, function_prefix: str, client: Any) -> Invoker:
    def invoke(job: Job) -> None:
        try:
            client.invoke(
                FunctionName=function_prefix + job.type,
                InvocationType="Event",
                Payload=json.dumps(job_event(job)).encode(),
            )
        except (BotoCoreError, ClientError) as exc:
            logger.warning("job.invoke_failed", extra={"job_id": job.id, "error": repr(exc)})
            q.fail(job, f"lambda invoke failed: {exc!r}", INVOKE_RETRY_S)

    return invoke


def for_settings(s: Settings, handlers: Mapping[str, JobHandler], q: Queue) -> Invoker:
    if s.job_invoker == "lambda":
        return via_lambda(q, s.lambda_function_prefix, aws.client("lambda", s))
    return in_process(handlers, q)


def run_event(handler: JobHandler, job_type: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """What a job's own Lambda function does with its event."""
    job = job_from_event(job_type, event)
    if job.lease:
        # Handed over by a poller (JOB_INVOKER=lambda): run it and settle the lease the poller took.
        queue.execute(queue.default_queue(), handler, job)
        return {"job": job.id, "settled": True}
    # Invoked by hand (gateway invoke, the console, tests): run it and queue what it asks for.
    try:
        follow_ups = handler.run(job)
    except queue.JobParked:
        # Not ours to park (no lease): the endpoint's slots are all taken, so nothing was sent.
        return {"job": job.id, "skipped": "every slot of the webhook endpoint is in use; try again"}
    queue.submit(follow_ups)
    return {"job": job.id, "follow_ups": [queue.job_id(f.type, f.ref_id) for f in follow_ups]}


def job_event(job: Job) -> dict[str, Any]:
    """The payload a job function receives: enough to rebuild the Job, lease included."""
    return {
        "id": job.id,
        "type": job.type,
        "ref_id": job.ref_id,
        "attempt": job.attempt,
        "lease": job.lease,
        "slots": job.slots,
    }


def job_from_event(job_type: str, event: Mapping[str, Any]) -> Job:
    ref_id = str(event["ref_id"])
    return Job(
        id=str(event.get("id") or queue.job_id(job_type, ref_id)),
        type=job_type,
        ref_id=ref_id,
        attempt=int(event.get("attempt", 1)),
        lease=str(event.get("lease", "")),
        slots=str(event.get("slots", "")),
    )
