"""Our gunicorn worker: one non-blocking loop per process that buffers whole requests for the app.

gunicorn's sync worker reads with blocking calls, so a client that sends slowly, or claims a body it
never sends, holds the whole process until the arbiter's ``--timeout`` kills it, and the answers its
parser gives are HTML. ``EdgeWorker`` keeps the arbiter (processes, signals, graceful shutdown and
the ``--timeout`` watchdog) and replaces the reading:

- one ``selectors`` loop per process accepts connections and reads heads and bodies without
  blocking, under fixed size limits (parsed by ``infra/http1.py``) and one deadline per request
  (``HTTP_READ_TIMEOUT_S``), with keep-alive (``HTTP_KEEPALIVE_S``), pipelining and
  ``Expect: 100-continue``;
- only a complete request reaches the WSGI app, called in the loop's own thread: the app is short
  CPU and database work, so a thread pool would only add GIL contention;
- the answer is buffered and written whenever the socket can take it, under the same deadline;
- every answer the edge makes itself uses our JSON error shape.

Connection states: IDLE (between requests) → READING (head, then body) → WRITING → IDLE again,
or CLOSING (shut down for writing, discarding input until the client closes) → closed.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import heapq
import io
import itertools
import json
import logging
import os
import selectors
import socket
import sys
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

from gunicorn.workers import base  # type: ignore[import-untyped]  # gunicorn ships no type hints

from infra import http1
from shared import ids
from shared.config import settings
from shared.errors import ErrorCode
from shared.log import timestamp

logger = logging.getLogger(__name__)

RECV_BYTES = 64 * 1024
# Closing a socket that still has unread input makes the kernel send a reset, which can destroy
# the answer before the client reads it (a 413 sent while the body is still arriving). So after
# an answer that closes, we shut down our side and discard input this long before closing.
LINGER_S = 2.0
# A kept-alive connection stays with the process that accepted it, and a burst of new connections
# spreads unevenly (16 benchmark clients landed 9/3/2/2 on four processes, tripling p99). Closing
# after this many requests lets the client reconnect to whichever process is free: a busy one is
# not in accept(). Measured with 16 keep-alive clients on four processes: p99 of POST /payments
# went from ~230 ms to 65-85 ms, and throughput did not drop.
MAX_REQUESTS_PER_CONNECTION = 100
# The longest the loop sleeps, so that notify() feeds gunicorn's watchdog while nothing happens.
TICK_S = 1.0


class _State(enum.Enum):
    IDLE = "idle"
    READING = "reading"
    WRITING = "writing"
    CLOSING = "closing"


class _Conn:
    """One client connection and how far its current request has come."""

    __slots__ = (
        "buf",
        "close_after",
        "deadline",
        "events",
        "head",
        "is_open",
        "local",
        "out",
        "peer",
        "request",
        "serial",
        "served",
        "sock",
        "started",
        "state",
    )

    def __init__(self, sock: socket.socket, peer: Any, serial: int) -> None:
        self.sock = sock
        self.peer = peer
        self.local = sock.getsockname()
        self.serial = serial  # breaks ties in the deadline heap
        self.served = 0
        self.state = _State.IDLE
        self.deadline = 0.0
        self.events = 0
        self.buf = bytearray()
        self.out = bytearray()
        self.head = http1.Head()
        self.request: http1.Request | None = None
        self.close_after = False
        self.started = 0.0
        self.is_open = True


class EdgeWorker(base.Worker):  # type: ignore[misc]  # base.Worker is untyped
    """A gunicorn worker whose event loop never waits on one client (see the module docstring)."""

    # Set by gunicorn's base class (which mypy cannot see); we change them too.
    alive: bool
    nr: int

    def run(self) -> None:
        if self.cfg.is_ssl:
            raise RuntimeError("EdgeWorker speaks plain HTTP; terminate TLS in front of it")
        s = settings()
        self._read_timeout_s = s.http_read_timeout_s
        self._keepalive_s = s.http_keepalive_s
        self._max_body = s.max_body_bytes
        self._max_conns = max(1, int(self.cfg.worker_connections))
        self._selector = selectors.DefaultSelector()
        self._conns: set[_Conn] = set()
        self._deadlines: list[tuple[float, int, _Conn]] = []
        self._ready: list[_Conn] = []  # connections with a pipelined request already buffered
        self._access_lines: list[str] = []  # written at the end of each loop turn
        self._serials = itertools.count()
        self._accepting = False
        self._accept_paused_until = 0.0
        self._notified_at = 0.0
        self._shutting_down = False
        for listener in self.sockets:
            listener.setblocking(False)
        self._selector.register(self.PIPE[0], selectors.EVENT_READ)
        self._set_accepting(True)
        try:
            self._loop()
        finally:
            for conn in list(self._conns):
                self._close(conn)
            self._selector.close()
            self._write_access_log()

    def _loop(self) -> None:
        while self.alive or self._conns:
            now = time.monotonic()
            if now - self._notified_at >= TICK_S:
                self.notify()
                self._notified_at = now
                if self.ppid != os.getppid():
                    self.log.info("Parent changed, shutting down: %s", self)
                    self.alive = False
            if not self.alive and not self._shutting_down:
                self._shut_down()
            if self.alive and not self._accepting and len(self._conns) < self._max_conns:
                self._set_accepting(now >= self._accept_paused_until)
            wait = 0.0 if self._ready else TICK_S
            if self._deadlines:
                wait = min(wait, max(0.0, self._deadlines[0][0] - now))
            if not self._accepting and self._accept_paused_until > now:
                wait = min(wait, self._accept_paused_until - now)
            for key, mask in self._selector.select(wait):
                if isinstance(key.data, _Conn):
                    with self._contained(key.data):
                        self._on_event(key.data, mask)
                elif key.fd == self.PIPE[0]:
                    self._drain_wakeups()
                elif self._accepting:
                    self._accept(key.fileobj)
            ready, self._ready = self._ready, []
            for conn in ready:
                if conn.is_open and conn.state is _State.READING:
                    with self._contained(conn):
                        self._advance(conn)
            self._expire(time.monotonic())
            if self._access_lines:
                self._write_access_log()

    @contextlib.contextmanager
    def _contained(self, conn: _Conn) -> Iterator[None]:
        # The app's failures are answered as 500s in _answer; this is for our own: one connection's
        # surprise must not take down every other connection this process holds.
        try:
            yield
        except Exception:
            logger.exception("http.edge_failed", extra={"peer": self._peer_ip(conn)})
            self._close(conn)

    def _drain_wakeups(self) -> None:
        # Signal handlers only set flags; the wakeup fd just makes select() return to look at them.
        with contextlib.suppress(BlockingIOError):
            while os.read(self.PIPE[0], 4096):
                pass

    def _shut_down(self) -> None:
        """Stop accepting; finish requests in progress; close connections between requests."""
        self._shutting_down = True
        self._set_accepting(False)
        for conn in list(self._conns):
            if conn.state is _State.IDLE:
                self._close(conn)
            else:
                conn.close_after = True

    def _set_accepting(self, on: bool) -> None:
        if on == self._accepting:
            return
        for listener in self.sockets:
            if on:
                self._selector.register(listener, selectors.EVENT_READ)
            else:
                self._selector.unregister(listener)
        self._accepting = on

    def _accept(self, listener: Any) -> None:
        # One connection per wake-up: every worker is woken for each connection, so taking one at a
        # time spreads a burst of keep-alive clients over the workers instead of piling it on one.
        try:
            sock, peer = listener.accept()
        except (BlockingIOError, ConnectionAbortedError):
            return
        except OSError as exc:
            if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                raise
            self.log.warning("Cannot accept connections for a second: %s", exc)
            self._accept_paused_until = time.monotonic() + 1.0
            self._set_accepting(False)
            return
        try:
            sock.setblocking(False)
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                # Each answer goes out in one send; don't let Nagle hold it for the previous one's ACK.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Conn(sock, peer, next(self._serials))
        except OSError:  # reset before we got to it
            sock.close()
            return
        self._conns.add(conn)
        conn.events = selectors.EVENT_READ
        self._selector.register(sock, conn.events, conn)
        self._set_deadline(conn, time.monotonic() + self._keepalive_s)
        if len(self._conns) >= self._max_conns:
            self._set_accepting(False)

    def _on_event(self, conn: _Conn, mask: int) -> None:
        if mask & selectors.EVENT_WRITE and conn.out:
            self._flush(conn)
        if conn.is_open and mask & selectors.EVENT_READ and conn.state is not _State.WRITING:
            self._read(conn)

    def _read(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(RECV_BYTES)
        except BlockingIOError:
            return
        except OSError:
            self._close(conn)
            return
        if not data:
            # The client went away. Between requests that is normal; mid-request nobody is left to answer.
            self._close(conn)
            return
        if conn.state is _State.CLOSING:
            return
        if conn.state is _State.IDLE:
            self._begin(conn, time.monotonic())
        conn.buf += data
        self._advance(conn)

    def _begin(self, conn: _Conn, now: float) -> None:
        """A request has started arriving: it has ``HTTP_READ_TIMEOUT_S`` to arrive in full."""
        conn.state = _State.READING
        conn.head = http1.Head()
        conn.request = None
        conn.started = now
        self._set_deadline(conn, now + self._read_timeout_s)

    def _advance(self, conn: _Conn) -> None:
        """Parse what has arrived; once the request is complete, answer it."""
        try:
            if conn.request is None:
                if not conn.head.feed(conn.buf):
                    return
                conn.request = http1.parse_request(conn.head, self._max_body)
                del conn.buf[: conn.head.end]
                if conn.request.expect_continue and not conn.buf:
                    # Only now, with the length accepted: curl waits for this before sending a body.
                    conn.out += b"HTTP/1.1 100 Continue\r\n\r\n"
                    self._flush(conn)
                    if not conn.is_open:
                        return
            body = conn.request.body.feed(conn.buf) if conn.request.body else b""
        except http1.Reject as reject:
            self._reject(conn, reject)
            return
        if body is not None:
            self._answer(conn, conn.request, body)

    def _answer(self, conn: _Conn, request: http1.Request, body: bytes) -> None:
        received = time.monotonic()
        self.nr += 1
        if self.nr >= self.max_requests:
            self.log.info("Autorestarting worker after current request.")
            self.alive = False
        environ = self._environ(conn, request, body)
        conn.served += 1
        close = (
            not request.keep_alive or conn.close_after or not self.alive or conn.served >= MAX_REQUESTS_PER_CONNECTION
        )
        head = request.method == "HEAD"
        try:
            status, headers, payload = self._call_app(environ)
            close = close or any(name.lower() == "connection" and "close" in value.lower() for name, value in headers)
            keep_alive_header = b"keep-alive" if request.version == "HTTP/1.0" else b""
            response = http1.frame(
                status, headers, payload, head=head, connection=b"close" if close else keep_alive_header
            )
        except Exception:
            request_id = ids.new("req")
            logger.exception("http.unhandled", extra={"request_id": request_id, "path": environ["PATH_INFO"]})
            status, headers, payload = "500 Internal Server Error", [], b""
            description = f"Something went wrong on our side; quote request id {request_id} if you contact support"
            response = http1.json_error(500, ErrorCode.SERVER_ERROR, description, request_id, head=head)
            close = True
        self._log_access(request.method, environ["PATH_INFO"], status, time.monotonic() - received)
        self._respond(conn, response, close)

    def _call_app(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        """Run the WSGI app to the end: its status, headers and whole body.

        Raises:
            Exception: whatever the app raised, or ValueError for a status or header we cannot send.
        """
        started: list[tuple[str, list[tuple[str, str]]]] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # Nothing is sent before the app returns, so a later call with exc_info may replace these.
            if started and exc_info is None:
                raise AssertionError("start_response called a second time without exc_info")
            started[:] = [(status, headers)]
            return chunks.append

        result = self.wsgi(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        if not started:
            raise ValueError("the app returned without calling start_response")
        status, headers = started[0]
        http1.check_response_head(status, headers)
        return status, headers, b"".join(chunks)

    def _environ(self, conn: _Conn, request: http1.Request, body: bytes) -> dict[str, Any]:
        local = conn.local
        peer = conn.peer if isinstance(conn.peer, tuple) else ("", "")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            # PEP 3333: PATH_INFO is the percent-decoded path, its bytes carried in a latin-1 str.
            "PATH_INFO": urllib.parse.unquote_to_bytes(request.path).decode("latin-1"),
            "QUERY_STRING": request.query,
            "RAW_URI": request.target,
            "SERVER_PROTOCOL": request.version,
            "SERVER_NAME": str(local[0]) if isinstance(local, tuple) else str(local),
            "SERVER_PORT": str(local[1]) if isinstance(local, tuple) else "",
            "REMOTE_ADDR": str(peer[0]),
            "REMOTE_PORT": str(peer[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": self.cfg.workers > 1,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        if request.body is not None:
            # A chunked body arrives decoded, so the app sees it like any other: with its length.
            environ["CONTENT_LENGTH"] = str(len(body))
        for name, value in request.fields:
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
            elif name in ("content-length", "transfer-encoding") or "_" in name:
                # X_Api_Key and X-Api-Key would both become HTTP_X_API_KEY: drop the ambiguous
                # spelling, as gunicorn does, so a proxy's header cannot be shadowed.
                continue
            else:
                key = "HTTP_" + name.upper().replace("-", "_")
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _reject(self, conn: _Conn, reject: http1.Reject) -> None:
        request = conn.request
        head = request is not None and request.method == "HEAD"
        request_id = ids.new("req")
        response = http1.json_error(reject.status, reject.code, reject.description, request_id, head=head)
        self.log.warning("Refused a request from %s: %s %s", self._peer_ip(conn), reject.status, reject)
        method, path = (request.method, request.path) if request else ("-", "-")
        self._log_access(method, path, str(reject.status), time.monotonic() - conn.started)
        self._respond(conn, response, close=True)

    def _log_access(self, method: str, path: str, status: str, elapsed_s: float) -> None:
        """Keep one JSON line for the answer; ``_write_access_log`` writes the loop turn's lines at once.

        Ours rather than gunicorn's access log: that one builds two dozen atoms and a log record
        per request, about 7 % of an API worker's CPU (issue 12).
        """
        line = {
            "ts": timestamp(time.time()),  # as the app's own lines have it, so they sort together
            "msg": "http.access",
            "method": method,
            "path": path,  # the client's choice: json.dumps escapes it
            "status": int(status[:3]),
            "ms": int(elapsed_s * 1000),
        }
        self._access_lines.append(json.dumps(line) + "\n")

    def _write_access_log(self) -> None:
        lines, self._access_lines = self._access_lines, []
        try:
            sys.stdout.write("".join(lines))
            sys.stdout.flush()
        except (OSError, ValueError):
            pass  # stdout closed or gone: the answers matter more than their log lines

    @staticmethod
    def _peer_ip(conn: _Conn) -> str:
        return str(conn.peer[0]) if isinstance(conn.peer, tuple) else ""

    def _respond(self, conn: _Conn, response: bytes, close: bool) -> None:
        """Queue an answer; nothing more is read from the connection until it is written."""
        conn.out += response
        conn.close_after = conn.close_after or close
        conn.state = _State.WRITING
        self._set_deadline(conn, time.monotonic() + self._read_timeout_s)
        self._flush(conn)

    def _flush(self, conn: _Conn) -> None:
        try:
            while conn.out:
                sent = conn.sock.send(conn.out)
                del conn.out[:sent]
        except BlockingIOError:
            pass
        except OSError:
            self._close(conn)
            return
        if not conn.out and conn.state is _State.WRITING:
            self._written(conn)
        self._watch(conn)

    def _written(self, conn: _Conn) -> None:
        now = time.monotonic()
        if conn.close_after or not self.alive:
            try:
                conn.sock.shutdown(socket.SHUT_WR)
            except OSError:
                self._close(conn)
                return
            conn.state = _State.CLOSING
            conn.buf.clear()
            self._set_deadline(conn, now + LINGER_S)
        elif conn.buf:
            # The next request was pipelined behind this one: take it on the next turn of the loop,
            # so one connection's queue cannot starve the others.
            self._begin(conn, now)
            self._ready.append(conn)
        else:
            conn.state = _State.IDLE
            conn.request = None
            self._set_deadline(conn, now + self._keepalive_s)

    def _watch(self, conn: _Conn) -> None:
        if not conn.is_open:
            return
        events = selectors.EVENT_WRITE if conn.out else 0
        if conn.state is not _State.WRITING:
            events |= selectors.EVENT_READ
        if events != conn.events:
            self._selector.modify(conn.sock, events, conn)
            conn.events = events

    def _set_deadline(self, conn: _Conn, at: float) -> None:
        # Entries are never removed: a changed deadline leaves a stale one that _expire skips.
        conn.deadline = at
        heapq.heappush(self._deadlines, (at, conn.serial, conn))

    def _expire(self, now: float) -> None:
        while self._deadlines and self._deadlines[0][0] <= now:
            at, _, conn = heapq.heappop(self._deadlines)
            if not conn.is_open or conn.deadline != at:
                continue
            if conn.state is _State.READING:
                description = f"The request was not received in full within {self._read_timeout_s:g} s"
                with self._contained(conn):
                    self._reject(conn, http1.Reject(408, description, ErrorCode.REQUEST_TIMEOUT_ERROR))
            else:
                # Idle past the keep-alive time, an answer the client would not read, or lingering done.
                self._close(conn)

    def _close(self, conn: _Conn) -> None:
        if not conn.is_open:
            return
        conn.is_open = False
        self._conns.discard(conn)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(conn.sock)
        conn.sock.close()
        conn.buf.clear()
        conn.out.clear()
