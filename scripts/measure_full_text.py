"""Where a feed item's text stops being a summary and is the article: word counts measured.

Real article texts (Multi-News articles, FNC-1 bodies) are compared with what RSS feeds put in
`<description>`: one to three sentences, measured here as the first one, two and three
sentences of those same real articles, and the one-sentence SummEdits summaries. Prints
percentiles of the word counts; docs/fetch.md gives the figures and the threshold chosen
(FetchSettings.full_text_words).

    .venv/bin/python scripts/measure_full_text.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

from newsweave.ingest.http import FetchSettings
from newsweave.text.sentences import split_sentences
from newsweave_bench.datasets import read_multinews


def _words(text: str) -> int:
    return len(text.split())


def _articles(data: Path) -> dict[str, list[str]]:
    """Real article texts by corpus."""
    found: dict[str, list[str]] = {}
    multinews = data / "multinews-dev" / "sample_validation.csv"
    if multinews.is_file():
        found["Multi-News articles"] = [
            doc for cluster in read_multinews(multinews) for doc in cluster.documents if doc.strip()
        ]
    bodies = data / "fnc1-dev" / "bodies.csv"
    if bodies.is_file():
        csv.field_size_limit(sys.maxsize)
        with bodies.open(encoding="utf-8", newline="") as handle:
            found["FNC-1 bodies"] = [row["articleBody"] for row in csv.DictReader(handle)]
    return found


def _row(name: str, counts: list[int]) -> str:
    p = np.percentile(counts, [1, 5, 10, 50, 90, 95, 99])
    shown = " ".join(f"{v:6.0f}" for v in p)
    over = np.mean(np.asarray(counts) >= FetchSettings().full_text_words)
    return f"{name:<42} {len(counts):>6} {shown} {over:8.1%}"


def main() -> None:
    """Print the word-count percentiles of articles and of summary-sized leads."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    corpora = _articles(args.data)
    if not corpora:
        print(f"skipped: no Multi-News or FNC-1 data under {args.data}")
        return
    print(
        f"{'words':<42} {'n':>6} {'p1':>6} {'p5':>6} {'p10':>6} {'p50':>6} "
        f"{'p90':>6} {'p95':>6} {'p99':>6}"
    )
    for name, texts in corpora.items():
        print(_row(name, [_words(t) for t in texts]))
        sentences = [split_sentences(t) for t in texts]
        for n in (1, 2, 3):
            leads = [_words(" ".join(s[:n])) for s in sentences if len(s) > n]
            print(_row(f"  first {n} sentence(s) of those", leads))
    summedits = args.data / "summedits-dev" / "summedits_news_evaluation.json"
    if summedits.is_file():
        items = json.loads(summedits.read_text(encoding="utf-8"))
        print(_row("SummEdits summaries", [_words(i["summary"]) for i in items]))


if __name__ == "__main__":
    main()
