"""The JSON API: stories (list, one), a story's brief (newsweave.brief/1) and reports.

Read-only, paged, with ETags; every error has the shape of ErrorOut.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from newsweave.records import Report
from newsweave.render.jsonout import render_json
from newsweave.storage import StoredBrief, StoryRow
from newsweave.web import queries, views
from newsweave.web.http import Cached, cached_body, conditional, serve_cached
from newsweave.web.reader import parse_brief, reader_of

JSON = "application/json"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class ErrorBody(BaseModel):
    """What went wrong."""

    status: int = Field(description="The HTTP status, repeated.")
    code: str = Field(description="A stable code: not_found, invalid_request, ...")
    message: str = Field(description="What went wrong, for people.")


class ErrorOut(BaseModel):
    """The one shape of every error answer."""

    error: ErrorBody


class StoryLinks(BaseModel):
    """Where to find more about a story."""

    api: str
    page: str
    brief: str | None = Field(description="null until a brief of the story is stored")
    reports: str
    feed: str
    json_feed: str = Field(description="the same feed as JSON Feed 1.1")


class StoryOut(BaseModel):
    """A story: one real-world event and its reports."""

    id: str
    title: str
    status: str = Field(description='"open" (still gaining reports) or "dormant"')
    created_at: str
    last_report_at: str | None
    first_published: str | None
    last_published: str | None
    report_count: int
    independent_sources: int | None = Field(description="from the latest brief")
    conflicts: bool = Field(description="whether the latest brief states a disagreement")
    latest_version: int | None
    lede: str | None = Field(
        description="the latest brief's first sentence as plain text; null without a brief"
    )
    outlets: list[str] = Field(description="outlets of the story's reports, most reports first")
    updated_at: str | None = Field(
        description="when the story last changed: its newest report or brief, the later"
    )
    links: StoryLinks


class StoryListOut(BaseModel):
    """One page of stories, newest activity first."""

    total: int
    limit: int
    offset: int
    q: str
    next: str | None
    prev: str | None
    stories: list[StoryOut]


class VersionOut(BaseModel):
    """One stored version of a story's brief."""

    version: int
    created_at: str
    headline: str
    brief: str = Field(description="URL of this version's brief")
    changes: dict[str, Any] | None = Field(
        description="reports and sentences added and removed since the previous version"
    )


class StoryDetailOut(StoryOut):
    """A story with every version of its brief."""

    versions: list[VersionOut]


class ReportOut(BaseModel):
    """One report as stored. Its text and URL are untrusted."""

    id: str
    outlet: str
    title: str
    url: str = Field(description="as given; link it only if it is http(s)")
    published: str | None
    language: str
    story_id: str | None
    text: str


class ReportListOut(BaseModel):
    """One page of a story's reports, by publication time."""

    story_id: str
    total: int
    limit: int
    offset: int
    next: str | None
    prev: str | None
    reports: list[ReportOut]


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such story, version or report."},
    422: {"model": ErrorOut, "description": "A parameter is invalid."},
}
BRIEF_SCHEMA = {
    "type": "object",
    "description": "A brief as JSON, schema newsweave.brief/1 (docs/schema.md).",
    "properties": {"schema": {"type": "string", "const": "newsweave.brief/1"}},
    "required": ["schema"],
}

router = APIRouter(prefix="/api", tags=["read"], responses=ERRORS)

StoryId = Annotated[str, Path(min_length=1, max_length=200, description="A story id.")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]


def _when(moment: datetime | None) -> str | None:
    """ISO 8601 or None."""
    return None if moment is None else moment.isoformat()


def _story_links(story_id: str, version: int | None) -> StoryLinks:
    """The links of a story."""
    return StoryLinks(
        api=f"/api/stories/{story_id}",
        page=f"/stories/{story_id}",
        brief=None if version is None else f"/api/stories/{story_id}/brief",
        reports=f"/api/stories/{story_id}/reports",
        feed=f"/stories/{story_id}/feed.atom",
        json_feed=f"/stories/{story_id}/feed.json",
    )


def story_out(row: StoryRow, details: queries.ListDetails | None = None) -> StoryOut:
    """A story as the API gives it; lede, outlets and last change come from details."""
    brief_at = None if details is None else details.brief_at
    return StoryOut(
        id=row.id,
        title=row.title,
        status=row.status,
        created_at=row.created_at.isoformat(),
        last_report_at=_when(row.last_report_at),
        first_published=_when(row.first_published),
        last_published=_when(row.last_published),
        report_count=row.report_count,
        independent_sources=row.independent_sources,
        conflicts=row.has_conflicts,
        latest_version=row.latest_version,
        lede=(details.lede or None) if details is not None else None,
        outlets=list(details.outlets) if details is not None else [],
        updated_at=_when(views.updated_at(row, brief_at)),
        links=_story_links(row.id, row.latest_version),
    )


def _version_out(story_id: str, b: StoredBrief) -> VersionOut:
    """A stored version."""
    return VersionOut(
        version=b.version or 0,
        created_at=b.created_at.isoformat(),
        headline=b.headline,
        brief=f"/api/stories/{story_id}/brief?version={b.version}",
        changes=b.changes,
    )


