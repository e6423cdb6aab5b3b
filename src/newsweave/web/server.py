"""The reader's HTTP server: uvicorn, with the answers it makes itself as safe as the app's.

uvicorn answers a request it cannot parse (a bad request line, an invalid header) itself,
before the app sees it, with a bare 400 that carried none of the security headers. With
httptools it also buffered a request head of any size (copying it again for each piece, so
a few hundred megabytes of header cost minutes). The protocol here is uvicorn's httptools
protocol with those answers in the app's error shape and headers, and the request head
(request line and header fields) capped at MAX_HEAD_BYTES, past which it answers 431.

    uvicorn.run(app, http=protocol_class(), ...)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from newsweave.web.http import SECURITY_HEADERS

MAX_HEAD_BYTES = 64 * 1024  # request line and headers; browsers send a few KB at most

_SECURITY = tuple((name.encode("ascii"), value.encode("ascii")) for name, value in SECURITY_HEADERS)
_MESSAGES = {
    400: "malformed HTTP request",
    431: f"request line and headers over {MAX_HEAD_BYTES:,} bytes",
}

Send = Callable[[Any], Awaitable[None]]


def error_answer(status: int, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A whole HTTP/1.1 error answer in the one error shape, with the security headers."""
    reason = {400: b"Bad Request", 431: b"Request Header Fields Too Large"}[status]
    error = {"status": status, "code": "bad_request", "message": _MESSAGES[status]}
    body = json.dumps({"error": error}).encode("ascii")
    headers = [
        *default_headers,
        *_SECURITY,
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"cache-control", b"no-store"),
        (b"connection", b"close"),
    ]
    lines = [b"HTTP/1.1 %d %s\r\n" % (status, reason)]
    lines += [name + b": " + value + b"\r\n" for name, value in headers]
    return b"".join([*lines, b"\r\n", body])


def secured(send: Send) -> Send:
    """An ASGI send that adds the security headers a response start lacks."""

    async def send_secured(message: Any) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {bytes(name).lower() for name, _ in headers}
            missing = [pair for pair in _SECURITY if pair[0] not in present]
            if missing:
                message = {**message, "headers": [*headers, *missing]}
        await send(message)

    return send_secured


class ReaderH11Protocol(H11Protocol):
    """uvicorn's h11 protocol (used without httptools) with a safe 400; h11 caps the head."""

    def send_400_response(self, msg: str) -> None:
        """Answer a request h11 could not parse, in the one error shape, and close."""
        self.transport.write(error_answer(400, self.server_state.default_headers))
        self.transport.close()


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is in the web extra; without it uvicorn parses with h11
    HttpToolsProtocol = None


if HttpToolsProtocol is not None:

    class ReaderProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol: a capped request head, safe answers of its own."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            """The protocol for one connection, waiting for a request head."""
            super().__init__(*args, **kwargs)
            self._in_head = True  # between requests or inside a head: bytes count to the cap
            self._head_bytes = 0

        def data_received(self, data: bytes) -> None:
            """Parse the bytes, then refuse a head that has grown past MAX_HEAD_BYTES."""
            if self._in_head:
                self._head_bytes += len(data)
            super().data_received(data)
            # Checked after parsing, so a head and body arriving together are not counted as
            # head; httptools holds at most one read (256 KB) past the cap.
            if self._in_head and self._head_bytes > MAX_HEAD_BYTES:
                self.logger.warning("Request head over %d bytes.", MAX_HEAD_BYTES)
                self._refuse(431)

        def on_headers_complete(self) -> None:
            """The head is whole: its bytes stop counting."""
            self._in_head, self._head_bytes = False, 0
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            """The request is whole: the next bytes are the next request's head."""
            super().on_message_complete()
            self._in_head, self._head_bytes = True, 0

        def send_400_response(self, msg: str) -> None:
            """Answer a request httptools could not parse, in the one error shape, and close."""
            self._refuse(400)

        def _refuse(self, status: int) -> None:
            """Answer status and close, unless an earlier request's answer is still due."""
            if self.transport.is_closing():
                return
            if self.cycle is None or (self.cycle.response_complete and not self.pipeline):
                self.transport.write(error_answer(status, self.server_state.default_headers))
            self.transport.close()

        def _start_asgi_task(self, cycle: Any, app: Any) -> None:
            """Run the app with a send that adds any security header missing.

            The app adds them itself; this covers the answers uvicorn makes in the request
            cycle (its own 500 when an app fails before answering, 503 past a concurrency
            limit).
            """
            cycle.send = secured(cycle.send)
            super()._start_asgi_task(cycle, app)


def protocol_class() -> type[asyncio.Protocol]:
    """The HTTP protocol `newsweave serve` runs uvicorn with (httptools when installed)."""
    if HttpToolsProtocol is not None:
        return ReaderProtocol
    return ReaderH11Protocol
