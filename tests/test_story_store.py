"""Stories in the store and the library: migration m003, assignments, brief versions, the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from newsweave.cli import EXIT_SKIPPED, main
from newsweave.config import Settings
from newsweave.errors import StoreError
from newsweave.pipeline.library import IngestRun, ingest
from newsweave.pipeline.listing import stories_json, story_brief
from newsweave.records import Report
from newsweave.render.jsonout import render_json
from newsweave.storage import store as store_module
from newsweave.storage.migrations import MIGRATIONS
from newsweave.storage.store import Store
from newsweave.stories.clustering import StorySettings
from newsweave.text.embed import Embedder, make_embedder

from .conftest import DEMO_DIR
from .test_store import make_brief, make_report, raw, table_names, table_rows

# The default threshold (the best sum over both dev sets) splits the five demo reports; the
# ECB+ dev optimum (docs/stories.md) keeps them in one story, as these tests need.
DEMO_THRESHOLD = 0.34
STORY = StorySettings(threshold=DEMO_THRESHOLD)
WIRE_ID = "b01190419ee516b3"  # Silk Road Wire Service, the earliest demo report
DEMO_STORY = "s-" + WIRE_ID


@pytest.fixture(scope="session")
def story_embedder() -> Embedder:
    """The embedder stories are filed with, loaded once."""
    return make_embedder("wordllama")


@pytest.fixture
def halves(tmp_path: Path) -> tuple[Path, Path]:
    """The demo reports split in two folders: those of June 3, and those of June 5."""
    first, second = tmp_path / "june3", tmp_path / "june5"
    first.mkdir()
    second.mkdir()
    for path in sorted(DEMO_DIR.glob("*.txt")):
        shutil.copy(path, first if path.name[:2] in {"01", "02", "03"} else second)
    return first, second


@pytest.fixture
def db(database_url: str) -> str:
    """A new database on each backend: an SQLite path or a PostgreSQL URL."""
    return database_url


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    """An open store, closed after the test."""
    with Store.open(db) as opened:
        yield opened


@pytest.fixture
def library(settings: Settings, database_url: str) -> Settings:
    """The test's settings with its library on each backend."""
    return settings.with_(database=database_url)


def dated(n: int, day: int, **fields: Any) -> Report:
    """A report published on day `day` of May 2024."""
    return make_report(n, published=datetime(2024, 5, day, 9, 0, tzinfo=UTC), **fields)


def run_ingest(
    paths: list[Path], settings: Settings, embedder: Embedder, story_embedder: Embedder
) -> IngestRun:
    """Ingest with the demo threshold and the session's embedders."""
    return ingest(paths, settings, STORY, embedder=embedder, story_embedder=story_embedder)


# -- migration ------------------------------------------------------------------------


def test_m003_applies_to_a_database_made_before_it(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = make_report(1)
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:2])
        with Store.open(db) as old:
            old.add_reports([report])
            assert old.migrations_applied() == ["m001_reports", "m002_briefs"]
    # A brief as the m002 schema stored it (today's save_brief writes the m003 columns).
    with raw(db) as conn:
        conn.begin()
        brief_id = conn.execute(
            "INSERT INTO briefs (created_at, headline, body_json) VALUES (?, ?, ?) RETURNING id",
            ("2024-05-01T12:00:00+00:00", "Old brief", '{"a": 1}'),
        ).fetchone()[0]
        conn.execute("INSERT INTO brief_sources VALUES (?, 1, ?)", (brief_id, report.id))
        conn.commit()
    with Store.open(db) as store:
        applied = store.migrations_applied()
        assert applied[:3] == ["m001_reports", "m002_briefs", "m003_stories"]
        old_brief = store.get_brief(brief_id)
        assert old_brief is not None
        assert (old_brief.story_id, old_brief.version, old_brief.changes) == (None, None, None)
        assert old_brief.body_json == '{"a": 1}'
        # The old report can be filed into a story and the old brief is untouched.
        store.assign([(report.id, "s-" + report.id)])
        assert store.story_report_ids("s-" + report.id) == [report.id]
    with raw(db) as conn:
        cursor = conn.execute("SELECT * FROM briefs LIMIT 0")
        columns = {column[0] for column in cursor.description}  # type: ignore[attr-defined]
        tables = table_names(conn)
    assert {"story_id", "version", "changes"} <= columns
    assert {"stories", "story_reports"} <= tables


