"""The reader's state (store access, templates, cache, static files) and its read-only queries.

One Reader belongs to one app (create_app makes it); nothing here is module-global.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from typing import Any

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request

from newsweave.config import Settings
from newsweave.errors import StoreError
from newsweave.records import Brief, Report
from newsweave.render.html import STYLESHEET, stylesheet
from newsweave.render.jsonout import brief_from_dict
from newsweave.storage import StoredBrief, StoryRow
from newsweave.web import queries, views
from newsweave.web.db import ReadOnlyStore
from newsweave.web.http import ResponseCache

STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}


@dataclass(frozen=True)
class Asset:
    """A static file held in memory, addressed by its content hash."""

    name: str
    body: bytes
    media_type: str
    digest: str

    @property
    def url(self) -> str:
        """Its URL; the hash in it changes whenever the file does."""
        return f"/static/{self.name}?v={self.digest}"


@dataclass(frozen=True)
class StoryList:
    """One page of stories and how many there are in all."""

    rows: tuple[StoryRow, ...]
    total: int
    limit: int
    offset: int
    details: dict[str, queries.ListDetails] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """How many pages of this size there are (at least 1)."""
        return max(1, math.ceil(self.total / self.limit))


def package_version() -> str:
    """The installed newsweave version."""
    try:
        return version("newsweave")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def _asset(name: str, body: bytes) -> Asset:
    """A static file, addressed by its content hash."""
    digest = hashlib.sha256(body).hexdigest()[:12]
    return Asset(name, body, STATIC_TYPES["." + name.rsplit(".", 1)[-1]], digest)


def load_assets() -> dict[str, Asset]:
    """The static files shipped with the reader, and the stylesheet it shares with HTML briefs."""
    out = {}
    for item in files("newsweave.web").joinpath("static").iterdir():
        suffix = "." + item.name.rsplit(".", 1)[-1]
        if item.is_file() and suffix in STATIC_TYPES:
            out[item.name] = _asset(item.name, item.read_bytes())
    out[STYLESHEET] = _asset(STYLESHEET, stylesheet().encode("utf-8"))
    return out


def make_templates(assets: dict[str, Asset], app_version: str) -> jinja2.Environment:
    """The Jinja2 environment: autoescape on for every template, undefined names are errors."""
    env = jinja2.Environment(
        # The brief's markup (_brief.html) is shared with `newsweave brief --format html`.
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("newsweave.web", "templates"),
                jinja2.PackageLoader("newsweave.render", "templates"),
            ]
        ),
        # All text shown comes from untrusted reports: escape everything.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset"] = lambda name: assets[name].url
    env.globals["app_version"] = app_version
    return env


def parse_brief(body_json: str, story_id: str | None, version: int | None) -> Brief:
    """The Brief a stored version's JSON holds; StoreError if it is unreadable."""
    try:
        return brief_from_dict(json.loads(body_json))
    except ValueError as exc:
        raise StoreError(
            f"stored brief of story {story_id!r} version {version} is unreadable: {exc}"
        ) from exc


