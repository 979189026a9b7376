"""Whatever a receiver answers, ``webhooks.send`` ends within its deadline and returns a storable result.

Each test drives one kind of answer from a real socket on loopback (``RawReceiver``) and stores the
result through ``webhook_deliveries.record_attempt`` into the test database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared import db, seed, webhooks
from shared.config import Settings
from shared.db import webhook_deliveries

Answer = Callable[[socket.socket], None]

TIMEOUT_S = 2
# The deadline plus a generous margin: the machine running the suite is busy.
MAX_S = TIMEOUT_S + 3
# A receiver that trickles sends one byte this often: well inside the 1 s connect and 2 s read
# timeouts, so only the attempt's deadline can stop it.
TRICKLE_EVERY_S = 0.5


class RawReceiver:
    """A TCP server on loopback that answers each request with ``answer(conn)``: any bytes, at any pace.

    ``read_request=False`` answers as soon as a connection is accepted; ``keep_alive`` answers every
    request on a connection instead of closing it after the first.
    """

    def __init__(
        self,
        answer: Answer,
        *,
        read_request: bool = True,
        keep_alive: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.answer = answer
        self.read_request = read_request
        self.keep_alive = keep_alive
        self.tls = tls
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._open: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        port = self._listener.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/webhook"
        self._spawn(self._accept)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(10)  # a bound for the receiver too, should a test go wrong
            with self._lock:
                self.connections += 1
                self._open.append(conn)
            self._spawn(self._handle, conn)

    def _handle(self, conn: socket.socket) -> None:
        try:
            if self.tls:
                wrapped = self.tls.wrap_socket(conn, server_side=True)
                with self._lock:  # the plain socket gave its descriptor to the TLS one
                    self._open[self._open.index(conn)] = wrapped
                conn = wrapped
            while not self.read_request or _read_request(conn):
                self.answer(conn)
                if not self.keep_alive:
                    break
        except OSError:
            pass  # the client hung up or cut us off: that is what many of these tests are about
        finally:
            with self._lock:  # not while close() shuts connections down: the number could be reused
                conn.close()

    def close(self) -> None:
        self._stopping.set()
        with self._lock:
            for conn in self._open:
                if conn.fileno() != -1:
                    _shut(conn)
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=10)
        self._listener.close()
        for conn in self._open:
            conn.close()


def _shut(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


def _read_request(conn: socket.socket) -> bool:
    """Read one request (headers and Content-Length body); False if the client closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    ]
    while len(body) < sum(lengths):
        chunk = conn.recv(65536)
        if not chunk:
            return False
        body += chunk
    return True


def reply(raw: bytes) -> Answer:
    return lambda conn: conn.sendall(raw)


def ok_with(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def trickle(head: bytes, slowly: bytes) -> Answer:
    """Send ``head`` at once, then ``slowly`` one byte every TRICKLE_EVERY_S."""

    def answer(conn: socket.socket) -> None:
        conn.sendall(head)
        for i in range(len(slowly)):
            time.sleep(TRICKLE_EVERY_S)
            conn.sendall(slowly[i : i + 1])

    return answer


@pytest.fixture
def receivers() -> Iterator[Callable[..., RawReceiver]]:
    started: list[RawReceiver] = []

    def start(
        answer: Answer, *, read_request: bool = True, keep_alive: bool = False, tls: ssl.SSLContext | None = None
    ) -> RawReceiver:
        receiver = RawReceiver(answer, read_request=read_request, keep_alive=keep_alive, tls=tls)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.close()


def send(url: str, **env: str) -> webhooks.AttemptResult:
    settings = Settings.from_env(
        {
            "WEBHOOK_CONNECT_TIMEOUT_S": "1",
            "WEBHOOK_TIMEOUT_S": str(TIMEOUT_S),
            "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",  # the receivers are on loopback
            **env,
        }
    )
    started = time.monotonic()
    result = webhooks.send(url, b'{"event":"webhook.test"}', {"webhook-id": "evt_answers"}, settings)
    assert time.monotonic() - started <= MAX_S
    assert 0 <= result.duration_ms <= MAX_S * 1000
    return result


def assert_stored(result: webhooks.AttemptResult) -> None:
    """PostgreSQL accepts the result as an attempt and gives back exactly what was sent."""
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO webhook_endpoints (id, merchant_id, url, secret) VALUES ('we_answers', %s, %s, 'unused')",
            (seed.MERCHANT_ID, "http://127.0.0.1/webhook"),
        )
        tx.execute(
            "INSERT INTO events (id, merchant_id, type, body) VALUES ('evt_answers', %s, 'webhook.test', '{}')",
            (seed.MERCHANT_ID,),
        )
        [delivery_id] = webhook_deliveries.insert_many(
            tx, seed.MERCHANT_ID, "evt_answers", "webhook.test", ["we_answers"]
        )
    with db.transaction() as tx:
        webhook_deliveries.record_attempt(
            tx,
            delivery_id,
            0,
            trigger="scheduled",
            attempted_at=dt.datetime.now(dt.UTC),
            response_code=result.response_code,
            duration_ms=result.duration_ms,
            response_body=result.response_body,
            error=result.error,
            status="success" if result.ok else "failed",
            next_retry_at=None,
        )
    with db.transaction() as tx:
        tx.execute(
            "SELECT response_code, duration_ms, response_body, error FROM webhook_attempts WHERE delivery_id = %s",
            (delivery_id,),
        )
        stored = dict(tx.fetchone() or {})
    assert stored == {
        "response_code": result.response_code,
        "duration_ms": result.duration_ms,
        "response_body": result.response_body,
        "error": result.error,
    }


