"""Read-only access to the store for the reader: one connection per thread, opened on first use.

The reader never writes: its connections are opened with SQLite's read-only mode and
``query_only``, so a bug in a GET handler cannot change the database. The only write is the
one-time migration check when the first connection is opened (Store.open creates or upgrades
the database), which happens before any request is answered from it.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from urllib.parse import quote

from newsweave.errors import StoreError
from newsweave.store import BUSY_TIMEOUT_MS, Store


class ReadOnlyStore:
    """Per-thread read-only Store objects over one database file."""

    def __init__(self, path: Path) -> None:
        """Remember the path; nothing is opened until a request needs it."""
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[sqlite3.Connection] = []
        self._migrated = False

    def _migrate_once(self) -> None:
        """Create or upgrade the database the first time any thread needs it."""
        with self._lock:
            if not self._migrated:
                Store.open(self.path).close()
                self._migrated = True

    def _connect(self) -> sqlite3.Connection:
        """A new read-only connection."""
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        try:
            # check_same_thread=False only so close() can run from the shutdown thread;
            # each connection is otherwise used by the one thread that opened it.
            conn = sqlite3.connect(
                uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only=ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {self.path} for reading: {exc}") from exc
        with self._lock:
            self._opened.append(conn)
        return conn

    def _pair(self) -> tuple[Store, sqlite3.Connection]:
        """This thread's Store and the connection under it, opened on first use."""
        pair = getattr(self._local, "pair", None)
        if pair is None:
            self._migrate_once()
            conn = self._connect()
            pair = (Store(conn, self.path), conn)
            self._local.pair = pair
        return pair

    def store(self) -> Store:
        """This thread's read-only Store."""
        return self._pair()[0]

    def conn(self) -> sqlite3.Connection:
        """This thread's read-only connection, for queries the Store does not offer."""
        return self._pair()[1]

    def close(self) -> None:
        """Close every connection opened so far."""
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()
