"""The SQLite store of reports and briefs, with named, ordered migrations."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from newsweave.errors import StoreError
from newsweave.ids import content_hash
from newsweave.records import Brief, Report

Migration = Callable[[sqlite3.Connection], None]

# How long a writer waits for another process's lock before giving up.
BUSY_TIMEOUT_MS = 5000

# SQLite builds before 3.32 allow at most 999 bound parameters per statement.
_CHUNK = 500


@dataclass(frozen=True)
class AddResult:
    """Ids of the reports a call stored, and of those already stored before."""

    added: tuple[str, ...]
    existing: tuple[str, ...]
    stored_ids: tuple[str, ...] = ()  # for each report given, in order, the id it is stored under


@dataclass(frozen=True)
class StoredBrief:
    """A brief as stored: its body JSON and the reports it cites, in number order."""

    id: int
    created_at: datetime
    headline: str
    body_json: str
    report_ids: tuple[str, ...]


def m001_reports(conn: sqlite3.Connection) -> None:
    """Create the reports table."""
    conn.execute(
        """
        CREATE TABLE reports (
            id TEXT PRIMARY KEY,
            content_hash TEXT NOT NULL,
            outlet TEXT NOT NULL,
            url TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            published TEXT,
            language TEXT NOT NULL,
            origin TEXT NOT NULL DEFAULT '',
            added_at TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX reports_published ON reports(published)")
    conn.execute("CREATE INDEX reports_url ON reports(url)")
    # One outlet publishing the same text twice is one report; another outlet republishing
    # it (wire copy) is a report of its own, counted as a copy when briefing.
    conn.execute("CREATE UNIQUE INDEX reports_outlet_text ON reports(lower(outlet), content_hash)")


def m002_briefs(conn: sqlite3.Connection) -> None:
    """Create the briefs table and the numbered sources of each brief."""
    conn.execute(
        """
        CREATE TABLE briefs (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            headline TEXT NOT NULL,
            body_json TEXT NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE brief_sources (
            brief_id INTEGER NOT NULL REFERENCES briefs(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            report_id TEXT NOT NULL REFERENCES reports(id),
            PRIMARY KEY (brief_id, number)
        )
        """
    )
    # SQLite does not index child keys itself; without this, checking the foreign key
    # when a report is deleted scans every brief source.
    conn.execute("CREATE INDEX brief_sources_report ON brief_sources(report_id)")


# Applied in this order; names are recorded in _migrations, so never rename or reorder
# an entry once released, only append.
MIGRATIONS: tuple[tuple[str, Migration], ...] = (
    ("m001_reports", m001_reports),
    ("m002_briefs", m002_briefs),
)


def _now() -> str:
    """The current time as ISO 8601 with a UTC offset."""
    return datetime.now(UTC).isoformat()


def _time_text(moment: datetime) -> str:
    """ISO 8601 with offset; a naive time is taken to be UTC so every stored time has one."""
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def _parse_time(text: str) -> datetime:
    """A timezone-aware datetime from stored ISO text."""
    moment = datetime.fromisoformat(text)
    # Rows written by other tools may lack an offset; read them as UTC like we write them.
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def _sort_key(report: Report) -> tuple[bool, datetime, str]:
    """Published time (undated last), then id."""
    published = report.published or datetime.min.replace(tzinfo=UTC)
    return (report.published is None, published, report.id)


class Store:
    """Reports and briefs in one SQLite database; one connection per instance."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        """Wrap an open, migrated connection; use Store.open instead."""
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating if needed) the database at path and apply new migrations."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for database {path}: {exc}") from exc
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so DDL and data
            # changes are grouped exactly as we say, not as the sqlite3 module guesses.
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database at {path}: {exc}") from exc
        store = cls(conn, path)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            store._migrate(MIGRATIONS)
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"cannot open database at {path}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        self._conn.close()

    def __enter__(self) -> Store:
        """Use the store in a with block that closes it."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()

    # -- migrations ---------------------------------------------------------------

    def _migrate(self, migrations: Sequence[tuple[str, Migration]]) -> None:
        """Apply each migration not yet applied, in a transaction with its record row."""
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        known = {name for name, _ in migrations}
        unknown = [name for name in self._applied() if name not in known]
        if unknown:
            raise StoreError(
                f"database {self.path} is newer than this newsweave "
                f"(migration {unknown[0]!r} unknown); upgrade newsweave to use it"
            )
        for name, migration in migrations:
            # BEGIN IMMEDIATE takes the write lock first, so two processes opening a new
            # database at once cannot both apply the same migration.
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                done = self._conn.execute(
                    "SELECT 1 FROM _migrations WHERE name = ?", (name,)
                ).fetchone()
                if done is None:
                    migration(self._conn)
                    self._conn.execute(
                        "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                        (name, _now()),
                    )
                self._conn.execute("COMMIT")
            except BaseException as exc:
                self._rollback()
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(
                        f"cannot migrate database {self.path} (migration {name!r}): {exc}"
                    ) from exc
                raise

    def _applied(self) -> list[str]:
        """Names of applied migrations, oldest first."""
        rows = self._conn.execute("SELECT name FROM _migrations ORDER BY applied_at, rowid")
        return [row["name"] for row in rows]

    def migrations_applied(self) -> list[str]:
        """Names of the migrations applied to this database, oldest first."""
        with self._reading():
            return self._applied()

    # -- plumbing -----------------------------------------------------------------

    @contextmanager
    def _transaction(self, what: str) -> Iterator[sqlite3.Connection]:
        """One write transaction: commit if the block ends, roll back if it raises."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot {what} in database {self.path}: {exc}") from exc
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot {what} in database {self.path}: {exc}") from exc
            raise

    def _rollback(self) -> None:
        """Roll back the open transaction, if SQLite has not already done so."""
        # Some errors (a full disk, an interrupt) end the transaction themselves; a second
        # ROLLBACK would then raise and hide the error that matters.
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """Turn sqlite3 errors and unreadable stored values raised by a read into StoreError."""
        try:
            yield self._conn
        except (sqlite3.Error, ValueError) as exc:
            raise StoreError(f"cannot read database {self.path}: {exc}") from exc

    # -- reports ------------------------------------------------------------------

    def add_reports(self, reports: Iterable[Report]) -> AddResult:
        """Store, in one transaction, reports not stored yet (by id, or by outlet and text)."""
        added: list[str] = []
        existing: list[str] = []
        stored: list[str] = []
        with self._transaction("add reports") as conn:
            # The iterable is consumed inside the transaction, so an error while producing
            # a report rolls back the whole batch too.
            for report in reports:
                digest = content_hash(report.text)
                # A match on id wins over one on text, so a re-read report maps to itself.
                row = conn.execute(
                    "SELECT id FROM reports WHERE id = ? "
                    "UNION ALL SELECT id FROM reports WHERE lower(outlet) = lower(?)"
                    " AND content_hash = ? LIMIT 1",
                    (report.id, report.outlet, digest),
                ).fetchone()
                if row is not None:
                    existing.append(row["id"])
                    stored.append(row["id"])
                    continue
                conn.execute(
                    "INSERT INTO reports (id, content_hash, outlet, url, title, text, published,"
                    " language, origin, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        report.id,
                        digest,
                        report.outlet,
                        report.url,
                        report.title,
                        report.text,
                        None if report.published is None else _time_text(report.published),
                        report.language,
                        report.origin,
                        _now(),
                    ),
                )
                added.append(report.id)
                stored.append(report.id)
        return AddResult(tuple(added), tuple(existing), tuple(stored))

    @staticmethod
    def _report(row: sqlite3.Row) -> Report:
        """A Report from a reports row."""
        return Report(
            id=row["id"],
            outlet=row["outlet"],
            title=row["title"],
            text=row["text"],
            url=row["url"],
            published=None if row["published"] is None else _parse_time(row["published"]),
            language=row["language"],
            origin=row["origin"],
        )

    def get_report(self, report_id: str) -> Report | None:
        """The report with this id, or None."""
        with self._reading() as conn:
            row = conn.execute("SELECT * FROM reports WHERE id = ?", (report_id,)).fetchone()
            return None if row is None else self._report(row)

    def reports(self, ids: Sequence[str] | None = None) -> list[Report]:
        """All reports by published time (undated last) then id, or those ids in that order."""
        with self._reading() as conn:
            if ids is None:
                found = [self._report(row) for row in conn.execute("SELECT * FROM reports")]
                # Sorted here, not in SQL: stored times keep their own offsets, so their
                # text does not sort chronologically.
                return sorted(found, key=_sort_key)
            by_id: dict[str, Report] = {}
            unique = list(dict.fromkeys(ids))
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                rows = conn.execute(f"SELECT * FROM reports WHERE id IN ({marks})", chunk)
                by_id.update((row["id"], self._report(row)) for row in rows)
            # Ids not stored are left out rather than raising, like get_report's None.
            return [by_id[report_id] for report_id in ids if report_id in by_id]

    def count_reports(self) -> int:
        """How many reports are stored."""
        with self._reading() as conn:
            return conn.execute("SELECT count(*) FROM reports").fetchone()[0]

    # -- briefs -------------------------------------------------------------------

    def save_brief(self, brief: Brief, body_json: str) -> int:
        """Store a brief and its numbered sources in one transaction; return its id."""
        try:
            json.loads(body_json)
        except (TypeError, ValueError) as exc:
            raise StoreError(
                f"cannot save brief {brief.headline!r}: body is not JSON: {exc}"
            ) from exc
        with self._transaction("save brief") as conn:
            missing = [
                source.report_id
                for source in brief.sources
                if conn.execute(
                    "SELECT 1 FROM reports WHERE id = ?", (source.report_id,)
                ).fetchone()
                is None
            ]
            if missing:
                # Raising inside the transaction rolls it back, so nothing is written.
                raise StoreError(
                    f"cannot save brief {brief.headline!r}: it cites reports not in "
                    f"database {self.path}: {', '.join(dict.fromkeys(missing))}"
                )
            cursor = conn.execute(
                "INSERT INTO briefs (created_at, headline, body_json) VALUES (?, ?, ?)",
                (_time_text(brief.created_at), brief.headline, body_json),
            )
            brief_id = cursor.lastrowid
            assert brief_id is not None  # always set after a single-row INSERT
            conn.executemany(
                "INSERT INTO brief_sources (brief_id, number, report_id) VALUES (?, ?, ?)",
                [(brief_id, source.number, source.report_id) for source in brief.sources],
            )
        return brief_id

    def _stored_brief(self, row: sqlite3.Row) -> StoredBrief:
        """A StoredBrief from a briefs row and its sources."""
        sources = self._conn.execute(
            "SELECT report_id FROM brief_sources WHERE brief_id = ? ORDER BY number",
            (row["id"],),
        )
        return StoredBrief(
            id=row["id"],
            created_at=_parse_time(row["created_at"]),
            headline=row["headline"],
            body_json=row["body_json"],
            report_ids=tuple(source["report_id"] for source in sources),
        )

    def get_brief(self, brief_id: int) -> StoredBrief | None:
        """The brief with this id, or None."""
        with self._reading() as conn:
            row = conn.execute("SELECT * FROM briefs WHERE id = ?", (brief_id,)).fetchone()
            return None if row is None else self._stored_brief(row)

    def latest_briefs(self, limit: int = 20) -> list[StoredBrief]:
        """The most recently created briefs, newest first."""
        with self._reading() as conn:
            # julianday() reads the offset, so briefs made in different zones order by
            # real time; id breaks ties between briefs made in the same millisecond.
            rows = conn.execute(
                "SELECT * FROM briefs ORDER BY julianday(created_at) DESC, id DESC LIMIT ?",
                (max(0, limit),),
            ).fetchall()
            return [self._stored_brief(row) for row in rows]
