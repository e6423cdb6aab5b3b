"""Time to brief a story with and without citation verification, on the same reports.

Stories: the bundled demo (5 reports) and the first ECB+ story with at least 10 articles
(10 of them, each given its own outlet name so that they count as independent sources).
Each brief is made REPEATS times with verification off and on, interleaved, after one
warm-up of each; the medians are printed. Models are loaded once before timing, as in a
long-running reader; the first verified brief of a process also loads the country gazetteer.

    PYTHONPATH=src .venv/bin/python scripts/time_verify.py [--repeats N] [--ecbplus DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from newsweave.config import load_settings
from newsweave.ingest.files import load_paths
from newsweave.pipeline.briefing import make_brief
from newsweave.records import Report
from newsweave.text.embed import make_embedder
from newsweave.text.sentences import split_sentences
from newsweave_bench.stories import load_ecbplus

ROOT = Path(__file__).resolve().parents[1]
ECBPLUS = ROOT.parent / "shared" / "data" / "ecbplus-dev"


def ecb_story(folder: Path, size: int = 10) -> list[Report]:
    """The first ECB+ story (by topic) with at least `size` articles: `size` of them."""
    stories: dict[str, list[Report]] = defaultdict(list)
    for item in load_ecbplus(folder):
        stories[item.gold].append(item.report)
    for gold in sorted(stories, key=lambda g: (int(g.split("-")[0]), g)):
        reports = sorted(stories[gold], key=lambda r: r.id)
        if len(reports) >= size:
            return [replace(r, outlet=f"Outlet {k + 1}") for k, r in enumerate(reports[:size])]
    raise SystemExit(f"no ECB+ story with {size} articles in {folder}")


def main() -> None:
    """Print the median time to brief each story with and without verification."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--ecbplus", type=Path, default=ECBPLUS)
    args = parser.parse_args()
    settings = load_settings({"NEWSWEAVE_HOME": tempfile.mkdtemp()})
    embedder = make_embedder(settings.embedder)
    stories = {"demo (5 reports)": list(load_paths([ROOT / "src/newsweave/demo"]).reports)}
    if args.ecbplus.is_dir():
        stories["ECB+ story (10 reports)"] = ecb_story(args.ecbplus)
    else:
        print(f"skipped ECB+: {args.ecbplus} not found", file=sys.stderr)
    off, on = settings.with_(verify=False), settings.with_(verify=True)
    start = time.perf_counter()
    make_brief(stories["demo (5 reports)"], on, embedder)
    print(f"first verified brief of the process (loads the gazetteer): "
          f"{time.perf_counter() - start:.2f} s")  # fmt: skip
    print(f"{'story':26} {'sentences':>9} {'off (ms)':>9} {'on (ms)':>8} {'added':>7}")
    for name, reports in stories.items():
        times: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.repeats + 1):
            for verify, s in ((False, off), (True, on)):
                start = time.perf_counter()
                brief = make_brief(reports, s, embedder)
                times[verify].append(time.perf_counter() - start)
        base = statistics.median(times[False][1:]) * 1000
        checked = statistics.median(times[True][1:]) * 1000
        sentences = sum(len(split_sentences(r.text)) for r in reports)
        print(
            f"{name:26} {sentences:>9} {base:>9.1f} {checked:>8.1f} "
            f"{100 * (checked - base) / base:>6.0f}%"
        )
        print(f"{'':26} verified brief: {len(brief.sentences)} sentences; {brief.notes or ''}")


if __name__ == "__main__":
    main()
