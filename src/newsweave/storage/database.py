"""A thin adapter over the two database drivers the store runs on: sqlite3 and psycopg 3.

The store keeps one SQL text per query, written with `?` placeholders; for PostgreSQL the
adapter turns them into psycopg's `%s` (and doubles a literal `%`). Rows answer to a column's
name and to its position on both (newsweave.storage.pgcompat does both for psycopg). No ORM:
the store's SQL is standard SQL but for a handful of statements, which branch on
`Database.dialect` (docs/store.md says why and which).

Which backend a URL opens is looked up in BACKENDS (at the end of this module): its scheme
names a Backend that makes a Target of the URL and opens it for writing or for reading.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from newsweave.errors import StoreError
from newsweave.storage.pgcompat import Rows, row_factory, to_psycopg

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

# How long an SQLite writer waits for another process's lock before giving up.
BUSY_TIMEOUT_MS = 5000
# RETURNING (instead of cursor.lastrowid, which psycopg lacks) came in SQLite 3.35.
SQLITE_MIN = (3, 35, 0)
# Seconds to wait for a PostgreSQL server to accept a connection.
CONNECT_TIMEOUT_S = 10
# Every write transaction on PostgreSQL takes this advisory lock, so writers take turns as they
# do on SQLite (BEGIN IMMEDIATE): the store reads, then writes, in one transaction and counts
# on nobody writing in between (the next brief version, a report's duplicate check).
WRITE_LOCK = 0x6E7377_01  # "nsw" 1
# Held while migrations run, so processes opening a new database together take turns.
MIGRATION_LOCK = 0x6E7377_02
# Rows a PostgreSQL server-side cursor sends at a time (export reads whole tables).
STREAM_BATCH = 2000
# The reader's pool: a few connections are plenty, each request holds one per statement.
READER_POOL_MIN = 1
READER_POOL_MAX = 4
READER_POOL_TIMEOUT_S = 30.0

INSTALL_POSTGRES = "PostgreSQL support needs psycopg: pip install 'newsweave[postgres]'"


@dataclass(frozen=True)
class Target:
    """Where a library lives: an SQLite file or a PostgreSQL database."""

    backend: str  # SQLITE or POSTGRESQL
    path: Path | None  # the SQLite file
    url: str | None = field(repr=False)  # the PostgreSQL URL as given: it may hold a password
    where: str = ""  # for messages: the path, or the URL without its password

    def __str__(self) -> str:
        return self.where


_PASSWORD_PARAMETER = re.compile(r"(?i)([?&]password=)[^&#]*")


def _redact(url: str) -> str:
    """The URL with its password (in the address or as ?password=) replaced by ***."""
    url = _PASSWORD_PARAMETER.sub(r"\1***", url)
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}:***@{host}"))


def parse_target(target: str | Path) -> Target:
    """A path, `sqlite:///relative`, `sqlite:////absolute` or `postgresql://...` as a Target."""
    if isinstance(target, Path):
        return Target(SQLITE, target, None, str(target))
    text = str(target).strip()
    if not text:
        raise StoreError("no database given: give a path, sqlite:///path or postgresql://...")
    scheme, sep, rest = text.partition("://")
    if not sep:
        path = Path(text).expanduser()
        return Target(SQLITE, path, None, str(path))
    scheme = scheme.lower()
    backend = BACKENDS.get(scheme)
    if backend is None:
        raise StoreError(
            f"database URL {_redact(text)!r} has an unknown scheme {scheme!r}: "
            "give a path, sqlite:///path or postgresql://..."
        )
    return backend.target(text, rest)


def _sqlite_target(text: str, rest: str) -> Target:
    """An sqlite:// URL's file (rest: what follows the scheme's `://`)."""
    # As SQLAlchemy reads it: three slashes then the path, so four for an absolute one.
    if not rest.startswith("/") or len(rest) < 2:
        raise StoreError(
            f"database URL {text!r} names no file: write sqlite:///relative/path "
            "or sqlite:////absolute/path"
        )
    path = Path(unquote(rest[1:].split("?", 1)[0])).expanduser()
    return Target(SQLITE, path, None, str(path))


