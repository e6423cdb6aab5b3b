"""ROUGE of newsweave and extractive peers on clusters that have a reference summary.

Every system gets the same word budget per cluster (the reference's length, or a fixed
number) and its text is cut to that budget, so no system gains recall by writing more.
The systems (newsweave and the extractive peers), the budget and what counts as a word are
in ``systems``. Scores are rouge-score 0.1.2 F1 x 100 (Porter stemmer) with 95% bootstrap
intervals over clusters. rouge-score and sumy come with the ``eval`` extra and are imported on
first use.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from newsweave.errors import ConfigError, InputError
from newsweave_bench.datasets import (
    Cluster,
    read_allsides,
    read_jsonl_clusters,
    read_multinews,
)
from newsweave_bench.systems import System, cut, require_extra, word_count

RESAMPLES = 1000
SEED = 20260601
CONFIDENCE = 0.95
SCHEMA = "newsweave.eval/1"


# Data sets


def dataset_clusters(
    *,
    multinews: Path | None = None,
    allsides: Path | None = None,
    split: str = "val",
    jsonl: Path | None = None,
) -> Iterator[Cluster]:
    """The clusters of exactly one data set; a missing file is an InputError naming it now."""
    given = [x for x in (multinews, allsides, jsonl) if x is not None]
    if len(given) != 1:
        raise ConfigError("give exactly one data set: multinews, allsides or jsonl")
    if allsides is not None:
        source, target = allsides / f"{split}.source", allsides / f"{split}.target"
        paths = [source, target]
    else:
        paths = given
    for path in paths:
        if not path.is_file():
            raise InputError(str(path), "data file not found")
    if multinews is not None:
        return read_multinews(multinews)
    if allsides is not None:
        return read_allsides(source, target)
    return read_jsonl_clusters(given[0])


# Scoring


@dataclass(frozen=True)
class Row:
    """One system's summary of one cluster, scored."""

    id: str
    system: str
    r1: float
    r2: float
    rl: float
    seconds: float
    words: int
    budget: int
    error: str | None = None


@dataclass(frozen=True)
class Interval:
    """A mean and its bootstrap confidence interval."""

    mean: float
    lo: float
    hi: float


@dataclass(frozen=True)
class SystemSummary:
    """One system over every cluster: mean scores with intervals, time, length and failures."""

    system: str
    clusters: int
    r1: Interval
    r2: Interval
    rl: Interval
    seconds: float  # mean per cluster
    words: float  # mean per cluster
    failures: int


@dataclass(frozen=True)
class EvalResult:
    """Every row and the per-system summary of one evaluation run."""

    rows: tuple[Row, ...]
    summary: tuple[SystemSummary, ...]
    clusters: int
    budget_words: int | None  # None: each cluster's reference length
    reference_words: float  # mean reference length in words
    skipped: tuple[str, ...] = ()  # ids of clusters without a reference
    resamples: int = RESAMPLES
    seed: int = SEED


@lru_cache(maxsize=1)
def _scorer() -> Any:
    """rouge-score's scorer for R-1, R-2 and R-L with the Porter stemmer."""
    import logging

    from rouge_score import rouge_scorer

    # rouge-score logs "Using default tokenizer." at INFO through absl on every construction.
    absl_logger = logging.getLogger("absl")
    level = absl_logger.level
    absl_logger.setLevel(logging.WARNING)
    try:
        return rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    finally:
        absl_logger.setLevel(level)


def rouge(reference: str, summary: str) -> tuple[float, float, float]:
    """ROUGE-1, -2 and -L F1 x 100 of a summary against a reference."""
    scores = _scorer().score(reference, summary)
    return tuple(100.0 * scores[k].fmeasure for k in ("rouge1", "rouge2", "rougeL"))  # type: ignore[return-value]


def bootstrap(values: Sequence[float], resamples: int = RESAMPLES, seed: int = SEED) -> Interval:
    """The mean and its 95% percentile bootstrap interval (clusters resampled with replacement).

    The same seed gives every system the same resamples, so intervals are comparable.
    """
    import numpy as np

    if not values:
        raise ValueError("no values to bootstrap")
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(resamples, len(data)))].mean(axis=1)
    tail = 100 * (1 - CONFIDENCE) / 2
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return Interval(float(data.mean()), float(lo), float(hi))


def run_system(system: System, cluster: Cluster, budget: int) -> tuple[str, float, str | None]:
    """The system's text cut to the budget, seconds taken, and the error if it failed."""
    start = time.perf_counter()
    try:
        text = system(cluster, budget)
        error = None
    except Exception as exc:  # one failing cluster must not end a long run; it scores 0
        text, error = "", f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    return cut(text, budget), seconds, error


