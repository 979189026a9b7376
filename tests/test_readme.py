"""The README stays true: every setting and every route it should document is there."""

from __future__ import annotations

import re

from app import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_every_environment_variable_is_in_the_configuration_table() -> None:
    source = (ROOT / "shared" / "config.py").read_text()
    names = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', source))

    missing = sorted(name for name in names if f"`{name}`" not in README)

    assert missing == []


def test_every_route_is_in_the_api_reference() -> None:
    for path, methods in app.routes.items():
        short = path.removeprefix("/api/v1").replace("{payment_id}", "{id}").replace("{refund_id}", "{id}")
        short = short.replace("{endpoint_id}", "{id}").replace("{delivery_id}", "{id}")
        for method in methods:
            assert f"{method} {short}" in README, f"{method} {short}"


def test_readme_opens_with_the_two_commands() -> None:
    head = README[:400]

    assert "make up" in head and "make test" in head