def _postgres_target(text: str, rest: str) -> Target:
    """A postgresql:// (or postgres://) URL, kept whole for libpq; messages show no password."""
    return Target(POSTGRESQL, None, text, _redact(text))


# -- results and connections ------------------------------------------------------------


class Result(Protocol):
    """What execute returns: a cursor with its rows."""

    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Database:
    """One connection to either backend: execute with `?` placeholders, explicit transactions."""

    dialect: str
    where: str
    # The driver's errors: the store turns them into StoreError naming what failed.
    errors: tuple[type[BaseException], ...]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement; its rows answer to names and positions."""
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""
        raise NotImplementedError

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Any]:
        """The rows of a query a batch at a time, not all in memory (inside a transaction)."""
        yield from self.execute(sql, params)

    def begin(self, exclusive: bool = True) -> None:
        """Start a write transaction; exclusive ones take turns, on both backends.

        exclusive=False matters on PostgreSQL only: the transaction takes no store-wide lock
        and relies on row locks (a job queue's SELECT ... FOR UPDATE SKIP LOCKED, say).
        SQLite has one write lock, so every write transaction there is exclusive.
        """
        raise NotImplementedError

    def begin_snapshot(self) -> None:
        """Start a read-only transaction whose reads all see one moment of the database."""
        raise NotImplementedError

    def commit(self) -> None:
        """Commit the open transaction."""
        self.execute("COMMIT")

    def rollback(self) -> None:
        """Roll back the open transaction, if the server has not already ended it."""
        # Some errors (a full disk, an interrupt) end the transaction themselves; a second
        # ROLLBACK would then raise and hide the error that matters.
        if self.in_transaction:
            self.execute("ROLLBACK")

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        raise NotImplementedError

    def lock_migrations(self) -> None:
        """Keep other processes from migrating until unlock_migrations (PostgreSQL only)."""

    def unlock_migrations(self) -> None:
        """Let other processes migrate again."""


class SQLiteDatabase(Database):
    """An sqlite3 connection; sqlite3.Row already answers to names and positions."""

    dialect = SQLITE
    errors = (sqlite3.Error,)

    def __init__(self, conn: sqlite3.Connection, where: str) -> None:
        """Wrap an open connection set to autocommit (isolation_level=None)."""
        self.conn = conn
        self.where = where
        conn.row_factory = sqlite3.Row
        # Bound once: the store's hot paths call these thousands of times.
        self.execute = conn.execute  # type: ignore[method-assign]
        self.executemany = conn.executemany  # type: ignore[method-assign,assignment]

    def begin(self, exclusive: bool = True) -> None:
        """BEGIN IMMEDIATE: take the write lock first, so writers never deadlock on upgrade."""
        self.conn.execute("BEGIN IMMEDIATE")

    def begin_snapshot(self) -> None:
        """BEGIN: in WAL mode the first read fixes the snapshot every later read sees."""
        self.conn.execute("BEGIN")

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open."""
        return self.conn.in_transaction

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _psycopg() -> Any:
    """The psycopg module, or StoreError saying how to install it."""
    try:
        import psycopg
    except ImportError as exc:
        raise StoreError(INSTALL_POSTGRES) from exc
    return psycopg


def _pg_options(url: str, *extra: str) -> str:
    """libpq `options` for our sessions: the URL's own, then UTC and any extra settings."""
    from psycopg.conninfo import conninfo_to_dict

    # Times are stored as ISO text; one without an offset is read as UTC on both backends.
    given = str(conninfo_to_dict(url).get("options") or "")
    # No JIT: the store's queries are short, and PostgreSQL's cost estimate for a page of
    # stories (a subquery per row) starts a compile that costs more than the query.
    return " ".join(part for part in ("-c jit=off", given, "-c TimeZone=UTC", *extra) if part)


class PostgresDatabase(Database):
    """A psycopg connection in autocommit mode; the store issues BEGIN and COMMIT itself."""

    dialect = POSTGRESQL

    def __init__(self, conn: psycopg.Connection[Any], where: str) -> None:
        """Wrap an open connection made with autocommit=True and row_factory=row_factory."""
        self.conn = conn
        self.where = where
        self.errors = (_psycopg().Error,)
        self._sql: dict[str, str] = {}

    def _translated(self, sql: str) -> str:
        """The psycopg form of sql, translated once per text."""
        found = self._sql.get(sql)
        if found is None:
            found = self._sql[sql] = to_psycopg(sql)
        return found

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement."""
        return self.conn.execute(self._translated(sql), tuple(params))  # type: ignore[return-value]

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""
        with self.conn.cursor() as cursor:
            cursor.executemany(self._translated(sql), [tuple(r) for r in rows])

    def begin(self, exclusive: bool = True) -> None:
        """BEGIN, then (if exclusive) the store-wide write lock, released at COMMIT or ROLLBACK."""
        self.conn.execute("BEGIN")
        if exclusive:
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))

    def begin_snapshot(self) -> None:
        """A REPEATABLE READ, READ ONLY transaction: one snapshot for every read in it."""
        self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Any]:
        """The rows through a server-side cursor, STREAM_BATCH at a time."""
        with self.conn.cursor(name="newsweave_stream") as cursor:
            cursor.itersize = STREAM_BATCH
            cursor.execute(self._translated(sql), tuple(params))
            yield from cursor

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (or failed and not yet rolled back)."""
        from psycopg.pq import TransactionStatus

        return self.conn.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def lock_migrations(self) -> None:
        """Wait for, then hold, the migration lock for this session."""
        self.conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))

    def unlock_migrations(self) -> None:
        """Release the migration lock (a session that is gone has released it already)."""
        with suppress(*self.errors):
            self.conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


