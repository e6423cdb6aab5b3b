"""A queue of jobs in the store, shared by every `newsweave worker` using the same database.

A job is claimed with a lease: the worker holding it extends the lease while it works, and a
job whose lease passes (its worker was killed, or hung) returns to the queue for another
worker. On PostgreSQL a claim is `SELECT ... FOR UPDATE SKIP LOCKED`, so workers never wait
for each other's claims; on SQLite the claim runs inside `BEGIN IMMEDIATE`, which takes the
database's one write lock, so claims are serialized but just as safe.

At most one job of a (kind, key) is queued, and at most one runs: a job queued while its
twin runs waits for it. Filing reports into stories is done by one assigner at a time, under
`assigner_lock` (docs/scale.md, "Workers").
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsweave.errors import StoreError

if TYPE_CHECKING:
    from newsweave.storage.store import Store

# Job kinds, and the order a worker takes ready jobs in: filing first, then briefs, then
# fetches, so what was fetched reaches a brief before more is fetched.
FETCH = "fetch-source"  # key: the source id
FILE = "file"  # key: FILE_ALL; files every stored report not yet in a story
BRIEF = "brief-story"  # key: the story id
FILE_ALL = "all"
PRIORITY = {FILE: 0, BRIEF: 1, FETCH: 2}

STATES = ("queued", "running", "done", "failed")

# Any fixed 64-bit number, the same in every process: the key of the assigner's advisory lock.
ASSIGNER_LOCK_KEY = 0x6E657773_66696C65  # "newsfile"


def _stamp(moment: datetime) -> str:
    """UTC ISO 8601 text of fixed width: its text order is its time order."""
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _when(text: str | None) -> datetime | None:
    """A stamp read back."""
    return None if text is None else datetime.fromisoformat(text)


@dataclass(frozen=True)
class Job:
    """One job as claimed or listed."""

    id: int
    kind: str
    key: str
    state: str
    attempts: int  # claims so far, this one included; with claimed_by, it fences the claim
    not_before: datetime
    claimed_by: str | None
    lease_until: datetime | None
    error: str | None
    created_at: datetime
    done_at: datetime | None


def _job(row: Any) -> Job:
    """A Job from a jobs row."""
    return Job(
        id=int(row["id"]),
        kind=row["kind"],
        key=row["key"],
        state=row["state"],
        attempts=int(row["attempts"]),
        not_before=datetime.fromisoformat(row["not_before"]),
        claimed_by=row["claimed_by"],
        lease_until=_when(row["lease_until"]),
        error=row["error"],
        created_at=datetime.fromisoformat(row["created_at"]),
        done_at=_when(row["done_at"]),
    )


@dataclass(frozen=True)
class QueueSettings:
    """How long leases last and how failed jobs are retried."""

    lease: timedelta = timedelta(seconds=120)  # a claim lapses this long after its last extension
    max_attempts: int = 5  # claims of one job (failures and lapsed leases) before it is failed
    backoff: timedelta = timedelta(seconds=5)  # wait after a failure, doubled each time
    max_backoff: timedelta = timedelta(minutes=10)
    keep_done: timedelta = timedelta(days=1)  # finished jobs are pruned after this

    def __post_init__(self) -> None:
        """Refuse settings that cannot work."""
        if self.lease <= timedelta(0):
            raise StoreError(f"the job lease must be positive, not {self.lease}")
        if self.max_attempts < 1:
            raise StoreError(f"max_attempts must be at least 1, not {self.max_attempts}")


class JobQueue:
    """The jobs table of one store: enqueue, claim with a lease, extend, complete, fail."""

    def __init__(self, store: Store, settings: QueueSettings | None = None) -> None:
        """Use the jobs of this open store."""
        self.store = store
        self.settings = settings or QueueSettings()

    @property
    def _postgres(self) -> bool:
        return getattr(self.store, "backend", "sqlite") == "postgresql"

    @property
    def _lock_rows(self) -> str:
        """FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the one lock."""
        return " FOR UPDATE" if self._postgres else ""

    # -- adding work --------------------------------------------------------------------

    def enqueue(
        self, kind: str, key: str | int, *, now: datetime | None = None, delay: float = 0.0
    ) -> bool:
        """Queue a job unless the same one is already queued; True if it was queued now."""
        return bool(self.enqueue_many(kind, [key], now=now, delay=delay))

    def enqueue_many(
        self,
        kind: str,
        keys: Iterable[str | int],
        *,
        now: datetime | None = None,
        delay: float = 0.0,
    ) -> list[str]:
        """Queue a job of this kind for each key not already queued; return the keys queued."""
        if kind not in PRIORITY:
            raise StoreError(f"unknown job kind {kind!r}; kinds: {', '.join(PRIORITY)}")
        now = now or datetime.now(UTC)
        created, not_before = _stamp(now), _stamp(now + timedelta(seconds=delay))
        queued: list[str] = []
        with self.store._transaction("queue jobs") as conn:
            for key in dict.fromkeys(str(k) for k in keys):
                cursor = conn.execute(
                    "INSERT INTO jobs (kind, key, priority, state, not_before, created_at)"
                    " VALUES (?, ?, ?, 'queued', ?, ?)"
                    " ON CONFLICT (kind, key) WHERE state = 'queued' DO NOTHING",
                    (kind, key, PRIORITY[kind], not_before, created),
                )
                if cursor.rowcount == 1:
                    queued.append(key)
        return queued

    # -- claiming -----------------------------------------------------------------------

    def claim(
        self,
        worker: str,
        *,
        now: datetime | None = None,
        kinds: Sequence[str] | None = None,
    ) -> Job | None:
        """Claim the first ready job (by priority, then age) with a lease; None if none is.

        A job whose twin (same kind and key) runs is not ready: one runs at a time.
        """
        now = now or datetime.now(UTC)
        self.reclaim(now=now)
        where = ""
        params: list[Any] = [_stamp(now)]
        if kinds:
            where = f" AND j.kind IN ({', '.join('?' * len(kinds))})"
            params.extend(kinds)
        # SKIP LOCKED: a row another worker is claiming right now is passed over, not waited
        # for, so many workers claim at once without queueing behind one another.
        lock = " FOR UPDATE SKIP LOCKED" if self._postgres else ""
        with self.store._transaction("claim a job") as conn:
            row = conn.execute(
                "SELECT j.id FROM jobs j WHERE j.state = 'queued' AND j.not_before <= ?"
                + where
                + " AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.kind = j.kind"
                " AND r.key = j.key AND r.state = 'running')"
                " ORDER BY j.priority, j.not_before, j.id LIMIT 1" + lock,
                params,
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE jobs SET state = 'running', claimed_by = ?, lease_until = ?,"
                " attempts = attempts + 1 WHERE id = ?",
                (worker, _stamp(now + self.settings.lease), row["id"]),
            )
            claimed = conn.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone()
        return _job(claimed)

    def extend(self, job: Job, *, now: datetime | None = None) -> bool:
        """Renew the lease of a job this worker holds; False if the claim was lost."""
        now = now or datetime.now(UTC)
        with self.store._transaction("extend a job's lease") as conn:
            cursor = conn.execute(
                "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running'"
                " AND claimed_by = ? AND attempts = ?",
                (_stamp(now + self.settings.lease), job.id, job.claimed_by, job.attempts),
            )
            return cursor.rowcount == 1

    def complete(self, job: Job, *, now: datetime | None = None) -> bool:
        """Mark a claimed job done; False if the claim had been lost (the work is idempotent)."""
        now = now or datetime.now(UTC)
        with self.store._transaction("complete a job") as conn:
            cursor = conn.execute(
                "UPDATE jobs SET state = 'done', done_at = ?, lease_until = NULL, error = NULL"
                " WHERE id = ? AND state = 'running' AND claimed_by = ? AND attempts = ?",
                (_stamp(now), job.id, job.claimed_by, job.attempts),
            )
            return cursor.rowcount == 1

    def fail(
        self, job: Job, error: str, *, now: datetime | None = None, retry: bool = True
    ) -> str | None:
        """Record why a claimed job failed: queued again after a backoff, or failed for good.

        Returns the job's new state ("queued" or "failed"), or None if the claim was lost.
        """
        now = now or datetime.now(UTC)
        s = self.settings
        if not retry or job.attempts >= s.max_attempts:
            with self.store._transaction("fail a job") as conn:
                cursor = conn.execute(
                    "UPDATE jobs SET state = 'failed', done_at = ?, lease_until = NULL, error = ?"
                    " WHERE id = ? AND state = 'running' AND claimed_by = ? AND attempts = ?",
                    (_stamp(now), error, job.id, job.claimed_by, job.attempts),
                )
                return "failed" if cursor.rowcount == 1 else None
        wait = min(s.backoff * (2 ** max(0, job.attempts - 1)), s.max_backoff)
        return "queued" if self._requeue(job, now + wait, error, uncount=False) else None

    def release(self, job: Job, *, now: datetime | None = None, delay: float = 0.0) -> bool:
        """Give a claimed job back untried (a stopping worker, a busy lock): not an attempt."""
        now = now or datetime.now(UTC)
        return self._requeue(job, now + timedelta(seconds=delay), job.error, uncount=True)

    def _requeue(self, job: Job, not_before: datetime, error: str | None, uncount: bool) -> bool:
        """Put a claimed job back in the queue, merged with a twin queued meanwhile."""
        with self.store._transaction("queue a job again") as conn:
            owned = conn.execute(
                "SELECT 1 FROM jobs WHERE id = ? AND state = 'running' AND claimed_by = ?"
                " AND attempts = ?" + self._lock_rows,
                (job.id, job.claimed_by, job.attempts),
            ).fetchone()
            if owned is None:
                return False
            # The twin does the same work: it is folded into this job, which keeps its count.
            conn.execute(
                "DELETE FROM jobs WHERE kind = ? AND key = ? AND state = 'queued' AND id <> ?",
                (job.kind, job.key, job.id),
            )
            conn.execute(
                "UPDATE jobs SET state = 'queued', claimed_by = NULL, lease_until = NULL,"
                " not_before = ?, error = ?, attempts = attempts - ? WHERE id = ?",
                (_stamp(not_before), error, 1 if uncount else 0, job.id),
            )
        return True

    def reclaim(self, *, now: datetime | None = None) -> list[int]:
        """Return jobs whose lease has passed to the queue (failed past max_attempts).

        The worker holding such a job was killed or hung: the job is done again by another.
        Every job kind is idempotent, so a hung worker that wakes up later does no harm:
        its claim is fenced (complete() and extend() refuse it).
        """
        now = now or datetime.now(UTC)
        stamp = _stamp(now)
        with self.store._reading() as conn:
            # Read first: every claim calls this, and a write transaction takes the store's
            # write lock, which is rarely needed here.
            lapsed = conn.execute(
                "SELECT 1 FROM jobs WHERE state = 'running' AND lease_until < ? LIMIT 1", (stamp,)
            ).fetchone()
        if lapsed is None:
            return []
        with self.store._transaction("reclaim jobs whose lease passed") as conn:
            # Locked, and skipped if another worker is reclaiming them this moment.
            rows = conn.execute(
                "SELECT * FROM jobs WHERE state = 'running' AND lease_until < ? ORDER BY id"
                + (" FOR UPDATE SKIP LOCKED" if self._postgres else ""),
                (stamp,),
            ).fetchall()
            expired = [_job(row) for row in rows]
            for job in expired:
                why = (
                    f"the lease of worker {job.claimed_by} passed at "
                    f"{_stamp(job.lease_until or now)} (killed or hung) on attempt {job.attempts}"
                )
                if job.attempts >= self.settings.max_attempts:
                    conn.execute(
                        "UPDATE jobs SET state = 'failed', done_at = ?, lease_until = NULL,"
                        " error = ? WHERE id = ?",
                        (stamp, why, job.id),
                    )
                    continue
                conn.execute(
                    "DELETE FROM jobs WHERE kind = ? AND key = ? AND state = 'queued' AND id <> ?",
                    (job.kind, job.key, job.id),
                )
                conn.execute(
                    "UPDATE jobs SET state = 'queued', claimed_by = NULL, lease_until = NULL,"
                    " not_before = ?, error = ? WHERE id = ?",
                    (stamp, why, job.id),
                )
        return [job.id for job in expired]

    # -- looking ------------------------------------------------------------------------

    def jobs(self, *, state: str | None = None, kind: str | None = None) -> list[Job]:
        """Jobs, oldest first, of one state and kind if given."""
        clauses, params = [], []
        if state is not None:
            clauses.append("state = ?")
            params.append(state)
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.store._reading() as conn:
            rows = conn.execute(f"SELECT * FROM jobs{where} ORDER BY id", params).fetchall()
        return [_job(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state."""
        with self.store._reading() as conn:
            rows = conn.execute("SELECT state, count(*) AS n FROM jobs GROUP BY state").fetchall()
        found = {row["state"]: int(row["n"]) for row in rows}
        return {state: found.get(state, 0) for state in STATES}

    def active_keys(self, kind: str) -> set[str]:
        """Keys of the jobs of this kind queued or running."""
        with self.store._reading() as conn:
            rows = conn.execute(
                "SELECT key FROM jobs WHERE kind = ? AND state IN ('queued', 'running')", (kind,)
            ).fetchall()
        return {row["key"] for row in rows}

    def failed_keys(self, kind: str, since: datetime) -> set[str]:
        """Keys of the jobs of this kind that failed for good since then."""
        with self.store._reading() as conn:
            rows = conn.execute(
                "SELECT key FROM jobs WHERE kind = ? AND state = 'failed' AND done_at >= ?",
                (kind, _stamp(since)),
            ).fetchall()
        return {row["key"] for row in rows}

    def pending(self) -> tuple[int, datetime | None]:
        """Jobs queued or running, and the earliest time one of them may need attention.

        That time is the earliest not_before of a queued job or lease_until of a running one.
        """
        with self.store._reading() as conn:
            row = conn.execute(
                "SELECT count(*) AS n, min(CASE WHEN state = 'queued' THEN not_before"
                " ELSE lease_until END) AS next FROM jobs WHERE state IN ('queued', 'running')"
            ).fetchone()
        return int(row["n"]), _when(row["next"])

    def prune(self, *, now: datetime | None = None) -> int:
        """Delete jobs done longer ago than keep_done; return how many."""
        now = now or datetime.now(UTC)
        with self.store._transaction("prune finished jobs") as conn:
            cursor = conn.execute(
                "DELETE FROM jobs WHERE state = 'done' AND done_at < ?",
                (_stamp(now - self.settings.keep_done),),
            )
            return max(0, cursor.rowcount)


