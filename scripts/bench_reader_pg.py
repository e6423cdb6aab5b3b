"""The reader on PostgreSQL at scale: list and story pages under a fixed request rate.

    .venv/bin/python scripts/bench_reader_pg.py [--reports 1000000] [--stories 100000]
        [--rate 200] [--cold-rate 50] [--seconds 60] [--templates 40]
        [--url postgresql://...] [--skip-build]

Starts a throwaway PostgreSQL (tests/pgserver.py) unless --url is given, builds a library of
--stories stories of --reports/--stories reports each, and serves it with `newsweave serve
--database URL`. Then an open-loop generator (requests sent on a fixed schedule, whether or
not earlier ones have been answered, so a slow server shows up as latency instead of being
hidden by the generator waiting) sends half story-list pages and half story pages, in two runs:
"readers" at --rate: the list's first page 80% of the time, else pages 2-10; stories opened
in proportion to 1/(k+1)^1.1 by recency rank k (the usual long tail of what readers open);
"cold" at --cold-rate: list pages and stories uniformly over all of them, so the response
cache almost never helps and every page is read from PostgreSQL and rendered.
Prints p50/p95/p99 per page kind.

The library: briefs come from real Multi-News dev clusters briefed by the product
(pipeline.make_brief); each of the --templates briefs is the brief of --stories/--templates
stories, its reports given new ids, and every story padded with further real Multi-News
articles to reach its share of reports. Rows are written with COPY, not through the store's
API (a million reports through the filing path would take hours here, and what is measured is
reading). Needs ../shared/data; exits with a message if it is absent.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/pgserver.py
DATA = ROOT.parent / "shared" / "data" / "multinews-dev" / "sample_validation.csv"
HOST = "127.0.0.1"
EPOCH = datetime(2026, 8, 1, tzinfo=UTC)


COLUMNS = {
    "reports": ("id", "content_hash", "outlet", "url", "title", "text", "published",
                "language", "origin", "added_at"),
    "stories": ("id", "title", "created_at", "last_report_at", "status", "activity"),
    "story_reports": ("story_id", "report_id", "added_at"),
    "briefs": ("id", "created_at", "headline", "body_json", "story_id", "version", "changes"),
    "brief_sources": ("brief_id", "number", "report_id"),
}  # fmt: skip


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _julian(moment: datetime) -> float:
    """The julian day the store keeps as a story's activity (store.m009_reader)."""
    return moment.timestamp() / 86400.0 + 2440587.5


def make_templates(count: int) -> tuple[list[dict], list[str]]:
    """Real briefs of Multi-News clusters, with their reports, and a pool of article texts."""
    from newsweave.config import Settings
    from newsweave.pipeline.briefing import make_brief
    from newsweave.render.jsonout import render_json
    from newsweave.text.embed import make_embedder
    from newsweave_bench.datasets import cluster_reports, read_multinews

    settings = Settings(home=Path("/nonexistent"))
    embedder = make_embedder(settings.embedder, settings.limits.embed_chars)
    templates: list[dict] = []
    pool: list[str] = []
    for cluster in read_multinews(DATA):
        reports = cluster_reports(cluster, "bench")
        pool.extend(r.text for r in reports)
        if len(templates) >= count or len(reports) < 2:
            continue
        try:
            brief = make_brief(reports, settings, embedder)
        except Exception as exc:  # a cluster the product cannot brief is skipped, as in eval
            print(f"  template skipped: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        templates.append(
            {"headline": brief.headline, "body": render_json(brief), "reports": reports}
        )
        print(f"  template {len(templates)}/{count}", file=sys.stderr)
    return templates, pool