class Reader:
    """Everything one reader app holds, and the reads its routes make."""

    def __init__(self, settings: Settings, *, cache_size: int = 512) -> None:
        """Set up for the database in settings; the database is opened on the first request."""
        self.settings = settings
        self.version = package_version()
        self.db = ReadOnlyStore(settings.database_url)
        self.cache = ResponseCache(cache_size)
        self._count: tuple[tuple[object, ...], int] | None = None  # (store stamp, stories)
        self._count_lock = threading.Lock()
        self.assets = load_assets()
        self.templates = make_templates(self.assets, self.version)

    def render(self, template: str, **context: Any) -> bytes:
        """A template rendered as UTF-8."""
        return self.templates.get_template(template).render(**context).encode("utf-8")

    def close(self) -> None:
        """Close the database connections."""
        self.db.close()

    # -- reads --------------------------------------------------------------------

    def story_stamp(self, story_id: str) -> tuple[object, ...]:
        """The story's freshness stamp; 404 if there is no such story."""
        stamp = queries.story_stamp(self.db.conn(), story_id)
        if stamp is None:
            raise HTTPException(404, f"no story {story_id!r}")
        return stamp

    def store_stamp(self) -> tuple[object, ...]:
        """The whole store's freshness stamp."""
        return queries.store_stamp(self.db.conn())

    def stories(self, words: list[str], limit: int, offset: int) -> StoryList:
        """A page of stories, newest activity first, those matching every word if any."""
        store = self.db.store()
        if not words:
            rows = store.stories(limit, offset)
            total = self.count_stories()
        else:
            ids, total = queries.search_stories(self.db.conn(), words, limit, offset)
            rows = [row for row in map(store.story, ids) if row is not None]
        details = queries.list_details(self.db.conn(), [row.id for row in rows])
        return StoryList(tuple(rows), total, limit, offset, details)

    def count_stories(self) -> int:
        """How many stories there are, counted again only when the library has changed."""
        # Counting a hundred thousand stories costs more than the rest of a list page.
        stamp = self.store_stamp()
        with self._count_lock:
            if self._count is not None and self._count[0] == stamp:
                return self._count[1]
        total = queries.count_stories(self.db.conn())
        with self._count_lock:
            self._count = (stamp, total)
        return total

    def details(self, story_id: str) -> queries.ListDetails | None:
        """The lede, outlets and latest brief time of one story."""
        return queries.list_details(self.db.conn(), [story_id]).get(story_id)

    def story(self, story_id: str) -> StoryRow:
        """One story; 404 if there is none."""
        row = self.db.store().story(story_id)
        if row is None:
            raise HTTPException(404, f"no story {story_id!r}")
        return row

    def versions(self, story_id: str) -> list[StoredBrief]:
        """Every stored version of the story's brief, oldest first."""
        return self.db.store().story_briefs(story_id)

    @staticmethod
    def pick(stored: list[StoredBrief], story_id: str, version: int | None) -> StoredBrief | None:
        """The version asked for (the latest if None); None if the story has no brief yet."""
        if not stored:
            if version is not None:
                raise HTTPException(404, f"story {story_id!r} has no brief yet")
            return None
        if version is None:
            return stored[-1]
        for b in stored:
            if b.version == version:
                return b
        raise HTTPException(
            404, f"story {story_id!r} has no version {version} (versions 1 to {len(stored)})"
        )

    def story_reports(self, story_id: str) -> list[Report]:
        """The story's reports by publication time."""
        return self.db.store().story_reports(story_id)

    def report(self, report_id: str) -> Report:
        """One report; 404 if there is none."""
        report = self.db.store().get_report(report_id)
        if report is None:
            raise HTTPException(404, f"no report {report_id!r}")
        return report

    def story_of(self, report_id: str) -> str | None:
        """The id of the story the report is in, if any."""
        return self.db.store().story_ids_of([report_id]).get(report_id)

    def story_page(self, story_id: str, version: int | None) -> views.StoryPage:
        """Everything the story page shows, for the latest brief or version N."""
        row = self.story(story_id)
        stored = self.versions(story_id)
        chosen = self.pick(stored, story_id, version)
        brief = None if chosen is None else parse_brief(chosen.body_json, story_id, chosen.version)
        reports = self.story_reports(story_id)
        by_id = {r.id: r for r in reports}
        named = {
            str(i)
            for b in stored
            for key in ("reports_added", "reports_removed")
            for i in (b.changes or {}).get(key, [])
        }
        missing = [i for i in named if i not in by_id]
        if missing:  # reports that left the story: still named in its history
            by_id.update((r.id, r) for r in self.db.store().reports(missing))
        return views.StoryPage(
            story=views.story_item(row, self.details(story_id)),
            brief=None if brief is None else views.brief_view(brief, views.sentence_since(stored)),
            version=None if chosen is None else chosen.version,
            latest_version=stored[-1].version if stored else None,
            timeline=views.timeline(reports, brief),
            versions=views.versions(stored, None if chosen is None else chosen.version, by_id),
        )

    def first_brief_times(self, story_ids: list[str]) -> dict[str, datetime]:
        """When the first version of each of these stories' briefs was made."""
        return queries.first_brief_times(self.db.conn(), story_ids)

    def first_day(self) -> date:
        """The day the library's first story was started (today if it has none): feed ids."""
        return queries.first_story_day(self.db.conn()) or datetime.now(UTC).date()

    def latest_briefs(self, story_ids: list[str]) -> dict[str, queries.LatestBrief]:
        """The newest brief of each of these stories that has one."""
        return queries.latest_briefs(self.db.conn(), story_ids)


def reader_of(request: Request) -> Reader:
    """The reader of the app answering this request."""
    return request.app.state.reader
