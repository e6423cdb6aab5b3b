"""Benchmark (a): the online path on PostgreSQL with 1, 2 and 4 `newsweave worker` processes.

A feed server on 127.0.0.1 serves M feeds of real articles (Multi-News clusters from the shared
data folder; each article of a cluster goes to another feed, half the feeds carry full text,
the other half summaries with article pages that are fetched and extracted). A throwaway
PostgreSQL (tests/pgserver.py) holds the library. For each worker count, two runs on a fresh
database, each until every article is in a brief:

- backlog: every article is on the feeds from the start; reports/s = articles / seconds
  until the last of them is in a brief (the capacity of the workers);
- stream: the articles appear on the feeds one by one over --window seconds; the latency of
  each is the time from its appearance on its feed (or from its fetch: when its report was
  stored) to the first saved brief version of its story that covers it. Briefs are watched
  every 0.2 s, so times are good to about that.

    .venv/bin/python scripts/bench_workers.py
    .venv/bin/python scripts/bench_workers.py --clusters 30 --window 90 --workers 1,2 --modes stream

Skips with a message when the data folder or the PostgreSQL server binaries are absent.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "multinews-dev" / "sample_validation.csv"
sys.path.insert(0, str(ROOT))  # tests/ holds the feed server and the PostgreSQL helper

from tests.feedserver import FeedServer, Route, article, rss  # noqa: E402
from tests.pgserver import PgServer, find_bindir  # noqa: E402

WATCH_EVERY_S = 0.2
# A run that has not put every article in a brief by then is reported as such, not waited on.
RUN_DEADLINE_S = 1800


@dataclass(frozen=True)
class Article:
    """One article of the replay: its feed, title, paragraphs and path on the server."""

    feed: int
    title: str
    paragraphs: tuple[str, ...]
    path: str


def load_articles(clusters: int, feeds: int) -> list[Article]:
    """The articles of the first clusters, each cluster's spread over the feeds."""
    csv.field_size_limit(sys.maxsize)
    found: list[Article] = []
    with DATA.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if number >= clusters:
                break
            for k, text in enumerate(ast.literal_eval(row["documents"])):
                paragraphs = tuple(p.strip() for p in text.split("\n") if len(p.split()) >= 6)
                if sum(len(p.split()) for p in paragraphs) < 80:
                    continue  # scrape debris, not an article
                title = " ".join(paragraphs[0].split()[:12]).rstrip(".,;:")
                feed = (number + k) % feeds
                found.append(Article(feed, title, paragraphs, f"/a/{number}-{k}.html"))
    return found


class Replay:
    """The feeds: each article appears on its feed at its release time (monotonic seconds)."""

    def __init__(self, server: FeedServer, articles: list[Article], feeds: int) -> None:
        self.server = server
        self.articles = articles
        self.feeds = feeds
        self.release: dict[str, float] = {}  # path -> monotonic time it appeared
        self._lock = threading.Lock()
        for a in articles:
            server.routes[a.path] = Route(
                article(a.title, list(a.paragraphs), site=f"Outlet {a.feed}").encode(),
                content_type="text/html; charset=utf-8",
            )
        for feed in range(feeds):
            server.routes[self.feed_path(feed)] = lambda feed=feed: self._feed(feed)

    @staticmethod
    def feed_path(feed: int) -> str:
        return f"/feeds/{feed}.xml"

    def schedule(self, start: float, window: float) -> None:
        """Release the articles evenly from start over window seconds (0: all at start)."""
        step = window / max(1, len(self.articles) - 1) if window else 0.0
        with self._lock:
            self.release = {a.path: start + i * step for i, a in enumerate(self.articles)}

    def _feed(self, feed: int) -> Route:
        now = time.monotonic()
        wall = time.time()
        items = []
        with self._lock:
            shown = [
                a for a in self.articles if a.feed == feed and self.release.get(a.path, 1e18) <= now
            ]
        for a in shown:
            when = datetime.fromtimestamp(wall - (now - self.release[a.path]), UTC)
            item = {
                "title": a.title,
                "link": self.server.base + a.path,
                "guid": a.path,
                "date": format_datetime(when, usegmt=True),
            }
            if feed % 2 == 0:
                item["content"] = " ".join(a.paragraphs)
            else:  # summary only: the worker fetches and extracts the page
                item["summary"] = a.paragraphs[0][:200]
            items.append(item)
        return Route(rss(f"Outlet {feed}", items).encode())


