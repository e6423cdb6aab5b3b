"""Read-only access to the store for the reader, on SQLite or PostgreSQL.

The reader never writes. On SQLite each thread opens its own connection, in SQLite's
read-only mode with ``query_only``; on PostgreSQL the threads share a small pool of sessions
with ``default_transaction_read_only`` on, each statement borrowing one. Either way a bug in a
GET handler cannot change the database. The only write is the one-time migration check when
the database is first needed (Store.open creates or upgrades it), before any request is
answered from it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from newsweave.storage.database import SQLITE, Database, Target, connect_read_only, parse_target
from newsweave.storage.store import Store


class ReadOnlyStore:
    """Read-only Store objects over one database: per thread on SQLite, pooled on PostgreSQL."""

    def __init__(self, target: str | Path) -> None:
        """Remember the database; nothing is opened until a request needs it."""
        self.target: Target = parse_target(target)
        self.path = self.target.path  # the SQLite file; None on PostgreSQL
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Database] = []
        self._shared: tuple[Store, Database] | None = None  # the pool, on PostgreSQL
        self._migrated = False

    def _migrate_once(self) -> None:
        """Create or upgrade the database the first time any thread needs it."""
        with self._lock:
            if not self._migrated:
                Store.open(self.target).close()
                self._migrated = True

    def _pair(self) -> tuple[Store, Database]:
        """This thread's Store and the connection under it, opened on first use."""
        if self.target.backend != SQLITE:
            return self._pooled()
        pair = getattr(self._local, "pair", None)
        if pair is None:
            self._migrate_once()
            conn = connect_read_only(self.target)
            with self._lock:
                self._opened.append(conn)
            pair = (Store(conn, self.target), conn)
            self._local.pair = pair
        return pair

    def _pooled(self) -> tuple[Store, Database]:
        """The one Store over the pool of read-only PostgreSQL sessions, opened on first use."""
        shared = self._shared
        if shared is None:
            self._migrate_once()
            with self._lock:
                if self._shared is None:
                    conn = connect_read_only(self.target)
                    self._opened.append(conn)
                    self._shared = (Store(conn, self.target), conn)
                shared = self._shared
        return shared

    def store(self) -> Store:
        """This thread's read-only Store."""
        return self._pair()[0]

    def conn(self) -> Database:
        """This thread's read-only connection, for queries the Store does not offer."""
        return self._pair()[1]

    def close(self) -> None:
        """Close every connection (and pool) opened so far."""
        with self._lock:
            opened, self._opened = self._opened, []
            self._shared = None
        for conn in opened:
            conn.close()
        self._local = threading.local()
