"""Near-duplicate reports at scale: MinHash signatures of word 5-grams in an LSH index.

One outlet republishing another's wire text, lightly edited or not, is a copy; a copy counts
as one independent source with its original. Within one story, claims.find_copies compares
shingle sets exactly; across a stream of many stories this index finds candidates in
constant time per report and can forget reports whose stories have closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from newsweave.records import Report
from newsweave.text.words import shingles


@dataclass(frozen=True)
class CopySettings:
    """How alike two texts must be to count as one wire text."""

    threshold: float = 0.5  # estimated Jaccard similarity of word 5-gram sets
    num_perm: int = 128
    shingle: int = 5
    min_shingles: int = 8  # shorter texts say too little to call a copy


class CopyIndex:
    """Reports seen so far, searchable for near-duplicates of a new one."""

    def __init__(self, settings: CopySettings | None = None) -> None:
        from datasketch import MinHash, MinHashLSH

        self.settings = settings or CopySettings()
        self._lsh = MinHashLSH(threshold=self.settings.threshold, num_perm=self.settings.num_perm)
        # Made once and shared: each MinHash would otherwise draw its own (same) permutations,
        # which costs more time than hashing a short report.
        self._scheme = MinHash(num_perm=self.settings.num_perm)
        self._signatures: dict[str, object] = {}
        self._original: dict[str, str] = {}  # copy id -> the earliest report of its text

    def __len__(self) -> int:
        return len(self._signatures)

    def signature(self, text: str) -> Any | None:
        """The text's MinHash (a datasketch LeanMinHash), or None if it is too short to judge."""
        from datasketch import LeanMinHash, MinHash

        grams = shingles(text, self.settings.shingle)
        if len(grams) < self.settings.min_shingles:
            return None
        signature = MinHash(
            num_perm=self.settings.num_perm,
            permutations=self._scheme.permutations,
            scheme=self._scheme.scheme,
        )
        signature.update_batch(list(grams))
        # Kept lean (its hash values only): a third of the memory, for every report indexed.
        return LeanMinHash(signature)

    def add(self, report: Report) -> str | None:
        """Index a report; return the id of the earlier report it copies, if any.

        The original of a copy of a copy is the first report of the chain, even when that one
        has since been forgotten (it is still where the text came from).
        """
        if report.id in self._signatures:
            return self._original.get(report.id)
        signature = self.signature(report.text)
        if signature is None:
            return None
        matches = sorted(self._lsh.query(signature))
        original = None
        if matches:
            # The best match, resolved to the first report of its wire text.
            best = max(matches, key=lambda k: (self._signatures[k].jaccard(signature), k))
            original = self._original.get(best, best)
            self._original[report.id] = original
        self._lsh.insert(report.id, signature)
        self._signatures[report.id] = signature
        return original

    def forget(self, report_ids: Iterable[str]) -> None:
        """Drop reports (for example those of closed stories) so memory stays bounded."""
        for report_id in report_ids:
            if report_id in self._signatures:
                self._lsh.remove(report_id)
                del self._signatures[report_id]
                self._original.pop(report_id, None)
