"""GET /openapi.json: the API's OpenAPI 3.1 document, generated from the route table. No key."""

from __future__ import annotations

from shared import openapi
from shared.http import Call, Operation, Reply

OPERATION = Operation(
    "GET",
    "/openapi.json",
    "This API's OpenAPI 3.1 document",
    {200: None},
    access="public",
    description="Generated from the code at start; the same as docs/openapi.json in the repository.",
)


def handle(call: Call) -> Reply:
    # The route table lists this module too, so it is read here rather than imported at the top.
    from functions.api.routes import ENDPOINTS

    return Reply(200, openapi.document(ENDPOINTS), {"Cache-Control": "public, max-age=300"})
