"""HTTP GET with the limits a fetcher of untrusted servers needs, over httpx.

Every request: the guard's address policy, a deadline for the whole answer (a server that
trickles bytes cannot hold a slot forever), a byte limit before and after decompression,
a redirect limit with loop detection, conditional GET, bounded concurrency overall and per host.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urljoin, urlsplit

import anyio
import httpx

from newsweave.errors import FetchError
from newsweave.ingest.guard import Guard, GuardedTransport

_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 65536


def _user_agent() -> str:
    """A User-Agent that names newsweave, its version and where to learn about it."""
    try:
        release = version("newsweave")
    except PackageNotFoundError:
        release = "dev"
    return f"newsweave/{release} (news brief reader; +https://pypi.org/project/newsweave/)"


@dataclass(frozen=True)
class FetchSettings:
    """Limits and manners of fetching; the defaults suit a laptop following many feeds."""

    user_agent: str = field(default_factory=_user_agent)
    robots_agent: str = "newsweave"  # the name robots.txt rules are matched against
    timeout: float = 30.0  # seconds for a whole answer, body included
    connect_timeout: float = 10.0
    max_bytes: int = 10_000_000  # most bytes of a body, after decompression
    max_redirects: int = 5
    concurrency: int = 8  # requests in flight overall
    per_host: int = 2  # requests in flight to one host
    interval: timedelta = timedelta(minutes=15)  # a source fetched well is due again after this
    max_backoff: timedelta = timedelta(hours=24)  # longest wait after failures in a row
    fetch_pages: bool = True  # fetch the article page of an item that has only a summary
    full_text_words: int = 150  # feed content this long counts as the article's full text
    max_items: int = 200  # most new items taken from one feed in one fetch


@dataclass(frozen=True)
class Answer:
    """A successful GET: the final URL after redirects, status, headers and decoded body."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes = b""
    redirects: tuple[str, ...] = field(default=())

    @property
    def not_modified(self) -> bool:
        """The server said the resource has not changed since the validators sent."""
        return self.status == 304

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def retry_after(headers: httpx.Headers) -> timedelta | None:
    """The wait a Retry-After header asks for (seconds or an HTTP date), if any."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
        date = parsedate_to_datetime(headers.get("date", "")) if headers.get("date") else None
    except (TypeError, ValueError):
        return None
    if date is None or when.tzinfo is None or date.tzinfo is None:
        return None
    return max(timedelta(0), when - date)


class _Decoder:
    """Content-Encoding undone in bounded steps, so a small bomb cannot fill memory."""

    def __init__(self, encoding: str, limit: int, url: str) -> None:
        self.encoding = encoding
        self.limit = limit
        self.url = url
        self.size = 0
        self.raw = 0
        if encoding in ("gzip", "x-gzip"):
            self._z: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj()  # zlib-wrapped, as the RFC says; raw is retried
        elif encoding in ("", "identity"):
            self._z = None
        else:
            raise FetchError("encoding", f"{url}: unsupported Content-Encoding {encoding!r}")
        self._raw_deflate_tried = False

    def _grow(self, n: int) -> None:
        self.size += n
        if self.size > self.limit:
            if self._z is None:
                raise FetchError("too_large", f"{self.url}: body over {self.limit:,} bytes")
            raise FetchError(
                "decompression_bomb",
                f"{self.url}: body over {self.limit:,} bytes once decompressed "
                f"({self.raw:,} bytes compressed)",
            )

    def feed(self, chunk: bytes) -> bytes:
        """Decoded bytes of one raw chunk."""
        self.raw += len(chunk)
        if self._z is None:
            self._grow(len(chunk))
            return chunk
        out = bytearray()
        data = chunk
        while data:
            try:
                piece = self._z.decompress(data, _CHUNK)
            except zlib.error as exc:
                if self.encoding == "deflate" and not self._raw_deflate_tried and not out:
                    # Some servers send raw deflate without the zlib wrapper.
                    self._raw_deflate_tried = True
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise FetchError("encoding", f"{self.url}: corrupt {self.encoding} body") from exc
            self._grow(len(piece))
            out += piece
            data = self._z.unconsumed_tail
            if not piece and not data:
                break
        return bytes(out)


class Fetcher:
    """GETs under one guard and one set of limits; use inside `async with`."""

    def __init__(self, settings: FetchSettings, guard: Guard) -> None:
        self.settings = settings
        self.guard = guard
        self._client: httpx.AsyncClient | None = None
        self._overall = anyio.Semaphore(settings.concurrency)
        self._hosts: dict[str, anyio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        """Open the connection pool."""
        self._client = httpx.AsyncClient(
            transport=GuardedTransport(self.guard, max_connections=self.settings.concurrency),
            follow_redirects=False,  # followed by hand, so each hop is checked
            timeout=httpx.Timeout(self.settings.timeout, connect=self.settings.connect_timeout),
            headers={"User-Agent": self.settings.user_agent},
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        """Hold one overall slot and one slot for url's host."""
        host = (urlsplit(url).hostname or "").lower()
        if host not in self._hosts:
            self._hosts[host] = anyio.Semaphore(self.settings.per_host)
        async with self._overall, self._hosts[host]:
            yield

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
    ) -> Answer:
        """GET url, following redirects by hand; raise FetchError naming what went wrong."""
        if self._client is None:
            raise RuntimeError("Fetcher used outside `async with`")
        headers = {"Accept": accept, "Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen = [url]
        current = url
        for _ in range(self.settings.max_redirects + 1):
            self.guard.check_url(current)
            async with self._slot(current):
                answer, location = await self._once(current, headers)
            if location is None:
                return replace(answer, redirects=tuple(seen))
            nxt = urljoin(current, location)
            if nxt in seen:
                raise FetchError("redirect_loop", f"{url}: redirect loop back to {nxt}")
            seen.append(nxt)
            current = nxt
        raise FetchError(
            "too_many_redirects", f"{url}: more than {self.settings.max_redirects} redirects"
        )

    async def _once(self, url: str, headers: dict[str, str]) -> tuple[Answer, str | None]:
        """One request: the answer, and the redirect target if it is a redirect."""
        assert self._client is not None
        try:
            with anyio.fail_after(self.settings.timeout):
                request = self._client.build_request("GET", url, headers=headers)
                response = await self._client.send(request, stream=True)
                try:
                    return await self._read(url, response)
                finally:
                    await response.aclose()
        except TimeoutError as exc:
            raise FetchError(
                "timeout", f"{url}: no complete answer within {self.settings.timeout:g} s"
            ) from exc
        except httpx.TimeoutException as exc:
            raise FetchError("timeout", f"{url}: timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise FetchError("network", f"{url}: {type(exc).__name__}: {exc}") from exc

    async def _read(self, url: str, response: httpx.Response) -> tuple[Answer, str | None]:
        """Status checks, then the body within the limits."""
        status = response.status_code
        if status in _REDIRECTS:
            location = response.headers.get("location")
            if not location:
                raise FetchError("http_status", f"{url}: HTTP {status} without a Location")
            return Answer(url, status, response.headers), location
        if status == 304:
            return Answer(url, status, response.headers), None
        if status >= 400 or status < 200:
            raise FetchError(
                "http_status",
                f"{url}: HTTP {status}",
                status=status,
                retry_after=retry_after(response.headers),
            )
        limit = self.settings.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError("too_large", f"{url}: body of {int(declared):,} bytes over {limit:,}")
        decoder = _Decoder(response.headers.get("content-encoding", "").strip().lower(), limit, url)
        body = bytearray()
        async for chunk in response.aiter_raw(_CHUNK):
            body += decoder.feed(chunk)
        return Answer(url, status, response.headers, bytes(body)), None
