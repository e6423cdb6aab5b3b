"""Reports: storing them once (by id, or by outlet and text), reading them back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from newsweave.ids import content_hash
from newsweave.records import Report
from newsweave.storage.base import (
    _CHUNK,
    Row,
    StoreBase,
    _now,
    _parse_time,
    _sort_key,
    _time_text,
)
from newsweave.storage.database import Database
from newsweave.storage.migrations import _report_search_text


@dataclass(frozen=True)
class AddResult:
    """Ids of the reports a call stored, and of those already stored before."""

    added: tuple[str, ...]
    existing: tuple[str, ...]
    stored_ids: tuple[str, ...] = ()  # for each report given, in order, the id it is stored under


class ReportQueries(StoreBase):
    """The reports of a library."""

    def add_reports(self, reports: Iterable[Report]) -> AddResult:
        """Store, in one transaction, reports not stored yet (by id, or by outlet and text)."""
        with self._transaction("add reports") as conn:
            # The iterable is consumed inside the transaction, so an error while producing
            # a report rolls back the whole batch too.
            return self._add_reports(conn, reports, self._keeps_search())

    @staticmethod
    def _add_reports(conn: Database, reports: Iterable[Report], search: bool = True) -> AddResult:
        """Insert reports not stored yet (and their search text), in the caller's transaction."""
        added: list[str] = []
        existing: list[str] = []
        stored: list[str] = []
        for report in reports:
            digest = content_hash(report.text)
            # A match on id wins over one on text, so a re-read report maps to itself.
            row = conn.execute(
                "SELECT id FROM reports WHERE id = ? "
                "UNION ALL SELECT id FROM reports WHERE lower(outlet) = lower(?)"
                " AND content_hash = ? LIMIT 1",
                (report.id, report.outlet, digest),
            ).fetchone()
            if row is not None:
                existing.append(row["id"])
                stored.append(row["id"])
                continue
            conn.execute(
                "INSERT INTO reports (id, content_hash, outlet, url, title, text, published,"
                " language, origin, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report.id,
                    digest,
                    report.outlet,
                    report.url,
                    report.title,
                    report.text,
                    None if report.published is None else _time_text(report.published),
                    report.language,
                    report.origin,
                    _now(),
                ),
            )
            if search:
                conn.execute(
                    "INSERT INTO report_search (report_id, folded) VALUES (?, ?)",
                    (report.id, _report_search_text(report.title, report.outlet, report.text)),
                )
            added.append(report.id)
            stored.append(report.id)
        return AddResult(tuple(added), tuple(existing), tuple(stored))

    @staticmethod
    def _report(row: Row) -> Report:
        """A Report from a reports row."""
        return Report(
            id=row["id"],
            outlet=row["outlet"],
            title=row["title"],
            text=row["text"],
            url=row["url"],
            published=None if row["published"] is None else _parse_time(row["published"]),
            language=row["language"],
            origin=row["origin"],
        )

    def get_report(self, report_id: str) -> Report | None:
        """The report with this id, or None."""
        with self._reading() as conn:
            row = conn.execute("SELECT * FROM reports WHERE id = ?", (report_id,)).fetchone()
            return None if row is None else self._report(row)

    def reports(self, ids: Sequence[str] | None = None) -> list[Report]:
        """All reports by published time (undated last) then id, or those ids in that order."""
        with self._reading() as conn:
            if ids is None:
                found = [self._report(row) for row in conn.execute("SELECT * FROM reports")]
                # Sorted here, not in SQL: stored times keep their own offsets, so their
                # text does not sort chronologically.
                return sorted(found, key=_sort_key)
            by_id: dict[str, Report] = {}
            unique = list(dict.fromkeys(ids))
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                rows = conn.execute(f"SELECT * FROM reports WHERE id IN ({marks})", chunk)
                by_id.update((row["id"], self._report(row)) for row in rows)
            # Ids not stored are left out rather than raising, like get_report's None.
            return [by_id[report_id] for report_id in ids if report_id in by_id]

    def count_reports(self) -> int:
        """How many reports are stored."""
        with self._reading() as conn:
            return conn.execute("SELECT count(*) FROM reports").fetchone()[0]
