"""Typed values in a sentence, each keyed by what it is about, for comparison across a story.

A fact (values/fact.py) is a value a report states (a count, an age, an amount, a measure, a
day, a place) with what it is about. The numbers and ages are read in values/counts.py; the
days and places here, on the shared readers of values/when.py and values/places.py. Two
reports' facts meet when their keys agree (newsweave.writing.conflicts decides), however
differently their sentences are phrased.
"""

from __future__ import annotations

import re
from datetime import datetime

from newsweave.text.dates import MONTHS, resolve_relative
from newsweave.text.values.counts import age_facts, number_facts, thing_facts
from newsweave.text.values.fact import (
    CONTEXT,
    Fact,
    Token,
    content_stems,
    token_at,
    tokenize,
)
from newsweave.text.values.places import WHERE, place_slots
from newsweave.text.values.when import REPORTING, TIME_OF_DAY, WEEKDAY_OR_DATE, day_value


def date_facts(
    sentence: str, row: int, report_id: str, published: datetime | None, tokens: list[Token]
) -> list[Fact]:
    """Days events happened on: weekdays and month-days, resolved when the report is dated."""
    facts = []
    _, resolutions = resolve_relative(sentence, published)
    resolved = {r.original.lower(): r for r in resolutions if r.start == r.end}
    base = published.date() if published else None
    for m in WEEKDAY_OR_DATE.finditer(sentence):
        if re.match(r"\s*,?\s*(?:" + "|".join(MONTHS) + r")", sentence[m.end() :], re.I):
            continue  # "Tuesday, June 2": the month-day that follows is read instead
        if m.group("weekday"):
            word = m.group("weekday").lower()
            hit = next((r for o, r in resolved.items() if word in o), None)
            value = hit.start.isoformat() if hit else word
        else:
            day = day_value(m.group("month"), m.group("day"), m.group("year"), base)
            if day is None:
                continue
            value = day
        before = sentence[: m.start()].split()[-2:]
        if any(w.lower().strip(",") in REPORTING for w in before):
            continue  # "police confirmed Wednesday": when it was said, not when it happened
        k = token_at(tokens, m.start())
        around = sentence[max(0, m.start() - 12) : m.end() + 12]
        tod = TIME_OF_DAY.search(around)
        facts.append(
            Fact(
                "date",
                row,
                report_id,
                "day",
                value,
                m.group(0),
                what=frozenset({"day"}),
                context=content_stems(tokens, k - CONTEXT, k + CONTEXT + 1, {k}),
                time_of_day=tod.group(0).lower() if tod else "",
            )
        )
    return facts


def place_facts(sentence: str, row: int, report_id: str, tokens: list[Token]) -> list[Fact]:
    """Places where something happened, from the gazetteer ('met in Bishkek')."""
    facts = []
    slots = place_slots(sentence, WHERE)
    merged = []
    for slot in slots:
        # "Dushanbe, Tajikistan": the appositive names the same place, written in full.
        if merged and f"{merged[-1][1]}, {slot.text}" in sentence:
            merged[-1] = (merged[-1][0], f"{merged[-1][1]}, {slot.text}")
        else:
            merged.append((slot, slot.text))
    for slot, written in merged:
        at = sentence.find(written)
        k = token_at(tokens, at)
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
                context=content_stems(tokens, k - CONTEXT, k + n + CONTEXT, set(range(k, k + n))),
            )
        )
    return facts


def extract_facts(
    sentence: str, row: int = 0, report_id: str = "", published: datetime | None = None
) -> list[Fact]:
    """Every fact a sentence states."""
    tokens = tokenize(sentence)
    return [
        *number_facts(sentence, row, report_id, tokens),
        *age_facts(sentence, row, report_id),
        *thing_facts(sentence, row, report_id),
        *date_facts(sentence, row, report_id, published, tokens),
        *place_facts(sentence, row, report_id, tokens),
    ]
