"""The facts' numbers: counts, amounts, percentages, measures and ages, each keyed by what it
is about (the counted noun, the event, the person whose age it is, the words around it).

The number words, scales, currencies, measures and event classes are the shared vocabulary of
values/numbers.py; the rules here (which words a count's noun takes, qualifiers with their
bounds, ranges, parts of a whole, conversions in brackets) are the facts' own.
"""

from __future__ import annotations

import re
from dataclasses import replace

from newsweave.text.values.fact import (
    CONTEXT,
    NOT_NOUNS,
    RUNNING_EVENTS,
    Fact,
    Token,
    clause_bounds,
    content_stems,
    token_at,
    tokenize,
)
from newsweave.text.values.names import NOT_NAMES, surname_of
from newsweave.text.values.numbers import (
    CURRENCY_NAMES,
    EVENTS,
    MEASURES,
    SCALES,
    digits_precision,
    is_year,
    word_number,
)
from newsweave.text.values.places import gazetteer
from newsweave.text.values.stems import noun_stem
from newsweave.text.values.when import REPORTING, day_in_clause
from newsweave.text.words import STOP_WORDS

# Currency nouns after a number ("5 million dollars").
_CURRENCY_WORDS = {
    "dollars": "dollars", "dollar": "dollars", "euros": "euros", "euro": "euros",
    "yen": "yen", "yuan": "yuan", "rupees": "rupees",
}  # fmt: skip
# Qualifiers, longest first, and the bounds they put on the stated value.
_QUALIFIERS = (
    ("more than", "more"), ("at least", "least"), ("as many as", "most"), ("up to", "most"),
    ("at most", "most"), ("less than", "less"), ("fewer than", "less"), ("upwards of", "more"),
    ("just over", "more"), ("just under", "less"), ("an estimated", "about"),
    ("approximately", "about"), ("about", "about"), ("around", "about"), ("roughly", "about"),
    ("some", "about"), ("nearly", "nearly"), ("almost", "nearly"), ("over", "more"),
    ("under", "less"), ("close to", "nearly"), ("an", ""), ("a", ""),
)  # fmt: skip
_AUX = frozenset("were was are is have has had been be being in who that reportedly".split())
# A value said to be expected, planned or possible is not a report of what happened.
_FORECAST = re.compile(
    r"\b(?:expects?|expected|forecasts?|forecast|projected|predicts?|predicted|could|might|"
    r"planned|proposed?|aims? to|target|likely)\b",
    re.IGNORECASE,
)
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
# Characters read before a value, at most.
_LOOK_BEHIND = 80


def _noun_phrase(tokens: list[Token], k: int, limit: int = 3) -> tuple[list[str], int]:
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
        if not t.text[0].isalpha() or t.low in NOT_NOUNS or t.low in _PHRASE_ENDS:
            break
        if t.low in EVENTS and t.low not in _EVENT_NOUNS:
            break
        if t.low.endswith(("ed", "ing")) and t.low not in _EVENT_NOUNS:
            # A participle describes the noun only when one follows ("969 reported deaths").
            nxt = tokens[j + 1] if j + 1 < len(tokens) else None
            if nxt is None or not nxt.text[0].isalpha() or nxt.low in NOT_NOUNS:
                break
        if t.text[0].isupper() and words and not words[-1][0].isupper():
            break  # "12 people Tuesday": a name after the noun starts something else
        words.append(t.text)
        j += 1
        if t.text.islower() and noun_stem(t.low) != t.low and t.low.endswith("s"):
            break  # a plural ends the phrase: "37 million albums worldwide"
    return words, j


_MONEY = frozenset(CURRENCY_NAMES.values()) | frozenset(_CURRENCY_WORDS.values())


def _money_key(tokens: list[Token], k_first: int, k_after: int) -> tuple[frozenset[str], int]:
    """What an amount is: the noun after it ("a $500 billion relief bill"), and where its
    phrase ends."""
    noun, j = _noun_phrase(tokens, k_after, limit=5)
    if noun:
        return frozenset({noun_stem(noun[-1])}), j
    return frozenset(), k_after


def _governor(tokens: list[Token], k_first: int) -> str:
    """The word a value depends on: "starts at $1,000" -> "start", "was fined $5,000"."""
    for t in reversed(tokens[max(0, k_first - 4) : k_first]):
        if t.text[0].isalpha() and t.low not in NOT_NOUNS and t.low not in _DETERMINERS:
            return noun_stem(t.low)
    return ""


def _of_head(tokens: list[Token], j: int) -> str:
    """The head noun of an "of" phrase at token j ("of fifth degree criminal mischief")."""
    if j >= len(tokens) or tokens[j].low != "of":
        return ""
    head = ""
    for t in tokens[j + 1 : j + 6]:
        if not t.text[0].isalpha() or (t.low in NOT_NOUNS and head):
            break
        if t.low not in NOT_NOUNS:
            head = noun_stem(t.text)
    return head


def _event(tokens: list[Token], start: int, end: int) -> str:
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