class PooledDatabase(Database):
    """Read-only PostgreSQL sessions from a small pool, one borrowed per statement.

    Each statement runs alone (autocommit), as the reader's SQLite connections do, so a
    connection goes back to the pool as soon as its rows are fetched; threads share a few.
    """

    dialect = POSTGRESQL

    def __init__(self, pool: ConnectionPool[Any], where: str) -> None:
        """Wrap an open pool whose sessions are read-only."""
        self.pool = pool
        self.where = where
        self.errors = (_psycopg().Error, _pool_error())
        self._sql: dict[str, str] = {}

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement on a borrowed connection and return its rows."""
        text = self._sql.get(sql)
        if text is None:
            text = self._sql[sql] = to_psycopg(sql)
        with self.pool.connection() as conn:
            cursor = conn.execute(text, tuple(params))
            rows = cursor.fetchall() if cursor.description is not None else []
            return Rows(rows, cursor.rowcount)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Refused: the reader never writes."""
        raise StoreError(f"database {self.where} is open read-only")

    def begin(self, exclusive: bool = True) -> None:
        """Refused: the reader never writes."""
        raise StoreError(f"database {self.where} is open read-only")

    @property
    def in_transaction(self) -> bool:
        """Never: every statement is its own."""
        return False

    def close(self) -> None:
        """Close the pool and its connections."""
        self.pool.close()


def _pool_error() -> type[BaseException]:
    """The error psycopg_pool raises when no connection is free in time."""
    try:
        from psycopg_pool import PoolTimeout
    except ImportError as exc:
        raise StoreError(INSTALL_POSTGRES + " (psycopg_pool too)") from exc
    return PoolTimeout


# -- opening --------------------------------------------------------------------------


def connect(target: Target) -> Database:
    """A read-write connection to the target (an SQLite file is created if missing)."""
    return backend_named(target.backend).connect(target)


def _check_sqlite_version() -> None:
    """Refuse an SQLite library older than 3.35: the store's INSERTs use RETURNING."""
    if sqlite3.sqlite_version_info < SQLITE_MIN:
        raise StoreError(
            f"the SQLite library is {sqlite3.sqlite_version}; newsweave needs "
            f"{'.'.join(map(str, SQLITE_MIN))} or later (INSERT ... RETURNING): "
            "use a Python built with a newer SQLite"
        )


