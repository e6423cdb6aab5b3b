"""`newsweave worker`: one of many processes sharing the work of following sources.

Every worker runs the same loop over the job queue of the store (newsweave.storage.jobs): it queues
a fetch of each due source, claims the first ready job and does it, and queues what follows:

    fetch-source  fetch one source and store its new reports  -> file
    file          file every unfiled report into a story,     -> brief-story per stale story
                  as the one assigner (queue.assigner_lock)
    brief-story   brief one story, unless its latest brief already covers all its reports

A worker killed at any point loses nothing: what it committed stays, and its job returns to
the queue when its lease passes. Whatever a dead worker left half done (reports not filed,
stories not briefed) is found by the sweep every idle worker makes, and queued again.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio

from newsweave.config import Settings
from newsweave.errors import NewsweaveError, StoreError
from newsweave.ingest.http import Fetcher, FetchSettings
from newsweave.ingest.isolate import ParsePool
from newsweave.records import Problem
from newsweave.storage.jobs import BRIEF, FETCH, FILE, FILE_ALL, Job, JobQueue, QueueSettings
from newsweave.storage.store import Store

# A fetcher remembers each host's robots.txt: it is opened afresh this often, so a worker
# running for days reads changed rules.
_FETCH_SESSION = timedelta(hours=1)


def default_name() -> str:
    """host:pid, unique among the workers of one database."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class WorkerOptions:
    """How one worker runs."""

    name: str = field(default_factory=default_name)
    poll: float = 5.0  # seconds between looks at a queue with nothing ready
    until_idle: bool = False  # stop once no job is queued or running and nothing is due
    queue: QueueSettings = field(default_factory=QueueSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    # A sweep (unfiled reports, stale stories, lapsed leases) at least this often when busy.
    sweep_every: float = 60.0
    # Failed work is queued again by the sweep only after this long.
    retry_failed_after: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        """Refuse options that cannot work."""
        if self.poll <= 0:
            raise StoreError(f"the poll interval must be positive, not {self.poll}")
        if not self.name.strip():
            raise StoreError("a worker needs a name")


@dataclass(frozen=True)
class JobDone:
    """What became of one job a worker claimed."""

    job: Job
    outcome: str  # "done", "failed", "queued" (to be retried), "released" or "lost"
    detail: str
    seconds: float


@dataclass
class WorkerRun:
    """What a worker did until it stopped."""

    name: str
    jobs: list[JobDone] = field(default_factory=list)

    def count(self, outcome: str, kind: str | None = None) -> int:
        """Jobs that ended this way (of this kind, if given)."""
        return sum(
            1 for j in self.jobs if j.outcome == outcome and (kind is None or j.job.kind == kind)
        )


class _GiveUp(NewsweaveError):
    """A job that cannot succeed by trying again (a story that cannot be briefed)."""


class _Heartbeat:
    """Extends the lease of the job in hand from a thread of its own, with its own connection.

    The job itself may hold the main thread for minutes (filing, briefing): the lease must
    not pass meanwhile, or another worker would take the job while it is being done.
    """

    def __init__(self, database: str, settings: QueueSettings) -> None:
        self.database = database
        self.settings = settings
        self.every = settings.lease.total_seconds() / 3
        self._job: Job | None = None
        self.lost = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def hold(self, job: Job) -> None:
        """Keep this job's lease from now on."""
        with self._lock:
            self._job, self.lost = job, False

    def drop(self) -> None:
        """Stop extending (the job is finished or given back)."""
        with self._lock:
            self._job = None

    def _beat(self) -> None:
        try:
            with Store.open(self.database) as db:
                queue = JobQueue(db, self.settings)
                while not self._stop.wait(self.every):
                    with self._lock:
                        job = self._job
                    if job is not None and not queue.extend(job):
                        with self._lock:
                            self.lost = self._job is job
        except NewsweaveError as exc:  # the main loop fails on the same database soon enough
            self._error = exc


class Worker:
    """One worker process's loop over the shared job queue."""

    def __init__(
        self,
        settings: Settings,
        options: WorkerOptions | None = None,
        *,
        stop: threading.Event | None = None,
        on_job: Callable[[JobDone], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Set up; run() does the work."""
        self.settings = settings
        self.options = options or WorkerOptions()
        self.stop = stop or threading.Event()
        self.on_job = on_job
        self.clock = clock or (lambda: datetime.now(UTC))
        self.run_record = WorkerRun(self.options.name)
        self._embedder: Any = None
        self._story_embedder: Any = None
        self._last_sweep = float("-inf")
        self._last_schedule = float("-inf")

    def run(self) -> WorkerRun:
        """Work until stopped (or, with until_idle, until there is nothing left to do)."""
        anyio.run(self._main)
        return self.run_record

    async def _main(self) -> None:
        database = self.settings.database_url
        opts = self.options
        with Store.open(database) as db, _Heartbeat(database, opts.queue) as beat:
            queue = JobQueue(db, opts.queue)
            if not opts.until_idle:
                # A long-running worker loads its models now, so the first report it files
                # or briefs does not wait for them.
                self._models()
            async with AsyncExitStack() as outer:
                fetching: _FetchSession | None = None
                while not self.stop.is_set():
                    now = self.clock()
                    swept = False
                    since_sweep = time.monotonic() - self._last_sweep
                    if since_sweep >= opts.sweep_every:
                        self._sweep(db, queue, now)
                        swept = True
                    elif time.monotonic() - self._last_schedule >= opts.poll:
                        self._schedule(db, queue, now)  # busy: due sources still get fetched
                    job = queue.claim(opts.name, now=now)
                    if job is None and not swept:
                        # Nothing ready: look for work a dead worker left, or that fell due.
                        if self._sweep(db, queue, now):
                            continue
                        job = queue.claim(opts.name, now=now)
                    if job is None:
                        pending, _ = queue.pending()
                        if opts.until_idle and pending == 0:
                            return
                        await anyio.to_thread.run_sync(self.stop.wait, opts.poll)
                        continue
                    if job.kind == FETCH and (fetching is None or fetching.stale()):
                        if fetching is not None:
                            await fetching.close()
                        fetching = await outer.enter_async_context(
                            _FetchSession(self.settings, opts.fetch)
                        )
                    beat.hold(job)
                    try:
                        await self._do(job, db, queue, fetching)
                    finally:
                        beat.drop()

    async def _do(
        self, job: Job, db: Store, queue: JobQueue, fetching: _FetchSession | None
    ) -> None:
        """Run one claimed job and record how it ended."""
        started = time.monotonic()
        try:
            if job.kind == FETCH:
                assert fetching is not None
                detail = await self._fetch(job, db, queue, fetching)
            elif job.kind == FILE:
                detail = self._file(db, queue)
            elif job.kind == BRIEF:
                detail = self._brief(job, db)
            else:
                raise _GiveUp(f"this worker does not know jobs of kind {job.kind!r}")
        except _GiveUp as exc:
            self._ended(job, queue.fail(job, str(exc), retry=False), str(exc), started)
        except KeyboardInterrupt:
            # Stopped hard in the middle: the job goes back untried for another worker.
            self._ended(job, "released" if queue.release(job) else None, "interrupted", started)
            raise
        except Exception as exc:
            why = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            self._ended(job, queue.fail(job, why), why, started)
        else:
            self._ended(job, "done" if queue.complete(job) else None, detail, started)

    def _ended(self, job: Job, outcome: str | None, detail: str, started: float) -> None:
        done = JobDone(job, outcome or "lost", detail, time.monotonic() - started)
        self.run_record.jobs.append(done)
        if self.on_job is not None:
            self.on_job(done)

    # -- the jobs -----------------------------------------------------------------------

    async def _fetch(self, job: Job, db: Store, queue: JobQueue, fetching: _FetchSession) -> str:
        """Fetch one source; queue filing if it brought new reports."""
        from newsweave.ingest.fetch import fetch_source

        now = self.clock()
        source = db.source(int(job.key))
        if source is None:
            return "source no longer followed"
        if source.next_due_at is not None and source.next_due_at > now:
            return "not due (fetched meanwhile)"
        outcome = await fetch_source(
            db, fetching.fetcher, fetching.pool, fetching.robots, source, now, self.settings.limits
        )
        if outcome.new_reports:
            queue.enqueue(FILE, FILE_ALL)
        if not outcome.ok:
            return f"source failed: {outcome.error}"
        return "not modified" if outcome.not_modified else f"{len(outcome.new_reports)} new"

    def _models(self) -> None:
        """Load the embedders filing and briefing use, once per worker."""
        from newsweave.pipeline.library import story_embedder
        from newsweave.text.embed import make_embedder

        if self._story_embedder is None:
            self._story_embedder = story_embedder(self.settings)
        if self._embedder is None:
            s = self.settings
            self._embedder = make_embedder(s.embedder, s.limits.embed_chars)

    def _file(self, db: Store, queue: JobQueue) -> str:
        """File every unfiled report as the one assigner; queue a brief of each stale story."""
        from newsweave.pipeline.library import file_unfiled

        self._models()
        filed = file_unfiled(db, self.settings, embedder=self._story_embedder)
        queue.enqueue_many(BRIEF, filed.stale)
        for aside in filed.set_aside:
            db.note_sources_of([aside.origin], f"report {aside.origin} {aside.reason}")
        return (
            f"{filed.unfiled} to file: {len(filed.stories_new)} stories new, "
            f"{len(filed.stories_updated)} updated; {len(filed.stale)} briefs queued"
        )

    def _brief(self, job: Job, db: Store) -> str:
        """Brief one story, unless its latest brief covers all its reports already."""
        from newsweave.pipeline.library import brief_story

        if not db.stale_stories([job.key]):
            return "brief up to date"  # checked before the models are loaded
        self._models()
        made = brief_story(db, job.key, self.settings, embedder=self._embedder)
        if isinstance(made, Problem):
            note = f"story {job.key} not briefed: {made.reason}"
            db.note_sources_of(db.story_report_ids(job.key), note)
            raise _GiveUp(note)
        if made is None:
            return "brief up to date"
        return f"version {made.version} ({len(made.reports_added)} reports added)"

    # -- finding work -------------------------------------------------------------------

    def _schedule(self, db: Store, queue: JobQueue, now: datetime) -> int:
        """Queue a fetch of each due source that has none queued or running; return how many."""
        self._last_schedule = time.monotonic()
        skip = queue.active_keys(FETCH) | queue.failed_keys(
            FETCH, now - self.options.retry_failed_after
        )
        due = [str(s.id) for s in db.due_sources(now)]
        return len(queue.enqueue_many(FETCH, [k for k in due if k not in skip], now=now))

    def _sweep(self, db: Store, queue: JobQueue, now: datetime) -> int:
        """Queue what is due or was left undone; return how many jobs were queued.

        Due sources get a fetch; unfiled reports a filing; stale open stories a brief. Work
        that failed for good recently is not queued again until retry_failed_after.
        """
        self._last_sweep = time.monotonic()
        opts = self.options
        queue.reclaim(now=now)
        failed_since = now - opts.retry_failed_after
        queued = self._schedule(db, queue, now)
        if (
            FILE_ALL not in queue.active_keys(FILE) | queue.failed_keys(FILE, failed_since)
            and db.unfiled_report_ids()
        ):
            queued += len(queue.enqueue_many(FILE, [FILE_ALL], now=now))
        if FILE_ALL not in queue.active_keys(FILE):
            # While filing is queued or running, the stories it touches are briefed after it.
            skip = queue.active_keys(BRIEF) | queue.failed_keys(BRIEF, failed_since)
            stale = [s for s in db.stale_stories(db.open_story_ids()) if s not in skip]
            queued += len(queue.enqueue_many(BRIEF, stale, now=now))
        queue.prune(now=now)
        return queued


class _FetchSession:
    """A fetcher and a pool of parser processes, kept open across a worker's fetch jobs."""

    def __init__(self, settings: Settings, fetch: FetchSettings | None = None) -> None:
        from newsweave.ingest.fetch import guard_for
        from newsweave.ingest.robots import RobotsCache

        fetch = fetch or FetchSettings()
        self.opened = time.monotonic()
        self._stack = AsyncExitStack()
        self.fetcher = Fetcher(fetch, guard_for(settings))
        self.pool = ParsePool(settings.limits)
        self.robots = RobotsCache(fetch.robots_agent)

    def stale(self) -> bool:
        """Open long enough that robots.txt rules should be read again."""
        return time.monotonic() - self.opened > _FETCH_SESSION.total_seconds()

    async def __aenter__(self) -> _FetchSession:
        await self._stack.enter_async_context(self.fetcher)
        await self._stack.enter_async_context(self.pool)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the fetcher and stop the parser processes (closing twice is harmless)."""
        await self._stack.aclose()


def stop_on_signals(stop: threading.Event) -> None:
    """SIGINT or SIGTERM: finish the job in hand, then stop; a second one: give it back now.

    Main thread only. The second signal raises KeyboardInterrupt, and the worker releases
    its job untried (not counted as an attempt) before it exits.
    """

    def handle(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handle)
