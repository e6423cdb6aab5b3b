"""Checkable values in a sentence (places, dates, numbers, people), compared across outlets.

Embeddings score "met in Bishkek" and "met in Dushanbe" as paraphrases, so disagreements are
found by extracting typed slots and comparing their values explicitly. The slots are read by
the shared readers: numbers (values/numbers.py), places (values/places.py), people
(values/names.py) and days (values/when.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from newsweave.records import Slot
from newsweave.text.values.names import person_slots
from newsweave.text.values.numbers import number_slots
from newsweave.text.values.places import place_slots
from newsweave.text.values.when import date_slots


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


def extract_slots(sentence: str, published: datetime | None = None) -> list[Slot]:
    """Every slot of a sentence."""
    return [
        *place_slots(sentence),
        *number_slots(sentence),
        *person_slots(sentence),
        *date_slots(sentence, published),
    ]


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
