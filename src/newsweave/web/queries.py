"""Read-only queries the reader needs beyond what Store offers: stamps, counts and search.

Each takes an open connection (newsweave.storage.database.Database, SQLite or PostgreSQL) and only
reads; the SQL is the same on both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from newsweave.errors import StoreError
from newsweave.storage import ACTIVITY_ORDER
from newsweave.storage.database import Database
from newsweave.text.fold import fold, folded_words
from newsweave.text.notation import CITATION_GROUP

# At most this many words of a search are used; more only slow the query down.
MAX_SEARCH_WORDS = 8


@dataclass(frozen=True)
class LatestBrief:
    """The newest stored brief of a story, as its JSON text."""

    story_id: str
    version: int
    created_at: datetime
    body_json: str


@contextmanager
def _reading(conn: Database) -> Iterator[Database]:
    """Turn the driver's errors into StoreError."""
    try:
        yield conn
    except conn.errors as exc:
        raise StoreError(f"cannot read the database: {exc}") from exc


def story_stamp(conn: Database, story_id: str) -> tuple[object, ...] | None:
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


def store_stamp(conn: Database) -> tuple[object, ...]:
    """What changes whenever any story, story report or brief is added or changed."""
    with _reading(conn):
        row = conn.execute("SELECT generation FROM library_changes").fetchone()
    return tuple(row)


def count_stories(conn: Database) -> int:
    """How many stories are stored."""
    with _reading(conn):
        return conn.execute("SELECT count(*) FROM stories").fetchone()[0]


def search_words(query: str) -> list[str]:
    """The folded words of a search query, in order, without repeats, at most MAX_SEARCH_WORDS.

    Folded as the stored search text is (newsweave.text.fold): case and accents removed.
    """
    words = dict.fromkeys(folded_words(query))
    return list(words)[:MAX_SEARCH_WORDS]


def _like(word: str) -> str:
    """A LIKE pattern matching the word anywhere, with LIKE's wildcards taken literally."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_stories(
    conn: Database, words: list[str], limit: int, offset: int
) -> tuple[list[str], int]:
    """Ids of the stories whose title or reports contain every word (newest first), and the total.

    Matching is on the folded search text (m008_search): case- and accent-insensitive on
    SQLite and PostgreSQL alike ("valparaiso" finds "VALPARAÍSO"), and a word also matches
    inside longer words ("border" finds "borders"). Words are folded by search_words.
    """
    if not words:
        raise ValueError("search_stories needs at least one word")
    clauses = []
    params: list[object] = []
    for word in words:
        pattern = _like(fold(word))
        clauses.append(
            "(EXISTS (SELECT 1 FROM story_search ss WHERE ss.story_id = s.id"
            " AND ss.folded LIKE ? ESCAPE '\\') OR EXISTS (SELECT 1 FROM story_reports sr"
            " JOIN report_search rs ON rs.report_id = sr.report_id WHERE sr.story_id = s.id"
            " AND rs.folded LIKE ? ESCAPE '\\'))"
        )
        params.extend([pattern] * 2)
    where = " WHERE " + " AND ".join(clauses)
    with _reading(conn):
        total = conn.execute("SELECT count(*) FROM stories s" + where, params).fetchone()[0]
        rows = conn.execute(
            "SELECT s.id FROM stories s" + where + ACTIVITY_ORDER + " LIMIT ? OFFSET ?",
            [*params, max(0, limit), max(0, offset)],
        ).fetchall()
    return [row["id"] for row in rows], total


def _time(text: str) -> datetime:
    """A stored ISO time, read as UTC when it has no offset."""
    moment = datetime.fromisoformat(text)
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


# Ids per IN list: below SQLite's oldest limit of 999 bound parameters.
_CHUNK = 500


def latest_briefs(conn: Database, story_ids: list[str]) -> dict[str, LatestBrief]:
    """The newest stored brief of each of these stories that has one."""
    found: dict[str, LatestBrief] = {}
    ids = list(dict.fromkeys(story_ids))
    with _reading(conn):
        for start in range(0, len(ids), _CHUNK):  # one query per page, not one per story
            chunk = ids[start : start + _CHUNK]
            rows = conn.execute(
                "SELECT b.story_id, b.version, b.created_at, b.body_json FROM briefs b"
                f" WHERE b.story_id IN ({', '.join('?' for _ in chunk)}) AND b.version ="
                " (SELECT max(version) FROM briefs WHERE story_id = b.story_id)",
                chunk,
            ).fetchall()
            for row in rows:
                found[row["story_id"]] = LatestBrief(
                    row["story_id"], row["version"], _time(row["created_at"]), row["body_json"]
                )
    return found


@dataclass(frozen=True)
class ListDetails:
    """What the story list shows beyond StoryRow: the lede, the outlets, the brief's time."""

    lede: str  # the latest brief's first sentence as plain text; "" without a brief
    outlets: tuple[str, ...]  # outlets of the story's reports, most reports first
    brief_at: datetime | None  # when the latest brief was made


def _plain_lede(body_json: str) -> str:
    """The lede of a stored brief as plain text (no citation groups); "" if unreadable."""
    try:
        text = json.loads(body_json)["lede"]["text"]
    except (ValueError, KeyError, TypeError):
        return ""
    return " ".join(CITATION_GROUP.sub("", str(text)).split())


def list_details(conn: Database, story_ids: list[str]) -> dict[str, ListDetails]:
    """The lede, outlets and latest brief time of each of these stories."""
    ids = list(dict.fromkeys(story_ids))
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    outlets: dict[str, list[str]] = {i: [] for i in ids}
    with _reading(conn):
        rows = conn.execute(
            "SELECT sr.story_id, r.outlet, count(*) AS n FROM story_reports sr"
            " JOIN reports r ON r.id = sr.report_id"
            f" WHERE sr.story_id IN ({marks}) GROUP BY sr.story_id, r.outlet"
            " ORDER BY sr.story_id, n DESC, r.outlet",
            ids,
        ).fetchall()
    for row in rows:
        if row["outlet"]:
            outlets[row["story_id"]].append(row["outlet"])
    briefs = latest_briefs(conn, ids)
    return {
        i: ListDetails(
            lede=_plain_lede(briefs[i].body_json) if i in briefs else "",
            outlets=tuple(outlets[i]),
            brief_at=briefs[i].created_at if i in briefs else None,
        )
        for i in ids
    }


def first_brief_times(conn: Database, story_ids: list[str]) -> dict[str, datetime]:
    """When version 1 of each of these stories' briefs was made (stories without one left out)."""
    found: dict[str, datetime] = {}
    with _reading(conn):
        for story_id in dict.fromkeys(story_ids):
            row = conn.execute(
                "SELECT created_at FROM briefs WHERE story_id = ? AND version = 1", (story_id,)
            ).fetchone()
            if row is not None:
                found[story_id] = _time(row["created_at"])
    return found


def first_story_day(conn: Database) -> date | None:
    """The (UTC) day the first story was started; None when there is none."""
    with _reading(conn):
        rows = conn.execute("SELECT created_at FROM stories ORDER BY created_at LIMIT 8").fetchall()
    # Stored times are UTC, so text order is time order; a few are read in case one is not.
    times = [_time(row["created_at"]).astimezone(UTC) for row in rows]
    return min(times).date() if times else None