def _connect_sqlite(target: Target) -> SQLiteDatabase:
    """The SQLite file, in WAL mode, with foreign keys checked."""
    _check_sqlite_version()
    path = target.path
    assert path is not None
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
    db = SQLiteDatabase(conn, str(path))
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"cannot open database at {path}: {exc}") from exc
    return db


def _pg_kwargs(url: str, *options: str) -> dict[str, Any]:
    """Connection arguments for our PostgreSQL sessions."""
    from psycopg.conninfo import conninfo_to_dict

    kwargs: dict[str, Any] = {
        "autocommit": True,
        "row_factory": row_factory,
        "options": _pg_options(url, *options),
    }
    if "connect_timeout" not in conninfo_to_dict(url):
        kwargs["connect_timeout"] = CONNECT_TIMEOUT_S
    return kwargs


def _connect_postgres(target: Target) -> PostgresDatabase:
    """A psycopg connection in autocommit mode (we say where transactions start)."""
    psycopg = _psycopg()
    assert target.url is not None
    try:
        conn = psycopg.connect(target.url, **_pg_kwargs(target.url))
    except psycopg.Error as exc:
        raise StoreError(f"cannot open database at {target.where}: {exc}") from exc
    return PostgresDatabase(conn, target.where)


def connect_read_only(target: Target) -> Database:
    """A connection that cannot write: SQLite's read-only mode, or a pool of read-only sessions."""
    return backend_named(target.backend).connect_read_only(target)


def _connect_sqlite_read_only(target: Target) -> SQLiteDatabase:
    """The SQLite file in read-only mode, with query_only set.

    The connection may be closed from another thread (the reader's shutdown), and is
    otherwise used by the one thread that opened it.
    """
    assert target.path is not None
    uri = f"file:{quote(str(target.path.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(
            uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        conn.execute("PRAGMA query_only=ON")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database {target.path} for reading: {exc}") from exc
    return SQLiteDatabase(conn, str(target.path))


def _connect_postgres_read_only(target: Target) -> PooledDatabase:
    """A pool of read-only sessions (psycopg_pool), shared by the reader's threads."""
    _psycopg()
    _pool_error()
    from psycopg_pool import ConnectionPool

    assert target.url is not None
    pool = ConnectionPool(
        target.url,
        kwargs=_pg_kwargs(target.url, "-c default_transaction_read_only=on"),
        min_size=READER_POOL_MIN,
        max_size=READER_POOL_MAX,
        timeout=READER_POOL_TIMEOUT_S,
        name="newsweave-reader",
        open=False,
    )
    try:
        pool.open(wait=True, timeout=CONNECT_TIMEOUT_S * 3)
    except Exception as exc:
        pool.close()
        raise StoreError(f"cannot open database {target.where} for reading: {exc}") from exc
    return PooledDatabase(pool, target.where)


# -- backends -------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    """One kind of database the store runs on: how a URL names it and how it is opened."""

    name: str  # Target.backend and Database.dialect: what migrations and queries branch on
    target: Callable[[str, str], Target]  # (the URL, what follows "scheme://") -> Target
    connect: Callable[[Target], Database]  # read-write, for Store.open
    connect_read_only: Callable[[Target], Database]  # cannot write, for the reader


_SQLITE = Backend(SQLITE, _sqlite_target, _connect_sqlite, _connect_sqlite_read_only)
_POSTGRESQL = Backend(POSTGRESQL, _postgres_target, _connect_postgres, _connect_postgres_read_only)

# The backends by URL scheme (lower case); a plain path is always an SQLite file. Another
# backend is one entry here: a Backend whose connections are a Database subclass (dialect =
# its name), with the store's few dialect branches (migrations' DDL) taught its name.
BACKENDS: dict[str, Backend] = {
    "sqlite": _SQLITE,
    "postgresql": _POSTGRESQL,
    "postgres": _POSTGRESQL,
}


def backend_named(name: str) -> Backend:
    """The registered backend called name (a Target's backend)."""
    for backend in BACKENDS.values():
        if backend.name == name:
            return backend
    raise StoreError(f"no database backend {name!r}: known are {', '.join(sorted(BACKENDS))}")
