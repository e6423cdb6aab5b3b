"""The SQLite store of reports and briefs, with named, ordered migrations."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

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
    story_id: str | None = None  # the story this is a version of; None for a one-off brief
    version: int | None = None  # 1, 2, ... within its story
    changes: dict[str, Any] | None = None  # what changed since the story's previous version


@dataclass(frozen=True)
class StoryRow:
    """One story as listed: its reports' count and times, and flags from its latest brief."""

    id: str
    title: str
    status: str  # "open" or "dormant"
    created_at: datetime
    last_report_at: datetime | None
    report_count: int
    first_published: datetime | None
    last_published: datetime | None
    latest_version: int | None  # None until a brief of the story is stored
    independent_sources: int | None  # from the latest brief
    has_conflicts: bool  # the latest brief states a disagreement


@dataclass(frozen=True)
class SourceRow:
    """One followed feed or page, with the state of its fetching."""

    id: int
    url: str
    kind: str  # "auto" (not fetched yet), "feed" or "page"
    title: str
    added_at: datetime
    etag: str | None
    last_modified: str | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None  # why the last fetch failed; None after a success
    problems: tuple[str, ...]  # items of the last fetch that were skipped or fell back, and why
    failures: int  # failed fetches in a row, for backoff
    next_due_at: datetime | None
    report_count: int


@dataclass(frozen=True)
class Assigned:
    """What an assign call changed: stories started, stories that gained reports, pairs stored."""

    new_stories: tuple[str, ...]
    updated_stories: tuple[str, ...]
    added: tuple[tuple[str, str], ...]  # (report id, story id) pairs not stored before


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


def m003_stories(conn: sqlite3.Connection) -> None:
    """Create stories and their reports; give briefs a story, a version and what changed."""
    conn.execute(
        """
        CREATE TABLE stories (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            last_report_at TEXT,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dormant'))
        )
        """
    )
    conn.execute("CREATE INDEX stories_status ON stories(status)")
    conn.execute(
        """
        CREATE TABLE story_reports (
            story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            report_id TEXT NOT NULL UNIQUE REFERENCES reports(id),
            added_at TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX story_reports_story ON story_reports(story_id)")
    # A column added with REFERENCES must default to NULL, which these do.
    conn.execute("ALTER TABLE briefs ADD COLUMN story_id TEXT REFERENCES stories(id)")
    conn.execute("ALTER TABLE briefs ADD COLUMN version INTEGER")
    conn.execute("ALTER TABLE briefs ADD COLUMN changes TEXT")
    conn.execute(
        "CREATE UNIQUE INDEX briefs_story_version ON briefs(story_id, version)"
        " WHERE story_id IS NOT NULL"
    )


def m004_sources(conn: sqlite3.Connection) -> None:
    """Create followed sources (feeds and pages) and the items fetched from each."""
    conn.execute(
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL DEFAULT 'auto' CHECK (kind IN ('auto', 'feed', 'page')),
            title TEXT NOT NULL DEFAULT '',
            added_at TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            last_attempt_at TEXT,
            last_success_at TEXT,
            last_error TEXT,
            problems TEXT NOT NULL DEFAULT '[]',
            failures INTEGER NOT NULL DEFAULT 0,
            next_due_at TEXT
        )
        """
    )
    # One row per feed item (or page) taken from a source: the next run skips what is here,
    # so a fetch that was killed resumes without storing anything twice.
    conn.execute(
        """
        CREATE TABLE source_items (
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            item_key TEXT NOT NULL,
            report_id TEXT NOT NULL REFERENCES reports(id),
            text_from TEXT NOT NULL CHECK (text_from IN ('feed', 'page', 'summary')),
            fetched_at TEXT NOT NULL,
            PRIMARY KEY (source_id, item_key)
        )
        """
    )
    conn.execute("CREATE INDEX source_items_report ON source_items(report_id)")


