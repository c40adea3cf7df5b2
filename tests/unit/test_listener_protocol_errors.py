"""Requests that are not well-formed HTTP get a JSON 400 too, over a raw socket.

aiohttp refuses them before the application sees them; the listener's runner makes that
answer `{"error": "bad HTTP request: ..."}` (console/listener/protocol_errors.py).
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import FUZZ, Endpoint, RunningListener, listener_with_endpoint


@pytest.fixture(scope="module")
def running(tmp_path_factory) -> Iterator[tuple[RunningListener, Endpoint]]:
    with listener_with_endpoint(tmp_path_factory.mktemp("protocol"), "raw") as running:
        yield running


def exchange(listener: RunningListener, data: bytes) -> bytes:
    """Send `data` on a fresh connection; the one answer the listener gives ("" if none).

    The client keeps its side open (aiohttp drops a request whose sender half-closes), and
    stops reading at the end of the first answer or when the listener closes."""
    address = urlsplit(listener.base)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        with contextlib.suppress(OSError):  # closed before reading all: it may have answered
            sock.sendall(data)
        answer = b""
        sock.settimeout(2)
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                if complete(answer):
                    break
        except (ConnectionResetError, TimeoutError):
            pass
        return answer


def complete(answer: bytes) -> bool:
    head, found, body = answer.partition(b"\r\n\r\n")
    if not found:
        return False
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return len(body) >= int(value)
    return False


def parsed(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, value in (line.split(":", 1) for line in lines[1:] if ":" in line)
    }
    return status, headers, body


def notify_line(endpoint: Endpoint) -> bytes:
    return f"POST {urlsplit(endpoint.url).path} HTTP/1.1\r\nHost: x\r\n".encode()


MALFORMED = {
    "junk instead of a method": (b"GARBAGE\r\n\r\n", "Invalid method"),
    "an unknown HTTP version": (b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", "status line"),
    "a header line over 8 KiB": (
        b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n",
        "Got more than 8190 bytes",
    ),
    "a URL over 8 KiB": (b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\n\r\n", "Got more than"),
    "too many headers": (
        b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
        "Too many headers",
    ),
    "a NUL in a header": (b"GET /healthz HTTP/1.1\r\nHost: x\x00y\r\n\r\n", "header value"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_requests_get_a_json_400(running, name):
    listener, _endpoint = running
    data, fragment = MALFORMED[name]
    status, headers, body = parsed(exchange(listener, data))
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error.startswith("bad HTTP request: ") and fragment in error
    assert "aaaa" not in error  # the sender's bytes are not echoed back


@pytest.mark.parametrize(
    ("framing", "fragment"),
    [
        (b"Content-Length: abc\r\n\r\n{}", "Content-Length"),
        (b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
    ],
)
def test_bad_body_framing_on_the_alert_endpoint_gets_a_json_400(running, framing, fragment):
    listener, endpoint = running
    status, headers, body = parsed(exchange(listener, notify_line(endpoint) + framing))
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    assert fragment in json.loads(body)["error"]


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda method, rest: method + rest,
            st.sampled_from([b"GET ", b"POST ", b"PUT ", b"\x16\x03\x01", b""]),
            st.binary(max_size=200),
        ),
    )
)
def test_any_bytes_on_a_connection_get_http_or_nothing(running, data):
    listener, _endpoint = running
    answer = exchange(listener, data + b"\r\n\r\n")
    if not answer:
        return  # nothing that looked like a request: closed without an answer
    status, headers, body = parsed(answer)
    assert status < 500 or status == 503, answer[:300]
    if status >= 400 and body:
        assert headers["content-type"].startswith("application/json"), answer[:300]
        assert json.loads(body)["error"]


def test_listener_still_serves_after_malformed_requests(running):
    _listener, endpoint = running
    response = httpx.post(endpoint.url, json={"title": "after"}, headers=endpoint.headers)
    assert response.status_code == 200
