"""Request bodies are bounded where they are parsed: nesting depth and NUL characters, without recursion."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from shared.errors import InvalidRequest
from shared.http import MAX_JSON_DEPTH, Call, Reply, serve
from tests.conftest import Api, payment_body


def _call(body: bytes | str) -> Call:
    raw = body.encode() if isinstance(body, str) else body
    return Call(method="POST", path="/", params={}, query={}, headers={}, raw_body=raw, request_id="req_test")


def _arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


def _objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


NESTINGS = [pytest.param(_arrays, id="arrays"), pytest.param(_objects, id="objects")]


def test_bodies_nested_to_the_limit_are_parsed() -> None:
    arrays: list[Any] = []
    objects: Any = 1
    for _ in range(MAX_JSON_DEPTH - 1):
        arrays = [arrays]
    for _ in range(MAX_JSON_DEPTH):
        objects = {"a": objects}

    assert MAX_JSON_DEPTH == 32
    assert _call(_arrays(32)).json() == arrays
    assert _call(_objects(32)).json() == objects


@pytest.mark.parametrize("nested", NESTINGS)
@pytest.mark.parametrize("depth", [33, 322, 950, 100_000])
def test_a_body_nested_deeper_than_the_limit_is_refused(nested: Any, depth: int) -> None:
    with pytest.raises(InvalidRequest, match="must not nest more than 32 levels") as refused:
        _call(nested(depth)).json()

    assert refused.value.status == 400


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"a\\u0000": 1}', id="key"),
        pytest.param('{"a": "b\\u0000"}', id="value"),
        pytest.param('[1, ["x", {"k": ["\\u0000"]}]]', id="nested-value"),
        pytest.param('{"a": {"b": {"c\\u0000d": null}}}', id="nested-key"),
        pytest.param('"\\u0000"', id="bare-string"),
    ],
)
def test_nul_anywhere_in_the_body_is_refused(body: str) -> None:
    with pytest.raises(InvalidRequest, match="NUL"):
        _call(body).json()


def test_a_nul_at_the_deepest_allowed_level_is_found() -> None:
    body = "[" * (MAX_JSON_DEPTH - 1) + '["ok", "\\u0000"]' + "]" * (MAX_JSON_DEPTH - 1)

    with pytest.raises(InvalidRequest, match="NUL"):
        _call(body).json()


def test_wide_bodies_without_nul_are_returned_unchanged() -> None:
    body = {"metadata": {f"k{i}": "v" * 50 for i in range(20)}, "list": list(range(1000)), "n": None}

    assert _call(json.dumps(body)).json() == body


def test_nul_in_the_query_string_is_refused() -> None:
    request = SimpleNamespace(
        method="GET", path="/", raw_body=b"", query_params={"status": "x\x00"}, headers={"Host": "x"}
    )

    response = serve(request, lambda call: Reply(200, {}), {}, access="public")

    assert response.status_code == 400
    assert "NUL" in response.body


# ---- through the real server -------------------------------------------------------------------


def _deep_bodies() -> list[Any]:
    return [
        pytest.param(nested(depth), id=f"{nested.__name__.strip('_')}-{depth}")
        for nested in (_arrays, _objects)
        for depth in (33, 322, 950, 5_000)
    ]


@pytest.fixture
def payment_id(api: Api) -> str:
    response = api.post("/payments", json=payment_body())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.parametrize("body", _deep_bodies())
@pytest.mark.parametrize(
    "path", ["/payments", "/payments/{id}/refunds", "/payments/{id}/capture", "/webhook-endpoints"]
)
def test_deep_bodies_get_a_400_on_every_endpoint_that_takes_one(
    api: Api, payment_id: str, path: str, body: str
) -> None:
    response = api.post(path.format(id=payment_id), data=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-Id"].startswith("req_")
    assert response.json() == {
        "error": {
            "code": "BAD_REQUEST_ERROR",
            "description": "The request body must not nest more than 32 levels deep",
            "field": None,
        }
    }
