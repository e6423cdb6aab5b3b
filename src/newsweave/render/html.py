"""Render a Brief as one self-contained HTML page: inline CSS, no scripts, no external loads."""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from newsweave.records import Brief, BriefSentence, Conflict, Source, Support, WriterRun
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

# Only plain web addresses become links; javascript:, data:, file: and the like stay text.
_WEB_URL = re.compile(r"https?://[^\s/?#\"<>\x00-\x1f\x7f]+[^\s\"<>\x00-\x1f\x7f]*", re.IGNORECASE)


@cache
def _environment() -> jinja2.Environment:
    """The Jinja2 environment, built on first use rather than at import."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("newsweave.render", "templates"),
        # Every string in a brief comes from untrusted reports: escape all of it.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def is_web_url(url: str) -> bool:
    """Whether a URL is a plain http(s) address that is safe to link to."""
    return _WEB_URL.fullmatch(url) is not None


def citations_html(citations: Iterable[int], valid: Container[int]) -> Markup:
    """A citation marker as links, e.g. <sup>[<a href="#src-1">1</a>, …]</sup>."""
    numbers = citation_numbers(citations)
    if not numbers:
        return Markup("")
    # A number with no source entry stays plain text rather than a link to nowhere.
    parts = [
        Markup('<a href="#src-{0}">{0}</a>').format(n) if n in valid else escape(str(n))
        for n in numbers
    ]
    return Markup('<sup class="cite">[') + Markup(", ").join(parts) + Markup("]</sup>")


def evidence_html(number: int, support: Support, valid: Container[int]) -> Markup:
    """One citation as a disclosure: its number, and once opened the cited report's evidence.

    A <details> element opens and closes without scripts, so the page needs none.
    """
    source = (
        Markup('<a href="#src-{0}">source {0}</a>').format(number)
        if number in valid
        else escape(f"source {number}")
    )
    quotes = Markup("").join(
        Markup('<blockquote class="ev-quote">{}</blockquote>').format(e) for e in support.evidence
    )
    return Markup(
        '<details class="ev"><summary title="What source {n} says">{n}</summary>'
        '<div class="ev-box">{quotes}<div class="ev-meta">{verdict} by {source}, '
        "score {score:.2f}</div></div></details>"
    ).format(
        n=number,
        quotes=quotes,
        verdict=support.verdict.replace("_", " ").capitalize(),
        source=source,
        score=support.score,
    )


def _evidence_group(numbers: Iterable[int], s: BriefSentence, valid: Container[int]) -> Markup:
    """A citation marker whose numbers open the evidence: [1, 2] with a disclosure each."""
    by_number = {sp.number: sp for sp in s.support}
    parts = [
        evidence_html(n, by_number[n], valid)
        if n in by_number
        else (Markup('<a href="#src-{0}">{0}</a>').format(n) if n in valid else escape(str(n)))
        for n in citation_numbers(numbers)
    ]
    return Markup('<span class="cite">[</span>') + Markup(", ").join(parts) + Markup("]")


def sentence_html(s: BriefSentence, valid: Container[int]) -> Markup:
    """One sentence, escaped, with its citations as links to the source list.

    A conflict sentence carries its markers inline ("… Bishkek [1, 2]; … Dushanbe [3]");
    those groups are turned into links in place, after escaping, and only when every
    number in the group is a source number. A verified sentence's citations open the
    evidence of the cited report instead (see evidence_html).
    """
    text = escape(s.text)
    if set_apart(s) and has_inline_citations(s.text):

        def link(match: re.Match[str]) -> str:
            numbers = [int(n) for n in match.group(1).split(", ")]
            if not all(n in valid for n in numbers):
                return match.group(0)
            if s.support:
                return str(_evidence_group(numbers, s, valid))
            return str(citations_html(numbers, valid))

        # The escaped text keeps digits, commas and brackets as they were, so the groups match.
        return Markup(CITATION_GROUP.sub(link, str(text)))
    body, end = split_end(s.text)
    if s.support and s.citations:
        return escape(body) + " " + _evidence_group(s.citations, s, valid) + escape(end)
    return escape(body) + citations_html(s.citations, valid) + escape(end)


_PROVENANCE_TITLE = {
    "model": "Written by the language model; checked against every report it cites",
    "extracted": "Taken from the cited reports",
}


def marked_html(s: BriefSentence, valid: Container[int], mark: bool) -> Markup:
    """A sentence's HTML, inside a span naming who wrote it when the brief had a model writer."""
    html = sentence_html(s, valid)
    if not mark:
        return html
    return (
        Markup('<span class="by-{0}" data-provenance="{0}" title="{1}">').format(
            s.provenance, _PROVENANCE_TITLE[s.provenance]
        )
        + html
        + Markup("</span>")
    )


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


def _paragraphs(
    sentences: tuple[BriefSentence, ...], valid: Container[int], mark: bool = False
) -> list[Any]:
    """Paragraphs for the template: their HTML and whether they state a disagreement."""
    return [
        {
            "conflict": len(p) == 1 and bool(set_apart(p[0])),
            "label": set_apart(p[0]) if len(p) == 1 else "",
            # <details> may not stand in a <p>: paragraphs with evidence are <div>s.
            "tag": "div" if any(s.support for s in p) else "p",
            "html": Markup(" ").join(marked_html(s, valid, mark) for s in p),
        }
        for p in paragraphs(sentences)
    ]


def _conflicts(conflicts: tuple[Conflict, ...], valid: Container[int]) -> list[Any]:
    """Conflicts for the template, each value with its citation links."""
    return [
        {
            "kind": c.kind,
            "about": c.about,
            "strength": c.strength,
            "running": c.running,
            "sides": [
                {
                    "value": v.value,
                    "cites": citations_html(v.citations, valid),
                    "independent": v.independent,
                    "evidence": list(dict.fromkeys(v.evidence)),
                }
                for v in c.values
            ],
        }
        # Disagreements first, then running figures, then soft differences.
        for c in sorted(conflicts, key=lambda c: (c.strength != "hard", c.running))
    ]


def _sources(sources: tuple[Source, ...], valid: Container[int]) -> list[Any]:
    """Source entries for the template, in number order."""
    return [
        {
            "number": s.number,
            "outlet": s.outlet,
            "title": s.title,
            "date": format_date(s.published),
            "datetime": s.published.isoformat() if s.published else None,
            "url": s.url,
            "link": is_web_url(s.url),
            "copy_of": s.copy_of,
            "copy_of_link": s.copy_of in valid,
        }
        for s in sorted(sources, key=lambda s: s.number)
    ]


def render_html(brief: Brief) -> str:
    """The whole brief as one HTML document."""
    valid = frozenset(s.number for s in brief.sources)
    mark = brief.writer is not None  # provenance is shown only where a model could write
    template = _environment().get_template("brief.html")
    return template.render(
        headline=brief.headline,
        writer=writer_line(brief.writer),
        lede=marked_html(brief.lede, valid, mark),
        lede_tag="div" if brief.lede.support else "p",
        body=_paragraphs(brief.body, valid, mark),
        conflicts=_conflicts(brief.conflicts, valid),
        analysis=_paragraphs(brief.analysis, valid, mark),
        sources=_sources(brief.sources, valid),
        notes=list(brief.notes),
        created_iso=brief.created_at.isoformat(),
        created_text=format_timestamp(brief.created_at),
    )
