"""Render a Brief as Markdown: headline, lede, cited body, Analysis, numbered Sources."""

from __future__ import annotations

import re

from newsweave.records import Brief, BriefSentence, Source
from newsweave.render.layout import cited_text, paragraphs, set_apart
from newsweave.text.notation import CITATION_GROUP, format_date

_WHITESPACE = re.compile(r"\s+")
# A backslash before ASCII punctuation would escape it; double it so it shows as written.
_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~])")
# "<" that could open an HTML tag, comment or autolink when the Markdown is turned into HTML.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
# "&" that starts an entity reference, which Markdown would decode into another character.
_ENTITY = re.compile(r"&(?=#?\w+;)")
# Line starts that Markdown reads as a heading, quote, list item, rule or table.
_BLOCK_START = re.compile(r"^(?:([>|])|([#+\-*=_])(?=[\s#+\-*=_]|$)|(\d{1,9})([.)])(?=\s|$))")


def escape_markdown(text: str) -> str:
    """Source text made inert as Markdown: one line, no tags, links or block markers.

    Citation groups such as "[1, 2]" are kept as they are, so markers stay parseable.
    """
    text = _WHITESPACE.sub(" ", text).strip()
    text = _BACKSLASH.sub(r"\\\\", text)
    text = _TAG_OPEN.sub(r"\\<", text)
    text = _ENTITY.sub(r"\\&", text)
    # Escape "[" (which could start a link or image) everywhere except in citation groups.
    pieces: list[str] = []
    last = 0
    for match in CITATION_GROUP.finditer(text):
        pieces.append(text[last : match.start()].replace("[", "\\["))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(text[last:].replace("[", "\\["))
    text = "".join(pieces)
    return _BLOCK_START.sub(_escape_block_start, text, count=1)


def _escape_block_start(match: re.Match[str]) -> str:
    """The escaped form of a block marker at the start of a line."""
    marker = match.group(1) or match.group(2)
    if marker:
        return "\\" + marker
    return match.group(3) + "\\" + match.group(4)


def sentence_markdown(s: BriefSentence) -> str:
    """One sentence with its citation marker inside it: "The quake struck at dawn [1, 2]."

    A conflict sentence carries a marker after each side already ("… Bishkek [1, 2]; …
    Dushanbe [3]."), so it gets no extra marker unless its text has none at all. Which
    sources republish one wire text is said in the source list, not in the prose.
    """
    return cited_text(s, escape_markdown(s.text))


def paragraph_markdown(sentences: tuple[BriefSentence, ...]) -> str:
    """A paragraph of sentences; a conflict sentence is labelled as a disagreement."""
    text = " ".join(sentence_markdown(s) for s in sentences)
    label = set_apart(sentences[0]) if len(sentences) == 1 else ""
    if label:
        return f"**{label}:** {text}"
    return text


def source_markdown(source: Source) -> str:
    """One numbered source line: `1. Outlet — "Title", June 5, 2026. URL`."""
    line = f"{source.number}. {escape_markdown(source.outlet) or 'Unknown outlet'}"
    title = escape_markdown(source.title)
    line += f' — "{title}", ' if title else ", "
    line += format_date(source.published) + "."
    url = escape_markdown(source.url)
    if url:
        line += f" {url}"
    if source.copy_of is not None:
        line += f" (republishes the wire text of [{source.copy_of}])"
    return line


def render_markdown(brief: Brief) -> str:
    """The whole brief as Markdown, ending with one newline."""
    blocks = [f"# {escape_markdown(brief.headline)}", sentence_markdown(brief.lede)]
    blocks += [paragraph_markdown(p) for p in paragraphs(brief.body)]
    if brief.analysis:
        blocks.append("## Analysis")
        blocks += [paragraph_markdown(p) for p in paragraphs(brief.analysis)]
    blocks.append("## Sources")
    sources = sorted(brief.sources, key=lambda s: s.number)
    blocks.append("\n".join(source_markdown(s) for s in sources))
    if brief.notes:
        blocks.append("## Notes")
        blocks.append("\n".join(f"- {escape_markdown(note)}" for note in brief.notes))
    return "\n\n".join(blocks) + "\n"
