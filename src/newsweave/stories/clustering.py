"""Online story clustering: each incoming report joins the open story it is closest to.

A *story* is the reports about one real-world event. Reports arrive one at a time (or in
batches that are embedded together and then added in order); each is scored against every
**open** story and joins the best one when the score reaches ``StorySettings.threshold``,
otherwise it starts a new story with id ``"s-" + report.id``.

The score of a report against a story (docs/stories.md) is::

    text_weight * cosine(report vector, story centroid)
    + entity_weight * entity overlap
    + lexical_weight * idf-weighted cosine(hashed words of the report, of the story)
    - time_weight * min(1, gap / max_gap)

- *report vector*: the embedder's vector of the title (twice) and the first sentences of the
  text (embedded once); the *story centroid* is the running mean of its members' vectors.
  Use an embedder with a fixed vector space (WordLlama): the hybrid embedder's TF-IDF half
  is refitted on every call, so its vectors from two batches do not compare.
- *hashed words*: the lead's words (English stop words dropped) counted into
  ``lexical_dims`` buckets with scikit-learn's HashingVectorizer (a fixed space, nothing
  fitted), log-scaled; each bucket is weighted at scoring time by its inverse document
  frequency over the reports of the open stories, so words common right now count little.
- *entity overlap*: the report's names (capitalised words, years) weighted by their online
  inverse document frequency; the overlap is the idf-weighted share of the report's names,
  each counted by the fraction of the story's reports that carry it.
- *gap*: the distance between the report's publication time and the story's time span;
  a report with no date (or a story without one) gets no penalty. A report more than
  ``max_gap`` away cannot join.

A story with no new report for ``dormant_after`` (measured against the newest publication
time seen so far, so a replay gives the same result) is closed: removed from the index and
never joined again. Undated stories cannot age that way, so at most ``max_open`` stories
stay open; past that the least recently joined one is closed. The cost of one report is
therefore bounded by the open stories, not by all the reports ever added.

Everything is deterministic for a given input order: ties go to the story in the lowest
index row, and rows are reused in a fixed order.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

from newsweave.records import Report
from newsweave.stories.dedupe import CopyIndex
from newsweave.text.embed import Embedder

LEAD_SENTENCES = 5
LEAD_CHARS = 1200  # a lead longer than this is cut: five sentences rarely need more

# A cheap sentence cut for the lead (pysbd is far too slow for a stream of reports).
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’']?\s+(?=[\"“‘']?[A-Z0-9])")
_NAME = re.compile(r"\b(?:[A-Z][\w'’-]*[A-Za-z]|[A-Z]{2,}|1[89]\d\d|20\d\d)\b")
_POSSESSIVE = re.compile(r"['’]s$")
# Capitalised words that are not names: sentence openers, titles, months, weekdays.
_NOT_NAMES = frozenset(
    """a about after again against all also an and any are as at be because been before
    being but by can could did do does during each few for from further had has have having
    he her here hers him his how i if in into is it its just may me might more most must my
    no nor not now of off on once only or other our out over own same she should since so
    some such than that the their them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would yet
    you your said says say new news report reports reported according update updated breaking
    watch video photos live exclusive opinion analysis editorial read more mr mrs ms dr
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday
    friday saturday sunday today yesterday tomorrow police officials official authorities
    president minister government state people man woman men women officers""".split()
)


@dataclass(frozen=True)
class StorySettings:
    """How reports are grouped into stories (defaults tuned on dev data, docs/stories.md)."""

    threshold: float = 0.42  # score to join a story
    dormant_after: timedelta = timedelta(days=3)  # a story with no report for this long closes
    max_gap: timedelta = timedelta(days=7)  # a report this far from a story can't join it
    text_weight: float = 0.4
    entity_weight: float = 0.3
    lexical_weight: float = 0.3
    time_weight: float = 0.1  # penalty at a gap of max_gap, scaled linearly below it
    lexical_dims: int = 2048  # hashed word buckets of the lexical part
    max_open: int = 20_000  # open stories kept at most (bounds undated streams)

    def __post_init__(self) -> None:
        if self.dormant_after <= timedelta(0) or self.max_gap <= timedelta(0):
            raise ValueError("dormant_after and max_gap must be positive")
        if self.max_open < 1:
            raise ValueError("max_open must be at least 1")


@lru_cache(maxsize=4)
def _hasher(dims: int) -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        n_features=dims,
        alternate_sign=False,
        norm=None,
        stop_words="english",
        lowercase=True,
    )


def story_id(report: Report) -> str:
    """The id of the story a report starts."""
    return "s-" + report.id


def lead_text(report: Report, sentences: int = LEAD_SENTENCES) -> str:
    """The title and the first few sentences of the text: what a report is embedded by."""
    text = " ".join(report.text.split())[: LEAD_CHARS * 2]
    parts = _SENTENCE_END.split(text)
    lead = " ".join(parts[:sentences])[:LEAD_CHARS]
    title = " ".join(report.title.split())
    # The headline names the event most directly: it counts twice.
    return f"{title}. {title}. {lead}" if title else lead


def names(text: str) -> frozenset[str]:
    """The lower-cased names in a text: capitalised words (not common openers) and years."""
    found = set()
    for match in _NAME.finditer(text):
        word = _POSSESSIVE.sub("", match.group(0)).lower()
        if word not in _NOT_NAMES and len(word) > 1:
            found.add(word)
    return frozenset(found)


def _utc(when: datetime | None) -> float | None:
    """Seconds since the epoch; naive datetimes are taken as UTC."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


