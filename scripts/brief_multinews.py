"""Brief every cluster of the Multi-News dev sample and check the briefs' basic properties.

Each Multi-News cluster (2-9 real articles about one event) is turned into ``Report`` records
(outlet ``Article N``, title = the first words of the article's first line, no URL, no date)
and briefed with ``newsweave.pipeline.briefing.make_brief``: one embedder for the whole
run, settings
from the environment with a throw-away home directory, and no database. Every exception is
caught per cluster and counted as a failure.

Printed: clusters briefed, failures, sentence and citation checks, brief length, conflicts per
brief, and time per cluster. Markdown of two sample briefs goes to ``--samples``.

Usage (from the repository root)::

    PYTHONPATH=src .venv/bin/python scripts/brief_multinews.py [--data PATH] [--limit N]
        [--json PATH] [--samples PATH]

``--data`` defaults to ``../shared/data/multinews-dev/sample_validation.csv``; when it is
missing the script prints ``skipped: ...`` and exits 0. The data is read in place and never
copied. Exit status 1 if any cluster failed or any brief sentence lacked a citation, else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "multinews-dev" / "sample_validation.csv"
DEFAULT_SAMPLES = Path("/tmp/multinews_samples.md")
SAMPLE_INDICES = (0, 1)
SHOW_FAILURES = 5

if str(REPO_ROOT / "src") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "src"))

from newsweave.config import Settings, load_settings  # noqa: E402
from newsweave.pipeline.briefing import make_brief  # noqa: E402
from newsweave.records import Brief, BriefSentence  # noqa: E402
from newsweave.render import render  # noqa: E402
from newsweave.text.embed import Embedder, make_embedder  # noqa: E402
from newsweave.text.notation import CITATION_GROUP  # noqa: E402
from newsweave_bench.datasets import Cluster, cluster_reports, read_multinews  # noqa: E402


@dataclass
class ClusterResult:
    """What briefing one cluster gave; the counts are 0 when it failed."""

    index: int
    n_docs: int
    seconds: float
    n_sentences: int = 0
    words: int = 0
    n_conflicts: int = 0  # stated (conflict sentences in the body)
    n_soft: int = 0  # kept as data only
    error: str | None = None
    stated: list[dict[str, object]] = field(default_factory=list, repr=False)
    # Not written to JSON: used for the summary table only.
    uncited: int = field(default=0, repr=False)
    citations: int = field(default=0, repr=False)
    valid_citations: int = field(default=0, repr=False)
    traceback: str = field(default="", repr=False)

    def to_json(self) -> dict[str, object]:
        """The per-cluster fields written by ``--json``."""
        keep = (
            "index", "n_docs", "seconds", "n_sentences", "words", "n_conflicts", "n_soft", "error"
        )  # fmt: skip
        return {k: v for k, v in asdict(self).items() if k in keep}


def plain_text(sentence: BriefSentence) -> str:
    """A sentence's text without inline citation markers such as "[1, 2]"."""
    return " ".join(CITATION_GROUP.sub(" ", sentence.text).split())


def sentence_citations(sentence: BriefSentence) -> list[int]:
    """Every citation number of a sentence: its citation list and its inline markers."""
    numbers = list(sentence.citations)
    for match in CITATION_GROUP.finditer(sentence.text):
        numbers += [int(n) for n in match.group(1).split(", ")]
    return numbers


def measure(brief: Brief, result: ClusterResult) -> None:
    """Fill in a result's counts from a brief."""
    valid = {s.number for s in brief.sources}
    sentences = brief.sentences
    result.n_sentences = len(sentences)
    result.words = sum(len(plain_text(s).split()) for s in sentences)
    result.n_conflicts = sum(1 for s in brief.body if s.role == "conflict")
    result.n_soft = sum(1 for c in brief.conflicts if c.strength == "soft")
    result.stated = [
        {
            "cluster": result.index,
            "about": c.about,
            "running": c.running,
            "values": [
                {"value": v.value, "citations": list(v.citations), "evidence": list(v.evidence)}
                for v in c.values
            ],
        }
        for c in brief.conflicts
        if c.strength == "hard"
    ]
    result.uncited = sum(1 for s in sentences if not sentence_citations(s))
    numbers = [n for s in sentences for n in sentence_citations(s)]
    result.citations = len(numbers)
    result.valid_citations = sum(1 for n in numbers if n in valid)


def brief_cluster(
    cluster: Cluster, settings: Settings, embedder: Embedder
) -> tuple[ClusterResult, Brief | None]:
    """Brief one cluster, timing make_brief; any exception becomes a failed result."""
    result = ClusterResult(int(cluster.id), len(cluster.documents), 0.0)
    start = time.perf_counter()
    try:
        brief = make_brief(cluster_reports(cluster), settings, embedder=embedder)
    except Exception as exc:
        result.seconds = time.perf_counter() - start
        result.error = f"{type(exc).__name__}: {exc}"
        result.traceback = "".join(traceback.format_exception(exc, limit=-4))
        return result, None
    result.seconds = time.perf_counter() - start
    measure(brief, result)
    return result, brief


def share(part: int, whole: int) -> str:
    """A percentage with two decimals, or "n/a" for an empty whole."""
    return f"{100.0 * part / whole:.2f}% ({part}/{whole})" if whole else "n/a"


