"""The main job, end to end: read reports, store them, brief them, store the brief."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.resources import as_file, files
from pathlib import Path

from newsweave.config import Limits, Settings
from newsweave.errors import ComposeError
from newsweave.ids import content_hash
from newsweave.ingest.files import load_paths
from newsweave.records import Brief, LoadResult, Problem, Report
from newsweave.text.embed import Embedder, make_embedder
from newsweave.verification.story import brief_verifier
from newsweave.writing.claims import analyse
from newsweave.writing.writers import write_brief
from newsweave.writing.writers.cache import WrittenCache


@dataclass(frozen=True)
class BriefRun:
    """What one run made: the brief, the inputs it skipped, and the stored brief's id."""

    brief: Brief
    problems: tuple[Problem, ...]
    brief_id: int | None = None
    cuts: tuple[Problem, ...] = ()  # reports briefed but cut to the limits, and why


def make_brief(
    reports: Sequence[Report],
    settings: Settings,
    embedder: Embedder | None = None,
    now: datetime | None = None,
    *,
    cache: WrittenCache | None = None,
) -> Brief:
    """One brief from the reports of one event; past reports_per_brief, from a chosen few.

    settings.writer chooses the writer; cache keeps a model writer's answers (the store).
    """
    if not reports:
        raise ComposeError("no reports to brief")
    limit = settings.limits.reports_per_brief
    chosen = choose_reports(reports, limit)
    embedder = embedder or make_embedder(settings.embedder, settings.limits.embed_chars)
    verifier = brief_verifier(embedder) if settings.verify else None
    analysis = analyse(chosen, embedder, limits=settings.limits)
    brief = write_brief(analysis, settings, now=now, verifier=verifier, cache=cache)
    if len(chosen) == len(reports):
        return brief
    note = (
        f"Briefed from {len(chosen):,} of {len(reports):,} reports, the limit per brief "
        f"being {limit:,}: the newest of each outlet in turn, repeated texts left out."
    )
    return replace(brief, notes=(*brief.notes, note))


def choose_reports(reports: Sequence[Report], limit: int) -> list[Report]:
    """At most limit reports, in their given order: repeated texts dropped, then the newest
    of each outlet in turn, so the brief hears from as many outlets as it can and is current.
    """
    if len(reports) <= limit:
        return list(reports)
    distinct: dict[str, int] = {}  # text hash -> index of its first report
    for index, report in enumerate(reports):
        distinct.setdefault(content_hash(report.text), index)
    undated = datetime.min.replace(tzinfo=UTC)
    newest_first = sorted(distinct.values(), key=lambda i: reports[i].published or undated)[::-1]
    rank: dict[int, int] = {}  # index -> how many newer reports its outlet has
    per_outlet: dict[str, int] = {}
    for index in newest_first:
        outlet = reports[index].outlet.casefold()
        rank[index] = per_outlet.get(outlet, 0)
        per_outlet[outlet] = rank[index] + 1
    # Round by round (each outlet's newest, then second newest, ...), newest first in a round.
    order = sorted(newest_first, key=rank.__getitem__)
    return [reports[i] for i in sorted(order[:limit])]


def load_readable(paths: Sequence[Path | str], limits: Limits | None = None) -> LoadResult:
    """Reports from files and folders; ComposeError when not one of them could be read."""
    loaded = load_paths(paths, limits)
    if not loaded.reports:
        reasons = "; ".join(str(p) for p in loaded.problems) or "no report files found"
        raise ComposeError(f"no readable reports in the inputs ({reasons})")
    return loaded


def brief_paths(
    paths: Sequence[Path | str],
    settings: Settings,
    *,
    store: bool = True,
    embedder: Embedder | None = None,
) -> BriefRun:
    """Read files and folders, store the reports, brief them and store the brief."""
    loaded = load_readable(paths, settings.limits)
    if not store:
        brief = make_brief(loaded.reports, settings, embedder)
        return BriefRun(brief, loaded.problems, cuts=loaded.cuts)
    from newsweave.render.jsonout import render_json
    from newsweave.storage.store import Store

    with Store.open(settings.database_url) as db:
        added = db.add_reports(loaded.reports)
        # A report stored earlier (same URL, or same outlet and text) is briefed as stored.
        reports = db.reports(list(dict.fromkeys(added.stored_ids)))
        brief = make_brief(reports, settings, embedder, cache=db)
        brief_id = db.save_brief(brief, render_json(brief))
    return BriefRun(brief, loaded.problems, brief_id, loaded.cuts)


def brief_demo(settings: Settings, *, store: bool = True) -> BriefRun:
    """Brief the demo reports that ship with newsweave."""
    with as_file(files("newsweave") / "demo") as folder:
        return brief_paths([Path(folder)], settings, store=store)
