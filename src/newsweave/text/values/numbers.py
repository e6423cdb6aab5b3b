"""Numbers in text: number words, numerals, scales, currencies, measures and what they count.

One vocabulary serves the three readers of numbers:

- `number_slots` (here): counted quantities as slots, compared across outlets by the claims
  and the composer ("12 dead", "$2 million", "5%").
- `counts.number_facts`: values keyed by what they are about, for conflict detection.
- `quantities` (here): numbers with their units, for the verifier's number check.

The readers keep their own patterns and rules where these differ (which words open a number,
what counts as a qualifier, how a counted noun is folded): each was measured with its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsweave.records import Slot
from newsweave.text.values.stems import related_stems, singular, stem
from newsweave.text.values.when import EXPLICIT_DATE, MONTH_AFTER, MONTH_BEFORE, YEAR
from newsweave.text.words import STOP_WORDS

# Vocabulary --------------------------------------------------------------------------------

UNIT_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
TEN_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
# Number words, as they open a value ("Three people"); "dozen" too.
NUMBER_WORDS = frozenset(UNIT_WORDS) | frozenset(TEN_WORDS) | {"dozen"}
# Multipliers written after a number, as words or abbreviations ("2bn", "1.5m", "two dozen").
SCALES = {
    "dozen": 12, "hundred": 1e2, "thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6,
    "mn": 1e6, "mln": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12,
}  # fmt: skip
# Currency signs, by the name the slots and the facts use and by the verifier's code.
CURRENCY_NAMES = {"$": "dollars", "€": "euros", "£": "pounds", "¥": "yen"}
CURRENCY_CODES = {"$": "usd", "€": "eur", "£": "gbp", "¥": "jpy"}
# Measures: unit word -> (dimension, factor to the dimension's base unit).
MEASURES = {
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
# What happened to the counted, folded into classes so that synonyms compare equal (the facts').
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


def word_number(word: str) -> float | None:
    """'twenty-eight' -> 28, 'six' -> 6, 'dozen' -> 12."""
    word = word.lower()
    if word in UNIT_WORDS:
        return float(UNIT_WORDS[word])
    if word in TEN_WORDS:
        return float(TEN_WORDS[word])
    if word == "dozen":
        return 12.0
    tens, _, unit = word.partition("-")
    if tens in TEN_WORDS and unit in UNIT_WORDS and 0 < UNIT_WORDS[unit] < 10:
        return float(TEN_WORDS[tens] + UNIT_WORDS[unit])
    return None


def digits_precision(raw: str) -> float:
    """One unit of the last written digit: '6.9' -> 0.1, '1,400' -> 100, '28' -> 1."""
    digits = raw.replace(",", "")
    if "." in digits:
        return 10.0 ** -len(digits.split(".")[1])
    stripped = digits.rstrip("0")
    return 10.0 ** (len(digits) - len(stripped)) if stripped else 1.0


def is_year(raw: str) -> bool:
    """Whether a numeral as written is a year (1800-2100), compared as a date instead."""
    return raw.isdigit() and len(raw) == 4 and 1800 <= int(raw) <= 2100


# Counted quantities as slots ---------------------------------------------------------------

_SLOT_NUMBER_WORDS = (
    {w: v for w, v in UNIT_WORDS.items() if v >= 2}
    | TEN_WORDS
    | {"hundred": 100, "dozen": 12, "dozens": None, "hundreds": None}
)
_NUMBER = re.compile(
    r"(?:\b(?P<qualifier>more than|over|at least|about|around|roughly|approximately|some|nearly|"
    r"almost|up to|under|less than|fewer than)\s+)?"
    r"(?P<currency>[$€£¥])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    + "|".join(w for w, v in _SLOT_NUMBER_WORDS.items() if v is not None)
    + r")(?P<pct>\s?%| percent\b)?(?:\s+(?P<scale>dozen|thousand|million|billion|trillion))?"
    r"(?:\s+(?P<noun>(?:[a-z]+-)?[a-z]+))?",
    re.IGNORECASE,
)
# What happened to the counted: the verb before ("killed 12 people") or after ("12 people
# were arrested") the number, folded into a few classes so that synonyms compare equal.
_SLOT_EVENTS = {
    **dict.fromkeys("died dead killed perished deaths fatalities".split(), "dead"),
    **dict.fromkeys(
        "injured hurt wounded stabbed shot hospitalized hospitalised".split(), "injured"
    ),
    **dict.fromkeys("arrested detained held charged custody".split(), "arrested"),
    **dict.fromkeys("missing unaccounted".split(), "missing"),
    **dict.fromkeys("evacuated displaced".split(), "evacuated"),
}
_SLOT_AUX = frozenset("were was are is have has had been be being in".split())


def _slot_event(before: str, after: str) -> str:
    """The event class of a count, from the words around it, or ''."""
    words_after = [w.lower().strip(",.;:") for w in after.split()[:4]]
    for word in filter(None, words_after):
        if word in _SLOT_EVENTS:
            return _SLOT_EVENTS[word]
        if word not in _SLOT_AUX:
            break
    words_before = [w.lower().strip(",.;:") for w in before.split()[-2:]]
    return next((_SLOT_EVENTS[w] for w in reversed(words_before) if w in _SLOT_EVENTS), "")


# Words after a number that say nothing about what is counted.
_FILLER = frozenset(
    {"of", "and", "or", "the", "a", "an", "to", "in", "on", "at", "for", "more", "than",
     "other", "new", "people's", "per", "were", "was", "are", "is", "have", "had", "said"}
)  # fmt: skip


def _slot_number_value(raw: str, scale: str | None) -> float | None:
    word = raw.lower()
    if word in _SLOT_NUMBER_WORDS:
        value = _SLOT_NUMBER_WORDS[word]
        if value is None:
            return None
    else:
        value = float(raw.replace(",", ""))
    return value * SCALES.get((scale or "").lower(), 1)


def fmt_number(value: float) -> str:
    """A slot's value as written: '1,200', '2.5'."""
    return f"{int(value):,}" if value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")


