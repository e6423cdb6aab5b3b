"""Close pairs among many unit vectors, without scoring every vector against every other.

Aligning a story's sentences into claims, and looking for denials between them, needs the
pairs of sentences whose vectors are close. Scoring all pairs costs the square of the story's
size (two hostile files of 4,000 sentences took minutes and gigabytes). Here each row keeps
at most k partners, its closest at or above the threshold, so the pairs kept grow as n * k.
Up to EXACT_ROWS rows every pair is still scored, a block of rows at a time (bounded memory;
the result is exact while no row has more than k partners, which real stories never reach).
Past it, a forest of random-projection trees puts close rows in the same leaves and only rows
sharing a leaf are scored, so time grows as n log n. The trees are seeded: a story gives the
same pairs on every run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

# Past this many rows, pairs are searched in a forest instead of scored all against all. Real
# stories have a few hundred sentences and a brief reads at most Limits.sentences_per_brief;
# 8,192 rows take a few seconds, about half what the forest takes there (its cost grows as
# n log n, all pairs as n squared: they meet at a few tens of thousands of rows).
EXACT_ROWS = 8_192
NEIGHBOURS = 64  # partners kept per row, the closest
BLOCK_CELLS = 1 << 22  # similarities scored at once (16 MB of float32)
LEAF_ROWS = 1_024  # rows in a leaf of a tree, all scored against each other
# A tree misses the close pairs its cuts separate; eight of them find about 85% of the pairs
# above the alignment threshold and 95% of those above 0.6 (9,400 Multi-News dev sentences).
# (Rows near a cut could go to both halves, but that makes each tree cost n^1.36, not n log n.)
TREES = 8
SEED = 13
# Columns non-zero in at most this share of rows are scored as a sparse matrix, when there
# are at least SPARSE_COLUMNS of them (TF-IDF columns; a dense embedding has none).
DENSE_SHARE = 0.25
SPARSE_COLUMNS = 256

Pair = tuple[float, int, int]


def close_pairs(
    vectors: np.ndarray,
    threshold: float,
    groups: Sequence[int] | np.ndarray | None = None,
    k: int = NEIGHBOURS,
    exact_rows: int = EXACT_ROWS,
) -> list[Pair]:
    """Pairs (similarity, i, j), i < j, at or above threshold in different groups, closest first."""
    # A pair is kept when j is among the k closest rows to i, or i among the k closest to j;
    # equal similarities come in row order.
    n = len(vectors)
    if n < 2 or k < 1:
        return []
    rows_of = _Rows(vectors)
    labels = np.arange(n) if groups is None else np.asarray(groups)
    search = _exact if n <= exact_rows else _forest
    rows, cols, sims = search(rows_of, float(threshold), labels, k)
    if not len(rows):
        return []
    low, high = np.minimum(rows, cols), np.maximum(rows, cols)
    # A pair found from both ends is kept once, with the similarity scored from its lower row
    # (as the upper triangle of a full similarity matrix would give it).
    order = np.lexsort((rows != low, high, low))
    low, high, sims = low[order], high[order], sims[order]
    first = np.ones(len(low), dtype=bool)
    first[1:] = (low[1:] != low[:-1]) | (high[1:] != high[:-1])
    low, high, sims = low[first], high[first], sims[first]
    ranked = np.lexsort((high, low, -sims))
    return list(
        zip(
            sims[ranked].astype(np.float64).tolist(),
            low[ranked].tolist(),
            high[ranked].tolist(),
            strict=True,
        )
    )


class _Rows:
    """The vectors as a dense part and, for columns that are mostly zeros, a sparse part."""

    # The hybrid embedder's rows are 256 dense dimensions beside 4,096 TF-IDF ones that are
    # almost all zero: scoring the zeros would cost fifteen times the work that counts.

    def __init__(self, vectors: np.ndarray) -> None:
        self.n, width = vectors.shape
        step = max(1, BLOCK_CELLS // max(1, width))
        chunks = [vectors[s : s + step] for s in range(0, self.n, step)]
        # Counted and split a chunk of rows at a time: no temporary as large as the vectors.
        counts = sum((np.count_nonzero(c, axis=0) for c in chunks), np.zeros(width, np.int64))
        filled = counts > DENSE_SHARE * self.n
        self.sparse = None
        if width - int(filled.sum()) >= SPARSE_COLUMNS:
            from scipy.sparse import csr_matrix, vstack

            self.dense = np.ascontiguousarray(vectors[:, filled], dtype=np.float32)
            self.sparse = vstack(
                [csr_matrix(c[:, ~filled], dtype=np.float32) for c in chunks], format="csr"
            )
        else:
            self.dense = np.ascontiguousarray(vectors, dtype=np.float32)

    def score(self, rows: np.ndarray | slice, cols: np.ndarray | slice) -> np.ndarray:
        """Dot products of some rows with some rows, as a float32 block."""
        block = self.dense[rows] @ self.dense[cols].T
        if self.sparse is not None:
            block += (self.sparse[rows] @ self.sparse[cols].T).toarray()
        return block

    def project(self, rows: np.ndarray, a: int, b: int) -> np.ndarray:
        """Each row's position along the line from row b to row a."""
        side = self.dense[rows] @ (self.dense[a] - self.dense[b])
        if self.sparse is not None:
            line = (self.sparse[a] - self.sparse[b]).toarray().ravel()
            side += self.sparse[rows] @ line
        return side


