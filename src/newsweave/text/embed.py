"""Sentence embeddings behind one small interface, chosen by name.

`wordllama` ships its weights inside the PyPI wheel and is loaded from there with downloads
disabled; `lexical` is TF-IDF and needs no model at all; `hybrid` (the default) joins the two so
that a dot product is the mean of both cosines, which separates same-claim sentences best on
ECB+ (docs/alignment.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Protocol

import numpy as np

from newsweave.config import Limits
from newsweave.errors import ConfigError

WORDLLAMA_DIMS = 256  # the only size the wheel ships
# Padded token slots (texts x longest text) per WordLlama batch. WordLlama pads a batch to its
# longest text and gathers a 1 KB vector per slot (twice, with the mask), so this bounds a
# batch's memory at about 130 MB whatever the input.
BATCH_SLOTS = 65_536
MAX_BATCH = 256  # texts per batch at most, however short


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


def capped(text: str, max_chars: int) -> str:
    """The text cut to max_chars, at the last space if there is one in its second half."""
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    space = cut.rfind(" ")
    return cut[:space] if space > max_chars // 2 else cut


def batches(texts: Sequence[str], slots: int = BATCH_SLOTS) -> list[list[int]]:
    """Indices of texts in batches of similar length whose padded size stays within slots.

    A text's size is its UTF-8 bytes plus one: WordLlama's tokenizer (SentencePiece with byte
    fallback) never makes more tokens than that. Sorting by size keeps padding small.
    """
    sizes = [len(t.encode("utf-8", "surrogatepass")) + 1 for t in texts]
    found: list[list[int]] = []
    batch: list[int] = []
    for index in sorted(range(len(texts)), key=sizes.__getitem__):
        # Sorted ascending, so this text is the longest of the batch it joins.
        if batch and ((len(batch) + 1) * sizes[index] > slots or len(batch) >= MAX_BATCH):
            found.append(batch)
            batch = []
        batch.append(index)
    if batch:
        found.append(batch)
    return found


class WordLlamaEmbedder:
    """WordLlama static embeddings (256 dims), loaded from the installed wheel only."""

    name = "wordllama"
    # align: lowest cosine with precision >= 0.90 on ECB+ topics 1-17 (docs/alignment.md).
    thresholds: ClassVar[Thresholds] = Thresholds(
        align=0.77, redundant=0.60, related=0.50, conflict=0.80
    )

    def __init__(self, max_chars: int = Limits.embed_chars) -> None:
        import wordllama
        from wordllama import WordLlama

        # A plain WordLlama.load() asks the model hub; the wheel already carries the weights.
        self._model = WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent, disable_download=True
        )
        self._max_chars = max_chars

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts with WordLlama, each cut to max_chars, in batches of bounded size."""
        out = np.zeros((len(texts), WORDLLAMA_DIMS), dtype=np.float32)
        cut = [capped(t, self._max_chars) for t in texts]
        for batch in batches(cut):
            vectors = self._model.embed([cut[i] for i in batch], norm=True, batch_size=len(batch))
            out[batch] = np.asarray(vectors, dtype=np.float32)
        # A text with no tokens pools to a zero vector, which norm=True turns into NaN.
        np.nan_to_num(out, copy=False, nan=0.0)
        return _normalise(out)


class LexicalEmbedder:
    """TF-IDF over word unigrams and bigrams, fitted on the texts of each call."""

    name = "lexical"
    thresholds: ClassVar[Thresholds] = Thresholds(
        align=0.22, redundant=0.25, related=0.12, conflict=0.40
    )

    def __init__(
        self, max_features: int | None = None, max_chars: int = Limits.embed_chars
    ) -> None:
        self._max_features = max_features
        self._max_chars = max_chars

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as TF-IDF rows (dense), fitted on these texts alone."""
        matrix = self.sparse(texts)
        if matrix is None:
            return np.zeros((len(texts), 1), dtype=np.float32)
        return _dense_rows(matrix, np.zeros(matrix.shape, dtype=np.float32))

    def sparse(self, texts: Sequence[str]) -> Any | None:
        """TF-IDF rows (unit length, sparse), each text cut to max_chars; None if no words."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not texts:
            return None
        vectorizer = TfidfVectorizer(
            ngram_range=(1, 2),
            sublinear_tf=True,
            stop_words="english",
            max_features=self._max_features,
        )
        try:
            return vectorizer.fit_transform([capped(t, self._max_chars) for t in texts])
        except ValueError:  # every text was only stop words
            return None


def _dense_rows(matrix: Any, out: np.ndarray, divisor: float = 1.0) -> np.ndarray:
    """Sparse rows written into out (unit length, over divisor) a block at a time.

    Densifying block by block keeps the peak at out itself, not out plus a float64 copy.
    """
    step = max(1, BATCH_SLOTS * 4 // max(1, matrix.shape[1]))
    for start in range(0, matrix.shape[0], step):
        block = matrix[start : start + step].toarray()
        out[start : start + block.shape[0]] = _normalise(block) / divisor
    return out


class HybridEmbedder:
    """WordLlama and TF-IDF side by side, each scaled by 1/sqrt(2): dot = mean of the cosines."""

    name = "hybrid"
    thresholds: ClassVar[Thresholds] = Thresholds(
        align=0.44, redundant=0.37, related=0.30, conflict=0.60
    )

    def __init__(self, max_chars: int = Limits.embed_chars) -> None:
        self._dense = WordLlamaEmbedder(max_chars)
        # A cap on TF-IDF columns keeps a 1,000-sentence story's matrix small.
        self._sparse = LexicalEmbedder(max_features=4096, max_chars=max_chars)

    @property
    def dense(self) -> WordLlamaEmbedder:
        """The WordLlama half, for components that want dense vectors alone."""
        return self._dense

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Both embeddings, concatenated and scaled so each row stays unit length."""
        dense = self._dense.encode(texts)
        sparse = self._sparse.sparse(texts)
        width = 1 if sparse is None else sparse.shape[1]
        # Written into one array: no hstack copy. Rows that are all stop words have a zero
        # TF-IDF part; the dense half still counts.
        out = np.zeros((len(texts), WORDLLAMA_DIMS + width), dtype=np.float32)
        out[:, :WORDLLAMA_DIMS] = dense / math.sqrt(2)
        if sparse is not None:
            _dense_rows(sparse, out[:, WORDLLAMA_DIMS:], math.sqrt(2))
        return out


# The registry: each embedder's name (as Settings.embedder, --embedder and NEWSWEAVE_EMBEDDER
# give it) and its factory, called with the most characters to embed per text. A new embedder
# is one entry here, and its name in config.EMBEDDERS, which the settings are checked against
# (a test keeps the two equal; docs/stories.md, "Adding an embedder").
EMBEDDERS: Mapping[str, Callable[[int], Embedder]] = MappingProxyType(
    {
        "hybrid": HybridEmbedder,
        "wordllama": WordLlamaEmbedder,
        "lexical": lambda max_chars: LexicalEmbedder(max_chars=max_chars),
    }
)


def make_embedder(name: str, max_chars: int = Limits.embed_chars) -> Embedder:
    """The embedder registered under name; falls back to lexical if WordLlama cannot load.

    Every text it embeds is cut to max_chars (Limits.embed_chars).
    """
    if name not in EMBEDDERS:
        raise ConfigError(f"embedder {name!r} is not one of: {', '.join(EMBEDDERS)}")
    try:
        return EMBEDDERS[name](max_chars)
    except (ImportError, OSError):
        if name == "lexical":
            raise
        return LexicalEmbedder(max_chars=max_chars)
