"""Measure sentence alignment (claim grouping) on ECB+ cross-document event coreference.

Pairs of sentences from different articles of one ECB+ topic are labelled from the gold
annotation:

* positive: both sentences contain an event mention (``ACTION_*`` markable) of the same
  cross-document event instance (the ``note`` of a ``CROSS_DOC_COREF`` relation);
* negative: both sentences contain at least one such linked event mention, but they share no
  instance. Negatives are split into ``same story`` (both files ``ecb`` or both ``ecbplus``)
  and ``other event`` (one of each: the topic's other, similar real-world event).

Every system scores a pair by the cosine of its two sentence vectors. The threshold is chosen
on topics 1-17 only and then applied to topics 18-35.

Usage (from the repository root)::

    .venv/bin/python scripts/measure_alignment.py [DATA_DIR]

DATA_DIR defaults to ``../shared/data/ecbplus-dev``; when it is missing the script prints
``skipped: ...`` and exits 0. The data is read in place and never copied.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_auc_score

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "ecbplus-dev"
DEV_LAST_TOPIC = 17  # topics 1-17 choose thresholds; 18-35 are held out
DEFAULT_SEED = 13
DEFAULT_MAX_NEG_PER_TOPIC = 3000
TIMING_REPEATS = 3
TARGET_PRECISION = 0.90
BOOTSTRAP_ROUNDS = 200

if str(REPO_ROOT / "src") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "src"))

from newsweave.text.embed import LexicalEmbedder, WordLlamaEmbedder  # noqa: E402
from newsweave_bench.datasets import detokenise  # noqa: E402


@dataclass(frozen=True)
class Sentence:
    """One sentence of one ECB+ article."""

    topic: int
    doc: str
    story: str  # "ecb" or "ecbplus": which of the topic's two events the article reports
    number: int
    text: str
    instances: frozenset[str]  # cross-document event instances mentioned in the sentence


@dataclass
class Topic:
    """All sentences of one topic; `eligible` indexes those with a linked event mention."""

    number: int
    sentences: list[Sentence]
    eligible: list[int]


@dataclass
class Pairs:
    """Labelled sentence pairs; indices point into `Topic.eligible` of `topic`."""

    topic: np.ndarray
    left: np.ndarray
    right: np.ndarray
    label: np.ndarray  # 1 = same event instance
    other_event: np.ndarray  # True for negatives across the topic's two stories
    shared: np.ndarray  # number of event instances both sentences mention


@dataclass
class SystemResult:
    """Pair scores of one system and its encoding throughput."""

    name: str
    dims: str
    scores: np.ndarray
    sentences_per_second: float


def parse_document(path: Path, topic: int) -> list[Sentence]:
    """Sentences of one ECB+ file with the event instances each one mentions."""
    root = ET.parse(path).getroot()
    story = "ecbplus" if path.stem.endswith("ecbplus") else "ecb"
    tokens: dict[int, list[str]] = defaultdict(list)
    token_sentence: dict[str, int] = {}
    for token in root.iter("token"):
        number = int(token.get("sentence", "0"))
        token_sentence[token.get("t_id", "")] = number
        tokens[number].append(token.text or "")

    mentions: dict[str, tuple[str, set[int]]] = {}
    markables = root.find("Markables")
    for markable in markables if markables is not None else []:
        anchors = markable.findall("token_anchor")
        if anchors:  # instance targets carry no anchors
            where = {token_sentence[a.get("t_id", "")] for a in anchors}
            mentions[markable.get("m_id", "")] = (markable.tag, where)

    instances: dict[int, set[str]] = defaultdict(set)
    relations = root.find("Relations")
    for relation in relations if relations is not None else []:
        note = relation.get("note", "")
        if relation.tag != "CROSS_DOC_COREF" or not note.startswith("ACT"):
            continue
        for source in relation.findall("source"):
            tag, where = mentions.get(source.get("m_id", ""), ("", set()))
            if tag.startswith("ACTION_"):  # events only; NEG_ACTION_* and participants left out
                for number in where:
                    instances[number].add(note)

    return [
        Sentence(topic, path.name, story, number, detokenise(words), frozenset(instances[number]))
        for number, words in sorted(tokens.items())
        if not (story == "ecbplus" and number == 0)  # sentence 0 of ecbplus files is the URL
    ]


def load_topics(data: Path) -> list[Topic]:
    """Every numbered topic folder under data, in topic order."""
    folders = sorted((p for p in data.iterdir() if p.is_dir() and p.name.isdigit()), key=_num)
    topics = []
    for folder in folders:
        sentences = [
            sentence
            for path in sorted(folder.glob("*.xml"))
            for sentence in parse_document(path, int(folder.name))
        ]
        eligible = [i for i, s in enumerate(sentences) if s.instances]
        topics.append(Topic(int(folder.name), sentences, eligible))
    return topics


def _num(path: Path) -> int:
    return int(path.name)


def build_pairs(
    topics: Sequence[Topic], max_neg_per_topic: int, seed: int
) -> tuple[Pairs, Counter[str]]:
    """Positive and negative cross-document pairs; negatives capped per topic by a seeded draw."""
    columns: dict[str, list[np.ndarray]] = defaultdict(list)
    counts: Counter[str] = Counter()
    for topic in topics:
        rows = [topic.sentences[i] for i in topic.eligible]
        positives: list[tuple[int, int, int]] = []
        negatives: list[tuple[int, int, bool]] = []
        for a, b in itertools.combinations(range(len(rows)), 2):
            if rows[a].doc == rows[b].doc:
                continue
            if rows[a].instances & rows[b].instances:
                positives.append((a, b, len(rows[a].instances & rows[b].instances)))
            else:
                negatives.append((a, b, rows[a].story != rows[b].story))
        counts["negatives before cap"] += len(negatives)
        counts["cap"] = max_neg_per_topic
        if len(negatives) > max_neg_per_topic:
            rng = np.random.default_rng([seed, topic.number])
            keep = np.sort(rng.choice(len(negatives), size=max_neg_per_topic, replace=False))
            negatives = [negatives[i] for i in keep]
            counts["topics capped"] += 1
        half = "dev" if topic.number <= DEV_LAST_TOPIC else "held-out"
        counts[f"{half} positives"] += len(positives)
        counts[f"{half} negatives, same story"] += sum(1 for n in negatives if not n[2])
        counts[f"{half} negatives, other event"] += sum(1 for n in negatives if n[2])
        counts[f"{half} sentences"] += len(rows)
        counts[f"{half} topics"] += 1
        pairs = [(a, b, 1, 0, n) for a, b, n in positives]
        pairs += [(a, b, 0, int(o), 0) for a, b, o in negatives]
        arr = np.array(pairs, dtype=np.int64).reshape(-1, 5)
        columns["topic"].append(np.full(len(arr), topic.number))
        columns["left"].append(arr[:, 0])
        columns["right"].append(arr[:, 1])
        columns["label"].append(arr[:, 2])
        columns["other_event"].append(arr[:, 3].astype(bool))
        columns["shared"].append(arr[:, 4])
    joined = {key: np.concatenate(value) for key, value in columns.items()}
    return Pairs(**joined), counts


def _timed(encode: Callable[[], list[np.ndarray]]) -> tuple[list[np.ndarray], float]:
    """Run encode TIMING_REPEATS times; the result and the median wall time."""
    times = []
    result: list[np.ndarray] = []
    for _ in range(TIMING_REPEATS):
        start = time.perf_counter()
        result = encode()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def _pair_cosines(topics: Sequence[Topic], vectors: list[np.ndarray], pairs: Pairs) -> np.ndarray:
    """Cosine of each pair, from unit-length vectors per topic (rows = eligible sentences)."""
    scores = np.empty(len(pairs.label), dtype=np.float64)
    for topic, matrix in zip(topics, vectors, strict=True):
        mask = pairs.topic == topic.number
        left, right = pairs.left[mask], pairs.right[mask]
        scores[mask] = np.einsum("ij,ij->i", matrix[left], matrix[right])
    return scores


def _truncate(matrix: np.ndarray, dims: int) -> np.ndarray:
    """First dims columns, renormalised (same as WordLlama's matryoshka trunc_dim)."""
    cut = matrix[:, :dims]
    norms = np.linalg.norm(cut, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return cut / norms


def score_systems(topics: Sequence[Topic], pairs: Pairs) -> list[SystemResult]:
    """Encode every sentence of every topic with each system and score all pairs."""
    total = sum(len(t.sentences) for t in topics)
    offsets = np.cumsum([0] + [len(t.sentences) for t in topics])
    all_texts = [s.text for t in topics for s in t.sentences]

    wordllama = WordLlamaEmbedder()
    wordllama.encode(all_texts[:64])  # warm up tokenizer and weights

    def encode_wordllama() -> list[np.ndarray]:
        return [wordllama.encode(all_texts)]

    (wl_all,), wl_time = _timed(encode_wordllama)
    wl_per_topic = [wl_all[offsets[i] : offsets[i + 1]][t.eligible] for i, t in enumerate(topics)]

    lexical = LexicalEmbedder()

    def encode_lexical() -> list[np.ndarray]:  # TF-IDF fitted per topic, on all its sentences
        return [lexical.encode([s.text for s in t.sentences]) for t in topics]

    lex_all, lex_time = _timed(encode_lexical)
    lex_per_topic = [m[t.eligible] for m, t in zip(lex_all, topics, strict=True)]

    results = []
    wl_scores = _pair_cosines(topics, wl_per_topic, pairs)
    results.append(SystemResult("wordllama", "256", wl_scores, total / wl_time))
    for dims in (128, 64):
        start = time.perf_counter()
        _truncate(wl_all, dims)
        cut_time = time.perf_counter() - start
        truncated = [_truncate(m, dims) for m in wl_per_topic]
        scores = _pair_cosines(topics, truncated, pairs)
        results.append(
            SystemResult("wordllama", f"{dims} (cut)", scores, total / (wl_time + cut_time))
        )
    lex_scores = _pair_cosines(topics, lex_per_topic, pairs)
    results.append(SystemResult("lexical tf-idf", "sparse", lex_scores, total / lex_time))
    results.append(
        SystemResult(
            "hybrid (mean)",
            "256+tfidf",
            (wl_scores + lex_scores) / 2,
            total / (wl_time + lex_time),
        )
    )
    return results


def best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The cosine threshold (predict same claim if score >= it) with the highest F1."""
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
    return float(thresholds[int(np.argmax(f1))])


def precision_threshold(labels: np.ndarray, scores: np.ndarray, target: float) -> float:
    """The lowest threshold whose precision reaches target (highest recall at that precision)."""
    precision, _, thresholds = precision_recall_curve(labels, scores)
    ok = np.flatnonzero(precision[:-1] >= target)
    return float(thresholds[ok[0]]) if len(ok) else float("nan")


def prf(labels: np.ndarray, scores: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """Precision, recall and F1 of `score >= threshold` against labels."""
    predicted = scores >= threshold
    tp = float(np.sum(predicted & (labels == 1)))
    p = tp / max(float(np.sum(predicted)), 1.0)
    r = tp / max(float(np.sum(labels == 1)), 1.0)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _auc(labels: np.ndarray, scores: np.ndarray, keep: np.ndarray) -> float:
    return float(roc_auc_score(labels[keep], scores[keep]))


def bootstrap_auc_difference(
    pairs: Pairs, first: np.ndarray, second: np.ndarray, keep: np.ndarray, seed: int
) -> tuple[float, float, float]:
    """AUC(first) - AUC(second) on keep, with a 95% interval from resampling whole topics."""
    labels = pairs.label
    topics = np.unique(pairs.topic[keep])
    rows = {t: np.flatnonzero(keep & (pairs.topic == t)) for t in topics}
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(BOOTSTRAP_ROUNDS):
        idx = np.concatenate([rows[t] for t in rng.choice(topics, size=len(topics))])
        diffs.append(
            roc_auc_score(labels[idx], first[idx]) - roc_auc_score(labels[idx], second[idx])
        )
    low, high = np.percentile(diffs, [2.5, 97.5])
    point = _auc(labels, first, keep) - _auc(labels, second, keep)
    return point, float(low), float(high)


def report(pairs: Pairs, counts: Counter[str], results: Sequence[SystemResult], seed: int) -> str:
    """The plain-text tables."""
    dev = pairs.topic <= DEV_LAST_TOPIC
    test = ~dev
    pos = pairs.label == 1
    neg = ~pos
    same = neg & ~pairs.other_event
    other = neg & pairs.other_event
    strict = pos & (pairs.shared >= 2)
    y = pairs.label

    lines = ["Pairs (different articles, same topic; events = ACTION_* in a CROSS_DOC_COREF):"]
    for half, mask in (("dev", dev), ("held-out", test)):
        lines.append(
            f"  {half:8s} topics {counts[f'{half} topics']:2d}  "
            f"sentences {counts[f'{half} sentences']:5d}  "
            f"positives {counts[f'{half} positives']:6d} "
            f"({int(np.sum(mask & strict))} share >=2 events)  "
            f"negatives: same story {counts[f'{half} negatives, same story']:6d}, "
            f"other event {counts[f'{half} negatives, other event']:6d}"
        )
    lines.append(
        f"  negatives before the per-topic cap of {counts['cap']}: "
        f"{counts['negatives before cap']} ({counts['topics capped']} topics capped)"
    )
    lines.append("")
    head = (
        f"{'system':15s} {'dims':10s} {'sent/s':>7s} | {'dev':>5s} {'test':>5s} | "
        f"{'other-ev':>9s} {'same-st':>8s} {'pos>=2ev':>9s}"
    )
    lines += [
        "ROC AUC. dev = topics 1-17, test = topics 18-35; on test: other-ev = positives vs "
        "other-event negatives only,",
        "same-st = positives vs same-story negatives only, pos>=2ev = only positives sharing "
        ">=2 events vs all negatives",
        head,
        "-" * len(head),
    ]
    for r in results:
        sc = r.scores
        lines.append(
            f"{r.name:15s} {r.dims:10s} {r.sentences_per_second:7.0f} | "
            f"{_auc(y, sc, dev):5.3f} {_auc(y, sc, test):5.3f} | "
            f"{_auc(y, sc, test & (pos | other)):9.3f} {_auc(y, sc, test & (pos | same)):8.3f} "
            f"{_auc(y, sc, test & (strict | neg)):9.3f}"
        )
    reference = results[0]
    for r in results[1:]:
        if r.dims.startswith(("128", "64")):
            continue
        point, low, high = bootstrap_auc_difference(pairs, r.scores, reference.scores, test, seed)
        lines.append(
            f"  test AUC {r.name} minus {reference.name} {reference.dims}: {point:+.3f} "
            f"(95% topic-bootstrap interval {low:+.3f} to {high:+.3f})"
        )
    lines.append("")
    head = (
        f"{'system':15s} {'dims':10s} {'rule':8s} {'thresh':>6s} | "
        f"{'dev P':>5s} {'dev R':>5s} {'dev F1':>6s} | {'test P':>6s} {'test R':>6s} "
        f"{'test F1':>7s}"
    )
    lines += [
        "Thresholds chosen on dev only (max F1, or the lowest reaching dev precision "
        f"{TARGET_PRECISION:.2f}), applied to test",
        head,
        "-" * len(head),
    ]
    dp, dr, df = prf(y[dev], np.ones(int(np.sum(dev))), 0.5)
    tp, tr, tf = prf(y[test], np.ones(int(np.sum(test))), 0.5)
    lines.append(
        f"{'(every pair)':15s} {'-':10s} {'-':8s} {'-':>6s} | "
        f"{dp:5.3f} {dr:5.3f} {df:6.3f} | {tp:6.3f} {tr:6.3f} {tf:7.3f}"
    )
    for r in results:
        sc = r.scores
        rules = (
            ("max F1", best_f1_threshold(y[dev], sc[dev])),
            (f"P>={TARGET_PRECISION:.2f}", precision_threshold(y[dev], sc[dev], TARGET_PRECISION)),
        )
        for rule, threshold in rules:
            dp, dr, df = prf(y[dev], sc[dev], threshold)
            tp, tr, tf = prf(y[test], sc[test], threshold)
            lines.append(
                f"{r.name:15s} {r.dims:10s} {rule:8s} {threshold:6.3f} | "
                f"{dp:5.3f} {dr:5.3f} {df:6.3f} | {tp:6.3f} {tr:6.3f} {tf:7.3f}"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the tables; 0 also when the data is absent."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="ECB+ folder")
    parser.add_argument("--max-neg-per-topic", type=int, default=DEFAULT_MAX_NEG_PER_TOPIC)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)

    data: Path = args.data
    if not data.is_dir():
        print(f"skipped: ECB+ data folder {data} not found")
        return 0
    start = time.perf_counter()
    topics = load_topics(data)
    if not topics:
        print(f"skipped: no ECB+ topic folders found in {data}")
        return 0
    pairs, counts = build_pairs(topics, args.max_neg_per_topic, args.seed)
    results = score_systems(topics, pairs)
    print(report(pairs, counts, results, args.seed))
    total = sum(len(t.sentences) for t in topics)
    print(
        f"\nsent/s = median of {TIMING_REPEATS} encodings of all {total} sentences "
        f"({sum(len({s.doc for s in t.sentences}) for t in topics)} articles) on "
        f"this machine; wall time {time.perf_counter() - start:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
