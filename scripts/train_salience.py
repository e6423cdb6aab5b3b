"""Fit newsweave's salience model on the AllSides NeuS *train* split and write its weights.

Each story is analysed exactly as `newsweave brief` does (sentences, claims, support), and every
candidate claim is labelled 1 when its sentence belongs to the greedy ROUGE oracle summary of
the story (sentences added while ROUGE-1 + ROUGE-2 F1 against the editors' roundup rises,
within the roundup's length), else 0. A logistic regression over the features of
`newsweave.writing.salience.FEATURES` is fitted on the first 90% of the train stories and checked on
the last 10% (which also serve as the development set for design choices). The val split is
never read.

Usage (from the repository root)::

    .venv/bin/python scripts/train_salience.py [--data DIR] [--out FILE] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT / "src") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "src"))

from newsweave.config import load_settings  # noqa: E402
from newsweave.text.embed import make_embedder  # noqa: E402
from newsweave.writing.claims import analyse  # noqa: E402
from newsweave.writing.salience import FEATURES, SalienceModel  # noqa: E402
from newsweave.writing.selection import candidates  # noqa: E402
from newsweave_bench.datasets import cluster_reports, read_allsides  # noqa: E402

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "allsides-neus-dev"
DEFAULT_OUT = REPO_ROOT / "src" / "newsweave" / "brief" / "salience.json"
HELD_OUT = 0.1


def oracle_labels(sentences: list[str], reference: str, scorer: object) -> list[int]:
    """1 for the sentences of the greedy ROUGE-1+2 oracle within the reference's length."""
    budget = len(reference.split())
    chosen: list[int] = []
    best = 0.0
    while True:
        gains = []
        words = sum(len(sentences[i].split()) for i in chosen)
        for i, sentence in enumerate(sentences):
            if i in chosen or (chosen and words + len(sentence.split()) > budget * 1.2):
                continue
            summary = " ".join(sentences[j] for j in [*chosen, i])
            scores = scorer.score(reference, summary)  # type: ignore[attr-defined]
            gains.append((scores["rouge1"].fmeasure + scores["rouge2"].fmeasure, i))
        if not gains:
            break
        value, i = max(gains)
        if value <= best:
            break
        best = value
        chosen.append(i)
    return [int(i in chosen) for i in range(len(sentences))]


def main() -> int:
    """Build the training set, fit, report held-out figures, write the model."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--limit", type=int, default=None, help="first N train stories only")
    args = parser.parse_args()
    source, target = args.data / "train.source", args.data / "train.target"
    if not source.exists():
        print(f"skipped: {source} not found (the AllSides data lives in ../shared/data)")
        return 0
    from rouge_score import rouge_scorer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    settings = load_settings(os.environ, home=Path(tempfile.mkdtemp()))
    embedder = make_embedder(settings.embedder)
    rows: list[tuple[int, np.ndarray, int]] = []  # (story, features, label)
    for n, cluster in enumerate(read_allsides(source, target)):
        if args.limit is not None and n >= args.limit:
            break
        found = candidates(analyse(cluster_reports(cluster, "allsides-train"), embedder))
        if not found:
            continue
        labels = oracle_labels([c.sentence.text for c in found], cluster.reference, scorer)
        rows.extend((n, c.features, y) for c, y in zip(found, labels, strict=True))
    stories = sorted({story for story, _, _ in rows})
    # The last tenth of the train file is held out: a fixed development set for design choices.
    held = set(stories[int(len(stories) * (1 - HELD_OUT)) :])
    x = np.array([f for _, f, _ in rows])
    y = np.array([label for _, _, label in rows])
    test = np.array([story in held for story, _, _ in rows])
    mean, scale = x[~test].mean(axis=0), x[~test].std(axis=0)
    scale[scale == 0] = 1.0
    fit = LogisticRegression(max_iter=1000, C=1.0).fit((x[~test] - mean) / scale, y[~test])
    model = SalienceModel(
        mean, scale, fit.coef_[0], float(fit.intercept_[0]),
        trained_on=f"AllSides NeuS train, {len(stories) - len(held)} stories, oracle labels",
    )  # fmt: skip
    held_scores = np.array([model.score(v) for v in x[test]])
    print(f"stories {len(stories)} (held out {len(held)}), candidates {len(rows)}, "
          f"positive {y.mean():.3f}")  # fmt: skip
    print(f"held-out ROC AUC {roc_auc_score(y[test], held_scores):.3f}")
    for name, weight in sorted(zip(FEATURES, fit.coef_[0], strict=True), key=lambda p: -abs(p[1])):
        print(f"  {name:14s} {weight:+.3f}")
    args.out.write_text(model.to_json() + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
