"""Sentence embeddings behind one small interface, chosen by name.

`wordllama` ships its weights inside the PyPI wheel and is loaded from there with downloads
disabled; `lexical` is a TF-IDF fallback that needs no model at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from newsweave.errors import ConfigError


class Embedder(Protocol):
    """Turns sentences into L2-normalised vectors whose dot product is cosine similarity."""

    name: str

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

    def __init__(self, dim: int = 256) -> None:
        import wordllama
        from wordllama import WordLlama

        # A plain WordLlama.load() asks the model hub; the wheel already carries the weights.
        self._model = WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent, disable_download=True, dim=dim
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts with WordLlama."""
        if not texts:
            return np.zeros((0, 256), dtype=np.float32)
        return _normalise(np.asarray(self._model.embed(list(texts), norm=True)))


class LexicalEmbedder:
    """TF-IDF over word unigrams and bigrams, fitted on the texts of each call."""

    name = "lexical"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as TF-IDF rows (dense), fitted on these texts alone."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        vectorizer = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, stop_words="english", min_df=1
        )
        try:
            matrix = vectorizer.fit_transform(texts)
        except ValueError:  # every text was only stop words
            return np.zeros((len(texts), 1), dtype=np.float32)
        return _normalise(matrix.toarray())


EMBEDDERS: dict[str, Callable[[], Embedder]] = {
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
