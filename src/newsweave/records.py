"""Typed records passed between stages. Every record is immutable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SlotKind = Literal["place", "date", "number", "person"]
# A conflict is about a slot, or (kind "claim") one report denying what another asserts.
ConflictKind = Literal["place", "date", "number", "person", "claim"]
# "conflict": a disagreement between outlets; "update": a figure that changed as reports came in.
SentenceRole = Literal["lede", "body", "conflict", "update", "analysis"]
Verdict = Literal["supported", "contradicted", "not_found"]
# hard: values that cannot both be true, stated in the brief; soft: approximations, rounding
# or open bounds that differ, kept as data only.
ConflictStrength = Literal["hard", "soft"]
# Who wrote a brief sentence: taken from the reports, or written by a language model and then
# verified against every report it cites (docs/writer.md).
Provenance = Literal["extracted", "model"]


@dataclass(frozen=True)
class Report:
    """One article from one outlet, as read from a file, feed or page."""

    id: str
    outlet: str
    title: str
    text: str
    url: str = ""
    published: datetime | None = None
    language: str = "en"
    origin: str = ""  # where it was read from (a path, path:line, or URL)


@dataclass(frozen=True)
class Problem:
    """An input that was skipped, and why."""

    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


@dataclass(frozen=True)
class LoadResult:
    """Reports read from inputs, the inputs that were skipped, and the reports cut to limits."""

    reports: tuple[Report, ...]
    problems: tuple[Problem, ...] = ()
    # Inputs read but changed (a field cut to its limit, invalid bytes replaced), and how.
    cuts: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Sentence:
    """One sentence of one report: its text and where it stands."""

    report_id: str
    index: int  # position in the report, 0-based
    text: str
    count: int = 1  # how many sentences the report has, for relative position

    @property
    def position(self) -> float:
        """Relative position in the report: 0.0 first sentence, 1.0 last."""
        return self.index / max(1, self.count - 1)


@dataclass(frozen=True)
class Slot:
    """A checkable value in a sentence: a place, date, number or person."""

    kind: SlotKind
    value: str  # normalised value used for comparison
    text: str  # surface form as written
    key: str = ""  # what the value is about (e.g. "dead" for "12 dead"); "" when generic
    qualifier: str = ""  # for numbers: "more", "less", "about" or "" (exact)


@dataclass(frozen=True)
class Claim:
    """One assertion made by one or more reports, with the sentences that make it."""

    id: int
    sentences: tuple[Sentence, ...]
    score: float = 0.0

    @property
    def report_ids(self) -> tuple[str, ...]:
        """Reports that make this claim, in first-seen order."""
        return tuple(dict.fromkeys(s.report_id for s in self.sentences))


@dataclass(frozen=True)
class ConflictValue:
    """One side of a disagreement: a value and the reports that hold it."""

    value: str
    report_ids: tuple[str, ...]
    citations: tuple[int, ...] = ()
    independent: int = 0  # distinct independent sources holding the value
    evidence: tuple[str, ...] = ()  # the sentence stating it, one per report, in report order


@dataclass(frozen=True)
class Conflict:
    """A slot, or a whole claim, on which reports of one event disagree."""

    kind: ConflictKind
    about: str  # what the disagreement is about, e.g. "the location"
    values: tuple[ConflictValue, ...]
    strength: ConflictStrength = "hard"
    # A running figure (a toll or tally reported at different times): values in time order,
    # stated as a change ("rose from three to four"), not as a disagreement.
    running: bool = False


@dataclass(frozen=True)
class Support:
    """What one cited report says about one brief sentence, as the verifier found it."""

    number: int  # the cited source's number
    verdict: Verdict
    score: float  # 0.0-1.0, higher is better support
    evidence: tuple[str, ...] = ()  # the best-matching sentences of the cited report


@dataclass(frozen=True)
class BriefSentence:
    """A sentence of a brief with the numbers of exactly the reports behind it."""

    text: str
    citations: tuple[int, ...]
    role: SentenceRole = "body"
    claim_id: int | None = None
    support: tuple[Support, ...] = ()  # one per citation, in citation order, once verified
    provenance: Provenance = "extracted"


@dataclass(frozen=True)
class Source:
    """One entry of a brief's numbered source list."""

    number: int
    report_id: str
    outlet: str
    title: str
    url: str
    published: datetime | None
    copy_of: int | None = None  # number of the source whose wire text this one republishes


@dataclass(frozen=True)
class Rejection:
    """A sentence a language model wrote that was not shown, and why (docs/writer.md)."""

    text: str
    claims: tuple[int, ...]  # the claim ids it named, as the model gave them
    kind: str  # "name", "number", "date", "quote", "unknown_claim", ... (writers.check.KINDS)
    detail: str
    replaced: bool  # an extracted sentence for its claims was shown instead


@dataclass(frozen=True)
class WriterRun:
    """How a language model wrote a brief: what it proposed, what verification accepted.

    status "written": the model's verified sentences are shown; "fallback": the brief is
    extractive, and reason says why (endpoint down, timeout, malformed answer, ...).
    """

    name: str  # the writer, "llm"
    model: str  # the model the endpoint named (or was asked for)
    prompt_version: str
    status: Literal["written", "fallback"]
    reason: str | None = None
    cached: bool = False  # the answer came from the store, not the endpoint
    proposed: int = 0  # sentences the model wrote
    accepted: int = 0  # of those, shown: every citation verified
    rejections: tuple[Rejection, ...] = ()

    @property
    def acceptance(self) -> float | None:
        """Share of the model's sentences shown; None when it wrote none."""
        return self.accepted / self.proposed if self.proposed else None


@dataclass(frozen=True)
class Brief:
    """One neutral, cited brief of one story."""

    headline: str
    lede: BriefSentence
    body: tuple[BriefSentence, ...]
    conflicts: tuple[Conflict, ...]
    analysis: tuple[BriefSentence, ...]
    sources: tuple[Source, ...]
    created_at: datetime
    independent_sources: int = 0
    notes: tuple[str, ...] = field(default=())
    writer: WriterRun | None = None  # None: the extractive writer, which needs no account

    @property
    def sentences(self) -> tuple[BriefSentence, ...]:
        """Every sentence in reading order: lede, body (with conflicts), analysis."""
        return (self.lede, *self.body, *self.analysis)
