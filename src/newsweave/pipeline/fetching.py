"""Fetch every due source (newsweave.ingest.fetch), then file the new reports into stories.

`fetch` is one round, as `newsweave fetch` runs it; `watch` runs rounds until stopped. A
worker fetches and files in separate jobs instead (newsweave.pipeline.worker).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from newsweave.config import Settings
from newsweave.errors import StoreError
from newsweave.ingest.fetch import SourceOutcome, Waiting, fetch_reports
from newsweave.ingest.guard import Guard
from newsweave.ingest.http import FetchSettings
from newsweave.records import Problem
from newsweave.storage.store import Store


@dataclass(frozen=True)
class FetchRun:
    """What one fetch did: every source's outcome, and the stories it started or grew."""

    outcomes: tuple[SourceOutcome, ...]
    stories_new: tuple[str, ...] = ()
    stories_updated: tuple[str, ...] = ()
    briefs_made: int = 0
    story_failures: tuple[str, ...] = ()
    # After the run: sources waiting out a backoff (failed this run or before), and when the
    # next source of all is due; what the command line says when nothing was fetched.
    waiting: tuple[Waiting, ...] = ()
    next_due: datetime | None = None
    followed: int = 0  # sources followed in all

    @property
    def new_reports(self) -> tuple[str, ...]:
        """Ids of every report this run stored."""
        return tuple(r for o in self.outcomes for r in o.new_reports)

    @property
    def failed(self) -> tuple[SourceOutcome, ...]:
        """Outcomes of the sources that failed."""
        return tuple(o for o in self.outcomes if not o.ok)

    def refused_hosts(self) -> tuple[str, ...]:
        """The refused hosts, if every failure (this run's, and of those backing off) is one."""
        failures = {o.url: o.error or "" for o in self.failed}
        failures.update({w.url: w.last_error or "" for w in self.waiting})
        if not failures or not all(e.startswith("refused:") for e in failures.values()):
            return ()
        return tuple(sorted({urlsplit(url).hostname or url for url in failures}))

    def to_json(self) -> dict[str, Any]:
        """The run as JSON (`fetch --format json`, one line per round of `watch`)."""

        def when(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "sources": {
                "followed": self.followed,
                "fetched": len(self.outcomes),
                "ok": len(self.outcomes) - len(self.failed),
                "failed": len(self.failed),
            },
            "outcomes": [
                {
                    "source_id": o.source_id,
                    "url": o.url,
                    "ok": o.ok,
                    "not_modified": o.not_modified,
                    "new_reports": list(o.new_reports),
                    "error": o.error,
                    "problems": list(o.problems),
                }
                for o in self.outcomes
            ],
            "reports_new": list(self.new_reports),
            "stories_new": list(self.stories_new),
            "stories_updated": list(self.stories_updated),
            "briefs_made": self.briefs_made,
            "story_failures": list(self.story_failures),
            "waiting": [
                {
                    "source_id": w.source_id,
                    "url": w.url,
                    "failures": w.failures,
                    "last_error": w.last_error,
                    "next_due": when(w.next_due),
                }
                for w in self.waiting
            ],
            "next_due": when(self.next_due),
        }


def fetch(
    settings: Settings,
    fs: FetchSettings | None = None,
    *,
    every: bool = False,
    guard: Guard | None = None,
    now: datetime | None = None,
    on_source: Callable[[SourceOutcome], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    stories: bool = True,
    stop: threading.Event | None = None,
) -> FetchRun:
    """Fetch due sources (every source if every=True), then file new reports into stories."""
    fetched = fetch_reports(
        settings,
        fs,
        every=every,
        guard=guard,
        now=now,
        on_source=on_source,
        on_start=on_start,
        stop=stop,
    )
    outcomes = fetched.outcomes
    after = {"waiting": fetched.waiting, "next_due": fetched.next_due, "followed": fetched.followed}
    # A stopped run leaves filing to the next one, which files every unfiled report.
    if not stories or (stop is not None and stop.is_set()):
        return FetchRun(outcomes, **after)
    from newsweave.pipeline.library import update_stories

    try:
        filed = update_stories(settings)
    except StoreError:
        raise  # the database failed: nothing more can be recorded
    except Exception as exc:  # what was fetched stays stored; the next run files it
        reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        failed = (f"stories not filed or briefed: {reason}",)
        return FetchRun(outcomes, story_failures=failed, **after)
    why = _story_problems(settings, filed.failures, filed.set_aside)
    return FetchRun(
        outcomes,
        stories_new=filed.stories_new,
        stories_updated=filed.stories_updated,
        briefs_made=len(filed.briefs),
        story_failures=why,
        **after,
    )


def _story_problems(
    settings: Settings, failures: Sequence[Problem], set_aside: Sequence[Problem]
) -> tuple[str, ...]:
    """Why stories were not briefed and reports not filed; each also noted under its sources.

    `newsweave sources` then shows, under each source, what became of what it brought.
    """
    why: list[str] = []
    with Store.open(settings.database_url) as db:
        for failure in failures:
            note = f"story {failure.origin} not briefed: {failure.reason}"
            db.note_sources_of(db.story_report_ids(failure.origin), note)
            why.append(note)
        for aside in set_aside:
            note = f"report {aside.origin} {aside.reason}"
            db.note_sources_of([aside.origin], note)
            why.append(note)
    return tuple(why)


class StopSignal:
    """Set by SIGINT or SIGTERM, so a watch loop ends after the work in hand."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> None:
        """Route SIGINT and SIGTERM to this stop signal (main thread only)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.event.set())


def watch(
    settings: Settings,
    every: timedelta,
    stop: StopSignal,
    fs: FetchSettings | None = None,
    *,
    on_run: Callable[[FetchRun], None] | None = None,
    on_source: Callable[[SourceOutcome], None] | None = None,
) -> int:
    """Fetch, file and brief every `every` until stopped; return how many rounds ran."""
    fs = fs or FetchSettings(interval=every)
    rounds = 0
    while not stop.event.is_set():
        run = fetch(settings, fs, on_source=on_source, stop=stop.event)
        rounds += 1
        if on_run is not None:
            on_run(run)
        stop.event.wait(every.total_seconds())
    return rounds
