"""The fetch commands as a user runs them, in separate processes: add, sources, fetch, a fetch
killed with SIGKILL midway and resumed, watch stopped by a signal, remove."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.feedserver import FeedServer, Route, article, rss
from tests.test_fetch import FERRY

ITEMS = 24


def _cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run newsweave in its own process with this data directory."""
    return subprocess.run(
        [sys.executable, "-c", "from newsweave.cli import main; main()", *args],
        env={**os.environ, "NEWSWEAVE_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _default_sigint() -> None:
    """Ctrl-C as a terminal user has it: a suite started in the background (`make test &`
    from a script) ignores SIGINT, and a child would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _popen(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from newsweave.cli import main; main()", *args],
        env={**os.environ, "NEWSWEAVE_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )


def _count(db: Path, sql: str) -> int:
    """One number from the database, read in a connection of its own."""
    conn = sqlite3.connect(db, timeout=5)
    try:
        return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet
    finally:
        conn.close()


@pytest.fixture
def slow_server() -> Iterator[FeedServer]:
    """A feed of summary-only items whose article pages each take a while to answer."""
    with FeedServer() as srv:
        items = []
        for n in range(ITEMS):
            items.append(
                {
                    "title": f"Ferry update {n}",
                    "link": f"{srv.base}/articles/{n}.html",
                    "guid": f"update-{n}",
                    "date": f"Mon, 01 Jun 2026 {n % 24:02d}:00:00 GMT",
                    "summary": f"Update {n} on the ferry.",
                }
            )
            paragraphs = [f"Update {n}: the harbour authority posted notice number {n}.", *FERRY]
            srv.routes[f"/articles/{n}.html"] = Route(
                article(f"Ferry update {n}", paragraphs).encode(),
                content_type="text/html",
                delay=0.3,
            )
        srv.routes["/feed.xml"] = Route(rss("Lindenport Herald", items).encode(), validators=True)
        yield srv


def test_a_killed_fetch_loses_nothing_and_resumes_without_duplicates(
    tmp_path: Path, slow_server: FeedServer
) -> None:
    home = tmp_path / "home"
    db = home / "newsweave.db"
    added = _cli(home, "add", slow_server.base + "/feed.xml", "--allow-host", "127.0.0.1")
    assert added.returncode == 0, added.stderr
    proc = _popen(home, "fetch", "--allow-host", "127.0.0.1")
    deadline = time.monotonic() + 60
    while _count(db, "SELECT count(*) FROM source_items") < 4:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the fetch stored nothing within 60 s"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    kept = {row[0] for row in conn.execute("SELECT item_key FROM source_items")}
    etag = conn.execute("SELECT etag FROM sources").fetchone()[0]
    conn.close()
    assert 4 <= len(kept) < ITEMS
    assert etag is None  # validators are saved only once every item is stored

    resumed = _cli(home, "fetch", "--all", "--allow-host", "127.0.0.1")
    assert resumed.returncode == 0, resumed.stderr
    assert f"reports: {ITEMS - len(kept)} new" in resumed.stdout
    assert _count(db, "SELECT count(*) FROM reports") == ITEMS
    assert _count(db, "SELECT count(DISTINCT report_id) FROM source_items") == ITEMS
    assert _count(db, "SELECT count(*) FROM story_reports") == ITEMS  # all filed in stories
    assert _count(db, "SELECT count(*) FROM briefs") >= 1
    for key in kept:  # what was committed before the kill was not fetched again
        n = key.removeprefix("update-")
        assert len(slow_server.hits(f"/articles/{n}.html")) == 1, key


def test_add_sources_fetch_remove_from_the_command_line(
    tmp_path: Path, slow_server: FeedServer
) -> None:
    home = tmp_path / "home"
    slow_server.routes["/gone.xml"] = Route(b"gone", 410, "text/plain")
    for path in ("/feed.xml", "/gone.xml"):
        done = _cli(home, "add", slow_server.base + path, "--allow-host", "127.0.0.1")
        assert done.returncode == 0 and done.stdout.startswith("added: "), done.stderr
    again = _cli(home, "add", slow_server.base + "/feed.xml", "--allow-host", "127.0.0.1")
    assert again.stdout.startswith("already followed: 1 ")
    refused = _cli(home, "add", slow_server.base + "/feed.xml")
    assert refused.returncode == 1 and "loopback" in refused.stderr

    run = _cli(home, "fetch", "--allow-host", "127.0.0.1")
    assert run.returncode == 3  # done, but a source failed
    assert f"sources: 1 ok, 1 failed; reports: {ITEMS} new; stories: " in run.stdout
    # Not a terminal: one plain log line per source on stderr, no progress bar.
    assert f"fetched {slow_server.base}/feed.xml: {ITEMS} new" in run.stderr
    assert "failed: http_status:" in run.stderr and "HTTP 410" in run.stderr
    # Pages are slow to answer, yet no more than two requests were ever at the one host.
    assert slow_server.max_in_flight == 2

    listed = json.loads(_cli(home, "sources", "--format", "json").stdout)
    assert [(s["id"], s["kind"], s["reports"]) for s in listed] == [
        (1, "feed", ITEMS),
        (2, "auto", 0),
    ]
    assert listed[0]["last_success"] and listed[0]["last_error"] is None
    assert listed[1]["last_error"].startswith("http_status:") and listed[1]["failures"] == 1
    table = _cli(home, "sources").stdout
    assert "last error (1 in a row): http_status:" in table

    removed = _cli(home, "remove", "2")
    assert removed.returncode == 0 and "removed: 2" in removed.stdout
    assert _cli(home, "remove", "2").returncode == 1
    assert [s["id"] for s in json.loads(_cli(home, "sources", "--format", "json").stdout)] == [1]


def test_watch_runs_rounds_and_stops_cleanly_on_a_signal(
    tmp_path: Path, slow_server: FeedServer
) -> None:
    home = tmp_path / "home"
    _cli(home, "add", slow_server.base + "/feed.xml", "--allow-host", "127.0.0.1")
    proc = _popen(home, "watch", "--every", "1s", "--allow-host", "127.0.0.1")
    deadline = time.monotonic() + 90
    while len(slow_server.hits("/feed.xml")) < 2:  # a second round has started
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "watch did not start a second round"
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped after" in err
    assert f"reports: {ITEMS} new" in out
    assert slow_server.hits("/feed.xml")[1].status == 304  # the second round was conditional


def test_ctrl_c_stops_a_fetch_with_a_message_and_keeps_what_was_stored(
    tmp_path: Path, slow_server: FeedServer
) -> None:
    home = tmp_path / "home"
    db = home / "newsweave.db"
    # The last page is held until the test ends, so the fetch is still running when it is
    # interrupted however fast or slow the machine is.
    last = f"/articles/{ITEMS - 1}.html"
    plain, release = slow_server.routes[last], threading.Event()
    slow_server.routes[last] = lambda: (release.wait(120), plain)[1]
    _cli(home, "add", slow_server.base + "/feed.xml", "--allow-host", "127.0.0.1")
    proc = _popen(home, "fetch", "--allow-host", "127.0.0.1")
    try:
        deadline = time.monotonic() + 60
        while _count(db, "SELECT count(*) FROM source_items") < 2:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        release.set()
    assert proc.returncode == 130, err
    assert "interrupted: what was stored stays" in err and "Traceback" not in err
    kept = _count(db, "SELECT count(*) FROM source_items")
    assert kept >= 2 and _count(db, "SELECT count(*) FROM reports") == kept


def _on_terminal(home: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run newsweave with stderr on a pseudo-terminal; return the run and what the terminal got."""
    import pty

    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        # Read the terminal while the child writes: a full pseudo-terminal buffer (a few KB to
        # tens of KB) would block the child forever if it were read only after the child exits.
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # every writer closed its end
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", "from newsweave.cli import main; main()", *args],
            env={
                **os.environ,
                "NEWSWEAVE_HOME": str(home),
                "NEWSWEAVE_ALLOW_HOSTS": "127.0.0.1",
                "TERM": "xterm",
                "COLUMNS": "100",
            },
            stdout=subprocess.PIPE,
            stderr=slave,
            text=True,
        )
        os.close(slave)  # the child holds its own copy; reads end when it exits
        reader.start()
        out, _ = child.communicate(timeout=300)  # a hang guard only
        reader.join(timeout=60)
    finally:
        os.close(master)
    done = subprocess.CompletedProcess(child.args, child.returncode, out, "")
    return done, b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_a_progress_bar(tmp_path: Path, slow_server: FeedServer) -> None:
    home = tmp_path / "home"
    _cli(home, "add", slow_server.base + "/feed.xml", "--allow-host", "127.0.0.1")
    done, shown = _on_terminal(home, "fetch")
    assert done.returncode == 0
    assert "fetching" in shown and "1/1" in shown  # rich's bar with its count
    assert "fetched http" not in shown  # no plain log lines on a terminal
    assert f"reports: {ITEMS} new" in done.stdout


def test_a_terminal_fed_more_than_its_buffer_holds_does_not_block(tmp_path: Path) -> None:
    """Hundreds of failing sources write far more than a pseudo-terminal buffers; the run ends."""
    home = tmp_path / "home"
    with FeedServer() as srv:
        sources = 300
        padding = "x" * 200  # long URLs: each failure line is about 300 bytes
        opml = tmp_path / "many.opml"
        opml.write_text(
            "<opml version='2.0'><body>"
            + "".join(
                f"<outline xmlUrl='{srv.base}/gone/{n}/{padding}.xml'/>" for n in range(sources)
            )
            + "</body></opml>",
            encoding="utf-8",
        )
        assert _cli(home, "add", str(opml), "--allow-host", "127.0.0.1").returncode == 0
        done, shown = _on_terminal(home, "fetch")
    assert done.returncode == 3  # every source failed (404), and said so
    assert f"sources: 0 ok, {sources} failed" in done.stdout
    assert len(shown.encode()) > 64 * 1024  # more than any pseudo-terminal buffer holds
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)  # without rich's colours
    assert len(re.findall(r"failed\s+http", plain)) == sources  # rich wraps long lines
