"""The job status (``GET /test/jobs/status``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.models.base import Shape


class JobStatus(Shape):
    pending: int = Field(description="Due, or waiting for a retry")
    processing: int = Field(description="Running on a poller now")
    parked: int = Field(description="Webhook deliveries waiting for a free slot at their endpoint")
    completed: int
    failed: int = Field(description="Dead jobs: their handler kept failing; see Troubleshooting")
    worker_status: Literal["running", "stopped"]
    workers: int = Field(description="Pollers alive")
    livemode: bool | None = Field(description="The key's mode; null for the whole queue (no key)")
