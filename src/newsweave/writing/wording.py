"""How a brief's sentences read: reporting as the reports put it, disagreements from data.

Also the headline (the title closest to what all reports say) and the closing sentence on how
the story was covered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from newsweave.analysis import Analysis, Side, StoryConflict
from newsweave.records import BriefSentence, Conflict, ConflictValue, Report
from newsweave.text.dates import format_date, resolve_relative
from newsweave.text.notation import citation_marker, format_timestamp
from newsweave.text.sentences import is_furniture, split_dateline
from newsweave.text.words import words as word_set
from newsweave.writing.selection import _Pick, _repaired, stated

# Titles that are page furniture or captions, not headlines.
_BAD_TITLE = re.compile(
    r"photo|getty|advertisement|reuters/|/ap\b|\bap\b|tweet|click|subscribe|^by |\|$|…$|\.\.\.$",
    re.IGNORECASE,
)
_OUTLET_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,40}$")
_COUNT_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def count_word(n: int) -> str:
    """Small counts in words, as news style writes them."""
    return _COUNT_WORDS[n] if n < len(_COUNT_WORDS) else str(n)


def _lower_first(text: str, names: set[str]) -> str:
    """Lower-case a sentence's first word unless the story writes it capitalised mid-sentence."""
    first = text.split(" ", 1)[0]
    word = first.strip("\"“'‘(")
    bare = re.sub(r"['’]s$", "", word)
    if not word or not word[1:].islower() or bare in names:
        return text  # an acronym, a quotation mark, or a name
    return text.replace(word, word.lower(), 1)


def _names(reports: Sequence[Report]) -> set[str]:
    """Capitalised words seen in the middle of a sentence: names, not sentence starts."""
    # Spaces, not line breaks: a line of scraped text opens a sentence too.
    return {
        m.group(1) for r in reports for m in re.finditer(r"[a-z,;:][ \t]+([A-Z][a-z]+)", r.text)
    }


# A sentence that says whose view or words it gives needs no outlet named before it.
_OWN_ATTRIBUTION = re.compile(
    r"\b(?:said|says|say|told|according to|wrote|writes|argued|argues|believes?|warned|warns|"
    r"noted|notes|added|stated|predicted|predicts|expects?|expected)\b",
    re.IGNORECASE,
)


def _write(pick: _Pick, analysis: Analysis, names: set[str], role: str) -> str:
    """The sentence as it will read: relative times resolved, provenance in its citations.

    Reporting is written plainly: the markers say which reports carry it. An interpretation
    (the Analysis) that does not itself say whose view it is gets its outlet named.
    """
    report = analysis.report(pick.sentence.report_id)
    text, _ = resolve_relative(_repaired(pick.sentence, analysis), report.published)
    if role == "analysis" and not _OWN_ATTRIBUTION.search(text):
        outlets = list(dict.fromkeys(analysis.report(r).outlet for r in pick.report_ids))
        if len(outlets) == 1:
            text = f"According to {outlets[0]}, {_lower_first(text, names)}"
    return text


def _conflict_sentence(conflict: StoryConflict, analysis: Analysis, numbers: dict[str, int]) -> str:
    """One sentence giving each value, how many outlets hold it, and citations for each side.

    A running figure reads as a change in time order ("rose from three [1] to four [2]").
    """
    if conflict.running:
        times = [
            min((d for r in side.report_ids if (d := analysis.report(r).published)), default=None)
            for side in conflict.sides
        ]
        # Within one day the time tells the figures apart; across days the date does.
        one_day = len({t.date() for t in times if t is not None}) == 1
        steps = []
        for side, when in zip(conflict.sides, times, strict=True):
            cites = citation_marker([numbers[r] for r in side.report_ids])
            said = ""
            if when is not None:
                said = f" ({format_timestamp(when) if one_day else format_date(when.date())})"
            steps.append(f"{side.value} {cites}{said}")
        first = conflict.sides[0].facts[0].value if conflict.sides[0].facts else 0
        last = conflict.sides[-1].facts[0].value if conflict.sides[-1].facts else 0
        verb = "rose" if float(last) >= float(first) else "changed"  # type: ignore[arg-type]
        what = conflict.about[0].upper() + conflict.about[1:]
        return f"{what} {verb} from " + " to ".join(steps) + " as reports came in."
    parts = []
    for k, side in enumerate(_ranked_sides(conflict, analysis)):
        n = analysis.independent(side.report_ids)
        reports = len(side.report_ids)
        if reports > n:
            outlets = "independent outlet" if n == 1 else "independent outlets"
            who = f"{count_word(reports)} reports from {count_word(n)} {outlets} say"
        elif n == 1:
            who = "one outlet says" if k == 0 else "one says"
        else:
            who = f"{count_word(n)} outlets say"
        cites = citation_marker([numbers[r] for r in side.report_ids])
        value = side.value
        if conflict.kind == "claim":
            value = "that " + _lower_first(value, _names(analysis.reports))
        parts.append(f"{who} {value} {cites}")
    return f"Reports differ on {conflict.about}: " + "; ".join(parts) + "."


