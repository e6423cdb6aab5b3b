"""Days in text: month-days and weekdays as values, years, and the words that date a saying.

Date arithmetic (relative days, the year of a month-day) lives in newsweave.text.dates; this
module reads the days a sentence states, for the slots, the facts and the verifier alike.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from newsweave.records import Slot
from newsweave.text.dates import MONTHS, WEEKDAYS, infer_year, resolve_relative

# Month and weekday names as written at the start of a name: never a place or a person.
CALENDAR_WORDS = frozenset(m.capitalize() for m in MONTHS + WEEKDAYS)
# "June 3", "June 3, 2024": a month-day, its year when written.
EXPLICIT_DATE = re.compile(
    r"\b(?P<month>" + "|".join(m.capitalize() for m in MONTHS) + r")\.?\s+(?P<day>\d{1,2})"
    r"(?:,?\s+(?P<year>\d{4}))?\b"
)
# A weekday, or a month-day with its year when written (the facts' days).
WEEKDAY_OR_DATE = re.compile(
    r"\b(?P<weekday>" + "|".join(w.capitalize() for w in WEEKDAYS) + r")\b"
    r"|\b(?P<month>" + "|".join(m.capitalize() for m in MONTHS) + r")\.?\s+(?P<day>\d{1,2})\b"
    r"(?:,?\s+(?P<year>\d{4}))?"
)
# Verbs of saying: a day or verb next to them dates the saying, not the event.
REPORTING = frozenset(
    "said says told reported announced added noted stated confirmed showed according "
    "explained".split()
)
TIME_OF_DAY = re.compile(r"\b(?:late|early|overnight|night|midnight)\b", re.IGNORECASE)
# The verifier's years and calendar words.
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
DATE_WORDS = frozenset(MONTHS) | frozenset(WEEKDAYS) | {m[:3] for m in MONTHS}
_MONTH_NAMES = "|".join([m.capitalize() for m in MONTHS] + [m[:3].capitalize() for m in MONTHS])
# A number just after a month ("March 9") or just before one ("9 March", "9th of March").
MONTH_BEFORE = re.compile(r"\b(?:" + _MONTH_NAMES + r")\.?\s+$")
MONTH_AFTER = re.compile(r"(?:st|nd|rd|th)?\s+(?:of\s+)?(?:" + _MONTH_NAMES + r")\b")


def day_value(month_name: str, day: str, year: str | None, base: date | None) -> str | None:
    """A month-day as ISO ('2024-06-03'), its year inferred from the base day when not written;
    '--06-03' when no year is known; None for a day the month does not have."""
    month = MONTHS.index(month_name.lower()) + 1
    day_number = int(day)
    year_number = int(year) if year else None
    if year_number is None and base is not None:
        year_number = infer_year(month, day_number, base)
    try:
        return (
            date(year_number, month, day_number).isoformat()
            if year_number
            else f"--{month:02d}-{day_number:02d}"
        )
    except ValueError:
        return None


def date_slots(sentence: str, published: datetime | None) -> list[Slot]:
    """Days the sentence places events on, relative ones resolved against the publication date."""
    _, resolutions = resolve_relative(sentence, published)
    slots = [
        Slot("date", r.start.isoformat(), r.original, "day")
        for r in resolutions
        if r.start == r.end  # ranges ("this week") are too vague to contradict a day
    ]
    base = published.date() if published else None
    for match in EXPLICIT_DATE.finditer(sentence):
        value = day_value(match.group("month"), match.group("day"), match.group("year"), base)
        if value is None:
            continue
        if not any(s.value == value for s in slots):
            slots.append(Slot("date", value, match.group(0), "day"))
    return slots


def day_in_clause(sentence: str, lo: int, hi: int) -> str:
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
