"""One JSON object per log line, with the request or job context bound by the edges."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

_context: contextvars.ContextVar[dict[str, object] | None] = contextvars.ContextVar("log_context", default=None)

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Attach fields to every line logged inside the block (and only there)."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def timestamp(seconds: float) -> str:
    """A log line's ``ts``: UTC, to the millisecond, e.g. ``2026-12-02T05:18:32.672Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **(_context.get() or {}),
        }
        line.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: str = "INFO") -> None:
    """Send JSON lines to stderr. Safe to call more than once."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Our lines never name the source file and line, so skip the frame walk that finds them for
    # every record (the logging HOWTO's "Optimization" section; ~3 % of an API worker's CPU).
    logging._srcfile = None
    for noisy in ("urllib3", "botocore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A receiver's malformed answer is recorded on its attempt; urllib3's own traceback for it
    # ("Failed to parse headers") would only repeat that, once per attempt.
    logging.getLogger("urllib3.connection").setLevel(logging.ERROR)