_CURRENCY_KEYS = frozenset(CURRENCY_NAMES.values())
# "at least 12 dead" is the confirmed count, read as exact, as news style uses it.
_SLOT_QUALIFIERS = {
    "more than": "more", "over": "more",
    "about": "about", "around": "about", "roughly": "about", "approximately": "about",
    "some": "about", "nearly": "nearly", "almost": "nearly",
    "up to": "less", "under": "less", "less than": "less", "fewer than": "less",
}  # fmt: skip


def number_slots(sentence: str) -> list[Slot]:
    """Counted quantities: '12 dead', 'every three months', '$2 million', '5%'."""
    slots: list[Slot] = []
    for match in _NUMBER.finditer(sentence):
        start = match.start("num")
        if start > 0 and (sentence[start - 1].isalnum() or sentence[start - 1] in "-/:"):
            continue  # part of a word, a range, a score or a time
        if EXPLICIT_DATE.match(sentence, max(0, start - 12)) and re.search(
            r"[A-Z][a-z]+\.?\s+$", sentence[:start]
        ):
            continue  # the day of a date ("June 3")
        value = _slot_number_value(match.group("num"), match.group("scale"))
        if value is None:
            continue
        raw_num = match.group("num")
        if is_year(raw_num):
            continue  # a year, compared as a date instead
        if match.group("currency"):
            key = CURRENCY_NAMES[match.group("currency")]
        elif match.group("pct"):
            key = "percent"
        else:
            noun = match.group("noun") or ""
            if noun.lower() in _FILLER:
                noun = ""
            key = singular(noun) if noun else ""
            if key:
                # "12 people were arrested" and "three people were stabbed" count different things.
                event = _slot_event(sentence[: match.start()], sentence[match.end() :])
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
        if match.group("qualifier") or raw_num.lower() in _SLOT_NUMBER_WORDS:
            text = text[0].lower() + text[1:]  # "At least 12", "Three" opening a sentence
        qualifier = _SLOT_QUALIFIERS.get((match.group("qualifier") or "").lower(), "")
        slots.append(Slot("number", fmt_number(value), text.strip(), key, qualifier))
    return slots


# Numbers with their units, for the verifier --------------------------------------------------

