"""Fetching local feeds day to day (issue 16): robots.txt once per host with Allow, `*` and `$`;
long descriptions taken as the article; backoff and refusals explained; JSON and OPML out."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsweave.cli import main
from newsweave.config import Settings
from newsweave.ingest.feeds import read_opml
from newsweave.ingest.fetch import add_sources
from newsweave.pipeline.fetching import fetch
from newsweave.storage.store import Store
from tests.feedserver import FeedServer, Route, article, rss
from tests.test_fetch import FERRY, LIBRARY

ROBOTS = (
    b"User-agent: *\n"
    b"Disallow: /news/\n"
    b"Allow: /news/public/\n"  # longer than /news/: wins under RFC 9309 (urllib says no)
    b"Disallow: /*.pdf$\n"  # any path ending in .pdf, and only those
)
PUBLIC = 6
LOCAL_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d \S*"  # the user's clock, with its zone


def _paragraphs(n: int) -> list[str]:
    return [f"Notice {n}: the harbour authority posted timetable number {n}.", *FERRY]


@pytest.fixture
def site() -> Iterator[FeedServer]:
    """A site whose robots.txt allows /news/public/ under a disallowed /news/, and a feed."""
    with FeedServer() as srv:
        items = [
            {
                "title": f"Ferry notice {n}",
                "link": f"{srv.base}/news/public/{n}.html",
                "guid": f"notice-{n}",
                "summary": f"Notice {n} on the ferry.",
            }
            for n in range(PUBLIC)
        ]
        items += [
            {
                "title": "Staff memo",
                "link": f"{srv.base}/news/memo.html",
                "guid": "memo",
                "summary": "A memo about the ferry schedule.",
            },
            {
                "title": "Flood review",
                "link": f"{srv.base}/files/review.pdf",
                "guid": "review",
                "summary": "The review of the flood response.",
            },
            {
                # The whole article in <description>: taken as it is, its page never fetched.
                "title": "Reading room reopens",
                "link": f"{srv.base}/news/public/library.html",
                "guid": "library",
                "summary": " ".join(LIBRARY * 2),
            },
        ]
        for n in range(PUBLIC):
            srv.routes[f"/news/public/{n}.html"] = Route(
                article(f"Ferry notice {n}", _paragraphs(n)).encode(), content_type="text/html"
            )
        for path in ("/news/memo.html", "/files/review.pdf", "/news/public/library.html"):
            srv.routes[path] = Route(
                article("Should not be read", FERRY).encode(), content_type="text/html"
            )
        # A slow robots.txt: every page of the feed asks for it while the first request waits.
        srv.routes["/robots.txt"] = Route(ROBOTS, content_type="text/plain", delay=0.5)
        srv.routes["/feed.xml"] = Route(rss("Lindenport Notices", items).encode())
        yield srv


def test_robots_is_fetched_once_per_host_and_allow_beats_a_shorter_disallow(
    settings: Settings, site: FeedServer
) -> None:
    local = settings.with_(allow_hosts=("127.0.0.1",))
    [(source, _)] = add_sources(local, site.base + "/feed.xml")
    run = fetch(local)
    assert not run.failed, run.outcomes
    assert len(site.hits("/robots.txt")) == 1  # nine pages asked; one request
    for n in range(PUBLIC):  # Allow: /news/public/ under Disallow: /news/
        assert len(site.hits(f"/news/public/{n}.html")) == 1
    assert site.hits("/news/memo.html") == []  # Disallow: /news/
    assert site.hits("/files/review.pdf") == []  # Disallow: /*.pdf$
    problems = run.outcomes[0].problems
    for url in ("/news/memo.html", "/files/review.pdf"):
        [note] = [p for p in problems if url in p]
        assert "summary used, page not read (robots: disallowed" in note

    # The long description is the article: stored from the feed, its page never asked for.
    assert site.hits("/news/public/library.html") == []
    with Store.open(local.database_url) as db, db._reading() as conn:
        row = conn.execute(
            "SELECT r.text, i.text_from FROM source_items i JOIN reports r ON r.id = i.report_id"
            " WHERE i.source_id = ? AND i.item_key = ?",
            (source.id, "library"),
        ).fetchone()
    assert row["text_from"] == "feed" and row["text"].startswith(LIBRARY[0][:40])


def _cli(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"NEWSWEAVE_HOME": str(home)})


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    """One feed whose items carry their full text."""
    with FeedServer() as srv:
        items = [
            {"title": "Ferry resumes", "guid": "ferry", "content": " ".join(FERRY)},
            {"title": "Reading room reopens", "guid": "library", "content": " ".join(LIBRARY)},
        ]
        srv.routes["/feed.xml"] = Route(rss("Lindenport Herald", items).encode())
        yield srv


def test_refusals_and_backoff_are_explained_with_what_to_do(
    tmp_path: Path, feed: FeedServer
) -> None:
    home = tmp_path / "home"
    url = feed.base + "/feed.xml"
    refused = _cli(home, "add", url)
    assert refused.exit_code == 1
    assert "refused: 127.0.0.1 is a loopback address" in refused.stderr
    assert "refused: refused" not in refused.stderr
    assert "newsweave config set allow_hosts 127.0.0.1" in refused.stderr
    assert _cli(home, "add", url, "--allow-host", "127.0.0.1").exit_code == 0

    failed = _cli(home, "fetch")  # the host is not allowed on this run
    assert failed.exit_code == 3
    assert "sources: 0 ok, 1 failed" in failed.stdout
    assert "refused: refused" not in failed.stderr
    assert failed.stderr.count("refused: 127.0.0.1 is a loopback address") == 1  # said once
    assert "every failure is a refused loopback or private host (127.0.0.1)" in failed.stderr
    assert "newsweave config set allow_hosts 127.0.0.1" in failed.stderr
    assert "backing off after failures: 1 source\n" in failed.stderr
    assert re.search(rf"  1 {re.escape(url)}: next try {LOCAL_TIME} \(in \d+ min\)", failed.stderr)
    assert "newsweave fetch --all" in failed.stderr

    waiting = _cli(home, "fetch")  # backing off: nothing is fetched, and it says why
    assert waiting.exit_code == 0
    assert "sources: 0 ok, 0 failed" in waiting.stdout
    assert "backing off after failures: 1 source\n" in waiting.stderr
    assert "newsweave config set allow_hosts 127.0.0.1" in waiting.stderr
    assert "fetch every source now, due or not: newsweave fetch --all" in waiting.stderr

    # Allowed once in the config file: no --allow-host on any later command.
    assert _cli(home, "config", "set", "allow_hosts", "127.0.0.1").exit_code == 0
    done = _cli(home, "fetch", "--all", "--format", "json")
    assert done.exit_code == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["sources"] == {"followed": 1, "fetched": 1, "ok": 1, "failed": 0}
    assert len(out["reports_new"]) == 2 and out["waiting"] == []
    [outcome] = out["outcomes"]
    assert outcome["url"] == url and outcome["ok"] and len(outcome["new_reports"]) == 2
    assert set(out) >= {"stories_new", "stories_updated", "briefs_made", "next_due"}

    idle = _cli(home, "fetch")
    assert "sources: 0 ok, 0 failed" in idle.stdout
    assert re.search(
        rf"no source was due; the next is due {LOCAL_TIME} \(in \d+ min\)", idle.stderr
    )
    assert "newsweave fetch --all" in idle.stderr


def test_add_remove_and_ingest_speak_json_and_sources_export_opml(
    tmp_path: Path, feed: FeedServer
) -> None:
    from tests.conftest import DEMO_DIR

    home = tmp_path / "home"
    assert _cli(home, "config", "set", "allow_hosts", "127.0.0.1").exit_code == 0
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>'
        f'<outline text="Herald" xmlUrl="{feed.base}/feed.xml"/>'
        f'<outline text="Post &amp; Courier" xmlUrl="{feed.base}/other.xml"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    added = json.loads(_cli(home, "add", str(opml), "--format", "json").stdout)
    assert [(a["id"], a["kind"], a["new"]) for a in added] == [(1, "feed", True), (2, "feed", True)]
    page = json.loads(_cli(home, "add", feed.base + "/page.html", "--format", "json").stdout)
    assert page == [
        {"id": 3, "url": feed.base + "/page.html", "kind": "auto", "title": "", "new": True}
    ]

    exported = _cli(home, "sources", "--format", "opml")
    assert exported.exit_code == 0 and 'version="2.0"' in exported.stdout
    path = tmp_path / "out.opml"
    path.write_text(exported.stdout, encoding="utf-8")
    assert read_opml(path) == [
        (feed.base + "/feed.xml", "Herald"),
        (feed.base + "/other.xml", "Post & Courier"),
        (feed.base + "/page.html", feed.base + "/page.html"),  # auto: not yet known to be a page
    ]
    elsewhere = _cli(
        tmp_path / "second", "add", str(path), "--allow-host", "127.0.0.1", "--format", "json"
    )
    again = json.loads(elsewhere.stdout)
    assert [a["url"] for a in again] == [u for u, _ in read_opml(path)]

    removed = _cli(home, "remove", "2", "--format", "json")
    assert json.loads(removed.stdout) == {
        "removed": {
            "id": 2,
            "url": feed.base + "/other.xml",
            "kind": "feed",
            "title": "Post & Courier",
        }
    }

    ingested = _cli(home, "ingest", str(DEMO_DIR), "--format", "json")
    assert ingested.exit_code == 0, ingested.stderr
    out = json.loads(ingested.stdout)
    assert len(out["reports_new"]) == 5 and out["reports_existing"] == []
    assert out["briefs"] and set(out["briefs"][0]) == {
        "story_id",
        "version",
        "headline",
        "reports_added",
    }
    assert out["skipped"] == [] and out["failures"] == []


def test_watch_writes_one_json_line_per_round(tmp_path: Path, feed: FeedServer) -> None:
    home = tmp_path / "home"
    assert _cli(home, "config", "set", "allow_hosts", "127.0.0.1").exit_code == 0
    assert _cli(home, "add", feed.base + "/feed.xml").exit_code == 0
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsweave",
            "watch",
            "--every",
            "1s",
            "--quiet",
            "--format",
            "json",
        ],
        env={**os.environ, "NEWSWEAVE_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True)
    reader.start()
    rounds = []
    deadline = time.monotonic() + 180  # a hang guard only
    try:
        while len(rounds) < 2:
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "watch wrote fewer than two rounds"
            try:
                rounds.append(json.loads(lines.get(timeout=1)))
            except queue.Empty:
                continue
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert rounds[0]["sources"]["ok"] == 1 and len(rounds[0]["reports_new"]) == 2
    assert rounds[1]["reports_new"] == []  # nothing new the second time
