"""Two facts from two reports of one story: are they about the same thing, do they agree?

Facts (text/values/facts.py) from two independent reports meet when they are about the same thing:
the same counted noun and event, the same person's age, the same day or place of the same
happening, in sentences whose wording and vectors say so. Values that can both be true
(approximations, bounds, rounding, a quotation and its excerpt) are the same; those that
differ only within rounding or approximation, or name neighbouring places, differ softly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

import numpy as np

from newsweave.records import Sentence
from newsweave.text.dates import WEEKDAYS
from newsweave.text.values.counts import PAST_VERBS
from newsweave.text.values.fact import Fact
from newsweave.text.values.numbers import EVENTS
from newsweave.text.values.places import geonames
from newsweave.text.values.stems import noun_stem as stem
from newsweave.text.values.when import REPORTING
from newsweave.text.words import WORD

# Share of the smaller context two facts must share to be about the same thing, by how much
# else vouches for it (a matching counted noun and event vouch a lot, nothing vouches little).
CONTEXT_KEYED = 0.25
CONTEXT_BARE = 0.4
# Counts further apart than this ratio are different quantities, not one disputed figure.
MAX_RATIO = 3.0
MAX_RATIO_EVENT = 5.0
# Places closer than this are neighbours ("near Lake Charles", "near Cameron"): a soft difference.
NEIGHBOURS_KM = 60.0
# Counted nouns that say nothing about who: a count of them needs a close sentence.
GENERIC = frozenset({"person", "man", "woman", "child", "people", "member", "other"})
# Event classes that name what happened to the counted ("dead", "injured", ...): a key.
EVENT_CLASSES = frozenset(EVENTS.values())
# Capitalised words before a surname that are not first names.
_NOT_FIRST_NAMES = frozenset(
    "The A An In On At By Mr Mrs Ms Dr Officer Judge Sen Rep President Governor Mayor Chief "
    "Detective Sgt Lt Capt Gen Coach Professor When While After Before And But".split()
)
_FUTURE = re.compile(
    r"\b(?:will|would|shall|is to|are to|going to|plans? to|scheduled|expected to|due to)\b", re.I
)
# Units of measure, not of counting: which one a value is, the words around it say.
_MEASURE_UNITS = frozenset({"duration", "length", "mass", "area"})


def _verbs(text: str) -> frozenset[str]:
    """Past-tense verbs near a date or place: what happened then or there."""
    found = set()
    for word in WORD.findall(text.lower()):
        if word in REPORTING:
            continue
        if word in PAST_VERBS or (word.endswith("ed") and len(word) > 4):
            found.add(word)
    return frozenset(found)


def _window(text: str, surface: str, size: int = 6) -> str:
    """The words around where a value is written."""
    at = text.find(surface)
    if at < 0:
        return text
    before = text[:at].split()[-size:]
    after = text[at + len(surface) :].split()[:size]
    return " ".join([*before, surface, *after])


@dataclass
class _Story:
    """What comparing facts needs to know about the story's sentences."""

    sentences: Sequence[Sentence]
    embeddings: np.ndarray
    groups: dict[str, int]
    outlets: dict[str, str]
    published: dict[str, datetime | None]
    related: float  # the embedder's cosine for related sentences
    align: float  # the embedder's cosine for one claim
    facts: Sequence[Sequence[Fact]] = ()  # by row
    _rows: dict[str, list[int]] = field(default_factory=dict)
    _names: dict[str, set[str]] = field(default_factory=dict)
    # Asked for every pair of a bucket: kept, so each costs one pass over a report's facts.
    _keys: dict[tuple[str, str, frozenset[str]], list[Fact]] = field(default_factory=dict)
    _grouped: set[str] = field(default_factory=set)
    _varies: dict[Fact, bool] = field(default_factory=dict)
    _verbs: dict[Fact, frozenset[str]] = field(default_factory=dict)
    _future: dict[int, bool] = field(default_factory=dict)
    _stems: dict[int, set[str]] = field(default_factory=dict)

    def sim(self, a: Fact, b: Fact) -> float:
        return float(self.embeddings[a.row] @ self.embeddings[b.row])

    def text(self, fact: Fact) -> str:
        return self.sentences[fact.row].text

    def verbs(self, fact: Fact) -> frozenset[str]:
        """The past-tense verbs near the fact's value (asked for every pair: kept)."""
        if fact not in self._verbs:
            self._verbs[fact] = _verbs(_window(self.text(fact), fact.text))
        return self._verbs[fact]

    def future(self, fact: Fact) -> bool:
        """Whether the fact's sentence speaks of what is to come."""
        if fact.row not in self._future:
            self._future[fact.row] = _FUTURE.search(self.text(fact)) is not None
        return self._future[fact.row]

    def stems(self, fact: Fact) -> set[str]:
        """The stems of the fact's sentence."""
        if fact.row not in self._stems:
            self._stems[fact.row] = _sentence_stems(self.text(fact))
        return self._stems[fact.row]

    def recurring(self, a: Fact, b: Fact) -> bool:
        """Whether each report gives one value for this key, and one of them gives it twice."""
        if self.varies(a) or self.varies(b):
            return False
        return max(len(self.same_key(a)), len(self.same_key(b))) >= 2

    def first_names(self, surname: str) -> set[str]:
        """The first names the story gives people with this surname."""
        if surname not in self._names:
            pattern = re.compile(
                r"\b([A-Z][a-z]+)\s+(?:[A-Z][a-z]+\s+)?" + re.escape(surname.capitalize()) + r"\b"
            )
            self._names[surname] = {
                m.group(1)
                for sentence in self.sentences
                for m in pattern.finditer(sentence.text)
                if m.group(1) not in _NOT_FIRST_NAMES
            }
        return self._names[surname]

    def same_key(self, fact: Fact) -> list[Fact]:
        """The facts of the fact's report with its unit and counted noun."""
        if fact.report_id not in self._grouped:
            self._grouped.add(fact.report_id)  # the report's facts grouped by key in one pass
            for row in self.rows_of(fact.report_id):
                for f in self.facts[row]:
                    self._keys.setdefault((f.report_id, f.unit, f.what), []).append(f)
        return self._keys.get((fact.report_id, fact.unit, fact.what), [])

    def varies(self, fact: Fact) -> bool:
        """Whether the fact's report gives incompatible values for this key."""
        if fact not in self._varies:
            self._varies[fact] = not all(compatible(f, fact) for f in self.same_key(fact))
        return self._varies[fact]

    def rows_of(self, report_id: str) -> list[int]:
        """The rows of a report's sentences."""
        if not self._rows:
            for row, sentence in enumerate(self.sentences):
                self._rows.setdefault(sentence.report_id, []).append(row)
        return self._rows.get(report_id, [])

    def elsewhere(self, a: Fact, b: Fact) -> bool:
        """Whether the two sentences say where, and name places that cannot be the same."""
        places_a = {str(f.value) for f in self.facts[a.row] if f.kind == "place"}
        places_b = {str(f.value) for f in self.facts[b.row] if f.kind == "place"}
        if not places_a or not places_b:
            return False
        if a.kind == "number":
            # A count for a city is part of a count for its country: not the same figure.
            return places_a != places_b
        return not any(_same_place(x, y) for x in places_a for y in places_b)


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    small = min(len(a), len(b))
    return len(a & b) / small if small else 0.0