_QUANTITY_WORDS = (
    {w: v for w, v in UNIT_WORDS.items() if v >= 1} | TEN_WORDS | {"hundred": 100, "dozen": 12}
)
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "twentieth": 20,
}  # fmt: skip
_CURRENCY_STEMS = {"dollar": "usd", "euro": "eur", "pound": "gbp", "yen": "jpy"}
_UNIT_ALIASES = {
    "percent": "%",
    "pct": "%",
    "yr": "year",
    "km": "kilometre",
    "kilometer": "kilometre",
}
# The look-ahead lets the engine skip positions that cannot start a number (much faster).
_QUANTITY_PATTERN = (
    r"(?=[$€£¥\d]|\b[a-z])(?P<cur>[$€£¥])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<suffix>bn|mn|mln|tn|[kmb])?(?![\w.,]\d)(?:\s?(?P<pct>%|per ?cent\b|percent\b))?"
    r"|\b(?P<word>" + "|".join(_QUANTITY_WORDS) + r")\b"
    r"|\b(?P<ord>" + "|".join(_ORDINALS) + r"|\d+(?:st|nd|rd|th))\b"
)
_QUANTITY = re.compile(_QUANTITY_PATTERN)  # run on lower-cased text
_QUANTITY_ANY_CASE = re.compile(_QUANTITY_PATTERN, re.IGNORECASE)
_SCALE_WORD = re.compile(r"\s*-?\s*(thousand|million|billion|trillion)\b", re.IGNORECASE)
_UNIT_WORD = re.compile(r"[\s-]+(?:of\s+)?([A-Za-z]+)")
_MAY_COUNT = re.compile(
    r"[\d$€£¥]|\b(?:" + "|".join([*_QUANTITY_WORDS, *_ORDINALS]) + r")\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Quantity:
    """A number as stated: its value and what it counts (a currency, '%', a noun stem)."""

    value: float
    unit: str
    text: str
    ordinal: bool = False


def quantities(text: str) -> list[Quantity]:
    """The numbers of a text with their units; years and parts of codes are left out."""
    found: list[Quantity] = []
    if not _MAY_COUNT.search(text):
        return found  # most sentences hold no number: skip the costly pattern
    lowered = text.lower()
    # Lower-casing can change the length of a few non-ASCII texts; they take the slow path.
    matches = (
        _QUANTITY.finditer(lowered)
        if len(lowered) == len(text)
        else _QUANTITY_ANY_CASE.finditer(text)
    )
    for match in matches:
        end = match.end()
        first = next(g for g in ("cur", "num", "word", "ord") if match.group(g))
        start = match.start(first)
        before = text[max(0, start - 1) : start]
        if before and (before.isalpha() or before in "-/") and not match.group("word"):
            continue  # part of a code ("CoV-2") or a range
        if match.group("num") and (
            MONTH_BEFORE.search(text, 0, start) or MONTH_AFTER.match(text, match.end("num"))
        ):
            continue  # the day of a date ("March 9", "9 March"): the dates check has it
        ordinal = bool(match.group("ord"))
        if ordinal:
            raw = match.group("ord").lower()
            value = float(_ORDINALS.get(raw) or int(re.sub(r"\D", "", raw)))
        elif match.group("word"):
            value = float(_QUANTITY_WORDS[match.group("word").lower()])
        else:
            raw = match.group("num").replace(",", "")
            value = float(raw)
            if not match.group("cur") and not match.group("suffix") and YEAR.fullmatch(raw):
                continue  # a year: the dates check compares it
        scale = match.group("suffix")
        scaled = _SCALE_WORD.match(text, end)
        if scaled:
            scale, end = scaled.group(1), scaled.end()
        if scale:
            value *= SCALES[scale.lower()]
        unit = ""
        if match.group("cur"):
            unit = CURRENCY_CODES[match.group("cur")]
        elif match.group("pct"):
            unit = "%"
        else:
            follow = _UNIT_WORD.match(text, end)
            if follow:
                word = follow.group(1).lower()
                if word in ("percent", "pct"):
                    unit = "%"
                elif word not in STOP_WORDS and word not in ("and", "or"):
                    unit = _CURRENCY_STEMS.get(stem(word)) or _UNIT_ALIASES.get(word) or stem(word)
                    end = follow.end()
        if match.group("word") and value == 1 and unit in ("", "of"):
            continue  # "one of", "one" as a pronoun
        found.append(Quantity(value, unit, text[start:end].strip(), ordinal))
    return found


def same_quantity(a: Quantity, b: Quantity) -> bool:
    """Whether two quantities state the same value of compatible units."""
    if a.ordinal != b.ordinal or abs(a.value - b.value) > 1e-9 * max(1.0, abs(a.value)):
        return False
    return not a.unit or not b.unit or related_stems(a.unit, b.unit)


def rival_quantity(a: Quantity, b: Quantity) -> bool:
    """Whether b gives another value for what a counts (same unit, different value)."""
    return bool(a.unit) and a.ordinal == b.ordinal and b.unit == a.unit and not same_quantity(a, b)
