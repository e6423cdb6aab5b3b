"""A real HTTP server on 127.0.0.1 for fetch tests: routes of feeds and pages, and a request log."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = False  # send ETag/Last-Modified and answer conditional requests with 304
    trickle: float = 0.0  # seconds between single bytes of the body (a slow server)
    delay: float = 0.0  # seconds before answering at all
    length: bool = True  # send Content-Length
    gzip: bool = False  # body is sent gzip-compressed


@dataclass(frozen=True)
class Hit:
    """One request the server saw."""

    path: str
    headers: dict[str, str]
    status: int


LAST_MODIFIED = "Mon, 01 Jun 2026 08:00:00 GMT"


class FeedServer:
    """ThreadingHTTPServer on 127.0.0.1 in a daemon thread; use as a context manager."""

    def __init__(self) -> None:
        self.routes: dict[str, Route | Callable[[], Route]] = {}
        self.log: list[Hit] = []
        self.in_flight = 0
        self.max_in_flight = 0  # most requests being answered at once
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def handle(self) -> None:
                # The client closed a kept-alive connection: nothing to answer.
                with contextlib.suppress(ConnectionResetError):
                    super().handle()

            def do_GET(self) -> None:
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer()
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self) -> None:
                route = server.routes.get(self.path.split("?", 1)[0])
                if callable(route):
                    route = route()
                if route is None:
                    route = Route(b"not here", 404, "text/plain")
                headers = {k.lower(): v for k, v in self.headers.items()}
                body = gzip.compress(route.body, 1) if route.gzip else route.body
                etag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
                status = route.status
                if route.validators and (
                    headers.get("if-none-match") == etag
                    or headers.get("if-modified-since") == LAST_MODIFIED
                ):
                    status, body = 304, b""
                with server._lock:
                    server.log.append(Hit(self.path, headers, status))
                if route.delay:
                    time.sleep(route.delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", route.content_type)
                    if route.gzip:
                        self.send_header("Content-Encoding", "gzip")
                    if route.validators:
                        self.send_header("ETag", etag)
                        self.send_header("Last-Modified", LAST_MODIFIED)
                    for key, value in route.headers.items():
                        self.send_header(key, value)
                    if route.length:
                        self.send_header("Content-Length", str(len(body)))
                    else:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    if route.trickle:
                        for i in range(len(body)):
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(route.trickle)
                    elif status != 304:
                        self.wfile.write(body)
                    if not route.length:
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should on slow or huge bodies

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def hits(self, path: str) -> list[Hit]:
        """Requests seen for a path."""
        with self._lock:
            return [hit for hit in self.log if hit.path == path]


def rss(title: str, items: list[dict[str, str]], *, encoding: str = "utf-8") -> str:
    """An RSS 2.0 document with these items (keys: title, link, guid, date, summary, content)."""
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f"<channel><title>{title}</title><link>http://example.org/</link>"
        "<description>Test feed</description>",
    ]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{item['title']}</title>")
        if "link" in item:
            parts.append(f"<link>{item['link']}</link>")
        parts.append(f'<guid isPermaLink="false">{item.get("guid", item["title"])}</guid>')
        if "date" in item:
            parts.append(f"<pubDate>{item['date']}</pubDate>")
        if "summary" in item:
            parts.append(f"<description><![CDATA[{item['summary']}]]></description>")
        if "content" in item:
            parts.append(f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts)


def article(title: str, paragraphs: list[str], *, site: str = "Test Gazette") -> str:
    """An article page as a news site would serve it."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<!doctype html><html><head>"
        f"<title>{title}</title><meta property='og:site_name' content='{site}'>"
        "<meta property='article:published_time' content='2026-06-02T09:30:00+00:00'>"
        "</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright Test Gazette. All rights reserved.</footer></body></html>"
    )
