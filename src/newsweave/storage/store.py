"""The store of reports and briefs (SQLite or PostgreSQL), with named, ordered migrations.

`Store` is one class made of parts, each in its own module: the connection, its transactions
and migrating (base), then the queries of each kind of record: reports, briefs, stories,
sources and their fetch state, filing attempts, a model writer's answers. The schema is in
migrations; the workers' job queue (jobs) and export and import (transfer) take a Store.
"""

from __future__ import annotations

from pathlib import Path

from newsweave.errors import StoreError
from newsweave.storage.database import Target, connect, parse_target
from newsweave.storage.filing import FilingQueries
from newsweave.storage.migrations import MIGRATIONS
from newsweave.storage.sources import SourceQueries
from newsweave.storage.stories import StoryQueries
from newsweave.storage.written import WrittenQueries


class Store(StoryQueries, SourceQueries, FilingQueries, WrittenQueries):
    """Reports and briefs in one SQLite or PostgreSQL database; one connection per instance."""

    @classmethod
    def open(cls, target: str | Path | Target) -> Store:
        """Open the database (a path, sqlite:///path or postgresql://...) and migrate it.

        An SQLite file and its folders are created if missing; a PostgreSQL database must
        exist (its tables are created here).
        """
        if not isinstance(target, Target):
            target = parse_target(target)
        conn = connect(target)
        store = cls(conn, target)
        try:
            store._migrate(MIGRATIONS)
        except conn.errors as exc:
            conn.close()
            raise StoreError(f"cannot open database at {target.where}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        return store