@contextmanager
def assigner_lock(store: Store, *, wait: bool = True) -> Iterator[bool]:
    """Hold the one assigner's lock for filing reports into stories; yields whether it is held.

    Two filers at once would each miss the other's uncommitted reports and could split one
    event into two stories, so only one files at a time, in every process using the database.
    PostgreSQL: a session-level advisory lock on a connection of its own (released by the
    server if this process dies). SQLite: an exclusive lock on a file beside the database
    (released by the kernel if this process dies). With wait=False, yields False at once if
    another holds it.
    """
    if getattr(store, "backend", "sqlite") == "postgresql":
        with _advisory_lock(store, wait) as held:
            yield held
        return
    if store.path is None:
        raise StoreError(f"the assigner's lock needs the SQLite file of {store.where}")
    path = Path(f"{store.path}.assign-lock")
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot open the assigner's lock file {path}: {exc}") from exc
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


@contextmanager
def _advisory_lock(store: Store, wait: bool) -> Iterator[bool]:
    """A session-level pg_advisory_lock on the store's connection, held for the block.

    Session-level, not transaction-level: filing spans many of the store's transactions.
    """
    conn = store._conn
    try:
        if wait:
            conn.execute("SELECT pg_advisory_lock(?)", (ASSIGNER_LOCK_KEY,))
            held = True
        else:
            row = conn.execute("SELECT pg_try_advisory_lock(?)", (ASSIGNER_LOCK_KEY,)).fetchone()
            held = bool(row and row[0])
    except conn.errors as exc:
        raise StoreError(f"cannot take the assigner's lock in {store.where}: {exc}") from exc
    try:
        yield held
    finally:
        if held:
            # A connection that is gone has released the lock with its session.
            with suppress(*conn.errors):
                conn.execute("SELECT pg_advisory_unlock(?)", (ASSIGNER_LOCK_KEY,))
