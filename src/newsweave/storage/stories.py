"""Stories: which reports each holds, the story list, a story's brief versions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsweave.errors import StoreError
from newsweave.records import Brief, Report
from newsweave.storage.base import (
    _CHUNK,
    Row,
    _changed,
    _check_json,
    _now,
    _opt_time,
    _parse_time,
    _sort_key,
    _time_text,
)
from newsweave.storage.briefs import BriefQueries, StoredBrief
from newsweave.storage.database import Database
from newsweave.storage.migrations import _ACTIVITY
from newsweave.storage.reports import ReportQueries
from newsweave.text.fold import fold, same_news

# The order of the story list, newest activity first; stories_activity serves it.
ACTIVITY_ORDER = " ORDER BY s.activity DESC, s.id"


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
class Assigned:
    """What an assign call changed: stories started, stories that gained reports, pairs stored."""

    new_stories: tuple[str, ...]
    updated_stories: tuple[str, ...]
    added: tuple[tuple[str, str], ...]  # (report id, story id) pairs not stored before


class StoryQueries(ReportQueries, BriefQueries):
    """The stories of a library: their reports, their briefs, the list newest first."""

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
                        f"no such report in database {self.where}"
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
                    if self._keeps_search():
                        conn.execute(
                            "INSERT INTO story_search (story_id, folded) VALUES (?, ?)",
                            (story_id, fold(report["title"])),
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
                conn.execute(f"UPDATE stories SET activity = {_ACTIVITY} WHERE id = ?", (story_id,))
            if touched:
                _changed(conn)
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
            if ids:
                _changed(conn)
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
    def _story_row(row: Row) -> StoryRow:
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
            # The page's ids first: the per-story subqueries then run for its rows only,
            # not for every row the offset skips.
            rows = conn.execute(
                self._STORY_ROWS
                + " WHERE s.id IN (SELECT s.id FROM stories s"
                + ACTIVITY_ORDER
                + " LIMIT ? OFFSET ?)"
                + ACTIVITY_ORDER,
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
        self,
        story_id: str,
        brief: Brief,
        body_json: str,
        changes: Mapping[str, Any],
        *,
        only_after: int | None = None,
    ) -> int:
        """Store a brief as the story's next version in one transaction; return the version.

        With only_after (0: no version yet), the brief is saved only if the story's latest
        version is still that one, else 0 is returned and nothing saved: two workers that
        briefed a story at once do not save the same version twice (newsweave.pipeline.worker).
        """
        what = f"cannot save brief {brief.headline!r} of story {story_id}"
        _check_json(body_json, f"{what}: body")
        try:
            changes_json = json.dumps(dict(changes), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"{what}: changes cannot be written as JSON: {exc}") from exc
        with self._transaction("save story brief") as conn:
            if conn.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone() is None:
                raise StoreError(f"{what}: no such story in database {self.where}")
            last = conn.execute(
                "SELECT max(version) FROM briefs WHERE story_id = ?", (story_id,)
            ).fetchone()[0]
            if only_after is not None and (last or 0) != only_after:
                return 0
            version = (last or 0) + 1
            title = self._story_title(conn, story_id, last, brief)
            self._insert_brief(conn, brief, body_json, (story_id, version, changes_json))
            conn.execute("UPDATE stories SET title = ? WHERE id = ?", (title, story_id))
            # The story is found by its title and its brief's headline (reports by their own).
            if self._keeps_search():
                conn.execute(
                    "UPDATE story_search SET folded = ? WHERE story_id = ?",
                    (fold(f"{title}\n{brief.headline}"), story_id),
                )
        return version

    @staticmethod
    def _story_title(conn: Database, story_id: str, last: int | None, brief: Brief) -> str:
        """The story's title after this brief: kept while the lede tells the same news.

        A story's title is its brief's headline; a later version whose lede tells the same
        news (same_news: most of the same words) as the version that gave the title keeps
        it, so readers know the story by one name until the news itself changes. Comparing
        with that version, not the previous one, keeps small changes from adding up.
        """
        if last is None:
            return brief.headline
        row = conn.execute(
            "SELECT s.title, b.body_json FROM stories s JOIN briefs b ON b.story_id = s.id"
            " WHERE s.id = ? AND b.headline = s.title ORDER BY b.version DESC LIMIT 1",
            (story_id,),
        ).fetchone()
        if row is None:  # a title not from a brief (set by hand or an older rule): the last
            row = conn.execute(
                "SELECT s.title, b.body_json FROM stories s JOIN briefs b ON b.story_id = s.id"
                " WHERE s.id = ? AND b.version = ?",
                (story_id, last),
            ).fetchone()
        if row is None or not row[0]:
            return brief.headline
        try:
            before = json.loads(row[1])["lede"]["text"]
        except (ValueError, KeyError, TypeError):
            return brief.headline
        return row[0] if same_news(str(before), brief.lede.text) else brief.headline

    def story_briefs(self, story_id: str) -> list[StoredBrief]:
        """Every stored version of the story's brief, oldest (version 1) first."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT * FROM briefs WHERE story_id = ? ORDER BY version", (story_id,)
            ).fetchall()
            return [self._stored_brief(row) for row in rows]

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
