"""What every part of the store shares: the connection, transactions, migrating, stored times.

`Store` (newsweave.storage.store) is StoreBase plus one mixin of queries per kind of record:
reports, briefs, stories, sources (and their fetch state), filing attempts, a model writer's
answers. The helpers below are the store's own: times are kept as ISO 8601 text with offsets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from newsweave.errors import StoreError
from newsweave.records import Report
from newsweave.storage.database import Database, Target
from newsweave.storage.migrations import Migration, record_table

# A row as either driver returns it: by column name or by position.
Row = Any


# SQLite builds before 3.32 allow at most 999 bound parameters per statement.
_CHUNK = 500


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


def _changed(conn: Database) -> None:
    """Count a change the reader shows (stories, their reports, briefs), in the transaction."""
    conn.execute("UPDATE library_changes SET generation = generation + 1")


class StoreBase:
    """The store's connection, its transactions and its migrations; the queries are mixins."""

    def __init__(self, conn: Database, target: Target | None = None) -> None:
        """Wrap an open, migrated connection; use Store.open instead."""
        self._conn = conn
        self.backend: str = conn.dialect  # "sqlite" or "postgresql"
        self.path: Path | None = None if target is None else target.path  # the SQLite file
        self.where: str = conn.where  # for messages: the path, or the URL without password
        # Migrations this Store.open applied (`newsweave migrate` prints them).
        self.applied_now: tuple[str, ...] = ()
        self._search: bool | None = None  # whether m008_search's tables exist (_keeps_search)

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        self._conn.close()

    def __enter__(self) -> Self:
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
        # On PostgreSQL a session lock makes processes opening a new database together take
        # turns (SQLite's BEGIN IMMEDIATE below does that there; CREATE TABLE IF NOT EXISTS
        # is not safe against a concurrent one on PostgreSQL).
        self._conn.lock_migrations()
        try:
            self._migrate_locked(migrations)
        finally:
            self._conn.unlock_migrations()

    def _migrate_locked(self, migrations: Sequence[tuple[str, Migration]]) -> None:
        """_migrate, once no other process migrates."""
        record_table(self._conn)
        known = {name for name, _ in migrations}
        unknown = [name for name in self._applied() if name not in known]
        if unknown:
            raise StoreError(
                f"database {self.where} is newer than this newsweave "
                f"(migration {unknown[0]!r} unknown); upgrade newsweave to use it"
            )
        applied: list[str] = []
        for name, migration in migrations:
            # begin() takes the write lock first, so two processes opening a new
            # database at once cannot both apply the same migration.
            self._conn.begin()
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
                    applied.append(name)
                self._conn.commit()
            except BaseException as exc:
                self._rollback()
                if isinstance(exc, self._conn.errors):
                    raise StoreError(
                        f"cannot migrate database {self.where} (migration {name!r}): {exc}"
                    ) from exc
                raise
        self.applied_now = tuple(applied)

    def _applied(self) -> list[str]:
        """Names of applied migrations, oldest first."""
        rows = self._conn.execute("SELECT name FROM _migrations ORDER BY applied_at, rowid")
        return [row["name"] for row in rows]

    def _keeps_search(self) -> bool:
        """Whether this library keeps the folded search text (m008_search applied)."""
        if self._search is None:
            self._search = "m008_search" in self._applied()
        return self._search

    def migrations_applied(self) -> list[str]:
        """Names of the migrations applied to this database, oldest first."""
        with self._reading():
            return self._applied()

    # -- plumbing -----------------------------------------------------------------

    @contextmanager
    def _transaction(self, what: str, *, exclusive: bool = True) -> Iterator[Database]:
        """One write transaction: commit if the block ends, roll back if it raises.

        Exclusive (the default): writers take turns, so a block may read, then write what it
        read as still true. exclusive=False: on PostgreSQL, row locks only (Database.begin).
        """
        try:
            self._conn.begin(exclusive)
        except self._conn.errors as exc:
            raise StoreError(f"cannot {what} in database {self.where}: {exc}") from exc
        try:
            yield self._conn
            self._conn.commit()
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, self._conn.errors):
                raise StoreError(f"cannot {what} in database {self.where}: {exc}") from exc
            raise

    def _rollback(self) -> None:
        """Roll back the open transaction, if the database has not already done so."""
        # A connection that is gone (closed, server restarted) has nothing to roll back, and
        # its error would hide the one that matters.
        with suppress(*self._conn.errors):
            self._conn.rollback()

    @contextmanager
    def _reading(self) -> Iterator[Database]:
        """Turn driver errors and unreadable stored values raised by a read into StoreError."""
        try:
            yield self._conn
        except (*self._conn.errors, ValueError) as exc:
            raise StoreError(f"cannot read database {self.where}: {exc}") from exc

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
