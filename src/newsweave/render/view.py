"""A brief laid out for HTML: the view both the reader and `newsweave brief --format html` show.

Every string here is plain text from untrusted reports; the templates escape it (Jinja2
autoescape) and link a URL only when ``link`` says it is a plain http(s) address.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from newsweave.records import Brief, BriefSentence, Source, Support, WriterRun
from newsweave.render.layout import paragraphs, set_apart, split_end
from newsweave.text.notation import (
    CITATION_GROUP,
    citation_numbers,
    format_date,
    format_timestamp,
    has_inline_citations,
)

# The last word of a run of text and the spaces after it.
_LAST_WORD = re.compile(r"\S+\s*$")

# Only plain web addresses become links; javascript:, data:, file: and the like stay text.
_WEB_URL = re.compile(r"https?://[^\s/?#\"<>\x00-\x1f\x7f]+[^\s\"<>\x00-\x1f\x7f]*", re.IGNORECASE)


def is_web_url(url: str) -> bool:
    """Whether a URL is a plain http(s) address that is safe to link to."""
    return _WEB_URL.fullmatch(url) is not None


def writer_line(run: WriterRun | None) -> str:
    """One line on who wrote the brief, for a brief that had a model writer ("" otherwise)."""
    if run is None:
        return ""
    if run.status == "fallback":
        return (
            f"The language model did not write this brief ({run.reason}): every sentence is "
            "taken from the reports."
        )
    share = f"{run.acceptance:.0%}" if run.acceptance is not None else "none"
    return (
        "Sentences underlined with dots were written by the language model and checked against "
        f"every report they cite ({run.accepted} of {run.proposed} it wrote accepted, {share}); "
        "the others are taken from the reports."
    )


def age_text(moment: datetime, now: datetime) -> str:
    """How long ago a moment was, for people: "just now", "12 min ago", "3 h ago", "5 d ago"."""
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        return "in the future"
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


@dataclass(frozen=True)
class When:
    """A moment as shown: text for people, ISO 8601 for <time datetime>; empty when unknown.

    age is how long ago it was when the page was made ("3 h ago"); reader.js brings it up
    to date from the datetime when a cached page is shown later.
    """

    text: str
    iso: str
    age: str = ""

    @classmethod
    def of(
        cls, moment: datetime | None, *, with_time: bool = True, now: datetime | None = None
    ) -> When:
        """A When for a moment, or an "undated" one."""
        if moment is None:
            return cls("undated", "")
        text = format_timestamp(moment) if with_time else format_date(moment)
        return cls(text, moment.isoformat(), age_text(moment, now or datetime.now(UTC)))


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

    @property
    def head(self) -> str:
        """The text before its last word: free to wrap."""
        return self.text[: len(self.text) - len(self.tail)] if self.cites else self.text

    @property
    def tail(self) -> str:
        """The last word (and the space after it), kept on one line with the citations."""
        if not self.cites:
            return ""
        found = _LAST_WORD.search(self.text)
        return found.group(0) if found else ""


@dataclass(frozen=True)
class SentenceView:
    """One brief sentence as text segments with citations."""

    index: int
    role: str
    segments: tuple[Segment, ...]
    provenance: str = ""  # "model" or "extracted" in briefs a model wrote; "" otherwise
    since: int = 0  # the version of the story's brief this sentence first appeared in; 0: unknown


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
    prefix: str = ""  # before every element id, when several briefs share a page

    @cached_property
    def _evidence_by_id(self) -> dict[str, EvidenceView]:
        """The evidence entries by element id (computed once per view)."""
        return {e.id: e for e in self.evidence}

    def evidence_for(self, target: str) -> EvidenceView | None:
        """The evidence entry a citation opens, if there is one."""
        return self._evidence_by_id.get(target)


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


def evidence_id(sentence_index: int, number: int, prefix: str = "") -> str:
    """The element id of the evidence for one citation of one sentence."""
    return f"{prefix}ev-{sentence_index}-{number}"


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


def _sentence(
    s: BriefSentence, index: int, sources: Mapping[int, SourceView], prefix: str = ""
) -> SentenceView:
    """A sentence as segments; a conflict sentence keeps its citation groups where they stand."""

    def target(n: int) -> str:
        return evidence_id(index, n, prefix)

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
    s: BriefSentence, index: int, sources: Mapping[int, SourceView], prefix: str = ""
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
                id=evidence_id(index, n, prefix),
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


def brief_view(brief: Brief, since: Mapping[str, int] | None = None, prefix: str = "") -> BriefView:
    """A brief laid out for the page: sentences with citations, evidence, conflicts, sources.

    since: for each sentence text, the version of the story's brief it first appeared in;
    prefix: put before every element id, so several briefs can share a page.
    """
    sources = {s.number: source_view(s) for s in brief.sources}

    def sentence(s: BriefSentence, index: int) -> SentenceView:
        view = _sentence(s, index, sources, prefix)
        if since:
            view = replace(view, since=since.get(s.text, 0))
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
        evidence.extend(_evidence(s, i, sources, prefix))
    conflicts = tuple(
        ConflictView(
            kind=c.kind,
            about=c.about,
            sides=tuple(
                SideView(
                    value=v.value,
                    independent=v.independent,
                    cites=_cites(v.citations, sources, lambda n: f"{prefix}src-{n}"),
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
        prefix=prefix,
    )
