"""How a brief writes citations and moments, for the composer and every renderer alike.

Citation markers list every number ("[1, 2, 4]", never "1–4"): readers and tools parse
them, and CITATION_GROUP finds them again in a sentence's text. Moments read as
"June 5, 2026, 14:03".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

# A bracketed citation group as the composer writes it inside conflict sentences: "[1, 2, 4]".
CITATION_GROUP = re.compile(r"\[(\d+(?:, \d+)*)\]")


def citation_numbers(citations: Iterable[int]) -> tuple[int, ...]:
    """The citation numbers sorted and without repeats."""
    return tuple(sorted(set(citations)))


def citation_marker(citations: Iterable[int]) -> str:
    """The marker for a list of citations, e.g. "[1, 2, 4]"; "" when there are none."""
    numbers = citation_numbers(citations)
    # Always list every number: readers and tools parse the markers, so no "1–4" ranges.
    return "[" + ", ".join(str(n) for n in numbers) + "]" if numbers else ""


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
