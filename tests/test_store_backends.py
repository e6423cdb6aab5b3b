"""The two backends (docs/store.md): the adapter, PostgreSQL end to end, export and import.

PostgreSQL runs for real: a throwaway server started by the pg_server fixture (conftest.py).
"""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from click.testing import CliRunner

from newsweave.choices import DATABASE_SCHEMES
from newsweave.cli import main
from newsweave.config import Settings, load_settings
from newsweave.errors import ConfigError, StoreError
from newsweave.render.jsonout import render_json
from newsweave.storage.database import (
    BACKENDS,
    POSTGRESQL,
    SQLITE,
    connect_read_only,
    parse_target,
)
from newsweave.storage.migrations import MIGRATIONS
from newsweave.storage.pgcompat import Row, to_psycopg
from newsweave.storage.store import Store
from newsweave.storage.transfer import export_library, import_library, unexported_tables
from newsweave.text.embed import Embedder, make_embedder

from .conftest import DEMO_DIR
from .test_store import KATHMANDU, make_brief, make_report, raw, table_rows
from .webdata import DEMO_STORY, NO_BRIEF_STORY, XSS_STORY, build_home, story_count

if TYPE_CHECKING:
    from .pgserver import PgServer

# -- the adapter ----------------------------------------------------------------------------


def test_backend_registry_and_the_accepted_schemes_agree() -> None:
    # The settings accept a database URL by DATABASE_SCHEMES (core); the store opens it by
    # BACKENDS: a backend added to one and not the other would fail only at first use.
    assert set(BACKENDS) == set(DATABASE_SCHEMES)


def test_placeholders_become_psycopg_ones_outside_quoted_text() -> None:
    sql = "SELECT '?', \"a?\" FROM t WHERE x = ? AND y LIKE '50%' AND z % 2 = ?"
    assert to_psycopg(sql) == (
        "SELECT '?', \"a?\" FROM t WHERE x = %s AND y LIKE '50%%' AND z %% 2 = %s"
    )
    assert to_psycopg("SELECT 'it''s ?' , ?") == "SELECT 'it''s ?' , %s"


def test_targets_path_sqlite_urls_and_postgresql(tmp_path: Path) -> None:
    assert parse_target(tmp_path / "a.db").path == tmp_path / "a.db"
    assert parse_target(str(tmp_path / "a.db")).backend == SQLITE
    assert parse_target("sqlite:///rel/a.db").path == Path("rel/a.db")
    assert parse_target(f"sqlite:///{tmp_path}/a.db").path == tmp_path / "a.db"  # four slashes
    secret = parse_target("postgresql://me:s3cret@db.example:5433/news?sslmode=require")
    assert secret.backend == POSTGRESQL and secret.url is not None and "s3cret" in secret.url
    assert "s3cret" not in secret.where + repr(secret)
    assert "me:***@db.example:5433/news" in secret.where
    query = parse_target("postgresql:///news?host=/run/pg&password=s3cret&sslmode=require")
    assert query.where == "postgresql:///news?host=/run/pg&password=***&sslmode=require"
    assert parse_target("postgres://db.example/news").backend == POSTGRESQL
    with pytest.raises(StoreError, match="unknown scheme 'mysql'"):
        parse_target("mysql://me:pw@h/db")
    with pytest.raises(StoreError, match="names no file"):
        parse_target("sqlite://")
    with pytest.raises(StoreError, match="no database given"):
        parse_target("  ")


def test_database_setting_from_environment_and_flag(tmp_path: Path) -> None:
    env = {"NEWSWEAVE_HOME": str(tmp_path)}
    assert load_settings(env).database_url == str(tmp_path / "newsweave.db")
    url = "postgresql://me:pw@127.0.0.1/news"
    from_env = load_settings({**env, "NEWSWEAVE_DATABASE_URL": url})
    assert from_env.database_url == url and "pw" not in repr(from_env)
    flag = load_settings({**env, "NEWSWEAVE_DATABASE_URL": url}, database="sqlite:///x.db")
    assert flag.database_url == "sqlite:///x.db"
    with pytest.raises(ConfigError, match="scheme 'mysql' is not one of"):
        load_settings({**env, "NEWSWEAVE_DATABASE_URL": "mysql://h/db"})
    bad = CliRunner().invoke(main, ["--database", "mongodb://h/x", "stories"])
    assert bad.exit_code == 1 and "scheme 'mongodb'" in bad.stderr


