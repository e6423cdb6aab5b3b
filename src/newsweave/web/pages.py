"""The reader's pages: the story list, a story, the Atom feeds, static files and the API page."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from starlette.exceptions import HTTPException

from newsweave.errors import ConfigError
from newsweave.web import atom, jsonfeed, queries, views
from newsweave.web.http import IMMUTABLE, Cached, cached_body, conditional, serve_cached
from newsweave.web.reader import Reader, parse_brief, reader_of

router = APIRouter(include_in_schema=False)

HTML = "text/html; charset=utf-8"
PAGE_SIZE = 20
FEED_SIZE = 50

StoryId = Annotated[str, Path(min_length=1, max_length=200, description="A story id.")]


def _list_url(q: str, page: int) -> str:
    """The URL of one page of the story list."""
    params = {k: v for k, v in (("q", q), ("page", page)) if v and v != 1}
    return "/" + ("?" + urlencode(params) if params else "")


@router.get("/")
async def story_list(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The story list: newest activity first, with counts, times and a conflict badge."""
    reader = reader_of(request)
    words = queries.search_words(q)
    key = ("list", q.strip(), page, reader.store_stamp())

    def make() -> Cached:
        found = reader.stories(words, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        body = reader.render(
            "stories.html",
            q=q.strip(),
            searched=bool(words),
            stories=[views.story_item(row, found.details.get(row.id)) for row in found.rows],
            total=found.total,
            page=page,
            pages=found.pages,
            prev_url=_list_url(q.strip(), page - 1) if page > 1 else "",
            next_url=_list_url(q.strip(), page + 1) if page < found.pages else "",
        )
        return cached_body(body, HTML)

    return await serve_cached(request, reader.cache, key, make)


@router.get("/stories/{story_id}")
async def story_page(
    request: Request,
    story_id: StoryId,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """A story: its brief with evidence for each citation, conflicts, timeline, versions."""
    reader = reader_of(request)
    key = ("story", story_id, version, reader.story_stamp(story_id))

    def make() -> Cached:
        page = reader.story_page(story_id, version)
        return cached_body(reader.render("story.html", page=page), HTML)

    return await serve_cached(request, reader.cache, key, make)


def _base(request: Request) -> str:
    """The absolute base URL feeds link from, without a trailing slash.

    The configured base_url when there is one (a proxy may not pass the public Host on),
    else the address the request was made to.
    """
    configured = reader_of(request).settings.base_url
    return (configured or str(request.base_url)).rstrip("/")


def _authority(request: Request) -> str:
    """The host name that mints this installation's tag: ids (RFC 4151)."""
    configured = reader_of(request).settings.base_url
    host = urlsplit(configured).hostname if configured else request.url.hostname
    return host or "localhost"


def _entry(
    reader: Reader,
    base: str,
    story_id: str,
    brief_json: str,
    version: int,
    changes: dict[str, Any] | None,
    entry_id: str,
    published: datetime | None,
    title: str | None = None,
) -> atom.Entry:
    """One feed entry for one brief version; title: the story's, for an entry that follows it."""
    brief = parse_brief(brief_json, story_id, version)
    view = views.brief_view(brief)
    link = f"{base}/stories/{story_id}" + (f"?version={version}" if changes is not None else "")
    content = reader.render(
        "entry.html", brief=view, version=version, changes=changes, link=link
    ).decode("utf-8")
    return atom.Entry(
        id=entry_id,
        title=title or brief.headline,
        updated=brief.created_at,
        link=link,
        summary=brief.lede.text,
        content_html=content,
        published=published,
    )


def _feed_all(request: Request) -> atom.Feed:
    """The latest brief of each of the most recently active stories, newest brief first."""
    reader = reader_of(request)
    base, authority = _base(request), _authority(request)
    rows = {row.id: row for row in reader.stories([], FEED_SIZE, 0).rows}
    latest = reader.latest_briefs(list(rows))
    first = reader.first_brief_times(list(latest))
    entries = [
        _entry(
            reader,
            base,
            sid,
            b.body_json,
            b.version,
            None,
            # One entry per story: a new version updates it rather than adding one.
            atom.tag_uri(authority, rows[sid].created_at.date(), "story", sid),
            first.get(sid),
            rows[sid].title,
        )
        for sid, b in latest.items()
    ]
    entries.sort(key=lambda e: atom.aware(e.updated), reverse=True)
    return atom.Feed(
        id=atom.tag_uri(authority, reader.first_day(), "feed"),
        title="newsweave: latest briefs",
        subtitle="The latest cited brief of each story, newest first.",
        self_url=f"{base}/feed.atom",
        page_url=f"{base}/",
        entries=tuple(entries),
    )


def _feed_story(request: Request, story_id: str) -> atom.Feed:
    """Every version of one story's brief, newest first, each with what it changed."""
    reader = reader_of(request)
    base, authority = _base(request), _authority(request)
    row = reader.story(story_id)
    day = row.created_at.date()
    stored = reader.versions(story_id)
    entries = [
        _entry(
            reader,
            base,
            story_id,
            b.body_json,
            b.version or 0,
            b.changes or {},
            atom.tag_uri(authority, day, "story", story_id, f"v{b.version}"),
            b.created_at,  # a version is published once: when it was made
        )
        for b in reversed(stored)
    ]
    return atom.Feed(
        id=atom.tag_uri(authority, day, "story", story_id, "feed"),
        title=f"newsweave: {row.title}",
        subtitle="Every version of this story's brief, newest first.",
        self_url=f"{base}/stories/{story_id}/feed.atom",
        page_url=f"{base}/stories/{story_id}",
        entries=tuple(entries),
    )


def _as_atom(reader: Reader, feed: atom.Feed) -> Cached:
    """A feed as a cacheable Atom answer."""
    return cached_body(atom.render_atom(feed, reader.version), atom.MEDIA_TYPE)


def _as_json(feed: atom.Feed) -> Cached:
    """A feed as a cacheable JSON Feed 1.1 answer, served beside its Atom twin."""
    feed_url = feed.self_url.removesuffix(".atom") + ".json"
    return cached_body(jsonfeed.render_json_feed(feed, feed_url), jsonfeed.MEDIA_TYPE)


@router.get("/feed.atom")
async def feed_all(request: Request) -> Response:
    """Atom: the latest brief of each of the most recently active stories."""
    reader = reader_of(request)
    key = ("feed", _base(request), reader.store_stamp())
    return await serve_cached(
        request, reader.cache, key, lambda: _as_atom(reader, _feed_all(request))
    )


@router.get("/feed.json")
async def feed_all_json(request: Request) -> Response:
    """JSON Feed 1.1: the same entries as /feed.atom."""
    reader = reader_of(request)
    key = ("feed-json", _base(request), reader.store_stamp())
    return await serve_cached(request, reader.cache, key, lambda: _as_json(_feed_all(request)))


@router.get("/stories/{story_id}/feed.atom")
async def feed_story(request: Request, story_id: StoryId) -> Response:
    """Atom: every version of one story's brief, newest first, each with what changed."""
    reader = reader_of(request)
    key = ("story-feed", _base(request), story_id, reader.story_stamp(story_id))
    return await serve_cached(
        request, reader.cache, key, lambda: _as_atom(reader, _feed_story(request, story_id))
    )


@router.get("/stories/{story_id}/feed.json")
async def feed_story_json(request: Request, story_id: StoryId) -> Response:
    """JSON Feed 1.1: the same entries as the story's Atom feed."""
    reader = reader_of(request)
    key = ("story-feed-json", _base(request), story_id, reader.story_stamp(story_id))
    return await serve_cached(
        request, reader.cache, key, lambda: _as_json(_feed_story(request, story_id))
    )


Period = Annotated[
    str,
    Query(
        max_length=20,
        description="How far back: 90m, 12h, 2d, 1w.",
        pattern=r"^\d{1,6}(m|min|h|d|w)$",
    ),
]


def _feed_edition(request: Request, period: str) -> atom.Feed:
    """The stories that changed in the period, newest development first: one entry each."""
    from newsweave.render import edition

    reader = reader_of(request)
    base, authority = _base(request), _authority(request)
    try:
        span = edition.parse_period(period)
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from exc
    now = datetime.now(UTC)
    ed = edition.make_edition(reader.db.store(), now - span, now)
    entries = []
    for s in edition.edition_views(ed):
        item: edition.EditionItem = s["item"]
        link = f"{base}/stories/{item.story_id}"
        content = reader.render(
            "edition_entry.html",
            s=s,
            brief=s["view"],
            version=item.version,
            changes=None,
            link=link,
        ).decode("utf-8")
        entries.append(
            atom.Entry(
                # One entry per development: a later version of the story is a new entry.
                id=atom.tag_uri(
                    authority,
                    item.published_at.date(),
                    "story",
                    item.story_id,
                    f"v{item.version}",
                    "edition",
                ),
                title=item.title,
                updated=item.changed_at,
                published=item.changed_at,
                link=link,
                summary=edition.change_line(item) + " " + item.brief.lede.text,
                content_html=content,
            )
        )
    return atom.Feed(
        id=atom.tag_uri(authority, reader.first_day(), "edition", period),
        title=f"newsweave: what changed in the last {period}",
        subtitle="The stories that changed, newest development first, each with what changed.",
        self_url=f"{base}/edition.atom"
        + (f"?since={period}" if period != edition.DEFAULT_PERIOD else ""),
        page_url=f"{base}/",
        entries=tuple(entries),
    )


def _edition_key(request: Request, kind: str, period: str) -> tuple[object, ...]:
    """The cache key of an edition feed: it moves with the clock, so a minute is part of it."""
    reader = reader_of(request)
    return (kind, _base(request), period, reader.store_stamp(), int(time.time() // 60))


@router.get("/edition.atom")
async def edition_atom(request: Request, since: Period = "24h") -> Response:
    """Atom: the stories that changed in the period, each with its brief and what changed."""
    reader = reader_of(request)
    key = _edition_key(request, "edition", since)
    return await serve_cached(
        request, reader.cache, key, lambda: _as_atom(reader, _feed_edition(request, since))
    )


@router.get("/edition.json")
async def edition_json(request: Request, since: Period = "24h") -> Response:
    """JSON Feed 1.1: the same entries as /edition.atom."""
    reader = reader_of(request)
    key = _edition_key(request, "edition-json", since)

    def make() -> Cached:
        feed = _feed_edition(request, since)
        url = feed.self_url.replace("/edition.atom", "/edition.json")
        return cached_body(jsonfeed.render_json_feed(feed, url), jsonfeed.MEDIA_TYPE)

    return await serve_cached(request, reader.cache, key, make)


EDITION_PERIODS = ("12h", "24h", "3d", "1w")


@router.get("/edition")
async def edition_page(request: Request, since: Period = "24h") -> Response:
    """The stories that changed in the period, each with what changed and its brief."""
    from newsweave.render import edition

    reader = reader_of(request)
    key = _edition_key(request, "edition-page", since)

    def make() -> Cached:
        now = datetime.now(UTC)
        try:
            start = now - edition.parse_period(since)
        except ConfigError as exc:
            raise HTTPException(422, str(exc)) from exc
        ed = edition.make_edition(reader.db.store(), start, now)
        body = reader.render(
            "edition_page.html",
            since=since,
            since_text=since,
            default=edition.DEFAULT_PERIOD,
            periods=EDITION_PERIODS,
            query="" if since == edition.DEFAULT_PERIOD else f"?since={since}",
            start=views.When.of(start, now=now),
            stories=edition.edition_views(ed),
        )
        return cached_body(body, HTML)

    return await serve_cached(request, reader.cache, key, make)


@router.get("/static/{name}")
async def static(request: Request, name: str) -> Response:
    """A static file of the reader (CSS, JS), cached for a year under its hashed URL."""
    asset = reader_of(request).assets.get(name)
    if asset is None:
        raise HTTPException(404, f"no static file {name!r}")
    return conditional(
        request, Cached(asset.body, f'"{asset.digest}"', asset.media_type), cache_control=IMMUTABLE
    )


def markdown_html(text: str) -> Markup:
    """Markdown (CommonMark) as HTML, with any raw HTML in it escaped rather than passed on."""
    from markdown_it import MarkdownIt

    # "html": False escapes raw HTML; links are checked by markdown-it (no javascript:).
    return Markup(MarkdownIt("commonmark", {"html": False}).render(text))


@router.get("/api")
async def api_page(request: Request) -> Response:
    """The API described for people, from the OpenAPI document (no scripts, no CDN)."""
    reader = reader_of(request)

    def make() -> Cached:
        spec = request.app.openapi()
        operations = [
            {
                "method": method.upper(),
                "path": path,
                "summary": op.get("summary", ""),
                "description": markdown_html(op.get("description", "")),
                "parameters": op.get("parameters", []),
                "responses": sorted(op.get("responses", {})),
            }
            for path, methods in spec.get("paths", {}).items()
            for method, op in methods.items()
        ]
        info = spec.get("info", {})
        body = reader.render(
            "api.html",
            info=info,
            description=markdown_html(info.get("description", "")),
            operations=operations,
        )
        return cached_body(body, HTML)

    return await serve_cached(request, reader.cache, ("api-page",), make)
