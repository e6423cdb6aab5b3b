"""Where a sentence's citation marker stands, and how sentences group into paragraphs.

The same for every format: Markdown, the HTML view and editions place markers and break
paragraphs by these rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from newsweave.records import BriefSentence
from newsweave.text.notation import citation_marker, has_inline_citations

# Plain sentences are grouped into paragraphs of at most this many, so a long body is not a wall.
SENTENCES_PER_PARAGRAPH = 3


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
