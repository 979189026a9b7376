"""A webhook receiver in its own process (asyncio, HTTP/1.1 keep-alive).

It answers every POST with 200, at once or after ``delay_s`` (a slow merchant), and records
``(time.time(), event, payment id)``; the benchmark process collects the records through a pipe.
Running it in a separate process keeps it from competing with the load generator for the GIL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

_BODY = b'{"received":true}'
_OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(_BODY), _BODY)


class Hit(NamedTuple):
    received_at: float  # time.time() when the whole request had arrived
    event: str
    payment_id: str


def _parse(body: bytes) -> tuple[str, str]:
    try:
        doc: Any = json.loads(body)
        payment = doc.get("data", {}).get("payment") or {}
        return str(doc.get("event", "?")), str(payment.get("id", ""))
    except (ValueError, AttributeError):
        return "?", ""


async def _serve(conn: Connection, delay_s: float) -> None:
    hits: list[Hit] = []
    stopped = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                close = False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"connection" and value.strip().lower() == b"close":
                        close = True
                body = await reader.readexactly(length) if length else b""
                received_at = time.time()
                event, payment_id = _parse(body)
                hits.append(Hit(received_at, event, payment_id))
                if delay_s:
                    await asyncio.sleep(delay_s)
                writer.write(_OK)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def on_command() -> None:
        try:
            command = conn.recv()
        except (EOFError, OSError):  # the benchmark process went away
            command = "stop"
        if command == "drain":
            conn.send(hits[:])
            hits.clear()
        elif command == "stop":
            asyncio.get_running_loop().remove_reader(conn.fileno())
            stopped.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    port = int(server.sockets[0].getsockname()[1])
    asyncio.get_running_loop().add_reader(conn.fileno(), on_command)
    conn.send(port)
    async with server:
        await stopped.wait()


def serve(conn: Connection, delay_s: float) -> None:
    """Process target: serve until told to stop (or the parent goes away)."""
    with contextlib.suppress(KeyboardInterrupt, EOFError, BrokenPipeError):
        asyncio.run(_serve(conn, delay_s))


class Receiver:
    """Handle on the receiver process."""

    def __init__(self, delay_s: float = 0.0) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=serve, args=(child, delay_s), name="bench-receiver", daemon=True)
        self._proc.start()
        child.close()
        if not self._conn.poll(30):
            self.close()
            raise RuntimeError("the webhook receiver did not start")
        self.port = int(self._conn.recv())
        self.url = f"http://127.0.0.1:{self.port}/webhook"

    def drain(self) -> list[Hit]:
        """Every request received since the last drain."""
        self._conn.send("drain")
        hits: list[Hit] = self._conn.recv()
        return hits

    def close(self) -> None:
        if self._proc.is_alive():
            with contextlib.suppress(OSError):
                self._conn.send("stop")
            self._proc.join(5)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(5)
        self._conn.close()
