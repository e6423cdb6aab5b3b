"""The store on SQLite and PostgreSQL, side by side, on Multi-News articles (docs/store.md).

Builds the same library on both backends through the Store API (reports, one story per
cluster, a brief version per story), times the writes and a reader's reads, then moves the
SQLite library to PostgreSQL with export and import and checks that exporting it back gives
the same bytes.

    .venv/bin/python scripts/bench_store.py [--copies 4] [--pg postgresql://...]

Without --pg a throwaway PostgreSQL server is started (tests/pgserver.py) and removed after.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "multinews-dev" / "sample_validation.csv"


@contextmanager
def postgres(url: str | None) -> Iterator[tuple[str, str]]:
    """Two empty PostgreSQL databases: given (url must be empty; a second is made next to it)
    or on a throwaway server."""
    import psycopg

    if url is not None:
        base, _, name = url.rpartition("/")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}_import" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}_import"')
        yield url, f"{base}/{name}_import"
        return
    sys.path.insert(0, str(ROOT))
    from tests.pgserver import PgServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        sys.exit("no PostgreSQL server binaries found; give --pg URL of an empty database")
    server = PgServer(bindir)
    try:
        server.start()
        yield server.create_database(), server.create_database()
    finally:
        server.stop()


@contextmanager
def timed(results: dict[str, float], key: str) -> Iterator[None]:
    """Add the block's seconds to results[key]."""
    start = time.perf_counter()
    yield
    results[key] = results.get(key, 0.0) + time.perf_counter() - start


def build(target: str, clusters: list[Any], copies: int) -> dict[str, float]:
    """Store every cluster `copies` times as stories with a brief each; time writes and reads."""
    from newsweave.records import Brief, BriefSentence, Source
    from newsweave.storage.store import Store
    from newsweave_bench.datasets import cluster_reports

    seconds: dict[str, float] = {}
    with Store.open(target) as store:
        for copy in range(copies):
            for cluster in clusters:
                reports = [
                    replace(r, id=f"{r.id}-{copy}", outlet=f"{r.outlet} {copy}")
                    for r in cluster_reports(cluster, "multinews")
                ]
                story = f"s-{cluster.id}-{copy}"
                sources = tuple(
                    Source(
                        number=n,
                        report_id=r.id,
                        outlet=r.outlet,
                        title=r.title,
                        url=r.url,
                        published=None,
                    )
                    for n, r in enumerate(reports[:1], start=1)
                )
                lede = BriefSentence(text=cluster.reference[:300], citations=(1,), role="lede")
                brief = Brief(
                    headline=reports[0].title,
                    lede=lede,
                    body=(),
                    conflicts=(),
                    analysis=(),
                    sources=sources,
                    created_at=datetime.now(UTC),
                )
                body = json.dumps({"lede": cluster.reference}, ensure_ascii=False)
                with timed(seconds, "write"):
                    # An article in two clusters is stored once, filed with the first.
                    added = set(store.add_reports(reports).added)
                    fresh = [r.id for r in reports if r.id in added]
                    if fresh:
                        store.assign([(i, story) for i in fresh])
                        store.save_story_brief(story, brief, body, {"reports": fresh})
        with timed(seconds, "read"):
            offset = listed = 0
            while page := store.stories(limit=50, offset=offset):
                for row in page:
                    store.story_briefs(row.id)
                    store.story_reports(row.id)
                    listed += 1
                offset += 50
        seconds["reports"] = store.count_reports()
        seconds["stories"] = listed
    return seconds


def main() -> None:
    """Run the comparison and print its figures."""
    from newsweave.storage.store import Store
    from newsweave.storage.transfer import export_library, import_library
    from newsweave_bench.datasets import read_multinews

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="times each cluster is stored")
    parser.add_argument("--pg", help="URL of an empty PostgreSQL database to use")
    args = parser.parse_args()
    clusters = list(read_multinews(DATA))
    with tempfile.TemporaryDirectory() as folder, postgres(args.pg) as (pg, pg_import):
        lite = str(Path(folder) / "newsweave.db")
        figures = {
            "sqlite": build(lite, clusters, args.copies),
            "postgresql": build(pg, clusters, args.copies),
        }
        for backend, f in figures.items():
            print(
                f"{backend:<10} {int(f['reports'])} reports, {int(f['stories'])} stories: "
                f"writes {f['write']:.1f} s ({f['reports'] / f['write']:.0f} reports/s), "
                f"reading every story's briefs and reports {f['read']:.2f} s"
            )
        with Store.open(lite) as store:
            out = io.StringIO()
            start = time.perf_counter()
            export_library(store, out)
            exported = time.perf_counter() - start
        text = out.getvalue()
        with Store.open(pg_import) as store:
            start = time.perf_counter()
            done = import_library(store, io.StringIO(text), "export")
            imported = time.perf_counter() - start
            again = io.StringIO()
            export_library(store, again)
        rows = sum(done.rows.values())
        print(
            f"export from SQLite {exported:.1f} s, {len(text.encode()) / 1e6:.1f} MB, {rows} rows; "
            f"import into PostgreSQL {imported:.1f} s; exported back identical: "
            f"{again.getvalue() == text}"
        )


if __name__ == "__main__":
    main()
