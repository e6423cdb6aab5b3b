"""HTTP plumbing of the reader: the response cache, ETags, and the headers every response gets."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline scripts or styles anywhere, so the policy needs no 'unsafe-inline'.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)

# A Host header: a name or [IPv6 address], and an optional port of digits (RFC 9110).
_HOST = re.compile(r"(?:\[(?P<ip6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9._-]+))(?::(?P<port>[0-9]{1,5}))?")

# Pages and API answers change when the store does: caches must ask again (and get a 304).
REVALIDATE = "no-cache"
# Static files are addressed by their content hash, so they never change under one URL.
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Cached:
    """A rendered response body with its ETag."""

    body: bytes
    etag: str
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()  # more headers sent with it (e.g. Link)


def etag_of(body: bytes) -> str:
    """A strong ETag: a hash of the exact bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names this ETag (weak comparison, as RFC 9110 asks)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


class ResponseCache:
    """Rendered bodies keyed by what they were made from; the least recently used go first."""

    def __init__(self, size: int, max_bytes: int = 64 * 1024 * 1024) -> None:
        """An empty cache holding at most size bodies and max_bytes bytes of them."""
        self.size = size
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, Cached] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Cached | None:
        """The cached body for key, if there is one."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def get_or_make(self, key: Hashable, make: Callable[[], Cached]) -> Cached:
        """The cached body for key, made (outside the lock) and kept if missing."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        made = make()
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes -= 0 if old is None else len(old.body)
            self._items[key] = made
            self._bytes += len(made.body)
            while self._items and (len(self._items) > self.size or self._bytes > self.max_bytes):
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.body)
        return made

    def __len__(self) -> int:
        """How many bodies are kept."""
        return len(self._items)


def cached_body(body: bytes, media_type: str, headers: dict[str, str] | None = None) -> Cached:
    """A body ready to be cached and served, with any headers that go with it."""
    return Cached(body, etag_of(body), media_type, tuple((headers or {}).items()))


def conditional(
    request: Request,
    cached: Cached,
    *,
    cache_control: str = REVALIDATE,
) -> Response:
    """200 with the body, or 304 when the client already holds this ETag."""
    out = {"ETag": cached.etag, "Cache-Control": cache_control, **dict(cached.headers)}
    if etag_matches(request.headers.get("if-none-match"), cached.etag):
        return Response(status_code=304, headers=out)
    return Response(cached.body, media_type=cached.media_type, headers=out)


async def serve_cached(
    request: Request,
    cache: ResponseCache,
    key: Hashable,
    make: Callable[[], Cached],
    *,
    cache_control: str = REVALIDATE,
) -> Response:
    """Answer from the cache; on a miss, render in a worker thread so the event loop stays free."""
    cached = cache.get(key)
    if cached is None:
        cached = await run_in_threadpool(cache.get_or_make, key, make)
    return conditional(request, cached, cache_control=cache_control)


class SecurityHeaders:
    """ASGI middleware: every HTTP response gets the security headers (CSP, nosniff, ...)."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap an ASGI app."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the response start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HostCheck:
    """ASGI middleware: refuse requests whose Host is not one of ours (DNS rebinding).

    Both parts are checked: the name must be one of hosts, and a port, if given, must be the
    one the request came in on; anything else in the header ("localhost:evil.com") is refused.
    A Host without a port passes on its name alone: a page that rebinds its own name to us
    always sends that name, so the name is what stops it.
    """

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        """Wrap an ASGI app; hosts are names without ports, e.g. "127.0.0.1", "localhost"."""
        self.app = app
        self.hosts = frozenset(h.lower().strip("[]") for h in hosts)

    def ours(self, host: str, port: int | None) -> bool:
        """Whether a Host header names us: one of hosts, and port (if known) or no port."""
        match = _HOST.fullmatch(host.lower())
        if match is None or (match["ip6"] or match["name"]) not in self.hosts:
            return False
        return match["port"] is None or port is None or int(match["port"]) == port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 400 in the one error shape when the Host header names another host."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).getlist("host")
        server = scope.get("server")
        port = server[1] if server and len(server) > 1 else None
        # Two Host headers are refused whatever they say (RFC 9112: answer 400).
        if len(given) == 1 and self.ours(given[0], port):
            await self.app(scope, receive, send)
            return
        host = ", ".join(given)
        names = sorted(f"[{h}]" if ":" in h else h for h in self.hosts)
        shown = [f"{name}:{port}" for name in names] if port else names
        message = f"host {host!r} is not served here; use one of: {', '.join(shown)}"
        body = {"error": {"status": 400, "code": "bad_host", "message": message}}
        await JSONResponse(body, status_code=400)(scope, receive, send)


class HeadAsGet:
    """ASGI middleware: answer HEAD as GET without the body (FastAPI routes GET only)."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap an ASGI app."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run HEAD requests as GET and drop the body they produce."""
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)
