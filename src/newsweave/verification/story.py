"""Verification of one story's brief: every citation, and denials between its reports.

A brief sentence is checked against each report it cites (its own report supports it); a
report that plainly denies what another asserts makes a conflict of kind "claim". Each report
is prepared once per brief from what the analysis already holds (sentences, vectors, dates).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from newsweave.analysis import Analysis, Side, StoryConflict
from newsweave.records import Claim, Sentence
from newsweave.text.dates import resolve_relative
from newsweave.text.embed import WORDLLAMA_DIMS, Embedder
from newsweave.text.neighbours import close_pairs
from newsweave.text.sentences import is_candidate
from newsweave.text.values.statements import Text, analyse_text, opposites, phrase, recall
from newsweave.verification.checks import (
    NOT_A_CLAIM,
    Finding,
    PreparedSource,
    check_negation,
    is_negative,
    withholds,
)
from newsweave.verification.citations import Verification, Verifier

# Partners per sentence looked at for a denial (real stories have at most six close ones).
CLAIM_NEIGHBOURS = 16


def denial(a: Text, b: Text) -> Finding | None:
    """Whether one of two near-identical statements plainly denies what the other asserts.

    Stricter than the citation check: the statements share most of their content words, one
    is free of any negation, and the other negates (or denies) one of the shared words that
    is not a word of saying or knowing.
    """
    shared = a.content & b.content
    if len(shared) < 3 or min(recall(a.content, b.content), recall(b.content, a.content)) < 0.6:
        return None
    for plain, negative in ((a, b), (b, a)):
        if is_negative(plain):
            continue
        flipped = sorted((negative.negated & shared) - NOT_A_CLAIM)
        if flipped and not withholds(negative):
            return Finding("negation", "contradicted", phrase(plain, flipped[0]), negative.text)
    return None


def contradiction(a: Text, b: Text) -> Finding | None:
    """Whether two statements about one thing oppose each other: a negation or an antonym."""
    for one, other in ((a, b), (b, a)):
        found = check_negation(one, [other])
        if found:
            return found[0]
        table = opposites()
        for s in one.content - other.content:
            if s in table:
                same, opposed = table[s]
                clash = (opposed & other.content) - one.content
                if clash and not same & other.content:
                    return Finding("antonyms", "contradicted", phrase(one, s), sorted(clash)[0])
    return None


class StoryVerifier:
    """The verifier applied to one analysed story: each report prepared once, on first use."""

    def __init__(self, verifier: Verifier, analysis: Analysis, max_claim_conflicts: int = 2):
        self.verifier = verifier
        self.analysis = analysis
        self.max_claim_conflicts = max_claim_conflicts
        # Caches for this one story only; the object lives as long as one brief is made.
        self._texts: dict[int, Text] = {}
        self._sources: dict[str, PreparedSource] = {}
        self._rows: dict[str, list[int]] = {}
        for i, sentence in enumerate(analysis.sentences):
            self._rows.setdefault(sentence.report_id, []).append(i)
        self._vectors = self._dense_vectors()

    def _dense_vectors(self) -> np.ndarray | None:
        """The verifier's vector of every story sentence, computed once."""
        embedder = self.verifier.embedder
        emb = self.analysis.embeddings
        if embedder is None or not len(self.analysis.sentences):
            return None
        if embedder.name == "wordllama" and emb.shape[1] > WORDLLAMA_DIMS:
            # Hybrid rows are [WordLlama, TF-IDF] / sqrt(2): the first half is the vector itself.
            dense = emb[:, :WORDLLAMA_DIMS] * math.sqrt(2)
            if np.allclose(np.linalg.norm(dense, axis=1), 1.0, atol=1e-3):
                return dense.astype(np.float32)
        return embedder.encode([s.text for s in self.analysis.sentences])

    def text(self, row: int) -> Text:
        """The analysed sentence at this row of the analysis."""
        if row not in self._texts:
            self._texts[row] = analyse_text(self.analysis.sentences[row].text)
        return self._texts[row]

    def source(self, report_id: str) -> PreparedSource:
        """One report, prepared for verification from what the analysis already holds."""
        if report_id not in self._sources:
            rows = self._rows.get(report_id, [])
            self._sources[report_id] = self.verifier.prepare(
                [self.analysis.sentences[r] for r in rows],
                self.analysis.report(report_id).published,
                analysed=[self.text(r) for r in rows],
                vectors=None if self._vectors is None else self._vectors[rows],
                dates=[slot for r in rows for slot in self.analysis.slots[r]],
            )
        return self._sources[report_id]

    def check(self, sentence: Sentence, report_ids: Sequence[str]) -> dict[str, Verification]:
        """The verdict of each report on a sentence of the story (its own report supports it)."""
        row = self.analysis.index[sentence]
        published = self.analysis.report(sentence.report_id).published
        vector = None if self._vectors is None else self._vectors[row]
        results = {}
        for report_id in report_ids:
            if report_id == sentence.report_id:
                results[report_id] = Verification("supported", 1.0, (sentence.text,), (), 1.0, 1.0)
            else:
                results[report_id] = self.verifier.verify_sentence(
                    self.text(row), self.source(report_id), published, vector
                )
        return results

    def claim_conflicts(self) -> list[StoryConflict]:
        """Statements that one report makes and another denies, as conflicts of kind "claim".

        Pairs of close sentences from independent sources are compared (negation, denial,
        antonyms); each side collects the reports of its claim that say the same.
        """
        a = self.analysis
        if len(a.sentences) < 2 or self.max_claim_conflicts < 1:
            return []
        groups = [a.groups[s.report_id] for s in a.sentences]
        # Close pairs from a neighbour index, each sentence's closest few: all pairs above the
        # threshold grow with the square of the story (gigabytes for repeated input).
        pairs = close_pairs(a.embeddings, a.thresholds.align, groups, CLAIM_NEIGHBOURS)
        claim_of = {s: c for c in a.claims for s in c.sentences}
        found: list[StoryConflict] = []
        taken: set[int] = set()
        for _, i, j in pairs:
            if len(found) >= self.max_claim_conflicts:
                break
            if taken & {claim_of[a.sentences[i]].id, claim_of[a.sentences[j]].id}:
                continue
            if not (is_candidate(a.sentences[i].text) and is_candidate(a.sentences[j].text)):
                continue  # a fragment cannot be quoted as one side of a disagreement
            if _excerpt(a.sentences[i].text, a.sentences[j].text):
                continue  # a quotation and its own shorter version say the same thing
            if denial(self.text(i), self.text(j)) is None:
                continue
            conflict = self._claim_conflict(i, j, claim_of)
            if conflict is not None:
                found.append(conflict)
                taken |= {claim_of[a.sentences[i]].id, claim_of[a.sentences[j]].id}
        return found

    def _claim_conflict(
        self, i: int, j: int, claim_of: dict[Sentence, Claim]
    ) -> StoryConflict | None:
        """The two sides of a contradiction between the sentences at rows i and j."""
        a = self.analysis
        first, second = a.sentences[i], a.sentences[j]
        members = {*claim_of[first].sentences, *claim_of[second].sentences}
        side_i, side_j = [first.report_id], [second.report_id]
        for sentence in members - {first, second}:
            row = a.index[sentence]
            against_i = denial(self.text(row), self.text(i)) is not None
            against_j = denial(self.text(row), self.text(j)) is not None
            if against_j and not against_i:
                side_i.append(sentence.report_id)
            elif against_i and not against_j:
                side_j.append(sentence.report_id)
        both = set(side_i) & set(side_j)
        ids_i = tuple(dict.fromkeys(r for r in side_i if r not in both))
        ids_j = tuple(dict.fromkeys(r for r in side_j if r not in both))
        if not ids_i or not ids_j:
            return None
        evidence = {s.report_id: s.text for s in members}
        return StoryConflict(
            "claim",
            "what happened",
            (
                Side(self._clause(first), ids_i, (), tuple(evidence[r] for r in ids_i)),
                Side(self._clause(second), ids_j, (), tuple(evidence[r] for r in ids_j)),
            ),
            row=i,
        )

    def _clause(self, sentence: Sentence) -> str:
        """A sentence as one side of a disagreement: relative dates resolved, no final stop."""
        text, _ = resolve_relative(
            sentence.text, self.analysis.report(sentence.report_id).published
        )
        return text.rstrip().rstrip(".")


_QUOTED = re.compile(r"[\"“]([^\"“”]{12,})[\"”]")


def _excerpt(a: str, b: str) -> bool:
    """Whether one sentence's quotation is contained in the other's."""
    quotes_a = [" ".join(q.lower().split()) for q in _QUOTED.findall(a)]
    quotes_b = [" ".join(q.lower().split()) for q in _QUOTED.findall(b)]
    return any(x.strip(" .,") in y or y.strip(" .,") in x for x in quotes_a for y in quotes_b)


def brief_verifier(embedder: Embedder | None) -> Verifier:
    """The verifier for briefs made with this embedder: its WordLlama part, if it has one."""
    dense = getattr(embedder, "dense", None)
    if dense is None and embedder is not None and embedder.name == "wordllama":
        dense = embedder
    return Verifier(dense)


__all__ = ["StoryVerifier", "brief_verifier", "contradiction", "denial"]
