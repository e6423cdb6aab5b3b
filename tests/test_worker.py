"""`newsweave worker` processes sharing one database: as many workers as you like, one truth.

Real parts throughout: workers are started with the real command line in processes of their
own, fetch real feeds and article pages from a server on 127.0.0.1, and share a real
PostgreSQL (or SQLite) database. Nothing waits on a clock: a worker is killed while the
server holds its request, and the deadlines are hang guards only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsweave.config import load_settings
from newsweave.ingest.fetch import add_sources
from newsweave.storage.jobs import FETCH, JobQueue
from newsweave.storage.store import Store
from tests.feedserver import FeedServer, Route
from tests.pgserver import PgServer
from tests.workerdata import EVENTS, OUTLETS, Item, feed_path, items, serve

HANG_GUARD_S = 600  # no run comes near this; it only stops a hung test
ALL_REPORTS = sum(len(outlets) for _, _, outlets in EVENTS.values())


def _worker(database: str, name: str, *args: str) -> subprocess.Popen[str]:
    """A worker process started as a user starts one."""
    return subprocess.Popen(
        [sys.executable, "-m", "newsweave", "--database", database, "worker", "--name", name,
         "--poll", "0.2", "--allow-host", "127.0.0.1", *args],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def _finish(proc: subprocess.Popen[str]) -> str:
    """Wait for a worker to end by itself; fail with its output unless it ended well."""
    out, _ = proc.communicate(timeout=HANG_GUARD_S)
    assert proc.returncode == 0, out
    return out


def _follow(database: str, server: FeedServer) -> dict[str, int]:
    """Follow every outlet's feed; return each feed path's source id."""
    settings = load_settings(os.environ, database=database, allow_hosts=("127.0.0.1",))
    ids = {}
    for outlet in range(len(OUTLETS)):
        [(row, _)] = add_sources(settings, server.base + feed_path(outlet))
        ids[feed_path(outlet)] = row.id
    return ids


def _library(database: str) -> dict[str, object]:
    """What the workers left: stories by their reports' paths, and every check of one truth."""
    with Store.open(database) as db:
        reports = db.reports()
        stories = db.stories(limit=1000)
        groups = frozenset(
            frozenset(urlsplit(r.url).path for r in db.story_reports(s.id)) for s in stories
        )
        versions = {s.id: db.story_briefs(s.id) for s in stories}
        stale = db.stale_stories([s.id for s in stories])
        unfiled = db.unfiled_report_ids()
        jobs = JobQueue(db).jobs()
    # A story version saved twice would cover the same reports as the one before it.
    repeated = [
        (story, b.version)
        for story, briefs in versions.items()
        for a, b in pairwise(briefs)
        if set((a.changes or {}).get("reports", ())) == set((b.changes or {}).get("reports", ()))
    ]
    return {
        "groups": groups,
        "copies": Counter((urlsplit(r.url).path, r.outlet) for r in reports),
        "unfiled": unfiled,
        "stale": stale,
        "repeated": repeated,
        "unfinished": [j for j in jobs if j.state != "done"],
        "jobs": jobs,
    }


def _events(paths: dict[str, str]) -> frozenset[frozenset[str]]:
    """The stories the feeds tell: one per event, of its reports' paths."""
    by_event: dict[str, set[str]] = {}
    for path, event in paths.items():
        by_event.setdefault(event, set()).add(path)
    return frozenset(frozenset(group) for group in by_event.values())


def _check_one_truth(library: dict[str, object], expected: frozenset[frozenset[str]]) -> None:
    copies = library["copies"]
    assert isinstance(copies, Counter)
    assert sum(copies.values()) == ALL_REPORTS and set(copies.values()) == {1}, copies
    assert library["unfiled"] == []
    assert library["stale"] == []  # every story's latest brief covers all its reports
    assert library["repeated"] == []  # and no version was briefed twice
    assert library["unfinished"] == [], library["unfinished"]
    assert library["groups"] == expected


@pytest.fixture
def server() -> Iterator[tuple[FeedServer, dict[str, str]]]:
    with FeedServer() as srv:
        yield srv, serve(srv)


def test_two_and_four_workers_make_the_stories_one_worker_makes(
    pg_server: PgServer, server: tuple[FeedServer, dict[str, str]]
) -> None:
    srv, paths = server
    expected = _events(paths)
    made = {}
    for workers in (1, 2, 4):
        database = pg_server.create_database()
        try:
            _follow(database, srv)
            procs = [_worker(database, f"w{i}", "--until-idle") for i in range(workers)]
            for proc in procs:
                _finish(proc)
            library = _library(database)
        finally:
            pg_server.drop_database(database)
        _check_one_truth(library, expected)
        made[workers] = library["groups"]
    assert made[1] == made[2] == made[4] == expected