def build(url: str, stories: int, per_story: int, template_count: int) -> None:
    """Migrate the database and COPY the library into it."""
    import psycopg

    from newsweave.storage.store import Store

    with Store.open(url):
        pass  # migrations
    templates, pool = make_templates(template_count)
    rng = random.Random(7)
    started = time.monotonic()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        brief_id = 0
        batch = 5000
        for first in range(0, stories, batch):
            reports_rows, story_rows, member_rows, brief_rows, source_rows = [], [], [], [], []
            for i in range(first, min(stories, first + batch)):
                template = templates[i % len(templates)]
                sid = f"s{i:07d}"
                # Story 0 is the newest: a story every 90 s backwards from EPOCH + 100 days.
                last = EPOCH + timedelta(days=100) - timedelta(seconds=90 * i)
                body = template["body"]
                ids = []
                for j in range(per_story):
                    rid = f"r{i:07d}{j:03d}"
                    if j < len(template["reports"]):
                        source = template["reports"][j]
                        body = body.replace(f'"{source.id}"', f'"{rid}"')
                        title, text, outlet = source.title, source.text, source.outlet
                    else:
                        text = pool[rng.randrange(len(pool))]
                        title, outlet = text[:80], f"outlet{rng.randrange(500)}"
                    when = last - timedelta(minutes=13 * (per_story - 1 - j))
                    reports_rows.append(
                        (rid, f"h{i}-{j}", outlet, f"https://example.org/{rid}", title,
                         text.replace("\x00", ""), _iso(when), "en", "bench", _iso(when))
                    )  # fmt: skip
                    member_rows.append((sid, rid, _iso(when)))
                    ids.append(rid)
                status = "open" if i < 2000 else "dormant"
                opened = last - timedelta(hours=2)
                story_rows.append(
                    (sid, template["headline"], _iso(opened), _iso(last), status, _julian(last))
                )
                brief_id += 1
                changes = json.dumps({"previous_version": None, "reports": ids})
                brief_rows.append(
                    (brief_id, _iso(last), template["headline"], body, sid, 1, changes)
                )
                for number, rid in enumerate(ids[: len(template["reports"])], start=1):
                    source_rows.append((brief_id, number, rid))
            for table, rows in (
                ("reports", reports_rows),
                ("stories", story_rows),
                ("story_reports", member_rows),
                ("briefs", brief_rows),
                ("brief_sources", source_rows),
            ):
                _copy(cur, table, COLUMNS[table], rows)
            conn.commit()
            done = min(stories, first + batch)
            print(f"  {done} stories, {done * per_story} reports, "
                  f"{time.monotonic() - started:.0f} s", file=sys.stderr)  # fmt: skip
        cur.execute("SELECT setval(pg_get_serial_sequence('briefs', 'id'), %s)", (brief_id,))
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _copy(cur, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def serve(url: str, port: int) -> subprocess.Popen[bytes]:
    """`newsweave serve` on the library, answering once it is up."""
    exe = Path(sys.executable).parent / "newsweave"
    server = subprocess.Popen(
        [str(exe), "--database", url, "serve", "--host", HOST, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the reader did not start: {server.stderr.read().decode()[-2000:]}")


class Connections:
    """Keep-alive HTTP/1.1 connections to the reader, reused by whichever request is next.

    Plain asyncio streams: an HTTP client library's pool costs more CPU per request at a few
    hundred open connections than the server being measured.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: collections.deque[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            collections.deque()
        )

    async def get(self, path: str) -> int:
        """GET path; the status code (the body is read whole and dropped).

        A kept connection the server has closed meanwhile (its keep-alive timeout) fails
        before any answer; the request is then sent once on a new connection, as browsers do.
        """
        if self.idle:
            kept = self.idle.popleft()  # oldest first: every kept connection stays in use
            try:
                return await self._get(path, *kept)
            except (OSError, asyncio.IncompleteReadError):
                kept[1].close()
        return await self._get(path, *await asyncio.open_connection(HOST, self.port))

    async def _get(
        self, path: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> int:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        if "content-length" in headers:
            await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        self.idle.append((reader, writer))
        return status


async def load(port: int, rate: float, seconds: float, stories: int, readers: bool) -> dict:
    """Open-loop requests at `rate` per second; latencies per page kind in ms."""
    rng = random.Random(11)
    pages = max(1, stories // 50)
    cumulative = None
    if readers:  # story k (newest first) opened in proportion to 1 / (k + 1) ** 1.1
        cumulative = list(itertools.accumulate(1 / (k + 1) ** 1.1 for k in range(stories)))
    latencies: dict[str, list[float]] = {"list": [], "story": []}
    errors = 0
    connections = Connections(port)

    async def one(kind: str, path: str) -> None:
        nonlocal errors
        start = time.perf_counter()
        try:
            ok = await asyncio.wait_for(connections.get(path), 30) == 200
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            ok = False
        if ok:
            latencies[kind].append((time.perf_counter() - start) * 1000)
        else:
            errors += 1

    tasks = []
    begin = time.perf_counter()
    total = int(rate * seconds)
    for n in range(total):
        delay = begin + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if n % 2:
            if readers:  # most readers look at the first page; a few page on, not far
                page = 1 if rng.random() < 0.8 else rng.randrange(2, min(pages, 10) + 1)
            else:
                page = rng.randrange(1, pages + 1)
            tasks.append(asyncio.create_task(one("list", f"/?page={page}")))
        else:
            if cumulative is not None:
                index = rng.choices(range(stories), cum_weights=cumulative)[0]
            else:
                index = rng.randrange(stories)
            tasks.append(asyncio.create_task(one("story", f"/stories/s{index:07d}")))
    sent = time.perf_counter() - begin
    await asyncio.gather(*tasks)
    for _, writer in connections.idle:
        writer.close()
    out: dict = {"errors": errors, "sent_rps": round(total / sent, 1)}
    for kind, values in latencies.items():
        values.sort()
        q = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
        out[kind] = {
            "n": len(values),
            "p50": round(q[49], 1),
            "p95": round(q[94], 1),
            "p99": round(q[98], 1),
            "max": round(values[-1], 1),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--templates", type=int, default=40)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--cold-rate", type=float, default=50.0, help="Rate of the cold run.")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--url", help="An existing database (default: a throwaway server).")
    parser.add_argument("--skip-build", action="store_true", help="The database is built.")
    args = parser.parse_args()
    if not DATA.is_file():
        print(f"skipped: {DATA} not found (the shared benchmark data)")
        return 0
    server = None
    if args.url is None:
        from tests.pgserver import PgServer, find_bindir

        bindir = find_bindir()
        if bindir is None:
            raise SystemExit("no PostgreSQL server binaries found")
        server = PgServer(bindir)
        server.start()
        url = server.create_database()
    else:
        url = args.url
    try:
        if not args.skip_build:
            started = time.monotonic()
            build(url, args.stories, max(1, args.reports // args.stories), args.templates)
            print(f"built in {time.monotonic() - started:.0f} s", file=sys.stderr)
        port = free_port()
        reader = serve(url, port)
        try:
            if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
                os.sched_setaffinity(0, {1})  # the generator away from the server's core
                os.sched_setaffinity(reader.pid, {0})
            asyncio.run(load(port, 20, 5, args.stories, False))  # warm-up, not reported
            rows = []
            for name, readers, rate in (
                ("readers", True, args.rate),
                ("cold", False, args.cold_rate),
            ):
                result = asyncio.run(load(port, rate, args.seconds, args.stories, readers))
                rows.append((f"{name} {rate:g}/s", result))
        finally:
            reader.terminate()
            reader.wait(timeout=30)
    finally:
        if server is not None:
            server.stop()
    print(
        f"reader on PostgreSQL: {args.reports:,} reports, {args.stories:,} stories, "
        f"{args.rate:g} requests/s for {args.seconds:g} s, half list pages, half story pages"
    )
    print("traffic          page   requests  p50 ms  p95 ms  p99 ms  max ms  errors  sent rps")
    for name, result in rows:
        for kind in ("list", "story"):
            r = result[kind]
            print(f"{name:<16} {kind:<6} {r['n']:>8} {r['p50']:>7} {r['p95']:>7} {r['p99']:>7}"
                  f" {r['max']:>7} {result['errors']:>7} {result['sent_rps']:>9}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
