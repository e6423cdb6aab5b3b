"""Reports within the size limits: title, outlet and text cut at a boundary, each cut named."""

from __future__ import annotations

from dataclasses import replace

from newsweave.config import Limits
from newsweave.ids import report_id
from newsweave.records import Report


def limit_report(report: Report, limits: Limits) -> tuple[Report, tuple[str, ...]]:
    """The report within limits (title, outlet, text cut), and a named reason for each cut.

    Every report passes here before it is stored or briefed, whether read from a file or
    fetched: past a limit the input is cut, never refused.
    """
    cuts: list[str] = []
    fields: dict[str, str] = {}
    for name, limit in (
        ("title", limits.title_bytes),
        ("outlet", limits.title_bytes),
        ("text", limits.text_bytes),
    ):
        value: str = getattr(report, name)
        cut = cut_utf8(value, limit, at_sentence=name == "text")
        if cut != value:
            fields[name] = cut
            size = len(value.encode("utf-8", "surrogatepass"))
            cuts.append(f"{name} cut at {limit:,} bytes (was {size:,})")
    if not fields:
        return report, ()
    bounded = replace(report, **fields)
    # The id hashes the text when there is no URL: it is taken from the text as stored.
    return replace(bounded, id=report_id(bounded.url, bounded.text)), tuple(cuts)


def cut_utf8(text: str, limit: int, *, at_sentence: bool = False) -> str:
    """Text at most limit bytes of UTF-8, cut at a sentence end or a word boundary.

    A boundary is looked for in the second half of the allowed bytes only; without one the
    text is cut at the last whole character. A cut title or outlet ends with "…".
    """
    if len(text) * 4 <= limit:  # no character takes more than four bytes
        return text
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    mark = "" if at_sentence else "…"
    # A character cut in half at the limit is dropped whole by "ignore".
    head = data[: max(0, limit - len(mark.encode()))].decode("utf-8", "ignore")
    floor = len(head) // 2
    end = -1
    if at_sentence:
        end = max(head.rfind("\n"), *(head.rfind(p) + 1 for p in (". ", "! ", "? ")))
    if end <= floor:
        end = head.rfind(" ")
    if end > floor:
        head = head[:end]
    return head.rstrip() + mark if at_sentence else head.rstrip(" ,;:-") + mark
