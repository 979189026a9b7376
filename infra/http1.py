"""HTTP/1.1 on bytes, with no sockets: reading a request as it arrives, and framing an answer.

``Head`` reads a request head from a connection's buffer, ``parse_request`` checks its framing and
picks the body decoder, and whatever is refused raises ``Reject``, which ``json_error`` answers in our
JSON error shape. ``frame`` writes every response with our own Content-Length, Date and Connection.

Limits, each enforced as soon as it is crossed:

- the request line, ``MAX_REQUEST_LINE`` (414); a header line, ``MAX_FIELD_LINE``, the number of
  headers, ``MAX_FIELDS``, and the whole head, ``MAX_HEAD`` (all 431);
- the body, the caller's ``max_body`` (413), checked against Content-Length before any body is read;
  a chunked body also has chunk-size lines of ``MAX_CHUNK_LINE`` and trailer lines of
  ``MAX_FIELD_LINE`` (both 400), and at most ``MAX_FIELDS`` trailers (431);
- HTTP/1.0 and 1.1 only (505), chunked only (501), ``Expect: 100-continue`` only (417); ambiguous
  framing (RFC 9112 §6.3) and a bare CR or LF are refused with a 400, never guessed.
"""

from __future__ import annotations

import email.utils
import re
import time
import urllib.parse
from dataclasses import dataclass
from http import HTTPStatus

from shared.config import settings
from shared.errors import ErrorCode, error_body
from shared.models.base import dumps

