"""The reader's answers to hostile requests: raw malformed bytes over a socket (issue 13).

`newsweave serve` runs on 127.0.0.1 in its own process; requests are written byte by byte,
so uvicorn's own answers (a request it cannot parse, a head too large) are tested as well as
the app's. Every answer must carry the security headers, in the one error shape.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from newsweave.config import Settings
from newsweave.web import create_app
from newsweave.web.http import SECURITY_HEADERS
from newsweave.web.server import MAX_HEAD_BYTES, protocol_class


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, alive: Any = lambda: True, seconds: float = 30) -> None:
    """Wait until something answers TCP on port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert alive(), "the server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing answered on port {port}")


class Answer:
    """An HTTP answer as read from the socket: status, headers (lower-case names), body."""

    def __init__(self, raw: bytes) -> None:
        """Parse raw bytes up to the end of the connection."""
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split(" ")[1]) if lines[0].startswith("HTTP/1.1 ") else 0
        self.headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.append((name.strip().lower(), value.strip()))

    def all(self, name: str) -> list[str]:
        """Every value of a header."""
        return [value for key, value in self.headers if key == name]

    def error(self) -> dict[str, Any]:
        """The body as the one error shape."""
        data = json.loads(self.body)
        assert set(data) == {"error"} and set(data["error"]) == {"status", "code", "message"}
        return data["error"]


def exchange(port: int, data: bytes, timeout: float = 10) -> Answer:
    """Send raw bytes, read until the server closes (or resets) the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        # The server may refuse before reading everything; its answer is still there.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(data)
        chunks = []
        try:
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    return Answer(b"".join(chunks))


def assert_secured(answer: Answer) -> None:
    """Every security header, once, with the app's value."""
    for name, value in SECURITY_HEADERS:
        assert answer.all(name) == [value], (name, answer.headers)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, subprocess.Popen]]:
    """`newsweave serve` over an empty library on a free port; the port and the process."""
    home = tmp_path_factory.mktemp("hostile-web") / "home"
    port = free_port()
    log = home.parent / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-c", "from newsweave.cli import main; main()"),
                *("--home", str(home), "serve", "--port", str(port)),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(port, lambda: proc.poll() is None)
        yield port, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def get(host: str, path: str = "/api/stories") -> bytes:
    """A well-formed GET with this Host header, closing after the answer."""
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("latin-1")


MALFORMED = {
    "request line": b"GARBAGE\r\n\r\n",
    "method": b"G(T / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "version": b"GET / HTTP/9.Z\r\nHost: localhost\r\n\r\n",
    "header without colon": b"GET / HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n",
    "space before colon": b"GET / HTTP/1.1\r\nHost : localhost\r\n\r\n",
    "control byte in value": b"GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\x01b\r\n\r\n",
    "bare CR in value": b"GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\rb\r\n\r\n",
    "content-length": b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1x\r\n\r\n",
    "two content-lengths": (
        b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
    ),
    "binary": bytes(range(256)) * 4,
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_requests_get_a_safe_400(server: tuple[int, Any], raw: bytes) -> None:
    answer = exchange(server[0], raw)
    assert answer.status == 400, answer.headers
    assert_secured(answer)
    assert answer.all("content-type") == ["application/json"]
    assert answer.error() == {
        "status": 400,
        "code": "bad_request",
        "message": "malformed HTTP request",
    }


@pytest.mark.parametrize("size", [MAX_HEAD_BYTES + 1, 300_000])
def test_a_head_past_the_cap_gets_431(server: tuple[int, Any], size: int) -> None:
    head = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: "
    answer = exchange(server[0], head + b"a" * (size - len(head)))  # never ends
    assert answer.status == 431
    assert_secured(answer)
    assert answer.error()["message"] == f"request line and headers over {MAX_HEAD_BYTES:,} bytes"


def test_a_head_just_under_the_cap_is_answered(server: tuple[int, Any]) -> None:
    port = server[0]
    lines = [f"X-Pad-{i}: {'a' * 900}\r\n" for i in range(60)]  # 55 KB in many headers
    raw = get(f"localhost:{port}").replace(b"\r\n\r\n", b"\r\n" + "".join(lines).encode() + b"\r\n")
    assert len(raw) < MAX_HEAD_BYTES
    assert exchange(port, raw).status == 200


def test_fifty_megabytes_of_header_cost_the_server_nothing(server: tuple[int, Any]) -> None:
    port, proc = server
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: ")
        sent = 0
        try:
            while sent < 50_000_000:
                conn.sendall(b"a" * 1_000_000)
                sent += 1_000_000
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused early, as it should be
    assert sent < 10_000_000  # the server stopped reading long before the end
    assert time.monotonic() - start < 30
    rss_kb = int(
        next(
            line.split()[1]
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
            if line.startswith("VmHWM:")
        )
    )
    assert rss_kb < 1_000_000  # peak memory of the server, far under the 1 GB bound
    healthy = exchange(port, get(f"127.0.0.1:{port}"))
    assert healthy.status == 200
    assert_secured(healthy)


def test_host_is_checked_on_name_and_port(server: tuple[int, Any]) -> None:
    port = server[0]
    refused = [
        "localhost:evil.com",
        f"127.0.0.1:{port}@evil.example",
        "localhost:0",
        f"localhost:{port + 1}",
        f"localhost:{port}:{port}",
        "localhost:",
        f"evil.example:{port}",
        f"localhost.evil.example:{port}",
        f"[::2]:{port}",
        "",
    ]
    for host in refused:
        answer = exchange(port, get(host))
        assert answer.status == 400, host
        assert answer.error()["code"] == "bad_host", host
        assert_secured(answer)
    for host in ["localhost", "LOCALHOST", f"localhost:{port}", f"127.0.0.1:{port}", "[::1]"]:
        answer = exchange(port, get(host))
        assert answer.status == 200, host
        assert_secured(answer)
    two = b"GET / HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    assert exchange(port, two).error()["code"] == "bad_host"


def test_app_500_answers_carry_the_headers(tmp_path: Path) -> None:
    app = create_app(Settings(home=tmp_path / "home"))

    async def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/boom", boom)
    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/api/boom", "/boom"):
            answer = client.get(path)
            assert answer.status_code == 500
            for name, value in SECURITY_HEADERS:
                assert answer.headers.get_list(name) == [value], (path, name)


def test_uvicorn_own_500_carries_the_headers() -> None:
    # An app that fails before answering: uvicorn itself answers 500, outside any middleware.
    async def broken(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return
        raise RuntimeError("before any answer")

    port = free_port()
    config = uvicorn.Config(
        broken, host="127.0.0.1", port=port, http=protocol_class(), log_level="critical"
    )
    config.lifespan = "off"
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(port)
        answer = exchange(port, get("localhost"))
        assert answer.status == 500
        assert_secured(answer)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