def _sentence_stems(text: str) -> set[str]:
    return {stem(w) for w in WORD.findall(text.lower())}


def same_fact(a: Fact, b: Fact, story: _Story) -> bool:
    """Whether two facts from different reports state a value of the same thing."""
    if a.kind != b.kind or a.unit != b.unit:
        return False
    sim = story.sim(a, b)
    if a.kind == "age":
        if a.what != b.what or not _first_names_agree(a.owner, b.owner):
            return False
        # A mother and her child share a surname: then only full names say who is who.
        namesakes = len(story.first_names(next(iter(a.what)))) > 1
        return not namesakes or (len(a.owner.split()) > 1 and len(b.owner.split()) > 1)
    context = _overlap(a.context, b.context)
    if a.kind in ("date", "place"):
        verbs_a, verbs_b = story.verbs(a), story.verbs(b)
        if verbs_a and verbs_b and not verbs_a & verbs_b:
            return False  # "met in ... on Tuesday" and "returned ... on Thursday"
        if story.future(a) != story.future(b):
            return False  # "gave ... on Wednesday" and "will meet ... on Friday"
        if a.kind == "date" and verbs_a & verbs_b:
            # The same thing done ("voted", "fired") by the same people: one event.
            return sim >= story.related and context >= CONTEXT_KEYED
        return sim >= story.align and context >= CONTEXT_BARE
    # Numbers: what is counted, what happened to it, of what, when, where, and said as fact.
    if a.event and b.event and a.event != b.event:
        return False
    if a.of and b.of and a.of != b.of:
        return False
    if a.of.startswith("range") != b.of.startswith("range"):
        return False  # a range's end is not a single figure
    if a.forecast != b.forecast:
        return False
    if a.when and b.when and a.when != b.when:
        return False
    if story.elsewhere(a, b):
        return False
    if isinstance(a.value, float) and isinstance(b.value, float):
        small, large = sorted((abs(a.value), abs(b.value)))
        # Tolls of one event may be far apart early on; other counts that far apart differ.
        limit = MAX_RATIO_EVENT if a.event and b.event else MAX_RATIO
        if small == 0 or large / small > limit:
            return False
    if a.what or b.what:
        shared = a.what & b.what
        if not shared:
            return False
        # A modifier one report gives ("Chinese passengers") must be in the other's sentence.
        if not (a.what - b.what) <= story.stems(b):
            return False
        if not (b.what - a.what) <= story.stems(a):
            return False
        known_event = a.event in EVENT_CLASSES and a.event == b.event
        if len(shared) >= 2 or known_event or (a.of and a.of == b.of):
            # A specific key: its sentences need only be about the same story.
            return sim >= story.related / 2 or context >= CONTEXT_KEYED
        if shared <= GENERIC:  # "two men", "12 people": only close sentences say who
            return sim >= story.align and context >= CONTEXT_KEYED
        if story.varies(a) or story.varies(b):
            # A report that counts this thing differently in two places counts several
            # groups of it ("two journalists" evacuated, "three" missing): only a close
            # sentence of the other report can be about the same group.
            return sim >= story.align and context >= CONTEXT_KEYED
        if a.what == b.what and story.recurring(a, b):
            # A figure a report repeats, never varying ("a 25-vehicle pileup" four times), is
            # one of the story's key facts: the other report's one figure for it is the same.
            return sim >= story.related / 2 or context >= CONTEXT_KEYED
        return (sim >= story.related and context >= CONTEXT_KEYED) or context >= CONTEXT_BARE
    if a.governor and a.governor == b.governor:
        # "starts at $1,000" and "will start at $1,699": the same word asks for the value.
        return (sim >= story.related and context >= CONTEXT_KEYED) or context >= CONTEXT_BARE
    if a.unit in _MEASURE_UNITS:
        # "two months" and "three months": a measure is named by the words around it.
        return (sim >= story.related and context >= CONTEXT_BARE) or (
            sim >= story.align and context >= CONTEXT_KEYED
        )
    return sim >= story.align and context >= CONTEXT_BARE