# The limits gunicorn's own parser enforced (its defaults), plus a bound on the whole head.
MAX_REQUEST_LINE = 4094
MAX_FIELD_LINE = 8190
MAX_FIELDS = 100
MAX_HEAD = 64 * 1024
# A chunk-size line is a few hex digits; extensions are allowed but nobody needs kilobytes of them.
MAX_CHUNK_LINE = 1024

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")
_TARGET = re.compile(rb"/[\x21-\x7e]*|[A-Za-z][A-Za-z0-9+.\-]*://[\x21-\x7e]+")
_VERSION = re.compile(rb"HTTP/([0-9])\.([0-9])")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[\t\x20-\x7e\x80-\xff]*)?")
_CONTENT_LENGTH = re.compile(r"[0-9]+")
_APP_STATUS = re.compile(rb"[2-5][0-9][0-9] [\t\x20-\x7e\x80-\xff]*")
# We frame (Content-Length, Connection) and date every response ourselves, so the app's say is dropped.
_OURS = frozenset(
    {"connection", "date", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
)
_NO_BODY = frozenset({204, 304})


class Reject(Exception):
    """A request we answer with our JSON error shape and then close the connection."""

    def __init__(self, status: int, description: str, code: ErrorCode = ErrorCode.BAD_REQUEST_ERROR) -> None:
        super().__init__(description)
        self.status, self.description, self.code = status, description, code


def _take_line(buf: bytearray, start: int, limit: int, too_long: tuple[int, str]) -> bytes | None:
    """The line at ``start`` without its CRLF, or None while it is incomplete.

    Raises:
        Reject: ``too_long`` if the line is over ``limit`` bytes; 400 for a bare CR or LF.
    """
    end = buf.find(b"\n", start, start + limit + 2)
    if end < 0:
        if len(buf) - start > limit + 1:
            raise Reject(*too_long)
        return None
    if end == start or buf[end - 1] != 0x0D:
        raise Reject(400, "HTTP lines must end with CRLF, not a bare LF")
    line = bytes(buf[start : end - 1])
    if b"\r" in line:
        raise Reject(400, "HTTP lines must not contain a bare CR")
    return line


def _field(line: bytes) -> tuple[bytes, bytes]:
    if line[:1] in (b" ", b"\t"):
        raise Reject(400, "Header lines must not be folded (obs-fold)")
    name, colon, value = line.partition(b":")
    if not colon or not _TOKEN.fullmatch(name):
        raise Reject(400, "A header has an invalid name (or space before its colon)")
    value = value.strip(b" \t")
    if not _FIELD_VALUE.fullmatch(value):
        raise Reject(400, "Header values must not contain control characters")
    return name, value


class Head:
    """Reads one request head line by line as bytes arrive, refusing it as soon as a limit is crossed."""

    __slots__ = ("end", "fields", "request_line")

    def __init__(self) -> None:
        self.end = 0  # where the next unread line starts in the connection's buffer
        self.request_line = b""
        self.fields: list[tuple[bytes, bytes]] = []

    def feed(self, buf: bytearray) -> bool:
        """True once the head is complete (it ends at ``self.end``).

        Raises:
            Reject: 400 for malformed lines, 414 for a long request line, 431 for a large head.
        """
        while True:
            if not self.request_line:
                line = _take_line(buf, self.end, MAX_REQUEST_LINE, (414, "The request line is too long"))
            else:
                line = _take_line(buf, self.end, MAX_FIELD_LINE, (431, "A header line is too long"))
            if line is None:
                if len(buf) > MAX_HEAD:
                    raise Reject(431, "The request head is too large")
                return False
            self.end += len(line) + 2
            if self.end > MAX_HEAD:
                raise Reject(431, "The request head is too large")
            if not self.request_line:
                # RFC 9112 §2.2: ignore empty lines before a request (some clients end a body with CRLF).
                self.request_line = line
                continue
            if not line:
                return True
            if len(self.fields) == MAX_FIELDS:
                raise Reject(431, f"A request may have at most {MAX_FIELDS} headers")
            self.fields.append(_field(line))


@dataclass(slots=True)
class _FixedBody:
    length: int

    def feed(self, buf: bytearray) -> bytes | None:
        """The body once all of it has arrived, taken out of ``buf``."""
        if len(buf) < self.length:
            return None
        body = bytes(buf[: self.length])
        del buf[: self.length]
        return body


class _ChunkedBody:
    """Decodes ``Transfer-Encoding: chunked`` as it arrives, under the same size limit as any body."""

    __slots__ = ("body", "budget", "limit", "need", "trailers")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        # Framing may cost as much as the body again; beyond that it is not a client sending JSON.
        self.budget = 2 * limit + MAX_HEAD
        self.body = bytearray()
        self.need = 0  # data bytes of the current chunk still to read
        self.trailers = -1  # -1 until the last chunk; then the number of trailer lines read

    def _consume(self, buf: bytearray, n: int) -> None:
        del buf[:n]
        self.budget -= n
        if self.budget < 0:
            raise Reject(413, f"The request body must be at most {self.limit} bytes")

    def feed(self, buf: bytearray) -> bytes | None:
        """The decoded body once the last chunk and trailers have arrived, taken out of ``buf``.

        Raises:
            Reject: 400 for bad framing, 413 over the size limit, 431 for too many trailers.
        """
        while True:
            if self.need:
                if len(buf) < self.need + 2:
                    return None
                if buf[self.need : self.need + 2] != b"\r\n":
                    raise Reject(400, "A chunk's data must be followed by CRLF")
                self.body += buf[: self.need]
                self._consume(buf, self.need + 2)
                self.need = 0
            limit = MAX_CHUNK_LINE if self.trailers < 0 else MAX_FIELD_LINE
            line = _take_line(buf, 0, limit, (400, "A chunk-size or trailer line is too long"))
            if line is None:
                return None
            self._consume(buf, len(line) + 2)
            if self.trailers >= 0:
                if not line:
                    return bytes(self.body)
                self.trailers += 1
                if self.trailers > MAX_FIELDS:
                    raise Reject(431, f"A request may have at most {MAX_FIELDS} trailers")
                _field(line)  # validated, then dropped: the app sees a plain body
                continue
            size = _CHUNK_SIZE.fullmatch(line)
            if not size:
                raise Reject(400, "A chunk-size line is malformed")
            self.need = int(size[1], 16)
            if len(self.body) + self.need > self.limit:
                raise Reject(413, f"The request body must be at most {self.limit} bytes")
            if not self.need:
                self.trailers = 0


@dataclass(slots=True)
class Request:
    method: str
    target: str
    path: str  # still percent-encoded
    query: str
    version: str
    fields: list[tuple[str, str]]  # lower-case names, in the order received
    keep_alive: bool
    expect_continue: bool
    body: _FixedBody | _ChunkedBody | None


def parse_request(head: Head, max_body: int) -> Request:
    """The request a complete head describes, with its framing checked.

    Raises:
        Reject: 400, 413, 417, 501 or 505.
    """
    parts = head.request_line.split(b" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not _TARGET.fullmatch(parts[1]):
        raise Reject(400, "The request line must be: METHOD /path HTTP/1.1")
    version = _VERSION.fullmatch(parts[2])
    if not version:
        raise Reject(400, "The request line must be: METHOD /path HTTP/1.1")
    if version[1] != b"1":
        raise Reject(505, "Only HTTP/1.0 and HTTP/1.1 are supported")
    http11 = version[2] != b"0"
    target = parts[1].decode("ascii")
    if target.startswith("/"):
        path, _, query = target.partition("?")
    else:  # absolute-form, which RFC 9112 §3.2.2 says servers must accept
        try:
            split = urllib.parse.urlsplit(target)
        except ValueError:
            raise Reject(400, "The request target is not a valid URL") from None
        path, query = split.path or "/", split.query
    fields = [(name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in head.fields]

    def values(name: str) -> list[str]:
        return [value for key, value in fields if key == name]

    hosts, lengths, codings = values("host"), values("content-length"), values("transfer-encoding")
    # RFC 9112 §3.2: exactly one Host in HTTP/1.1; §6.3: conflicting framing is refused, not guessed.
    if len(hosts) > 1 or (http11 and not hosts):
        raise Reject(400, "An HTTP/1.1 request must have exactly one Host header")
    if len(lengths) > 1:
        raise Reject(400, "A request must not have more than one Content-Length header")
    if lengths and codings:
        raise Reject(400, "A request must not have both Content-Length and Transfer-Encoding")
    body: _FixedBody | _ChunkedBody | None = None
    if lengths:
        if not _CONTENT_LENGTH.fullmatch(lengths[0]):
            raise Reject(400, "Content-Length must be a whole number of bytes")
        # Compare digit counts first: int() of thousands of digits is slow, or refused outright.
        digits = lengths[0].lstrip("0") or "0"
        if len(digits) > len(str(max_body)) or int(digits) > max_body:
            raise Reject(413, f"The request body must be at most {max_body} bytes")
        body = _FixedBody(int(digits)) if digits != "0" else None
    elif codings:
        if not http11:
            raise Reject(400, "HTTP/1.0 requests must not use Transfer-Encoding")
        if [coding.strip().lower() for coding in ",".join(codings).split(",")] != ["chunked"]:
            raise Reject(501, "The only Transfer-Encoding accepted is chunked")
        body = _ChunkedBody(max_body)
    expect = values("expect")
    if expect and http11 and [value.lower() for value in expect] != ["100-continue"]:
        raise Reject(417, "The only expectation supported is 100-continue")
    tokens = {token.strip().lower() for value in values("connection") for token in value.split(",")}
    return Request(
        method=parts[0].decode("ascii"),
        target=target,
        path=path,
        query=query,
        version=parts[2].decode("ascii"),
        fields=fields,
        keep_alive="close" not in tokens if http11 else "keep-alive" in tokens,
        expect_continue=bool(expect) and http11 and body is not None,
        body=body,
    )


def check_response_head(status: str, headers: list[tuple[str, str]]) -> None:
    """Refuse an app's status or header that cannot go out as one well-formed HTTP/1.1 head.

    Raises:
        ValueError: naming the status or header.
    """
    # A CR or LF from the app would let it (or whoever fed it) write a second response.
    if not _APP_STATUS.fullmatch(status.encode("latin-1")):
        raise ValueError(f"the app answered an invalid status {status!r}")
    for name, value in headers:
        if not _TOKEN.fullmatch(name.encode("latin-1")) or not _FIELD_VALUE.fullmatch(value.encode("latin-1")):
            raise ValueError(f"the app answered an invalid header {name!r}")


_date_cache: tuple[int, bytes] = (0, b"")


def _http_date() -> bytes:
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, email.utils.formatdate(now, usegmt=True).encode("ascii"))
    return _date_cache[1]


def frame(status: str, headers: list[tuple[str, str]], body: bytes, *, head: bool, connection: bytes) -> bytes:
    """One response: the app's headers, then our Content-Length, Date and Connection, then the body."""
    code = int(status[:3])
    lines = [b"HTTP/1.1 " + status.encode("latin-1")]
    declared = None
    for name, value in headers:
        lower = name.lower()
        if lower == "content-length":
            declared = value
        elif lower not in _OURS:
            lines.append(name.encode("latin-1") + b": " + value.encode("latin-1"))
    has_body = code not in _NO_BODY
    if has_body:
        # A HEAD answer announces the length the GET would have had, if the app said it.
        length = declared if head and declared is not None else str(len(body))
        lines.append(b"Content-Length: " + length.encode("latin-1"))
    lines.append(b"Date: " + _http_date())
    if connection:
        lines.append(b"Connection: " + connection)
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body if has_body and not head else b"")


def json_error(status: int, code: ErrorCode, description: str, request_id: str, *, head: bool) -> bytes:
    """Our error shape (``shared.errors.error_body``) for answers the edge makes itself."""
    body = dumps(error_body(code, description)).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("X-Request-Id", request_id),
        # Browsers can only read the error if it carries CORS headers, like our routes' answers.
        ("Access-Control-Allow-Origin", settings().cors_allow_origin),
    ]
    return frame(f"{status} {HTTPStatus(status).phrase}", headers, body, head=head, connection=b"close")