def summary_rows(
    results: Sequence[ClusterResult], embedder_name: str, wall: float
) -> list[tuple[str, str]]:
    """The rows of the printed table."""
    ok = [r for r in results if r.error is None]
    failed = len(results) - len(ok)
    n_sentences = sum(r.n_sentences for r in ok)
    uncited = sum(r.uncited for r in ok)
    citations = sum(r.citations for r in ok)
    valid = sum(r.valid_citations for r in ok)
    seconds = [r.seconds for r in results]

    def mean(values: Sequence[float]) -> str:
        return f"{statistics.fmean(values):.1f}" if values else "n/a"

    p95 = f"{float(np.percentile(seconds, 95)):.3f}" if seconds else "n/a"
    return [
        ("embedder", embedder_name),
        ("clusters briefed", f"{len(ok)} of {len(results)}"),
        ("failures", str(failed)),
        ("brief sentences total (lede+body+analysis)", str(n_sentences)),
        ("sentences with >= 1 citation", share(n_sentences - uncited, n_sentences)),
        ("citation numbers pointing to a source", share(valid, citations)),
        ("mean words per brief (*)", mean([r.words for r in ok])),
        ("mean sentences per brief (*)", mean([r.n_sentences for r in ok])),
        (
            "mean conflicts stated per brief",
            f"{statistics.fmean([r.n_conflicts for r in ok]):.2f}" if ok else "n/a",
        ),
        (
            "conflicts stated (briefs with one)",
            f"{sum(r.n_conflicts for r in ok)} ({sum(1 for r in ok if r.n_conflicts)})",
        ),
        (
            "soft conflicts kept as data",
            f"{sum(r.n_soft for r in ok)}",
        ),
        ("seconds per cluster, mean", f"{statistics.fmean(seconds):.3f}" if seconds else "n/a"),
        ("seconds per cluster, p95", p95),
        ("total wall time, s", f"{wall:.1f}"),
    ]


def print_table(rows: Sequence[tuple[str, str]]) -> None:
    """A two-column plain-text table."""
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(
        "(*) text of lede + body (including conflict sentences) + analysis (including the "
        "generated coverage sentence); no headline, no source list, inline [n] markers removed; "
        "words = whitespace-separated tokens"
    )
    print("citation numbers = each sentence's citation list plus every [n, ...] group in its text")
    print("time = make_brief per cluster (building Report records included), perf_counter")


def write_samples(path: Path, samples: Sequence[tuple[Cluster, Brief]]) -> None:
    """Markdown of the sample briefs, each followed by the cluster's reference summary."""
    parts = []
    for cluster, brief in samples:
        parts.append(f"<!-- Multi-News cluster {cluster.id}, {len(cluster.documents)} docs -->")
        parts.append(render(brief, "md"))
        parts.append(f"Reference (newser.com) summary:\n\n> {cluster.reference.strip()}\n\n---\n")
    path.write_text("\n".join(parts), encoding="utf-8")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Multi-News CSV")
    parser.add_argument("--limit", type=int, default=None, help="brief only the first N")
    parser.add_argument("--json", type=Path, default=None, help="write per-cluster results")
    parser.add_argument(
        "--samples", type=Path, default=DEFAULT_SAMPLES, help="Markdown of clusters 0 and 1"
    )
    parser.add_argument(
        "--conflicts", type=Path, default=None, help="write every stated conflict with evidence"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 1 if a cluster failed or a sentence lacked a citation."""
    args = parse_args(argv)
    data: Path = args.data
    if not data.is_file():
        print(f"skipped: {data} not found (the Multi-News dev set lives in ../shared/data)")
        return 0
    results: list[ClusterResult] = []
    samples: list[tuple[Cluster, Brief]] = []
    wall_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsweave-multinews-") as home:
        settings = load_settings(os.environ, home=Path(home))
        embedder = make_embedder(settings.embedder)
        for cluster in read_multinews(data):
            if args.limit is not None and int(cluster.id) >= args.limit:
                break
            result, brief = brief_cluster(cluster, settings, embedder)
            results.append(result)
            if brief is not None and int(cluster.id) in SAMPLE_INDICES:
                samples.append((cluster, brief))
    wall = time.perf_counter() - wall_start

    print(f"data: {data}")
    print_table(summary_rows(results, embedder.name, wall))
    failures = [r for r in results if r.error is not None]
    if failures:
        print(f"\nfirst {min(SHOW_FAILURES, len(failures))} of {len(failures)} failures:")
        for r in failures[:SHOW_FAILURES]:
            print(f"- cluster {r.index} ({r.n_docs} docs): {r.error}")
            print("  " + r.traceback.rstrip().replace("\n", "\n  "))
    if samples:
        write_samples(args.samples, samples)
        print(f"\nsample briefs (clusters {[c.id for c, _ in samples]}): {args.samples}")
    if args.json is not None:
        args.json.write_text(
            json.dumps([r.to_json() for r in results], indent=1) + "\n", encoding="utf-8"
        )
        print(f"per-cluster results: {args.json}")
    if args.conflicts is not None:
        stated = [c for r in results for c in r.stated]
        args.conflicts.write_text(json.dumps(stated, indent=1) + "\n", encoding="utf-8")
        print(f"stated conflicts with evidence: {args.conflicts}")
    uncited = sum(r.uncited for r in results)
    return 1 if failures or uncited else 0


if __name__ == "__main__":
    sys.exit(main())
