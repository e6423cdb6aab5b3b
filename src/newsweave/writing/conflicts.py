"""Disagreements across a whole story: every report's facts compared with every other's.

Pairs of facts from two independent reports that are about the same thing and differ
(brief/comparison.py) seed a disagreement; the reports' other values of that thing join its
sides. Values that can both be true are not disagreements; those that differ only within
rounding or approximation are kept as "soft" data. A tally reported at different times is a
running figure, and an outlet's later report supersedes its own earlier figure. Each side is
labelled as the reports write it, and the disagreement is named ("the death toll").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import date, datetime

import numpy as np

from newsweave.analysis import Side, StoryConflict
from newsweave.records import Report, Sentence
from newsweave.text.dates import WEEKDAYS, format_date
from newsweave.text.values.fact import Fact
from newsweave.text.values.facts import extract_facts
from newsweave.text.values.numbers import NUMBER_WORDS
from newsweave.text.values.stems import noun_stem as stem
from newsweave.writing.comparison import _MEASURE_UNITS, _Story, compare, compatible, same_fact

# Facts of one kind and unit compared pairwise in one story, at most.
MAX_BUCKET = 400
# Sentences shorter than this are headlines, captions or fragments: not compared.
MIN_WORDS = 6


def _side_label(side: Sequence[Fact]) -> str:
    """The label most reports of a side write, the fuller one on a tie."""
    labels = [_label(f) for f in side]
    return max(dict.fromkeys(labels), key=lambda x: (labels.count(x), len(x)))


def _label(fact: Fact) -> str:
    """How a value is written in a brief."""
    if fact.kind == "age":
        return f"{int(float(fact.value))}"  # type: ignore[arg-type]
    if fact.kind == "date":
        value = str(fact.value)
        if value in WEEKDAYS:
            return value.capitalize()
        if not value.startswith("--"):
            return format_date(date.fromisoformat(value))
        return fact.text
    first = fact.text.split(" ", 1)[0].lower()
    if fact.qualifier or first in NUMBER_WORDS:  # "Three people" opening its sentence
        return fact.text[0].lower() + fact.text[1:]
    return fact.text


_EVENT_ABOUT = {
    "dead": "the death toll",
    "injured": "the number injured",
    "arrested": "the number arrested",
    "missing": "the number missing",
    "evacuated": "the number evacuated",
    "rescued": "the number rescued",
    "cancelled": "the number cancelled",
}
_DIMENSION = {"duration": "length", "length": "length", "mass": "weight", "size": "size"}
_UNIT_ABOUT = {
    "percent": "the percentage",
    "duration": "how long",
    "length": "the distance",
    "mass": "the weight",
    "area": "the area",
    "temperature": "the temperature",
    "magnitude": "the magnitude",
    "since": "since when",
}


def _about(facts: Sequence[Fact]) -> str:
    """What a disagreement is about, in words."""
    first = facts[0]
    if first.kind == "age":
        owner = max((f.owner for f in facts), key=len)
        return f"the age of {owner}"
    if first.kind == "date":
        return "the day"
    if first.kind == "place":
        return "the location"
    events = {f.event for f in facts if f.event}
    if len(events) == 1 and first.unit == "count":
        event = events.pop()
        return _EVENT_ABOUT.get(event, f"the number {event}")
    aged = re.match(r"^[\d,.]+-year-old\s+(?P<noun>.+)$", first.text)
    if aged:  # "a 151-year-old treaty": the age of the treaty
        return f"the age of the {aged.group('noun')}"
    compound = re.match(r"^[\d,.]+-[a-z-]+\s+(?P<noun>.+)$", first.text)
    if compound and first.unit in _DIMENSION:  # "a 48-hour strike": the length of the strike
        return f"the {_DIMENSION[first.unit]} of the {compound.group('noun')}"
    if first.unit in _MEASURE_UNITS and " " in first.text:  # "every three months"
        return f"the number of {first.text.split()[-1]}"
    if first.unit in _DIMENSION:  # "the 8,027-meter mountain"
        return f"the {_DIMENSION[first.unit]}"
    if first.unit in _UNIT_ABOUT:
        return _UNIT_ABOUT[first.unit]
    if first.unit == "ordinal":
        return "which " + _noun(first)
    if first.unit not in ("count",):
        return "the amount"
    noun = max((_noun(f) for f in facts), key=len)
    if noun and stem(noun.split()[-1]) == noun.split()[-1].lower():
        return f"which {noun}"  # "the 3000 block": a number that names, not counts
    return f"the number of {noun}" if noun else "the figure"


def _noun(fact: Fact) -> str:
    """The words after the number: 'Chinese passengers', 'floor', 'pileup'."""
    words = fact.text.split()
    rest = [w for w in words if not re.search(r"\d", w)]
    qualifier_words = {"more", "than", "at", "least", "as", "many", "up", "to", "about",
                       "nearly", "almost", "around", "roughly", "some", "over", "under",
                       "less", "fewer", "most", "an", "estimated", "approximately", "just",
                       "million", "billion", "thousand", "trillion"}  # fmt: skip
    head = [
        w for w in rest if w.lower() not in qualifier_words | NUMBER_WORDS and not w.startswith("$")
    ]
    return " ".join(head)


def _values_differ(a: Fact, b: Fact) -> bool:
    return compare(a, b) != "same"


def find_story_conflicts(
    reports: Sequence[Report],
    sentences: Sequence[Sentence],
    embeddings: np.ndarray,
    groups: dict[str, int],
    related: float,
    align: float,
    facts: Sequence[Sequence[Fact]] | None = None,
) -> list[StoryConflict]:
    """Facts on which independent reports of the story disagree, hard and soft, with evidence."""
    published = {r.id: r.published for r in reports}
    story = _Story(
        sentences,
        embeddings,
        groups,
        {r.id: r.outlet.casefold() for r in reports},
        published,
        related,
        align,
    )
    if facts is None:
        facts = story_facts(sentences, published)
    story.facts = facts
    by_unit: dict[tuple[str, str], list[Fact]] = {}
    for row_facts in facts:
        for fact in row_facts:
            if len(sentences[fact.row].text.split()) >= MIN_WORDS:
                by_unit.setdefault((fact.kind, fact.unit), []).append(fact)
    for key, bucket in by_unit.items():
        # Pairs grow with the square of a bucket: past the cap, each report keeps the facts it
        # states first (news puts the key figures first).
        if len(bucket) > MAX_BUCKET:
            by_unit[key] = sorted(bucket, key=lambda f: sentences[f.row].index)[:MAX_BUCKET]
    # Pairs of facts about the same thing, from different reports that may disagree.
    matched: dict[Fact, list[Fact]] = {}
    for bucket in by_unit.values():
        for i, a in enumerate(bucket):
            for b in bucket[i + 1 :]:
                if a.report_id != b.report_id and same_fact(a, b, story):
                    matched.setdefault(a, []).append(b)
                    matched.setdefault(b, []).append(a)
    conflicts: list[StoryConflict] = []
    used: set[Fact] = set()
    # Seeds: differing pairs, strongest evidence first; each pair once, in reading order (so
    # that the same story always gives the same sides in the same order).
    order = {fact: k for k, fact in enumerate(f for row_facts in facts for f in row_facts)}
    seeds = sorted(
        (
            (story.sim(a, b), a, b)
            for a, others in matched.items()
            for b in others
            if order[a] < order[b] and _comparable(a, b, story) and _values_differ(a, b)
        ),
        key=lambda t: (-t[0], order[t[1]], order[t[2]]),
    )
    for _, a, b in seeds:
        if a in used or b in used:
            continue
        if _report_agrees(a, b, matched, story) or _report_agrees(b, a, matched, story):
            continue  # the other report also gives this value somewhere: not a disagreement
        members = _members(a, b, matched, by_unit[(a.kind, a.unit)], story)
        conflict = _conflict(members, story)
        used |= set(members)
        if conflict is not None:
            conflicts.append(conflict)
    # In story order: the disagreement about what the reports say first comes first.
    return sorted(conflicts, key=lambda c: c.row)


def _comparable(a: Fact, b: Fact, story: _Story) -> bool:
    """Different independent sources, or one outlet's earlier and later report."""
    if story.groups[a.report_id] != story.groups[b.report_id]:
        return True
    return story.outlets[a.report_id] == story.outlets[b.report_id]


