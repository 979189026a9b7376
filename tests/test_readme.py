"""The README stays true: every setting and every route it should document is there."""

from __future__ import annotations

import re

import pytest

from app import app
from tests.conftest import ROOT

pytestmark = pytest.mark.static

README = (ROOT / "README.md").read_text()


def test_every_environment_variable_is_in_the_configuration_table() -> None:
    source = (ROOT / "shared" / "config.py").read_text()
    names = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', source))

    missing = sorted(name for name in names if f"`{name}`" not in README)

    assert missing == []


def test_every_route_is_in_the_api_reference() -> None:
    for path, methods in app.routes.items():
        # The README writes every path parameter as {id}.
        short = re.sub(r"\{\w+_id\}", "{id}", path.removeprefix("/api/v1"))
        for method in methods:
            assert f"{method} {short}" in README, f"{method} {short}"


def test_readme_opens_with_the_two_commands() -> None:
    head = README[:400]

    assert "make up" in head and "make test" in head