# --- Bodies: escaped, truncated, always storable ---------------------------------------------

EVERY_BYTE = bytes(range(256))
EVERY_BYTE_STORED = "\\x00" + "".join(chr(i) for i in range(1, 128)) + "".join(f"\\x{i:02x}" for i in range(128, 256))


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        (b"ok\x00\x00", "ok\\x00\\x00"),
        (b"\xc3\x28 \xed\xa0\x80 \xff\xfe", "\\xc3( \\xed\\xa0\\x80 \\xff\\xfe"),  # invalid UTF-8, an encoded surrogate
        ("café ✓ 🙂".encode(), "café ✓ 🙂"),
        (EVERY_BYTE, EVERY_BYTE_STORED),
        (b"", ""),
    ],
    ids=["nul", "invalid-utf8", "valid-utf8", "every-byte", "empty"],
)
def test_a_2xx_with_any_body_succeeds_and_its_body_is_stored_escaped(
    receivers: Callable[..., RawReceiver], body: bytes, stored: str
) -> None:
    result = send(receivers(reply(ok_with(body))).url)

    assert (result.response_code, result.response_body, result.error, result.ok) == (200, stored, None, True)
    assert_stored(result)


@pytest.mark.parametrize(
    ("limit", "body", "stored"),
    [
        (4, "abcé!".encode(), "abc…"),  # the cut splits "é": it is dropped, not shown as half a character
        (5, "abcé!".encode(), "abcé…"),
        (6, "abcé!".encode(), "abcé!"),  # exactly the limit: nothing was cut
        (4, b"\x00" * 10, "\\x00\\x00\\x00\\x00…"),  # the limit counts bytes received, not characters stored
        (3, b"ab\xff\xfe", "ab\\xff…"),
    ],
)
def test_a_long_body_keeps_the_first_bytes_up_to_the_limit(
    receivers: Callable[..., RawReceiver], limit: int, body: bytes, stored: str
) -> None:
    result = send(receivers(reply(ok_with(body))).url, WEBHOOK_RESPONSE_BODY_MAX_BYTES=str(limit))

    assert (result.response_code, result.response_body, result.error) == (200, stored, None)
    assert_stored(result)


def _huge(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (50 * 1024 * 1024))
    for _ in range(50 * 16):
        conn.sendall(b"x" * 65536)


