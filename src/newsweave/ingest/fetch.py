"""Fetch every due source into the store; nothing here files reports into stories.

Filing is left to the pipeline: newsweave.pipeline.fetching after a fetch, or a worker's
file jobs (newsweave.pipeline.worker).

Each item is committed on its own (its report and its item row in one transaction), and a
source's validators (ETag, Last-Modified) only after all its items: a run killed at any point
loses nothing committed, and the next run fetches in full what it had not finished.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio

from newsweave.config import Limits, Settings
from newsweave.errors import FetchError, InputError, NewsweaveError, StoreError
from newsweave.ids import canonical_url, report_id
from newsweave.ingest.feeds import (
    Feed,
    FeedItem,
    bom_codec,
    charset_of,
    looks_like_feed,
    read_opml,
)
from newsweave.ingest.files import make_report, valid_url
from newsweave.ingest.guard import Guard
from newsweave.ingest.http import Answer, Fetcher, FetchSettings
from newsweave.ingest.isolate import ParsePool
from newsweave.ingest.limits import limit_report
from newsweave.ingest.robots import RobotsCache
from newsweave.records import Report
from newsweave.storage import SourceRow, Store

_ACCEPT_FEED = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, text/html;q=0.5, */*;q=0.1"
)
_ACCEPT_PAGE = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


@dataclass(frozen=True)
class SourceOutcome:
    """How one source's fetch went."""

    source_id: int
    url: str
    ok: bool
    not_modified: bool = False
    new_reports: tuple[str, ...] = ()
    error: str | None = None  # "code: message" when the fetch failed
    problems: tuple[str, ...] = ()  # items skipped or read from their summary, and why


@dataclass(frozen=True)
class Waiting:
    """A source that failed and is not fetched again until its backoff ends."""

    source_id: int
    url: str
    failures: int  # in a row
    last_error: str | None
    next_due: datetime


@dataclass(frozen=True)
class Fetched:
    """What fetching did, nothing filed yet: every source's outcome, and the schedule after."""

    outcomes: tuple[SourceOutcome, ...]
    # After the run: sources waiting out a backoff (failed this run or before), and when the
    # next source of all is due; what the command line says when nothing was fetched.
    waiting: tuple[Waiting, ...] = ()
    next_due: datetime | None = None
    followed: int = 0  # sources followed in all


def guard_for(settings: Settings) -> Guard:
    """The fetch guard of these settings: public addresses plus the allowed hosts."""
    return Guard.allowing(settings.allow_hosts)


def add_sources(
    settings: Settings, target: str, kind: str = "auto", guard: Guard | None = None
) -> list[tuple[SourceRow, bool]]:
    """Follow a feed or page URL, or every feed of an OPML file; return each and whether new."""
    if valid_url(target):
        pairs = [(canonical_url(target), "")]
    elif Path(target).exists():
        pairs = [(canonical_url(url), title) for url, title in read_opml(Path(target))]
        kind = "feed" if kind == "auto" else kind
    else:
        raise InputError(target, "neither an http(s) URL nor an OPML file that exists")
    guard = guard or guard_for(settings)
    for url, _ in pairs:
        guard.check_url(url)  # refuse file:, ftp:, literal internal addresses up front
    with Store.open(settings.database_url) as db:
        return [db.add_source(url, kind, title) for url, title in pairs]


def _backoff(failures: int, fs: FetchSettings, asked: timedelta | None) -> timedelta:
    """How long to wait after `failures` failures in a row (doubling, capped)."""
    wait = min(fs.interval * (2 ** max(0, failures - 1)), fs.max_backoff)
    return max(wait, min(asked, fs.max_backoff)) if asked else wait


