"""The functions the package re-exports (newsweave.brief, newsweave.render), kept small."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from newsweave.config import Settings, load_settings
from newsweave.errors import InputError
from newsweave.records import Brief, Report


def brief(
    reports_or_paths: Iterable[Report | Path | str],
    settings: Settings | None = None,
    *,
    store: bool = False,
) -> Brief:
    """One brief from report files, folders and/or Report objects about one event.

    settings: load_settings() (config file, environment) when None. Nothing is written to the
    database unless store=True. An input that cannot be read raises InputError naming it and
    why; no readable report at all raises ComposeError.
    """
    from newsweave.ingest.files import load_paths
    from newsweave.pipeline.briefing import make_brief

    settings = settings if settings is not None else load_settings()
    items = list(reports_or_paths)
    reports = [item for item in items if isinstance(item, Report)]
    paths = [Path(item) for item in items if isinstance(item, str | Path)]
    strange = [item for item in items if not isinstance(item, Report | str | Path)]
    if strange:
        raise InputError(repr(strange[0])[:80], "not a path or a newsweave.Report")
    if paths:
        loaded = load_paths(paths, settings.limits)
        if loaded.problems:
            first = loaded.problems[0]
            raise InputError(first.origin, first.reason)
        reports.extend(loaded.reports)
    if not store:
        return make_brief(reports, settings)
    from newsweave.render.jsonout import render_json
    from newsweave.storage.store import Store

    with Store.open(settings.database_url) as db:
        added = db.add_reports(reports)
        stored = db.reports(list(dict.fromkeys(added.stored_ids)))
        made = make_brief(stored, settings, cache=db)
        db.save_brief(made, render_json(made))
    return made


def render(brief: Brief, format: str = "markdown") -> str:
    """The brief as "markdown" (or "md"), "json" (schema newsweave.brief/1) or "html"."""
    from newsweave.render import render_format

    return render_format(brief, format)


__all__ = ["brief", "render"]
