"""Briefs: a brief's body and its numbered sources, one-off or a version of a story."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsweave.errors import StoreError
from newsweave.records import Brief
from newsweave.storage.base import (
    Row,
    StoreBase,
    _changed,
    _check_json,
    _parse_time,
    _time_text,
)
from newsweave.storage.database import Database


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


class BriefQueries(StoreBase):
    """The briefs of a library (a story's versions are saved by StoryQueries)."""

    def save_brief(self, brief: Brief, body_json: str) -> int:
        """Store a brief and its numbered sources in one transaction; return its id."""
        _check_json(body_json, f"cannot save brief {brief.headline!r}: body")
        with self._transaction("save brief") as conn:
            return self._insert_brief(conn, brief, body_json)

    def _insert_brief(
        self,
        conn: Database,
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
                f"database {self.where}: {', '.join(dict.fromkeys(missing))}"
            )
        story_id, version, changes = story if story is not None else (None, None, None)
        # RETURNING, not cursor.lastrowid: psycopg has none (SQLite has RETURNING since 3.35;
        # database.py refuses an older SQLite library).
        brief_id: int = conn.execute(
            "INSERT INTO briefs (created_at, headline, body_json, story_id, version, changes)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (_time_text(brief.created_at), brief.headline, body_json, story_id, version, changes),
        ).fetchone()[0]
        conn.executemany(
            "INSERT INTO brief_sources (brief_id, number, report_id) VALUES (?, ?, ?)",
            [(brief_id, source.number, source.report_id) for source in brief.sources],
        )
        _changed(conn)
        return brief_id

    def _stored_brief(self, row: Row) -> StoredBrief:
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
