"""One story's reports as read, aligned and compared: the record the brief and the verifier share.

`Analysis` is what newsweave.writing.claims.analyse makes of a story's reports (sentences,
vectors, slots, independent sources, claims, disagreements); the composer, the writers and
the story verifier (newsweave.verification.story) read it. `StoryConflict` and its `Side`s
are the disagreements found in it (newsweave.writing.conflicts). Every record is immutable.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from newsweave.records import Claim, ConflictStrength, Report, Sentence, Slot
from newsweave.text.embed import Thresholds
from newsweave.text.values.fact import Fact
from newsweave.text.words import content_words

# Sentences examined at most when looking for those that hold another's words (a real story
# has a few hundred sentences in all, and few hold its rarest words).
MAX_EXAMINED = 256


@dataclass(frozen=True)
class Side:
    """One value of a disagreement, the reports holding it and the sentence each says it in."""

    value: str  # as written, the fullest form
    report_ids: tuple[str, ...]
    facts: tuple[Fact, ...] = ()
    evidence: tuple[str, ...] = ()  # one sentence per report, in report_ids order


@dataclass(frozen=True)
class StoryConflict:
    """Reports of one story that give incompatible values for one fact."""

    kind: str  # "number", "age", "date", "place", or "claim" (one report denies another)
    about: str  # "the age of Geraldine Alcorn", "the death toll"
    sides: tuple[Side, ...]
    strength: ConflictStrength = "hard"
    running: bool = False  # values of a growing tally, in time order
    row: int = -1  # a sentence of the story the disagreement is about (for placement)


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
    notes: tuple[str, ...] = ()  # what was not read of the reports (limits), and why

    @cached_property
    def index(self) -> dict[Sentence, int]:
        """Row of each sentence in `sentences`, `embeddings` and `slots`."""
        return {s: i for i, s in enumerate(self.sentences)}

    @cached_property
    def words(self) -> WordIndex:
        """The content words of every sentence, searchable by the words another must share."""
        return WordIndex([content_words(s.text) for s in self.sentences])

    @cached_property
    def _reports(self) -> dict[str, Report]:
        return {r.id: r for r in self.reports}

    @cached_property
    def _by_place(self) -> dict[tuple[str, int], Sentence]:
        return {(s.report_id, s.index): s for s in self.sentences}

    def sentence_at(self, report_id: str, index: int) -> Sentence | None:
        """The report's sentence at this position, if it has one."""
        return self._by_place.get((report_id, index))

    def report(self, report_id: str) -> Report:
        """The report with this id."""
        return self._reports[report_id]

    def independent(self, report_ids: Sequence[str]) -> int:
        """How many independent sources these reports come from."""
        return len({self.groups[r] for r in report_ids})


class WordIndex:
    """Sentences' content words, with the rows holding each word (in row order)."""

    def __init__(self, words: Sequence[set[str]]) -> None:
        self.words = words
        self._rows: dict[str, list[int]] = {}
        for row, found in enumerate(words):
            for word in found:
                self._rows.setdefault(word, []).append(row)

    def sharing(self, wanted: set[str], share: float, limit: int = MAX_EXAMINED) -> Iterator[int]:
        """Rows, in order, holding at least `share` of the wanted words (`limit` looked at)."""
        if not wanted:
            return
        need = next(m for m in range(len(wanted) + 1) if m / len(wanted) >= share)
        # A row missing all of the rarest len(wanted) - need + 1 wanted words holds fewer than
        # `need` of them: only rows holding one of those are looked at (a prefix filter).
        rarest = sorted(wanted, key=lambda w: (len(self._rows.get(w, ())), w))
        lists = [self._rows.get(w, []) for w in rarest[: len(wanted) - need + 1]]
        if sum(map(len, lists)) <= 4 * limit:
            rows: Iterable[int] = sorted(set().union(*lists))
        else:  # merged lazily: only the first `limit` rows are looked at
            rows = (row for row, _ in itertools.groupby(heapq.merge(*lists)))
        for row in itertools.islice(rows, limit):
            if len(wanted & self.words[row]) >= need:
                yield row
