"""The main job, end to end: read reports, store them, brief them, store the brief."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import as_file, files
from pathlib import Path

from newsweave.claims import analyse
from newsweave.compose import compose
from newsweave.config import Settings
from newsweave.errors import ComposeError
from newsweave.records import Brief, LoadResult, Problem, Report
from newsweave.sources.files import load_paths
from newsweave.text.embed import Embedder, make_embedder
from newsweave.verify_story import brief_verifier


@dataclass(frozen=True)
class BriefRun:
    """What one run made: the brief, the inputs it skipped, and the stored brief's id."""

    brief: Brief
    problems: tuple[Problem, ...]
    brief_id: int | None = None


def make_brief(
    reports: Sequence[Report],
    settings: Settings,
    embedder: Embedder | None = None,
    now: datetime | None = None,
) -> Brief:
    """One brief from the reports of one event."""
    if not reports:
        raise ComposeError("no reports to brief")
    embedder = embedder or make_embedder(settings.embedder)
    verifier = brief_verifier(embedder) if settings.verify else None
    return compose(analyse(reports, embedder), settings, now=now, verifier=verifier)


def load_readable(paths: Sequence[Path | str]) -> LoadResult:
    """Reports from files and folders; ComposeError when not one of them could be read."""
    loaded = load_paths(paths)
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
    loaded = load_readable(paths)
    if not store:
        return BriefRun(make_brief(loaded.reports, settings, embedder), loaded.problems)
    from newsweave.render.jsonout import render_json
    from newsweave.store import Store

    with Store.open(settings.db_path) as db:
        added = db.add_reports(loaded.reports)
        # A report stored earlier (same URL, or same outlet and text) is briefed as stored.
        reports = db.reports(list(dict.fromkeys(added.stored_ids)))
        brief = make_brief(reports, settings, embedder)
        brief_id = db.save_brief(brief, render_json(brief))
    return BriefRun(brief, loaded.problems, brief_id)


def brief_demo(settings: Settings, *, store: bool = True) -> BriefRun:
    """Brief the demo reports that ship with newsweave."""
    with as_file(files("newsweave") / "demo") as folder:
        return brief_paths([Path(folder)], settings, store=store)
