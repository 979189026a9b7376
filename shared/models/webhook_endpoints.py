"""Webhook endpoints: what ``POST`` and ``PATCH /webhook-endpoints`` take, and the endpoint we return."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import ConfigDict, Field, Strict, StringConstraints

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
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


class WebhookEndpointList(Shape):
    data: list[WebhookEndpoint]
    total: int


class DeletedWebhookEndpoint(Shape):
    id: str
    entity: Literal["webhook_endpoint"] = "webhook_endpoint"
    livemode: bool
    deleted: Literal[True] = True
