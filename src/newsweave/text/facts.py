"""Typed values in a sentence, each keyed by what it is about, for comparison across a story.

A fact is a value a report states (a count, an age, an amount, a measure, a day, a place) with
what it is about: the counted noun and its modifiers, the event word ("killed", "injured"),
the person whose age it is, the words around it. Two reports' facts meet when those keys agree
(conflicts.py decides), however differently their sentences are phrased.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Literal

from newsweave.text.dates import MONTHS, WEEKDAYS, infer_year, resolve_relative
from newsweave.text.slots import gazetteer, places
from newsweave.text.words import STOP_WORDS

FactKind = Literal["number", "age", "date", "place"]

_TOKEN = re.compile(
    r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z0-9]+)*|\d+(?:,\d{3})*(?:\.\d+)?|[$€£¥%]|[^\sA-Za-z\d]"
)
_UNITS_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {
    "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "k": 1e3, "tn": 1e12,
}  # fmt: skip
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds", "¥": "yen"}
_CURRENCY_WORDS = {
    "dollars": "dollars", "dollar": "dollars", "euros": "euros", "euro": "euros",
    "yen": "yen", "yuan": "yuan", "rupees": "rupees",
}  # fmt: skip
# Number words, as they open a value ("Three people"); "dozen" too.
NUMBER_WORDS = frozenset(_UNITS_WORDS) | frozenset(_TENS_WORDS) | {"dozen"}
# Qualifiers, longest first, and the bounds they put on the stated value.
_QUALIFIERS = (
    ("more than", "more"), ("at least", "least"), ("as many as", "most"), ("up to", "most"),
    ("at most", "most"), ("less than", "less"), ("fewer than", "less"), ("upwards of", "more"),
    ("just over", "more"), ("just under", "less"), ("an estimated", "about"),
    ("approximately", "about"), ("about", "about"), ("around", "about"), ("roughly", "about"),
    ("some", "about"), ("nearly", "nearly"), ("almost", "nearly"), ("over", "more"),
    ("under", "less"), ("close to", "nearly"), ("an", ""), ("a", ""),
)  # fmt: skip
# Measures: unit word -> (dimension, factor to the dimension's base unit).
_MEASURES = {
    **dict.fromkeys(("second", "seconds"), ("duration", 1 / 86400)),
    **dict.fromkeys(("minute", "minutes"), ("duration", 1 / 1440)),
    **dict.fromkeys(("hour", "hours"), ("duration", 1 / 24)),
    **dict.fromkeys(("day", "days"), ("duration", 1.0)),
    **dict.fromkeys(("week", "weeks"), ("duration", 7.0)),
    **dict.fromkeys(("month", "months"), ("duration", 30.4375)),
    **dict.fromkeys(("year", "years"), ("duration", 365.25)),
    **dict.fromkeys(("decade", "decades"), ("duration", 3652.5)),
    **dict.fromkeys(("mile", "miles"), ("length", 1609.344)),
    **dict.fromkeys(("kilometre", "kilometres", "kilometer", "kilometers", "km"), ("length", 1e3)),
    **dict.fromkeys(("metre", "metres", "meter", "meters", "m"), ("length", 1.0)),
    **dict.fromkeys(("foot", "feet", "ft"), ("length", 0.3048)),
    **dict.fromkeys(("inch", "inches"), ("length", 0.0254)),
    **dict.fromkeys(("pound", "pounds", "lb", "lbs"), ("mass", 0.45359237)),
    **dict.fromkeys(("kilogram", "kilograms", "kg"), ("mass", 1.0)),
    **dict.fromkeys(("ton", "tons", "tonne", "tonnes"), ("mass", 1000.0)),
    **dict.fromkeys(("acre", "acres"), ("area", 4046.86)),
    **dict.fromkeys(("hectare", "hectares"), ("area", 1e4)),
    **dict.fromkeys(("degree", "degrees"), ("temperature", 1.0)),
    **dict.fromkeys(("magnitude",), ("magnitude", 1.0)),
}
# What happened to the counted, folded into classes so that synonyms compare equal.
EVENTS = {
    **dict.fromkeys("died dead killed kill kills perished deaths fatalities lives".split(), "dead"),
    **dict.fromkeys(
        "injured hurt wounded stabbed hospitalized hospitalised injuries".split(), "injured"
    ),
    **dict.fromkeys("arrested detained charged custody arrests detentions".split(), "arrested"),
    **dict.fromkeys("missing unaccounted".split(), "missing"),
    **dict.fromkeys("evacuated displaced evacuate".split(), "evacuated"),
    **dict.fromkeys("rescued freed saved".split(), "rescued"),
    **dict.fromkeys("canceled cancelled cancellations cancelations".split(), "cancelled"),
}
# Running tallies: a later report's figure may supersede an earlier one.
RUNNING_EVENTS = frozenset({"dead", "injured", "arrested", "missing", "evacuated", "rescued"})
RUNNING_NOUNS = frozenset({"toll", "death", "case", "vote", "seat", "tally", "count"})
_AUX = frozenset("were was are is have has had been be being in who that reportedly".split())
# A value said to be expected, planned or possible is not a report of what happened.
_FORECAST = re.compile(
    r"\b(?:expects?|expected|forecasts?|forecast|projected|predicts?|predicted|could|might|"
    r"planned|proposed?|aims? to|target|likely)\b",
    re.IGNORECASE,
)
_TIME_OF_DAY = re.compile(r"\b(?:late|early|overnight|night|midnight)\b", re.IGNORECASE)
# Verbs of saying: a day or verb next to them dates the saying, not the event.
REPORTING = frozenset(
    "said says told reported announced added noted stated confirmed showed according "
    "explained".split()
)
_CONTEXT = 8  # words either side of a value that say what it is about
_NOT_NOUNS = STOP_WORDS | {
    "more", "less", "than", "least", "most", "other", "another", "each", "per", "all", "some",
    "nearly", "about", "over", "under", "up", "just", "only", "times", "including", "among",
    "since", "ago", "earlier", "later", "who", "were", "had", "have", "did", "do", "does",
    "people's", "percent", "percentage", "points", "point", "near", "outside", "inside",
    "according", "early", "late", "across", "around", "within", "between", "during",
    "against", "toward", "towards", "through", "because", "amid", "despite", "via",
}  # fmt: skip
# Event words that are nouns: they name what is counted ("969 reported deaths").
_EVENT_NOUNS = frozenset(
    "deaths fatalities injuries arrests detentions cancellations cancelations lives".split()
)
# "157 of 338 seats", "three of the eight charges", "nine out of 10 winners": a part and its whole.
_PART_OF = re.compile(
    r"\s+of\s+(?:the\s+)?(?=\d|(?:two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|twenty|thirty|forty|fifty)\b)",
    re.IGNORECASE,
)
# Words before a place that say where something happened ("killed across Syria").
_WHERE = frozenset({"in", "at", "from", "near", "outside", "inside", "across", "throughout"})
# A value, in digits or words, shortly before an opening parenthesis: what follows converts it.
_VALUE_BEFORE = re.compile(
    r"(?:\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|"
    r"billion|trillion)\b)[^()]{0,24}$",
    re.IGNORECASE,
)
_PERSON_NOUNS = frozenset(
    "girl boy man woman child son daughter baby student person victim suspect mother father "
    "brother sister teen teenager driver resident".split()
)
# Irregular past tenses: what happened ("met", "struck"), also where a counted noun's phrase
# ends ("a 6.2 quake struck").
PAST_VERBS = frozenset(
    "struck hit held met took made broke won lost gave went came began fell rose shot left sent "
    "fled found kept led ran sold spent stood brought fought hurt cut put set".split()
)
_PHRASE_ENDS = PAST_VERBS | {"said", "told"}
# Words before a number that make it part of a name: "Interstate 35", "Category 4".
_DETERMINERS = frozenset("the a an this that these those its their his her our".split())
_PLURAL = {"men": "man", "women": "woman", "children": "child", "people": "person",
           "feet": "foot", "teeth": "tooth", "mice": "mouse", "lives": "life"}  # fmt: skip
_SUFFIXES = ("ations", "ation", "itions", "ition", "ions", "ion", "ees", "ee", "ies", "es", "s")


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A crude stem that makes plurals and nominee/nomination forms compare equal."""
    word = word.lower().strip("'’")
    if word in _PLURAL:
        return _PLURAL[word]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            if suffix == "ies":
                return word[:-3] + "y"
            if suffix == "es" and not word.endswith(("ses", "xes", "zes", "ches", "shes")):
                continue
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word  # "virus", "status", "analysis" are not plurals
            return word[: -len(suffix)]
    return word


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


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()


