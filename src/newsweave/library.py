"""The story library: ingest reports into lasting stories, each with versioned briefs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from newsweave.claims import publication_order
from newsweave.config import Settings
from newsweave.errors import ComposeError, StoreError
from newsweave.pipeline import load_readable, make_brief
from newsweave.records import Brief, Problem, Report
from newsweave.store import Store, StoredBrief, StoryRow
from newsweave.stories import StoryIndex, StorySettings
from newsweave.text.embed import Embedder, make_embedder

# Version of the JSON that `newsweave stories --format json` writes.
STORIES_SCHEMA = "newsweave.stories/1"


@dataclass(frozen=True)
class StoryBriefMade:
    """A brief version made for a story during an ingest."""

    story_id: str
    version: int
    headline: str
    reports_added: tuple[str, ...]


@dataclass(frozen=True)
class IngestRun:
    """What one ingest did: reports stored, stories started or grown, briefs made."""

    reports_new: tuple[str, ...]
    reports_existing: tuple[str, ...]
    stories_new: tuple[str, ...]
    stories_updated: tuple[str, ...]
    briefs: tuple[StoryBriefMade, ...]
    problems: tuple[Problem, ...]  # inputs skipped
    failures: tuple[Problem, ...] = ()  # stories whose brief could not be made (origin: story id)


def _file_reports(
    store: Store, new: Sequence[Report], settings: StorySettings, embedder: Embedder
) -> tuple[list[str], list[Report]]:
    """The stored story id each new report goes to, and the stored reports the index was rebuilt on.

    The index is rebuilt from the stored open stories the new reports could join, then the new
    reports are added, all in one add_many call: embedders fitted per call (TF-IDF) give
    vectors of one size only within a call.
    """
    dated = [r.published for r in new if r.published is not None]
    # The index closes a story once the newest report is dormant_after past its last one,
    # so stories that old can no longer be joined by any of the new reports.
    since = min(dated) - settings.dormant_after if len(dated) == len(new) else None
    stored = store.open_story_reports(since)
    try:
        index_ids = StoryIndex(settings, embedder).add_many([*stored, *new])
    except ValueError as exc:
        raise ComposeError(f"cannot file reports into stories: {exc}") from exc
    stored_story = store.story_ids_of([r.id for r in stored])
    # The rebuilt index names a story after the first report it saw, which may differ from
    # the stored story's id (older reports were left out): map each to the stored story.
    mapping: dict[str, str] = {}
    for report, index_id in zip(stored, index_ids, strict=False):
        mapping.setdefault(index_id, stored_story[report.id])
    return [mapping.get(i, i) for i in index_ids[len(stored) :]], stored


def _story_embedder(settings: Settings) -> Embedder:
    """The embedder stories are tuned with (WordLlama), or TF-IDF if the user chose lexical."""
    return make_embedder("lexical" if settings.embedder == "lexical" else "wordllama")


def _sentence_texts(brief: Brief) -> list[str]:
    """The brief's sentences, in reading order."""
    return [s.text for s in brief.sentences]


def brief_changes(
    previous: StoredBrief | None, brief: Brief, report_ids: Sequence[str]
) -> dict[str, Any]:
    """What a new version changes: reports added, sentences that appeared or disappeared."""
    if previous is None:
        before_reports: list[str] = []
        before_sentences: list[str] = []
    else:
        from newsweave.render.jsonout import brief_from_dict

        old_changes = previous.changes or {}
        before_reports = list(old_changes.get("reports", previous.report_ids))
        before_sentences = _sentence_texts(brief_from_dict(json.loads(previous.body_json)))
    now_sentences = _sentence_texts(brief)
    had = set(before_reports)
    return {
        "previous_version": None if previous is None else previous.version,
        "reports": list(report_ids),
        "reports_added": [r for r in report_ids if r not in had],
        "reports_removed": [r for r in before_reports if r not in set(report_ids)],
        "sentences_added": [s for s in now_sentences if s not in set(before_sentences)],
        "sentences_removed": [s for s in before_sentences if s not in set(now_sentences)],
    }


def ingest(
    paths: Sequence[Path | str],
    settings: Settings,
    story_settings: StorySettings | None = None,
    *,
    embedder: Embedder | None = None,
    story_embedder: Embedder | None = None,
    now: datetime | None = None,
) -> IngestRun:
    """Store the reports in paths, file each new one under a story, and re-brief grown stories."""
    loaded = load_readable(paths)
    with Store.open(settings.db_path) as db:
        added = db.add_reports(loaded.reports)
        stored_ids = list(dict.fromkeys(added.stored_ids))
        # Stories of inputs filed earlier are checked too: a run that stopped between filing
        # and briefing left them without a brief of all their reports.
        filed_before = list(db.story_ids_of(stored_ids).values())
        run = _file_and_brief(
            db,
            stored_ids,
            filed_before,
            settings,
            story_settings or StorySettings(),
            embedder=embedder,
            story_embedder=story_embedder,
            now=now,
        )
    return IngestRun(
        reports_new=added.added,
        reports_existing=added.existing,
        problems=loaded.problems,
        **run,
    )


