"""Sentence embeddings behind one small interface, chosen by name.

`wordllama` ships its weights inside the PyPI wheel and is loaded from there with downloads
disabled; `lexical` is TF-IDF and needs no model at all; `hybrid` (the default) joins the two so
that a dot product is the mean of both cosines, which separates same-claim sentences best on
ECB+ (docs/alignment.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

from newsweave.errors import ConfigError

WORDLLAMA_DIMS = 256  # the only size the wheel ships


@dataclass(frozen=True)
class Thresholds:
    """Similarities that mean something for one embedder (its cosines have their own scale)."""

    align: float  # two sentences from different reports state one claim (and cite each other)
    redundant: float  # two brief sentences this close say the same thing
    related: float  # a sentence near a claim can give a value for its disputed slot
    conflict: float  # dates or people contradict only between sentences this close


class Embedder(Protocol):
    """Turns sentences into L2-normalised vectors whose dot product is cosine similarity."""

    name: str
    thresholds: Thresholds

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text."""
        ...


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)


class WordLlamaEmbedder:
    """WordLlama static embeddings (256 dims), loaded from the installed wheel only."""

    name = "wordllama"
    # align: lowest cosine with precision >= 0.90 on ECB+ topics 1-17 (docs/alignment.md).
    thresholds: ClassVar[Thresholds] = Thresholds(
        align=0.77, redundant=0.60, related=0.50, conflict=0.80
    )

    def __init__(self) -> None:
        import wordllama
        from wordllama import WordLlama

        # A plain WordLlama.load() asks the model hub; the wheel already carries the weights.
        self._model = WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent, disable_download=True
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts with WordLlama."""
        if not texts:
            return np.zeros((0, WORDLLAMA_DIMS), dtype=np.float32)
        return _normalise(np.asarray(self._model.embed(list(texts), norm=True)))


class LexicalEmbedder:
    """TF-IDF over word unigrams and bigrams, fitted on the texts of each call."""

    name = "lexical"
    thresholds: ClassVar[Thresholds] = Thresholds(
        align=0.22, redundant=0.25, related=0.12, conflict=0.40
    )

    def __init__(self, max_features: int | None = None) -> None:
        self._max_features = max_features

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as TF-IDF rows (dense), fitted on these texts alone."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        vectorizer = TfidfVectorizer(
            ngram_range=(1, 2),
            sublinear_tf=True,
            stop_words="english",
            max_features=self._max_features,
        )
        try:
            matrix = vectorizer.fit_transform(texts)
        except ValueError:  # every text was only stop words
            return np.zeros((len(texts), 1), dtype=np.float32)
        return _normalise(matrix.toarray())


class HybridEmbedder:
    """WordLlama and TF-IDF side by side, each scaled by 1/sqrt(2): dot = mean of the cosines."""

    name = "hybrid"
    thresholds: ClassVar[Thresholds] = Thresholds(
        align=0.44, redundant=0.37, related=0.30, conflict=0.60
    )

    def __init__(self) -> None:
        self._dense = WordLlamaEmbedder()
        # A cap on TF-IDF columns keeps a 1,000-sentence story's matrix small.
        self._sparse = LexicalEmbedder(max_features=4096)

    @property
    def dense(self) -> WordLlamaEmbedder:
        """The WordLlama half, for components that want dense vectors alone."""
        return self._dense

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Both embeddings, concatenated and scaled so each row stays unit length."""
        dense = self._dense.encode(texts)
        sparse = self._sparse.encode(texts)
        # Rows that are all stop words have a zero TF-IDF part; the dense half still counts.
        return np.hstack([dense, sparse]).astype(np.float32) / math.sqrt(2)


EMBEDDERS: dict[str, Callable[[], Embedder]] = {
    "hybrid": HybridEmbedder,
    "wordllama": WordLlamaEmbedder,
    "lexical": LexicalEmbedder,
}


def make_embedder(name: str) -> Embedder:
    """The embedder registered under name; falls back to lexical if WordLlama cannot load."""
    if name not in EMBEDDERS:
        raise ConfigError(f"embedder {name!r} is not one of: {', '.join(EMBEDDERS)}")
    try:
        return EMBEDDERS[name]()
    except (ImportError, OSError):
        if name == "lexical":
            raise
        return LexicalEmbedder()
