"""Align sentences across reports into claims, find syndicated copies and slot conflicts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from newsweave.conflicts import StoryConflict, find_story_conflicts
from newsweave.records import Claim, Report, Sentence, Slot, SlotKind
from newsweave.text.embed import Embedder, Thresholds
from newsweave.text.sentences import report_sentences
from newsweave.text.slots import disagree, extract_slots
from newsweave.text.words import shingles

# Share of a report's word 5-grams found in another report that marks wire copy.
COPY_CONTAINMENT = 0.6
SLOT_KINDS: tuple[SlotKind, ...] = ("place", "number", "date", "person")


@dataclass(frozen=True)
class Analysis:
    """Everything the composer needs to know about one story's reports."""

    reports: tuple[Report, ...]
    sentences: tuple[Sentence, ...]
    embeddings: np.ndarray  # one unit row per sentence, same order as sentences
    slots: tuple[tuple[Slot, ...], ...]  # per sentence
    groups: dict[str, int]  # report id -> independent source group
    copies: dict[str, str]  # report id -> id of the report whose wire text it republishes
    claims: tuple[Claim, ...]
    conflicts: tuple[StoryConflict, ...]
    thresholds: Thresholds

    @cached_property
    def index(self) -> dict[Sentence, int]:
        """Row of each sentence in `sentences`, `embeddings` and `slots`."""
        return {s: i for i, s in enumerate(self.sentences)}

    @cached_property
    def _by_place(self) -> dict[tuple[str, int], Sentence]:
        return {(s.report_id, s.index): s for s in self.sentences}

    def sentence_at(self, report_id: str, index: int) -> Sentence | None:
        """The report's sentence at this position, if it has one."""
        return self._by_place.get((report_id, index))

    def report(self, report_id: str) -> Report:
        """The report with this id."""
        return next(r for r in self.reports if r.id == report_id)

    def independent(self, report_ids: Sequence[str]) -> int:
        """How many independent sources these reports come from."""
        return len({self.groups[r] for r in report_ids})


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def publication_order(reports: Sequence[Report]) -> list[Report]:
    """Reports by publication time; undated ones last; ties keep their input order."""
    # sorted() is stable, so equal keys keep the order they came in.
    return sorted(reports, key=lambda r: r.published.timestamp() if r.published else math.inf)


def find_copies(reports: Sequence[Report]) -> tuple[dict[str, int], dict[str, str]]:
    """Independent-source groups (wire copies and same-outlet reports count once) and copies.

    A report is a copy of an earlier one when most of its word 5-grams appear in it.
    """
    ordered = publication_order(reports)
    grams = [shingles(r.text, 5) for r in ordered]
    uf = _UnionFind(len(ordered))
    copies: dict[str, str] = {}
    for j in range(len(ordered)):
        for i in range(j):
            small = min(len(grams[i]), len(grams[j]))
            if small and len(grams[i] & grams[j]) / small >= COPY_CONTAINMENT:
                uf.union(i, j)
                copies.setdefault(ordered[j].id, ordered[i].id)
            elif ordered[i].outlet.casefold() == ordered[j].outlet.casefold():
                uf.union(i, j)
    roots: dict[int, int] = {}
    groups = {r.id: roots.setdefault(uf.find(k), len(roots)) for k, r in enumerate(ordered)}
    return groups, copies


def align(
    sentences: Sequence[Sentence], embeddings: np.ndarray, threshold: float
) -> list[list[int]]:
    """Group sentence indices into claims: at most one sentence per report, average link."""
    n = len(sentences)
    if n == 0:
        return []
    sims = embeddings @ embeddings.T
    report_of = [s.report_id for s in sentences]
    rows, cols = np.where(np.triu(sims, k=1) >= threshold)
    edges = sorted(
        ((float(sims[i, j]), int(i), int(j)) for i, j in zip(rows, cols, strict=True)
         if report_of[i] != report_of[j]),
        key=lambda e: (-e[0], e[1], e[2]),
    )  # fmt: skip
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    owner = list(range(n))
    for _, i, j in edges:
        a, b = owner[i], owner[j]
        if a == b:
            continue
        left, right = members[a], members[b]
        if {report_of[k] for k in left} & {report_of[k] for k in right}:
            continue  # a claim takes one sentence per report
        # Average link keeps chains of loosely related sentences from merging.
        if float(sims[np.ix_(left, right)].mean()) < threshold:
            continue
        members[a] = left + right
        for k in right:
            owner[k] = a
        del members[b]
    return sorted(members.values(), key=lambda m: min(m))


def analyse(
    reports: Sequence[Report], embedder: Embedder, thresholds: Thresholds | None = None
) -> Analysis:
    """Split, embed, align and compare the reports of one story."""
    thresholds = thresholds or embedder.thresholds
    reports = tuple(publication_order(reports))
    sentences = tuple(s for r in reports for s in report_sentences(r))
    published = {r.id: r.published for r in reports}
    embeddings = embedder.encode([s.text for s in sentences])
    slots = tuple(tuple(extract_slots(s.text, published[s.report_id])) for s in sentences)
    groups, copies = find_copies(reports)
    claims = tuple(
        Claim(k, tuple(sentences[i] for i in members))
        for k, members in enumerate(align(sentences, embeddings, thresholds.align))
    )
    conflicts = tuple(
        find_story_conflicts(
            reports, sentences, embeddings, groups, thresholds.related, thresholds.align
        )
    )
    return Analysis(
        reports, sentences, embeddings, slots, groups, copies, claims, conflicts, thresholds
    )


def supporting(analysis: Analysis, claim: Claim, sentence: Sentence) -> tuple[str, ...]:
    """Reports in the claim whose sentence agrees with `sentence` on every slot."""
    index = analysis.index
    mine = analysis.slots[index[sentence]]
    return tuple(
        s.report_id
        for s in claim.sentences
        if not any(disagree(mine, analysis.slots[index[s]], kind) for kind in SLOT_KINDS)
    )