def _endless(framing: bytes, piece: bytes) -> Answer:
    def answer(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n" + framing + b"\r\n")
        while True:
            conn.sendall(piece)

    return answer


@pytest.mark.parametrize(
    "answer",
    [
        _huge,
        _endless(b"Transfer-Encoding: chunked\r\n", b"10000\r\n" + b"x" * 65536 + b"\r\n"),
        _endless(b"Connection: close\r\n", b"x" * 65536),  # no length: the body lasts until the close
    ],
    ids=["50MB-content-length", "endless-chunked", "endless-until-close"],
)
def test_a_huge_or_endless_body_is_cut_at_the_limit(receivers: Callable[..., RawReceiver], answer: Answer) -> None:
    result = send(receivers(answer).url)

    assert (result.response_code, result.response_body, result.error) == (200, "x" * 4096 + "…", None)
    assert_stored(result)


def test_a_redirect_is_not_followed_and_its_location_is_stored_escaped_and_short(
    receivers: Callable[..., RawReceiver],
) -> None:
    location = b"http://elsewhere.example/\x00\xff" + b"a" * 5000
    result = send(
        receivers(reply(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n")).url
    )

    assert result.response_code == 302 and not result.ok
    assert (result.error or "").startswith("redirect to http://elsewhere.example/\\x00ÿaaa")
    assert len(result.error or "") <= 200
    assert_stored(result)


def test_a_status_code_outside_the_usual_range_is_recorded_as_a_failure(receivers: Callable[..., RawReceiver]) -> None:
    result = send(receivers(reply(b"HTTP/1.1 799 Odd\r\nContent-Length: 2\r\n\r\nno")).url)

    assert (result.response_code, result.response_body, result.error, result.ok) == (799, "no", None, False)
    assert_stored(result)


# --- Time: the deadline holds in every phase -------------------------------------------------


def _silent(conn: socket.socket) -> None:
    conn.recv(1)  # answers nothing; returns when the client gives up


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (_silent, None),
        (trickle(b"", b"HTTP/1.1 200 " + b"O" * 40 + b"\r\n"), None),
        # The status line arrived whole, so its code is kept; http.client takes the end of the
        # connection for the end of the headers.
        (trickle(b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 40 + b"\r\n\r\n"), 200),
        (trickle(b"", b"HTTP/1.1 100 Continue\r\n\r\n" * 10), None),  # interim answers, for ever
        (trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n", b"y" * 40), 200),
        (trickle(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"1\r\ny\r\n" * 10), 200),
    ],
    ids=["silent", "status-line", "headers", "interim-responses", "body", "chunked-body"],
)
def test_a_slow_or_trickled_answer_ends_at_the_deadline_as_a_timeout(
    receivers: Callable[..., RawReceiver], answer: Answer, code: int | None
) -> None:
    result = send(receivers(answer).url)

    assert (result.response_code, result.error, result.ok) == (code, "timeout", False)
    # What arrived before the deadline is kept.
    assert set(result.response_body or "") <= {"y"}
    assert_stored(result)


def test_a_trickled_tls_handshake_ends_at_the_deadline(receivers: Callable[..., RawReceiver]) -> None:
    # A TLS handshake record announcing 16 KiB, then sent a byte at a time.
    receiver = receivers(trickle(b"\x16\x03\x03\x40\x00", b"\x02" * 40), read_request=False)

    result = send(receiver.url.replace("http://", "https://"))

    assert (result.response_code, result.error) == (None, "timeout")
    assert_stored(result)


# --- Connections that break ------------------------------------------------------------------


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends a RST


@pytest.mark.parametrize(
    ("answer", "code", "body", "error"),
    [
        (lambda conn: None, None, None, "connection closed before a response"),
        (_reset, None, None, "connection reset"),
        (
            reply(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"),
            200,
            "partial",
            "incomplete body",
        ),
        (
            reply(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\npartial\r\n"),
            200,
            "partial",
            "incomplete body",
        ),
        (reply(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), 200, "", "incomplete body"),
    ],
    ids=["closed-before-answering", "reset", "content-length-promises-more", "chunked-cut-short", "bad-chunk-size"],
)
def test_a_broken_connection_is_a_failure_that_says_how_it_broke(
    receivers: Callable[..., RawReceiver], answer: Answer, code: int | None, body: str | None, error: str
) -> None:
    result = send(receivers(answer).url)

    assert (result.response_code, result.response_body, result.error, result.ok) == (code, body, error, False)
    assert_stored(result)


# --- TLS --------------------------------------------------------------------------------------


def certificate(directory: Path, san: x509.GeneralName) -> tuple[ssl.SSLContext, Path]:
    """A server context with a new self-signed certificate for ``san``, and the certificate's file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook receiver")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([san]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context, directory / "cert.pem"


LOOPBACK = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))


def test_a_self_signed_certificate_is_a_tls_error(receivers: Callable[..., RawReceiver], tmp_path: Path) -> None:
    context, _ = certificate(tmp_path, LOOPBACK)

    result = send(receivers(reply(ok_with(b"ok")), tls=context).url)

    assert (result.response_code, result.error) == (
        None,
        "TLS error: certificate verify failed: self-signed certificate",
    )
    assert_stored(result)


def test_a_trusted_certificate_for_another_host_is_a_tls_error(
    receivers: Callable[..., RawReceiver], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context, cert_file = certificate(tmp_path, x509.DNSName("elsewhere.example"))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # trusted, but not for 127.0.0.1

    result = send(receivers(reply(ok_with(b"ok")), tls=context).url)

    assert (result.response_code, result.error) == (None, "TLS error: certificate is not for this host")
    assert_stored(result)


def test_an_https_url_to_a_plain_http_server_is_a_tls_error(receivers: Callable[..., RawReceiver]) -> None:
    plain = receivers(reply(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"), read_request=False)

    result = send(plain.url.replace("http://", "https://"))

    assert (result.response_code, result.error) == (None, "TLS error: wrong version number")
    assert_stored(result)


# --- Not HTTP ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"hello there\r\n\r\n", "invalid HTTP response: bad status line 'hello there\\r\\n'"),
        (b"\x00\x01\xfe\xff\r\n", "invalid HTTP response: bad status line '\\x00\\x01þÿ\\r\\n'"),
        (b"HTTP/1.1 abc OK\r\n\r\n", "invalid HTTP response: bad status line 'HTTP/1.1 abc OK\\r\\n'"),
        (b"HTTP/1.1 1000 OK\r\n\r\n", "invalid HTTP response: bad status line 'HTTP/1.1 1000 OK\\r\\n'"),
        (
            b"HTTP/1.1 200 " + b"O" * 70000 + b"\r\n\r\n",
            "invalid HTTP response: got more than 65536 bytes when reading status line",
        ),
        (
            b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n",
            "invalid HTTP response: got more than 100 headers",
        ),
        (
            b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n",
            "invalid HTTP response: got more than 65536 bytes when reading header line",
        ),
    ],
    ids=[
        "no-status-line",
        "binary-garbage",
        "status-code-not-a-number",
        "status-code-too-long",
        "status-line-too-long",
        "too-many-headers",
        "header-too-long",
    ],
)
def test_garbage_instead_of_http_is_an_invalid_response(
    receivers: Callable[..., RawReceiver], answer: bytes, error: str
) -> None:
    result = send(receivers(reply(answer)).url)

    assert result.error == error and not result.ok
    assert_stored(result)


# --- Connections are still pooled -------------------------------------------------------------


def test_a_fast_receiver_is_sent_every_attempt_on_one_kept_alive_connection(
    receivers: Callable[..., RawReceiver],
) -> None:
    receiver = receivers(reply(ok_with(b"ok")), keep_alive=True)

    first = [send(receiver.url) for _ in range(10)]
    # Finished attempts wait in the reaper's heap until their deadline: passing it must not touch
    # the connection, now idle in the pool or carrying a later attempt.
    time.sleep(TIMEOUT_S + 0.5)
    later = [send(receiver.url) for _ in range(10)]

    assert all(r.ok and r.response_body == "ok" for r in first + later)
    assert receiver.connections == 1


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_kept_alive_connection_is_cut_at_the_deadline_too_and_not_reused(
    receivers: Callable[..., RawReceiver], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    context = None
    if scheme == "https":
        context, cert_file = certificate(tmp_path, LOOPBACK)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # OpenSSL's default trust store, read per connection
    slow_body = trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n", b"y" * 40)
    answers = iter([reply(ok_with(b"ok")), slow_body])
    receiver = receivers(lambda conn: next(answers, reply(ok_with(b"ok")))(conn), keep_alive=True, tls=context)

    first = send(receiver.url)
    cut = send(receiver.url)  # on the connection kept alive from the first attempt
    after = send(receiver.url)

    assert first.ok and after.ok
    assert (cut.response_code, cut.error) == (200, "timeout")
    assert receiver.connections == 2