def _report_agrees(
    fact: Fact, counterpart: Fact, matched: dict[Fact, list[Fact]], story: _Story
) -> bool:
    """Whether the report states a value of this fact compatible with it, or its parts.

    "2.5 million doses with Mexico and 1.5 million with Canada" agrees with "4 million doses".
    """
    others = [o for o in matched.get(fact, []) if o.report_id == counterpart.report_id]
    # A report's exact figure is what it says; its looser bounds ("more than 750") do not
    # make it agree with a figure its exact one contradicts.
    exact = [o for o in others if not o.qualifier] or others
    if any(compatible(fact, other) for other in exact if other is not counterpart):
        return True
    if fact.kind != "number":
        return False
    for row in {o.row for o in others}:
        parts = [
            float(f.value) for f in story.facts[row] if f.kind == "number" and f.unit == fact.unit
        ]  # type: ignore[arg-type]
        # A whole and its part: "20 dead, including the three gunmen" agrees with "17 killed".
        pairs = [abs(x - y) for i, x in enumerate(parts) for y in parts[i + 1 :]]
        near = max(fact.precision, 1e-9) / 2
        if len(parts) > 1 and any(
            abs(v - float(fact.value)) <= near  # type: ignore[arg-type]
            for v in (sum(parts), *pairs)
        ):
            return True
    return False


def _same_key(a: Fact, b: Fact) -> bool:
    """Whether two facts name the same kind of thing: unit, counted noun, event, part, range."""
    if a.kind == "number":
        if (a.what or b.what) and not a.what & b.what:
            return False
        if a.event and b.event and a.event != b.event:
            return False
        if a.of != b.of and ((a.of and b.of) or "range" in a.of + b.of):
            return False
    return a.kind != "age" or a.what == b.what


