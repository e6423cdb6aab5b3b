"""What the reader's templates show, built from stored records.

The brief's own view is newsweave.render.view, shared with `newsweave brief --format html`.

Every string here is plain text from untrusted reports; the templates escape it (Jinja2
autoescape) and link a URL only when ``link`` says it is a plain http(s) address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsweave.records import Brief, Report
from newsweave.render.view import (  # the brief's view is shared with render/html.py
    BriefView,
    Cite,
    ConflictView,
    EvidenceView,
    ParagraphView,
    Segment,
    SentenceView,
    SideView,
    SourceView,
    When,
    age_text,
    brief_view,
    evidence_id,
    is_web_url,
    source_view,
)
from newsweave.storage import StoredBrief, StoryRow
from newsweave.web.queries import ListDetails

UNDATED = When("undated", "")

# How much of a report's opening the timeline shows.
LEAD_CHARS = 240


@dataclass(frozen=True)
class TimelineItem:
    """One report of the story: who published what, when."""

    report_id: str
    when: When
    outlet: str
    title: str
    lead: str
    url: str
    link: bool
    number: int | None  # its number in the brief shown, if cited there
    copy_of: int | None


@dataclass(frozen=True)
class VersionView:
    """One stored version of a story's brief and what it changed."""

    version: int
    created: When
    headline: str
    shown: bool
    reports_added: tuple[str, ...]
    reports_removed: tuple[str, ...]
    sentences_added: tuple[str, ...]
    sentences_removed: tuple[str, ...]


@dataclass(frozen=True)
class StoryItem:
    """One story in the list."""

    id: str
    title: str
    status: str
    report_count: int
    independent_sources: int | None
    conflicts: bool
    first: When
    last: When
    latest_version: int | None
    lede: str = ""  # the latest brief's first sentence, plain text
    outlets: tuple[str, ...] = ()
    updated: When = UNDATED  # the newest report or brief, whichever is later


@dataclass(frozen=True)
class StoryPage:
    """Everything the story page shows."""

    story: StoryItem
    brief: BriefView | None
    version: int | None  # the version shown
    latest_version: int | None
    timeline: tuple[TimelineItem, ...]
    versions: tuple[VersionView, ...]


def updated_at(row: StoryRow, brief_at: datetime | None) -> datetime | None:
    """When the story last changed: its newest report or its newest brief, the later."""
    moments = [m for m in (row.last_report_at, brief_at) if m is not None]
    return max(moments, default=None)


def story_item(
    row: StoryRow, details: ListDetails | None = None, now: datetime | None = None
) -> StoryItem:
    """A story of the list, with its lede, outlets and age when details are given."""
    brief_at = None if details is None else details.brief_at
    return StoryItem(
        id=row.id,
        title=row.title or "(untitled story)",
        status=row.status,
        report_count=row.report_count,
        independent_sources=row.independent_sources,
        conflicts=row.has_conflicts,
        first=When.of(row.first_published, now=now),
        last=When.of(row.last_published, now=now),
        latest_version=row.latest_version,
        lede="" if details is None else details.lede,
        outlets=() if details is None else details.outlets,
        updated=When.of(updated_at(row, brief_at), now=now),
    )


def lead(text: str, limit: int = LEAD_CHARS) -> str:
    """The opening of a report's text, cut at a word near the limit."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:—-– ") + "…"


def timeline(reports: Sequence[Report], brief: Brief | None) -> tuple[TimelineItem, ...]:
    """The story's reports in publication order, with their numbers in the brief shown."""
    numbers = {} if brief is None else {s.report_id: s for s in brief.sources}
    items = []
    for r in reports:
        source = numbers.get(r.id)
        items.append(
            TimelineItem(
                report_id=r.id,
                when=When.of(r.published),
                outlet=r.outlet or "Unknown outlet",
                title=r.title,
                lead=lead(r.text),
                url=r.url,
                link=is_web_url(r.url),
                number=None if source is None else source.number,
                copy_of=None if source is None else source.copy_of,
            )
        )
    return tuple(items)


def sentence_since(stored: Sequence[StoredBrief]) -> dict[str, int]:
    """For each sentence text, the version of the brief it last appeared in (was added)."""
    since: dict[str, int] = {}
    for b in stored:  # oldest first, so a sentence removed and added again counts from then
        for text in _texts((b.changes or {}).get("sentences_added")):
            since[text] = b.version or 0
    return since


def _described(ids: Sequence[Any], reports: Mapping[str, Report]) -> tuple[str, ...]:
    """Report ids as "Outlet: title", or the id when the report is not stored any more."""
    out = []
    for report_id in ids:
        report = reports.get(str(report_id))
        out.append(str(report_id) if report is None else f"{report.outlet}: {report.title}")
    return tuple(out)


def _texts(value: Any) -> tuple[str, ...]:
    """A stored list of strings, or () if it is not one."""
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def versions(
    stored: Sequence[StoredBrief], shown: int | None, reports: Mapping[str, Report]
) -> tuple[VersionView, ...]:
    """Every version of the story's brief, newest first, with what each changed."""
    out = []
    for b in reversed(stored):
        changes = b.changes or {}
        out.append(
            VersionView(
                version=b.version or 0,
                created=When.of(b.created_at),
                headline=b.headline,
                shown=b.version == shown,
                reports_added=_described(_texts(changes.get("reports_added")), reports),
                reports_removed=_described(_texts(changes.get("reports_removed")), reports),
                sentences_added=_texts(changes.get("sentences_added")),
                sentences_removed=_texts(changes.get("sentences_removed")),
            )
        )
    return tuple(out)


__all__ = [
    "BriefView",
    "Cite",
    "ConflictView",
    "EvidenceView",
    "ParagraphView",
    "Segment",
    "SentenceView",
    "SideView",
    "SourceView",
    "StoryItem",
    "StoryPage",
    "TimelineItem",
    "VersionView",
    "When",
    "age_text",
    "brief_view",
    "evidence_id",
    "lead",
    "sentence_since",
    "source_view",
    "story_item",
    "timeline",
    "updated_at",
    "versions",
]
