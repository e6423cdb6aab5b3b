"""The reader's pages: the story list, a story, the Atom feeds, static files and the API page."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from newsweave.web import atom, queries, views
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
            stories=[views.story_item(row) for row in found.rows],
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
    """The absolute base URL feeds link from, without a trailing slash."""
    return str(request.base_url).rstrip("/")


def _entry(
    reader: Reader,
    base: str,
    story_id: str,
    brief_json: str,
    version: int,
    changes: dict[str, Any] | None,
    entry_id: str,
) -> atom.Entry:
    """One feed entry for one brief version."""
    brief = parse_brief(brief_json, story_id, version)
    view = views.brief_view(brief)
    link = f"{base}/stories/{story_id}" + (f"?version={version}" if changes is not None else "")
    content = reader.render(
        "entry.html", brief=view, version=version, changes=changes, link=link
    ).decode("utf-8")
    return atom.Entry(
        id=entry_id,
        title=brief.headline,
        updated=brief.created_at,
        link=link,
        summary=brief.lede.text,
        content_html=content,
    )


@router.get("/feed.atom")
async def feed_all(request: Request) -> Response:
    """Atom: the latest brief of each of the most recently active stories."""
    reader = reader_of(request)
    base = _base(request)
    key = ("feed", base, reader.store_stamp())

    def make() -> Cached:
        rows = reader.stories([], FEED_SIZE, 0).rows
        latest = reader.latest_briefs([row.id for row in rows])
        entries = [
            _entry(reader, base, sid, b.body_json, b.version, None, atom.atom_id("story", sid))
            for sid, b in latest.items()
        ]
        entries.sort(key=lambda e: atom.aware(e.updated), reverse=True)
        feed = atom.Feed(
            id=atom.atom_id("stories"),
            title="newsweave: latest briefs",
            subtitle="The latest cited brief of each story, newest first.",
            self_url=f"{base}/feed.atom",
            page_url=f"{base}/",
            entries=tuple(entries),
        )
        return cached_body(atom.render_atom(feed, reader.version), atom.MEDIA_TYPE)

    return await serve_cached(request, reader.cache, key, make)


@router.get("/stories/{story_id}/feed.atom")
async def feed_story(request: Request, story_id: StoryId) -> Response:
    """Atom: every version of one story's brief, newest first, each with what changed."""
    reader = reader_of(request)
    base = _base(request)
    key = ("story-feed", base, story_id, reader.story_stamp(story_id))

    def make() -> Cached:
        row = reader.story(story_id)
        entries = [
            _entry(
                reader,
                base,
                story_id,
                b.body_json,
                b.version or 0,
                b.changes or {},
                atom.atom_id("story", story_id, f"v{b.version}"),
            )
            for b in reversed(reader.versions(story_id))
        ]
        feed = atom.Feed(
            id=atom.atom_id("story", story_id, "feed"),
            title=f"newsweave: {row.title}",
            subtitle="Every version of this story's brief, newest first.",
            self_url=f"{base}/stories/{story_id}/feed.atom",
            page_url=f"{base}/stories/{story_id}",
            entries=tuple(entries),
        )
        return cached_body(atom.render_atom(feed, reader.version), atom.MEDIA_TYPE)

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
                "description": op.get("description", ""),
                "parameters": op.get("parameters", []),
                "responses": sorted(op.get("responses", {})),
            }
            for path, methods in spec.get("paths", {}).items()
            for method, op in methods.items()
        ]
        body = reader.render("api.html", info=spec.get("info", {}), operations=operations)
        return cached_body(body, HTML)

    return await serve_cached(request, reader.cache, ("api-page",), make)
