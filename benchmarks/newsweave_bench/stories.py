"""Story clustering quality and throughput: newsweave's StoryIndex against batch peers.

Data (read in place, never copied; docs/stories.md):

- **ECB+** (``ecbplus-dev/<topic>/<topic>_<n>ecb.xml|ecbplus.xml``): one report per file,
  text = the sentences' tokens joined (sentence 0 of ``ecbplus`` files is the URL and is
  dropped), no title, no date. Gold story = (topic, ``ecb`` or ``ecbplus``).
- **AllSides NeuS** (``train.source`` + ``val.source``): the three articles of a line are one
  gold story; title and lead as the set gives them; no dates.

Reports are shuffled with a fixed seed and fed to every system in the same order.

Systems (same input, one process):

- ``newsweave``: ``StoryIndex`` over WordLlama vectors of each report's lead (online, one
  pass, in the shuffled order).
- ``tfidf-single``: TF-IDF (fitted on the whole evaluated set) cosine, single link: two
  reports whose cosine reaches the threshold are in one story (connected components).
- ``agglomerative``: sklearn ``AgglomerativeClustering`` (average linkage, cosine distance,
  distance threshold) on the same WordLlama lead vectors newsweave uses.

Each system's one threshold is tuned per dataset on its dev part only (ECB+ topics 1-17; the
first ``TUNE_STORIES`` AllSides train lines), by best B-cubed F1 over a fixed grid, and
reported on all items and on the test part (everything else). newsweave's other weights
were chosen by hand on the same dev parts (docs/stories.md).

Metrics: B-cubed precision/recall/F1 (per item, averaged over items), pairwise
precision/recall/F1 (over pairs of items), adjusted Rand index.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from newsweave.records import Report
from newsweave.stories.clustering import StoryIndex, StorySettings, lead_text
from newsweave.text.embed import Embedder, WordLlamaEmbedder
from newsweave_bench.datasets import detokenise, parse_allsides_source

SEED = 20260601
TUNE_STORIES = 600  # AllSides train stories used for tuning
ECB_DEV_TOPICS = range(1, 18)  # topics 1-17 (15 and 17 are absent)
SYSTEMS = ("newsweave", "tfidf-single", "agglomerative")


@dataclass(frozen=True)
class Item:
    """One report of a benchmark and its gold story."""

    report: Report
    gold: str
    part: str  # "dev" (may be tuned on) or "test"


# Loading


def _ecb_report(path: Path, topic: int) -> Report:
    story = "ecbplus" if path.stem.endswith("ecbplus") else "ecb"
    sentences: dict[int, list[str]] = defaultdict(list)
    for token in ET.parse(path).getroot().iter("token"):
        sentences[int(token.get("sentence", "0"))].append(token.text or "")
    texts = [
        detokenise(words)
        for number, words in sorted(sentences.items())
        if not (story == "ecbplus" and number == 0)
    ]
    return Report(
        id=f"ecb-{path.stem}", outlet="ECB+", title="", text="\n".join(texts), origin=str(path)
    )


def load_ecbplus(folder: Path, seed: int = SEED) -> list[Item]:
    """Every ECB+ article as a report with gold story (topic, ecb|ecbplus), shuffled."""
    items = []
    for topic_dir in sorted(p for p in folder.iterdir() if p.is_dir() and p.name.isdigit()):
        topic = int(topic_dir.name)
        part = "dev" if topic in ECB_DEV_TOPICS else "test"
        for path in sorted(topic_dir.glob("*.xml")):
            story = "ecbplus" if path.stem.endswith("ecbplus") else "ecb"
            items.append(Item(_ecb_report(path, topic), f"{topic}-{story}", part))
    random.Random(seed).shuffle(items)
    return items


def load_allsides(
    folder: Path, splits: Sequence[str] = ("train", "val"), seed: int = SEED
) -> list[Item]:
    """AllSides NeuS articles as undated reports; a line's articles are one gold story.

    The first TUNE_STORIES train lines are the dev part; everything else is test.
    """
    items = []
    for split in splits:
        path = folder / f"{split}.source"
        with path.open(encoding="utf-8", newline="\n") as handle:
            for lineno, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                titles, texts = parse_allsides_source(line.rstrip("\r\n"), f"{path}:{lineno}")
                part = "dev" if split == "train" and lineno <= TUNE_STORIES else "test"
                for n, (title, text) in enumerate(zip(titles, texts, strict=True), start=1):
                    report = Report(
                        id=f"as-{split}-{lineno}-{n}",
                        outlet=f"Article {n}",
                        title=title,
                        text=text,
                        origin=f"{path}:{lineno}",
                    )
                    items.append(Item(report, f"{split}-{lineno}", part))
    random.Random(seed).shuffle(items)
    return items


# Metrics


@dataclass(frozen=True)
class Scores:
    """Clustering agreement with the gold stories."""

    bcubed_p: float
    bcubed_r: float
    bcubed_f1: float
    pair_p: float
    pair_r: float
    pair_f1: float
    ari: float
    clusters: int


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score_clustering(gold: Sequence[str], predicted: Sequence[str]) -> Scores:
    """B-cubed and pairwise precision/recall/F1 and ARI of predicted labels against gold."""
    from sklearn.metrics import adjusted_rand_score

    n = len(gold)
    joint = Counter(zip(gold, predicted, strict=True))
    gold_size = Counter(gold)
    pred_size = Counter(predicted)
    # B-cubed: an item's precision is the share of its predicted cluster with its gold label.
    bp = sum(c * c / pred_size[p] for (_, p), c in joint.items()) / n
    br = sum(c * c / gold_size[g] for (g, _), c in joint.items()) / n

    def pairs(counts: Counter) -> int:
        return sum(c * (c - 1) // 2 for c in counts.values())

    together = pairs(joint)
    pp = together / pairs(pred_size) if pairs(pred_size) else 1.0
    pr = together / pairs(gold_size) if pairs(gold_size) else 1.0
    return Scores(
        bp, br, _f1(bp, br), pp, pr, _f1(pp, pr),
        float(adjusted_rand_score(gold, predicted)), len(pred_size),
    )  # fmt: skip


# Systems: each takes the items (in order) and a threshold and returns one label per item.


class Vectors:
    """WordLlama lead vectors and TF-IDF rows of a list of items, computed once."""

    def __init__(self, items: Sequence[Item], embedder: Embedder) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        leads = [lead_text(item.report) for item in items]
        self.dense = embedder.encode(leads)
        self.tfidf = TfidfVectorizer(
            sublinear_tf=True, stop_words="english", ngram_range=(1, 2), min_df=1
        ).fit_transform(leads)


class _Precomputed:
    """An embedder that returns vectors already computed for these texts (same order)."""

    name = "precomputed"

    def __init__(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self._rows = {t: i for i, t in enumerate(texts)}
        self._vectors = vectors
        self.thresholds = WordLlamaEmbedder.thresholds

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors[[self._rows[t] for t in texts]]


def run_newsweave(items: Sequence[Item], vectors: Vectors, settings: StorySettings) -> list[str]:
    """Story ids from one online pass of StoryIndex in item order."""
    reports = [item.report for item in items]
    embedder = _Precomputed([lead_text(r) for r in reports], vectors.dense)
    return StoryIndex(settings, embedder).add_many(reports)


def _components(n: int, edges: np.ndarray) -> list[str]:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return [str(label) for label in labels]


def run_tfidf_single(items: Sequence[Item], vectors: Vectors, threshold: float) -> list[str]:
    """Connected components of the graph of TF-IDF cosines >= threshold."""
    sims = (vectors.tfidf @ vectors.tfidf.T).tocoo()
    keep = (sims.data >= threshold) & (sims.row < sims.col)
    edges = np.stack([sims.row[keep], sims.col[keep]], axis=1)
    return _components(len(items), edges)


def run_agglomerative(items: Sequence[Item], vectors: Vectors, threshold: float) -> list[str]:
    """Average-linkage clusters of the lead vectors, cut at cosine distance 1 - threshold."""
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1 - threshold
    )
    return [str(label) for label in model.fit_predict(vectors.dense)]


# Tuning


NEWSWEAVE_GRID = [round(t, 2) for t in np.arange(0.20, 0.91, 0.02)]
PEER_GRIDS = {
    "tfidf-single": [round(t, 2) for t in np.arange(0.10, 0.81, 0.02)],
    "agglomerative": [round(t, 2) for t in np.arange(0.40, 0.96, 0.01)],
}


def _subset(items: Sequence[Item], vectors: Vectors, keep: Sequence[int]) -> tuple:
    sub = Vectors.__new__(Vectors)
    sub.dense = vectors.dense[keep]
    sub.tfidf = vectors.tfidf[keep]
    return [items[i] for i in keep], sub


def tune(
    items: Sequence[Item],
    vectors: Vectors,
    system: str,
    settings: StorySettings,
) -> float:
    """The threshold with the best mean B-cubed F1 on the dev part of items."""
    dev = [i for i, item in enumerate(items) if item.part == "dev"]
    dev_items, dev_vectors = _subset(items, vectors, dev)
    gold = [item.gold for item in dev_items]
    grid = NEWSWEAVE_GRID if system == "newsweave" else PEER_GRIDS[system]
    best, best_f1 = grid[0], -1.0
    for threshold in grid:
        labels = _run(system, dev_items, dev_vectors, threshold, settings)
        f1 = score_clustering(gold, labels).bcubed_f1
        if f1 > best_f1:
            best, best_f1 = threshold, f1
    return best


def _run(
    system: str,
    items: Sequence[Item],
    vectors: Vectors,
    threshold: float,
    settings: StorySettings,
) -> list[str]:
    if system == "newsweave":
        return run_newsweave(items, vectors, replace(settings, threshold=threshold))
    if system == "tfidf-single":
        return run_tfidf_single(items, vectors, threshold)
    return run_agglomerative(items, vectors, threshold)


# Runs


@dataclass(frozen=True)
class Row:
    """One system on one dataset part."""

    dataset: str
    part: str
    system: str
    threshold: float
    tuned_on: str
    items: int
    gold_stories: int
    scores: Scores
    seconds: float


def evaluate(
    name: str,
    items: Sequence[Item],
    embedder: Embedder,
    settings: StorySettings,
    systems: Sequence[str] = SYSTEMS,
    tune_peers: bool = True,
    tune_newsweave: bool = True,
) -> list[Row]:
    """Every system on all items and on the test part, with its threshold and where it came from.

    Every system's threshold is tuned on this dataset's dev part (best B-cubed F1), unless
    tune_newsweave / tune_peers is off: then the thresholds stored in TUNED for this dataset
    are used (newsweave falls back to ``settings.threshold`` for other datasets).
    """
    vectors = Vectors(items, embedder)
    test = [i for i, item in enumerate(items) if item.part == "test"]
    rows = []
    for system in systems:
        if system == "newsweave" and not tune_newsweave and name not in TUNED:
            threshold, tuned_on = settings.threshold, "settings"
        elif (system == "newsweave" and not tune_newsweave) or (
            system != "newsweave" and not tune_peers
        ):
            threshold, tuned_on = TUNED[name][system], f"{name} dev (stored)"
        else:
            threshold, tuned_on = tune(items, vectors, system, settings), f"{name} dev"
        for part, keep in (("all", list(range(len(items)))), ("test", test)):
            sub_items, sub_vectors = _subset(items, vectors, keep)
            started = time.perf_counter()
            labels = _run(system, sub_items, sub_vectors, threshold, settings)
            seconds = time.perf_counter() - started
            gold = [item.gold for item in sub_items]
            rows.append(
                Row(name, part, system, threshold, tuned_on, len(sub_items), len(set(gold)),
                    score_clustering(gold, labels), seconds)
            )  # fmt: skip
    return rows


# Thresholds the tuning chose on each dev part (docs/stories.md); used with --no-tune.
TUNED = {
    "ecbplus": {"newsweave": 0.34, "tfidf-single": 0.16, "agglomerative": 0.43},
    "allsides": {"newsweave": 0.42, "tfidf-single": 0.14, "agglomerative": 0.61},
}


# Throughput


@dataclass(frozen=True)
class Throughput:
    """One replay of a stream of reports through StoryIndex.add_many."""

    reports: int
    batch: int
    seconds: float
    reports_per_second: float
    stories: int
    max_open: int
    final_open: int
    peak_rss_mb: float


def replay_stream(
    texts: Sequence[tuple[str, str]],
    total: int,
    per_day: int = 2000,
    seed: int = SEED,
) -> list[Report]:
    """``total`` reports cycled from (title, text) pairs: fresh ids, timestamps advancing.

    Each pass over the texts is shuffled and spread over ``len(texts) / per_day`` days; the
    next pass starts after a gap longer than any story stays open, so a text never meets its
    earlier copy and stories go dormant as the stream moves on.
    """
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    step = timedelta(days=1) / per_day
    pass_length = step * len(texts) + timedelta(days=8)
    reports: list[Report] = []
    order = list(range(len(texts)))
    cycle = 0
    while len(reports) < total:
        rng.shuffle(order)
        base = start + pass_length * cycle
        for k, index in enumerate(order):
            if len(reports) >= total:
                break
            title, text = texts[index]
            reports.append(
                Report(
                    id=f"r{len(reports):07d}",
                    outlet="replay",
                    title=title,
                    text=text,
                    published=base + step * k,
                )
            )
        cycle += 1
    return reports


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_throughput(
    reports: Sequence[Report],
    embedder: Embedder,
    settings: StorySettings,
    batch: int = 256,
) -> Throughput:
    """Reports per second of add_many in batches, open stories, and peak resident memory."""
    gc.collect()
    index = StoryIndex(settings, embedder)
    stories: set[str] = set()
    max_open = 0
    started = time.perf_counter()
    for at in range(0, len(reports), batch):
        stories.update(index.add_many(reports[at : at + batch]))
        max_open = max(max_open, len(index))
        index.pop_closed()
    seconds = time.perf_counter() - started
    return Throughput(
        len(reports), batch, seconds, len(reports) / seconds, len(stories), max_open,
        len(index), _rss_mb(),
    )  # fmt: skip


# Output


def _table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in body)])


def format_table(rows: Sequence[Row]) -> str:
    """Quality rows as a plain-text table (the numbers docs/stories.md shows)."""
    header = ("dataset", "part", "system", "thr", "tuned on", "items", "gold", "pred",
              "B3 P", "B3 R", "B3 F1", "pair P", "pair R", "pair F1", "ARI", "s")  # fmt: skip
    body = [
        (r.dataset, r.part, r.system, f"{r.threshold:.2f}", r.tuned_on, str(r.items),
         str(r.gold_stories), str(r.scores.clusters), f"{r.scores.bcubed_p:.3f}",
         f"{r.scores.bcubed_r:.3f}", f"{r.scores.bcubed_f1:.3f}", f"{r.scores.pair_p:.3f}",
         f"{r.scores.pair_r:.3f}", f"{r.scores.pair_f1:.3f}", f"{r.scores.ari:.3f}",
         f"{r.seconds:.2f}")
        for r in rows
    ]  # fmt: skip
    return _table(header, body)


def format_throughput(results: Sequence[Throughput]) -> str:
    """Throughput rows as a plain-text table."""
    header = ("reports", "batch", "seconds", "reports/s", "stories", "max open", "open at end",
              "peak RSS MB")  # fmt: skip
    body = [
        (f"{t.reports:,}", str(t.batch), f"{t.seconds:.1f}", f"{t.reports_per_second:,.0f}",
         f"{t.stories:,}", f"{t.max_open:,}", f"{t.final_open:,}", f"{t.peak_rss_mb:.0f}")
        for t in results
    ]  # fmt: skip
    return _table(header, body)


# Entry points


def run(
    ecbplus: Path | None = None,
    allsides: Path | None = None,
    throughput: Sequence[int] = (),
    settings: StorySettings | None = None,
    embedder: Embedder | None = None,
    systems: Sequence[str] = SYSTEMS,
    tune_peers: bool = True,
    out: Callable[[str], None] = print,
) -> tuple[list[Row], list[Throughput]]:
    """Evaluate on the folders given and replay streams of the sizes given; print tables."""
    settings = settings or StorySettings()
    embedder = embedder or WordLlamaEmbedder()
    rows: list[Row] = []
    texts: list[tuple[str, str]] = []
    for name, folder, loader in (
        ("ecbplus", ecbplus, load_ecbplus),
        ("allsides", allsides, load_allsides),
    ):
        if folder is None:
            continue
        if not folder.is_dir():
            out(f"skipped {name}: {folder} not found")
            continue
        items = loader(folder)
        texts.extend((i.report.title, i.report.text) for i in items)
        if systems:
            rows.extend(evaluate(name, items, embedder, settings, systems, tune_peers, tune_peers))
    if rows:
        out(format_table(rows))
    results = []
    if throughput and not texts:
        out("skipped throughput: no texts loaded (give --ecbplus and/or --allsides)")
    elif throughput:
        for total in throughput:
            stream = replay_stream(texts, total)
            results.append(measure_throughput(stream, embedder, settings))
            del stream
        out("")
        out(format_throughput(results))
    return rows, results


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m newsweave_bench.stories --ecbplus DIR --allsides DIR``."""
    parser = argparse.ArgumentParser(prog="newsweave_bench.stories", description=__doc__)
    parser.add_argument("--ecbplus", type=Path, help="ecbplus-dev folder")
    parser.add_argument("--allsides", type=Path, help="allsides-neus-dev folder")
    parser.add_argument(
        "--throughput", default="", help="comma-separated stream sizes, e.g. 1000,10000,100000"
    )
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument(
        "--no-tune", action="store_true", help="use the stored dev-tuned thresholds"
    )
    args = parser.parse_args(argv)
    if args.ecbplus is None and args.allsides is None:
        parser.error("give --ecbplus and/or --allsides")
    settings = StorySettings()
    systems = [s for s in args.systems.split(",") if s]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    sizes = [int(s.replace("_", "")) for s in args.throughput.split(",") if s.strip()]
    run(args.ecbplus, args.allsides, sizes, settings, systems=systems,
        tune_peers=not args.no_tune)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