def test_rows_answer_to_names_and_positions() -> None:
    row = Row((1, "a", None), {"id": 0, "name": 1, "extra": 2})
    assert row["name"] == "a" and row[0] == 1 and tuple(row) == (1, "a", None)
    assert row.keys() == ["id", "name", "extra"] and len(row) == 3 and row[-1] is None
    with pytest.raises(IndexError, match="no column named 'nope'"):
        row["nope"]


def test_unreachable_postgresql_is_a_store_error() -> None:
    with socket.socket() as sock:  # a port nothing listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://postgres:hunter2@127.0.0.1:{port}/nothing"
    with pytest.raises(StoreError, match=r"cannot open database at .*127\.0\.0\.1") as caught:
        Store.open(url)
    assert "hunter2" not in str(caught.value)


# -- PostgreSQL specifics ---------------------------------------------------------------------


def test_postgresql_store_answers_like_sqlite(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        assert store.backend == POSTGRESQL and store.path is None
        assert store.migrations_applied() == [name for name, _ in MIGRATIONS]
        conn = store._conn
        # Session settings the store relies on: times without an offset are UTC.
        assert conn.execute("SHOW TimeZone").fetchone()[0] == "UTC"
        ids = [store.save_brief(make_brief([]), "{}") for _ in range(3)]
        assert ids == sorted(ids) and len(set(ids)) == 3
        # The one value SQLite keeps and PostgreSQL refuses (file and feed readers drop it).
        with pytest.raises(StoreError, match=r"cannot add reports .*NUL"):
            store.add_reports([make_report(1, text="a NUL \x00 in the text")])
        assert store.count_reports() == 0


def test_processes_opening_a_new_database_together_migrate_it_once(pg_url: str) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            barrier.wait(timeout=60)
            Store.open(pg_url).close()
        except BaseException as exc:  # collected: the test fails naming it
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with raw(pg_url) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert names == [name for name, _ in MIGRATIONS]


def test_writers_take_turns_on_postgresql(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        report = make_report(1)
        store.add_reports([report])
        store.assign([(report.id, "s-1")])
    brief = make_brief([report.id])
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def save_versions() -> None:
        try:
            with Store.open(pg_url) as mine:
                barrier.wait(timeout=60)
                for _ in range(5):
                    mine.save_story_brief("s-1", brief, render_json(brief), {})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save_versions) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with Store.open(pg_url) as store:
        # Each read of the last version and write of the next ran alone: no gap, no clash.
        assert [b.version for b in store.story_briefs("s-1")] == list(range(1, 16))


def test_reader_sessions_cannot_write(pg_url: str) -> None:
    Store.open(pg_url).close()
    conn = connect_read_only(parse_target(pg_url))
    try:
        assert conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 0
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TABLE intruder (x INTEGER)")
        with pytest.raises(StoreError, match="read-only"):
            conn.begin()
    finally:
        conn.close()


# -- export and import ------------------------------------------------------------------------


def fill(store: Store) -> None:
    """A library using every feature: reports, stories, brief versions, sources, fetch state."""
    reports = [
        make_report(n, published=datetime(2024, 5, 1 + n, 9, 0, tzinfo=KATHMANDU), title=f"Tï {n}")
        for n in range(6)
    ]
    store.add_reports(reports[:4])
    store.assign([(r.id, "s-a") for r in reports[2::-1]])  # joined in an order unlike ids
    brief = make_brief([r.id for r in reports[:3]])
    store.save_story_brief("s-a", brief, render_json(brief), {"reports": [reports[0].id]})
    store.save_story_brief("s-a", brief, render_json(brief), {"reports_added": ["x"]})
    store.save_brief(make_brief([reports[3].id]), '{"one-off": "ünïcode ✓ 100%"}')
    feed, _ = store.add_source("https://feeds.example/a.xml", title="A feed")
    page, _ = store.add_source("https://pages.example/b.html", kind="page")
    store.add_item(feed.id, "guid-2", reports[4], "feed")
    store.add_item(feed.id, "guid-1", reports[5], "summary")
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    store.record_fetch(
        feed.id, attempted=now, next_due=now + timedelta(hours=1), etag='"e1"', title="A"
    )
    store.record_fetch(page.id, attempted=now, next_due=now, error="timeout: slow")
    store.note_sources_of([reports[4].id], "a note")
    store.start_filing([reports[5].id])
    store.filing_failed([reports[5].id], "MemoryError")
    store.assign([(reports[3].id, "s-b")])
    store.mark_dormant(datetime(2024, 5, 5, tzinfo=UTC))
    store.save_written("v1", "model", "p1", '{"sentences": []}')


def exported(store: Store) -> str:
    """The store's export as text."""
    out = io.StringIO()
    export_library(store, out)
    return out.getvalue()


def library_view(store: Store) -> tuple[object, ...]:
    """What the library shows through the Store API (everything but row ids)."""
    return (
        store.stories(),
        [store.story_report_ids(s.id) for s in store.stories()],
        [store.story_briefs(s.id) for s in store.stories()],
        store.latest_briefs(),
        store.reports(),
        store.sources(),
        [sorted(store.seen_items(s.id)) for s in store.sources()],
        store.unfiled_report_ids(),
        store.set_aside_reports(),
        store.written("v1", "model", "p1"),
        store.open_story_ids(),
    )


@pytest.fixture
def sqlite_path(tmp_path: Path) -> str:
    """A new SQLite library's path."""
    return str(tmp_path / "lib" / "newsweave.db")


def test_sqlite_to_postgresql_and_back_loses_nothing(
    sqlite_path: str, pg_url: str, tmp_path: Path
) -> None:
    with Store.open(sqlite_path) as lite:
        fill(lite)
        first = exported(lite)
        view = library_view(lite)
    lines = first.splitlines()
    header, end = json.loads(lines[0]), json.loads(lines[-1])
    assert header["format"] == "newsweave-library" and header["version"] == 1
    assert header["migrations"] == [name for name, _ in MIGRATIONS]
    assert end["end"]["reports"] == 6 and end["end"]["briefs"] == 3
    assert end["end"]["source_items"] == 2 and end["end"]["filing_attempts"] == 1

    with Store.open(pg_url) as pg:
        done = import_library(pg, io.StringIO(first), "first.jsonl")
        assert done.rows == end["end"]
        assert exported(pg) == first
        assert library_view(pg) == view
        # New rows get ids past the imported ones.
        assert pg.save_brief(make_brief([]), "{}") == 4
        assert pg.add_source("https://third.example/")[0].id == 3
        second = exported(pg)

    back = str(tmp_path / "back" / "newsweave.db")
    with Store.open(back) as lite:
        import_library(lite, io.StringIO(second), "second.jsonl")
        assert exported(lite) == second


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_import_is_refused_whole(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue("sqlite_path" if backend == "sqlite" else "pg_url")
    source = str(tmp_path / "source.db")
    with Store.open(source) as lite:
        fill(lite)
        good = exported(lite)
    lines = good.splitlines(keepends=True)
    cut = "".join(lines[:-5])  # the end line and a few rows lost
    wrong = "".join(x for x in lines if '"table":"written_sentences"' not in x)  # a row lost
    newer = json.loads(lines[0])
    newer["migrations"].append("m999_future")
    older = json.loads(lines[0])
    older["migrations"].pop()
    with Store.open(url) as store:
        with pytest.raises(StoreError, match=r"no end line.*nothing imported"):
            import_library(store, io.StringIO(cut), "cut.jsonl")
        with pytest.raises(StoreError, match="counts 1 written_sentences rows, the file holds 0"):
            import_library(store, io.StringIO(wrong), "wrong.jsonl")
        with pytest.raises(StoreError, match=r"newer newsweave .*'m999_future'"):
            import_library(store, io.StringIO(json.dumps(newer) + "\n"), "newer.jsonl")
        with pytest.raises(StoreError, match="exported before migration"):
            import_library(store, io.StringIO(json.dumps(older) + "\n"), "older.jsonl")
        with pytest.raises(StoreError, match="not a newsweave export"):
            import_library(store, io.StringIO("id,title\n"), "table.csv")
        bad_row = good.replace('"table":"sources","row":{', '"table":"sources","row":{"x":1,', 1)
        with pytest.raises(StoreError, match=r"bad\.jsonl line \d+: sources columns"):
            import_library(store, io.StringIO(bad_row), "bad.jsonl")
        assert table_rows(url, "reports") == 0  # every refusal rolled back
        import_library(store, io.StringIO(good), "good.jsonl")
        with pytest.raises(StoreError, match=r"is not empty \(6 reports, .*import only into a new"):
            import_library(store, io.StringIO(good), "good.jsonl")


def test_every_table_is_exported_or_listed_as_derived(database_url: str) -> None:
    with Store.open(database_url) as store:
        assert unexported_tables(store) == []


def test_cli_migrate_export_import(tmp_path: Path, pg_url: str) -> None:
    runner = CliRunner()
    lite = str(tmp_path / "cli" / "newsweave.db")
    first = runner.invoke(main, ["--database", lite, "migrate"])
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[0] == f"applied {MIGRATIONS[0][0]}"
    again = runner.invoke(main, ["--database", lite, "migrate"])
    assert again.stdout == f"{lite}: up to date ({len(MIGRATIONS)} migrations, 0 applied now)\n"
    with Store.open(lite) as store:
        fill(store)
    dump = tmp_path / "out" / "library.jsonl"
    out = runner.invoke(main, ["--database", lite, "export", "--out", str(dump)])
    assert out.exit_code == 0, out.output
    assert "exported 6 reports" in out.stderr
    into = runner.invoke(main, ["--database", f"{pg_url}", "import", str(dump)])
    assert into.exit_code == 0, into.output
    assert into.stdout.startswith("imported 6 reports, 2 stories")
    refused = runner.invoke(main, ["--database", pg_url, "import", str(dump)])
    assert refused.exit_code == 1 and "is not empty" in refused.stderr
    echoed = runner.invoke(main, ["--database", pg_url, "export"])
    assert echoed.exit_code == 0 and echoed.stdout == dump.read_text(encoding="utf-8")
    missing = runner.invoke(main, ["--database", lite, "import", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 1 and "nope.jsonl" in missing.stderr


# -- the command line and the reader on PostgreSQL --------------------------------------------


@pytest.fixture(scope="module")
def story_embedder() -> Embedder:
    """The embedder stories are filed with."""
    return make_embedder("wordllama")


def test_cli_ingest_stories_and_brief_on_postgresql(pg_url: str) -> None:
    env = {"NEWSWEAVE_DATABASE_URL": pg_url}
    runner = CliRunner()
    done = runner.invoke(main, ["ingest", "--threshold", "0.34", str(DEMO_DIR)], env=env)
    assert done.exit_code == 0, done.output
    assert "reports: 5 new" in done.stdout and "briefs made: 1" in done.stdout
    listed = runner.invoke(main, ["stories", "--format", "json"], env=env)
    assert listed.exit_code == 0, listed.output
    [story] = json.loads(listed.stdout)["stories"]
    assert story["id"] == DEMO_STORY and len(story["reports"]) == 5
    brief = runner.invoke(main, ["brief", "--story", DEMO_STORY], env=env)
    assert brief.exit_code == 0, brief.output
    assert "Dushanbe" in brief.stdout and "5. Pamir Evening Standard" in brief.stdout
    with Store.open(pg_url) as store:
        assert store.count_reports() == 5 and store.story_briefs(DEMO_STORY)[0].version == 1


@pytest.fixture(scope="module")
def pg_library(
    pg_server: PgServer,
    tmp_path_factory: pytest.TempPathFactory,
    embedder: Embedder,
    story_embedder: Embedder,
) -> Iterator[Settings]:
    """The reader tests' stories (tests/webdata.py), stored on PostgreSQL."""
    url = pg_server.create_database()
    home = tmp_path_factory.mktemp("pgweb") / "home"
    yield build_home(home, embedder, story_embedder, database=url)
    pg_server.drop_database(url)


def test_reader_pages_and_api_on_postgresql(pg_library: Settings) -> None:
    from fastapi.testclient import TestClient

    from newsweave.web import create_app

    assert not pg_library.db_path.exists()  # nothing went to the SQLite file
    with TestClient(create_app(pg_library)) as client:
        body = client.get("/api/stories").json()
        assert body["total"] == story_count()
        assert [s["id"] for s in body["stories"][:3]] == [DEMO_STORY, XSS_STORY, NO_BRIEF_STORY]
        demo = body["stories"][0]
        assert (demo["report_count"], demo["latest_version"], demo["conflicts"]) == (5, 2, True)
        found = client.get("/api/stories", params={"q": "bishkek  MINISTERS"}).json()
        assert [s["id"] for s in found["stories"]] == [DEMO_STORY]
        assert client.get("/api/stories", params={"q": "%"}).json()["total"] == story_count()
        brief = client.get(f"/api/stories/{DEMO_STORY}/brief")
        assert brief.status_code == 200 and len(brief.json()["sources"]) == 5
        again = client.get(
            f"/api/stories/{DEMO_STORY}/brief", headers={"If-None-Match": brief.headers["etag"]}
        )
        assert again.status_code == 304
        page = client.get(f"/stories/{DEMO_STORY}")
        assert page.status_code == 200 and "Bishkek" in page.text
        home = client.get("/")
        assert home.status_code == 200 and "Archive item" in home.text
        reader = client.app.state.reader  # type: ignore[attr-defined]
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            reader.db.conn().execute("CREATE TABLE intruder (x INTEGER)")
