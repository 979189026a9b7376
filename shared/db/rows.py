"""What each query returns: one TypedDict per table (and per join that adds columns).

psycopg2 hands back dicts; these give them their columns and types, so mypy checks every
``row["…"]`` from the database to the JSON we send. Status columns are plain text here, compared
with the enums in ``shared.models``.
"""

from __future__ import annotations

import datetime as dt
from typing import NotRequired, TypedDict


class PaymentRow(TypedDict):
    id: str
    merchant_id: str
    livemode: bool
    amount_minor: int
    currency: str  # char(3), padded: strip it
    method: str
    order_id: str
    description: str | None
    metadata: dict[str, str]
    status: str
    captured: bool
    captured_at: dt.datetime | None
    card_network: str | None
    card_last4: str | None
    card_expiry_month: int | None
    card_expiry_year: int | None
    vpa: str | None
    simulated_outcome: str | None
    submitted_at: dt.datetime | None
    error_code: str | None
    error_description: str | None
    processing_error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    order_ref: str | None  # the order its order_id named, if it named one
    # Computed by every read: the sum of its processed refunds.
    amount_refunded: int


class OrderRow(TypedDict):
    id: str
    merchant_id: str
    livemode: bool
    amount_minor: int
    currency: str  # char(3), padded: strip it
    receipt: str | None
    notes: dict[str, str]
    status: str
    attempts: int
    paid_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class RefundRow(TypedDict):
    id: str
    payment_id: str
    merchant_id: str
    livemode: bool
    amount_minor: int
    currency: str
    reason: str | None
    status: str
    error_code: str | None
    processing_error: str | None
    created_at: dt.datetime
    processed_at: dt.datetime | None
    updated_at: dt.datetime


class EndpointRow(TypedDict):
    """Secrets decrypted (``webhook_endpoints`` opens them)."""

    id: str
    merchant_id: str
    livemode: bool
    url: str
    events: list[str] | None  # None: every event type
    enabled: bool
    description: str | None
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: dt.datetime | None
    deleted_at: dt.datetime | None
    # Health: the current run of failed attempts, and why (and when) it was disabled.
    consecutive_failures: int
    failing_since: dt.datetime | None
    disabled_reason: str | None
    disabled_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class DeliveryRow(TypedDict):
    id: str
    merchant_id: str
    livemode: bool
    event_id: str
    endpoint_id: str
    event_type: str
    status: str
    attempts: int
    scheduled_attempts: int
    generation: int
    manual_requested: bool
    next_retry_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    response_code: int | None
    last_duration_ms: int | None
    last_error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    # Joined from the endpoint by reads (not by an UPDATE … RETURNING).
    url: NotRequired[str]


class SendingRow(DeliveryRow):
    """A delivery with what an attempt needs: the event body and the endpoint, secrets decrypted."""

    body: str
    enabled: bool
    deleted_at: dt.datetime | None
    secret: str
    previous_secret: str | None  # only while it still signs
    endpoint_failing: bool  # the endpoint has a run of failed attempts (shared.endpoint_health)


class AttemptRow(TypedDict):
    id: int
    delivery_id: str
    number: int
    trigger: str
    attempted_at: dt.datetime
    response_code: int | None
    duration_ms: int
    response_body: str | None
    error: str | None


class EventRow(TypedDict):
    id: str
    merchant_id: str
    livemode: bool
    type: str
    body: str  # the JSON exactly as signed and sent
    object_id: str | None  # the payment, refund or endpoint it is about
    created_at: dt.datetime


class ApiKeyRow(TypedDict):
    key_hash: str
    merchant_id: str
    kind: str
    livemode: bool
    created_at: dt.datetime