@dataclass
class Watch:
    """When each report was first covered by a saved brief of its story (monotonic time)."""

    covered: dict[str, float] = field(default_factory=dict)
    last_brief: int = 0


def watch_briefs(url: str, watch: Watch, stop: threading.Event) -> None:
    """Poll the briefs table for new versions; note the reports each newly covers."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.wait(WATCH_EVERY_S):
            rows = conn.execute(
                "SELECT id, changes FROM briefs WHERE story_id IS NOT NULL AND id > %s ORDER BY id",
                (watch.last_brief,),
            ).fetchall()
            now = time.monotonic()
            for brief_id, changes in rows:
                watch.last_brief = max(watch.last_brief, brief_id)
                for report_id in json.loads(changes or "{}").get("reports", []):
                    watch.covered.setdefault(report_id, now)


def _reports(url: str) -> dict[str, tuple[str, float]]:
    """Each stored report's path on the server and when it was stored (epoch seconds)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT id, url, added_at FROM reports").fetchall()
    return {rid: (urlsplit(u).path, datetime.fromisoformat(t).timestamp()) for rid, u, t in rows}


def _jobs(url: str, states: tuple[str, ...] = ("done",)) -> dict[str, int]:
    """Jobs of these states by kind."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT kind, count(*) FROM jobs WHERE state = ANY(%s) GROUP BY kind", (list(states),)
        ).fetchall()
    return {kind: n for kind, n in rows}


@dataclass
class Result:
    workers: int
    mode: str
    articles: int
    covered: int
    seconds: float
    latency_pub: list[float]
    latency_fetch: list[float]
    jobs: dict[str, int]
    missing: list[str] = field(default_factory=list)  # why an article reached no brief


def run(pg: PgServer, replay: Replay, workers: int, window: float, every: str) -> Result:
    """One run on a fresh database until every article is in a brief (or the deadline)."""
    from newsweave.config import load_settings
    from newsweave.ingest.fetch import add_sources

    url = pg.create_database()
    home = tempfile.mkdtemp(prefix="bench-workers-")
    env = {**os.environ, "NEWSWEAVE_HOME": home}
    settings = load_settings(env, database=url, allow_hosts=("127.0.0.1",))
    for feed in range(replay.feeds):
        add_sources(settings, replay.server.base + replay.feed_path(feed), "feed")
    watch, stop = Watch(), threading.Event()
    watcher = threading.Thread(target=watch_briefs, args=(url, watch, stop), daemon=True)
    replay.schedule(float("inf"), 0.0)  # nothing on the feeds until the workers are up
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newsweave",
                "--database",
                url,
                "worker",
                "--quiet",
                "--name",
                f"bench-{i}",
                "--every",
                every,
                "--poll",
                "0.5",
                "--allow-host",
                "127.0.0.1",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(workers)
    ]
    watcher.start()
    total = len(replay.articles)
    try:
        # Up: every worker's first round of fetches (of empty feeds) is done.
        while _jobs(url).get("fetch-source", 0) < replay.feeds:
            _alive(procs)
            time.sleep(0.2)
        start = time.monotonic()
        wall_start = time.time()
        replay.schedule(start, window)
        deadline = start + window + RUN_DEADLINE_S
        quiet_since, seen = time.monotonic(), 0
        while time.monotonic() < deadline and len(watch.covered) < total:
            time.sleep(1.0)
            _alive(procs)
            if len(watch.covered) != seen:
                quiet_since, seen = time.monotonic(), len(watch.covered)
            # Done short of all: every article is out, no filing or briefing is left to do,
            # and no new brief for a while (an article set aside, a brief that failed).
            pending = _jobs(url, ("queued", "running"))
            if (
                time.monotonic() > start + window
                and not pending.get("file")
                and not pending.get("brief-story")
                and time.monotonic() - quiet_since > 30
            ):
                break
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                p.kill()
        stop.set()
        watcher.join(timeout=10)
    stored = _reports(url)
    jobs = _jobs(url, ("done", "failed"))
    missing = _why_missing(url, replay, stored, set(watch.covered))
    pg.drop_database(url)
    lat_pub, lat_fetch, last = [], [], start
    for report_id, seen in watch.covered.items():
        path, added = stored.get(report_id, ("", 0.0))
        released = replay.release.get(path)
        if released is None:
            continue
        last = max(last, seen)
        lat_pub.append(seen - released)
        lat_fetch.append(seen - (start + added - wall_start))
    return Result(
        workers,
        "stream" if window else "backlog",
        total,
        len(lat_pub),
        last - start,
        lat_pub,
        lat_fetch,
        jobs,
        missing,
    )


def _why_missing(
    url: str, replay: Replay, stored: dict[str, tuple[str, float]], covered: set[str]
) -> list[str]:
    """For each article in no brief: not stored (with its source's notes), or its filing."""
    import psycopg

    by_path = {path: rid for rid, (path, _) in stored.items()}
    why = []
    with psycopg.connect(url, autocommit=True) as conn:
        for a in replay.articles:
            rid = by_path.get(a.path)
            if rid is None:
                row = conn.execute(
                    "SELECT problems FROM sources WHERE url LIKE %s",
                    ("%" + replay.feed_path(a.feed),),
                ).fetchone()
                notes = [n for n in json.loads(row[0] if row else "[]") if a.path in n]
                why.append(f"{a.path}: not stored ({'; '.join(notes) or 'no note'})")
            elif rid not in covered:
                row = conn.execute(
                    "SELECT f.error, sr.story_id FROM reports r"
                    " LEFT JOIN filing_attempts f ON f.report_id = r.id"
                    " LEFT JOIN story_reports sr ON sr.report_id = r.id WHERE r.id = %s",
                    (rid,),
                ).fetchone()
                failed = conn.execute(
                    "SELECT error FROM jobs WHERE kind = 'brief-story' AND key = %s"
                    " AND state = 'failed'",
                    (row[1],),
                ).fetchone()
                why.append(
                    f"{a.path}: story {row[1]}, filing: {row[0]}, "
                    f"brief: {failed[0] if failed else 'not failed'}"
                )
    return why


def _alive(procs: list[subprocess.Popen[str]]) -> None:
    """Stop the benchmark if a worker died."""
    if any(p.poll() is not None for p in procs):
        raise SystemExit(f"a worker died: {[p.communicate()[1][-2000:] for p in procs]}")


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clusters", type=int, default=60, help="Multi-News clusters replayed")
    parser.add_argument("--feeds", type=int, default=8)
    parser.add_argument("--window", type=float, default=60.0, help="stream: seconds of release")
    parser.add_argument("--every", default="2s", help="how often a worker fetches each feed")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--modes", default="backlog,stream", help="which runs to make")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent (the shared data folder is not here)")
        return
    bindir = find_bindir()
    if bindir is None:
        print("skipped: the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        return
    # Stopped with SIGTERM: the workers and the PostgreSQL server are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    articles = load_articles(args.clusters, args.feeds)
    counts = [int(n) for n in args.workers.split(",")]
    print(
        f"{len(articles)} articles of {args.clusters} Multi-News clusters on {args.feeds} "
        f"feeds; fetched every {args.every}; {os.cpu_count()} cores",
        flush=True,
    )
    pg = PgServer(bindir)
    results: list[Result] = []
    try:
        pg.start()
        with FeedServer() as server:
            replay = Replay(server, articles, args.feeds)
            for workers in counts:
                modes = args.modes.split(",")
                windows = [w for m, w in (("backlog", 0.0), ("stream", args.window)) if m in modes]
                for window in windows:
                    result = run(pg, replay, workers, window, args.every)
                    results.append(result)
                    print(
                        f"  {result.mode} with {workers} workers: {result.covered}/"
                        f"{result.articles} briefed in {result.seconds:.1f}s",
                        flush=True,
                    )
    finally:
        pg.stop()
    print()
    print(
        "| workers | backlog: reports/s | stream: p50 / p95 s from publication to brief "
        "| stream: p95 s from fetch to brief | jobs (backlog run) |"
    )
    print("|---:|---:|---:|---:|---|")
    for workers in counts:
        empty = Result(workers, "", 0, 0, 0.0, [], [], {})
        backlog = next((r for r in results if r.workers == workers and r.mode == "backlog"), empty)
        stream = next((r for r in results if r.workers == workers and r.mode == "stream"), empty)
        rate = backlog.covered / backlog.seconds if backlog.seconds > 0 else float("nan")
        jobs = ", ".join(f"{k} {n}" for k, n in sorted(backlog.jobs.items()))
        print(
            f"| {workers} | {rate:.2f} | "
            f"{statistics.median(stream.latency_pub or [float('nan')]):.1f} / "
            f"{p95(stream.latency_pub):.1f} | {p95(stream.latency_fetch):.1f} | {jobs} |"
        )
    for r in results:
        for why in r.missing:
            print(f"note: {r.mode} with {r.workers} workers: in no brief: {why}")


if __name__ == "__main__":
    main()