def number_facts(sentence: str, row: int, report_id: str, tokens: list[Token]) -> list[Fact]:
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
            value = word_number(raw)
            if value is not None and match.group("dozen"):
                value *= 12  # "two dozen officials"
            scale = match.group("wscale")
            precision = 1.0
            pct = bool(match.group("wpct"))
        else:
            raw = match.group("num")
            value = float(raw.replace(",", ""))
            scale = match.group("scale")
            precision = digits_precision(raw)
            pct = bool(match.group("pct"))
        if value is None:
            continue
        metres = False
        if scale and scale.lower() == "m" and not match.group("cur"):
            # "15m (50ft)" is metres; "1.5m people" is a million people.
            nxt = sentence[match.end() :].split(maxsplit=1)
            metres = not (nxt and nxt[0][:1].islower() and nxt[0] not in NOT_NOUNS)
            scale = None if metres else scale
        if scale:
            factor = SCALES[scale.lower()]
            value *= factor
            precision *= factor
        end = match.end()
        following = sentence[end : end + 1]
        if following == ":" or (following == "." and sentence[end + 1 : end + 2].isdigit()):
            continue  # a time of day
        k_first = starts.get(begin + (1 if match.group("cur") else 0))
        if k_first is None:
            k_first = token_at(tokens, begin)
        k_after = token_at(tokens, end)
        if k_first > 0:
            prev = tokens[k_first - 1].text
            if prev[0].isupper() and prev.lower() not in _DETERMINERS | NOT_NOUNS:
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
        currency = CURRENCY_NAMES.get(match.group("cur") or "")
        if not currency and not scale and not pct and not ordinal and is_year(raw):
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
            j = token_at(tokens, end + hyphen.end())
            text_end = end + hyphen.end()
            if parts[:2] == ["year", "old"]:
                continue  # an age: read by _ages with its owner
            if parts[0] in MEASURES:
                unit, factor = MEASURES[parts[0]]
                value *= factor
                precision *= factor
                noun, j2 = _noun_phrase(tokens, j)
                what = frozenset(noun_stem(w) for w in noun[-1:])
                text_end = tokens[j2 - 1].end if noun else text_end
                j = j2
            elif parts[0] == "time":  # "a 16-time Grammy nominee": 16 nominations
                noun, j = _noun_phrase(tokens, j)
                what = frozenset(noun_stem(w) for w in noun)
                text_end = tokens[j - 1].end if noun else text_end
            else:  # "a 30-car pileup": the size of the pileup, counted in cars
                noun, j = _noun_phrase(tokens, j)
                what = frozenset(noun_stem(w) for w in noun[-1:]) or frozenset(
                    {noun_stem(parts[-1])}
                )
                unit = "size"
                text_end = tokens[j - 1].end if noun else text_end
        elif unit == "count" and re.match(r"\s+out\s+of\s", sentence[end:]):
            rate = re.match(r"\s+out\s+of\s+\S+", sentence[end:])
            skip_whole.add(end + rate.end() - len(rate.group(0).split()[-1]) if rate else -1)
            continue  # "nine out of 10 winners": a rate, not a count
        elif unit == "count" and (whole := _PART_OF.match(sentence[end:])):
            # "157 of 338 seats": the part is counted in the whole's noun; the whole is not read.
            at = end + whole.end()
            k_whole = token_at(tokens, at)
            noun, j = _noun_phrase(tokens, k_whole + 1)
            what = frozenset(noun_stem(w) for w in noun if not w.lower().endswith(("ed", "ing")))
            skip_whole.add(at)
            part = True
        elif unit == "count":
            noun, j = _noun_phrase(tokens, k_after)
            if noun:
                text_end = tokens[j - 1].end
            if ordinal:
                unit = "ordinal"
            if noun and noun[0].lower() in MEASURES and unit == "count":
                unit, factor = MEASURES[noun[0].lower()]
                value *= factor
                precision *= factor
                noun = noun[1:2]
            elif noun and noun[0].lower() in _CURRENCY_WORDS:
                unit = _CURRENCY_WORDS[noun[0].lower()]
                noun = []
            what = frozenset(
                noun_stem(w) for w in noun if not w.lower().endswith(("ed", "ing", "ly"))
            )
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
        lo, hi = clause_bounds(tokens, k_first)
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
                content_stems(tokens, k_first - CONTEXT, j + CONTEXT, skip),
                day_in_clause(sentence, clause_lo, clause_hi),
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


def age_facts(sentence: str, row: int, report_id: str) -> list[Fact]:
    """Ages of named people: '29-year-old Geraldine Alcorn', 'Alcorn, 28,', 'Alcorn (28)'."""
    found: list[tuple[str, float, str, int]] = []
    for m in _AGE_BEFORE_NAME.finditer(sentence):
        raw = m.group("num")
        value = float(raw) if raw.isdigit() else word_number(raw)
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
        if name.split()[-1] in NOT_NAMES or not 0 < int(age) < 120:
            continue
        found.append((name, float(age), age, m.start()))
    for m in _AGED.finditer(sentence):
        if m.group("name").split()[-1] not in NOT_NAMES:
            found.append((m.group("name"), float(m.group("num")), m.group("num"), m.start()))
    facts = []
    for name, value, text, _ in found:
        surname = surname_of(name)
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


def thing_facts(sentence: str, row: int, report_id: str) -> list[Fact]:
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
                what=frozenset({noun_stem(m.group("noun"))}),
                context=frozenset({noun_stem(m.group("noun"))}),
            )
        )
    for m in re.finditer(r"\bsince\s+(?P<year>(?:18|19|20)\d\d)\b(?!\s*[-–])", sentence):
        tokens = tokenize(sentence)
        k = token_at(tokens, m.start("year"))
        # What has lasted since then: the nearest noun before "since" ("the port authority").
        head = next(
            (
                t.text
                for t in reversed(tokens[max(0, k - 5) : k - 1])
                if t.text[0].isalpha()
                and t.low not in NOT_NOUNS
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
                what=frozenset({noun_stem(head)}) if head else frozenset(),
                context=content_stems(tokens, k - CONTEXT, k + CONTEXT, {k}),
            )
        )
    return facts