# -- assignments ----------------------------------------------------------------------


def test_assign_starts_stories_and_is_idempotent(store: Store) -> None:
    a, b, c = dated(1, 1, title="Bridge reopens"), dated(2, 3), dated(3, 2)
    store.add_reports([a, b, c])
    first = store.assign([(a.id, "s-a"), (b.id, "s-a")])
    assert first.new_stories == ("s-a",) and first.updated_stories == ()
    assert first.added == ((a.id, "s-a"), (b.id, "s-a"))
    again = store.assign([(a.id, "s-a"), (b.id, "s-a"), (c.id, "s-a")])
    assert again.new_stories == () and again.updated_stories == ("s-a",)
    assert again.added == ((c.id, "s-a"),)
    assert store.story_report_ids("s-a") == [a.id, b.id, c.id]
    assert [r.id for r in store.story_reports("s-a")] == [a.id, c.id, b.id]  # by time
    row = store.story("s-a")
    assert row is not None
    assert row.title == "Bridge reopens"  # the first report's, until a brief is stored
    assert row.report_count == 3 and row.status == "open"
    assert row.first_published == a.published and row.last_published == b.published
    assert row.last_report_at == b.published
    assert row.latest_version is None and row.independent_sources is None
    assert not row.has_conflicts
    assert store.story_ids_of([a.id, "nope"]) == {a.id: "s-a"}


def test_assign_writes_all_or_nothing(store: Store, db: str) -> None:
    a, b = make_report(1), make_report(2)
    store.add_reports([a, b])
    store.assign([(a.id, "s-a")])
    with pytest.raises(StoreError, match="already in story s-a"):
        store.assign([(b.id, "s-b"), (a.id, "s-b")])
    with pytest.raises(StoreError, match="no such report"):
        store.assign([(b.id, "s-b"), ("ghost", "s-b")])
    assert store.story("s-b") is None
    assert store.story_report_ids("s-b") == []
    assert table_rows(db, "story_reports") == 1


def test_open_story_reports_and_dormancy(store: Store) -> None:
    old, recent, newer = dated(1, 1), dated(2, 10), dated(3, 11)
    store.add_reports([old, recent, newer])
    store.assign([(old.id, "s-old"), (newer.id, "s-new"), (recent.id, "s-new")])
    assert [r.id for r in store.open_story_reports()] == [old.id, recent.id, newer.id]
    since = datetime(2024, 5, 5, tzinfo=UTC)
    assert [r.id for r in store.open_story_reports(since)] == [recent.id, newer.id]
    assert store.mark_dormant(datetime(2024, 5, 8, tzinfo=UTC)) == ["s-old"]
    assert store.story("s-old").status == "dormant"  # type: ignore[union-attr]
    assert [r.id for r in store.open_story_reports()] == [recent.id, newer.id]
    # A report joining a dormant story opens it again.
    extra = dated(4, 2)
    store.add_reports([extra])
    store.assign([(extra.id, "s-old")])
    assert store.story("s-old").status == "open"  # type: ignore[union-attr]


def test_stories_list_newest_activity_first(store: Store) -> None:
    reports = [dated(n, day) for n, day in enumerate((1, 5, 3))]
    store.add_reports(reports)
    store.assign([(r.id, f"s-{n}") for n, r in enumerate(reports)])
    assert [s.id for s in store.stories()] == ["s-1", "s-2", "s-0"]
    assert [s.id for s in store.stories(limit=1, offset=1)] == ["s-2"]


# -- brief versions -------------------------------------------------------------------


