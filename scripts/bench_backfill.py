"""Benchmark (b): the Dask backfill of a replayed archive against the single-process ingest.

Builds N replayed real articles (ECB+, AllSides NeuS and Multi-News texts from the shared data
folder, with synthetic publication times spread over weeks and outlets taken from ECB+'s
source URLs), writes them as JSONL files, then runs, each in its own process so their peak
memory is their own, `library.ingest` (the single-process path of `newsweave ingest`) and
`backfill` on a local Dask cluster. Prints one table: wall time, reports/s, peak RSS of the
driver and of each worker, and the agreement of the two clusterings (B-cubed F1 of the
backfill's stories against the ingest's, and the share of stories with identical briefs).

    .venv/bin/python scripts/bench_backfill.py --n 2000
    .venv/bin/python scripts/bench_backfill.py --n 100000 --workdir /tmp/bench-backfill

Skips with a message when the data folder is absent.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SEED = 20261130
START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
# Both runs brief as of this moment, so their briefs can be compared byte for byte.
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
PER_FILE = 1_000  # reports per JSONL file
_DOMAIN = re.compile(r"https?://(?:www\.)?([^/\s]+)")


def _peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# The replayed archive


def _outlets(data: Path) -> list[str]:
    """The news sites of ECB+'s source URLs (sentence 0 of its ecbplus files)."""
    found: set[str] = set()
    for path in sorted((data / "ecbplus-dev").glob("*/*ecbplus.xml")):
        tokens = ET.parse(path).getroot().iter("token")
        first = "".join(t.text or "" for t in tokens if t.get("sentence") == "0")
        match = _DOMAIN.search(first)
        if match:
            found.add(match.group(1).lower())
    return sorted(found) or [f"outlet-{k:02d}.example" for k in range(40)]


def _stories(data: Path) -> list[list[tuple[str, str]]]:
    """Real stories, each a list of (title, text) articles about one event."""
    from newsweave_bench.datasets import cluster_reports, read_multinews
    from newsweave_bench.stories import load_allsides, load_ecbplus

    grouped: dict[str, list[tuple[str, str]]] = {}
    for item in [*load_ecbplus(data / "ecbplus-dev"), *load_allsides(data / "allsides-neus-dev")]:
        grouped.setdefault(item.gold, []).append((item.report.title, item.report.text))
    for cluster in read_multinews(data / "multinews-dev" / "sample_validation.csv"):
        for report in cluster_reports(cluster):
            grouped.setdefault(f"mn-{cluster.id}", []).append((report.title, report.text))
    return [grouped[key] for key in sorted(grouped)]


def build_archive(data: Path, n: int, folder: Path, per_day: int) -> int:
    """Write n replayed articles as JSONL files; the distinct texts it cycles through.

    Stories are replayed one after another at per_day articles a day, each story's articles
    within 36 hours of its start; once every story has been used, the next round replays them
    in a new order under other outlets (so outlet and text never repeat together).
    """
    rng = random.Random(SEED)
    stories = _stories(data)
    outlets = _outlets(data)
    texts = sum(len(s) for s in stories)
    folder.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    written = 0
    step = timedelta(days=1) / per_day
    count = 0
    round_ = 0
    while count < n:
        order = list(range(len(stories)))
        rng.shuffle(order)
        for index in order:
            if count >= n:
                break
            start = START + step * count
            for k, (title, text) in enumerate(stories[index]):
                if count >= n:
                    break
                outlet = outlets[(index * 7 + k + round_) % len(outlets)]
                published = start + timedelta(hours=rng.uniform(0, 36))
                lines.append(
                    json.dumps(
                        {
                            "outlet": outlet,
                            "url": f"https://{outlet}/replay/{round_}/{index}-{k}",
                            "title": title,
                            "text": text,
                            "published": published.isoformat(),
                        }
                    )
                )
                count += 1
                if len(lines) == PER_FILE:
                    (folder / f"part-{written:04d}.jsonl").write_text("\n".join(lines) + "\n")
                    written += 1
                    lines = []
        round_ += 1
    if lines:
        (folder / f"part-{written:04d}.jsonl").write_text("\n".join(lines) + "\n")
    return texts


# The two runs, each in a child process


def run_single(archive: Path, home: Path) -> dict[str, object]:
    """`newsweave ingest` as a user gets it: library.ingest in this process."""
    from newsweave.config import load_settings
    from newsweave.pipeline.library import ingest

    settings = load_settings({"NEWSWEAVE_HOME": str(home)})
    started = time.perf_counter()
    run = ingest([archive], settings, now=NOW)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "driver_mb": _peak_rss_mb(),
        "workers_mb": [],
        "reports": len(run.reports_new),
        "stories": len(run.stories_new),
        "briefs": len(run.briefs),
    }


def run_backfill(archive: Path, home: Path, workers: int) -> dict[str, object]:
    """backfill on a local cluster of `workers` processes (the cluster's start included)."""
    from newsweave.config import load_settings
    from newsweave.pipeline.backfill import backfill, cluster_client

    settings = load_settings({"NEWSWEAVE_HOME": str(home)})
    started = time.perf_counter()
    with cluster_client(None, workers) as client:
        done = backfill([archive], settings, client=client, now=NOW)
        peaks = client.run(_peak_rss_mb)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "driver_mb": _peak_rss_mb(),
        "workers_mb": sorted(peaks.values()),
        "reports": len(done.run.reports_new),
        "stories": len(done.run.stories_new),
        "briefs": len(done.run.briefs),
        "segments": done.segments,
        "copies": len(done.copies),
        "stages": done.seconds,
    }