def _tokens(sentence: str) -> list[_Tok]:
    return [_Tok(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(sentence)]


def _token_at(tokens: list[_Tok], offset: int) -> int:
    """The index of the first token starting at or after a character offset (binary search:
    a sentence of many numbers must not cost the square of its length)."""
    return bisect.bisect_left(tokens, offset, key=lambda t: t.start)


def _word_number(word: str) -> float | None:
    """'twenty-eight' -> 28, 'six' -> 6, 'dozen' -> 12."""
    word = word.lower()
    if word in _UNITS_WORDS:
        return float(_UNITS_WORDS[word])
    if word in _TENS_WORDS:
        return float(_TENS_WORDS[word])
    if word == "dozen":
        return 12.0
    tens, _, unit = word.partition("-")
    if tens in _TENS_WORDS and unit in _UNITS_WORDS and 0 < _UNITS_WORDS[unit] < 10:
        return float(_TENS_WORDS[tens] + _UNITS_WORDS[unit])
    return None


def _digits_precision(raw: str) -> float:
    """One unit of the last written digit: '6.9' -> 0.1, '1,400' -> 100, '28' -> 1."""
    digits = raw.replace(",", "")
    if "." in digits:
        return 10.0 ** -len(digits.split(".")[1])
    stripped = digits.rstrip("0")
    return 10.0 ** (len(digits) - len(stripped)) if stripped else 1.0


_NUMBER_START = re.compile(
    r"(?:(?P<cur>[$€£¥])\s?)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>million|billion|trillion|thousand|hundred|(?-i:bn|mn|tn|m|b|k))\b)?"
    r"(?P<ord>st|nd|rd|th)?(?P<pct>\s?%|\s+percent\b|\s+per\s+cent\b)?"
    r"|(?P<word>(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|"
    r"four|five|six|seven|eight|nine))?|zero|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|dozen)\b"
    r"(?:\s(?P<dozen>dozen)\b)?(?:\s(?P<wscale>hundred|thousand|million|billion|trillion)\b)?(?P<wpct>\s+percent\b)?",
    re.IGNORECASE,
)
_AGE_AFTER_NAME = re.compile(
    r"(?P<name>(?:[A-Z][a-z'’]+\s+){0,2}[A-Z][a-z'’-]+),\s+(?P<age>\d{1,3})\s*(?=[,;)]|\s+and\b|$|\.)"
    r"|(?P<name2>(?:[A-Z][a-z'’]+\s+){0,2}[A-Z][a-z'’-]+)\s+\((?P<age2>\d{1,3})\)"
)
_AGE_BEFORE_NAME = re.compile(
    r"(?P<num>\d{1,3}|[A-Za-z]+(?:-[a-z]+)?)-year-old\s+(?P<rest>(?:[A-Za-z'’.-]+\s+){0,4}?)"
    r"(?P<name>(?:[A-Z][a-z'’]+\s+){0,2}[A-Z][a-z'’-]+)"
)
_AGED = re.compile(
    r"(?P<name>(?:[A-Z][a-z'’]+\s+){0,2}[A-Z][a-z'’-]+)[^.;]{0,40}?\b(?:aged|age)\s+(?P<num>\d{1,3})\b"
)
_NOT_NAMES = frozenset(m.capitalize() for m in MONTHS + WEEKDAYS) | {
    "The", "A", "An", "He", "She", "They", "It", "In", "On", "At", "By", "Mr", "Mrs", "Ms", "Dr",
    "Police", "Officials", "Authorities",
}  # fmt: skip


def _content_stems(tokens: list[_Tok], lo: int, hi: int, skip: set[int]) -> frozenset[str]:
    """Stems of the content words of tokens[lo:hi], leaving out those in skip."""
    return frozenset(
        stem(t.text)
        for k, t in enumerate(tokens[max(0, lo) : hi], start=max(0, lo))
        if k not in skip and t.text[0].isalpha() and t.low not in _NOT_NOUNS and len(t.text) > 2
    )


# Characters read before a value, and tokens either side, at most.
_LOOK_BEHIND = 80
_CLAUSE_TOKENS = 40


def _clause_bounds(tokens: list[_Tok], k: int) -> tuple[int, int]:
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


def _noun_phrase(tokens: list[_Tok], k: int, limit: int = 3) -> tuple[list[str], int]:
    """Words after token k naming what is counted ('Chinese passengers'), and where they end."""
    words: list[str] = []
    j = k
    while j < len(tokens) and len(words) < limit:
        t = tokens[j]
        if (
            t.low == "and"
            and words
            and all(w[0].isupper() for w in words)
            and j + 1 < len(tokens)
            and tokens[j + 1].text[:1].isupper()
        ):
            j += 1  # "21 Russian and Ukrainian officials": both describe one noun
            continue
        if not t.text[0].isalpha() or t.low in _NOT_NOUNS or t.low in _PHRASE_ENDS:
            break
        if t.low in EVENTS and t.low not in _EVENT_NOUNS:
            break
        if t.low.endswith(("ed", "ing")) and t.low not in _EVENT_NOUNS:
            # A participle describes the noun only when one follows ("969 reported deaths").
            nxt = tokens[j + 1] if j + 1 < len(tokens) else None
            if nxt is None or not nxt.text[0].isalpha() or nxt.low in _NOT_NOUNS:
                break
        if t.text[0].isupper() and words and not words[-1][0].isupper():
            break  # "12 people Tuesday": a name after the noun starts something else
        words.append(t.text)
        j += 1
        if t.text.islower() and stem(t.low) != t.low and t.low.endswith("s"):
            break  # a plural ends the phrase: "37 million albums worldwide"
    return words, j


_MONEY = frozenset(_CURRENCY.values()) | frozenset(_CURRENCY_WORDS.values())


def _money_key(tokens: list[_Tok], k_first: int, k_after: int) -> tuple[frozenset[str], int]:
    """What an amount is: the noun after it ("a $500 billion relief bill"), and where its
    phrase ends."""
    noun, j = _noun_phrase(tokens, k_after, limit=5)
    if noun:
        return frozenset({stem(noun[-1])}), j
    return frozenset(), k_after


def _governor(tokens: list[_Tok], k_first: int) -> str:
    """The word a value depends on: "starts at $1,000" -> "start", "was fined $5,000"."""
    for t in reversed(tokens[max(0, k_first - 4) : k_first]):
        if t.text[0].isalpha() and t.low not in _NOT_NOUNS and t.low not in _DETERMINERS:
            return stem(t.low)
    return ""


def _of_head(tokens: list[_Tok], j: int) -> str:
    """The head noun of an "of" phrase at token j ("of fifth degree criminal mischief")."""
    if j >= len(tokens) or tokens[j].low != "of":
        return ""
    head = ""
    for t in tokens[j + 1 : j + 6]:
        if not t.text[0].isalpha() or (t.low in _NOT_NOUNS and head):
            break
        if t.low not in _NOT_NOUNS:
            head = stem(t.text)
    return head


def _event(tokens: list[_Tok], start: int, end: int) -> str:
    """The event class of a count: the word after ('12 were killed') or before ('killed 12')."""
    for t in tokens[end : end + 5]:
        if t.low in EVENTS:
            return EVENTS[t.low]
        if t.text in (",",) or t.low in _AUX:
            continue
        if not t.text[0].isalpha():
            break
    for t in reversed(tokens[max(0, start - 3) : start]):
        if t.low in EVENTS:
            return EVENTS[t.low]
        if t.low.endswith("ed") and len(t.low) > 4 and t.low not in REPORTING:
            return t.low  # "delayed another 1,500 flights": an event of its own
    return ""


def _day_in_clause(sentence: str, lo: int, hi: int) -> str:
    """A weekday, month-day or year named between two character offsets, lower-cased, or ''.

    "in the 2016 campaign" and "from 2011 to 2014" give figures of different times.
    """
    part = sentence[lo:hi]
    for found in re.finditer(
        r"\b(" + "|".join(WEEKDAYS) + r")\b|\b(" + "|".join(MONTHS) + r")\.?\s+(\d{1,2})\b"
        r"|\b(?:19|20)\d\d\b(?![-–]|\s*(?:percent|%))",
        part,
        re.IGNORECASE,
    ):
        before = part[: found.start()].split()[-1:]
        if before and before[0].lower().strip(",") in REPORTING:
            continue  # "said Sunday": when it was said, not when it happened
        return found.group(0).lower()
    return ""


def _numbers(sentence: str, row: int, report_id: str, tokens: list[_Tok]) -> list[Fact]:
    """Counts, amounts, percentages and measures, each with what it is about."""
    facts: list[Fact] = []
    starts = {t.start: k for k, t in enumerate(tokens)}
    skip_whole: set[int] = set()
    range_ends: dict[int, str] = {}
    for match in _NUMBER_START.finditer(sentence):
        begin = match.start()
        if begin in skip_whole:
            continue
        if begin > 0 and (sentence[begin - 1].isalnum() or sentence[begin - 1] in "-/:.,"):
            continue  # part of a word, a range, a score, a time or a decimal
        if match.group("word"):
            raw = match.group("word")
            value = _word_number(raw)
            if value is not None and match.group("dozen"):
                value *= 12  # "two dozen officials"
            scale = match.group("wscale")
            precision = 1.0
            pct = bool(match.group("wpct"))
        else:
            raw = match.group("num")
            value = float(raw.replace(",", ""))
            scale = match.group("scale")
            precision = _digits_precision(raw)
            pct = bool(match.group("pct"))
        if value is None:
            continue
        metres = False
        if scale and scale.lower() == "m" and not match.group("cur"):
            # "15m (50ft)" is metres; "1.5m people" is a million people.
            nxt = sentence[match.end() :].split(maxsplit=1)
            metres = not (nxt and nxt[0][:1].islower() and nxt[0] not in _NOT_NOUNS)
            scale = None if metres else scale
        if scale:
            factor = _SCALES[scale.lower()]
            value *= factor
            precision *= factor
        end = match.end()
        following = sentence[end : end + 1]
        if following == ":" or (following == "." and sentence[end + 1 : end + 2].isdigit()):
            continue  # a time of day
        k_first = starts.get(begin + (1 if match.group("cur") else 0))
        if k_first is None:
            k_first = _token_at(tokens, begin)
        k_after = _token_at(tokens, end)
        if k_first > 0:
            prev = tokens[k_first - 1].text
            if prev[0].isupper() and prev.lower() not in _DETERMINERS | _NOT_NOUNS:
                continue  # part of a name: "Interstate 35", "Category 4", "Area 51"
        # Look-behinds read a bounded window: a long run-on line must not cost its square.
        near = max(0, begin - _LOOK_BEHIND)
        opened = sentence.rfind("(", near, begin)
        if opened > sentence.rfind(")", near, begin) and _VALUE_BEFORE.search(
            sentence[near:opened]
        ):
            continue  # "1bn yen ($8.3m)", "15m (6.5ft to 50ft)": a conversion of the value before
        range_end = range_ends.pop(begin, "")
        if re.search(r"\b(?:between|from)\s+\$?$", sentence[near:begin], re.IGNORECASE):
            # "between 2 and 16 meters", "from 2m to 15m": a range's ends are compared only
            # with another range's ends, never with a single figure.
            other = re.match(r"[^,;]{0,40}?\b(?:and|to)\s+\$?(?=\d)", sentence[end:])
            if not other:
                continue
            range_ends[end + other.end()] = "range high"
            range_end = "range low"
        qualifier, q_start = _qualifier(sentence, begin)
        if qualifier is None:
            continue  # "one of", "a few" and other non-values
        unit, what, of, owner, text_end = "count", frozenset(), "", "", end
        event_noun = ""
        part = False  # "four of five charges": a part, compared only with parts
        ordinal = bool(match.group("ord"))
        currency = _CURRENCY.get(match.group("cur") or "")
        if (
            not currency
            and not scale
            and not pct
            and not ordinal
            and raw.isdigit()
            and len(raw) == 4
            and 1800 <= int(raw) <= 2100
        ):
            continue  # a year (compared as a date)
        hyphen = re.match(r"-(?P<parts>[a-z]+(?:-[a-z]+)*)", sentence[end:])
        j = k_after
        if pct:
            unit = "percent"
        elif currency:
            unit = currency
        elif metres:
            unit = "length"
        if hyphen and not pct:
            parts = hyphen.group("parts").split("-")
            j = _token_at(tokens, end + hyphen.end())
            text_end = end + hyphen.end()
            if parts[:2] == ["year", "old"]:
                continue  # an age: read by _ages with its owner
            if parts[0] in _MEASURES:
                unit, factor = _MEASURES[parts[0]]
                value *= factor
                precision *= factor
                noun, j2 = _noun_phrase(tokens, j)
                what = frozenset(stem(w) for w in noun[-1:])
                text_end = tokens[j2 - 1].end if noun else text_end
                j = j2
            elif parts[0] == "time":  # "a 16-time Grammy nominee": 16 nominations
                noun, j = _noun_phrase(tokens, j)
                what = frozenset(stem(w) for w in noun)
                text_end = tokens[j - 1].end if noun else text_end
            else:  # "a 30-car pileup": the size of the pileup, counted in cars
                noun, j = _noun_phrase(tokens, j)
                what = frozenset(stem(w) for w in noun[-1:]) or frozenset({stem(parts[-1])})
                unit = "size"
                text_end = tokens[j - 1].end if noun else text_end
        elif unit == "count" and re.match(r"\s+out\s+of\s", sentence[end:]):
            rate = re.match(r"\s+out\s+of\s+\S+", sentence[end:])
            skip_whole.add(end + rate.end() - len(rate.group(0).split()[-1]) if rate else -1)
            continue  # "nine out of 10 winners": a rate, not a count
        elif unit == "count" and (whole := _PART_OF.match(sentence[end:])):
            # "157 of 338 seats": the part is counted in the whole's noun; the whole is not read.
            at = end + whole.end()
            k_whole = _token_at(tokens, at)
            noun, j = _noun_phrase(tokens, k_whole + 1)
            what = frozenset(stem(w) for w in noun if not w.lower().endswith(("ed", "ing")))
            skip_whole.add(at)
            part = True
        elif unit == "count":
            noun, j = _noun_phrase(tokens, k_after)
            if noun:
                text_end = tokens[j - 1].end
            if ordinal:
                unit = "ordinal"
            if noun and noun[0].lower() in _MEASURES and unit == "count":
                unit, factor = _MEASURES[noun[0].lower()]
                value *= factor
                precision *= factor
                noun = noun[1:2]
            elif noun and noun[0].lower() in _CURRENCY_WORDS:
                unit = _CURRENCY_WORDS[noun[0].lower()]
                noun = []
            what = frozenset(stem(w) for w in noun if not w.lower().endswith(("ed", "ing", "ly")))
            nouns = [w.lower() for w in noun]
            event_noun = next((EVENTS[w] for w in nouns if w in _EVENT_NOUNS), "")
        before = [t.low for t in tokens[max(0, k_first - 2) : k_first]]
        if "magnitude" in before or unit == "magnitude":
            unit, what = "magnitude", frozenset()  # the quake's magnitude, whatever it is called
        if unit in _MONEY and not what and not hyphen:
            what, j = _money_key(tokens, k_first, k_after)
            if j > k_after:
                text_end = tokens[j - 1].end
        if unit == "count" and match.group("word") and not what:
            continue  # "one said", "two of them": a bare word number is not a fact
        event = (event_noun or _event(tokens, k_first, j)) if unit == "count" else ""
        if (
            unit == "count"
            and not what
            and event in RUNNING_EVENTS
            and not re.search(r"\b(?:at|aged?)\s+$", sentence[near:begin], re.IGNORECASE)
        ):
            what = frozenset(
                {"person"}
            )  # "48 injured", "killed 12": people ("dead at 41" is an age)
        if unit == "count" and not what and not scale:
            continue  # a bare number; "a revised 6.9 million" is kept, keyed by its context
        if j < len(tokens) and tokens[j].low in ("per", "each", "every", "apiece"):
            continue  # "five children per woman": a rate, not a count of this story
        of = range_end or ("part of a whole" if part else _of_head(tokens, j))
        first = q_start if q_start is not None else begin
        lo, hi = _clause_bounds(tokens, k_first)
        clause_lo = tokens[lo].start if lo < len(tokens) else 0
        clause_hi = tokens[hi - 1].end if 0 < hi <= len(tokens) else len(sentence)
        clause = sentence[clause_lo:clause_hi]
        skip = set(range(k_first, j))
        facts.append(
            Fact(
                "number",
                row,
                report_id,
                unit,
                value,
                sentence[first:text_end].strip(),
                qualifier,
                precision,
                what,
                of,
                event,
                owner,
                _content_stems(tokens, k_first - _CONTEXT, j + _CONTEXT, skip),
                _day_in_clause(sentence, clause_lo, clause_hi),
                bool(_FORECAST.search(clause)),
                governor=_governor(tokens, k_first),
            )
        )
    return _whole_ranges(facts)


def _whole_ranges(facts: list[Fact]) -> list[Fact]:
    """Range ends kept only in pairs, the lower value marked low ("between 3,000 and 1,500")."""
    ends = [f for f in facts if f.of.startswith("range")]
    kept = [f for f in facts if not f.of.startswith("range")]
    for k in range(0, len(ends) - 1, 2):
        first, second = ends[k], ends[k + 1]
        if first.of != "range low" or second.of != "range high" or first.unit != second.unit:
            continue  # one end was not a value of the same unit: the range is not read
        low, high = sorted((first, second), key=lambda f: float(f.value))  # type: ignore[arg-type]
        kept += [replace(low, of="range low"), replace(high, of="range high")]
    return kept


def _qualifier(sentence: str, begin: int) -> tuple[str | None, int | None]:
    """The qualifier before a number at `begin` and where it starts; None for non-values."""
    before = sentence[max(0, begin - _LOOK_BEHIND) : begin].lower()
    if re.search(r"\b(?:one|a few|several|some)\s+of\s+(?:the\s+)?$", before):
        return None, None
    for phrase, kind in _QUALIFIERS:
        if re.search(r"\b" + re.escape(phrase) + r"\s+\$?$", before):
            start = len(before.rstrip("$ ")) - len(phrase)
            return kind, start if kind else None
    return "", None


def _surname(name: str) -> str:
    words = [w for w in name.split() if w not in _NOT_NAMES]
    return words[-1].lower() if words else ""


def _ages(sentence: str, row: int, report_id: str) -> list[Fact]:
    """Ages of named people: '29-year-old Geraldine Alcorn', 'Alcorn, 28,', 'Alcorn (28)'."""
    found: list[tuple[str, float, str, int]] = []
    for m in _AGE_BEFORE_NAME.finditer(sentence):
        raw = m.group("num")
        value = float(raw) if raw.isdigit() else _word_number(raw)
        if value is None:
            continue
        rest = m.group("rest").split()
        after = sentence[m.end() :].split(maxsplit=1)
        nxt = after[0].strip(",.;:") if after else ""
        if any(w[0].islower() for w in rest if w.lower() not in ("former", "retired")) or (
            nxt[:1].islower() and nxt.lower() not in STOP_WORDS and not nxt.endswith("ed")
        ):
            continue  # "151-year-old Indian treaty": a thing, read as a measure
        found.append((m.group("name"), value, m.group(0).split("-year-old")[0], m.start()))
    for m in _AGE_AFTER_NAME.finditer(sentence):
        name = m.group("name") or m.group("name2")
        age = m.group("age") or m.group("age2")
        if name.split()[-1] in _NOT_NAMES or not 0 < int(age) < 120:
            continue
        found.append((name, float(age), age, m.start()))
    for m in _AGED.finditer(sentence):
        if m.group("name").split()[-1] not in _NOT_NAMES:
            found.append((m.group("name"), float(m.group("num")), m.group("num"), m.start()))
    facts = []
    for name, value, text, _ in found:
        surname = _surname(name)
        if not surname or surname.capitalize() in gazetteer():
            continue  # "Alabama, 25" is not a person
        facts.append(
            Fact(
                "age",
                row,
                report_id,
                "age",
                value,
                text.strip(),
                owner=name,
                what=frozenset({surname}),
            )
        )
    return facts


def _years_and_things(sentence: str, row: int, report_id: str) -> list[Fact]:
    """Ages of things ('a 151-year-old treaty') and 'since 2008' years."""
    facts = []
    for m in re.finditer(
        # An adjective may be capitalised ("a 151-year-old Indian treaty"); two capitalised
        # words are a name ("7-year-old Liliana Hernandez"), read as an age instead.
        r"\b(?P<num>\d{1,4})-year-old\s+(?:(?:[A-Z][a-z]+|[a-z]+)\s+)?(?P<noun>[a-z]+)\b",
        sentence,
    ):
        if m.group("noun") in _PERSON_NOUNS or m.group("noun") in STOP_WORDS:
            continue  # "an 11-year-old girl": a person, and stories have several
        facts.append(
            Fact(
                "number",
                row,
                report_id,
                "duration",
                float(m.group("num")) * 365.25,
                m.group(0),
                precision=365.25,
                what=frozenset({stem(m.group("noun"))}),
                context=frozenset({stem(m.group("noun"))}),
            )
        )
    for m in re.finditer(r"\bsince\s+(?P<year>(?:18|19|20)\d\d)\b(?!\s*[-–])", sentence):
        tokens = _tokens(sentence)
        k = _token_at(tokens, m.start("year"))
        # What has lasted since then: the nearest noun before "since" ("the port authority").
        head = next(
            (
                t.text
                for t in reversed(tokens[max(0, k - 5) : k - 1])
                if t.text[0].isalpha()
                and t.low not in _NOT_NOUNS
                and not t.low.endswith(("ed", "ing"))
                and t.low not in _PHRASE_ENDS
                and len(t.text) > 3
            ),
            "",
        )
        facts.append(
            Fact(
                "number",
                row,
                report_id,
                "since",
                float(m.group("year")),
                m.group(0),
                what=frozenset({stem(head)}) if head else frozenset(),
                context=_content_stems(tokens, k - _CONTEXT, k + _CONTEXT, {k}),
            )
        )
    return facts


def _dates(
    sentence: str, row: int, report_id: str, published: datetime | None, tokens: list[_Tok]
) -> list[Fact]:
    """Days events happened on: weekdays and month-days, resolved when the report is dated."""
    facts = []
    _, resolutions = resolve_relative(sentence, published)
    resolved = {r.original.lower(): r for r in resolutions if r.start == r.end}
    pattern = re.compile(
        r"\b(?P<weekday>" + "|".join(w.capitalize() for w in WEEKDAYS) + r")\b"
        r"|\b(?P<month>" + "|".join(m.capitalize() for m in MONTHS) + r")\.?\s+(?P<day>\d{1,2})\b"
        r"(?:,?\s+(?P<year>\d{4}))?"
    )
    base = published.date() if published else None
    for m in pattern.finditer(sentence):
        if re.match(r"\s*,?\s*(?:" + "|".join(MONTHS) + r")", sentence[m.end() :], re.I):
            continue  # "Tuesday, June 2": the month-day that follows is read instead
        if m.group("weekday"):
            word = m.group("weekday").lower()
            hit = next((r for o, r in resolved.items() if word in o), None)
            value = hit.start.isoformat() if hit else word
        else:
            month = MONTHS.index(m.group("month").lower()) + 1
            day = int(m.group("day"))
            year = int(m.group("year")) if m.group("year") else None
            if year is None and base is not None:
                year = infer_year(month, day, base)
            try:
                value = date(year, month, day).isoformat() if year else f"--{month:02d}-{day:02d}"
            except ValueError:
                continue
        before = sentence[: m.start()].split()[-2:]
        if any(w.lower().strip(",") in REPORTING for w in before):
            continue  # "police confirmed Wednesday": when it was said, not when it happened
        k = _token_at(tokens, m.start())
        around = sentence[max(0, m.start() - 12) : m.end() + 12]
        tod = _TIME_OF_DAY.search(around)
        facts.append(
            Fact(
                "date",
                row,
                report_id,
                "day",
                value,
                m.group(0),
                what=frozenset({"day"}),
                context=_content_stems(tokens, k - _CONTEXT, k + _CONTEXT + 1, {k}),
                time_of_day=tod.group(0).lower() if tod else "",
            )
        )
    return facts


def _places(sentence: str, row: int, report_id: str, tokens: list[_Tok]) -> list[Fact]:
    """Places where something happened, from the gazetteer ('met in Bishkek')."""
    facts = []
    slots = places(sentence, _WHERE)
    merged = []
    for slot in slots:
        # "Dushanbe, Tajikistan": the appositive names the same place, written in full.
        if merged and f"{merged[-1][1]}, {slot.text}" in sentence:
            merged[-1] = (merged[-1][0], f"{merged[-1][1]}, {slot.text}")
        else:
            merged.append((slot, slot.text))
    for slot, written in merged:
        at = sentence.find(written)
        k = _token_at(tokens, at)
        n = len(written.split())
        facts.append(
            Fact(
                "place",
                row,
                report_id,
                "place",
                slot.value,
                written,
                what=frozenset({"place"}),
                context=_content_stems(
                    tokens, k - _CONTEXT, k + n + _CONTEXT, set(range(k, k + n))
                ),
            )
        )
    return facts


def extract_facts(
    sentence: str, row: int = 0, report_id: str = "", published: datetime | None = None
) -> list[Fact]:
    """Every fact a sentence states."""
    tokens = _tokens(sentence)
    return [
        *_numbers(sentence, row, report_id, tokens),
        *_ages(sentence, row, report_id),
        *_years_and_things(sentence, row, report_id),
        *_dates(sentence, row, report_id, published, tokens),
        *_places(sentence, row, report_id, tokens),
    ]
