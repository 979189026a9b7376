"""The serving paths: gunicorn through our WSGI adapter, ``chalice local``, and Chalice's test client."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import requests
from chalice.test import Client

from app import app
from tests.conftest import ROOT, Api, free_port, payment_body, wait_until


def test_unknown_path_and_wrong_method_get_json_errors(api: Api) -> None:
    missing = api.get("/nothing-here")
    wrong = api.request("PUT", "/payments")

    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND_ERROR"
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "METHOD_NOT_ALLOWED_ERROR"
    for response in (missing, wrong):
        assert response.headers["Access-Control-Allow-Origin"] == "*"  # readable by browser callers
        assert response.headers["X-Request-Id"].startswith("req_")


def test_oversized_body_is_refused_with_413(api: Api) -> None:
    response = api.post("/payments", data=b"{" + b" " * 70_000 + b"}", headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "BAD_REQUEST_ERROR"


def test_cors_preflight_allows_the_checkout_headers(api: Api) -> None:
    response = requests.options(
        api.base + "/payments",
        headers={
            "Origin": "http://localhost:3001",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key,idempotency-key,content-type",
        },
        timeout=5,
    )

    assert response.status_code == 200
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "x-api-key" in allowed and "idempotency-key" in allowed
    created = api.post("/payments", json=payment_body(), headers={"Origin": "http://localhost:3001"})
    assert created.headers["Access-Control-Allow-Origin"] == "*"


def test_chalice_test_client_runs_routes_in_process() -> None:
    with Client(app) as client:
        response = client.http.get("/api/v1/payments", headers={"X-Api-Key": "key_test_123"})
        unauthorized = client.http.post("/api/v1/payments", body=json.dumps(payment_body()))

    assert response.status_code == 200 and json.loads(response.body)["total"] == 0
    assert unauthorized.status_code == 401


def test_chalice_local_still_serves_the_app() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("chalice")), "local", "--port", str(port), "--no-autoreload"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def answered() -> requests.Response | None:
            try:
                return requests.get(
                    f"http://127.0.0.1:{port}/api/v1/payments", timeout=2, headers={"X-Api-Key": "key_test_123"}
                )
            except requests.RequestException:
                return None

        response = wait_until(answered, timeout_s=30, interval_s=0.2)
        assert response.status_code == 200 and response.json()["data"] == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)