def _child(kind: str, archive: Path, home: Path, workers: int) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", kind, "--archive", str(archive)]
    command += ["--home", str(home), "--workers", str(workers)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"the {kind} run failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# Agreement


def _assignments(home: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Report id -> story id, and story id -> its latest brief's JSON."""
    from newsweave.storage.store import Store

    story_of: dict[str, str] = {}
    briefs: dict[str, str] = {}
    with Store.open(home / "newsweave.db") as db:
        for row in db.stories(limit=10_000_000):
            for report_id in db.story_report_ids(row.id):
                story_of[report_id] = row.id
            versions = db.story_briefs(row.id)
            briefs[row.id] = versions[-1].body_json if versions else ""
    return story_of, briefs


def agreement(single: Path, cluster: Path) -> dict[str, float]:
    """B-cubed of the backfill's stories against the ingest's; share of identical briefs."""
    from newsweave_bench.stories import score_clustering

    one, one_briefs = _assignments(single)
    two, two_briefs = _assignments(cluster)
    ids = sorted(one)
    scores = score_clustering([one[i] for i in ids], [two.get(i, "-") for i in ids])
    same = sum(1 for s, body in one_briefs.items() if two_briefs.get(s) == body)
    return {
        "bcubed_p": scores.bcubed_p,
        "bcubed_r": scores.bcubed_r,
        "bcubed_f1": scores.bcubed_f1,
        "briefs_same": same / max(1, len(one_briefs)),
        "reports_compared": len(ids),
    }


def table(n: int, single: dict, cluster: dict, agree: dict, workers: int) -> str:
    """The side-by-side table."""
    rows = [("", "ingest (1 process)", f"backfill ({workers} workers)")]

    def mb(values: object) -> str:
        return " / ".join(f"{v:,.0f}" for v in values) if values else "-"  # type: ignore[attr-defined]

    for label, key, fmt in (
        ("wall time (s)", "seconds", "{:,.1f}"),
        ("reports stored", "reports", "{:,}"),
        ("stories", "stories", "{:,}"),
        ("briefs made", "briefs", "{:,}"),
        ("peak RSS driver (MB)", "driver_mb", "{:,.0f}"),
    ):
        rows.append((label, fmt.format(single[key]), fmt.format(cluster[key])))
    rows.append(("peak RSS per worker (MB)", "-", mb(cluster["workers_mb"])))
    rows.append(
        (
            "reports/s",
            f"{n / single['seconds']:,.1f}",
            f"{n / cluster['seconds']:,.1f}",
        )
    )
    rows.append(("segments (clustered apart)", "1", f"{cluster['segments']:,}"))
    rows.append(("near-duplicate groups", "-", f"{cluster['copies']:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    stages = ", ".join(f"{k} {v:,.1f}" for k, v in cluster["stages"].items())
    lines.append("")
    lines.append(f"backfill stages (s): {stages}")
    lines.append(
        f"agreement over {agree['reports_compared']:,} reports: B-cubed P {agree['bcubed_p']:.4f}"
        f" R {agree['bcubed_r']:.4f} F1 {agree['bcubed_f1']:.4f};"
        f" identical latest briefs {agree['briefs_same']:.1%}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build the archive, run both paths, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="replayed articles")
    parser.add_argument("--workers", type=int, default=2, help="local cluster worker processes")
    parser.add_argument("--per-day", type=int, default=700, help="articles a day in the replay")
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    parser.add_argument("--workdir", type=Path, help="keep the archive and databases here")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", choices=("single", "backfill"), help=argparse.SUPPRESS)
    parser.add_argument("--archive", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if args.child == "single":
            result = run_single(args.archive, args.home)
        else:
            result = run_backfill(args.archive, args.home, args.workers)
        print(json.dumps(result))
        return 0
    needed = ("ecbplus-dev", "allsides-neus-dev", "multinews-dev")
    if not all((args.data / name).is_dir() for name in needed):
        print(f"skipped: the shared data folder {args.data} (with {', '.join(needed)}) is absent")
        return 0
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-backfill-"))
    archive = work / "archive"
    started = time.perf_counter()
    texts = build_archive(args.data, args.n, archive, args.per_day)
    print(
        f"archive: {args.n:,} replayed articles ({texts:,} distinct real texts) in {archive},"
        f" built in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    single = _child("single", archive, work / "single", args.workers)
    print(f"ingest done in {single['seconds']:,.1f} s", flush=True)
    cluster = _child("backfill", archive, work / "cluster", args.workers)
    print(f"backfill done in {cluster['seconds']:,.1f} s", flush=True)
    agree = agreement(work / "single", work / "cluster")
    print()
    print(table(args.n, single, cluster, agree, args.workers))
    if args.json:
        args.json.write_text(
            json.dumps({"n": args.n, "single": single, "backfill": cluster, "agreement": agree})
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