def _ranked_sides(conflict: StoryConflict, analysis: Analysis) -> list[Side]:
    """Sides with the most independent support first (a running figure keeps time order)."""
    if conflict.running:
        return list(conflict.sides)
    return sorted(
        conflict.sides, key=lambda s: (-analysis.independent(s.report_ids), -len(s.report_ids))
    )


def _conflict_record(
    conflict: StoryConflict, analysis: Analysis, numbers: dict[str, int]
) -> Conflict:
    return Conflict(
        kind=conflict.kind,  # type: ignore[arg-type]
        about=conflict.about,
        values=tuple(
            ConflictValue(
                value=side.value,
                report_ids=side.report_ids,
                citations=tuple(sorted(numbers[r] for r in side.report_ids)),
                independent=analysis.independent(side.report_ids),
                evidence=side.evidence,
            )
            for side in _ranked_sides(conflict, analysis)
        ),
        strength=conflict.strength,
        running=conflict.running,
    )


def _headline(analysis: Analysis, lede: str) -> str:
    """The title closest to what all reports say, without outlet suffix; else the lede's start."""
    titles = [
        # A dateline ("(CNN) --", "WASHINGTON (AP) -") opens an article, not its headline.
        split_dateline(_OUTLET_SUFFIX.sub("", r.title).strip())[1]
        for r in analysis.reports
        if 4 <= len(r.title.split()) <= 20
        and not _BAD_TITLE.search(r.title.strip())
        and not is_furniture(r.title)  # a caption or widget line is no headline
        and not _derived_title(r)
    ]
    if not titles:
        return _headline_of(lede)
    words = [word_set(t) for t in titles]
    best = max(
        range(len(titles)),
        key=lambda i: (sum(len(words[i] & w) / max(1, len(words[i] | w)) for w in words), -i),
    )
    return titles[best]


def _derived_title(report: Report) -> bool:
    """Whether a report's title is only the start of its text (it had none of its own)."""
    start = report.title.rstrip("…").strip()
    return bool(start) and " ".join(report.text.split()).startswith(" ".join(start.split()))


# Where a long sentence's main clause ends: what follows qualifies a complete statement.
# Dashes count only spaced: "common—and deadly—infectious" is one clause.
_CLAUSE_END = re.compile(
    r",\s+(?:but|according to|saying|police said|officials said)\b|;| — | – | - "
)
HEADLINE_WORDS = 25


def _headline_of(lede: str) -> str:
    """A headline from the lede: itself or its main clause when short enough, else its start."""
    text = lede.strip().rstrip(".")
    cut = _CLAUSE_END.search(text)
    if cut and len(text[: cut.start()].split()) >= 6:
        text = text[: cut.start()].rstrip(" ,")
    words = text.split()
    if len(words) <= HEADLINE_WORDS:
        return text
    return " ".join(words[:20]).rstrip(",;:") + "…"


def _claim_of_row(analysis: Analysis, row: int) -> int | None:
    """The claim holding the sentence at this row, where a conflict's line belongs."""
    if row < 0:
        return None
    sentence = analysis.sentences[row]
    return next((c.id for c in analysis.claims if sentence in c.sentences), None)


def _conflict_line(
    conflict: StoryConflict, analysis: Analysis, numbers: dict[str, int]
) -> BriefSentence:
    """A conflict as a brief sentence, cited to every report on every side."""
    cited = {numbers[r] for side in conflict.sides for r in side.report_ids}
    return BriefSentence(
        _conflict_sentence(conflict, analysis, numbers),
        tuple(sorted(cited)),
        "update" if conflict.running else "conflict",
        _claim_of_row(analysis, conflict.row),
    )


def _verification_notes(removed: int) -> tuple[str, ...]:
    """A note saying how many citations verification removed, when it removed any."""
    if not removed:
        return ()
    plural = "s" if removed != 1 else ""
    return (
        f"Verification removed {count_word(removed)} citation{plural} to reports that do not "
        "say what the sentence says.",
    )


def _coverage_sentence(analysis: Analysis, numbers: dict[str, int]) -> BriefSentence:
    """How the story was covered: reports, independent outlets, dates and disagreements."""
    reports = analysis.reports
    n_groups = len(set(analysis.groups.values()))
    dated = sorted(r.published.date() for r in reports if r.published)
    when = ""
    if dated:
        first, last = format_date(dated[0]), format_date(dated[-1])
        when = f", published on {first}" if first == last else f", published from {first} to {last}"
    text = (
        f"This brief draws on {count_word(len(reports))} "
        f"report{'s' if len(reports) != 1 else ''} from {count_word(n_groups)} independent "
        f"source{'s' if n_groups != 1 else ''}{when}"
    )
    if analysis.copies:
        text += f", {count_word(len(analysis.copies))} of them republished wire copy"
    disputes = [c for c in stated(analysis) if not c.running]
    if disputes:
        abouts = list(dict.fromkeys(c.about for c in disputes))
        text += "; the outlets disagree on " + " and ".join(abouts)
    return BriefSentence(text + ".", tuple(sorted(numbers.values())), "analysis", None)
