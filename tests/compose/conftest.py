"""The compose stack, brought up once for the session and taken down after it, failed or not.

Run with ``--confcutdir=tests/compose`` (``make compose-test`` does): tests/conftest.py truncates
and flushes the native test database and Redis before every test, which these tests never use.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from tests.compose.stack import ROOT, Stack, collect_logs, default_stack

LOG_DIR = Path(os.environ.get("COMPOSE_TEST_LOGS", ROOT / "build" / "compose-test-logs"))


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    stack = default_stack()
    # A run that was killed before its teardown left its containers: this project's only.
    stack.down()
    try:
        stack.up()
        stack.wait_healthy()
    except BaseException:
        collect_logs(stack, LOG_DIR)
        stack.down()
        raise
    yield stack
    stack.down()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, object, object]:
    # Logs at the moment a test fails: later tests re-create and finally remove the containers.
    report = yield
    stack = getattr(item, "funcargs", {}).get("stack")
    if isinstance(report, pytest.TestReport) and report.failed and isinstance(stack, Stack):
        collect_logs(stack, LOG_DIR / item.name)
    return report