def _members(
    a: Fact, b: Fact, matched: dict[Fact, list[Fact]], bucket: list[Fact], story: _Story
) -> list[Fact]:
    """The seed pair, facts matched with both, and facts repeating one's value nearby.

    A report that gives one side's value in a related sentence holds that side ("returned
    from Bishkek" beside "met in Bishkek"), even when its sentence is not the same statement.
    """
    members = [a, b]
    for candidate in dict.fromkeys([*matched.get(a, []), *matched.get(b, []), *bucket]):
        if candidate in members:
            continue
        linked = [m for m in (a, b) if candidate in matched.get(m, [])]
        if len(linked) == 2:
            members.append(candidate)
            continue
        for m in (a, b):
            if m not in linked and not _same_key(candidate, m):
                continue  # a value of something else that happens to be near
            if compatible(candidate, m) and (
                m in linked
                or story.sim(candidate, m) >= story.related
                or candidate.report_id == m.report_id  # its own report's other wording
            ):
                members.append(candidate)
                break
    return members


def _conflict(members: list[Fact], story: _Story) -> StoryConflict | None:
    """Sides from facts about one thing: one value per report, superseded figures noted."""
    # One fact per report: the first it states (a report giving two values is ambiguous).
    per_report: dict[str, Fact] = {}
    ambiguous: set[str] = set()
    # The most precise value a report gives stands for it ("779", not "more than 750").
    for fact in sorted(members, key=lambda f: bool(f.qualifier)):
        known = per_report.get(fact.report_id)
        if known is None:
            per_report[fact.report_id] = fact
        elif not compatible(known, fact):
            ambiguous.add(fact.report_id)
    facts = [f for r, f in per_report.items() if r not in ambiguous]
    running = bool(facts) and all(f.running for f in facts)
    facts, superseded = _supersede(facts, story)
    sides: list[list[Fact]] = []
    for fact in facts:
        for side in sides:
            # One side holds equal values; a report's own looser bound stays with its figure.
            if compare(side[0], fact) == "same" or (
                compatible(side[0], fact) and fact.report_id in {f.report_id for f in side}
            ):
                side.append(fact)
                break
        else:
            sides.append([fact])
    if len(sides) < 2 and not superseded:
        return None
    if len(sides) < 2:
        sides = [[f] for f in superseded] + sides
        running = True
    order = ("same", "soft", "hard").index
    # Two sides are as far apart as their closest forms: "$500,000" and "about $500,000" on
    # one side against "about $1 million" is only a soft difference.
    worst = max(
        (
            min((compare(p, q) for p in x for q in y), key=order)
            for i, x in enumerate(sides)
            for y in sides[i + 1 :]
        ),
        key=order,
        default="same",
    )
    if worst == "same":
        return None
    dated = all(story.published.get(f.report_id) for side in sides for f in side)
    running = running and dated
    if running:
        first_said = [min(story.published[f.report_id] for f in side) for side in sides]  # type: ignore[type-var]
        order = sorted(range(len(sides)), key=lambda k: first_said[k])  # type: ignore[arg-type, return-value]
        sides = [sides[k] for k in order]
        times = [first_said[k] for k in order]
        # A running figure grows report after report; figures given at one time disagree.
        later = all(x < y for x, y in itertools.pairwise(times))  # type: ignore[operator]
        running = later and (_monotone(sides) or bool(superseded))
    if not running:
        running = False
        sides.sort(key=lambda side: -len({story.groups[f.report_id] for f in side}))
    records = tuple(
        Side(
            _side_label(side),
            tuple(f.report_id for f in side),
            tuple(side),
            tuple(story.sentences[f.row].text for f in side),
        )
        for side in sides
    )
    all_facts = [f for side in sides for f in side]
    return StoryConflict(
        "number" if all_facts[0].kind == "age" else all_facts[0].kind,  # an age is a number
        _about(all_facts),
        records,
        "hard" if worst == "hard" else "soft",
        running,
        min(f.row for f in all_facts),
    )


def _supersede(facts: list[Fact], story: _Story) -> tuple[list[Fact], list[Fact]]:
    """Drop a figure its own outlet replaced in a later report; return kept and replaced."""
    kept, replaced = [], []
    for fact in facts:
        when = story.published.get(fact.report_id)
        later = [
            f
            for f in facts
            if f is not fact
            and story.outlets[f.report_id] == story.outlets[fact.report_id]
            and when is not None
            and (story.published.get(f.report_id) or when) > when
            and compare(f, fact) != "same"
        ]
        (replaced if later else kept).append(fact)
    # Reports of one outlet and one group are compared only for updates, never as two voices.
    return kept, replaced


def _monotone(sides: list[list[Fact]]) -> bool:
    """Whether values in time order only grow (a toll, a tally)."""
    values = [float(side[0].value) for side in sides]  # type: ignore[arg-type]
    return all(x < y for x, y in itertools.pairwise(values))


def story_facts(
    sentences: Sequence[Sentence], published: dict[str, datetime | None]
) -> list[list[Fact]]:
    """The facts of every sentence, by row."""
    return [
        extract_facts(s.text, row, s.report_id, published.get(s.report_id))
        for row, s in enumerate(sentences)
    ]
