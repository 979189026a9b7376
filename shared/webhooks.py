"""Sending one webhook attempt, and deciding what happens after it.

In production, targets must resolve only to public addresses, and we connect to the address we
checked (not a second lookup), so DNS cannot be switched to an internal host between check and use.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass

import urllib3

from shared.config import Settings
from shared.errors import InvalidRequest
from shared.models import DeliveryStatus

USER_AGENT = "PaymentGateway-Webhooks/1.0"
_POOL_CACHE_SIZE = 256


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
        return self.response_code is not None and 200 <= self.response_code < 300


def validate_url(url: str, settings: Settings) -> str:
    """Raises InvalidRequest unless ``url`` is an absolute http(s) URL we are allowed to call."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidRequest("url must be an absolute http:// or https:// URL", field="url")
    if parsed.username or parsed.password:
        raise InvalidRequest("url must not contain credentials", field="url")
    try:
        _ = parsed.port
    except ValueError:
        raise InvalidRequest("url has an invalid port", field="url") from None
    if not settings.allows_private_webhook_targets:
        try:
            _public_address(parsed.hostname, parsed.port or 443)
        except TargetRefused as exc:
            raise InvalidRequest(f"url is not allowed: {exc}", field="url") from None
    return url


def _public_address(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TargetRefused(f"cannot resolve {host}") from exc
    addresses = [str(info[4][0]) for info in infos]
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
                pool = urllib3.HTTPSConnectionPool(address, port, maxsize=8, server_hostname=host, assert_hostname=host)
            else:
                pool = urllib3.HTTPConnectionPool(address, port, maxsize=8)
            _pools[key] = pool
        return pool


def send(url: str, body: bytes, headers: dict[str, str], settings: Settings) -> AttemptResult:
    """POST once, never following redirects; every outcome becomes an AttemptResult."""
    started = time.perf_counter()

    def result(code: int | None, text: str | None, error: str | None) -> AttemptResult:
        return AttemptResult(code, int((time.perf_counter() - started) * 1000), text, error)

    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        address = host if settings.allows_private_webhook_targets else _public_address(host, port)
    except TargetRefused as exc:
        return result(None, None, f"refused: {exc}")
    target = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
    host_header = host if parsed.port is None else f"{host}:{parsed.port}"
    timeout = urllib3.Timeout(
        connect=settings.webhook_connect_timeout_s, read=settings.webhook_timeout_s, total=settings.webhook_timeout_s
    )
    try:
        response = _pool(parsed.scheme, address, port, host).urlopen(
            "POST",
            target,
            body=body,
            redirect=False,
            retries=False,
            preload_content=False,
            timeout=timeout,
            headers={"Host": host_header, "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        )
    except urllib3.exceptions.NameResolutionError:
        return result(None, None, f"cannot resolve {host}")
    except urllib3.exceptions.NewConnectionError:  # before TimeoutError: urllib3 makes it a subclass
        return result(None, None, "connection refused")
    except urllib3.exceptions.TimeoutError:
        return result(None, None, "timeout")
    except urllib3.exceptions.HTTPError as exc:
        return result(None, None, f"connection error: {type(exc).__name__}")
    try:
        limit = settings.webhook_response_body_max_bytes
        raw = response.read(limit + 1)
        text = raw[:limit].decode("utf-8", errors="replace")
        if len(raw) > limit:
            text += "…"
    except (urllib3.exceptions.HTTPError, OSError):
        text = None
    finally:
        # Drop the connection rather than reading an unbounded body to reuse it.
        if response.length_remaining == 0:
            response.release_conn()
        else:
            response.close()
    error = (
        f"redirect to {response.headers.get('Location', '?')} not followed" if 300 <= response.status < 400 else None
    )
    return result(response.status, text, error)


def after_attempt(
    ok: bool, scheduled_attempts: int, trigger: str, settings: Settings, now: dt.datetime
) -> tuple[DeliveryStatus, dt.datetime | None]:
    """The delivery's status and next attempt time once an attempt has finished.

    ``scheduled_attempts`` counts automatic attempts made before this one; a manual retry does not
    advance the schedule, but one that fails while the schedule has attempts left keeps it going.
    """
    if ok:
        return DeliveryStatus.SUCCESS, None
    done = scheduled_attempts + (1 if trigger == "scheduled" else 0)
    intervals = settings.webhook_retry_intervals_s
    if done >= len(intervals):
        return DeliveryStatus.FAILED, None
    jitter = settings.webhook_retry_jitter
    delay = intervals[done] * (1 + random.uniform(-jitter, jitter))
    return DeliveryStatus.PENDING, now + dt.timedelta(seconds=delay)