def _first_names_agree(a: str, b: str) -> bool:
    first_a, first_b = a.split()[:-1], b.split()[:-1]
    return not (first_a and first_b) or first_a[0] == first_b[0]


def _interval(fact: Fact, loose: bool) -> tuple[float, float]:
    """The values a number allows given its qualifier and (for rounded amounts) precision."""
    v = float(fact.value)  # type: ignore[arg-type]
    rounding = fact.precision if fact.precision > 1 or v % 1 else 0.0
    width = {"about": 0.35 if loose else 0.15, "nearly": 0.3 if loose else 0.15}
    # "At least 12 dead" is the confirmed count, as news style uses it: exact when strict.
    lo, hi = {
        "more": (v, math.inf),
        "least": (v, v * 1.35) if loose else (v, v),
        "most": (0.0, v),
        "less": (0.0, v),
        "about": (v * (1 - width["about"]), v * (1 + width["about"])),
        "nearly": (v * (1 - width["nearly"]), v),
    }.get(fact.qualifier, (v, v))
    if not fact.qualifier and rounding and _rounded(fact):
        slack = rounding if loose else rounding / 2
        lo, hi = v - slack, v + slack
    return lo, hi


def _rounded(fact: Fact) -> bool:
    """Amounts written with a scale word ('6.9 million') are rounded at their last digit."""
    return bool(re.search(r"million|billion|trillion|thousand|\d(?:m|bn|k)\b", fact.text, re.I))


def compatible(a: Fact, b: Fact) -> bool:
    """Whether two values of one fact can both be true as written ("779" and "more than 750")."""
    if a.kind in ("number", "age"):
        (lo_a, hi_a), (lo_b, hi_b) = _interval(a, False), _interval(b, False)
        return lo_a <= hi_b and lo_b <= hi_a
    return compare(a, b) == "same"


