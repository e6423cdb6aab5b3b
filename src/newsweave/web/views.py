"""What the reader's templates show, built from stored records.

Every string here is plain text from untrusted reports; the templates escape it (Jinja2
autoescape) and link a URL only when ``link`` says it is a plain http(s) address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from newsweave.records import Brief, BriefSentence, Report, Source, Support
from newsweave.render import (
    CITATION_GROUP,
    citation_numbers,
    format_date,
    format_timestamp,
    has_inline_citations,
    paragraphs,
    set_apart,
    split_end,
)
from newsweave.render.html import is_web_url, writer_line
from newsweave.store import StoredBrief, StoryRow

# How much of a report's opening the timeline shows.
LEAD_CHARS = 240


@dataclass(frozen=True)
class When:
    """A moment as shown: text for people, ISO 8601 for <time datetime>; empty when unknown."""

    text: str
    iso: str

    @classmethod
    def of(cls, moment: datetime | None, *, with_time: bool = True) -> When:
        """A When for a moment, or an "undated" one."""
        if moment is None:
            return cls("undated", "")
        text = format_timestamp(moment) if with_time else format_date(moment)
        return cls(text, moment.isoformat())


@dataclass(frozen=True)
class Cite:
    """One citation number; target is the id it opens, "" when it cites no listed source."""

    number: int
    target: str
    label: str  # what the link says to assistive technology


@dataclass(frozen=True)
class Segment:
    """A run of sentence text followed by a citation group (possibly empty)."""

    text: str
    cites: tuple[Cite, ...] = ()


@dataclass(frozen=True)
class SentenceView:
    """One brief sentence as text segments with citations."""

    index: int
    role: str
    segments: tuple[Segment, ...]
    provenance: str = ""  # "model" or "extracted" in briefs a model wrote; "" otherwise


@dataclass(frozen=True)
class ParagraphView:
    """Sentences shown together; a conflict sentence stands alone."""

    conflict: bool
    sentences: tuple[SentenceView, ...]
    label: str = ""  # "Disagreement" or "Update" for a sentence that stands apart


@dataclass(frozen=True)
class SourceView:
    """One numbered source of a brief."""

    number: int
    report_id: str
    outlet: str
    title: str
    when: When
    url: str
    link: bool
    copy_of: int | None


@dataclass(frozen=True)
class EvidenceView:
    """What one cited source says for one brief sentence."""

    id: str
    sentence_index: int
    sentence: str
    number: int
    source: SourceView
    verdict: str  # "" when the citation has not been verified
    score: float | None
    quotes: tuple[str, ...]


@dataclass(frozen=True)
class SideView:
    """One value of a disagreement and the outlets that report it."""

    value: str
    independent: int
    cites: tuple[Cite, ...]
    outlets: tuple[str, ...]
    evidence: tuple[str, ...] = ()  # the sentences that state the value, as the reports wrote them


@dataclass(frozen=True)
class ConflictView:
    """One disagreement between the reports."""

    kind: str
    about: str
    sides: tuple[SideView, ...]
    strength: str = "hard"  # "soft": approximations or rounding, shown apart
    running: bool = False  # a figure that changed as reports came in


@dataclass(frozen=True)
class BriefView:
    """A brief laid out for the story page."""

    headline: str
    created: When
    independent_sources: int
    lede: SentenceView
    body: tuple[ParagraphView, ...]
    analysis: tuple[ParagraphView, ...]
    conflicts: tuple[ConflictView, ...]
    sources: tuple[SourceView, ...]
    evidence: tuple[EvidenceView, ...]
    notes: tuple[str, ...]
    writer: str = ""  # who wrote the brief, when a model could have ("" for extractive briefs)


@dataclass(frozen=True)
class TimelineItem:
    """One report of the story: who published what, when."""

    report_id: str
    when: When
    outlet: str
    title: str
    lead: str
    url: str
    link: bool
    number: int | None  # its number in the brief shown, if cited there
    copy_of: int | None


@dataclass(frozen=True)
class VersionView:
    """One stored version of a story's brief and what it changed."""

    version: int
    created: When
    headline: str
    shown: bool
    reports_added: tuple[str, ...]
    reports_removed: tuple[str, ...]
    sentences_added: tuple[str, ...]
    sentences_removed: tuple[str, ...]