class _SourceFetch:
    """One fetch of one source, writing each new item to the store as it is read."""

    def __init__(
        self,
        db: Store,
        fetcher: Fetcher,
        source: SourceRow,
        now: datetime,
        limits: Limits | None = None,
        *,
        pool: ParsePool,
        robots: RobotsCache,
    ) -> None:
        self.db = db
        self.robots = robots  # the run's robots.txt rules, each host's fetched once
        self.limits = limits or Limits()
        # Every feed and page is parsed in a worker process, never in this event loop: a
        # hostile one cannot stall the other sources (fetch/isolate.py).
        self.pool = pool
        self.fetcher = fetcher
        self.fs = fetcher.settings
        self.source = source
        self.now = now
        self.problems: list[str] = []
        self.new: list[str] = []

    async def run(self) -> SourceOutcome:
        """Fetch, read and store; record the outcome on the source row."""
        src = self.source
        try:
            if src.kind == "page" and not await self.robots.allowed(self.fetcher, src.url):
                raise FetchError("robots", f"{src.url}: disallowed by the site's robots.txt")
            answer = await self.fetcher.get(
                src.url,
                etag=src.etag,
                last_modified=src.last_modified,
                accept=_ACCEPT_PAGE if src.kind == "page" else _ACCEPT_FEED,
            )
            if answer.not_modified:
                self._record_ok(src.kind, None, answer, keep=True)
                return SourceOutcome(src.id, src.url, ok=True, not_modified=True)
            if src.kind == "feed" or (
                src.kind == "auto" and looks_like_feed(answer.body, answer.content_type)
            ):
                feed = await self.pool.feed(
                    answer.body, answer.url, answer.headers.get("content-type", "")
                )
                await self._take_feed(feed)
                self._record_ok("feed", feed.title, answer)
            else:
                await self._take_html(answer)
        except FetchError as exc:
            return self._record_failure(str(exc), exc.retry_after)
        except NewsweaveError as exc:
            return self._record_failure(f"error: {exc}", None)
        except Exception as exc:  # one broken source must never stop the others
            return self._record_failure(f"internal: {type(exc).__name__}: {exc}", None)
        return SourceOutcome(
            src.id, src.url, ok=True, new_reports=tuple(self.new), problems=tuple(self.problems)
        )

    def _record_ok(self, kind: str, title: str | None, answer: Answer, keep: bool = False) -> None:
        """Record a success; a 304 keeps the validators unless it sent new ones."""
        etag = answer.headers.get("etag") or (self.source.etag if keep else None)
        modified = answer.headers.get("last-modified") or (
            self.source.last_modified if keep else None
        )
        self.db.record_fetch(
            self.source.id,
            attempted=self.now,
            next_due=self.now + self.fs.interval,
            problems=self.problems,
            kind=kind,
            title=title,
            etag=etag,
            last_modified=modified,
        )

    def _record_failure(self, error: str, asked: timedelta | None) -> SourceOutcome:
        """Record a failure with the reason and when to try again."""
        wait = _backoff(self.source.failures + 1, self.fs, asked)
        self.db.record_fetch(
            self.source.id,
            attempted=self.now,
            next_due=self.now + wait,
            error=error,
            problems=self.problems,
        )
        return SourceOutcome(
            self.source.id,
            self.source.url,
            ok=False,
            error=error,
            new_reports=tuple(self.new),
            problems=tuple(self.problems),
        )

    async def _take_feed(self, feed: Feed) -> None:
        """Store the feed's items not taken before, fetching pages for summary-only ones."""
        self.problems.extend(feed.problems)
        seen = self.db.seen_items(self.source.id)
        fresh = [item for item in feed.items if item.key not in seen]
        if len(fresh) > self.fs.max_items:
            self.problems.append(
                f"{len(fresh) - self.fs.max_items} items left for the next fetch "
                f"(at most {self.fs.max_items} per fetch)"
            )
            fresh = fresh[: self.fs.max_items]
        outlet = feed.title or _host(feed.link or self.source.url)
        async with anyio.create_task_group() as group:
            for item in fresh:
                group.start_soon(self._take_item, item, outlet)

    async def _take_item(self, item: FeedItem, outlet: str) -> None:
        """One item, or the reason it was skipped: one bad item never fails its feed."""
        try:
            await self._take_item_text(item, outlet)
        except StoreError:
            raise  # the database failed, not the item: the source's fetch fails
        except Exception as exc:
            detail = " ".join(str(exc).split())[:200]
            self.problems.append(
                f"item {item.url or item.key}: skipped (internal: {type(exc).__name__}: {detail})"
            )

    async def _take_item_text(self, item: FeedItem, outlet: str) -> None:
        """One item: its full text from the feed or its page, else its summary; then stored."""
        label = f"item {item.url or item.key}"
        text, text_from, page = item.content, "feed", None
        if _count(text) < self.fs.full_text_words <= _count(item.summary):
            # A description this long is the article, not a summary (docs/fetch.md measures
            # where the line is): no page is fetched for it.
            text = item.summary
        if _count(text) < self.fs.full_text_words:
            page, why = await self._item_page(item)
            # The feed's own text stands in when the page cannot be read: its content if it
            # has any, else its summary (recorded as such, so a reader knows it is partial).
            fallback, fallback_from = (
                (item.content, "feed") if item.content else (item.summary, "summary")
            )
            if page is not None and _count(page.text) > _count(fallback):
                text, text_from = page.text, "page"
            elif fallback:
                text, text_from = fallback, fallback_from
                if why:
                    self.problems.append(f"{label}: {fallback_from} used, page not read ({why})")
            else:
                self.problems.append(f"{label}: skipped, no text ({why or 'page too short'})")
                return
        published = item.published or (page.published if page is not None else None)
        url = item.url or (page.url if page is not None else "")
        try:
            report = make_report(
                {
                    "outlet": outlet,
                    "url": url,
                    "title": item.title or (page.title if page is not None else ""),
                    "published": published.isoformat() if published else "",
                    "text": text,
                },
                self.source.url,
            )
        except InputError as exc:
            self.problems.append(f"{label}: skipped ({exc.reason})")
            return
        report = self._limited(report, label)
        if self.db.add_item(self.source.id, item.key, report, text_from):
            self.new.append(report.id)

    def _limited(self, report: Report, label: str) -> Report:
        """The report cut to the limits, each cut named among the source's problems."""
        report, cuts = limit_report(report, self.limits)
        self.problems.extend(f"{label}: {cut}" for cut in cuts)
        return report

    async def _item_page(self, item: FeedItem) -> tuple[Report | None, str]:
        """The item's article page read with trafilatura, or None and why not."""
        if not self.fs.fetch_pages:
            return None, "page fetching is off"
        if not item.url:
            return None, "no link"
        try:
            if not await self.robots.allowed(self.fetcher, item.url):
                return None, "robots: disallowed by the site's robots.txt"
            answer = await self.fetcher.get(item.url, accept=_ACCEPT_PAGE)
            read = await self.pool.page(_decoded(answer), answer.url)
        except FetchError as exc:
            return None, str(exc)
        except InputError as exc:
            return None, f"extract: {exc.reason}"
        self.problems.extend(f"item {item.url}: {note}" for note in read.notes)
        return read.report, ""

    async def _take_html(self, answer: Answer) -> None:
        """An HTML answer: a page to store, or, for a site's home page, the feed it names.

        A source added as `auto` whose URL is a site's root, or whose page has no article
        text, is switched to the first RSS or Atom feed the page links to (every article
        page names its site's feed too, so an article is never swapped for the feed).
        """
        src = self.source
        feed_url = await self.pool.discover(answer.body, answer.url) if src.kind == "auto" else None
        at_root = urlsplit(answer.url).path in ("", "/")
        if feed_url is not None and at_root:
            await self._follow_discovered(feed_url)
            return
        if src.kind == "auto" and not await self.robots.allowed(self.fetcher, answer.url):
            raise FetchError("robots", f"{answer.url}: disallowed by the site's robots.txt")
        try:
            title = await self._take_page(answer)
        except FetchError as exc:
            if exc.code != "extract" or feed_url is None:
                raise
            await self._follow_discovered(feed_url)
            return
        self._record_ok("page", title, answer)

    async def _follow_discovered(self, feed_url: str) -> None:
        """Make the source the feed its page named, and take that feed's items now."""
        answer = await self.fetcher.get(feed_url, accept=_ACCEPT_FEED)
        feed = await self.pool.feed(answer.body, answer.url, answer.headers.get("content-type", ""))
        self.db.move_source(self.source.id, feed_url)
        self.problems.append(f"the page {self.source.url} names a feed; following {feed_url}")
        await self._take_feed(feed)
        self._record_ok("feed", feed.title, answer)

    async def _take_page(self, answer: Answer) -> str:
        """A single-page source: its main text stored as one report; returns its title."""
        try:
            read = await self.pool.page(_decoded(answer), answer.url)
        except InputError as exc:
            raise FetchError("extract", f"{answer.url}: {exc.reason}") from exc
        self.problems.extend(f"page {answer.url}: {note}" for note in read.notes)
        page = read.report
        if not page.url:
            page = _with_url(page, canonical_url(answer.url))
        page = self._limited(page, f"page {answer.url}")
        if self.db.add_item(self.source.id, page.url or answer.url, page, "page"):
            self.new.append(page.id)
        return page.title


