"""Text folded for matching: case and accents removed, so "VALPARAÍSO" matches "valparaiso"."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+")

# Two ledes sharing at least this share of their words (Jaccard) tell the same news.
SAME_LEDE_OVERLAP = 0.6


def fold(text: str) -> str:
    """The text case-folded, compatibility-decomposed (NFKD) and without combining marks."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def folded_words(text: str) -> list[str]:
    """The words of a text, folded, in order."""
    return _WORD.findall(fold(text))


def same_news(before: str, now: str, overlap: float = SAME_LEDE_OVERLAP) -> bool:
    """Whether two ledes tell the same news: the same words, or most of them (Jaccard)."""
    a, b = set(folded_words(before)), set(folded_words(now))
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= overlap
