"""How much a claim belongs in a brief: features of a claim and a small learned model over them.

The model is a logistic regression fitted by `scripts/train_salience.py` on the AllSides
train split only (label: the sentence is in the greedy ROUGE oracle summary of its story);
its weights ship as JSON beside this module. Without the file a hand-set score is used.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files

import numpy as np

from newsweave.analysis import Analysis
from newsweave.records import Claim, Sentence
from newsweave.text.sentences import stands_alone
from newsweave.text.words import content_words

FEATURES = (
    "support",  # share of the story's independent sources that make the claim
    "log_sources",  # log(1 + independent sources making the claim)
    "backing",  # share of the claim's independent sources that support this very wording
    "centrality",  # mean cosine of the claim's sentences to the story centroid
    "position",  # earliest relative position of the claim in a report (0 = first)
    "log_index",  # log(1 + earliest sentence index)
    "opens",  # 1 when the claim opens some report
    "log_words",  # log of the sentence's length in words
    "title_overlap",  # share of the sentence's content words found in the reports' titles
    "stands_alone",  # 1 unless it opens with a pronoun/connective or is a bare quote
    "quote",  # 1 when the sentence holds a quotation
    "digits",  # 1 when the sentence holds a figure
    "capitals",  # share of capitalised words (names) after the first
    "own_position",  # this sentence's relative position in its report
    "own_opens",  # 1 when this sentence opens its report
)
MODEL_FILE = "salience.json"


@dataclass(frozen=True)
class StoryStats:
    """What every claim's features are measured against, computed once per story."""

    centrality: np.ndarray  # per sentence row
    title_words: frozenset[str]
    total_groups: int


def story_stats(analysis: Analysis) -> StoryStats:
    """Centroid similarities and title words of one analysed story."""
    emb = analysis.embeddings
    if len(emb):
        centroid = emb.mean(axis=0)
        centrality = emb @ (centroid / (float(np.linalg.norm(centroid)) or 1.0))
    else:
        centrality = np.zeros(0)
    titles = frozenset().union(*(content_words(r.title) for r in analysis.reports))
    return StoryStats(centrality, titles, max(1, len(set(analysis.groups.values()))))


def features(
    analysis: Analysis,
    stats: StoryStats,
    claim: Claim,
    sentence: Sentence,
    supporters: Sequence[str],
) -> np.ndarray:
    """The feature vector of one claim written as one of its sentences (order of FEATURES)."""
    sources = analysis.independent(claim.report_ids)
    words = sentence.text.split()
    content = content_words(sentence.text)
    capitals = sum(1 for w in words[1:] if w[:1].isupper()) / max(1, len(words) - 1)
    return np.array(
        [
            sources / stats.total_groups,
            math.log1p(sources),
            analysis.independent(supporters) / max(1, sources),
            float(np.mean([stats.centrality[analysis.index[s]] for s in claim.sentences])),
            min(s.position for s in claim.sentences),
            math.log1p(min(s.index for s in claim.sentences)),
            float(any(s.index == 0 for s in claim.sentences)),
            math.log(max(1, len(words))),
            len(content & stats.title_words) / max(1, len(content)),
            float(stands_alone(sentence.text)),
            float(any(q in sentence.text for q in '"“”')),
            float(any(c.isdigit() for c in sentence.text)),
            capitals,
            sentence.position,
            float(sentence.index == 0),
        ],
        dtype=np.float64,
    )


@dataclass(frozen=True)
class SalienceModel:
    """A logistic regression over standardised features."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    trained_on: str = ""

    def score(self, x: np.ndarray) -> float:
        """Probability-like salience in (0, 1)."""
        z = float(((x - self.mean) / self.scale) @ self.weights + self.bias)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> str:
        """The model as JSON, with feature names so a mismatch is caught on load."""
        return json.dumps(
            {
                "features": list(FEATURES),
                "mean": self.mean.tolist(),
                "scale": self.scale.tolist(),
                "weights": self.weights.tolist(),
                "bias": self.bias,
                "trained_on": self.trained_on,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> SalienceModel:
        """Read a model written by to_json; the features must match this version's."""
        data = json.loads(text)
        if tuple(data["features"]) != FEATURES:
            raise ValueError("salience model was trained on other features; retrain it")
        return cls(
            np.array(data["mean"]),
            np.array(data["scale"]),
            np.array(data["weights"]),
            float(data["bias"]),
            data.get("trained_on", ""),
        )


def load_model() -> SalienceModel | None:
    """The shipped model, or None when this install has none."""
    resource = files("newsweave.writing") / MODEL_FILE
    if not resource.is_file():
        return None
    return SalienceModel.from_json(resource.read_text(encoding="utf-8"))


def heuristic(x: np.ndarray) -> float:
    """The hand-set score used without a model: support, centrality and position."""
    f = dict(zip(FEATURES, x, strict=True))
    score = f["support"] + 0.6 * f["centrality"] + 0.5 * (1 - f["position"]) + 0.1 * f["opens"]
    if not f["stands_alone"]:
        score *= 0.8
    if f["log_words"] > math.log(40):
        score *= 0.9
    return score