def compare(a: Fact, b: Fact) -> str:
    """'same', 'soft' or 'hard': whether two values of one fact agree, nearly, or not at all."""
    if a.kind in ("number", "age"):
        for low, other in ((a, b), (b, a)):
            # "at least 10" and "20": the bound holds; at most a soft difference.
            if low.qualifier == "least" and not other.qualifier and other.value > low.value:  # type: ignore[operator]
                return "soft"
        (lo_a, hi_a), (lo_b, hi_b) = _interval(a, False), _interval(b, False)
        if lo_a <= hi_b and lo_b <= hi_a:
            return "same" if a.value == b.value or a.kind == "age" else "soft"
        (lo_a, hi_a), (lo_b, hi_b) = _interval(a, True), _interval(b, True)
        return "soft" if lo_a <= hi_b and lo_b <= hi_a else "hard"
    if a.kind == "date":
        return _compare_days(a, b)
    if _same_place(str(a.value), str(b.value)):
        return "same"
    # "near Denver" and "in Highlands Ranch", a suburb: neighbouring places differ softly.
    return "soft" if _km_apart(str(a.value), str(b.value)) <= NEIGHBOURS_KM else "hard"


def _day_index(value: str) -> int | None:
    """A weekday number for a weekday name or an ISO date; None for a month-day without year."""
    if value in WEEKDAYS:
        return WEEKDAYS.index(value)
    if value.startswith("--"):
        return None
    return date.fromisoformat(value).weekday()


def _compare_days(a: Fact, b: Fact) -> str:
    va, vb = str(a.value), str(b.value)
    if va == vb:
        return "same"
    iso_a, iso_b = (
        not (va in WEEKDAYS or va.startswith("--")),
        not (vb in WEEKDAYS or vb.startswith("--")),
    )
    if iso_a and iso_b:
        gap = (date.fromisoformat(vb) - date.fromisoformat(va)).days
    elif va in WEEKDAYS and vb in WEEKDAYS:
        gap = (WEEKDAYS.index(vb) - WEEKDAYS.index(va)) % 7
        gap = gap - 7 if gap > 3 else gap
    elif va.startswith("--") and vb.startswith("--"):
        return "hard"
    else:
        # A weekday and a date: the same day or not, when the date has a year.
        ia, ib = _day_index(va), _day_index(vb)
        return "same" if ia is None or ib is None or ia == ib else "hard"
    if abs(gap) == 1:
        early, late = (a, b) if gap > 0 else (b, a)
        if early.time_of_day in ("late", "night", "overnight", "midnight") or (
            late.time_of_day in ("early", "overnight", "midnight")
        ):
            return "soft"  # "late Tuesday" and "early Wednesday": around one midnight
    return "hard"


@lru_cache(maxsize=1)
def _regions() -> tuple[dict[str, set[str]], dict[str, str]]:
    """Each city name's country and US-state codes, and each country's or state's code."""
    cities, countries, states = geonames()
    within: dict[str, set[str]] = {}
    for entry in cities.values():
        codes = within.setdefault(entry["name"], set())
        codes.add(entry["countrycode"])
        if entry["countrycode"] == "US":
            codes.add("US-" + entry["admin1code"])
    codes = {c["name"]: code for code, c in countries.items()}
    codes.update({s["name"]: "US-" + code for code, s in states.items()})
    return within, codes


@lru_cache(maxsize=1)
def _coordinates() -> dict[str, tuple[float, float]]:
    """Latitude and longitude of each city name (the most populous city of that name)."""
    cities, _, _ = geonames()
    best: dict[str, dict[str, float]] = {}
    for entry in cities.values():
        known = best.get(entry["name"])
        if known is None or known["population"] < entry["population"]:
            best[entry["name"]] = entry
    return {name: (float(e["latitude"]), float(e["longitude"])) for name, e in best.items()}


def _km_apart(a: str, b: str) -> float:
    """Great-circle distance between two cities, or infinity when either is not a city."""
    where = _coordinates()
    if a not in where or b not in where:
        return math.inf
    (lat1, lon1), (lat2, lon2) = (map(math.radians, where[a]), map(math.radians, where[b]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _same_place(a: str, b: str) -> bool:
    """Equal names, or a city and the country or US state it lies in."""
    if a == b:
        return True
    within, codes = _regions()
    return any(codes.get(region) in within.get(city, ()) for city, region in ((a, b), (b, a)))
