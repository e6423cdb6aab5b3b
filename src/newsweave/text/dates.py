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
# Tense markers decide whether a bare weekday (or "this weekend") points forward or back.
# Future, including reported speech's backshifted "would": "said trains would run on Tuesday".
_FUTURE = re.compile(
    r"\b(?:will|shall|would(?!\s+have\b)|next|upcoming|tomorrow"
    r"|(?:is|are)\s+(?:due|expected|scheduled|set|going\s+to)"
    r"|(?:plans?|planning)\s+to|(?:planned|scheduled|slated|set)\s+(?:for|to))\b"
    r"|(?<=\w)['’]ll\b",
    re.IGNORECASE,
)
# Past: auxiliaries, perfects and time words, whatever precedes them.
_PAST = re.compile(
    r"\b(?:was|were|had|did|ago|yesterday|previously"
    r"|(?:has|have)\s+(?:not\s+)?(?:been|gone|done|seen|taken|given|made|met|held|left|won|lost"
    r"|begun|come|become|fallen|risen|broken|spoken|written|sent|found|fled|led|paid|\w+ed))\b",
    re.IGNORECASE,
)
# Past verbs that double as participles or adjectives ("will be held", "the last"): these, and
# regular "-ed" verbs (_PAST_ED), count only when _NOT_PAST_BEFORE does not precede them.
_PAST_VERB = re.compile(
    r"\b(?:last|went|came|met|began|held|took|made|gave|left|fell|rose|won|lost|sent|saw|found"
    r"|fled|struck|broke|led|spoke|ran|became|brought|caught|fought|paid|sold|stood|wrote|drove"
    r"|flew|grew|knew|threw|sank|shook|stole|chose|froze|sought|built|spent|kept|felt|heard"
    r"|swore)\b",
    re.IGNORECASE,
)
# Lower-case only, so names such as "Ahmed" are not verbs.
_PAST_ED = re.compile(r"\b[a-z][a-z]*ed\b")
# "-ed" words that are not past tense here: nouns, adjectives, and participles naming plans.
_NOT_PAST_ED = frozenset(
    "bed red shed sled hundred sacred naked wicked kindred rugged ragged jagged crooked beloved "
    "aged based armed united limited detailed related supposed used called alleged expected "
    "scheduled planned slated proposed intended".split()
)
# After these an "-ed" word is an adjective or a passive ("the injured", "is closed", "will be
# held"), which says nothing about when the event was.
_NOT_PAST_BEFORE = frozenset(
    "a an the this that these those his her their its our my your be been being is are am".split()
)
# Present "be" ("are marching", "is closed"): not past, so "this weekend" is the coming one.
_PRESENT = re.compile(r"\b(?:is|are|am)\b|(?<=\w)['’]re\b", re.IGNORECASE)
# A reporting verb dates only the saying, and only when the expression sits right after it:
# "said on Tuesday" is past, but "said the strike will start Tuesday" is not.
_REPORTING = re.compile(r"\b(?P<verb>said|told)\b", re.IGNORECASE)
_REPORTING_GAP = {"said": 0, "told": 2}  # words allowed in between: "told reporters on Tuesday"
# Where a clause ends: punctuation, quotes, dashes and conjunctions or relative pronouns.
_BOUNDARY = re.compile(
    r"[,;:()\[\]\"“”—–]|\b(?:and|but|or|while|whereas|although|though|because|who|which|that"
    r"|whom|whose|where|when|if|unless|yet)\b",
    re.IGNORECASE,
)
# How far a bare month-day may be from publication before its year is anyone's guess.
_YEAR_WINDOW_DAYS = 183
_MONTH_DAY = re.compile(
    r"\b(?P<month>" + "|".join(m.capitalize() for m in MONTHS) + r")\.?\s+(?P<day>\d{1,2})\b"
    r"(?!\s*,?\s*\d{4})(?!\d)(?!\s*(?:-|–|to)\s*\d)"
)


