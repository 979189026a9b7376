"""Webhook endpoints: what ``POST`` and ``PATCH /webhook-endpoints`` take, and the endpoint we return."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AwareDatetime, ConfigDict, Field, Strict, StringConstraints

from shared.models.base import Request, Shape, ShortText, Timestamp
from shared.models.events import EventType

if TYPE_CHECKING:  # shared.db imports these models: at run time the rows are plain dicts
    from shared.db.rows import EndpointRow

EventList = Annotated[
    list[Annotated[EventType, Strict(False)]],
    Field(min_length=1, max_length=len(EventType), description="Omit for every event type"),
]
WebhookUrl = Annotated[
    str, StringConstraints(min_length=1, max_length=2048), Field(examples=["https://shop.example/webhooks"])
]


class CreateWebhookEndpoint(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"url": "https://example.com/hooks", "events": ["payment.success", "refund.processed"]}]
        }
    )
    url: WebhookUrl
    events: EventList | None = None
    description: ShortText | None = None


class UpdateWebhookEndpoint(Request):
    url: WebhookUrl | None = None
    events: EventList | None = None
    enabled: bool | None = None
    description: ShortText | None = None


def mask_secret(secret: str) -> str:
    return secret[:10] + "…" + secret[-4:] if len(secret) > 16 else "whsec_…"


class WebhookEndpoint(Shape):
    id: str = Field(examples=["we_M3kD8sL2pQ9wZx"])
    entity: Literal["webhook_endpoint"] = "webhook_endpoint"
    livemode: bool
    url: str
    events: list[EventType]
    enabled: bool
    description: str | None
    secret: str = Field(
        description="In full only when created or rotated (or with ?reveal_secret=true); masked otherwise"
    )
    disabled_reason: str | None = Field(
        description="Why the gateway disabled it (null while enabled, or when disabled by you)",
        examples=["The endpoint answered 410 Gone"],
    )
    disabled_at: Timestamp | None
    consecutive_failures: int = Field(description="Failed attempts in a row; a successful one resets it")
    failing_since: Timestamp | None = Field(
        description="When the current run of failed attempts began; after WEBHOOK_ENDPOINT_DISABLE_AFTER_S "
        "of nothing but failures the endpoint is disabled"
    )
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def from_row(cls, row: EndpointRow, *, reveal_secret: bool = False) -> WebhookEndpoint:
        return cls(
            id=row["id"],
            livemode=row["livemode"],
            url=row["url"],
            events=[EventType(e) for e in row["events"]] if row["events"] is not None else list(EventType),
            enabled=row["enabled"],
            description=row["description"],
            secret=row["secret"] if reveal_secret else mask_secret(row["secret"]),
            disabled_reason=row["disabled_reason"],
            disabled_at=row["disabled_at"],
            consecutive_failures=row["consecutive_failures"],
            failing_since=row["failing_since"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


# Recovering is bounded: Stripe lets you resend events of the last 30 days, and one call queues at
# most this many deliveries (the answer says if more are left).
RECOVER_MAX_AGE_DAYS = 30
RECOVER_MAX_DELIVERIES = 1000


class RecoverWebhookDeliveries(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"since": "2026-12-01T00:00:00Z"}]})
    since: Annotated[AwareDatetime, Strict(False)] = Field(
        description="Re-queue the failed deliveries of events since this time: ISO-8601 with a time zone, "
        f"not in the future, at most {RECOVER_MAX_AGE_DAYS} days ago"
    )


class WebhookRecovery(Shape):
    entity: Literal["webhook_recovery"] = "webhook_recovery"
    endpoint_id: str
    since: Timestamp
    requeued: int = Field(description="How many failed deliveries went back to pending, due now")
    has_more: bool = Field(
        description=f"More failed deliveries are left (at most {RECOVER_MAX_DELIVERIES} are queued per call): "
        "call again to queue them"
    )


class WebhookEndpointList(Shape):
    data: list[WebhookEndpoint]
    total: int


class DeletedWebhookEndpoint(Shape):
    id: str
    entity: Literal["webhook_endpoint"] = "webhook_endpoint"
    livemode: bool
    deleted: Literal[True] = True