def m005_filing(conn: sqlite3.Connection) -> None:
    """Create the record of attempts to file reports into stories that have not succeeded."""
    # A row is written before a report is filed and removed when it is assigned to a story:
    # a run that dies filing it (out of memory, killed) leaves the row, so the next run knows.
    conn.execute(
        """
        CREATE TABLE filing_attempts (
            report_id TEXT PRIMARY KEY REFERENCES reports(id) ON DELETE CASCADE,
            attempts INTEGER NOT NULL,
            error TEXT NOT NULL,
            attempted_at TEXT NOT NULL
        )
        """
    )


def m006_written(conn: sqlite3.Connection) -> None:
    """Create the cache of a model writer's answers (docs/writer.md)."""
    # story_version is a hash of everything the model was given, so a story that gains a
    # report, or a changed claim, asks again; the same input re-renders for free.
    conn.execute(
        """
        CREATE TABLE written_sentences (
            story_version TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            answer_json TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (story_version, model, prompt_version)
        )
        """
    )


# Applied in this order; names are recorded in _migrations, so never rename or reorder
# an entry once released, only append.
MIGRATIONS: tuple[tuple[str, Migration], ...] = (
    ("m001_reports", m001_reports),
    ("m002_briefs", m002_briefs),
    ("m003_stories", m003_stories),
    ("m004_sources", m004_sources),
    ("m005_filing", m005_filing),
    ("m006_written", m006_written),
)

# Attempts at filing a report before it is set aside (tried again only if asked for).
MAX_FILING_ATTEMPTS = 2
# The reason kept for an attempt until it ends: if the run dies, this is what it was.
_UNFINISHED = "the run filing it stopped before it finished (killed, or out of memory)"


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


def _check_json(text: str, what: str) -> None:
    """Raise StoreError unless text is JSON."""
    try:
        json.loads(text)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{what} is not JSON: {exc}") from exc


