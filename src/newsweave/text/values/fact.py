"""The fact record, and the tokens and clause windows its readers look at.

A fact is a value a report states (a count, an age, an amount, a measure, a day, a place) with
what it is about: the counted noun and its modifiers, the event word ("killed", "injured"),
the person whose age it is, the words around it. Two reports' facts meet when those keys agree
(newsweave.writing.conflicts decides), however differently their sentences are phrased.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Literal

from newsweave.text.values.stems import noun_stem
from newsweave.text.words import STOP_WORDS

FactKind = Literal["number", "age", "date", "place"]

# Running tallies: a later report's figure may supersede an earlier one.
RUNNING_EVENTS = frozenset({"dead", "injured", "arrested", "missing", "evacuated", "rescued"})
RUNNING_NOUNS = frozenset({"toll", "death", "case", "vote", "seat", "tally", "count"})


@dataclass(frozen=True)
class Fact:
    """A value one sentence states, with what it is about."""

    kind: FactKind
    row: int  # the sentence's row in the story analysis
    report_id: str
    unit: str  # dimension: "count", "dollars", "percent", "duration", "age", "ordinal", ...
    value: float | str  # numbers in the dimension's base unit; days ISO or weekday; place name
    text: str  # the value as written ("at least 28", "30-car", "Tuesday")
    qualifier: str = ""  # "more", "least", "most", "less", "about", "nearly" or ""
    precision: float = 0.0  # one unit of the last written digit, in the base unit (rounding)
    what: frozenset[str] = frozenset()  # stems of the counted noun and its modifiers
    of: str = ""  # head of an "of" phrase after the noun ("counts of mischief" -> "mischief")
    event: str = ""  # event class of a count ("dead", "injured", ...)
    owner: str = ""  # ages: the person's name
    context: frozenset[str] = frozenset()  # stems of content words near the value
    when: str = ""  # a day named in the same clause ("monday", an ISO date), for counts
    forecast: bool = False  # the clause says the value is expected, planned or possible
    time_of_day: str = ""  # dates: "late", "early" or "night" said with the day
    governor: str = ""  # the word the value depends on ("starts at $1,000" -> "start")

    @property
    def running(self) -> bool:
        """Whether the value is a tally that grows as news comes in (tolls, counts, votes)."""
        return self.kind == "number" and (
            self.event in RUNNING_EVENTS or bool(self.what & RUNNING_NOUNS)
        )


_TOKEN = re.compile(
    r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z0-9]+)*|\d+(?:,\d{3})*(?:\.\d+)?|[$€£¥%]|[^\sA-Za-z\d]"
)


@dataclass(frozen=True)
class Token:
    """A word, number or sign of a sentence, with its character offsets."""

    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()


def tokenize(sentence: str) -> list[Token]:
    """The facts' tokens of a sentence: words (hyphenated kept whole), numbers, signs."""
    return [Token(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(sentence)]


def token_at(tokens: list[Token], offset: int) -> int:
    """The index of the first token starting at or after a character offset (binary search:
    a sentence of many numbers must not cost the square of its length)."""
    return bisect.bisect_left(tokens, offset, key=lambda t: t.start)


CONTEXT = 8  # words either side of a value that say what it is about
NOT_NOUNS = STOP_WORDS | {
    "more", "less", "than", "least", "most", "other", "another", "each", "per", "all", "some",
    "nearly", "about", "over", "under", "up", "just", "only", "times", "including", "among",
    "since", "ago", "earlier", "later", "who", "were", "had", "have", "did", "do", "does",
    "people's", "percent", "percentage", "points", "point", "near", "outside", "inside",
    "according", "early", "late", "across", "around", "within", "between", "during",
    "against", "toward", "towards", "through", "because", "amid", "despite", "via",
}  # fmt: skip


def content_stems(tokens: list[Token], lo: int, hi: int, skip: set[int]) -> frozenset[str]:
    """Stems of the content words of tokens[lo:hi], leaving out those in skip."""
    return frozenset(
        noun_stem(t.text)
        for k, t in enumerate(tokens[max(0, lo) : hi], start=max(0, lo))
        if k not in skip and t.text[0].isalpha() and t.low not in NOT_NOUNS and len(t.text) > 2
    )


_CLAUSE_TOKENS = 40  # tokens either side of a value, at most


def clause_bounds(tokens: list[Token], k: int) -> tuple[int, int]:
    """Token range of the clause around token k (between ; : — or sentence ends)."""

    def ends(i: int) -> bool:
        if tokens[i].text == ":":  # "21:58" is a time, not a clause break
            return not (0 < i < len(tokens) - 1 and tokens[i - 1].text.isdigit())
        return tokens[i].text in (";", "—", "–")

    lo = k
    while lo > max(0, k - _CLAUSE_TOKENS) and not ends(lo - 1):
        lo -= 1
    hi = k
    while hi < min(len(tokens), k + _CLAUSE_TOKENS) and not ends(hi):
        hi += 1
    return lo, hi
