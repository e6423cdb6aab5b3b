"""What the verifier learned: its support thresholds and its contradiction model, as data.

The verdict of ``newsweave.verification.citations`` rests on rule checks (numbers, dates,
names, quotes,
negation, antonyms) and on what is fitted here, once, on the dev benchmarks by
``scripts/fit_verify.py`` and shipped as ``verify_model.json``; ``newsweave eval-verify``
fits the same on some folds and scores the others through ``verify_batch``, so the figures
it prints are those of the verifier briefs use:

- **support** (fitted on SummEdits articles): the least relevance of the best evidence
  sentence, the least share of the claim's content words the source holds, and the most
  content words its best evidence sentences may lack (synonyms count as found);
- **contradiction** (fitted on FNC-1 bodies): a small gradient-boosted tree ensemble over
  ``FEATURES`` (relevance, refutation and denial cues near the claim, polarity of claim and
  evidence, the rule checks' findings), with the probability above which a source
  contradicts the claim. A relevant source whose rule checks find a contradiction
  contradicts it whatever the model says.

Evaluating the trees needs only this module; fitting them needs scikit-learn.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

SCHEMA = "newsweave.verify-model/1"
# What the contradiction model reads, in this order (computed by Verifier.signals).
FEATURES = (
    "relevance",  # best evidence sentence
    "relevance_top3",  # mean of the three best
    "coverage",  # share of the claim's content words the source holds
    "claim_refutes",  # the claim calls something false, a hoax, or denies it
    "claim_negates",
    "claim_hedges",  # "reportedly", "claims", a question
    "claim_words",  # content words of the claim
    "source_sentences",  # log(1 + n)
    "refutes_top1",  # the best evidence sentence refutes or denies
    "refutes_top3",  # share of the three best that do
    "refutes_top5",
    "refutes_opening",  # share of the first two sentences that do
    "refutes_share",  # share of all sentences that do
    "refutes_any",
    "refutes_relevance",  # relevance of the most relevant refuting sentence
    "refutes_recall",  # claim words held by the refuting sentence that holds most
    "negates_top3",
    "negates_relevance",
    "hedges_top3",
    "hedges_share",
    "hedges_opening",
    "affirms_top3",  # "confirmed", "officially"
    "polarity_top3",  # the claim refutes and the best evidence does not, or the reverse
    "polarity_opening",
    "negation_found",  # the rule checks' findings
    "antonym_found",
    "number_found",
    "sex_found",
    "values_missing",  # numbers, dates and names the source lacks
    "quotes_missing",
    "evidence_refutes_plain_claim",  # refutes_top3 x (claim plain) x relevance
    "plain_evidence_refuting_claim",  # claim refutes x (no refuting sentence) x relevance
    "claim_refutes_relevance",
    "refuting_evidence_plain_claim",  # refutes_relevance x (claim plain)
)


@dataclass(frozen=True)
class Trees:
    """A binary gradient-boosted tree ensemble: log-odds = base + the leaf of each tree.

    Each tree is a list of nodes ``[feature, threshold, left, right, value]``; a node whose
    feature is -1 is a leaf holding its value; a row goes left when its feature is <= the
    threshold.
    """

    base: float
    trees: tuple[tuple[tuple[int, float, int, int, float], ...], ...]

    def log_odds(self, row: Sequence[float]) -> float:
        total = self.base
        for nodes in self.trees:
            k = 0
            while True:
                feature, threshold, left, right, value = nodes[k]
                if feature < 0:
                    total += value
                    break
                k = left if row[feature] <= threshold else right
        return total

    def probability(self, row: Sequence[float]) -> float:
        z = self.log_odds(row)
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


@dataclass(frozen=True)
class VerdictModel:
    """The fitted part of the verdict (see the module docstring)."""

    related: float = 0.35
    coverage: float = 0.55
    # Content words the best evidence sentences may lack (99: no limit; see fit_support).
    local_missing: int = 99
    contradiction: Trees | None = None
    threshold: float = 1.0  # contradiction probability from which the verdict is contradicted
    # Relevance from which a rule check's contradiction ("12 dead" against "40 dead") is the
    # verdict by itself; below it the finding is still one of the model's features.
    rule_related: float = 0.35
    fitted: Mapping[str, Any] = field(default_factory=dict)  # what it was fitted on

    def contradiction_probability(self, row: Sequence[float]) -> float:
        return self.contradiction.probability(row) if self.contradiction is not None else 0.0

    def to_json(self) -> dict[str, Any]:
        trees = self.contradiction
        return {
            "schema": SCHEMA,
            "fitted": dict(self.fitted),
            "support": {
                "related": self.related,
                "coverage": self.coverage,
                "local_missing": self.local_missing,
            },
            "contradiction": None
            if trees is None
            else {
                "features": list(FEATURES),
                "threshold": self.threshold,
                "rule_related": self.rule_related,
                "base": trees.base,
                "trees": [[list(node) for node in tree] for tree in trees.trees],
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerdictModel:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a verifier model ({data.get('schema')!r})")
        support = data["support"]
        found = data.get("contradiction")
        trees = None
        threshold = 1.0
        rule_related = float(support["related"])
        if found is not None:
            if tuple(found["features"]) != FEATURES:
                raise ValueError("the model's features are not this verifier's")
            trees = Trees(
                float(found["base"]),
                tuple(
                    tuple((int(f), float(t), int(a), int(b), float(v)) for f, t, a, b, v in tree)
                    for tree in found["trees"]
                ),
            )
            threshold = float(found["threshold"])
            rule_related = float(found.get("rule_related", rule_related))
        return cls(
            related=float(support["related"]),
            coverage=float(support["coverage"]),
            local_missing=int(support["local_missing"]),
            contradiction=trees,
            threshold=threshold,
            rule_related=rule_related,
            fitted=data.get("fitted", {}),
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), separators=(",", ":")) + "\n", "utf-8")


@cache
def shipped_model() -> VerdictModel:
    """The model fitted on all dev data (scripts/fit_verify.py), as briefs use it."""
    text = (
        resources.files("newsweave.verification").joinpath("verify_model.json").read_text("utf-8")
    )
    return VerdictModel.from_json(json.loads(text))


# Fitting (scikit-learn) ------------------------------------------------------------------

# The learner: shallow trees, few of them, large leaves (what generalised across bodies).
TREE_SETTINGS = {
    "max_iter": 120,
    "learning_rate": 0.05,
    "max_depth": 3,
    "min_samples_leaf": 40,
    "random_state": 0,
}


def fit_trees(x: Any, y: Any) -> Trees:
    """A gradient-boosted ensemble for binary labels, exported to plain lists."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(**TREE_SETTINGS).fit(x, y)
    trees = []
    # The fitted predictors hold each tree's nodes (shrinkage already in the leaf values).
    for (predictor,) in model._predictors:
        nodes = []
        for node in predictor.nodes:
            if node["is_leaf"]:
                nodes.append((-1, 0.0, 0, 0, round(float(node["value"]), 6)))
            else:
                nodes.append(
                    (
                        int(node["feature_idx"]),
                        float(node["num_threshold"]),
                        int(node["left"]),
                        int(node["right"]),
                        0.0,
                    )
                )
        trees.append(tuple(nodes))
    return Trees(round(float(model._baseline_prediction.ravel()[0]), 6), tuple(trees))


def best_f1_threshold(
    probabilities: Sequence[float], gold: Sequence[bool], forced: Sequence[bool]
) -> float:
    """The probability threshold with the best F1, where `forced` rows are positive anyway."""
    import numpy as np

    p = np.asarray(probabilities, dtype=float)
    g = np.asarray(gold, dtype=bool)
    f = np.asarray(forced, dtype=bool)
    candidates = np.unique(np.round(np.quantile(p, np.linspace(0.5, 0.999, 300)), 4))

    def f1(t: float) -> float:
        pred = f | (p >= t)
        tp = int((pred & g).sum())
        return 2 * tp / max(1, int(pred.sum()) + int(g.sum()))

    return float(max(candidates, key=lambda t: (f1(t), t), default=1.0))


__all__ = [
    "FEATURES",
    "SCHEMA",
    "TREE_SETTINGS",
    "Trees",
    "VerdictModel",
    "best_f1_threshold",
    "fit_trees",
    "shipped_model",
]
