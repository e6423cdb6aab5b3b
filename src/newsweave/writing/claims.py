"""Align sentences across reports into claims, find syndicated copies and slot conflicts."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from newsweave.analysis import Analysis
from newsweave.config import Limits
from newsweave.records import Claim, Report, Sentence, Slot, SlotKind
from newsweave.text.embed import Embedder, Thresholds
from newsweave.text.neighbours import close_pairs
from newsweave.text.sentences import SentenceReader
from newsweave.text.values.slots import disagree, extract_slots
from newsweave.text.words import WORD, shingles
from newsweave.writing.conflicts import find_story_conflicts

# Share of a report's word 5-grams found in another report that marks wire copy.
COPY_CONTAINMENT = 0.6
# 5-gram lookups (summed over pairs of reports) past which copies are found on a sample of
# every report's 5-grams, the same sample in each (real stories need a few hundred thousand).
COPY_WORK = 20_000_000
# Partners per sentence that can join its claim: real stories have at most six above the
# alignment threshold (Multi-News dev), a hostile one could have thousands.
ALIGN_NEIGHBOURS = 32
# A report repeating its sentences this many times or more gets a note.
REPEATS_NOTED = 20
SLOT_KINDS: tuple[SlotKind, ...] = ("place", "number", "date", "person")


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
    # Past COPY_WORK, each report's 5-grams are sampled by a hash (the same ones in every
    # report, so shares stay comparable): hundreds of long reports would take minutes.
    sizes = sorted(max(0, len(WORD.findall(r.text.lower())) - 4) for r in ordered)
    # Each pair costs about the smaller of its two sets.
    work = sum(size * (len(sizes) - 1 - k) for k, size in enumerate(sizes))
    one_in = max(1, math.ceil(work / COPY_WORK))
    grams = [_sampled(shingles(r.text, 5), one_in) for r in ordered]
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


def _sampled(grams: set[bytes], one_in: int) -> set[bytes]:
    """The 5-grams whose hash falls in one bucket of one_in: the same ones in every report."""
    if one_in == 1:
        return grams
    return {g for g in grams if zlib.crc32(g) % one_in == 0}


def align(
    sentences: Sequence[Sentence],
    embeddings: np.ndarray,
    threshold: float,
    neighbours: int = ALIGN_NEIGHBOURS,
) -> list[list[int]]:
    """Group sentence indices into claims: at most one sentence per report, average link."""
    # Copies of one sentence in several reports are one claim from the start; claims then
    # merge along close pairs from a neighbour index (each sentence's closest `neighbours`,
    # not all pairs: those grow with the square of the story), closest pair first.
    n = len(sentences)
    if n == 0:
        return []
    report_of = [s.report_id for s in sentences]
    members: dict[int, list[int]] = {}  # claim (its first row) -> its rows
    copies: dict[tuple[str, int], int] = {}  # (text, how often its report said it) -> claim
    said: dict[tuple[str, str], int] = {}
    for i, s in enumerate(sentences):
        # A report saying a text twice (unusual once repeats are dropped) gives two claims.
        times = said[(s.report_id, s.text)] = said.get((s.report_id, s.text), 0) + 1
        members.setdefault(copies.setdefault((s.text, times), i), []).append(i)
    owner = {i: root for root, rows in members.items() for i in rows}
    reports = {root: {report_of[i] for i in rows} for root, rows in members.items()}
    # Sum of a claim's rows: the mean similarity between two claims is the product of their
    # sums over the product of their sizes, without a similarity matrix.
    sums = {root: embeddings[rows].sum(axis=0) for root, rows in members.items() if len(rows) > 1}
    roots = list(members)
    groups = [report_of[root] for root in roots]
    vectors = embeddings if len(roots) == n else embeddings[roots]
    for _, a, b in close_pairs(vectors, threshold, groups, neighbours):
        a, b = owner[roots[a]], owner[roots[b]]
        if a == b or reports[a] & reports[b]:
            continue  # a claim takes one sentence per report
        left, right = members[a], members[b]
        sum_a = sums.get(a, embeddings[a])
        sum_b = sums.get(b, embeddings[b])
        # Average link keeps chains of loosely related sentences from merging.
        if float(sum_a @ sum_b) / (len(left) * len(right)) < threshold:
            continue
        members[a] = left + right
        reports[a] |= reports.pop(b)
        sums[a] = sum_a + sum_b
        sums.pop(b, None)
        for k in right:
            owner[k] = a
        del members[b]
    return sorted(members.values(), key=lambda m: min(m))


def read_story(reports: Sequence[Report], limits: Limits) -> tuple[list[list[Sentence]], list[str]]:
    """Each report's distinct sentences, read within the limits, and notes naming each cut."""
    # The story's sentences_per_brief are shared out so that every report keeps its first
    # sentences (news puts what matters first); reading stops at a limit, so the rest of a
    # text is not even split.
    readers = [SentenceReader(r.text, limits.sentence_chars) for r in reports]
    per_report, budget = limits.sentences_per_report, limits.sentences_per_brief
    reading = list(range(len(readers)))
    while reading and budget > 0:
        share = max(1, budget // len(reading))
        still = []
        for k in reading:
            want = min(share, per_report - len(readers[k].texts), budget)
            got = readers[k].read(want)
            budget -= got
            if got and got == want and len(readers[k].texts) < per_report:
                still.append(k)
        reading = still
    notes = []
    for number, (report, reader) in enumerate(zip(reports, readers, strict=True), start=1):
        who = f"Source {number} ({report.outlet})" if report.outlet else f"Source {number}"
        if len(reader.texts) >= per_report and reader.more():
            notes.append(
                f"{who}: only its first {per_report:,} distinct sentences were read "
                "(limit sentences_per_report)."
            )
        if reader.repeats >= REPEATS_NOTED:
            notes.append(f"{who}: {reader.repeats:,} repeated sentences were read once.")
    if budget <= 0 and any(len(r.texts) < per_report and r.more() for r in readers):
        notes.append(
            f"Only {limits.sentences_per_brief:,} distinct sentences of the story were read, "
            "the first ones of each report (limit sentences_per_brief)."
        )
    return [reader.records(r.id) for r, reader in zip(reports, readers, strict=True)], notes


def _slots(
    sentences: Sequence[Sentence], published: dict[str, datetime | None]
) -> tuple[tuple[Slot, ...], ...]:
    """The slots of every sentence, found once for each text and publication time."""
    found: dict[tuple[str, datetime | None], tuple[Slot, ...]] = {}
    for s in sentences:
        key = (s.text, published[s.report_id])
        if key not in found:
            found[key] = tuple(extract_slots(s.text, key[1]))
    return tuple(found[(s.text, published[s.report_id])] for s in sentences)


def analyse(
    reports: Sequence[Report],
    embedder: Embedder,
    thresholds: Thresholds | None = None,
    limits: Limits | None = None,
) -> Analysis:
    """Split, embed, align and compare the reports of one story, within the limits."""
    thresholds = thresholds or embedder.thresholds
    reports = tuple(publication_order(reports))
    read, notes = read_story(reports, limits or Limits())
    sentences = tuple(s for found in read for s in found)
    published = {r.id: r.published for r in reports}
    embeddings = embedder.encode([s.text for s in sentences])
    slots = _slots(sentences, published)
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
        reports,
        sentences,
        embeddings,
        slots,
        groups,
        copies,
        claims,
        conflicts,
        thresholds,
        tuple(notes),
    )


def supporting(analysis: Analysis, claim: Claim, sentence: Sentence) -> tuple[str, ...]:
    """Reports in the claim whose sentence agrees with `sentence` on every slot."""
    index = analysis.index
    mine = analysis.slots[index[sentence]]
    agrees: dict[tuple[Slot, ...], bool] = {}  # copies of a sentence have the same slots
    found = []
    for s in claim.sentences:
        theirs = analysis.slots[index[s]]
        if theirs not in agrees:
            agrees[theirs] = not any(disagree(mine, theirs, kind) for kind in SLOT_KINDS)
        if agrees[theirs]:
            found.append(s.report_id)
    return tuple(found)
