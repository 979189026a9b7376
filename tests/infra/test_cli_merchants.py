"""``gateway merchants create`` prints four working keys once; ``gateway seed`` refuses in production."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from infra import cli
from shared import db, seed
from shared.config import Settings
from tests.conftest import ROOT, TABLES, Api, payment_body, scalar

REAL_CARD = {"number": "4012888888881881", "expiry_month": 12, "expiry_year": 2035, "cvv": "123"}
PRODUCTION_ENV = {"GATEWAY_ENV": "production", "GATEWAY_SECRET_KEY": "prod-key", "GATEWAY_ENCRYPTION_KEY": "prod-enc"}


def _gateway(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_merchants_create_prints_four_keys_that_work_in_their_modes(
    capsys: pytest.CaptureFixture[str], api_url: str
) -> None:
    assert cli.main(["merchants", "create", "--name", "Acme Books"]) == 0
    out = capsys.readouterr()
    created = json.loads(out.out)
    keys = created["keys"]

    assert re.fullmatch(r"mch_\w+", created["id"]) and created["name"] == "Acme Books"
    assert "cannot be shown again" in out.err
    for mode in ("live", "test"):
        assert re.fullmatch(rf"key_{mode}_[A-Za-z0-9_-]{{24,}}", keys[mode]["secret"])
        assert re.fullmatch(rf"pk_{mode}_[A-Za-z0-9_-]{{24,}}", keys[mode]["publishable"])
    assert scalar("SELECT name FROM merchants WHERE id = %s", created["id"]) == "Acme Books"
    stored = scalar("SELECT string_agg(row_to_json(k)::text, '') FROM api_keys k WHERE merchant_id = %s", created["id"])
    assert not any(key in stored for mode in keys.values() for key in mode.values())

    for mode, livemode in (("live", True), ("test", False)):
        secret = Api(api_url, key=keys[mode]["secret"])
        publishable = Api(api_url, key=keys[mode]["publishable"])
        by_secret = secret.post("/payments", json=payment_body(card=REAL_CARD))
        by_publishable = publishable.post("/payments", json=payment_body(card=REAL_CARD))
        assert by_secret.status_code == 201 and by_publishable.status_code == 201
        assert by_secret.json()["livemode"] is livemode and by_publishable.json()["livemode"] is livemode
        # Each mode lists its own two payments; the publishable key still cannot list.
        assert {p["id"] for p in secret.get("/payments").json()["data"]} == {
            by_secret.json()["id"],
            by_publishable.json()["id"],
        }
        assert publishable.get("/payments").status_code == 403
    # Another merchant (the seed) sees none of it.
    assert Api(api_url).get("/payments").json()["total"] == 0


def test_each_merchant_gets_its_own_keys(capsys: pytest.CaptureFixture[str]) -> None:
    made = []
    for name in ("One", "Two"):
        assert cli.main(["merchants", "create", "--name", name]) == 0
        made.append(json.loads(capsys.readouterr().out))

    assert made[0]["id"] != made[1]["id"]
    assert not {k for m in made[0]["keys"].values() for k in m.values()} & {
        k for m in made[1]["keys"].values() for k in m.values()
    }
    assert scalar("SELECT count(*) FROM api_keys WHERE merchant_id = ANY(%s)", [m["id"] for m in made]) == 8


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "tab\there"])
def test_merchants_create_refuses_a_bad_name(name: str) -> None:
    with pytest.raises(SystemExit, match="--name must be"):
        cli.main(["merchants", "create", "--name", name])

    assert scalar("SELECT count(*) FROM merchants") == 2  # the seed and the other merchant only


def test_merchants_create_has_help() -> None:
    result = _gateway("merchants", "create", "--help")

    assert result.returncode == 0 and "usage: gateway merchants create" in result.stdout


def _empty_database() -> None:
    with db.transaction() as tx:
        tx.execute(f"TRUNCATE {TABLES}")


def test_seed_refuses_in_production() -> None:
    _empty_database()

    result = _gateway("seed", **PRODUCTION_ENV)

    assert result.returncode != 0
    assert "refusing" in result.stderr and "production" in result.stderr
    assert scalar("SELECT count(*) FROM merchants") == 0 and scalar("SELECT count(*) FROM api_keys") == 0


def test_the_seed_is_created_only_outside_production() -> None:
    _empty_database()

    seed.run(Settings.from_env(PRODUCTION_ENV))  # as `make up`'s prepare step would, in production
    assert scalar("SELECT count(*) FROM merchants") == 0

    result = _gateway("seed", GATEWAY_ENV="local")
    assert result.returncode == 0, result.stderr
    assert scalar("SELECT count(*) FROM api_keys WHERE merchant_id = %s AND NOT livemode", seed.MERCHANT_ID) == 2
    assert scalar("SELECT count(*) FROM api_keys WHERE livemode") == 0
    assert scalar("SELECT livemode FROM webhook_endpoints WHERE id = %s", seed.ENDPOINT_ID) is False