def _opt_time(text: str | None) -> datetime | None:
    """A stored time, or None."""
    return None if text is None else _parse_time(text)


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
        with self._transaction("add reports") as conn:
            # The iterable is consumed inside the transaction, so an error while producing
            # a report rolls back the whole batch too.
            return self._add_reports(conn, reports)

    @staticmethod
    def _add_reports(conn: sqlite3.Connection, reports: Iterable[Report]) -> AddResult:
        """Insert reports not stored yet, inside the caller's transaction."""
        added: list[str] = []
        existing: list[str] = []
        stored: list[str] = []
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
        _check_json(body_json, f"cannot save brief {brief.headline!r}: body")
        with self._transaction("save brief") as conn:
            return self._insert_brief(conn, brief, body_json)

    def _insert_brief(
        self,
        conn: sqlite3.Connection,
        brief: Brief,
        body_json: str,
        story: tuple[str, int, str] | None = None,
    ) -> int:
        """Insert a brief and its sources inside the caller's transaction; return its id."""
        missing = [
            source.report_id
            for source in brief.sources
            if conn.execute("SELECT 1 FROM reports WHERE id = ?", (source.report_id,)).fetchone()
            is None
        ]
        if missing:
            # Raising inside the transaction rolls it back, so nothing is written.
            raise StoreError(
                f"cannot save brief {brief.headline!r}: it cites reports not in "
                f"database {self.path}: {', '.join(dict.fromkeys(missing))}"
            )
        story_id, version, changes = story if story is not None else (None, None, None)
        cursor = conn.execute(
            "INSERT INTO briefs (created_at, headline, body_json, story_id, version, changes)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (_time_text(brief.created_at), brief.headline, body_json, story_id, version, changes),
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
            story_id=row["story_id"],
            version=row["version"],
            changes=None if row["changes"] is None else json.loads(row["changes"]),
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

    # -- stories ------------------------------------------------------------------

    def assign(self, pairs: Sequence[tuple[str, str]]) -> Assigned:
        """Put each (report id, story id) pair in one transaction, starting unknown stories."""
        new_stories: list[str] = []
        touched: list[str] = []
        added: list[tuple[str, str]] = []
        now = _now()
        with self._transaction("assign reports to stories") as conn:
            for report_id, story_id in pairs:
                row = conn.execute(
                    "SELECT story_id FROM story_reports WHERE report_id = ?", (report_id,)
                ).fetchone()
                if row is not None:
                    if row["story_id"] != story_id:
                        raise StoreError(
                            f"cannot assign report {report_id} to story {story_id}: "
                            f"it is already in story {row['story_id']}"
                        )
                    continue  # the same pair again: nothing to do
                report = conn.execute(
                    "SELECT title FROM reports WHERE id = ?", (report_id,)
                ).fetchone()
                if report is None:
                    raise StoreError(
                        f"cannot assign report {report_id} to story {story_id}: "
                        f"no such report in database {self.path}"
                    )
                if (
                    conn.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone()
                    is None
                ):
                    # Until a brief is made, a story is called by its first report's title.
                    conn.execute(
                        "INSERT INTO stories (id, title, created_at, status)"
                        " VALUES (?, ?, ?, 'open')",
                        (story_id, report["title"], now),
                    )
                    new_stories.append(story_id)
                conn.execute(
                    "INSERT INTO story_reports (story_id, report_id, added_at) VALUES (?, ?, ?)",
                    (story_id, report_id, now),
                )
                conn.execute("DELETE FROM filing_attempts WHERE report_id = ?", (report_id,))
                added.append((report_id, story_id))
                touched.append(story_id)
            for story_id in dict.fromkeys(touched):
                # The latest report time (its publication, or when it was added if undated);
                # julianday() reads the offsets, so times from different zones order truly.
                conn.execute(
                    "UPDATE stories SET status = 'open', last_report_at = ("
                    " SELECT coalesce(r.published, sr.added_at) FROM story_reports sr"
                    " JOIN reports r ON r.id = sr.report_id WHERE sr.story_id = stories.id"
                    " ORDER BY julianday(coalesce(r.published, sr.added_at)) DESC LIMIT 1"
                    ") WHERE id = ?",
                    (story_id,),
                )
        fresh = set(new_stories)
        updated = tuple(s for s in dict.fromkeys(touched) if s not in fresh)
        return Assigned(tuple(new_stories), updated, tuple(added))

    def mark_dormant(self, before: datetime) -> list[str]:
        """Mark open stories whose last report is older than before as dormant; return their ids."""
        with self._transaction("mark stories dormant") as conn:
            rows = conn.execute(
                "SELECT id FROM stories WHERE status = 'open' AND last_report_at IS NOT NULL"
                " AND julianday(last_report_at) < julianday(?) ORDER BY id",
                (_time_text(before),),
            ).fetchall()
            ids = [row["id"] for row in rows]
            conn.executemany(
                "UPDATE stories SET status = 'dormant' WHERE id = ?", [(i,) for i in ids]
            )
        return ids

    _STORY_ROWS = """
        SELECT s.*,
            (SELECT count(*) FROM story_reports sr WHERE sr.story_id = s.id) AS report_count,
            (SELECT r.published FROM story_reports sr JOIN reports r ON r.id = sr.report_id
             WHERE sr.story_id = s.id AND r.published IS NOT NULL
             ORDER BY julianday(r.published) LIMIT 1) AS first_published,
            (SELECT r.published FROM story_reports sr JOIN reports r ON r.id = sr.report_id
             WHERE sr.story_id = s.id AND r.published IS NOT NULL
             ORDER BY julianday(r.published) DESC LIMIT 1) AS last_published,
            (SELECT b.version FROM briefs b WHERE b.story_id = s.id
             ORDER BY b.version DESC LIMIT 1) AS latest_version,
            (SELECT b.body_json FROM briefs b WHERE b.story_id = s.id
             ORDER BY b.version DESC LIMIT 1) AS latest_body
        FROM stories s
    """

    @staticmethod
    def _story_row(row: sqlite3.Row) -> StoryRow:
        """A StoryRow from a row of _STORY_ROWS."""
        independent: int | None = None
        conflicts = False
        if row["latest_body"] is not None:
            body = json.loads(row["latest_body"])
            if isinstance(body, dict):
                found = body.get("independent_sources")
                independent = found if isinstance(found, int) else None
                # Soft differences (rounding, approximations) are data, not disagreements.
                found_conflicts = body.get("conflicts")
                conflicts = isinstance(found_conflicts, list) and any(
                    isinstance(c, dict) and c.get("strength", "hard") == "hard"
                    for c in found_conflicts
                )
        return StoryRow(
            id=row["id"],
            title=row["title"],
            status=row["status"],
            created_at=_parse_time(row["created_at"]),
            last_report_at=_opt_time(row["last_report_at"]),
            report_count=row["report_count"],
            first_published=_opt_time(row["first_published"]),
            last_published=_opt_time(row["last_published"]),
            latest_version=row["latest_version"],
            independent_sources=independent,
            has_conflicts=conflicts,
        )

    def stories(self, limit: int = 50, offset: int = 0) -> list[StoryRow]:
        """Stories, newest activity (latest report) first."""
        with self._reading() as conn:
            rows = conn.execute(
                self._STORY_ROWS
                + " ORDER BY s.last_report_at IS NULL, julianday(s.last_report_at) DESC,"
                " julianday(s.created_at) DESC, s.id LIMIT ? OFFSET ?",
                (max(0, limit), max(0, offset)),
            ).fetchall()
            return [self._story_row(row) for row in rows]

    def story(self, story_id: str) -> StoryRow | None:
        """The story with this id, or None."""
        with self._reading() as conn:
            row = conn.execute(self._STORY_ROWS + " WHERE s.id = ?", (story_id,)).fetchone()
            return None if row is None else self._story_row(row)

    def story_report_ids(self, story_id: str) -> list[str]:
        """Ids of the story's reports in the order they joined it."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT report_id FROM story_reports WHERE story_id = ? ORDER BY rowid", (story_id,)
            )
            return [row["report_id"] for row in rows]

    def story_reports(self, story_id: str) -> list[Report]:
        """The story's reports by published time (undated last), then id."""
        return sorted(self.reports(self.story_report_ids(story_id)), key=_sort_key)

    def story_ids_of(self, report_ids: Sequence[str]) -> dict[str, str]:
        """The story of each given report that is in one."""
        return self._by_report("story_reports", "story_id", report_ids)

    def _by_report(self, table: str, column: str, report_ids: Sequence[str]) -> dict[str, Any]:
        """column of each given report's row in table (a fixed name, never input), in chunks."""
        found: dict[str, Any] = {}
        unique = list(dict.fromkeys(report_ids))
        with self._reading() as conn:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT report_id, {column} FROM {table} WHERE report_id IN ({marks})",
                    chunk,
                )
                found.update((row["report_id"], row[column]) for row in rows)
        return found

    def open_story_reports(self, since: datetime | None = None) -> list[Report]:
        """Every report of the open stories active since then (all open ones if None), in order."""
        with self._reading() as conn:
            query = (
                "SELECT r.*, sr.rowid AS joined FROM stories s"
                " JOIN story_reports sr ON sr.story_id = s.id"
                " JOIN reports r ON r.id = sr.report_id WHERE s.status = 'open'"
            )
            params: tuple[str, ...] = ()
            if since is not None:
                query += " AND julianday(s.last_report_at) >= julianday(?)"
                params = (_time_text(since),)
            rows = conn.execute(query, params).fetchall()
            # Published time, then the order they joined: the order they were first indexed in.
            ordered = sorted(
                rows, key=lambda row: (_sort_key(self._report(row))[:2], row["joined"])
            )
            return [self._report(row) for row in ordered]

    def save_story_brief(
        self, story_id: str, brief: Brief, body_json: str, changes: Mapping[str, Any]
    ) -> int:
        """Store a brief as the story's next version in one transaction; return the version."""
        what = f"cannot save brief {brief.headline!r} of story {story_id}"
        _check_json(body_json, f"{what}: body")
        try:
            changes_json = json.dumps(dict(changes), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"{what}: changes cannot be written as JSON: {exc}") from exc
        with self._transaction("save story brief") as conn:
            if conn.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone() is None:
                raise StoreError(f"{what}: no such story in database {self.path}")
            last = conn.execute(
                "SELECT max(version) FROM briefs WHERE story_id = ?", (story_id,)
            ).fetchone()[0]
            version = (last or 0) + 1
            self._insert_brief(conn, brief, body_json, (story_id, version, changes_json))
            conn.execute("UPDATE stories SET title = ? WHERE id = ?", (brief.headline, story_id))
        return version

    def story_briefs(self, story_id: str) -> list[StoredBrief]:
        """Every stored version of the story's brief, oldest (version 1) first."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT * FROM briefs WHERE story_id = ? ORDER BY version", (story_id,)
            ).fetchall()
            return [self._stored_brief(row) for row in rows]

    # -- sources ------------------------------------------------------------------

    _SOURCE_ROWS = """
        SELECT s.*, (SELECT count(*) FROM source_items i WHERE i.source_id = s.id) AS report_count
        FROM sources s
    """

    @staticmethod
    def _source_row(row: sqlite3.Row) -> SourceRow:
        """A SourceRow from a row of _SOURCE_ROWS."""
        problems = json.loads(row["problems"] or "[]")
        return SourceRow(
            id=row["id"],
            url=row["url"],
            kind=row["kind"],
            title=row["title"],
            added_at=_parse_time(row["added_at"]),
            etag=row["etag"],
            last_modified=row["last_modified"],
            last_attempt_at=_opt_time(row["last_attempt_at"]),
            last_success_at=_opt_time(row["last_success_at"]),
            last_error=row["last_error"],
            problems=tuple(str(p) for p in problems) if isinstance(problems, list) else (),
            failures=row["failures"],
            next_due_at=_opt_time(row["next_due_at"]),
            report_count=row["report_count"],
        )

    def add_source(self, url: str, kind: str = "auto", title: str = "") -> tuple[SourceRow, bool]:
        """Follow url (once: a known url is left as it is); return it and whether it is new."""
        with self._transaction("add source") as conn:
            cursor = conn.execute(
                "INSERT INTO sources (url, kind, title, added_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(url) DO NOTHING",
                (url, kind, title, _now()),
            )
            new = cursor.rowcount == 1
        found = self.source(url)
        assert found is not None  # inserted or already there, inside the transaction above
        return found, new

    def source(self, key: str | int) -> SourceRow | None:
        """The source with this id or url, or None."""
        with self._reading() as conn:
            column = "id" if isinstance(key, int) or str(key).isdigit() else "url"
            row = conn.execute(self._SOURCE_ROWS + f" WHERE s.{column} = ?", (key,)).fetchone()
            return None if row is None else self._source_row(row)

    def sources(self) -> list[SourceRow]:
        """Every followed source, in the order added."""
        with self._reading() as conn:
            rows = conn.execute(self._SOURCE_ROWS + " ORDER BY s.id").fetchall()
            return [self._source_row(row) for row in rows]

    def remove_source(self, key: str | int) -> SourceRow | None:
        """Stop following a source (its reports stay); return it, or None if unknown."""
        found = self.source(key)
        if found is not None:
            with self._transaction("remove source") as conn:
                conn.execute("DELETE FROM sources WHERE id = ?", (found.id,))
        return found

    def move_source(self, source_id: int, url: str) -> None:
        """Give a source a new URL (the feed its page named); refuse one already followed."""
        with self._transaction("move source") as conn:
            row = conn.execute("SELECT id FROM sources WHERE url = ?", (url,)).fetchone()
            if row is not None and row["id"] != source_id:
                raise StoreError(f"{url} is already followed as source {row['id']}")
            conn.execute("UPDATE sources SET url = ? WHERE id = ?", (url, source_id))

    def due_sources(self, now: datetime) -> list[SourceRow]:
        """Sources never fetched or whose next fetch is due by now, longest waiting first."""
        return [s for s in self.sources() if s.next_due_at is None or s.next_due_at <= now]

    def seen_items(self, source_id: int) -> set[str]:
        """Keys of the items already taken from a source."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT item_key FROM source_items WHERE source_id = ?", (source_id,)
            )
            return {row["item_key"] for row in rows}

    def add_item(self, source_id: int, item_key: str, report: Report, text_from: str) -> bool:
        """Store an item's report and its item row in one transaction; True if the report is new."""
        with self._transaction("add fetched item") as conn:
            added = self._add_reports(conn, [report])
            conn.execute(
                "INSERT OR IGNORE INTO source_items"
                " (source_id, item_key, report_id, text_from, fetched_at) VALUES (?, ?, ?, ?, ?)",
                (source_id, item_key, added.stored_ids[0], text_from, _now()),
            )
        return bool(added.added)

    def item_text_from(self, report_id: str) -> str | None:
        """Where a fetched report's text came from (feed, page or summary); None if not fetched."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT text_from FROM source_items WHERE report_id = ? LIMIT 1", (report_id,)
            ).fetchone()
            return None if row is None else row["text_from"]

    def record_fetch(
        self,
        source_id: int,
        *,
        attempted: datetime,
        next_due: datetime,
        error: str | None = None,
        problems: Sequence[str] = (),
        kind: str | None = None,
        title: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Record how a fetch of a source went; validators change only after a success."""
        with self._transaction("record a fetch") as conn:
            if error is not None:
                conn.execute(
                    "UPDATE sources SET last_attempt_at = ?, last_error = ?, problems = ?,"
                    " failures = failures + 1, next_due_at = ? WHERE id = ?",
                    (
                        _time_text(attempted),
                        error,
                        json.dumps(list(problems), ensure_ascii=False),
                        _time_text(next_due),
                        source_id,
                    ),
                )
                return
            # The validators are saved only now, after every item is stored: saving them first
            # would let a killed run's next fetch get a 304 and never see the items it lost.
            conn.execute(
                "UPDATE sources SET last_attempt_at = ?, last_success_at = ?, last_error = NULL,"
                " problems = ?, failures = 0, next_due_at = ?, kind = coalesce(?, kind),"
                " title = CASE WHEN ? IS NULL OR ? = '' THEN title ELSE ? END,"
                " etag = ?, last_modified = ? WHERE id = ?",
                (
                    _time_text(attempted),
                    _time_text(attempted),
                    json.dumps(list(problems), ensure_ascii=False),
                    _time_text(next_due),
                    kind,
                    title,
                    title,
                    title,
                    etag,
                    last_modified,
                    source_id,
                ),
            )

    def note_sources_of(self, report_ids: Sequence[str], note: str) -> None:
        """Add a note to the problems of every source these reports were fetched from.

        Shown by `newsweave sources` until the source's next fetch records its own problems.
        """
        unique = list(dict.fromkeys(report_ids))
        with self._transaction("note a problem on sources") as conn:
            sources: set[int] = set()
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT DISTINCT source_id FROM source_items WHERE report_id IN ({marks})",
                    chunk,
                )
                sources.update(row["source_id"] for row in rows)
            for source_id in sorted(sources):
                row = conn.execute(
                    "SELECT problems FROM sources WHERE id = ?", (source_id,)
                ).fetchone()
                problems = json.loads(row["problems"] or "[]") if row is not None else []
                if not isinstance(problems, list) or note in problems:
                    continue
                conn.execute(  # first, so a long list of item problems does not hide it
                    "UPDATE sources SET problems = ? WHERE id = ?",
                    (json.dumps([note, *problems], ensure_ascii=False), source_id),
                )

    def unfiled_report_ids(self) -> list[str]:
        """Ids of stored reports not yet in any story nor set aside, in the order stored."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id FROM reports WHERE id NOT IN (SELECT report_id FROM story_reports)"
                " AND id NOT IN (SELECT report_id FROM filing_attempts WHERE attempts >= ?)"
                " ORDER BY rowid",
                (MAX_FILING_ATTEMPTS,),
            )
            return [row["id"] for row in rows]

    def start_filing(self, report_ids: Sequence[str]) -> None:
        """Record, before filing them, one more attempt at filing these reports."""
        now = _now()
        with self._transaction("record a filing attempt") as conn:
            conn.executemany(
                "INSERT INTO filing_attempts (report_id, attempts, error, attempted_at)"
                " VALUES (?, 1, ?, ?) ON CONFLICT(report_id) DO UPDATE SET"
                " attempts = attempts + 1, error = excluded.error,"
                " attempted_at = excluded.attempted_at",
                [(report_id, _UNFINISHED, now) for report_id in dict.fromkeys(report_ids)],
            )

    def filing_failed(self, report_ids: Sequence[str], error: str) -> None:
        """Record why the attempt at filing these reports failed."""
        with self._transaction("record a filing failure") as conn:
            conn.executemany(
                "UPDATE filing_attempts SET error = ? WHERE report_id = ?",
                [(error, report_id) for report_id in dict.fromkeys(report_ids)],
            )

    def filing_attempts(self, report_ids: Sequence[str]) -> dict[str, int]:
        """Failed or unfinished attempts at filing each given report that has any."""
        return self._by_report("filing_attempts", "attempts", report_ids)

    def set_aside_reports(self) -> list[tuple[str, str]]:
        """(report id, why) of the reports no longer filed after failing to be, oldest first."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT report_id, error FROM filing_attempts WHERE attempts >= ?"
                " AND report_id NOT IN (SELECT report_id FROM story_reports)"
                " ORDER BY julianday(attempted_at), report_id",
                (MAX_FILING_ATTEMPTS,),
            )
            return [(row["report_id"], row["error"]) for row in rows]

    def open_story_ids(self) -> list[str]:
        """Ids of the open stories, oldest first."""
        with self._reading() as conn:
            rows = conn.execute("SELECT id FROM stories WHERE status = 'open' ORDER BY rowid")
            return [row["id"] for row in rows]

    def stale_stories(self, story_ids: Sequence[str]) -> list[str]:
        """Of these stories, those whose latest brief was not made from all of their reports.

        Two queries per chunk, not two per story: a watch loop checks every open story.
        """
        unique = list(dict.fromkeys(story_ids))
        covered: dict[str, set[str]] = {}
        members: dict[str, set[str]] = {}
        with self._reading() as conn:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT b.story_id, b.changes FROM briefs b WHERE b.story_id IN ({marks})"
                    " AND b.version ="
                    " (SELECT max(version) FROM briefs WHERE story_id = b.story_id)",
                    chunk,
                )
                for row in rows:
                    changes = json.loads(row["changes"]) if row["changes"] else {}
                    covered[row["story_id"]] = set(changes.get("reports", []))
                rows = conn.execute(
                    f"SELECT story_id, report_id FROM story_reports WHERE story_id IN ({marks})",
                    chunk,
                )
                for row in rows:
                    members.setdefault(row["story_id"], set()).add(row["report_id"])
        return [s for s in unique if covered.get(s, set()) != members.get(s, set())]

    # -- a model writer's answers ---------------------------------------------------

    def written(self, story_version: str, model: str, prompt_version: str) -> str | None:
        """A model's stored answer for this story version, model and prompt, or None."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT answer_json FROM written_sentences "
                "WHERE story_version = ? AND model = ? AND prompt_version = ?",
                (story_version, model, prompt_version),
            ).fetchone()
        return None if row is None else row["answer_json"]

    def save_written(
        self, story_version: str, model: str, prompt_version: str, answer: str
    ) -> None:
        """Keep a model's answer (JSON text), replacing any under the same key."""
        _check_json(answer, "a written answer")
        with self._transaction("save a written answer") as conn:
            conn.execute(
                "INSERT OR REPLACE INTO written_sentences "
                "(story_version, model, prompt_version, answer_json, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (story_version, model, prompt_version, answer, _now()),
            )
