"""Sending one webhook attempt, and deciding what happens after it.

In production, targets must resolve only to public addresses, and we connect to the address we
checked (not a second lookup), so DNS cannot be switched to an internal host between check and use.

Each attempt has a hard deadline. urllib3's read timeout applies to each socket read, so a receiver
that trickles its answer a byte at a time would never trip it; instead one reaper thread keeps the
deadlines of all attempts in a heap and shuts down the socket of any attempt still running at its
deadline. Connections find the attempt they serve through a context variable, because urllib3
creates and reuses them deep inside ``urlopen``.
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import datetime as dt
import heapq
import http.client
import ipaddress
import itertools
import os
import queue
import random
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import urllib3
import urllib3.connection
from urllib3.util.ssl_match_hostname import CertificateError

from shared.config import Settings
from shared.errors import InvalidRequest
from shared.models.webhook_deliveries import AttemptTrigger, DeliveryStatus

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection

USER_AGENT = "PaymentGateway-Webhooks/1.0"
_POOL_CACHE_SIZE = 256
_ERROR_MAX_CHARS = 200
_LOCATION_MAX_CHARS = 120
_REAPER_TICK_S = 0.05
_Utf8Decoder = codecs.getincrementaldecoder("utf-8")


class TargetRefused(Exception):
    """The URL points somewhere we will not send to."""


@dataclass(frozen=True, slots=True)
class AttemptResult:
    response_code: int | None
    duration_ms: int
    response_body: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        """A 2xx answered in full before the deadline: a 2xx whose body broke off or ran late is not."""
        return self.error is None and self.response_code is not None and 200 <= self.response_code < 300


def validate_url(url: str, settings: Settings) -> str:
    """Raises InvalidRequest unless ``url`` is an absolute http(s) URL we are allowed to call.

    The host must resolve now, and (unless private targets are allowed) only to public addresses.
    """
    try:
        parsed = urllib.parse.urlsplit(url)
        host = parsed.hostname
    except ValueError:
        raise InvalidRequest("url is not a valid URL", field="url") from None
    if parsed.scheme not in ("http", "https") or not host:
        raise InvalidRequest("url must be an absolute http:// or https:// URL", field="url")
    if parsed.username or parsed.password:
        raise InvalidRequest("url must not contain credentials", field="url")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except ValueError:
        raise InvalidRequest("url has an invalid port", field="url") from None
    try:
        if settings.allows_private_webhook_targets:
            _resolve(host, port)
        else:
            _public_address(host, port)
    except TargetRefused as exc:
        raise InvalidRequest(f"url is not allowed: {exc}", field="url") from None
    return url


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        # UnicodeError: a label over 63 characters (IDNA); ValueError: a NUL in the name.
        raise TargetRefused(f"cannot resolve {host}") from exc
    return [str(info[4][0]) for info in infos]


def _public_address(host: str, port: int) -> str:
    addresses = _resolve(host, port)
    for address in addresses:
        if not _is_public(ipaddress.ip_address(address.split("%")[0])):
            raise TargetRefused(f"{host} resolves to a non-public address")
    return addresses[0]


_EMBEDS_IPV4 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4-mapped, IPv4-compatible and NAT64 addresses reach the IPv4 address inside them.
        if ip.ipv4_mapped is not None:
            return _is_public(ip.ipv4_mapped)
        if any(ip in net for net in _EMBEDS_IPV4):
            return _is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return ip.is_global


class _Attempt:
    """One attempt's deadline, and the connection the reaper shuts down if the deadline comes first."""

    __slots__ = ("_conn", "_expired", "_finished", "_lock", "_sock", "deadline")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self._lock = threading.Lock()
        self._conn: object | None = None
        # Our own descriptor of the connection's socket: urllib3 may close or replace ``conn.sock``
        # at any point (TLS wraps the plain socket and detaches its descriptor mid-handshake), and
        # a closed descriptor's number can be reused by another connection at once.
        self._sock: socket.socket | None = None
        self._expired = False
        self._finished = False

    def watch(self, conn: object, sock: socket.socket) -> None:
        """Shut ``sock`` down when the deadline passes, or now if it already has."""
        if conn is self._conn:
            return  # a new TLS connection: its socket was watched before the handshake
        own = socket.socket(fileno=os.dup(sock.fileno()))
        with self._lock:
            self._drop()
            if self._expired:
                _shutdown(own)
                own.close()
            else:
                self._conn, self._sock = conn, own

    def let_go(self, conn: object) -> bool:
        """Stop watching ``conn`` before it goes back to the pool; True if the deadline cut it."""
        with self._lock:
            if conn is self._conn:
                self._drop()
            return self._expired

    def expire(self) -> None:
        with self._lock:
            if not self._finished:
                self._expired = True
                if self._sock is not None:
                    _shutdown(self._sock)

    def finish(self) -> bool:
        """End the attempt; True if its deadline passed first."""
        with self._lock:
            self._finished = True
            self._drop()
            return self._expired

    def _drop(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._conn, self._sock = None, None


def _shutdown(sock: socket.socket) -> None:
    # Unblocks a recv, send or TLS handshake in the attempt's thread, which then sees the
    # connection end; a socket the peer already closed may say it is not connected.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Reaper:
    """One daemon thread that expires attempts whose deadline has passed, at most _REAPER_TICK_S late."""

    def __init__(self) -> None:
        # Attempts arrive through a queue (no lock shared by the sending threads) and wait in a heap
        # that only the reaper's thread touches. Finished attempts stay there until their deadline
        # (cheap to skip), so it holds at most the attempts started within the last webhook_timeout_s.
        self._incoming: queue.SimpleQueue[tuple[float, int, _Attempt]] = queue.SimpleQueue()
        self._order = itertools.count()  # breaks ties, so attempts are never compared
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def start(self, timeout_s: float) -> _Attempt:
        attempt = _Attempt(time.monotonic() + timeout_s)
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="webhook-deadlines", daemon=True)
                    self._thread.start()
        self._incoming.put((attempt.deadline, next(self._order), attempt))
        return attempt

    def _run(self) -> None:
        heap: list[tuple[float, int, _Attempt]] = []
        while True:
            if not heap:
                heap.append(self._incoming.get())  # idle: sleep until an attempt starts
            # A tick rather than a wake-up at each deadline: a busy poller would otherwise wake
            # this thread (and take the GIL from the senders) once per attempt.
            time.sleep(_REAPER_TICK_S)
            with contextlib.suppress(queue.Empty):
                while True:
                    heapq.heappush(heap, self._incoming.get_nowait())
            now = time.monotonic()
            while heap and heap[0][0] <= now:
                heapq.heappop(heap)[2].expire()


