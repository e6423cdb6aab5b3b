"""The job queue on both backends: claims, leases, retries, fencing, the assigner's lock.

Time is the test's own: every call is given `now`, so a lease passes when the test says so.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from newsweave.config import load_settings
from newsweave.errors import StoreError
from newsweave.pipeline.library import StoryBriefMade, brief_story
from newsweave.records import Report
from newsweave.render.jsonout import brief_from_dict
from newsweave.storage.jobs import (
    BRIEF,
    FETCH,
    FILE,
    FILE_ALL,
    JobQueue,
    QueueSettings,
    assigner_lock,
)
from newsweave.storage.store import Store

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
SETTINGS = QueueSettings(lease=LEASE, max_attempts=3, backoff=timedelta(seconds=10))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with Store.open(database_url) as db:
        yield db


@pytest.fixture
def queue(store: Store) -> JobQueue:
    return JobQueue(store, SETTINGS)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_same_job_is_queued_once(queue: JobQueue) -> None:
    assert queue.enqueue(FETCH, 7, now=T0)
    assert not queue.enqueue(FETCH, "7", now=T0)
    assert queue.enqueue_many(BRIEF, ["s-a", "s-b", "s-a"], now=T0) == ["s-a", "s-b"]
    assert queue.counts()["queued"] == 3
    with pytest.raises(StoreError, match="unknown job kind 'nap'"):
        queue.enqueue("nap", 1)


def test_claims_go_by_priority_then_age_and_wait_for_not_before(queue: JobQueue) -> None:
    queue.enqueue(FETCH, 1, now=T0)
    queue.enqueue(BRIEF, "s-a", now=at(1))
    queue.enqueue(FILE, FILE_ALL, now=at(2), delay=60)
    first = queue.claim("w1", now=at(3))
    second = queue.claim("w1", now=at(3))
    assert (first and first.kind, second and second.kind) == (BRIEF, FETCH)
    assert queue.claim("w1", now=at(3)) is None  # filing waits for its not_before
    third = queue.claim("w1", now=at(62))
    assert third is not None and third.kind == FILE
    assert third.attempts == 1 and third.claimed_by == "w1"
    assert third.lease_until == at(62) + LEASE


def test_a_job_runs_once_at_a_time_and_its_twin_waits(queue: JobQueue) -> None:
    queue.enqueue(FILE, FILE_ALL, now=T0)
    running = queue.claim("w1", now=T0)
    assert running is not None
    assert queue.enqueue(FILE, FILE_ALL, now=at(1))  # new reports came in meanwhile
    assert queue.claim("w2", now=at(2)) is None  # not while its twin runs
    assert queue.complete(running, now=at(3))
    twin = queue.claim("w2", now=at(4))
    assert twin is not None and twin.id != running.id


def test_a_lapsed_lease_returns_the_job_and_fences_the_old_holder(queue: JobQueue) -> None:
    queue.enqueue(FETCH, 3, now=T0)
    held = queue.claim("w1", now=T0)
    assert held is not None
    assert queue.extend(held, now=at(20))  # lease now ends at 50 s
    assert queue.reclaim(now=at(45)) == []
    assert queue.claim("w2", now=at(45)) is None
    assert queue.reclaim(now=at(51)) == [held.id]
    [back] = queue.jobs(state="queued")
    assert back.id == held.id and "lease of worker w1 passed" in (back.error or "")
    taken = queue.claim("w2", now=at(52))
    assert taken is not None and taken.id == held.id and taken.attempts == 2
    # The first holder wakes up: its claim is gone, it can neither extend nor complete.
    assert not queue.extend(held, now=at(53))
    assert not queue.complete(held, now=at(53))
    assert queue.complete(taken, now=at(54))
    [done] = queue.jobs(state="done")
    assert done.claimed_by == "w2"


def test_a_lapsed_job_merges_with_a_twin_queued_meanwhile(queue: JobQueue) -> None:
    queue.enqueue(BRIEF, "s-a", now=T0)
    held = queue.claim("w1", now=T0)
    assert held is not None
    queue.enqueue(BRIEF, "s-a", now=at(5))
    assert queue.reclaim(now=at(31)) == [held.id]
    [only] = queue.jobs(state="queued")
    assert only.id == held.id and only.attempts == 1


def test_failures_back_off_then_fail_for_good_with_the_reason(queue: JobQueue) -> None:
    queue.enqueue(FETCH, 9, now=T0)
    job = queue.claim("w1", now=T0)
    assert job is not None
    assert queue.fail(job, "StoreError: gone", now=at(1)) == "queued"
    assert queue.claim("w1", now=at(10)) is None  # backoff: 10 s after the failure
    job = queue.claim("w1", now=at(11))
    assert job is not None and job.attempts == 2 and job.error == "StoreError: gone"
    assert queue.fail(job, "StoreError: gone again", now=at(12)) == "queued"
    assert queue.claim("w1", now=at(31)) is None  # doubled: 20 s
    job = queue.claim("w1", now=at(32))
    assert job is not None and job.attempts == 3
    assert queue.fail(job, "StoreError: still gone", now=at(33)) == "failed"
    [failed] = queue.jobs(state="failed")
    assert failed.error == "StoreError: still gone" and failed.attempts == 3
    assert queue.failed_keys(FETCH, since=T0) == {"9"}
    assert queue.claim("w1", now=at(1000)) is None


def test_a_job_that_cannot_succeed_fails_at_once(queue: JobQueue) -> None:
    queue.enqueue(BRIEF, "s-x", now=T0)
    job = queue.claim("w1", now=T0)
    assert job is not None
    assert queue.fail(job, "no sentences", now=at(1), retry=False) == "failed"


def test_a_released_job_is_not_counted_as_an_attempt(queue: JobQueue) -> None:
    queue.enqueue(FETCH, 4, now=T0)
    job = queue.claim("w1", now=T0)
    assert job is not None
    assert queue.release(job, now=at(1))
    again = queue.claim("w2", now=at(1))
    assert again is not None and again.attempts == 1


def test_lapsed_leases_past_the_attempts_fail_the_job(queue: JobQueue) -> None:
    queue.enqueue(FETCH, 5, now=T0)
    now = T0
    for _ in range(SETTINGS.max_attempts):
        job = queue.claim("w", now=now)
        assert job is not None
        now += LEASE + timedelta(seconds=1)
    queue.reclaim(now=now)
    [failed] = queue.jobs(state="failed")
    assert "killed or hung" in (failed.error or "") and failed.attempts == 3


def test_pending_names_the_next_moment_of_interest(queue: JobQueue) -> None:
    assert queue.pending() == (0, None)
    queue.enqueue(FETCH, 1, now=T0, delay=100)
    queue.enqueue(FETCH, 2, now=T0)
    queue.claim("w1", now=T0)
    assert queue.pending() == (2, T0 + LEASE)


def test_done_jobs_are_pruned_after_a_while(queue: JobQueue) -> None:
    queue.enqueue(FETCH, 1, now=T0)
    job = queue.claim("w", now=T0)
    assert job is not None and queue.complete(job, now=T0)
    assert queue.prune(now=T0 + timedelta(hours=1)) == 0
    assert queue.prune(now=T0 + timedelta(days=2)) == 1


def test_many_claimers_at_once_take_each_job_exactly_once(database_url: str) -> None:
    jobs = 60
    with Store.open(database_url) as db:
        JobQueue(db).enqueue_many(FETCH, range(jobs))
    taken: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def claimer(name: str) -> None:
        try:
            with Store.open(database_url) as db:
                queue = JobQueue(db)
                mine = taken.setdefault(name, [])
                while (job := queue.claim(name)) is not None:
                    mine.append(int(job.key))
                    assert queue.complete(job)
        except BaseException as exc:  # reported below, with the thread's name
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)  # a hang guard
    assert not errors, errors
    every = sorted(k for keys in taken.values() for k in keys)
    assert every == list(range(jobs))  # each job once: none lost, none twice


def test_one_assigner_at_a_time_across_connections(database_url: str) -> None:
    with Store.open(database_url) as first, Store.open(database_url) as second:
        with assigner_lock(first) as held:
            assert held
            with assigner_lock(second, wait=False) as other:
                assert not other
        with assigner_lock(second, wait=False) as other:
            assert other


def test_a_story_version_is_not_saved_twice(store: Store, demo_reports: tuple[Report, ...]) -> None:
    store.add_reports(demo_reports[:2])
    store.assign([(r.id, "s-demo") for r in demo_reports[:2]])
    settings = load_settings({"NEWSWEAVE_HOME": "/nonexistent"}, embedder="lexical")
    made = brief_story(store, "s-demo", settings)
    assert isinstance(made, StoryBriefMade) and made.version == 1
    assert brief_story(store, "s-demo", settings) is None  # it covers every report already
    # Two briefers read version 1 and both made a brief: the second finds version 2 saved
    # meanwhile, and saves nothing.
    [first] = store.story_briefs("s-demo")
    brief = brief_from_dict(json.loads(first.body_json))
    changes = {"reports": list(first.report_ids)}
    assert store.save_story_brief("s-demo", brief, first.body_json, changes, only_after=1) == 2
    assert store.save_story_brief("s-demo", brief, first.body_json, changes, only_after=1) == 0
    assert [b.version for b in store.story_briefs("s-demo")] == [1, 2]
