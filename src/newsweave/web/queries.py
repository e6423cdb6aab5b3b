"""Read-only queries the reader needs beyond what Store offers: stamps, counts and search.

Each takes an open connection (rows as sqlite3.Row) and only reads.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from newsweave.errors import StoreError

# At most this many words of a search are used; more only slow the query down.
MAX_SEARCH_WORDS = 8

_WORD = re.compile(r"\w+")

# The order Store.stories lists stories in: newest activity first.
_ACTIVITY_ORDER = (
    " ORDER BY s.last_report_at IS NULL, julianday(s.last_report_at) DESC,"
    " julianday(s.created_at) DESC, s.id"
)


@dataclass(frozen=True)
class LatestBrief:
    """The newest stored brief of a story, as its JSON text."""

    story_id: str
    version: int
    created_at: datetime
    body_json: str


@contextmanager
def _reading(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Turn sqlite3 errors into StoreError."""
    try:
        yield conn
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the database: {exc}") from exc


def story_stamp(conn: sqlite3.Connection, story_id: str) -> tuple[object, ...] | None:
    """What changes whenever anything shown about a story changes; None if there is no story."""
    with _reading(conn):
        row = conn.execute(
            "SELECT s.title, s.status, s.last_report_at,"
            " (SELECT count(*) FROM story_reports sr WHERE sr.story_id = s.id) AS reports,"
            " (SELECT max(sr.rowid) FROM story_reports sr WHERE sr.story_id = s.id) AS last_row,"
            " (SELECT max(b.version) FROM briefs b WHERE b.story_id = s.id) AS version"
            " FROM stories s WHERE s.id = ?",
            (story_id,),
        ).fetchone()
    return None if row is None else tuple(row)


def store_stamp(conn: sqlite3.Connection) -> tuple[object, ...]:
    """What changes whenever any story, story report or brief is added or changed."""
    with _reading(conn):
        row = conn.execute(
            "SELECT (SELECT count(*) FROM stories),"
            " (SELECT count(*) FROM story_reports), (SELECT max(rowid) FROM story_reports),"
            " (SELECT max(id) FROM briefs),"
            " (SELECT count(*) FROM stories WHERE status = 'dormant')"
        ).fetchone()
    return tuple(row)


def count_stories(conn: sqlite3.Connection) -> int:
    """How many stories are stored."""
    with _reading(conn):
        return conn.execute("SELECT count(*) FROM stories").fetchone()[0]


def search_words(query: str) -> list[str]:
    """The words of a search query, in order, without repeats, at most MAX_SEARCH_WORDS."""
    words = dict.fromkeys(w.lower() for w in _WORD.findall(query))
    return list(words)[:MAX_SEARCH_WORDS]


def _like(word: str) -> str:
    """A LIKE pattern matching the word anywhere, with LIKE's wildcards taken literally."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_stories(
    conn: sqlite3.Connection, words: list[str], limit: int, offset: int
) -> tuple[list[str], int]:
    """Ids of the stories whose title or reports contain every word (newest first), and the total.

    Matching is LIKE's: case-insensitive for ASCII letters, and a word also matches inside
    longer words ("border" finds "borders").
    """
    if not words:
        raise ValueError("search_stories needs at least one word")
    clauses = []
    params: list[object] = []
    for word in words:
        pattern = _like(word)
        clauses.append(
            "(s.title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM story_reports sr"
            " JOIN reports r ON r.id = sr.report_id WHERE sr.story_id = s.id"
            " AND (r.title LIKE ? ESCAPE '\\' OR r.outlet LIKE ? ESCAPE '\\'"
            " OR r.text LIKE ? ESCAPE '\\')))"
        )
        params.extend([pattern] * 4)
    where = " WHERE " + " AND ".join(clauses)
    with _reading(conn):
        total = conn.execute("SELECT count(*) FROM stories s" + where, params).fetchone()[0]
        rows = conn.execute(
            "SELECT s.id FROM stories s" + where + _ACTIVITY_ORDER + " LIMIT ? OFFSET ?",
            [*params, max(0, limit), max(0, offset)],
        ).fetchall()
    return [row["id"] for row in rows], total


def _time(text: str) -> datetime:
    """A stored ISO time, read as UTC when it has no offset."""
    moment = datetime.fromisoformat(text)
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def latest_briefs(conn: sqlite3.Connection, story_ids: list[str]) -> dict[str, LatestBrief]:
    """The newest stored brief of each of these stories that has one."""
    found: dict[str, LatestBrief] = {}
    with _reading(conn):
        for story_id in dict.fromkeys(story_ids):
            row = conn.execute(
                "SELECT version, created_at, body_json FROM briefs WHERE story_id = ?"
                " ORDER BY version DESC LIMIT 1",
                (story_id,),
            ).fetchone()
            if row is not None:
                found[story_id] = LatestBrief(
                    story_id, row["version"], _time(row["created_at"]), row["body_json"]
                )
    return found
