"""Explicit dates: relative times ("this week", "on Tuesday") resolved against publication."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip

_PARTS = r"(?:\s+(?P<part>morning|afternoon|evening|night))?"
_RELATIVE = re.compile(
    r"\b(?:(?P<prep>on|earlier|later)\s+)?"
    r"(?:(?P<dayword>today|tonight|yesterday|tomorrow)"
    r"|this\s+(?P<thispart>morning|afternoon|evening)"
    r"|(?P<which>this|last|next)\s+(?P<unit>week|month|year|weekend)"
    r"|(?:(?P<mod>last|this|next)\s+)?"
    r"(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    + _PARTS
    + r")\b(?P<has_date>,?\s+(?:"
    + "|".join(m.capitalize() for m in MONTHS)
    + r")\.?\s+\d)?",
    re.IGNORECASE,
)
# Future markers decide whether a bare weekday points forward or back.
_FUTURE = re.compile(
    r"\b(?:will|shall|is due|are due|is expected|are expected|is scheduled|are scheduled|"
    r"plans? to|is set to|are set to|next|upcoming)\b",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    r"\b(?P<month>" + "|".join(m.capitalize() for m in MONTHS) + r")\.?\s+(?P<day>\d{1,2})\b"
    r"(?!\s*,?\s*\d{4})(?!\d)(?!\s*(?:-|–|to)\s*\d)"
)


# After these, "until Wednesday" becomes "until Wednesday, June 10, 2026" (no added "on").
_PREPOSITIONS = frozenset(
    "until till by since before after from through to on of between and or".split()
)


@dataclass(frozen=True)
class Resolution:
    """One relative expression, what it was resolved to, and the date range it means."""

    original: str
    replacement: str
    start: date
    end: date


def format_date(d: date) -> str:
    """A date as readers write it: June 5, 2026."""
    return f"{MONTHS[d.month - 1].capitalize()} {d.day}, {d.year}"


def format_month(d: date) -> str:
    """A month as readers write it: June 2026."""
    return f"{MONTHS[d.month - 1].capitalize()} {d.year}"


def _shift_month(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _weekday_date(base: date, weekday: int, mod: str, future: bool) -> date:
    if mod == "next" or (future and mod != "last"):
        ahead = (weekday - base.weekday()) % 7
        return base + timedelta(days=ahead or (7 if mod == "next" else 0))
    back = (base.weekday() - weekday) % 7
    if mod == "last" and back == 0:
        back = 7
    return base - timedelta(days=back)


def _resolve(
    match: re.Match[str], base: date, future: bool, after_preposition: bool
) -> Resolution | None:
    g = match.groupdict()
    text = match.group(0)
    if g["has_date"]:
        return None  # "Tuesday, June 2" is already explicit
    prep = (g["prep"] or "").lower()
    lead = f"{prep} " if prep in ("earlier", "later") else ""
    if g["dayword"]:
        word = g["dayword"].lower()
        day = base + timedelta(days={"yesterday": -1, "tomorrow": 1}.get(word, 0))
        what = "on the night of " if word == "tonight" else "on "
        return Resolution(text, f"{lead}{what}{format_date(day)}", day, day)
    if g["thispart"]:
        return Resolution(
            text, f"{lead}on the {g['thispart'].lower()} of {format_date(base)}", base, base
        )
    if g["unit"]:
        unit, which = g["unit"].lower(), g["which"].lower()
        step = {"this": 0, "last": -1, "next": 1}[which]
        if unit in ("week", "weekend"):
            monday = base - timedelta(days=base.weekday()) + timedelta(weeks=step)
            if unit == "weekend":
                saturday = monday + timedelta(days=5)
                return Resolution(
                    text,
                    f"{lead}on the weekend of {format_date(saturday)}",
                    saturday,
                    saturday + timedelta(days=1),
                )
            return Resolution(
                text, f"{lead}in the week of {format_date(monday)}", monday, monday + timedelta(6)
            )
        if unit == "month":
            first = _shift_month(base, step)
            last = _shift_month(first, 1) - timedelta(days=1)
            return Resolution(text, f"{lead}in {format_month(first)}", first, last)
        year = base.year + step
        return Resolution(text, f"{lead}in {year}", date(year, 1, 1), date(year, 12, 31))
    weekday = WEEKDAYS.index(g["weekday"].lower())
    day = _weekday_date(base, weekday, (g["mod"] or "").lower(), future)
    part = f" {g['part'].lower()}" if g["part"] else ""
    name = WEEKDAYS[weekday].capitalize()
    on = "" if after_preposition else "on "
    return Resolution(text, f"{lead}{on}{name}{part}, {format_date(day)},", day, day)


def infer_year(month: int, day: int, base: date) -> int | None:
    """The year that puts month/day nearest the publication date (news is rarely 6+ months off)."""
    best: tuple[int, int] | None = None
    for year in (base.year - 1, base.year, base.year + 1):
        try:
            gap = abs((date(year, month, day) - base).days)
        except ValueError:
            continue
        if best is None or gap < best[0]:
            best = (gap, year)
    return None if best is None else best[1]


def resolve_relative(sentence: str, published: datetime | None) -> tuple[str, list[Resolution]]:
    """Rewrite relative times in a sentence as explicit dates, using the report's publication date.

    Without a publication date the sentence is returned unchanged: guessing would be worse.
    """
    if published is None:
        return sentence, []
    base = published.date()  # the report's own local date, not UTC
    future = bool(_FUTURE.search(sentence))
    resolutions: list[Resolution] = []
    out: list[str] = []
    cursor = 0
    for match in _RELATIVE.finditer(sentence):
        before = sentence[: match.start()].split()
        after_preposition = bool(before) and before[-1].lower() in _PREPOSITIONS
        resolution = _resolve(match, base, future, after_preposition)
        if resolution is None:
            continue
        replacement = resolution.replacement
        if match.start() == 0 or sentence[: match.start()].rstrip().endswith((".", '"', "“")):
            replacement = replacement[0].upper() + replacement[1:]
        following = sentence[match.end() : match.end() + 1]
        if replacement.endswith(",") and (not following or following in ",.;:!?)"):
            replacement = replacement[:-1]  # "on Tuesday, June 2, 2026." not ",."
        out.append(sentence[cursor : match.start()])
        out.append(replacement)
        cursor = match.end()
        resolutions.append(resolution)
    out.append(sentence[cursor:])
    text = "".join(out)
    text = _MONTH_DAY.sub(lambda m: _add_year(m, base), text)
    return text, resolutions


def _add_year(match: re.Match[str], base: date) -> str:
    month = MONTHS.index(match.group("month").lower()) + 1
    year = infer_year(month, int(match.group("day")), base)
    return match.group(0) if year is None else f"{match.group(0)}, {year}"
