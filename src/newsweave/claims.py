"""Align sentences across reports into claims, find syndicated copies and slot conflicts."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np

from newsweave.records import Claim, ConflictKind, Report, Sentence, Slot, SlotKind
from newsweave.text.dates import format_date
from newsweave.text.embed import Embedder, Thresholds
from newsweave.text.sentences import report_sentences
from newsweave.text.slots import agree, disagree, extract_slots, slot_key
from newsweave.text.words import shingles

# Share of a report's word 5-grams found in another report that marks wire copy.
COPY_CONTAINMENT = 0.6
SLOT_KINDS: tuple[SlotKind, ...] = ("place", "number", "date", "person")
# Dates and people contradict only between close sentences: "met on Tuesday" and "returned
# on Thursday after the talks" are about different moments of one event.
STRICT_KINDS = frozenset({"date", "person"})


@dataclass(frozen=True)
class Side:
    """One value of a disagreement and the reports that hold it."""

    value: str  # as written, the fullest form: "Bishkek, Kyrgyzstan", "three months"
    report_ids: tuple[str, ...]
    slots: tuple[Slot, ...] = ()  # the extracted values, compared with slots.agree


@dataclass(frozen=True)
class SlotConflict:
    """Reports of one claim that disagree on one slot, or (kind "claim") assert and deny it."""

    kind: ConflictKind
    key: str
    claim_id: int
    sides: tuple[Side, ...]


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
    conflicts: tuple[SlotConflict, ...]
    thresholds: Thresholds

    @cached_property
    def index(self) -> dict[Sentence, int]:
        """Row of each sentence in `sentences`, `embeddings` and `slots`."""
        return {s: i for i, s in enumerate(self.sentences)}

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


def _label(slot: Slot) -> str:
    """How a value is written in a brief: dates in full, everything else as the source wrote it."""
    if slot.kind == "date" and not slot.value.startswith("--"):
        return format_date(date.fromisoformat(slot.value))
    return slot.text


def _sides(
    kind: SlotKind,
    indices: Sequence[int],
    sentences: Sequence[Sentence],
    slots: Sequence[Sequence[Slot]],
) -> list[tuple[str, list[Side]]]:
    """For each key of this kind: the distinct values and the reports giving each."""
    by_key: dict[str, list[Side]] = {}
    for i in indices:
        mine = [s for s in slots[i] if s.kind == kind]
        for key in dict.fromkeys(slot_key(s) for s in mine):
            own = tuple(s for s in mine if slot_key(s) == key)
            label = ", ".join(dict.fromkeys(_label(s) for s in own))
            by_key.setdefault(key, []).append(Side(label, (sentences[i].report_id,), own))
    result = []
    for key, entries in by_key.items():
        # Compatible values are one side ("Bishkek" and "Bishkek, Kyrgyzstan").
        uf = _UnionFind(len(entries))
        for a in range(len(entries)):
            for b in range(a):
                if agree(entries[a].slots, entries[b].slots):
                    uf.union(a, b)
        sides: dict[int, Side] = {}
        for k, entry in enumerate(entries):
            root = uf.find(k)
            sides[root] = _join(sides[root], entry) if root in sides else entry
        if len(sides) > 1:
            result.append((key, list(sides.values())))
    return result


def _join(a: Side, b: Side) -> Side:
    """One side from two: the fullest label names it; reports and values are joined."""
    ids = a.report_ids + tuple(r for r in b.report_ids if r not in a.report_ids)
    return Side(max(a.value, b.value, key=len), ids, a.slots + b.slots)


def find_conflicts(
    claims: Sequence[Claim],
    sentences: Sequence[Sentence],
    embeddings: np.ndarray,
    slots: Sequence[Sequence[Slot]],
    thresholds: Thresholds,
) -> list[SlotConflict]:
    """Slots on which the sentences of one claim disagree, each side with its reports."""
    conflicts: list[SlotConflict] = []
    index = {s: i for i, s in enumerate(sentences)}
    for claim in claims:
        if len(claim.report_ids) < 2:
            continue
        indices = [index[s] for s in claim.sentences]
        for kind in SLOT_KINDS:
            for key, sides in _sides(kind, indices, sentences, slots):
                # A report on two sides says both; it cannot count for either.
                seen = Counter(r for side in sides for r in side.report_ids)
                clean = [
                    Side(side.value, tuple(r for r in side.report_ids if seen[r] == 1), side.slots)
                    for side in sides
                ]
                clean = [s for s in clean if s.report_ids]
                if len(clean) > 1 and _close_enough(
                    kind, clean, claim, embeddings, index, thresholds.conflict
                ):
                    found = SlotConflict(kind, key, claim.id, tuple(clean))
                    conflicts.append(
                        _extend_sides(
                            found, claim, sentences, embeddings, slots, thresholds.related
                        )
                    )
    return _merge_conflicts(conflicts)


def _close_enough(
    kind: str,
    sides: Sequence[Side],
    claim: Claim,
    embeddings: np.ndarray,
    index: dict[Sentence, int],
    need: float,
) -> bool:
    """Whether some pair of sentences on different sides is similar enough to contradict."""
    if kind not in STRICT_KINDS:
        return True
    rows = {s.report_id: index[s] for s in claim.sentences}
    for a, side_a in enumerate(sides):
        for side_b in sides[a + 1 :]:
            pairs = [
                (rows[ra], rows[rb])
                for ra in side_a.report_ids
                for rb in side_b.report_ids
                if ra in rows and rb in rows
            ]
            if any(float(embeddings[i] @ embeddings[j]) >= need for i, j in pairs):
                return True
    return False


def _extend_sides(
    conflict: SlotConflict,
    claim: Claim,
    sentences: Sequence[Sentence],
    embeddings: np.ndarray,
    slots: Sequence[Sequence[Slot]],
    related: float,
) -> SlotConflict:
    """Add reports that state one side's value in a sentence related to the claim.

    A report may say "returned from Bishkek after the talks" without its sentence aligning with
    "met in Bishkek"; it still holds that value.
    """
    index = {s: i for i, s in enumerate(sentences)}
    rows = [index[s] for s in claim.sentences]
    placed = {r for side in conflict.sides for r in side.report_ids}
    sims = embeddings @ embeddings[rows].T
    found: dict[str, set[str]] = {}
    for i, sentence in enumerate(sentences):
        if sentence.report_id in placed or float(sims[i].max()) < related:
            continue
        values = [s for s in slots[i] if s.kind == conflict.kind and slot_key(s) == conflict.key]
        for side in conflict.sides:
            if agree(values, side.slots):
                found.setdefault(sentence.report_id, set()).add(side.value)
    sides = []
    for side in conflict.sides:
        extra = tuple(r for r, v in found.items() if v == {side.value})  # only unambiguous ones
        sides.append(Side(side.value, side.report_ids + extra, side.slots))
    return SlotConflict(conflict.kind, conflict.key, conflict.claim_id, tuple(sides))


def _merge_conflicts(conflicts: Sequence[SlotConflict]) -> list[SlotConflict]:
    """One conflict per slot and set of values, found in several claims: sides joined."""
    merged: list[SlotConflict] = []
    for conflict in conflicts:
        values = [v for side in conflict.sides for v in side.slots]
        for k, known in enumerate(merged):
            same_slot = (known.kind, known.key) == (conflict.kind, conflict.key)
            if not same_slot or not agree(values, [v for s in known.sides for v in s.slots]):
                continue
            sides = list(known.sides)
            for side in conflict.sides:
                j = next((j for j, old in enumerate(sides) if agree(old.slots, side.slots)), None)
                if j is None:
                    sides.append(side)
                else:
                    sides[j] = _join(sides[j], side)
            merged[k] = SlotConflict(known.kind, known.key, known.claim_id, tuple(sides))
            break
        else:
            merged.append(conflict)
    return merged


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
    conflicts = tuple(find_conflicts(claims, sentences, embeddings, slots, thresholds))
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
