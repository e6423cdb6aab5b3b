"""Followed sources (feeds and pages): the items taken from each and the state of fetching."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from newsweave.errors import StoreError
from newsweave.records import Report
from newsweave.storage.base import _CHUNK, Row, _now, _opt_time, _parse_time, _time_text
from newsweave.storage.reports import ReportQueries


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


class SourceQueries(ReportQueries):
    """The followed sources of a library and the state of their fetching."""

    _SOURCE_ROWS = """
        SELECT s.*, (SELECT count(*) FROM source_items i WHERE i.source_id = s.id) AS report_count
        FROM sources s
    """

    @staticmethod
    def _source_row(row: Row) -> SourceRow:
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
            added = self._add_reports(conn, [report], self._keeps_search())
            conn.execute(
                "INSERT INTO source_items"
                " (source_id, item_key, report_id, text_from, fetched_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
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
                # CAST: PostgreSQL cannot tell the type of a parameter only tested for NULL.
                " title = CASE WHEN CAST(? AS TEXT) IS NULL OR ? = '' THEN title ELSE ? END,"
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