def evaluate(
    clusters: Iterable[Cluster],
    systems: Mapping[str, System],
    budget_words: int | None = None,
    limit: int | None = None,
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    progress: Callable[[int], None] | None = None,
) -> EvalResult:
    """Run every system on every cluster (the first `limit`) under one budget, and score them.

    The budget is `budget_words`, or else each cluster's reference length. A cluster without
    a reference is skipped; a system that raises on a cluster scores 0 there (see Row.error).
    """
    if not systems:
        raise ConfigError("no systems to evaluate")
    if budget_words is not None and budget_words < 1:
        raise ConfigError("the word budget must be at least 1")
    require_extra(systems)
    rows: list[Row] = []
    skipped: list[str] = []
    reference_words: list[int] = []
    for cluster in itertools.islice(clusters, limit):
        n_reference = word_count(cluster.reference)
        if n_reference == 0:
            skipped.append(cluster.id)
            continue
        reference_words.append(n_reference)
        budget = budget_words or n_reference
        for name, system in systems.items():
            text, seconds, error = run_system(system, cluster, budget)
            r1, r2, rl = rouge(cluster.reference, text)
            rows.append(Row(cluster.id, name, r1, r2, rl, seconds, word_count(text), budget, error))
        if progress is not None:
            progress(len(reference_words))
    if not reference_words:
        raise InputError("clusters", "no cluster with a reference summary to evaluate")
    summary = tuple(_summarise(name, rows, resamples, seed) for name in systems)
    return EvalResult(
        rows=tuple(rows),
        summary=summary,
        clusters=len(reference_words),
        budget_words=budget_words,
        reference_words=statistics.fmean(reference_words),
        skipped=tuple(skipped),
        resamples=resamples,
        seed=seed,
    )


def _summarise(name: str, rows: Sequence[Row], resamples: int, seed: int) -> SystemSummary:
    """One system's summary from its rows (rows come in cluster order for every system)."""
    mine = [r for r in rows if r.system == name]
    return SystemSummary(
        system=name,
        clusters=len(mine),
        r1=bootstrap([r.r1 for r in mine], resamples, seed),
        r2=bootstrap([r.r2 for r in mine], resamples, seed),
        rl=bootstrap([r.rl for r in mine], resamples, seed),
        seconds=statistics.fmean(r.seconds for r in mine),
        words=statistics.fmean(r.words for r in mine),
        failures=sum(1 for r in mine if r.error is not None),
    )


# Output


def _cell(interval: Interval) -> str:
    return f"{interval.mean:.2f} [{interval.lo:.2f}, {interval.hi:.2f}]"


def format_table(result: EvalResult) -> str:
    """One plain-text table, a system per row: R-1, R-2, R-L as mean [lo, hi], s/cluster."""
    header = ("system", "R-1", "R-2", "R-L", "s/cluster")
    body = [
        (s.system, _cell(s.r1), _cell(s.r2), _cell(s.rl), f"{s.seconds:.3f}")
        for s in result.summary
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    budget = (
        f"{result.budget_words} words"
        if result.budget_words is not None
        else "each cluster's reference length"
    )
    notes = [
        f"{result.clusters} clusters; budget: {budget}; "
        f"mean reference length {result.reference_words:.1f} words",
        f"ROUGE F1 x100 (rouge-score, Porter stemmer), mean [95% bootstrap interval, "
        f"{result.resamples:,} resamples of clusters]",
        "s/cluster: mean wall time of one system call; newsweave's includes embedding "
        "(model loaded once before timing)",
    ]
    notes.append(
        "mean words per summary: " + ", ".join(f"{s.system} {s.words:.1f}" for s in result.summary)
    )
    failures = [f"{s.system} {s.failures}" for s in result.summary if s.failures]
    if failures:
        notes.append("failed clusters (scored 0): " + ", ".join(failures))
    if result.skipped:
        notes.append(f"skipped without a reference: {len(result.skipped)} clusters")
    table = [line(header), line(["-" * w for w in widths]), *(line(r) for r in body)]
    return "\n".join([*table, "", *notes])


def result_to_json(result: EvalResult) -> dict[str, object]:
    """The run as JSON-ready data: settings, per-system summary and per-cluster rows."""
    return {
        "schema": SCHEMA,
        "clusters": result.clusters,
        "budget_words": result.budget_words,
        "reference_words_mean": result.reference_words,
        "bootstrap": {"resamples": result.resamples, "seed": result.seed, "level": CONFIDENCE},
        "skipped": list(result.skipped),
        "summary": [asdict(s) for s in result.summary],
        "rows": [asdict(r) for r in result.rows],
    }


__all__ = [
    "EvalResult",
    "Interval",
    "Row",
    "SystemSummary",
    "bootstrap",
    "dataset_clusters",
    "evaluate",
    "format_table",
    "result_to_json",
    "rouge",
]