# After these, "until Wednesday" becomes "until Wednesday, June 10, 2026" (no added "on").
_PREPOSITIONS = frozenset(
    "until till by since before after from through to on of for between and or".split()
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
    match: re.Match[str], base: date, tense: str | None, after_preposition: bool
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
        if unit == "weekend" and which == "this" and tense == "past" and base.weekday() < 5:
            step = -1  # "marched this weekend" on a weekday: the weekend just gone
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
    day = _weekday_date(base, weekday, (g["mod"] or "").lower(), tense == "future")
    part = f" {g['part'].lower()}" if g["part"] else ""
    name = WEEKDAYS[weekday].capitalize()
    on = "" if after_preposition else "on "
    return Resolution(text, f"{lead}{on}{name}{part}, {format_date(day)},", day, day)


def infer_year(month: int, day: int, base: date, tense: str | None = None) -> int | None:
    """The year putting month/day nearest publication on the tense's side; None if ~6+ months off.

    News rarely dates events that far from publication, so a year there would be invented:
    "The dam burst on October 2" in a June report is not October 2 of the coming autumn.
    """
    candidates: list[date] = []
    for year in (base.year - 1, base.year, base.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if tense == "past":
        candidates = [d for d in candidates if d <= base]
    elif tense == "future":
        candidates = [d for d in candidates if d >= base]
    if not candidates:
        return None
    nearest = min(candidates, key=lambda d: abs((d - base).days))  # a tie takes the earlier year
    return nearest.year if abs((nearest - base).days) <= _YEAR_WINDOW_DAYS else None


def _quoted(sentence: str) -> list[tuple[int, int]]:
    """The spans of double-quoted speech, including a quote left open or closed by a split."""
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    for i, char in enumerate(sentence):
        if char not in '"“”':
            continue
        if char == '"':
            # A straight quote opens after a space or bracket and before a word.
            before = sentence[i - 1] if i else " "
            after = sentence[i + 1] if i + 1 < len(sentence) else " "
            opening = (before.isspace() or before in "([{—–-") and not after.isspace()
        else:
            opening = char == "“"
        if opening:
            if opened is None:
                opened = i
        else:
            # A close with no open: the quote began in an earlier sentence.
            spans.append((0 if opened is None else opened, i + 1))
            opened = None
    if opened is not None:
        spans.append((opened, len(sentence)))
    return spans


def _tense_markers(sentence: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """Tense-bearing words outside the expression at sentence[start:end], as (start, end, tense).

    Future phrases win over the words inside them ("is expected" is not a past "expected").
    """
    markers = [(m.start(), m.end(), "future") for m in _FUTURE.finditer(sentence)]

    def free(a: int, b: int) -> bool:
        return not any(a < e and s < b for s, e, _ in markers)

    for m in _PAST.finditer(sentence):
        if free(m.start(), m.end()):
            markers.append((m.start(), m.end(), "past"))
    for m in (*_PAST_VERB.finditer(sentence), *_PAST_ED.finditer(sentence)):
        words = sentence[: m.start()].split()
        previous = words[-1].lower() if words else ""
        word = m.group(0).lower()
        if word.endswith("eed") or word in _NOT_PAST_ED or previous in _NOT_PAST_BEFORE:
            continue  # "need", "the injured", "will be held"
        if free(m.start(), m.end()):
            markers.append((m.start(), m.end(), "past"))
    for m in _PRESENT.finditer(sentence):
        if free(m.start(), m.end()):
            markers.append((m.start(), m.end(), "present"))
    for m in _REPORTING.finditer(sentence):
        gap = sentence[m.end() : start]
        allowed = _REPORTING_GAP[m.group("verb").lower()]
        if m.end() <= start and len(gap.split()) <= allowed and not _BOUNDARY.search(gap):
            markers.append((m.start(), m.end(), "past"))
    return [(a, b, t) for a, b, t in markers if b <= start or a >= end]


def _clause(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the clause around sentence[start:end]: up to punctuation or a conjunction."""
    low, high = 0, len(sentence)
    for m in _BOUNDARY.finditer(sentence):
        if m.end() <= start:
            low = m.end()
        elif m.start() >= end:
            high = m.start()
            break
    return low, high


def _tense(sentence: str, start: int, end: int, *, clause_only: bool = False) -> str | None:
    """'future', 'past', 'present' or None for the expression at sentence[start:end].

    The marker nearest the expression in its own clause decides, else (unless clause_only) the
    nearest in the sentence: "Police arrested him on Tuesday and he will appear in court" is past.
    """
    markers = _tense_markers(sentence, start, end)
    low, high = _clause(sentence, start, end)
    windows = [(low, high)] if clause_only else [(low, high), (0, len(sentence))]
    for lo, hi in windows:
        near = [m for m in markers if m[0] >= lo and m[1] <= hi]
        if near:
            # Distance to the expression; on a tie the word before it wins.
            nearest = min(
                near, key=lambda m: (start - m[1], 0) if m[1] <= start else (m[0] - end, 1)
            )
            return nearest[2]
    return None


def resolve_relative(sentence: str, published: datetime | None) -> tuple[str, list[Resolution]]:
    """Rewrite relative times in a sentence as explicit dates, using the report's publication date.

    Without a publication date the sentence is returned unchanged: guessing would be worse.
    """
    if published is None:
        return sentence, []
    base = published.date()  # the report's own local date, not UTC
    quotes = _quoted(sentence)
    resolutions: list[Resolution] = []
    out: list[str] = []
    cursor = 0
    for match in _RELATIVE.finditer(sentence):
        spoken = match.group("dayword") or match.group("thispart") or match.group("weekday")
        if spoken and any(lo <= match.start() < hi for lo, hi in quotes):
            continue  # a quote's "today" is the speaker's day, which may not be publication's
        before = sentence[: match.start()].split()
        after_preposition = bool(before) and before[-1].lower() in _PREPOSITIONS
        tense = _tense(sentence, match.start(), match.end())
        resolution = _resolve(match, base, tense, after_preposition)
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
    text = _MONTH_DAY.sub(lambda m: _add_year(m, base, text), text)
    return text, resolutions


def _add_year(match: re.Match[str], base: date, text: str) -> str:
    month = MONTHS.index(match.group("month").lower()) + 1
    # Only the date's own clause may withhold a year that nearness alone would give.
    tense = _tense(text, match.start(), match.end(), clause_only=True)
    year = infer_year(month, int(match.group("day")), base, tense)
    return match.group(0) if year is None else f"{match.group(0)}, {year}"
