"""Filing attempts: reports whose filing into a story failed or never finished."""

from __future__ import annotations

from collections.abc import Sequence

from newsweave.storage.base import StoreBase, _now

# Attempts at filing a report before it is set aside (tried again only if asked for).
MAX_FILING_ATTEMPTS = 2
# The reason kept for an attempt until it ends: if the run dies, this is what it was.
_UNFINISHED = "the run filing it stopped before it finished (killed, or out of memory)"


class FilingQueries(StoreBase):
    """Attempts at filing reports into stories, kept until they succeed."""

    def unfiled_report_ids(self) -> list[str]:
        """Ids of stored reports not yet in any story nor set aside, in the order stored."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id FROM reports WHERE id NOT IN (SELECT report_id FROM story_reports)"
                " AND id NOT IN (SELECT report_id FROM filing_attempts WHERE attempts >= ?)"
                " ORDER BY rowid",
                (MAX_FILING_ATTEMPTS,),
            )
            return [row["id"] for row in rows]

    def start_filing(self, report_ids: Sequence[str]) -> None:
        """Record, before filing them, one more attempt at filing these reports."""
        now = _now()
        with self._transaction("record a filing attempt") as conn:
            conn.executemany(
                "INSERT INTO filing_attempts (report_id, attempts, error, attempted_at)"
                " VALUES (?, 1, ?, ?) ON CONFLICT(report_id) DO UPDATE SET"
                " attempts = filing_attempts.attempts + 1, error = excluded.error,"
                " attempted_at = excluded.attempted_at",
                [(report_id, _UNFINISHED, now) for report_id in dict.fromkeys(report_ids)],
            )

    def filing_failed(self, report_ids: Sequence[str], error: str) -> None:
        """Record why the attempt at filing these reports failed."""
        with self._transaction("record a filing failure") as conn:
            conn.executemany(
                "UPDATE filing_attempts SET error = ? WHERE report_id = ?",
                [(error, report_id) for report_id in dict.fromkeys(report_ids)],
            )

    def filing_attempts(self, report_ids: Sequence[str]) -> dict[str, int]:
        """Failed or unfinished attempts at filing each given report that has any."""
        return self._by_report("filing_attempts", "attempts", report_ids)

    def set_aside_reports(self) -> list[tuple[str, str]]:
        """(report id, why) of the reports no longer filed after failing to be, oldest first."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT report_id, error FROM filing_attempts WHERE attempts >= ?"
                " AND report_id NOT IN (SELECT report_id FROM story_reports)"
                " ORDER BY julianday(attempted_at), report_id",
                (MAX_FILING_ATTEMPTS,),
            )
            return [(row["report_id"], row["error"]) for row in rows]
