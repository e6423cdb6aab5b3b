"""A small store for the reader's tests: the demo story in two versions, a hostile story, and more.

- DEMO_STORY: the five demo reports, ingested as June 3 (version 1) then June 5 (version 2);
- XSS_STORY: three reports whose titles, outlets, text and URLs carry script tags, event
  handlers and javascript: URLs, with a brief made from them;
- NO_BRIEF_STORY: one report and no brief;
- FILLER stories: old one-report stories without briefs, so the story list has two pages.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsweave.config import Settings
from newsweave.pipeline.briefing import make_brief
from newsweave.pipeline.library import brief_changes, ingest
from newsweave.records import Report
from newsweave.render.jsonout import render_json
from newsweave.storage.store import Store
from newsweave.stories.clustering import StorySettings
from newsweave.text.embed import Embedder

from .conftest import DEMO_DIR

DEMO_STORY = "s-b01190419ee516b3"
WIRE_REPORT = "b01190419ee516b3"  # Silk Road Wire Service, source [1] of the demo brief
XSS_STORY = "s-xss"
NO_BRIEF_STORY = "s-lonely"
FILLERS = 21
FILLER_PREFIX = "s-filler-"

# What the hostile reports try to run; the browser test checks that none of it ran.
XSS_TITLE = '<script>window.__xss="title"</script>Dam <img src=x onerror="window.__xss=1">'
XSS_OUTLET = 'Evil <b onmouseover="window.__xss=2">Outlet</b>'
XSS_URLS = (
    "javascript:window.__xss=3",
    " JaVaScRiPt:window.__xss=4",
    "data:text/html,<script>window.__xss=5</script>",
)
XSS_SENTENCE = 'Engineers said <script>window.__xss="text"</script> the dam wall held overnight.'


def _xss_reports() -> list[Report]:
    """Three reports of one event, each carrying hostile markup in every field."""
    when = datetime(2026, 5, 20, 8, 0, tzinfo=UTC)
    texts = (
        "Floodwater rose behind the Kestrel Valley dam on Monday after three days of rain, "
        "officials said. " + XSS_SENTENCE + " About 400 people were moved from villages "
        "below the dam as a precaution, the regional governor said.",
        "The Kestrel Valley dam held on Monday as floodwater rose after three days of rain, "
        'officials said. <a href="javascript:window.__xss=6">Residents</a> said about 400 '
        "people were moved from villages below the dam. "
        '"><svg onload="window.__xss=7"> The governor praised the emergency crews.',
        "About 400 people left villages below the Kestrel Valley dam on Monday as floodwater "
        "rose after days of rain, officials said. The dam wall held overnight, engineers "
        "said, and inspections will continue on Tuesday. <iframe src=javascript:alert(1)>",
    )
    return [
        Report(
            id=f"xss-{n}",
            outlet=XSS_OUTLET if n == 1 else f"Outlet {n} <script>window.__xss=8</script>",
            title=XSS_TITLE if n == 1 else f'Dam holds "><script>window.__xss=9</script> {n}',
            text=text,
            url=XSS_URLS[n - 1],
            published=when + timedelta(hours=n),
        )
        for n, text in enumerate(texts, start=1)
    ]


def _store_story(
    db: Store, story_id: str, reports: list[Report], settings: Settings, embedder: Embedder | None
) -> None:
    """Store reports as one story, with a brief unless embedder is None."""
    db.add_reports(reports)
    db.assign([(r.id, story_id) for r in reports])
    if embedder is None:
        return
    brief = make_brief(reports, settings, embedder)
    changes = brief_changes(None, brief, [r.id for r in reports])
    db.save_story_brief(story_id, brief, render_json(brief), changes)


def build_home(
    home: Path, embedder: Embedder, story_embedder: Embedder, database: str | None = None
) -> Settings:
    """Fill a library with the stories above (in home, or database); the settings for it."""
    settings = Settings(home=home, database=database)
    first, second = home.parent / f"{home.name}-june3", home.parent / f"{home.name}-june5"
    for folder in (first, second):
        folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(DEMO_DIR.glob("*.txt")):
        shutil.copy(path, first if path.name[:2] in {"01", "02", "03"} else second)
    story = StorySettings(threshold=0.34)  # keeps the five demo reports in one story
    for folder in (first, second):
        run = ingest([folder], settings, story, embedder=embedder, story_embedder=story_embedder)
        assert not run.problems and not run.failures
    with Store.open(settings.database_url) as db:
        _store_story(db, XSS_STORY, _xss_reports(), settings, embedder)
        lonely = Report(
            id="lonely-1",
            outlet="Harbour Gazette",
            title="Ferry timetable changes for the winter",
            text="The ferry company will run fewer crossings from November, it said.",
            url="https://harbour.example/ferry",
            published=datetime(2026, 4, 1, 9, 0, tzinfo=UTC),
        )
        _store_story(db, NO_BRIEF_STORY, [lonely], settings, None)
        for n in range(FILLERS):
            filler = Report(
                id=f"filler-{n}",
                outlet="Archive Weekly",
                title=f"Archive item {n}",
                text=f"An old item number {n} about nothing in particular.",
                url=f"https://archive.example/{n}",
                published=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=n),
            )
            _store_story(db, f"{FILLER_PREFIX}{n:02d}", [filler], settings, None)
    return settings


def story_count() -> int:
    """How many stories build_home stores."""
    return 3 + FILLERS