def test_workers_share_an_sqlite_database_too(
    tmp_path: Path, server: tuple[FeedServer, dict[str, str]]
) -> None:
    srv, paths = server
    database = str(tmp_path / "library.db")
    _follow(database, srv)
    for proc in [_worker(database, f"w{i}", "--until-idle") for i in range(2)]:
        _finish(proc)
    _check_one_truth(_library(database), _events(paths))


def _hold(srv: FeedServer, path: str) -> tuple[threading.Event, threading.Event]:
    """Make the server hold its answer on path until released; return (requested, release)."""
    requested, release = threading.Event(), threading.Event()
    plain = srv.routes[path]
    assert isinstance(plain, Route)

    def held() -> Route:
        requested.set()
        release.wait(HANG_GUARD_S)
        return plain

    srv.routes[path] = held
    return requested, release


def _running(database: str, source_id: int) -> list[str]:
    """Who holds the fetch job of this source."""
    with Store.open(database) as db:
        return [
            j.claimed_by or ""
            for j in JobQueue(db).jobs(state="running", kind=FETCH)
            if j.key == str(source_id)
        ]


def test_a_worker_killed_midway_loses_nothing(
    pg_url: str, server: tuple[FeedServer, dict[str, str]]
) -> None:
    srv, paths = server
    ids = _follow(pg_url, srv)
    held_feed = feed_path(2)
    requested, release = _hold(srv, held_feed)
    first = _worker(pg_url, "doomed", "--lease", "3")
    try:
        assert requested.wait(HANG_GUARD_S), "the worker never asked for the held feed"
        assert first.poll() is None
        # The claim is committed before the request is sent.
        assert _running(pg_url, ids[held_feed]) == ["doomed"]
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=HANG_GUARD_S)
        release.set()
    assert first.returncode == -signal.SIGKILL
    with Store.open(pg_url) as db:
        # Midway: some sources were fetched, filed and briefed; the held one was not.
        assert 0 < db.count_reports() < ALL_REPORTS
    # The job returns to the queue once its 3-second lease passes; this worker waits for it.
    out = _finish(_worker(pg_url, "rescuer", "--until-idle", "--lease", "3"))
    library = _library(pg_url)
    _check_one_truth(library, _events(paths))
    jobs = library["jobs"]
    assert isinstance(jobs, list)
    [redone] = [j for j in jobs if j.kind == FETCH and j.key == str(ids[held_feed])]
    assert redone.claimed_by == "rescuer" and redone.attempts == 2, out


def test_sigterm_lets_the_job_in_hand_finish(
    tmp_path: Path, server: tuple[FeedServer, dict[str, str]]
) -> None:
    srv, _ = server
    database = str(tmp_path / "library.db")
    ids = _follow(database, srv)
    held_feed = feed_path(0)  # the first source: the first job a fresh worker takes
    requested, release = _hold(srv, held_feed)
    proc = _worker(database, "polite")
    try:
        assert requested.wait(HANG_GUARD_S), "the worker never asked for the held feed"
        proc.send_signal(signal.SIGTERM)
    finally:
        release.set()
    out = _finish(proc)
    with Store.open(database) as db:
        jobs = JobQueue(db).jobs(kind=FETCH)
        fetched = db.source(ids[held_feed])
    [job] = [j for j in jobs if j.key == str(ids[held_feed])]
    assert job.state == "done" and job.claimed_by == "polite", out
    assert fetched is not None and fetched.report_count == 3  # its items were all stored
    assert not [j for j in jobs if j.state == "running"]  # and it took no other job after


def _report_file(folder: Path, item: Item) -> Path:
    """An item of the test feeds as a report file `newsweave ingest` reads."""
    path = folder / f"{item.outlet}-{item.event}.txt"
    published = parsedate_to_datetime(item.date).isoformat()
    path.write_text(
        f"outlet: {OUTLETS[item.outlet]}\nurl: https://news.example{item.path}\n"
        f"title: {item.title}\npublished: {published}\n\n" + "\n\n".join(item.paragraphs),
        encoding="utf-8",
    )
    return path


def test_two_commands_filing_at_once_keep_one_event_in_one_story(
    database_url: str, tmp_path: Path
) -> None:
    # Each filer alone would start a story for the event; filing one at a time (the
    # assigner's lock, which every filer takes) makes the second join the first's story.
    ferry = [item for item in items() if item.event == "ferry"]
    files = [_report_file(tmp_path, item) for item in ferry]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "newsweave", "--database", database_url, "ingest", *part],
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for part in ([str(files[0])], [str(f) for f in files[1:]])
    ]
    for proc in procs:
        _finish(proc)
    with Store.open(database_url) as db:
        stories = db.stories()
        assert [s.report_count for s in stories] == [3]
        assert db.stale_stories([s.id for s in stories]) == []