def update_stories(
    settings: Settings,
    story_settings: StorySettings | None = None,
    *,
    embedder: Embedder | None = None,
    story_embedder: Embedder | None = None,
    now: datetime | None = None,
) -> IngestRun:
    """File every stored report not yet in a story, and re-brief the stories that grew."""
    with Store.open(settings.db_path) as db:
        unfiled = db.unfiled_report_ids()
        # Open stories are checked too, so a run killed between filing and briefing is
        # completed by the next one.
        open_stories = db.open_story_ids()
        run = _file_and_brief(
            db,
            unfiled,
            open_stories,
            settings,
            story_settings or StorySettings(),
            embedder=embedder,
            story_embedder=story_embedder,
            now=now,
        )
    return IngestRun(reports_new=(), reports_existing=(), problems=(), **run)


def _file_and_brief(
    db: Store,
    report_ids: Sequence[str],
    also_check: Sequence[str],
    settings: Settings,
    story_settings: StorySettings,
    *,
    embedder: Embedder | None,
    story_embedder: Embedder | None,
    now: datetime | None,
) -> dict[str, Any]:
    """File the given stored reports not yet in a story; brief every stale story touched.

    Returns the IngestRun fields about stories: stories_new, stories_updated, briefs, failures.
    """
    from newsweave.render.jsonout import render_json

    in_story = db.story_ids_of(report_ids)
    by_id = {r.id: r for r in db.reports([i for i in report_ids if i not in in_story])}
    ordered = publication_order([by_id[i] for i in report_ids if i in by_id])
    assigned_new: tuple[str, ...] = ()
    assigned_updated: tuple[str, ...] = ()
    if ordered:
        story_ids, known = _file_reports(
            db, ordered, story_settings, story_embedder or _story_embedder(settings)
        )
        assigned = db.assign([(r.id, s) for r, s in zip(ordered, story_ids, strict=True)])
        assigned_new, assigned_updated = assigned.new_stories, assigned.updated_stories
        dated = [r.published for r in [*known, *ordered] if r.published is not None]
        if dated:
            db.mark_dormant(max(dated) - story_settings.dormant_after)
    made: list[StoryBriefMade] = []
    failures: list[Problem] = []
    candidates = list(dict.fromkeys([*assigned_new, *assigned_updated, *also_check]))
    stale = db.stale_stories(candidates)
    if stale and embedder is None:
        embedder = make_embedder(settings.embedder)
    for story_id in stale:
        reports = db.story_reports(story_id)
        try:
            brief = make_brief(reports, settings, embedder, now=now)
        except ComposeError as exc:
            failures.append(Problem(story_id, str(exc)))
            continue
        versions = db.story_briefs(story_id)
        changes = brief_changes(versions[-1] if versions else None, brief, [r.id for r in reports])
        version = db.save_story_brief(story_id, brief, render_json(brief), changes)
        made.append(
            StoryBriefMade(story_id, version, brief.headline, tuple(changes["reports_added"]))
        )
    return {
        "stories_new": assigned_new,
        "stories_updated": assigned_updated,
        "briefs": tuple(made),
        "failures": tuple(failures),
    }


def list_stories(settings: Settings, limit: int = 50, offset: int = 0) -> list[StoryRow]:
    """Stories, newest activity first."""
    with Store.open(settings.db_path) as db:
        return db.stories(limit, offset)


def _when(moment: datetime | None) -> str | None:
    """ISO 8601 or None."""
    return None if moment is None else moment.isoformat()


def stories_json(settings: Settings, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Stories as JSON-ready data, each with the ids and URLs of its reports."""
    out = []
    with Store.open(settings.db_path) as db:
        for row in db.stories(limit, offset):
            reports = db.story_reports(row.id)
            out.append(
                {
                    "id": row.id,
                    "title": row.title,
                    "status": row.status,
                    "created_at": row.created_at.isoformat(),
                    "last_report_at": _when(row.last_report_at),
                    "first_published": _when(row.first_published),
                    "last_published": _when(row.last_published),
                    "report_count": row.report_count,
                    "independent_sources": row.independent_sources,
                    "conflicts": row.has_conflicts,
                    "latest_version": row.latest_version,
                    "reports": [
                        {
                            "id": r.id,
                            "url": r.url,
                            "outlet": r.outlet,
                            "title": r.title,
                            "published": _when(r.published),
                        }
                        for r in reports
                    ],
                }
            )
    return {"schema": STORIES_SCHEMA, "stories": out}


def story_brief(settings: Settings, story_id: str, version: int | None = None) -> Brief:
    """The latest stored brief of a story, or its version N; StoreError if there is none."""
    from newsweave.render.jsonout import brief_from_dict

    with Store.open(settings.db_path) as db:
        if db.story(story_id) is None:
            raise StoreError(f"no story {story_id!r} in database {db.path}")
        versions = db.story_briefs(story_id)
    if not versions:
        raise StoreError(f"story {story_id!r} has no brief yet")
    if version is None:
        chosen = versions[-1]
    else:
        found = [b for b in versions if b.version == version]
        if not found:
            raise StoreError(
                f"story {story_id!r} has no version {version} (versions 1 to {len(versions)})"
            )
        chosen = found[0]
    try:
        return brief_from_dict(json.loads(chosen.body_json))
    except ValueError as exc:
        raise StoreError(
            f"stored brief of story {story_id!r} version {chosen.version} is unreadable: {exc}"
        ) from exc
