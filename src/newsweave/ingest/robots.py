"""robots.txt: fetched at most once per host in a run, parsed with Protego (RFC 9309).

Protego matches as RFC 9309 says and Python's urllib.robotparser does not: the longest
matching rule wins (so `Allow: /news/public/` beats `Disallow: /news/`), and `*` and `$`
are wildcards. One RobotsCache is made per fetch run and passed to whatever checks pages.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import anyio
from protego import Protego

from newsweave.errors import FetchError
from newsweave.ingest.http import Fetcher

# Of a robots.txt, only this much is read (RFC 9309 section 2.5 asks for at least 500 KiB):
# rules are matched against every page URL, so a hostile 10 MB file of rules must not cost
# seconds per page.
ROBOTS_BYTES = 512_000


class RobotsCache:
    """Each origin's robots.txt rules for one run: fetched once, however many pages ask."""

    def __init__(self, agent: str = "newsweave") -> None:
        self.agent = agent  # the name rules are matched against
        self._rules: dict[str, Protego | bool | FetchError] = {}
        self._locks: dict[str, anyio.Lock] = {}

    async def allowed(self, fetcher: Fetcher, url: str) -> bool:
        """Whether the site's robots.txt lets newsweave fetch url.

        Raises FetchError("refused") when the site itself may not be fetched (said once per
        origin; later calls raise the same error without another request).
        """
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        # One lock per origin: pages of one site asking at once wait for one request.
        lock = self._locks.setdefault(origin, anyio.Lock())
        async with lock:
            if origin not in self._rules:
                self._rules[origin] = await _load(fetcher, origin)
        rules = self._rules[origin]
        if isinstance(rules, FetchError):
            raise rules
        if isinstance(rules, bool):
            return rules
        return rules.can_fetch(url, self.agent)


async def _load(fetcher: Fetcher, origin: str) -> Protego | bool | FetchError:
    """The parsed robots.txt of origin; True (all allowed) or False (none) when it fails."""
    try:
        answer = await fetcher.get(origin + "/robots.txt", accept="text/plain")
    except FetchError as exc:
        if exc.code == "refused":
            return exc  # the site itself may not be fetched: say so, not "robots"
        # A missing robots.txt allows everything; an unreachable or failing one, nothing.
        return exc.status is not None and 400 <= exc.status < 500
    return Protego.parse(answer.body[:ROBOTS_BYTES].decode("utf-8", "replace"))