def report_out(report: Report, story_id: str | None) -> ReportOut:
    """A report as the API gives it."""
    return ReportOut(
        id=report.id,
        outlet=report.outlet,
        title=report.title,
        url=report.url,
        published=_when(report.published),
        language=report.language,
        story_id=story_id,
        text=report.text,
    )


def _page_url(path: str, limit: int, offset: int, **extra: str) -> str:
    """The URL of one page of a list."""
    params = {k: v for k, v in extra.items() if v}
    return f"{path}?{urlencode({**params, 'limit': limit, 'offset': offset})}"


def _paging(
    path: str, total: int, limit: int, offset: int, **extra: str
) -> tuple[str | None, str | None]:
    """The next and previous page URLs, None at either end."""
    next_url = _page_url(path, limit, offset + limit, **extra) if offset + limit < total else None
    prev_url = _page_url(path, limit, max(0, offset - limit), **extra) if offset > 0 else None
    return next_url, prev_url


def _link_header(next_url: str | None, prev_url: str | None) -> dict[str, str]:
    """An RFC 8288 Link header for the page links, if there are any."""
    links = [f'<{u}>; rel="{rel}"' for rel, u in (("next", next_url), ("prev", prev_url)) if u]
    return {"Link": ", ".join(links)} if links else {}


def _json(model: BaseModel, headers: dict[str, str] | None = None) -> Cached:
    """A model as a cacheable JSON body."""
    return cached_body(model.model_dump_json().encode("utf-8"), JSON, headers)


@router.get("/stories", response_model=StoryListOut, summary="List stories")
async def list_stories(
    request: Request,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
    q: Annotated[str, Query(max_length=200, description="Words every story must contain.")] = "",
) -> Response:
    """Stories, newest activity first; with q, only those whose title or reports hold every word."""
    reader = reader_of(request)
    words = queries.search_words(q)
    q = q.strip()
    key = ("api-stories", q, limit, offset, reader.store_stamp())

    def make() -> Cached:
        found = reader.stories(words, limit, offset)
        next_url, prev_url = _paging("/api/stories", found.total, limit, offset, q=q)
        out = StoryListOut(
            total=found.total,
            limit=limit,
            offset=offset,
            q=q,
            next=next_url,
            prev=prev_url,
            stories=[story_out(row, found.details.get(row.id)) for row in found.rows],
        )
        return _json(out, _link_header(next_url, prev_url))

    return await serve_cached(request, reader.cache, key, make)


@router.get("/stories/{story_id}", response_model=StoryDetailOut, summary="One story")
async def get_story(request: Request, story_id: StoryId) -> Response:
    """A story with every version of its brief and what each version changed."""
    reader = reader_of(request)
    key = ("api-story", story_id, reader.story_stamp(story_id))

    def make() -> Cached:
        base = story_out(reader.story(story_id), reader.details(story_id))
        versions = [_version_out(story_id, b) for b in reader.versions(story_id)]
        return _json(StoryDetailOut(**base.model_dump(), versions=versions))

    return await serve_cached(request, reader.cache, key, make)


@router.get(
    "/stories/{story_id}/brief",
    summary="A story's brief",
    responses={200: {"content": {JSON: {"schema": BRIEF_SCHEMA}}, "description": "The brief."}},
)
async def get_brief(
    request: Request,
    story_id: StoryId,
    version: Annotated[
        int | None, Query(ge=1, description="A version; the latest if left out.")
    ] = None,
) -> Response:
    """The latest brief of a story, or version N, as newsweave.brief/1 JSON."""
    reader = reader_of(request)
    key = ("api-brief", story_id, version, reader.story_stamp(story_id))

    def make() -> Cached:
        chosen = reader.pick(reader.versions(story_id), story_id, version)
        if chosen is None:
            raise HTTPException(404, f"story {story_id!r} has no brief yet")
        brief = parse_brief(chosen.body_json, story_id, chosen.version)
        return cached_body(render_json(brief).encode("utf-8"), JSON)

    return await serve_cached(request, reader.cache, key, make)


@router.get(
    "/stories/{story_id}/reports", response_model=ReportListOut, summary="A story's reports"
)
async def list_story_reports(
    request: Request,
    story_id: StoryId,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    offset: Offset = 0,
) -> Response:
    """The story's reports by publication time (undated last), with their text."""
    reader = reader_of(request)
    key = ("api-reports", story_id, limit, offset, reader.story_stamp(story_id))
    path = f"/api/stories/{story_id}/reports"

    def make() -> Cached:
        reports = reader.story_reports(story_id)
        next_url, prev_url = _paging(path, len(reports), limit, offset)
        out = ReportListOut(
            story_id=story_id,
            total=len(reports),
            limit=limit,
            offset=offset,
            next=next_url,
            prev=prev_url,
            reports=[report_out(r, story_id) for r in reports[offset : offset + limit]],
        )
        return _json(out, _link_header(next_url, prev_url))

    return await serve_cached(request, reader.cache, key, make)


@router.get("/reports/{report_id}", response_model=ReportOut, summary="One report")
def get_report(
    request: Request,
    report_id: Annotated[str, Path(min_length=1, max_length=200, description="A report id.")],
) -> Response:
    """One stored report with its text and the story it is in."""
    reader = reader_of(request)
    report = reader.report(report_id)
    return conditional(request, _json(report_out(report, reader.story_of(report_id))))