@dataclass(frozen=True)
class StoryItem:
    """One story in the list."""

    id: str
    title: str
    status: str
    report_count: int
    independent_sources: int | None
    conflicts: bool
    first: When
    last: When
    latest_version: int | None


@dataclass(frozen=True)
class StoryPage:
    """Everything the story page shows."""

    story: StoryItem
    brief: BriefView | None
    version: int | None  # the version shown
    latest_version: int | None
    timeline: tuple[TimelineItem, ...]
    versions: tuple[VersionView, ...]


def story_item(row: StoryRow) -> StoryItem:
    """A story of the list."""
    return StoryItem(
        id=row.id,
        title=row.title or "(untitled story)",
        status=row.status,
        report_count=row.report_count,
        independent_sources=row.independent_sources,
        conflicts=row.has_conflicts,
        first=When.of(row.first_published),
        last=When.of(row.last_published),
        latest_version=row.latest_version,
    )


def source_view(source: Source) -> SourceView:
    """A numbered source."""
    return SourceView(
        number=source.number,
        report_id=source.report_id,
        outlet=source.outlet or "Unknown outlet",
        title=source.title,
        when=When.of(source.published, with_time=False),
        url=source.url,
        link=is_web_url(source.url),
        copy_of=source.copy_of,
    )


def evidence_id(sentence_index: int, number: int) -> str:
    """The element id of the evidence for one citation of one sentence."""
    return f"ev-{sentence_index}-{number}"


def _cites(
    numbers: Sequence[int], sources: Mapping[int, SourceView], target: Any
) -> tuple[Cite, ...]:
    """Citations with the element each opens; numbers with no source stay plain."""
    out = []
    for n in citation_numbers(numbers):
        source = sources.get(n)
        if source is None:
            out.append(Cite(n, "", f"source {n} (not listed)"))
        else:
            out.append(Cite(n, target(n), f"source {n}: {source.outlet}"))
    return tuple(out)


def _sentence(s: BriefSentence, index: int, sources: Mapping[int, SourceView]) -> SentenceView:
    """A sentence as segments; a conflict sentence keeps its citation groups where they stand."""

    def target(n: int) -> str:
        return evidence_id(index, n)

    if set_apart(s) and has_inline_citations(s.text):
        segments = []
        start = 0
        for match in CITATION_GROUP.finditer(s.text):
            numbers = [int(n) for n in match.group(1).split(", ")]
            segments.append(
                Segment(s.text[start : match.start()], _cites(numbers, sources, target))
            )
            start = match.end()
        segments.append(Segment(s.text[start:]))
        return SentenceView(index, s.role, tuple(segments))
    body, end = split_end(s.text)
    segments = (Segment(body, _cites(s.citations, sources, target)), Segment(end))
    return SentenceView(index, s.role, segments)


def _support_of(s: BriefSentence, number: int) -> Support | None:
    """The verifier's finding for one citation of a sentence, if it has one."""
    return next((sp for sp in s.support if sp.number == number), None)


def _evidence(
    s: BriefSentence, index: int, sources: Mapping[int, SourceView]
) -> list[EvidenceView]:
    """The evidence entries of one sentence, one per cited source."""
    numbers = set(s.citations)
    if set_apart(s):
        for match in CITATION_GROUP.finditer(s.text):
            numbers.update(int(n) for n in match.group(1).split(", "))
    out = []
    for n in citation_numbers(numbers):
        source = sources.get(n)
        if source is None:
            continue
        support = _support_of(s, n)
        out.append(
            EvidenceView(
                id=evidence_id(index, n),
                sentence_index=index,
                sentence=s.text,
                number=n,
                source=source,
                verdict="" if support is None else support.verdict,
                score=None if support is None else support.score,
                quotes=() if support is None else tuple(q for q in support.evidence if q),
            )
        )
    return out