_reaper = _Reaper()


def _new_reaper_after_fork() -> None:
    global _reaper  # a forked child has none of its parent's threads, so it needs its own reaper
    _reaper = _Reaper()


os.register_at_fork(after_in_child=_new_reaper_after_fork)

# The attempt running in this thread: urllib3 creates and reuses connections deep inside
# urlopen, and this is how they find the deadline to put their socket under.
_current: contextvars.ContextVar[_Attempt | None] = contextvars.ContextVar("webhook_attempt", default=None)


class _HTTPConnection(urllib3.connection.HTTPConnection):
    """Puts the socket it uses under the running attempt's deadline, in every phase."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        if attempt := _current.get():
            attempt.watch(self, sock)  # before any TLS handshake, which a receiver can trickle too
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None and (attempt := _current.get()):
            attempt.watch(self, self.sock)  # kept alive from an earlier attempt
        super().request(*args, **kwargs)


class _HTTPSConnection(_HTTPConnection, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection

    def _put_conn(self, conn: BaseHTTPConnection | None) -> None:
        # urllib3 returns a connection as soon as its body is read, possibly before send() ends:
        # stop watching it first, so the reaper can never shut down a socket another attempt uses.
        attempt = _current.get()
        if conn is not None and attempt is not None and attempt.let_go(conn):
            conn.close()  # the deadline shut it down: reconnect next time
        super()._put_conn(conn)


class _HTTPSPool(_HTTPPool, urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}
_pools_lock = threading.Lock()


def _pool(scheme: str, address: str, port: int, host: str) -> urllib3.HTTPConnectionPool:
    key = (scheme, address, port, host)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            if len(_pools) >= _POOL_CACHE_SIZE:
                _pools.clear()
            if scheme == "https":
                pool = _HTTPSPool(address, port, maxsize=8, server_hostname=host, assert_hostname=host)
            else:
                pool = _HTTPPool(address, port, maxsize=8)
            _pools[key] = pool
        return pool


def send(url: str, body: bytes, headers: dict[str, str], settings: Settings) -> AttemptResult:
    """POST once, never following redirects, and end by ``webhook_timeout_s`` whatever the receiver does.

    Time: the deadline runs from the start of the call. The DNS lookup cannot be interrupted; the
    connect is bounded by the connect timeout or the time left, whichever is shorter; once there is a
    socket, the reaper shuts it down at the deadline (at most _REAPER_TICK_S late), so a TLS
    handshake, status line, headers or body trickled in a byte at a time ends as a "timeout".

    Storage: every text field can go into PostgreSQL as it is. The body keeps at most
    ``webhook_response_body_max_bytes`` bytes *received* (after de-chunking; a Content-Encoding is
    not undone), then "…" if there were more. It is decoded as UTF-8; each byte that is not valid
    UTF-8 becomes ``\\xNN`` (Python's backslashreplace) and NUL becomes ``\\x00``, so the text can
    be up to four times the limit in characters. A backslash the receiver sent is kept as it is: the
    text is for people to read, not for recovering the exact bytes. Errors are a few words, escaped
    the same way and at most _ERROR_MAX_CHARS long.
    """
    started = time.perf_counter()
    attempt = _reaper.start(settings.webhook_timeout_s)
    token = _current.set(attempt)
    try:
        code, text, error = _post(url, body, headers, settings, attempt.deadline)
    finally:
        _current.reset(token)
        expired = attempt.finish()
    if expired:
        error = "timeout"  # whatever broke, it broke because the deadline shut the socket down
    duration_ms = int((time.perf_counter() - started) * 1000)
    return AttemptResult(code, duration_ms, text, None if error is None else _storable(error, _ERROR_MAX_CHARS))


def _post(
    url: str, body: bytes, headers: dict[str, str], settings: Settings, deadline: float
) -> tuple[int | None, str | None, str | None]:
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        address = host if settings.allows_private_webhook_targets else _public_address(host, port)
    except TargetRefused as exc:
        return None, None, f"refused: {exc}"
    # The lookup cannot be interrupted, so the rest of the attempt gets what is left of the time.
    remaining_s = deadline - time.monotonic()
    if remaining_s <= 0:
        return None, None, "timeout"
    target = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
    host_header = host if parsed.port is None else f"{host}:{parsed.port}"
    # A connect is not interrupted by the reaper (urllib3 has no socket to show it yet): bound it here.
    timeout = urllib3.Timeout(connect=min(settings.webhook_connect_timeout_s, remaining_s), read=remaining_s)
    try:
        response = _pool(parsed.scheme, address, port, host).urlopen(
            "POST",
            target,
            body=body,
            redirect=False,
            retries=False,
            preload_content=False,
            decode_content=False,
            timeout=timeout,
            headers={"Host": host_header, "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        )
    except urllib3.exceptions.NameResolutionError:
        return None, None, f"cannot resolve {host}"
    except urllib3.exceptions.NewConnectionError:  # before TimeoutError: urllib3 makes it a subclass
        return None, None, "connection refused"
    except urllib3.exceptions.HTTPError as exc:
        return None, None, _describe(exc)
    limit = settings.webhook_response_body_max_bytes
    received, error = _read_body(response, limit)
    # Drop the connection rather than reading an unbounded body to reuse it.
    if error is None and response.length_remaining == 0:
        response.release_conn()
    else:
        response.close()
    if error is None and 300 <= response.status < 400:
        location = _storable(response.headers.get("Location", "?"), _LOCATION_MAX_CHARS)
        error = f"redirect to {location} not followed"
    return response.status, _body_text(received, limit), error


def _read_body(response: urllib3.BaseHTTPResponse, limit: int) -> tuple[bytes, str | None]:
    """Up to ``limit + 1`` bytes (one more than we keep, to know we cut it), and what broke, if anything.

    ``read1`` returns what has arrived, so what came before a break is kept.
    """
    received = bytearray()
    try:
        # A body with a Content-Length ends without one more read to see the end.
        while len(received) <= limit and response.length_remaining != 0:
            chunk = response.read1(limit + 1 - len(received))
            if not chunk:
                break
            received += chunk
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return bytes(received), _describe(exc)
    return bytes(received), None


def _describe(exc: Exception) -> str:
    """Why an attempt broke, in a few words."""
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return "timeout"
    # urllib3 wraps what went wrong: SSLError(cause), ProtocolError(message, cause).
    cause = exc.args[-1] if exc.args and isinstance(exc.args[-1], BaseException) else exc
    if isinstance(cause, TimeoutError):  # a socket timeout urllib3 did not wrap (sending the request)
        return "timeout"
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"TLS error: certificate verify failed: {cause.verify_message}"
    if isinstance(cause, CertificateError):
        return "TLS error: certificate is not for this host"
    if isinstance(cause, ssl.SSLError):
        return f"TLS error: {(cause.reason or type(cause).__name__).lower().replace('_', ' ')}"
    if isinstance(cause, http.client.RemoteDisconnected):  # before BadStatusLine: a subclass
        return "connection closed before a response"
    if isinstance(cause, ConnectionResetError):
        return "connection reset"
    if isinstance(cause, http.client.IncompleteRead):
        # Less than Content-Length, or chunks that stop: http.client cannot tell a connection closed
        # between chunks from a malformed chunk size.
        return "incomplete body"
    if isinstance(cause, http.client.BadStatusLine):
        return f"invalid HTTP response: bad status line {str(cause)!r}"
    if isinstance(cause, http.client.HTTPException):
        return f"invalid HTTP response: {cause}"  # e.g. "got more than 100 headers"
    if isinstance(cause, OSError) and cause.strerror:
        return f"connection error: {cause.strerror}"
    return f"connection error: {type(cause).__name__}"


def _body_text(received: bytes, limit: int) -> str:
    """The first ``limit`` bytes as storable text, with "…" if there were more."""
    is_cut = len(received) > limit
    # Not final when cut: a character split by the cut is dropped rather than shown as escapes.
    decoder = _Utf8Decoder(errors="backslashreplace")
    text = decoder.decode(received[:limit], final=not is_cut).replace("\x00", "\\x00")
    return text + "…" if is_cut else text


def _storable(text: str, max_chars: int) -> str:
    """``text`` escaped like a body (NUL as \\x00, lone surrogates as \\udXXX) and at most ``max_chars`` long."""
    text = text.encode("utf-8", errors="backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def after_attempt(
    ok: bool, scheduled_attempts: int, trigger: str, settings: Settings, now: dt.datetime
) -> tuple[DeliveryStatus, dt.datetime | None]:
    """The delivery's status and next attempt time once an attempt has finished.

    ``scheduled_attempts`` counts automatic attempts made before this one; a manual retry does not
    advance the schedule, but one that fails while the schedule has attempts left keeps it going.
    """
    if ok:
        return DeliveryStatus.SUCCESS, None
    done = scheduled_attempts + (1 if trigger == AttemptTrigger.SCHEDULED else 0)
    intervals = settings.webhook_retry_intervals_s
    if done >= len(intervals):
        return DeliveryStatus.FAILED, None
    jitter = settings.webhook_retry_jitter
    delay = intervals[done] * (1 + random.uniform(-jitter, jitter))
    return DeliveryStatus.PENDING, now + dt.timedelta(seconds=delay)
