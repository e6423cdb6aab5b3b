"""Tests of the store on SQLite and PostgreSQL: migrations, idempotent adds, transactions,
round-trips."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from newsweave.errors import StoreError
from newsweave.ids import report_id
from newsweave.records import Brief, BriefSentence, Report, Source
from newsweave.storage import migrations as migrations_module
from newsweave.storage import store as store_module
from newsweave.storage.database import (
    BUSY_TIMEOUT_MS,
    POSTGRESQL,
    Database,
    connect,
    parse_target,
)
from newsweave.storage.migrations import MIGRATIONS
from newsweave.storage.reports import AddResult
from newsweave.storage.store import Store

KATHMANDU = timezone(timedelta(hours=5, minutes=45))
NEW_YORK_WINTER = timezone(timedelta(hours=-5))


def make_report(n: int, text: str | None = None, url: str | None = None, **fields: Any) -> Report:
    """A report whose id derives from its URL, as the loaders make them."""
    url = f"https://example.org/story/{n}" if url is None else url
    text = f"Report number {n} says something different from the others." if text is None else text
    return Report(
        id=report_id(url, text),
        outlet=fields.pop("outlet", f"Outlet {n}"),
        title=fields.pop("title", f"Title {n}"),
        text=text,
        url=url,
        **fields,
    )


def make_brief(report_ids: list[str], created_at: datetime | None = None) -> Brief:
    """A minimal brief citing the given reports as sources 1..n."""
    sources = tuple(
        Source(
            number=n,
            report_id=rid,
            outlet=f"Outlet {n}",
            title=f"Title {n}",
            url="",
            published=None,
        )
        for n, rid in enumerate(report_ids, start=1)
    )
    lede = BriefSentence(text="Something happened.", citations=(1,), role="lede")
    return Brief(
        headline="Something happened",
        lede=lede,
        body=(),
        conflicts=(),
        analysis=(),
        sources=sources,
        created_at=created_at or datetime(2024, 5, 1, 12, 30, tzinfo=KATHMANDU),
    )


@pytest.fixture
def db(database_url: str) -> str:
    """A new database on each backend (an SQLite path in a folder that does not exist yet)."""
    return database_url


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Path:
    """An SQLite database path in a folder that does not exist yet."""
    return tmp_path / "nested" / "folder" / "newsweave.db"


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    """An open store, closed after the test."""
    with Store.open(db) as opened:
        yield opened


@contextmanager
def raw(db: str | Path) -> Iterator[Database]:
    """A separate connection that runs no migration, to see only what was committed."""
    conn = connect(parse_target(db))
    try:
        yield conn
    finally:
        conn.close()


def table_rows(db: str | Path, table: str) -> int:
    """Row count read through a separate connection."""
    with raw(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def table_names(conn: Database) -> set[str]:
    """The tables of the database."""
    if conn.dialect == POSTGRESQL:
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return {row[0] for row in conn.execute(sql)}


# -- opening and migrations -----------------------------------------------------------


def test_open_creates_folders_and_sets_pragmas(sqlite_db: Path) -> None:
    db = sqlite_db
    with Store.open(db) as store:
        assert db.exists() and store.backend == "sqlite" and store.path == db
        conn = store._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS


def test_migrations_are_recorded_by_name(store: Store) -> None:
    assert store.migrations_applied() == [name for name, _ in MIGRATIONS]
    assert store.migrations_applied() == [
        "m001_reports",
        "m002_briefs",
        "m003_stories",
        "m004_sources",
        "m005_filing",
        "m006_written",
        "m007_jobs",
        "m008_search",
        "m009_reader",
    ]


def test_reopen_applies_only_new_migrations(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(db):
        pass
    calls: list[str] = []

    def counted(name: str, migration: migrations_module.Migration) -> migrations_module.Migration:
        def run(conn: Database) -> None:
            calls.append(name)
            migration(conn)

        return run

    def m099_extra(conn: Database) -> None:
        calls.append("m099_extra")
        conn.execute("CREATE TABLE extra (x INTEGER)")

    patched = (*((name, counted(name, m)) for name, m in MIGRATIONS), ("m099_extra", m099_extra))
    monkeypatch.setattr(store_module, "MIGRATIONS", patched)

    with Store.open(db) as store:
        assert calls == ["m099_extra"] and store.applied_now == ("m099_extra",)
        assert store.migrations_applied() == [*(name for name, _ in MIGRATIONS), "m099_extra"]
    with Store.open(db):
        pass
    assert calls == ["m099_extra"]


def test_applied_at_is_not_rewritten_on_reopen(db: str) -> None:
    def applied_at() -> list[tuple[str, str]]:
        with raw(db) as conn:
            rows = conn.execute("SELECT name, applied_at FROM _migrations ORDER BY name")
            return [(row[0], row[1]) for row in rows]

    with Store.open(db):
        pass
    first = applied_at()
    with Store.open(db):
        pass
    assert applied_at() == first
    assert all(datetime.fromisoformat(at).tzinfo is not None for _, at in first)


def test_failing_migration_is_rolled_back_and_not_recorded(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(db):
        pass

    def m099_broken(conn: Database) -> None:
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    monkeypatch.setattr(store_module, "MIGRATIONS", (*MIGRATIONS, ("m099_broken", m099_broken)))
    with pytest.raises(StoreError, match="m099_broken"):
        Store.open(db)

    with raw(db) as conn:
        tables = table_names(conn)
        names = [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert "half_done" not in tables and "reports" in tables
    assert names == [name for name, _ in MIGRATIONS]


def test_database_from_newer_version_is_refused(db: str) -> None:
    with Store.open(db):
        pass
    with raw(db) as conn:
        conn.execute(
            "INSERT INTO _migrations (name, applied_at)"
            " VALUES ('m999_future', '2030-01-01T00:00:00+00:00')"
        )
    with pytest.raises(StoreError, match=r"newer than this newsweave.*'m999_future'"):
        Store.open(db)


def test_unopenable_path_raises_store_error(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(StoreError, match="cannot open database at"):
        Store.open(folder)


def test_file_that_is_not_a_database_raises_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("this is not an SQLite database, just some text " * 100)
    with pytest.raises(StoreError, match=f"cannot open database at {path}"):
        Store.open(path)


def test_closed_store_raises_store_error(db: str) -> None:
    store = Store.open(db)
    store.close()
    store.close()  # closing twice is harmless
    with pytest.raises(StoreError):
        store.count_reports()
    with pytest.raises(StoreError):
        store.add_reports([make_report(1)])


# -- reports --------------------------------------------------------------------------


def test_add_and_get_report(store: Store) -> None:
    report = make_report(1, language="fr", origin="feeds/a.xml:3")
    result = store.add_reports([report])
    assert result == AddResult(added=(report.id,), existing=(), stored_ids=(report.id,))
    assert store.get_report(report.id) == report
    assert store.get_report("no-such-id") is None
    assert store.count_reports() == 1


def test_adding_the_same_report_twice_stores_it_once(store: Store) -> None:
    report = make_report(1)
    store.add_reports([report])
    again = store.add_reports([report])
    assert again == AddResult(added=(), existing=(report.id,), stored_ids=(report.id,))
    assert store.count_reports() == 1


def test_same_report_twice_in_one_batch_is_stored_once(store: Store) -> None:
    report = make_report(1)
    result = store.add_reports([report, report])
    assert result == AddResult(
        added=(report.id,), existing=(report.id,), stored_ids=(report.id, report.id)
    )
    assert store.count_reports() == 1


def test_same_text_under_another_url_is_stored_once(store: Store) -> None:
    text = "The bridge over the river reopened on Monday after repairs."
    first = make_report(1, text=text, url="https://a.example/bridge", outlet="Daily")
    # Same outlet, same words in another case and spacing: the content hash normalises them.
    copy = make_report(
        2,
        text="  the BRIDGE over the river\nreopened on Monday after repairs. ",
        url="https://b.example/wire/bridge",
        outlet="DAILY",
    )
    assert first.id != copy.id
    store.add_reports([first])
    result = store.add_reports([copy, make_report(3)])
    assert result.existing == (first.id,)  # the stored row's id, not the copy's
    assert result.added == (make_report(3).id,)
    assert store.count_reports() == 2
    assert store.get_report(copy.id) is None
    assert result.stored_ids == (first.id, make_report(3).id)


def test_wire_copy_from_another_outlet_is_its_own_report(store: Store) -> None:
    text = "The bridge over the river reopened on Monday after repairs."
    wire = make_report(1, text=text, outlet="Wire Service")
    copy = make_report(2, text=text, outlet="Town Courier")
    result = store.add_reports([wire, copy])
    assert result.added == (wire.id, copy.id)
    assert store.count_reports() == 2


def test_same_id_with_changed_text_is_existing(store: Store) -> None:
    report = make_report(1)
    store.add_reports([report])
    edited = make_report(1, text="An updated version of the story, with new text.")
    assert edited.id == report.id
    assert store.add_reports([edited]).existing == (report.id,)
    assert store.get_report(report.id) == report


def test_failing_insert_rolls_back_the_whole_batch(store: Store, db: str) -> None:
    store.add_reports([make_report(0)])
    # A value neither driver can store as text makes the third INSERT fail after two succeeded.
    bad = make_report(3, title=object())  # a list would do on SQLite; psycopg stores it as text
    with pytest.raises(StoreError, match="cannot add reports"):
        store.add_reports([make_report(1), make_report(2), bad, make_report(4)])
    assert store.count_reports() == 1
    assert table_rows(db, "reports") == 1
    # The store is still usable after the rollback.
    assert store.add_reports([make_report(1)]).added == (make_report(1).id,)
    assert store.count_reports() == 2


def test_error_while_reading_the_batch_rolls_back(store: Store) -> None:
    def reports() -> Iterator[Report]:
        yield make_report(1)
        yield make_report(2)
        raise RuntimeError("feed went away")

    with pytest.raises(RuntimeError, match="feed went away"):
        store.add_reports(reports())
    assert store.count_reports() == 0


def test_reports_order_and_selection(store: Store) -> None:
    # 10:00 in Kathmandu is 04:15 UTC: earlier than 09:00 UTC, though its text sorts later.
    early = make_report(1, published=datetime(2024, 5, 1, 10, 0, tzinfo=KATHMANDU))
    late = make_report(2, published=datetime(2024, 5, 1, 9, 0, tzinfo=UTC))
    undated = make_report(3)
    store.add_reports([undated, late, early])
    assert [r.id for r in store.reports()] == [early.id, late.id, undated.id]
    wanted = [undated.id, early.id, "missing", late.id]
    assert [r.id for r in store.reports(wanted)] == [undated.id, early.id, late.id]
    assert store.reports([]) == []


def test_reports_by_many_ids(store: Store) -> None:
    batch = [make_report(n) for n in range(1200)]
    store.add_reports(batch)
    ids = [r.id for r in reversed(batch)]
    assert [r.id for r in store.reports(ids)] == ids
    assert store.count_reports() == 1200


def test_published_round_trips_timezone_aware(store: Store) -> None:
    moments = [
        datetime(2024, 5, 1, 10, 0, 30, 123456, tzinfo=KATHMANDU),
        datetime(2024, 1, 15, 23, 59, tzinfo=NEW_YORK_WINTER),
        datetime(2024, 2, 29, 0, 0, tzinfo=UTC),
    ]
    reports = [make_report(n, published=moment) for n, moment in enumerate(moments)]
    store.add_reports(reports)
    for report, moment in zip(reports, moments, strict=True):
        got = store.get_report(report.id)
        assert got is not None and got.published is not None
        assert got.published == moment
        assert got.published.utcoffset() == moment.utcoffset()


def test_naive_published_is_stored_as_utc(store: Store) -> None:
    report = make_report(1, published=datetime(2024, 5, 1, 10, 0))
    store.add_reports([report])
    got = store.get_report(report.id)
    assert got is not None
    assert got.published == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


# -- briefs ---------------------------------------------------------------------------


def test_save_brief_stores_sources_and_time(store: Store) -> None:
    reports = [make_report(n) for n in range(3)]
    store.add_reports(reports)
    # Cite in an order unlike insertion order, to check number order is kept.
    cited = [reports[2].id, reports[0].id, reports[1].id]
    brief = make_brief(cited)
    body = json.dumps({"lede": "Something happened.", "citations": [1]})
    brief_id = store.save_brief(brief, body)

    stored = store.get_brief(brief_id)
    assert stored is not None
    assert stored.id == brief_id
    assert stored.headline == "Something happened"
    assert stored.body_json == body
    assert stored.report_ids == tuple(cited)
    assert stored.created_at == brief.created_at
    assert stored.created_at.utcoffset() == timedelta(hours=5, minutes=45)
    assert store.get_brief(brief_id + 1) is None


def test_save_brief_with_unknown_report_writes_nothing(store: Store, db: str) -> None:
    known = make_report(1)
    store.add_reports([known])
    brief = make_brief([known.id, "ghost-report-id"])
    with pytest.raises(StoreError, match="ghost-report-id"):
        store.save_brief(brief, "{}")
    assert store.latest_briefs() == []
    assert table_rows(db, "briefs") == 0
    assert table_rows(db, "brief_sources") == 0


def test_save_brief_with_duplicate_numbers_writes_nothing(store: Store, db: str) -> None:
    one, two = make_report(1), make_report(2)
    store.add_reports([one, two])
    brief = make_brief([one.id, two.id])
    clash = Source(number=1, report_id=two.id, outlet="", title="", url="", published=None)
    brief = replace(brief, sources=(*brief.sources, clash))
    with pytest.raises(StoreError, match="cannot save brief"):
        store.save_brief(brief, "{}")
    assert table_rows(db, "briefs") == 0


def test_save_brief_rejects_body_that_is_not_json(store: Store) -> None:
    with pytest.raises(StoreError, match="not JSON"):
        store.save_brief(make_brief([]), "{not json")
    assert store.latest_briefs() == []


def test_latest_briefs_newest_first(store: Store) -> None:
    report = make_report(1)
    store.add_reports([report])
    # 12:00 in Kathmandu (06:15 UTC) is earlier than 07:00 UTC although it reads later.
    older = store.save_brief(
        make_brief([report.id], datetime(2024, 5, 1, 12, 0, tzinfo=KATHMANDU)), "{}"
    )
    newer = store.save_brief(make_brief([report.id], datetime(2024, 5, 1, 7, 0, tzinfo=UTC)), "{}")
    newest = store.save_brief(make_brief([report.id], datetime(2024, 5, 2, 0, 0, tzinfo=UTC)), "{}")
    assert [b.id for b in store.latest_briefs()] == [newest, newer, older]
    assert [b.id for b in store.latest_briefs(limit=2)] == [newest, newer]
    assert store.latest_briefs(limit=0) == []


def test_deleting_a_brief_deletes_its_sources(store: Store) -> None:
    report = make_report(1)
    store.add_reports([report])
    brief_id = store.save_brief(make_brief([report.id]), "{}")
    # No public delete yet; this checks the schema's ON DELETE CASCADE with foreign keys on.
    store._conn.execute("DELETE FROM briefs WHERE id = ?", (brief_id,))
    assert store._conn.execute("SELECT count(*) FROM brief_sources").fetchone()[0] == 0


# -- persistence ----------------------------------------------------------------------


def test_data_survives_close_and_reopen(db: str) -> None:
    report = make_report(1, published=datetime(2024, 5, 1, 10, 0, tzinfo=KATHMANDU))
    with Store.open(db) as store:
        store.add_reports([report])
        brief_id = store.save_brief(make_brief([report.id]), '{"a": 1}')
    with Store.open(db) as store:
        assert store.count_reports() == 1
        assert store.get_report(report.id) == report
        stored = store.get_brief(brief_id)
        assert stored is not None
        assert stored.report_ids == (report.id,)
        assert stored.body_json == '{"a": 1}'
        assert store.add_reports([report]).existing == (report.id,)
