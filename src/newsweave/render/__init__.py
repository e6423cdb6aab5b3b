"""Turn a Brief into Markdown, JSON or a self-contained HTML page.

The format modules are imported on first use, so importing this package costs nothing
(the HTML renderer pulls in Jinja2).
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from newsweave.errors import ConfigError
from newsweave.records import Brief, BriefSentence

# A bracketed citation group as the composer writes it inside conflict sentences: "[1, 2, 4]".
CITATION_GROUP = re.compile(r"\[(\d+(?:, \d+)*)\]")

# Plain sentences are grouped into paragraphs of at most this many, so a long body is not a wall.
SENTENCES_PER_PARAGRAPH = 3


def citation_numbers(citations: Iterable[int]) -> tuple[int, ...]:
    """The citation numbers sorted and without repeats."""
    return tuple(sorted(set(citations)))


def citation_marker(citations: Iterable[int]) -> str:
    """The marker for a list of citations, e.g. "[1, 2, 4]"; "" when there are none."""
    numbers = citation_numbers(citations)
    # Always list every number: readers and tools parse the markers, so no "1–4" ranges.
    return "[" + ", ".join(str(n) for n in numbers) + "]" if numbers else ""


def cited_text(s: BriefSentence, text: str | None = None) -> str:
    """The sentence (or text, its escaped form) with its marker inside: "It rained [1, 2]."

    A conflict sentence carries a marker after each side already, so it gets no extra
    marker unless its text has none at all.
    """
    text = s.text if text is None else text
    if set_apart(s) and has_inline_citations(s.text):
        return text
    marker = citation_marker(s.citations)
    if not marker:
        return text
    body, end = split_end(text)
    return f"{body} {marker}{end}"


# A sentence's closing stop, after any closing quotation mark: the marker goes before it.
# A sentence ending on an abbreviation ("4:30 p.m.", "the U.S.", "Jr."): its point is not a stop.
_ABBREVIATION = re.compile(
    r"(?:\b[A-Za-z]\.){2,}$|\b(?:Jr|Sr|Inc|Co|Ltd|Corp|St|Mr|Mrs|Ms|Dr|No|vs|etc)\.$"
)
_END = re.compile(r"(?P<stop>[.!?])(?P<quote>[\"”’']?)\s*$")


def split_end(text: str) -> tuple[str, str]:
    """The sentence without its final stop, and the stop: citations stand inside the sentence.

    'He said: "We agreed."' becomes ('He said: "We agreed"', '.') so that it reads
    '... "We agreed" [1].'; a question or exclamation inside a quotation keeps its mark.
    """
    match = _END.search(text)
    if match is None:
        return text, ""
    if match.group("quote") and match.group("stop") in "!?":
        return text.rstrip(), ""
    if not match.group("quote") and _ABBREVIATION.search(text[: match.end("stop")]):
        return text.rstrip(), ""  # "... after 4:30 p.m." keeps its point: "p.m. [2]"
    return text[: match.start()] + match.group("quote"), match.group("stop")


def has_inline_citations(text: str) -> bool:
    """Whether a sentence's text already carries a bracketed citation group."""
    return CITATION_GROUP.search(text) is not None


def format_date(when: datetime | None) -> str:
    """A date as "June 5, 2026", or "undated" when unknown."""
    from newsweave.text.dates import format_date as day

    return "undated" if when is None else day(when.date())


def format_timestamp(when: datetime) -> str:
    """A moment as "June 5, 2026, 14:03", with the zone name when known."""
    zone = when.tzname()
    return f"{format_date(when)}, {when:%H:%M}" + (f" {zone}" if zone else "")


# Sentences that stand in a paragraph of their own, with a marker after each side, and the
# label they are read under.
SET_APART = {"conflict": "Disagreement", "update": "Update"}


def set_apart(sentence: BriefSentence) -> str:
    """The label of a sentence that stands apart ("Disagreement", "Update"), else ""."""
    return SET_APART.get(sentence.role, "")


def paragraphs(sentences: Sequence[BriefSentence]) -> list[tuple[BriefSentence, ...]]:
    """Group sentences into paragraphs: each conflict sentence alone, others in short runs."""
    out: list[tuple[BriefSentence, ...]] = []
    run: list[BriefSentence] = []
    for sentence in sentences:
        if set_apart(sentence):
            if run:
                out.append(tuple(run))
                run = []
            out.append((sentence,))
            continue
        run.append(sentence)
        if len(run) == SENTENCES_PER_PARAGRAPH:
            out.append(tuple(run))
            run = []
    if run:
        out.append(tuple(run))
    return out


def _render_md(brief: Brief) -> str:
    """Markdown, importing the renderer on first use."""
    from newsweave.render.markdown import render_markdown

    return render_markdown(brief)


def _render_json(brief: Brief) -> str:
    """JSON, importing the renderer on first use."""
    from newsweave.render.jsonout import render_json

    return render_json(brief)


def _render_html(brief: Brief) -> str:
    """HTML, importing the renderer (and Jinja2) on first use."""
    from newsweave.render.html import render_html

    return render_html(brief)


RENDERERS: dict[str, Callable[[Brief], str]] = {
    "md": _render_md,
    "json": _render_json,
    "html": _render_html,
}


def render(brief: Brief, fmt: str) -> str:
    """The brief in the named format ("md", "json" or "html")."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        known = ", ".join(RENDERERS)
        raise ConfigError(f"unknown output format {fmt!r}; known formats: {known}") from None
    return renderer(brief)


__all__ = [
    "CITATION_GROUP",
    "RENDERERS",
    "citation_marker",
    "citation_numbers",
    "cited_text",
    "format_date",
    "format_timestamp",
    "has_inline_citations",
    "paragraphs",
    "render",
]


class _CallablePackage(types.ModuleType):
    """This package, callable as the public newsweave.render(brief, format="markdown").

    The public function shares this package's name, and importing the package binds
    newsweave.render to it; so the package itself answers the call, and both
    `newsweave.render(brief)` and `newsweave.render.html` work whichever is used first.
    """

    def __call__(self, brief: Brief, format: str = "markdown") -> str:
        from newsweave.public import render as public_render

        return public_render(brief, format)


sys.modules[__name__].__class__ = _CallablePackage