def brief_view(brief: Brief) -> BriefView:
    """A brief laid out for the page: sentences with citations, evidence, conflicts, sources."""
    sources = {s.number: source_view(s) for s in brief.sources}

    def sentence(s: BriefSentence, index: int) -> SentenceView:
        view = _sentence(s, index, sources)
        # Provenance is shown only in briefs a model could write.
        return replace(view, provenance=s.provenance) if brief.writer is not None else view

    def paras(sentences: tuple[BriefSentence, ...], start: int) -> tuple[ParagraphView, ...]:
        # Sentences are numbered in reading order (lede 0), as brief.sentences lists them.
        out = []
        for p in paragraphs(sentences):
            views = tuple(sentence(s, start + k) for k, s in enumerate(p))
            start += len(p)
            label = set_apart(p[0]) if len(p) == 1 else ""
            out.append(ParagraphView(bool(label), views, label))
        return tuple(out)

    evidence: list[EvidenceView] = []
    for i, s in enumerate(brief.sentences):
        evidence.extend(_evidence(s, i, sources))
    conflicts = tuple(
        ConflictView(
            kind=c.kind,
            about=c.about,
            sides=tuple(
                SideView(
                    value=v.value,
                    independent=v.independent,
                    cites=_cites(v.citations, sources, lambda n: f"src-{n}"),
                    outlets=tuple(
                        dict.fromkeys(
                            sources[n].outlet for n in citation_numbers(v.citations) if n in sources
                        )
                    ),
                    evidence=tuple(dict.fromkeys(v.evidence)),
                )
                for v in c.values
            ),
            strength=c.strength,
            running=c.running,
        )
        # Disagreements first, then running figures, then soft differences.
        for c in sorted(brief.conflicts, key=lambda c: (c.strength != "hard", c.running))
    )
    return BriefView(
        headline=brief.headline,
        created=When.of(brief.created_at),
        independent_sources=brief.independent_sources,
        lede=sentence(brief.lede, 0),
        body=paras(brief.body, 1),
        analysis=paras(brief.analysis, 1 + len(brief.body)),
        conflicts=conflicts,
        sources=tuple(sources[n] for n in sorted(sources)),
        evidence=tuple(evidence),
        notes=brief.notes,
        writer=writer_line(brief.writer),
    )


def lead(text: str, limit: int = LEAD_CHARS) -> str:
    """The opening of a report's text, cut at a word near the limit."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:—-– ") + "…"


def timeline(reports: Sequence[Report], brief: Brief | None) -> tuple[TimelineItem, ...]:
    """The story's reports in publication order, with their numbers in the brief shown."""
    numbers = {} if brief is None else {s.report_id: s for s in brief.sources}
    items = []
    for r in reports:
        source = numbers.get(r.id)
        items.append(
            TimelineItem(
                report_id=r.id,
                when=When.of(r.published),
                outlet=r.outlet or "Unknown outlet",
                title=r.title,
                lead=lead(r.text),
                url=r.url,
                link=is_web_url(r.url),
                number=None if source is None else source.number,
                copy_of=None if source is None else source.copy_of,
            )
        )
    return tuple(items)


def _described(ids: Sequence[Any], reports: Mapping[str, Report]) -> tuple[str, ...]:
    """Report ids as "Outlet: title", or the id when the report is not stored any more."""
    out = []
    for report_id in ids:
        report = reports.get(str(report_id))
        out.append(str(report_id) if report is None else f"{report.outlet}: {report.title}")
    return tuple(out)


def _texts(value: Any) -> tuple[str, ...]:
    """A stored list of strings, or () if it is not one."""
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def versions(
    stored: Sequence[StoredBrief], shown: int | None, reports: Mapping[str, Report]
) -> tuple[VersionView, ...]:
    """Every version of the story's brief, newest first, with what each changed."""
    out = []
    for b in reversed(stored):
        changes = b.changes or {}
        out.append(
            VersionView(
                version=b.version or 0,
                created=When.of(b.created_at),
                headline=b.headline,
                shown=b.version == shown,
                reports_added=_described(_texts(changes.get("reports_added")), reports),
                reports_removed=_described(_texts(changes.get("reports_removed")), reports),
                sentences_added=_texts(changes.get("sentences_added")),
                sentences_removed=_texts(changes.get("sentences_removed")),
            )
        )
    return tuple(out)