def test_story_brief_versions(store: Store) -> None:
    a, b = make_report(1), make_report(2)
    store.add_reports([a, b])
    store.assign([(a.id, "s-a")])
    brief = make_brief([a.id])
    one = store.save_story_brief("s-a", brief, render_json(brief), {"reports_added": [a.id]})
    brief2 = make_brief([a.id, b.id])
    two = store.save_story_brief("s-a", brief2, render_json(brief2), {"reports_added": [b.id]})
    assert (one, two) == (1, 2)
    versions = store.story_briefs("s-a")
    assert [(v.version, v.story_id) for v in versions] == [(1, "s-a"), (2, "s-a")]
    assert versions[1].changes == {"reports_added": [b.id]}
    assert versions[1].report_ids == (a.id, b.id)
    row = store.story("s-a")
    assert row is not None and row.latest_version == 2 and row.title == "Something happened"
    assert store.story_briefs("s-none") == []
    with pytest.raises(StoreError, match="no such story"):
        store.save_story_brief("s-none", brief, render_json(brief), {})
    with pytest.raises(StoreError, match="not JSON"):
        store.save_story_brief("s-a", brief, "{oops", {})
    assert len(store.story_briefs("s-a")) == 2


def test_stale_stories_are_those_whose_latest_brief_lacks_a_report(store: Store) -> None:
    a, b, c = make_report(1), make_report(2), make_report(3)
    store.add_reports([a, b, c])
    store.assign([(a.id, "s-a"), (b.id, "s-b")])
    assert store.stale_stories(["s-a", "s-b", "s-none"]) == ["s-a", "s-b"]  # no brief yet
    for story, report in (("s-a", a), ("s-b", b)):
        brief = make_brief([report.id])
        store.save_story_brief(story, brief, render_json(brief), {"reports": [report.id]})
    assert store.stale_stories(["s-a", "s-b"]) == []
    store.assign([(c.id, "s-b")])  # s-b grows: its latest brief no longer covers it
    assert store.stale_stories(["s-a", "s-b"]) == ["s-b"]
    brief = make_brief([b.id, c.id])
    store.save_story_brief("s-b", brief, render_json(brief), {"reports": [b.id, c.id]})
    assert store.stale_stories(["s-b"]) == []


# -- the library ----------------------------------------------------------------------


def test_two_ingests_grow_one_story_with_two_versions(
    halves: tuple[Path, Path], library: Settings, embedder: Embedder, story_embedder: Embedder
) -> None:
    first, second = halves
    one = run_ingest([first], library, embedder, story_embedder)
    assert len(one.reports_new) == 3 and one.stories_new == (DEMO_STORY,)
    assert [(b.story_id, b.version) for b in one.briefs] == [(DEMO_STORY, 1)]

    # A second run opens the store afresh and rebuilds the index from it.
    two = run_ingest([second], library, embedder, story_embedder)
    assert len(two.reports_new) == 2 and two.stories_new == ()
    assert two.stories_updated == (DEMO_STORY,)
    assert [(b.story_id, b.version) for b in two.briefs] == [(DEMO_STORY, 2)]

    with Store.open(library.database_url) as db:
        assert db.count_reports() == 5
        assert len(db.story_report_ids(DEMO_STORY)) == 5
        versions = db.story_briefs(DEMO_STORY)
        row = db.story(DEMO_STORY)
    assert [v.version for v in versions] == [1, 2]
    added = set(versions[1].changes["reports_added"])  # type: ignore[index]
    assert added == set(two.reports_new) == set(two.briefs[0].reports_added)
    assert any("Dushanbe" in s for s in versions[1].changes["sentences_added"])  # type: ignore[index]
    assert versions[0].changes["previous_version"] is None  # type: ignore[index]
    assert versions[1].changes["previous_version"] == 1  # type: ignore[index]
    assert row is not None and row.report_count == 5 and row.has_conflicts
    assert row.independent_sources == 4

    # The same inputs again: nothing new, no duplicates, no new version.
    three = run_ingest([first, second], library, embedder, story_embedder)
    assert three.reports_new == () and len(three.reports_existing) == 5
    assert three.briefs == () and three.stories_new == three.stories_updated == ()
    with Store.open(library.database_url) as db:
        assert len(db.story_briefs(DEMO_STORY)) == 2
        assert len(db.stories()) == 1


