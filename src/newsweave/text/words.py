"""Words of a sentence, and the content words that carry its meaning."""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z0-9]+")
# Function and reporting words: they say nothing about what a sentence is about.
STOP_WORDS = frozenset(
    "a an the and or but of to in on at for with by from as is are was were be been has have had "
    "that this these those it its they their he she his her we our said says say also will would "
    "not no than then there which who whom whose what when where while after before about "
    "into".split()
)


def words(text: str) -> set[str]:
    """The lower-cased words of a text."""
    return set(WORD.findall(text.lower()))


def content_words(text: str) -> set[str]:
    """The words of a text without function and reporting words."""
    return words(text) - STOP_WORDS


def shingles(text: str, n: int) -> set[bytes]:
    """Word n-grams of the lower-cased text, as bytes for hashing."""
    found = WORD.findall(text.lower())
    return {" ".join(found[i : i + n]).encode() for i in range(max(0, len(found) - n + 1))}