def _top(block: np.ndarray, threshold: float, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of a scored block, its k highest columns at or above threshold."""
    width = block.shape[1]
    if width > k:
        cols = np.argpartition(block, width - k, axis=1)[:, width - k :]
        sims = np.take_along_axis(block, cols, axis=1)
    else:
        cols = np.broadcast_to(np.arange(width), block.shape)
        sims = block
    r, c = np.nonzero(sims >= threshold)
    return r, cols[r, c], sims[r, c]


def _exact(
    vectors: _Rows, threshold: float, labels: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every row scored against every row, a block of rows at a time."""
    n = vectors.n
    step = max(1, BLOCK_CELLS // n)
    everyone = slice(0, n)
    found = []
    for start in range(0, n, step):
        block = vectors.score(slice(start, start + step), everyone)
        block[labels[start : start + step, None] == labels[None, :]] = -np.inf
        r, c, s = _top(block, threshold, k)
        found.append((r + start, c, s))
    return _joined(found)


def _forest(
    vectors: _Rows, threshold: float, labels: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows scored only against rows sharing a leaf of one of TREES random-projection trees."""
    rng = np.random.default_rng(SEED)
    found = []
    for _ in range(TREES):
        for leaf in _leaves(vectors, rng):
            block = vectors.score(leaf, leaf)
            block[labels[leaf][:, None] == labels[leaf][None, :]] = -np.inf
            r, c, s = _top(block, threshold, k)
            found.append((leaf[r], leaf[c], s))
    rows, cols, sims = _joined(found)
    # One pair found in several trees counts once; then each row keeps its k closest.
    order = np.lexsort((cols, rows))
    rows, cols, sims = rows[order], cols[order], sims[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, sims = rows[first], cols[first], sims[first]
    order = np.lexsort((cols, -sims, rows))
    rows, cols, sims = rows[order], cols[order], sims[order]
    starts = np.searchsorted(rows, rows, side="left")
    keep = np.arange(len(rows)) - starts < k
    return rows[keep], cols[keep], sims[keep]


def _leaves(vectors: _Rows, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """The leaves of one tree: rows cut at the median along the line between two of them."""
    stack = [np.arange(vectors.n)]
    while stack:
        rows = stack.pop()
        if len(rows) <= LEAF_ROWS:
            yield rows
            continue
        a, b = rng.choice(len(rows), size=2, replace=False)
        side = vectors.project(rows, int(rows[a]), int(rows[b]))
        half = len(rows) // 2
        order = np.argpartition(side, half)
        stack.extend((rows[order[:half]], rows[order[half:]]))


def _joined(
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (rows, columns, similarities) found block by block, as three arrays."""
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    rows, cols, sims = zip(*found, strict=True)
    return (
        np.concatenate(rows).astype(np.int64),
        np.concatenate(cols).astype(np.int64),
        np.concatenate(sims),
    )