def _count(text: str) -> int:
    """Words in text, as a reader counts them."""
    return len(text.split())


def _with_url(report: Report, url: str) -> Report:
    """The report with its URL (and so its id) set."""
    return replace(report, url=url, id=report_id(url, report.text))


def _decoded(answer: Answer) -> str:
    """An HTML answer as text: by its byte order mark, else its Content-Type charset, else UTF-8."""
    if (marked := bom_codec(answer.body)) is not None:
        return answer.body[marked[1] :].decode(marked[0], "replace")
    charset = charset_of(answer.headers.get("content-type", ""))
    return answer.body.decode(charset or "utf-8", "replace")


def _host(url: str) -> str:
    """The host of url without www."""
    return (urlsplit(url).hostname or "").removeprefix("www.")


@dataclass
class _Progress:
    """Calls back once per finished source (for a progress bar or log lines)."""

    callback: Callable[[SourceOutcome], None] | None = None
    outcomes: list[SourceOutcome] = field(default_factory=list)

    def done(self, outcome: SourceOutcome) -> None:
        self.outcomes.append(outcome)
        if self.callback is not None:
            self.callback(outcome)


async def _fetch_all(
    db: Store,
    sources: Sequence[SourceRow],
    fs: FetchSettings,
    guard: Guard,
    now: datetime,
    progress: _Progress,
    stop: threading.Event | None,
    limits: Limits | None = None,
) -> None:
    """Fetch the sources concurrently (the fetcher bounds how many at once)."""
    limits = limits or Limits()
    robots = RobotsCache(fs.robots_agent)  # this run's, so each host's is fetched once
    async with Fetcher(fs, guard) as fetcher, ParsePool(limits) as pool:

        async def one(source: SourceRow) -> None:
            fetch = _SourceFetch(db, fetcher, source, now, limits, pool=pool, robots=robots)
            progress.done(await fetch.run())

        async def until_stopped(scope: anyio.CancelScope) -> None:
            # Signals only set an event; polling it lets a stop cancel requests in flight.
            assert stop is not None
            while not stop.is_set():
                await anyio.sleep(0.2)
            scope.cancel()

        async with anyio.create_task_group() as group:
            if stop is not None:
                group.start_soon(until_stopped, group.cancel_scope)
            async with anyio.create_task_group() as work:
                for source in sources:
                    work.start_soon(one, source)
            group.cancel_scope.cancel()  # all sources done: end the stop watcher