def test_unrelated_reports_start_their_own_stories(
    tmp_path: Path, settings: Settings, embedder: Embedder, story_embedder: Embedder
) -> None:
    rows = [
        {
            "outlet": "Harbour Times",
            "url": "https://harbour.example/ferry",
            "title": "Ferry strike halts crossings to the islands",
            "published": "2024-05-01T08:00:00+00:00",
            "text": "Ferry crews walked out on Wednesday, halting all crossings to the islands. "
            "The union said the strike would last two days.",
        },
        {
            "outlet": "Valley Post",
            "url": "https://valley.example/orchard",
            "title": "Late frost damages apple orchards",
            "published": "2024-05-01T09:00:00+00:00",
            "text": "A late frost damaged apple blossom across the valley overnight. "
            "Growers said half of this year's crop could be lost.",
        },
    ]
    (tmp_path / "two.json").write_text(json.dumps(rows), encoding="utf-8")
    run = run_ingest([tmp_path / "two.json"], settings, embedder, story_embedder)
    assert len(run.stories_new) == 2 and len(run.briefs) == 2
    data = stories_json(settings)
    urls = sorted(r["url"] for s in data["stories"] for r in s["reports"])
    assert urls == ["https://harbour.example/ferry", "https://valley.example/orchard"]


def test_reports_stored_by_brief_are_filed_by_ingest(
    settings: Settings, embedder: Embedder, story_embedder: Embedder
) -> None:
    from newsweave.pipeline.briefing import brief_paths

    brief_paths([DEMO_DIR], settings, embedder=embedder)
    run = run_ingest([DEMO_DIR], settings, embedder, story_embedder)
    assert run.reports_new == () and len(run.reports_existing) == 5
    assert run.stories_new == (DEMO_STORY,) and len(run.briefs) == 1


def test_story_brief_reads_versions(
    halves: tuple[Path, Path], settings: Settings, embedder: Embedder, story_embedder: Embedder
) -> None:
    for half in halves:
        run_ingest([half], settings, embedder, story_embedder)
    assert len(story_brief(settings, DEMO_STORY).sources) == 5
    assert len(story_brief(settings, DEMO_STORY, 1).sources) == 3
    with pytest.raises(StoreError, match="no version 7"):
        story_brief(settings, DEMO_STORY, 7)
    with pytest.raises(StoreError, match="no story 's-nope'"):
        story_brief(settings, "s-nope")


# -- the command line -----------------------------------------------------------------


def cli(*args: str) -> Result:
    """Run newsweave in-process."""
    return CliRunner().invoke(main, list(args))