@dataclass
class _Story:
    id: str
    row: int
    size: int
    vector_sum: np.ndarray
    names: dict[str, int] = field(default_factory=dict)
    first: float | None = None  # earliest and latest publication times (seconds), if any
    last: float | None = None
    touched: int = 0  # sequence number of the last report that joined


class StoryIndex:
    """Open stories and the vectors, names and times needed to score a report against them."""

    _GROW = 256
    _BLOCK = 512  # reports whose hashed words are made at once
    # A name carried by more open stories than this says little about which one a report
    # belongs to (its idf is low) and would make scoring walk a long posting list: skipped.
    MAX_POSTINGS = 100

    def __init__(self, settings: StorySettings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._stories: dict[str, _Story] = {}  # open stories by id, oldest first
        self._by_row: list[str | None] = []
        self._free: list[int] = []  # rows of closed stories (heap: lowest reused first)
        self._dims = 0
        self._centroids = np.zeros((0, 0), dtype=np.float32)  # unit rows; closed rows zero
        # Hashed word counts: per story a column (a report's few buckets are then contiguous
        # rows) holding the sum of its reports' unit rows; its idf-weighted norm; per bucket
        # the open reports using it (idf over the window); per story its reports' buckets.
        self._lex = np.zeros((0, 0), dtype=np.float32)
        self._lex_norm = np.zeros(0, dtype=np.float64)
        self._lex_df = np.zeros(0, dtype=np.float32)
        self._member_buckets: dict[str, np.ndarray] = {}
        self._live = np.zeros(0, dtype=bool)
        self._first = np.zeros(0, dtype=np.float64)  # publication span per row; nan: undated
        self._last = np.zeros(0, dtype=np.float64)
        self._postings: dict[str, dict[str, int]] = {}  # name -> open story -> reports with it
        self._df: dict[str, int] = {}  # name -> open reports carrying it (idf over the window)
        self._open_reports = 0
        self._seen = 0
        self._now: float | None = None  # newest publication time seen
        self._expiry: list[tuple[float, int, str]] = []  # heap of (last time, seq, story id)
        self._closed: list[str] = []
        # Wire copies join their original's story outright, whatever the scores say.
        self._copies = CopyIndex()
        self._story_of: dict[str, str] = {}  # report id -> open story id
        self._members: dict[str, list[str]] = {}  # open story id -> its report ids

    # Public API

    def add(self, report: Report) -> str:
        """Add one report; the id of the story it joins or starts."""
        return self.add_many([report])[0]

    def add_many(self, reports: Sequence[Report]) -> list[str]:
        """Add reports in order, embedding them together first; their story ids."""
        if not reports:
            return []
        leads = [lead_text(r) for r in reports]
        vectors = self.embedder.encode(leads)
        found: list[str] = []
        # Hashed word rows are dense (lexical_dims floats each): made a block at a time, so
        # 36,000 reports cost a few MB here, not over a gigabyte.
        for start in range(0, len(reports), self._BLOCK):
            block = slice(start, start + self._BLOCK)
            lexical = self._hashed(leads[block])
            found += [
                self._add(r, v, lx)
                for r, v, lx in zip(reports[block], vectors[block], lexical, strict=True)
            ]
        return found

    def _hashed(self, leads: Sequence[str]) -> np.ndarray:
        """Word counts hashed into a fixed number of buckets (log-scaled, unit rows)."""
        dims = self.settings.lexical_dims
        if not self.settings.lexical_weight:
            return np.zeros((len(leads), 1), dtype=np.float32)
        counts = _hasher(dims).transform(leads)
        counts.data = np.log1p(counts.data)
        dense = counts.toarray().astype(np.float32)
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return dense / norms

    def open_story_ids(self) -> list[str]:
        """Ids of the stories that can still be joined, in the order they started."""
        return list(self._stories)

    def pop_closed(self) -> list[str]:
        """Ids of the stories closed since the last call (dormant or pushed out), in order."""
        closed, self._closed = self._closed, []
        return closed

    def __len__(self) -> int:
        return len(self._stories)

    # Scoring

    def _score(
        self,
        report_names: frozenset[str],
        vector: np.ndarray,
        lexical: np.ndarray,
        when: float | None,
    ) -> np.ndarray:
        s = self.settings
        rows = len(self._by_row)
        if rows == 0:
            return np.zeros(0, dtype=np.float64)
        score = (self._centroids[:rows] @ vector).astype(np.float64) * s.text_weight
        if report_names and s.entity_weight:
            total = self._open_reports + 1
            overlap = np.zeros(rows, dtype=np.float64)
            norm = 0.0
            for name in report_names:
                postings = self._postings.get(name, {})
                if len(postings) > self.MAX_POSTINGS:
                    continue
                weight = math.log((total + 1) / (self._df.get(name, 0) + 1))
                norm += weight
                for sid, count in postings.items():
                    story = self._stories[sid]
                    overlap[story.row] += weight * count / story.size
            if norm > 0:
                score += s.entity_weight * overlap / norm
        if s.lexical_weight and self._lex.shape[0] == lexical.shape[0]:
            # Only the report's buckets matter for the dot product; a story's own norm was
            # taken with the idf of when it last grew (close enough, and far cheaper).
            nz = np.flatnonzero(lexical)
            idf = np.log((self._open_reports + 2) / (self._lex_df[nz] + 1)).astype(np.float32)
            weighted = lexical[nz] * idf
            norm = float(np.linalg.norm(weighted))
            if norm > 0:
                dots = (weighted * idf) @ self._lex[nz, :rows]
                norms = np.maximum(self._lex_norm[:rows], 1e-6)
                score += s.lexical_weight * dots.astype(np.float64) / (norms * norm)
        if when is not None and s.time_weight:
            first, last = self._first[:rows], self._last[:rows]
            with np.errstate(invalid="ignore"):
                gap = np.maximum(np.maximum(first - when, when - last), 0.0)
            gap = np.nan_to_num(gap, nan=0.0)  # undated stories: no penalty
            max_gap = s.max_gap.total_seconds()
            score -= s.time_weight * np.minimum(gap / max_gap, 1.0)
            score[gap > max_gap] = -np.inf
        score[~self._live[:rows]] = -np.inf
        return score

    # Adding and closing

    def _add(self, report: Report, vector: np.ndarray, lexical: np.ndarray) -> str:
        vector = np.asarray(vector, dtype=np.float32)
        when = _utc(report.published)
        if when is not None and (self._now is None or when > self._now):
            self._now = when
            self._close_dormant()
        report_names = names(f"{report.title} {report.text[:LEAD_CHARS]}")
        if self._stories and vector.shape[0] != self._dims:
            raise ValueError("the embedder's vector size changed between reports")
        self._seen += 1
        original = self._copies.add(report)
        copied = self._story_of.get(original) if original is not None else None
        if copied is not None and copied in self._stories and self._near(copied, when):
            self._join(self._stories[copied], report_names, vector, lexical, when)
            return self._member(report, copied)
        scores = self._score(report_names, vector, lexical, when)
        if scores.size and float(scores.max()) >= self.settings.threshold:
            story = self._stories[self._by_row[int(np.argmax(scores))]]  # type: ignore[index]
            self._join(story, report_names, vector, lexical, when)
            return self._member(report, story.id)
        return self._member(report, self._start(report, report_names, vector, lexical, when))

    def _near(self, sid: str, when: float | None) -> bool:
        """Whether a report at `when` is within max_gap of the story's reports (undated: yes)."""
        row = self._stories[sid].row
        first, last = self._first[row], self._last[row]
        if when is None or np.isnan(first):
            return True
        gap = max(first - when, when - last, 0.0)
        return gap <= self.settings.max_gap.total_seconds()

    def _member(self, report: Report, sid: str) -> str:
        """Remember which open story a report is in (for its copies); the story id."""
        if report.id not in self._story_of:
            self._story_of[report.id] = sid
            self._members.setdefault(sid, []).append(report.id)
        return sid

    def _start(
        self,
        report: Report,
        report_names: frozenset[str],
        vector: np.ndarray,
        lexical: np.ndarray,
        when: float | None,
    ) -> str:
        sid = story_id(report)
        if sid in self._stories:  # the same report id again: it joins the story it started
            self._join(self._stories[sid], report_names, vector, lexical, when)
            return sid
        if len(self._stories) >= self.settings.max_open:
            self._close(min(self._stories.values(), key=lambda st: st.touched))
        row = self._take_row(vector.shape[0], lexical.shape[0])
        story = _Story(sid, row, 0, np.zeros(vector.shape[0], dtype=np.float64))
        self._stories[sid] = story
        self._by_row[row] = sid
        self._live[row] = True
        self._first[row] = self._last[row] = np.nan
        self._join(story, report_names, vector, lexical, when)
        return sid

    def _join(
        self,
        story: _Story,
        report_names: frozenset[str],
        vector: np.ndarray,
        lexical: np.ndarray,
        when: float | None,
    ) -> None:
        story.size += 1
        story.vector_sum += vector
        norm = float(np.linalg.norm(story.vector_sum))
        self._centroids[story.row] = story.vector_sum / norm if norm else 0.0
        self._open_reports += 1
        self._lex[:, story.row] += lexical
        buckets = (lexical > 0).astype(np.float32)
        self._lex_df += buckets
        known = self._member_buckets.get(story.id)
        self._member_buckets[story.id] = buckets if known is None else known + buckets
        idf = np.log((self._open_reports + 2) / (self._lex_df + 1))
        self._lex_norm[story.row] = float(np.linalg.norm(self._lex[:, story.row] * idf))
        for name in report_names:
            story.names[name] = story.names.get(name, 0) + 1
            self._postings.setdefault(name, {})[story.id] = story.names[name]
            self._df[name] = self._df.get(name, 0) + 1
        if when is not None:
            story.first = when if story.first is None else min(story.first, when)
            story.last = when if story.last is None else max(story.last, when)
            self._first[story.row], self._last[story.row] = story.first, story.last
            heapq.heappush(self._expiry, (story.last, self._seen, story.id))
        story.touched = self._seen

    def _take_row(self, dims: int, lexical_dims: int) -> int:
        if not self._dims:
            self._dims = dims
            self._centroids = np.zeros((self._GROW, dims), dtype=np.float32)
            self._lex = np.zeros((lexical_dims, self._GROW), dtype=np.float32)
            self._lex_norm = np.zeros(self._GROW, dtype=np.float64)
            self._lex_df = np.zeros(lexical_dims, dtype=np.float32)
            self._live = np.zeros(self._GROW, dtype=bool)
            self._first = np.full(self._GROW, np.nan)
            self._last = np.full(self._GROW, np.nan)
        if self._free:
            return heapq.heappop(self._free)
        row = len(self._by_row)
        if row >= self._centroids.shape[0]:
            size = self._centroids.shape[0] * 2
            self._centroids = np.vstack([self._centroids, np.zeros_like(self._centroids)])
            self._lex = np.hstack([self._lex, np.zeros_like(self._lex)])
            self._lex_norm = np.concatenate([self._lex_norm, np.zeros(size - row)])
            self._live = np.concatenate([self._live, np.zeros(size - row, dtype=bool)])
            self._first = np.concatenate([self._first, np.full(size - row, np.nan)])
            self._last = np.concatenate([self._last, np.full(size - row, np.nan)])
        self._by_row.append(None)
        return row

    def _close_dormant(self) -> None:
        assert self._now is not None
        limit = self._now - self.settings.dormant_after.total_seconds()
        while self._expiry and self._expiry[0][0] < limit:
            last, _, sid = heapq.heappop(self._expiry)
            story = self._stories.get(sid)
            if story is not None and story.last == last:  # else a stale entry: it was joined
                self._close(story)

    def _close(self, story: _Story) -> None:
        members = self._members.pop(story.id, [])
        self._copies.forget(members)
        for report_id in members:
            self._story_of.pop(report_id, None)
        del self._stories[story.id]
        self._by_row[story.row] = None
        self._live[story.row] = False
        self._centroids[story.row] = 0.0
        self._lex_df -= self._member_buckets.pop(story.id)
        self._lex[:, story.row] = 0.0
        self._lex_norm[story.row] = 0.0
        self._first[story.row] = self._last[story.row] = np.nan
        heapq.heappush(self._free, story.row)
        self._open_reports -= story.size
        for name, count in story.names.items():
            postings = self._postings[name]
            del postings[story.id]
            if not postings:
                del self._postings[name]
            self._df[name] -= count
            if self._df[name] <= 0:
                del self._df[name]
        self._closed.append(story.id)
