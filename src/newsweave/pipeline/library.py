"""The story library: ingest reports into lasting stories, each with versioned briefs.

Reading the library back (story lists, stored briefs) is newsweave.pipeline.listing's job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from newsweave.config import Settings
from newsweave.errors import ComposeError, StoreError
from newsweave.pipeline.briefing import load_readable, make_brief
from newsweave.records import Brief, Problem, Report
from newsweave.storage import MAX_FILING_ATTEMPTS, Assigned, Store, StoredBrief
from newsweave.storage.jobs import assigner_lock
from newsweave.stories.clustering import StoryIndex, StorySettings
from newsweave.text.embed import Embedder, make_embedder
from newsweave.writing.claims import publication_order
from newsweave.writing.writers.cache import WrittenCache


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
    cuts: tuple[Problem, ...] = ()  # reports stored but cut to the limits, and why
    set_aside: tuple[Problem, ...] = ()  # reports that failed to be filed twice (origin: id)


def _file_reports(
    store: Store, new: Sequence[Report], settings: StorySettings, embedder: Embedder
) -> tuple[list[str], list[Report]]:
    """The stored story id each new report goes to, and the stored reports the index was rebuilt on.

    The index is rebuilt from the stored open stories the new reports could join, then the new
    reports are added, all in one add_many call: embedders fitted per call (TF-IDF) give
    vectors of one size only within a call.
    """
    _, index_ids, mapping, stored = _open_index(store, new, settings, embedder, also=new)
    return [mapping.get(i, i) for i in index_ids[len(stored) :]], stored


def _open_index(
    store: Store,
    new: Sequence[Report],
    settings: StorySettings,
    embedder: Embedder,
    also: Sequence[Report] = (),
) -> tuple[StoryIndex, list[str], dict[str, str], list[Report]]:
    """A story index of the stored open stories the new reports could join, then `also` added.

    Returns the index; its story ids for the stored reports, then for `also`; the map from
    its story ids to the stored stories' ids; and the stored reports.
    """
    dated = [r.published for r in new if r.published is not None]
    # The index closes a story once the newest report is dormant_after past its last one,
    # so stories that old can no longer be joined by any of the new reports.
    since = min(dated) - settings.dormant_after if len(dated) == len(new) else None
    stored = store.open_story_reports(since)
    index = StoryIndex(settings, embedder)
    try:
        index_ids = index.add_many([*stored, *also])
    except ValueError as exc:
        raise ComposeError(f"cannot file reports into stories: {exc}") from exc
    stored_story = store.story_ids_of([r.id for r in stored])
    # The rebuilt index names a story after the first report it saw, which may differ from
    # the stored story's id (older reports were left out): map each to the stored story.
    mapping: dict[str, str] = {}
    for report, index_id in zip(stored, index_ids, strict=False):
        mapping.setdefault(index_id, stored_story[report.id])
    return index, index_ids, mapping, stored


def _story_embedder(settings: Settings) -> Embedder:
    """The embedder stories are tuned with (WordLlama), or TF-IDF if the user chose lexical."""
    name = "lexical" if settings.embedder == "lexical" else "wordllama"
    return make_embedder(name, settings.limits.embed_chars)


def _why(exc: BaseException) -> str:
    """A one-line reason for an exception."""
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class _Filing:
    """What filing did so far in one run."""

    new_stories: list[str] = field(default_factory=list)
    updated_stories: list[str] = field(default_factory=list)
    known: list[Report] = field(default_factory=list)  # the index's stored reports, and filed
    set_aside: list[Problem] = field(default_factory=list)

    def add(self, assigned: Assigned, reports: Sequence[Report]) -> None:
        """Count an assign call and the reports it concerned."""
        self.new_stories.extend(assigned.new_stories)
        self.updated_stories.extend(assigned.updated_stories)
        self.known.extend(reports)


def _file_batch(
    db: Store,
    reports: Sequence[Report],
    settings: StorySettings,
    embedder: Embedder,
    filing: _Filing,
) -> bool:
    """File reports together, the attempt recorded first; False (reason recorded) if it fails."""
    ids = [r.id for r in reports]
    db.start_filing(ids)
    try:
        story_ids, known = _file_reports(db, reports, settings, embedder)
    except StoreError:
        raise  # the database failed, not the reports: nothing to hold against them
    except Exception as exc:  # one bad report must not stop this run, nor any later one
        db.filing_failed(ids, _why(exc))
        return False
    assigned = db.assign([(r.id, s) for r, s in zip(reports, story_ids, strict=True)])
    filing.add(assigned, [*known, *reports])
    return True


def _file_alone(
    db: Store,
    reports: Sequence[Report],
    settings: StorySettings,
    embedder: Embedder,
    filing: _Filing,
) -> None:
    """File reports one at a time, each attempt recorded first; one that fails is set aside.

    These reports failed before (in a batch, or a run that died): alone, only a report that
    is itself the cause fails again. With a fixed vector space (WordLlama) they share one
    index; TF-IDF is refitted per call, so there each is filed by a rebuilt index.
    """
    shared: tuple[StoryIndex, dict[str, str]] | None = None
    for report in reports:
        db.start_filing([report.id])
        try:
            if embedder.name == "lexical":
                story_ids, known = _file_reports(db, [report], settings, embedder)
                story = story_ids[0]
                filing.known.extend(known)
            else:
                if shared is None:
                    index, _, mapping, known = _open_index(db, reports, settings, embedder)
                    shared = (index, mapping)
                    filing.known.extend(known)
                index_id = shared[0].add(report)
                story = shared[1].get(index_id, index_id)
        except StoreError:
            raise
        except Exception as exc:  # this report alone failed: set aside, never tried again
            reason = _why(exc)
            db.filing_failed([report.id], reason)
            filing.set_aside.append(Problem(report.id, f"not filed, set aside: {reason}"))
            continue
        filing.add(db.assign([(report.id, story)]), [report])


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


def ingest_json(run: IngestRun) -> dict[str, Any]:
    """What an ingest did, as JSON-ready data (`newsweave ingest --format json`)."""

    def problems(found: Sequence[Problem]) -> list[dict[str, str]]:
        return [{"origin": p.origin, "reason": p.reason} for p in found]

    return {
        "reports_new": list(run.reports_new),
        "reports_existing": list(run.reports_existing),
        "stories_new": list(run.stories_new),
        "stories_updated": list(run.stories_updated),
        "briefs": [
            {
                "story_id": b.story_id,
                "version": b.version,
                "headline": b.headline,
                "reports_added": list(b.reports_added),
            }
            for b in run.briefs
        ],
        "skipped": problems(run.problems),
        "changed": problems(run.cuts),
        "set_aside": problems(run.set_aside),
        "failures": problems(run.failures),
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
    loaded = load_readable(paths, settings.limits)
    with Store.open(settings.database_url) as db:
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
        cuts=loaded.cuts,
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
    with Store.open(settings.database_url) as db:
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


@dataclass(frozen=True)
class Filed:
    """What filing the unfiled reports did, briefing left to the caller (a worker's file job)."""

    unfiled: int  # reports that were waiting to be filed
    stories_new: tuple[str, ...]
    stories_updated: tuple[str, ...]
    stale: tuple[str, ...]  # stories touched whose latest brief no longer covers their reports
    set_aside: tuple[Problem, ...]


def story_embedder(settings: Settings) -> Embedder:
    """The embedder reports are filed into stories with (load once, pass to file_unfiled)."""
    return _story_embedder(settings)


def file_unfiled(
    db: Store,
    settings: Settings,
    story_settings: StorySettings | None = None,
    *,
    embedder: Embedder | None = None,
) -> Filed:
    """File every stored report not yet in a story, as the one assigner; brief nothing."""
    unfiled = db.unfiled_report_ids()
    stale: list[str] = []

    def later(_: Store, story_ids: Sequence[str]) -> Iterable[MadeBrief]:
        stale.extend(story_ids)  # the caller briefs them (a worker queues a job for each)
        return ()

    run = _file_and_brief(
        db,
        unfiled,
        (),
        settings,
        story_settings or StorySettings(),
        embedder=None,
        story_embedder=embedder,
        now=None,
        make_briefs=later,
    )
    return Filed(
        len(unfiled), run["stories_new"], run["stories_updated"], tuple(stale), run["set_aside"]
    )


def brief_story(
    db: Store,
    story_id: str,
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    now: datetime | None = None,
) -> StoryBriefMade | Problem | None:
    """Brief one story and save the version; None if its latest brief covers all its reports.

    A Problem says why no brief could be made. None also when another process saved a
    version while this one was briefing (it is not saved twice; a brief still missing
    reports is found stale again).
    """
    if not db.stale_stories([story_id]):
        return None
    versions = db.story_briefs(story_id)  # read first: the save checks nobody added one since
    previous = versions[-1] if versions else None
    reports = db.story_reports(story_id)
    embedder = embedder or make_embedder(settings.embedder, settings.limits.embed_chars)
    brief = brief_or_problem(story_id, reports, settings, embedder, now, db)
    if isinstance(brief, Problem):
        return brief
    return _save_version(db, story_id, reports, brief, previous)


# Files reports never tried before into stories: (store, reports in publication order, story
# settings, story embedder, what filing did so far) -> False if it failed (reason recorded).
FileFresh = Callable[[Store, Sequence[Report], StorySettings, Embedder, "_Filing"], bool]
# A stale story's id, the reports it was briefed from, and its new brief or why none was made.
MadeBrief = tuple[str, list[Report], Brief | Problem]
# Makes the briefs of stale stories: (store, story ids) -> one MadeBrief per story.
BriefMaker = Callable[[Store, Sequence[str]], Iterable[MadeBrief]]


def brief_or_problem(
    story_id: str,
    reports: Sequence[Report],
    settings: Settings,
    embedder: Embedder | None,
    now: datetime | None,
    cache: WrittenCache | None,
) -> Brief | Problem:
    """A story's brief, or the Problem (origin: story id) why none could be made.

    StoreError is raised: the database failed, not the story.
    """
    try:
        return make_brief(reports, settings, embedder, now=now, cache=cache)
    except ComposeError as exc:
        return Problem(story_id, str(exc))
    except StoreError:
        raise
    except Exception as exc:  # one story's failure must not stop the others, nor later runs
        return Problem(story_id, f"internal: {_why(exc)}")


def _briefs_here(settings: Settings, embedder: Embedder | None, now: datetime | None) -> BriefMaker:
    """A BriefMaker that briefs each story in turn in this process, the store as cache."""

    def make(db: Store, story_ids: Sequence[str]) -> Iterator[MadeBrief]:
        nonlocal embedder
        if story_ids and embedder is None:
            embedder = make_embedder(settings.embedder, settings.limits.embed_chars)
        for story_id in story_ids:
            reports = db.story_reports(story_id)
            yield (
                story_id,
                reports,
                brief_or_problem(story_id, reports, settings, embedder, now, db),
            )

    return make


def save_made_brief(
    db: Store, story_id: str, reports: Sequence[Report], brief: Brief
) -> StoryBriefMade | None:
    """Save a story's new brief version, with what it changes since the last one.

    None if another process (a worker) saved a version of these very reports meanwhile.
    """
    versions = db.story_briefs(story_id)
    return _save_version(db, story_id, reports, brief, versions[-1] if versions else None)


def _save_version(
    db: Store,
    story_id: str,
    reports: Sequence[Report],
    brief: Brief,
    previous: StoredBrief | None,
) -> StoryBriefMade | None:
    """Save the brief as the version after `previous`, unless that is no longer the latest or
    already covers these reports (another process briefed the story meanwhile): then None.
    """
    from newsweave.render.jsonout import render_json

    ids = [r.id for r in reports]
    if previous is not None and set((previous.changes or {}).get("reports", ())) == set(ids):
        return None
    changes = brief_changes(previous, brief, ids)
    after = 0 if previous is None or previous.version is None else previous.version
    version = db.save_story_brief(story_id, brief, render_json(brief), changes, only_after=after)
    if not version:
        return None
    return StoryBriefMade(story_id, version, brief.headline, tuple(changes["reports_added"]))


def _file_ids(
    db: Store,
    report_ids: Sequence[str],
    settings: Settings,
    story_settings: StorySettings,
    story_embedder: Embedder | None,
    file_fresh: FileFresh | None,
) -> _Filing:
    """File the given stored reports not yet in a story (the caller holds the assigner's lock).

    Which reports are in a story is read here, under the lock: another assigner may have
    filed some of them since they were listed.
    """
    in_story = db.story_ids_of(report_ids)
    by_id = {r.id: r for r in db.reports([i for i in report_ids if i not in in_story])}
    ordered = publication_order([by_id[i] for i in report_ids if i in by_id])
    attempts = db.filing_attempts([r.id for r in ordered])
    filing = _Filing()
    for report in ordered:
        if attempts.get(report.id, 0) >= MAX_FILING_ATTEMPTS:  # given again, named again
            filing.set_aside.append(Problem(report.id, "not filed, set aside by an earlier run"))
    ordered = [r for r in ordered if attempts.get(r.id, 0) < MAX_FILING_ATTEMPTS]
    fresh = [r for r in ordered if r.id not in attempts]
    again = [r for r in ordered if r.id in attempts]
    if ordered:
        story_embedder = story_embedder or _story_embedder(settings)
        file_fresh = file_fresh or _file_batch
        if fresh and not file_fresh(db, fresh, story_settings, story_embedder, filing):
            again = publication_order([*again, *fresh])
        _file_alone(db, again, story_settings, story_embedder, filing)
        dated = [r.published for r in [*filing.known, *ordered] if r.published is not None]
        if dated:
            db.mark_dormant(max(dated) - story_settings.dormant_after)
    return filing


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
    file_fresh: FileFresh | None = None,
    make_briefs: BriefMaker | None = None,
) -> dict[str, Any]:
    """File the given stored reports not yet in a story; brief every stale story touched.

    A report whose filing failed (or whose run died filing it) is filed alone next; failing
    alone, it is set aside, named, and not tried again: one bad report never stops a run.
    file_fresh files the reports never tried before (default: _file_batch, all at once) and
    make_briefs makes the stale stories' briefs (default: one after another, here): the
    backfill passes its own, which run on a Dask cluster.
    Returns the IngestRun fields about stories: stories_new, stories_updated, briefs,
    failures, set_aside.
    """
    # One assigner at a time in every process using the database (queue.assigner_lock): two
    # filing at once could each start a story for the same event.
    with assigner_lock(db):
        filing = _file_ids(db, report_ids, settings, story_settings, story_embedder, file_fresh)
    assigned_new = tuple(dict.fromkeys(filing.new_stories))
    assigned_updated = tuple(
        s for s in dict.fromkeys(filing.updated_stories) if s not in assigned_new
    )
    made: list[StoryBriefMade] = []
    failures: list[Problem] = []
    candidates = list(dict.fromkeys([*assigned_new, *assigned_updated, *also_check]))
    stale = db.stale_stories(candidates)
    if make_briefs is None:
        make_briefs = _briefs_here(settings, embedder, now)
    for story_id, reports, brief in make_briefs(db, stale):
        if isinstance(brief, Problem):
            failures.append(brief)
        elif (saved := save_made_brief(db, story_id, reports, brief)) is not None:
            made.append(saved)
    return {
        "stories_new": assigned_new,
        "stories_updated": assigned_updated,
        "briefs": tuple(made),
        "failures": tuple(failures),
        "set_aside": tuple(filing.set_aside),
    }