def test_cli_ingest_stories_and_brief_story(halves: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = halves
    threshold = str(DEMO_THRESHOLD)
    done = cli("ingest", "--threshold", threshold, str(first))
    assert done.exit_code == 0, done.output
    assert "reports: 3 new, 0 already stored; stories: 1 new, 0 updated; briefs made: 1" in (
        done.stdout
    )
    # The second ingest runs in its own process, reading what the first one stored.
    env = {**os.environ}
    script = Path(sys.executable).with_name("newsweave")
    second_run = subprocess.run(
        [str(script), "ingest", "--threshold", threshold, str(second)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second_run.returncode == 0, second_run.stderr
    assert "stories: 0 new, 1 updated; briefs made: 1" in second_run.stdout
    assert f"{DEMO_STORY} v2" in second_run.stdout

    listed = cli("stories", "--format", "json")
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert data["schema"] == "newsweave.stories/1"
    (story,) = data["stories"]
    assert story["id"] == DEMO_STORY and story["report_count"] == 5
    assert story["latest_version"] == 2 and story["conflicts"] is True
    assert len({r["id"] for r in story["reports"]}) == 5
    assert "https://pamirstandard.example/region/ministers-meet-border" in {
        r["url"] for r in story["reports"]
    }

    table = cli("stories")
    assert table.exit_code == 0
    header, row = table.stdout.splitlines()
    assert header.split()[:4] == ["id", "title", "reports", "outlets"]
    assert row.startswith(DEMO_STORY) and row.rstrip().endswith("yes")

    latest = cli("brief", "--story", DEMO_STORY)
    assert latest.exit_code == 0, latest.output
    assert "Dushanbe" in latest.stdout and "5. Pamir Evening Standard" in latest.stdout
    old = cli("brief", "--story", DEMO_STORY, "--brief-version", "1", "--format", "json")
    assert old.exit_code == 0
    assert len(json.loads(old.stdout)["sources"]) == 3
    out = tmp_path / "story.html"
    html = cli("brief", "--story", DEMO_STORY, "--format", "html", "--out", str(out))
    assert html.exit_code == 0 and "Dushanbe" in out.read_text(encoding="utf-8")


def test_cli_unknown_story_and_bad_usage() -> None:
    unknown = cli("brief", "--story", "s-nope")
    assert unknown.exit_code == 1
    assert "no story 's-nope'" in unknown.stderr
    assert cli("brief").exit_code == 2
    assert cli("brief", str(DEMO_DIR), "--story", "s-x").exit_code == 2
    assert cli("brief", str(DEMO_DIR), "--brief-version", "2").exit_code == 2
    empty = cli("stories")
    assert empty.exit_code == 0 and len(empty.stdout.splitlines()) == 1


def test_cli_ingest_skipped_inputs_exit_3(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(DEMO_DIR, folder)
    (folder / "empty.txt").write_bytes(b"")
    done = cli("ingest", str(folder))
    assert done.exit_code == EXIT_SKIPPED
    assert "empty.txt: empty file" in done.stderr
    assert "reports: 5 new" in done.stdout
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    (nothing / "empty.txt").write_bytes(b"")
    assert cli("ingest", str(nothing)).exit_code == 1


def test_ingest_after_a_long_gap_starts_a_new_story(
    library: Settings, embedder: Embedder, story_embedder: Embedder, tmp_path: Path
) -> None:
    run_ingest([DEMO_DIR], library, embedder, story_embedder)
    later = tmp_path / "later"
    later.mkdir()
    text = (DEMO_DIR / "05-indus-review.txt").read_text(encoding="utf-8")
    moved = text.replace(
        "url: https://indusreview.example/national/", "url: https://indusreview.example/later/"
    )
    moved = moved.replace("published: 2026-06-05", "published: 2026-07-05")
    moved = moved.replace("Thursday", "Friday")  # other words, so not the same stored text
    (later / "late.txt").write_text(moved, encoding="utf-8")
    run = run_ingest([later], library, embedder, story_embedder)
    assert len(run.stories_new) == 1 and run.stories_updated == ()
    with Store.open(library.database_url) as db:
        statuses = {s.id: s.status for s in db.stories()}
    assert statuses[DEMO_STORY] == "dormant"
    assert statuses[run.stories_new[0]] == "open"


def test_ingest_again_briefs_a_story_left_without_one(
    settings: Settings, embedder: Embedder, story_embedder: Embedder
) -> None:
    run_ingest([DEMO_DIR], settings, embedder, story_embedder)
    # As if the first run had stopped after filing the reports, before briefing the story.
    with Store.open(settings.database_url) as db:
        db._conn.execute("DELETE FROM briefs WHERE story_id = ?", (DEMO_STORY,))
    again = run_ingest([DEMO_DIR], settings, embedder, story_embedder)
    assert again.reports_new == () and again.stories_new == again.stories_updated == ()
    assert [(b.story_id, b.version) for b in again.briefs] == [(DEMO_STORY, 1)]