async def fetch_source(
    db: Store,
    fetcher: Fetcher,
    pool: ParsePool,
    robots: RobotsCache,
    source: SourceRow,
    now: datetime,
    limits: Limits | None = None,
) -> SourceOutcome:
    """Fetch one source with a fetcher, parser pool and robots rules the caller keeps open.

    A worker's fetch job (newsweave.pipeline.worker): its new reports are stored, its outcome
    recorded on its row; filing them is left to the caller.
    """
    return await _SourceFetch(db, fetcher, source, now, limits, pool=pool, robots=robots).run()


def fetch_reports(
    settings: Settings,
    fs: FetchSettings | None = None,
    *,
    every: bool = False,
    guard: Guard | None = None,
    now: datetime | None = None,
    on_source: Callable[[SourceOutcome], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
) -> Fetched:
    """Fetch due sources (every source if every=True) and store their new reports.

    Filing them into stories is left to the caller (newsweave.pipeline.fetching.fetch).
    """
    fs = fs or FetchSettings()
    now = now or datetime.now(UTC)
    progress = _Progress(on_source)
    with Store.open(settings.database_url) as db:
        sources = db.sources() if every else db.due_sources(now)
        if on_start is not None:
            on_start(len(sources))
        if sources:
            guard = guard or guard_for(settings)
            anyio.run(_fetch_all, db, sources, fs, guard, now, progress, stop, settings.limits)
        after = _schedule(db.sources(), now)
    order = {s.id: i for i, s in enumerate(sources)}
    outcomes = tuple(sorted(progress.outcomes, key=lambda o: order.get(o.source_id, 0)))
    return Fetched(outcomes, **after)


def _schedule(rows: Sequence[SourceRow], now: datetime) -> dict[str, Any]:
    """After a run: the sources waiting out a backoff, the next due time, how many followed."""
    waiting = tuple(
        Waiting(s.id, s.url, s.failures, s.last_error, s.next_due_at)
        for s in rows
        if s.failures and s.next_due_at is not None and s.next_due_at > now
    )
    dues = [s.next_due_at for s in rows if s.next_due_at is not None]
    return {
        "waiting": tuple(sorted(waiting, key=lambda w: (w.next_due, w.source_id))),
        "next_due": min(dues, default=None),
        "followed": len(rows),
    }


def sources_json(rows: Sequence[SourceRow]) -> str:
    """The followed sources as a JSON array, for `newsweave sources --format json`."""
    import json

    def when(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    data = [
        {
            "id": s.id,
            "url": s.url,
            "kind": s.kind,
            "title": s.title,
            "reports": s.report_count,
            "added_at": when(s.added_at),
            "last_attempt": when(s.last_attempt_at),
            "last_success": when(s.last_success_at),
            "last_error": s.last_error,
            "problems": list(s.problems),
            "failures": s.failures,
            "next_due": when(s.next_due_at),
        }
        for s in rows
    ]
    return json.dumps(data, indent=2, ensure_ascii=False)
