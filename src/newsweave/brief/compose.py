"""Choose, order and write a brief's sentences, each cited to exactly its supporting reports."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from newsweave.brief.claims import SLOT_KINDS, Analysis, supporting
from newsweave.brief.conflicts import Side, StoryConflict
from newsweave.brief.salience import features, heuristic, load_model, story_stats
from newsweave.config import Settings
from newsweave.errors import ComposeError
from newsweave.records import (
    Brief,
    BriefSentence,
    Claim,
    Conflict,
    ConflictValue,
    Report,
    Sentence,
    Source,
    Support,
)
from newsweave.render import citation_marker, format_timestamp
from newsweave.text.dates import format_date, resolve_relative
from newsweave.text.facts import NUMBER_WORDS
from newsweave.text.sentences import (
    is_candidate,
    is_dangling,
    is_furniture,
    name_for_pronoun,
    split_dateline,
    stands_alone,
    without_connective,
)
from newsweave.text.slots import disagree
from newsweave.text.words import content_words
from newsweave.text.words import words as word_set
from newsweave.verification.citations import Verification, Verifier
from newsweave.verification.story import StoryVerifier

# A sentence whose content words are at least this share new is worth a place.
NOVELTY = 0.35
# At most this many disagreements are stated in a brief (all are kept as data).
MAX_STATED = 4
# A report's opening sentence becomes the lede when it scores at least this share of the best.
LEDE_MARGIN = 0.8
# Share of a sentence's content words another report's sentence must hold to support it.
ENTAILED = 0.8
# How close the best sentence of a report the aligner did not match must be to cite it, and
# the verifier's score it must reach (0.55 is the floor of any "supported"); chosen on the
# first 40 such pairs of Multi-News dev read by hand, checked on the next 32 (docs/prose.md).
ADDED_RELEVANCE = 0.5
ADDED_SCORE = 0.56
# Sentences that interpret rather than report: candidates for the Analysis section.
_ANALYSIS_CUE = re.compile(
    r"\b(?:analysts?|experts?|observers?|critics?|economists?|scholars?)\b[^.]{0,60}?"
    r"\b(?:say|says|said|believe|believes|warn|warns|warned|expect|expects|note|noted|argue)\b"
    r"|\b(?:signals?|suggests?|underscores?|reflects?|is seen as|are seen as|"
    r"(?:could|may|might)(?: still| also| eventually| ultimately| soon)? (?:mean|lead|signal|"
    r"affect|change|become|prove|pave|spell|reshape|trigger|end|derail|doom|hurt|boost|"
    r"undermine|threaten|shape|determine|decide)|"
    r"is likely|are likely|raises? questions|marks? a|points? to|means that|would mean|"
    r"is expected to|are expected to|aims? to|the next step)\b",
    re.IGNORECASE,
)


def _interprets(text: str) -> bool:
    """Whether a sentence interprets (what it means, what comes next, an expert's view).

    Cues inside a quotation are the speaker's words, often plain facts ("we could not see"),
    so only the sentence's own words count.
    """
    return bool(_ANALYSIS_CUE.search(_QUOTATION.sub("", text)))


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


def _jaccard(a: str, b: str) -> float:
    wa, wb = word_set(a), word_set(b)
    return len(wa & wb) / max(1, len(wa | wb))


@dataclass(frozen=True)
class _Pick:
    claim: Claim
    sentence: Sentence  # the sentence that will be written
    report_ids: tuple[str, ...]  # exactly the reports that support it
    score: float


def _numbering(reports: Sequence[Report]) -> dict[str, int]:
    """Source numbers in order of publication (reports are already sorted so)."""
    return {r.id: k + 1 for k, r in enumerate(reports)}


@dataclass(frozen=True)
class Candidate:
    """A claim that can stand in a brief: the sentence to write, its support, its features."""

    claim: Claim
    sentence: Sentence
    report_ids: tuple[str, ...]  # exactly the reports that support the sentence
    features: np.ndarray  # salience features, in the order of salience.FEATURES


def candidates(analysis: Analysis) -> list[Candidate]:
    """The versions of each claim that the most independent sources back, as brief candidates.

    A claim's wording is never one that fewer outlets support (the minority side of a
    disagreement is stated in the conflict sentence instead); among equally backed versions
    the salience model chooses, and the selection takes one per claim.
    """
    stats = story_stats(analysis)
    found = []
    for claim in analysis.claims:
        versions = [
            (s, _complete_support(analysis, s, supporting(analysis, claim, s)))
            for s in claim.sentences
            if is_candidate(s.text)
        ]
        if not versions:
            continue
        most = max(analysis.independent(reports) for _, reports in versions)
        for sentence, reports in versions:
            if analysis.independent(reports) == most:
                x = features(analysis, stats, claim, sentence, reports)
                found.append(Candidate(claim, sentence, reports, x))
    return found


def _score_claims(analysis: Analysis, settings: Settings) -> list[_Pick]:
    """Candidates with their salience, best first."""
    model = load_model() if settings.salience == "learned" else None
    picks = [
        _Pick(
            c.claim,
            c.sentence,
            c.report_ids,
            model.score(c.features) if model else heuristic(c.features),
        )
        for c in candidates(analysis)
    ]
    return sorted(picks, key=lambda p: (-p.score, p.claim.id))


def _complete_support(
    analysis: Analysis, sentence: Sentence, reports: tuple[str, ...]
) -> tuple[str, ...]:
    """Add reports that say everything the sentence says in other words than the aligner saw.

    A report supports the sentence when one of its sentences holds at least ENTAILED of the
    sentence's content words and disagrees with it on no slot.
    """
    wanted = content_words(sentence.text)
    if not wanted:
        return reports
    mine = analysis.slots[analysis.index[sentence]]
    extra = []
    # Only sentences holding ENTAILED of the words, found in a word index (not all of them).
    for row in analysis.words.sharing(wanted, ENTAILED):
        other = analysis.sentences[row]
        if other.report_id in reports or other.report_id in extra:
            continue
        theirs = analysis.slots[row]
        if not any(disagree(mine, theirs, kind) for kind in SLOT_KINDS):
            extra.append(other.report_id)
    return reports + tuple(extra)


def _redundant(
    text: str,
    vector: np.ndarray,
    chosen: Sequence[tuple[str, np.ndarray]],
    limit: float,
    said: set[str],
) -> bool:
    """Whether a sentence repeats one already chosen, or adds almost nothing to all that is said."""
    if any(
        float(vector @ other) >= limit or _jaccard(text, other_text) >= 0.6
        for other_text, other in chosen
    ):
        return True
    content = content_words(text)
    seen = said.union(*(word_set(t) for t, _ in chosen))
    return bool(content) and len(content - seen) / len(content) < NOVELTY


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


def _repaired(sentence: Sentence, analysis: Analysis) -> str:
    """The sentence without an opening connective, "He"/"She" named from the one before."""
    text = without_connective(sentence.text)
    before = analysis.sentence_at(sentence.report_id, sentence.index - 1)
    if before is not None:
        report = analysis.report(sentence.report_id)
        text = name_for_pronoun(text, before.text, report.text)  # "He said" -> "Kerr said"
    return text


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


def _choose_lede(picks: Sequence[_Pick]) -> _Pick:
    """The best news sentence that opens some report, unless much weaker than the best of all.

    News leads are written to stand alone (who, what, where); a later sentence often leans on
    them ("The group will meet ..."). A sentence in the writer's own voice ("you", "we"), one
    without a name or a figure, or one set in the past (background) tells no news.
    """
    able = [p for p in picks if stands_alone(p.sentence.text)] or list(picks)
    news = [p for p in able if _tells_news(p.sentence.text)] or able
    top = news[0]
    for pick in news[:3]:
        opens = any(s.index == 0 for s in pick.claim.sentences)
        if opens and pick.score >= LEDE_MARGIN * top.score:
            return pick
    return top


# The writer speaking to or for the reader: a feature's voice, not a news lead's.
# Case kept: "US" is a country, not the reader.
_OWN_VOICE = re.compile(r"\b(?:[Yy]ou|[Yy]our|[Ww]e|[Oo]ur|us|I|[Mm]y)\b")
_QUOTATION = re.compile(r"[\"“][^\"“”]*[\"”]")
# Background: a year at least two before the story, "has long", "for decades", "once".
_BACKGROUND = re.compile(
    r"\b(?:has|have) long\b|\bfor (?:decades|years|centuries)\b|\bhistorically\b|"
    r"\bis (?:assumed|known|thought|believed) to\b",
    re.IGNORECASE,
)


_PRONOUN = re.compile(r"(?i:he|she|they|him|her|his|their|them)")


def _tells_news(text: str) -> bool:
    """Whether a sentence reads as a news lead: someone or something named, no own voice."""
    bare = _QUOTATION.sub("", text)
    if _OWN_VOICE.search(bare) or _BACKGROUND.search(bare):
        return False
    words = bare.split()
    pronoun = next((i for i, w in enumerate(words) if _PRONOUN.fullmatch(w.strip(",.;:"))), None)
    named_at = next((i for i, w in enumerate(words[1:], 1) if w[:1].isupper()), None)
    if pronoun is not None and (named_at is None or pronoun < named_at):
        return False  # "When she woke up in Largo ...": whom "she" means is not said
    return (
        any(w[:1].isupper() for w in words[1:])
        or any(ch.isdigit() for ch in bare)
        or any(w.lower() in NUMBER_WORDS for w in words)
    )


def _select(
    picks: Sequence[_Pick], analysis: Analysis, settings: Settings, budget: int | None
) -> tuple[list[_Pick], list[_Pick], dict[Sentence, Sentence]]:
    """Reporting picks (lede included) and analysis picks, best first, nothing said twice.

    Without a word budget the body holds at most max_body_sentences after the lede; with one,
    sentences are added while they fit (the first always is), or, with settings.fill, until
    the budget is spent, the last one running over (for benchmarks that cut every system's
    text at the budget).

    A reporting sentence that still leans on the one before it in its report ("They said
    ...") comes with that sentence, which is written just before it (the third value maps
    one to the other); when that sentence cannot stand in a brief, neither is used.
    """
    emb = analysis.embeddings
    chosen: list[tuple[str, np.ndarray]] = []
    # Every conflict will be stated, so its values are said before any sentence is chosen.
    said = {w for c in stated(analysis) for side in c.sides for w in word_set(side.value)}
    body: list[_Pick] = []
    interpretive: list[_Pick] = []
    words = 0
    claims: set[int] = set()
    taken: set[Sentence] = set()
    follows: dict[Sentence, Sentence] = {}
    for pick in picks:
        vector = emb[analysis.index[pick.sentence]]
        if pick.claim.id in claims:
            continue  # another version of a claim already chosen
        if _redundant(pick.sentence.text, vector, chosen, analysis.thresholds.redundant, said):
            continue
        n_words = len(pick.sentence.text.split())
        if budget is not None and words >= budget:
            break
        lead_in = None
        if is_dangling(_repaired(pick.sentence, analysis)):
            lead_in = _lead_in(pick, analysis, claims, taken)
            if lead_in is None:
                continue  # it leans on a sentence the brief cannot carry
            vector_in = emb[analysis.index[lead_in.sentence]]
            if lead_in.sentence not in taken and _redundant(
                lead_in.sentence.text, vector_in, chosen, analysis.thresholds.redundant, said
            ):
                continue
        extra = (
            0
            if lead_in is None or lead_in.sentence in taken
            else len(lead_in.sentence.text.split())
        )
        if budget is not None and chosen and words + n_words + extra > budget and not settings.fill:
            continue
        if body and _interprets(pick.sentence.text):
            if lead_in is not None or len(interpretive) >= settings.max_analysis_sentences:
                continue  # an interpretation stands alone or not at all
            interpretive.append(pick)
        elif budget is None and len(body) + (extra > 0) > settings.max_body_sentences:
            continue  # the lede comes on top of the body
        else:
            if lead_in is not None:
                if lead_in.sentence not in taken:
                    body.append(lead_in)
                    chosen.append((lead_in.sentence.text, vector_in))
                    claims.add(lead_in.claim.id)
                    taken.add(lead_in.sentence)
                    words += extra
                follows[pick.sentence] = lead_in.sentence
            body.append(pick)
        chosen.append((pick.sentence.text, vector))
        claims.add(pick.claim.id)
        taken.add(pick.sentence)
        words += n_words
    return body, interpretive, follows


def _after_their_lead_ins(
    lede: _Pick, rest: list[_Pick], follows: dict[Sentence, Sentence]
) -> list[_Pick]:
    """The body in order, each leaning sentence moved to just after the one it leans on."""
    leaning = [p for p in rest if p.sentence in follows]
    ordered = [p for p in rest if p.sentence not in follows]
    for pick in leaning:
        before = follows[pick.sentence]
        if before == lede.sentence:
            ordered.insert(0, pick)
            continue
        at = next((i for i, p in enumerate(ordered) if p.sentence == before), None)
        if at is None:
            continue  # its lead-in was dropped (no support): so is it
        ordered.insert(at + 1, pick)
    return ordered


def _lead_in(
    pick: _Pick, analysis: Analysis, claims: set[int], taken: set[Sentence]
) -> _Pick | None:
    """The sentence before a leaning one in its report, when it can stand in the brief."""
    before = analysis.sentence_at(pick.sentence.report_id, pick.sentence.index - 1)
    if before is None:
        return None
    claim = next((c for c in analysis.claims if before in c.sentences), None)
    if claim is None:
        return None
    if before not in taken and (
        claim.id in claims  # its claim is in the brief in another report's words
        or not is_candidate(before.text)
        or is_dangling(_repaired(before, analysis))
    ):
        return None
    return _Pick(claim, before, (before.report_id,), pick.score)


def stated(analysis: Analysis) -> list[StoryConflict]:
    """The conflicts a brief states: hard ones, running figures included; soft ones are data."""
    hard = [c for c in analysis.conflicts if c.strength == "hard"]
    return hard[:MAX_STATED]


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


def compose(
    analysis: Analysis,
    settings: Settings,
    now: datetime | None = None,
    verifier: Verifier | None = None,
) -> Brief:
    """Write the brief of one analysed story; with a verifier, every citation is checked.

    A cited report that does not support its sentence loses the citation, a sentence left
    with none is dropped, and statements one report makes and another denies are stated as
    conflicts (kind "claim").
    """
    if not analysis.reports:
        raise ComposeError("no reports to brief")
    checker = StoryVerifier(verifier, analysis) if verifier is not None else None
    if checker is not None:
        denied = checker.claim_conflicts()
        if denied:
            analysis = replace(analysis, conflicts=(*analysis.conflicts, *denied))
    numbers = _numbering(analysis.reports)
    picks = _score_claims(analysis, settings)
    if not picks:
        raise ComposeError(
            "no sentence in these reports can stand alone in a brief "
            "(too short, cut off, or not prose)"
        )
    conflict_words = sum(
        len(_conflict_sentence(c, analysis, numbers).split()) for c in stated(analysis)
    )
    coverage: BriefSentence | None = _coverage_sentence(analysis, numbers)
    budget = None
    if settings.max_words is not None:
        # The budget is for the whole brief (conflicts are always stated).
        budget = max(1, settings.max_words - conflict_words)
    body_picks, analysis_picks, follows = _select(picks, analysis, settings, budget)
    checked: dict[Sentence, dict[str, Verification]] = {}
    removed = 0
    if checker is not None:
        body_picks, dropped_body = _verified(body_picks, checker, checked)
        analysis_picks, dropped_analysis = _verified(analysis_picks, checker, checked)
        removed = dropped_body + dropped_analysis
        if not body_picks:
            raise ComposeError("no sentence of these reports is supported by its own report")
    if budget is not None and coverage is not None:
        # The coverage note is the first thing a tight budget leaves out.
        used = sum(len(p.sentence.text.split()) for p in (*body_picks, *analysis_picks))
        if used + len(coverage.text.split()) > budget:
            coverage = None
    lede = _choose_lede(body_picks)
    rest = [p for p in body_picks if p is not lede]
    # Reporting reads in story order: earliest position in the sources first.
    rest.sort(key=lambda p: (min(s.position for s in p.claim.sentences), p.claim.id))
    rest = _after_their_lead_ins(lede, rest, follows)
    conflicts_by_claim: dict[int | None, list[StoryConflict]] = {}
    for conflict in stated(analysis):
        conflicts_by_claim.setdefault(_claim_of_row(analysis, conflict.row), []).append(conflict)

    names = _names(analysis.reports)

    def sentence(pick: _Pick, role: str) -> BriefSentence:
        cited = {numbers[r]: r for r in pick.report_ids}
        results = checked.get(pick.sentence, {})
        return BriefSentence(
            _write(pick, analysis, names, role),
            tuple(sorted(cited)),
            role,  # type: ignore[arg-type]
            pick.claim.id,
            tuple(_support(n, results[cited[n]]) for n in sorted(cited) if cited[n] in results),
        )

    def conflict_line(conflict: StoryConflict) -> BriefSentence:
        line = _conflict_line(conflict, analysis, numbers)
        if checker is None:
            return line
        return replace(line, support=_conflict_support(conflict, numbers))

    def conflict_sentences(pick: _Pick) -> list[BriefSentence]:
        return [conflict_line(c) for c in conflicts_by_claim.pop(pick.claim.id, [])]

    lede_sentence = sentence(lede, "lede")
    body: list[BriefSentence] = conflict_sentences(lede)
    for pick in rest:
        body.append(sentence(pick, "body"))
        body.extend(conflict_sentences(pick))
    # Conflicts on claims not chosen for the body still belong in the brief.
    for conflicts in conflicts_by_claim.values():
        body.extend(conflict_line(c) for c in conflicts)
    analysis_sentences = [sentence(p, "analysis") for p in analysis_picks]
    if coverage is not None:
        if checker is not None:
            coverage = replace(coverage, support=_coverage_support(analysis, numbers))
        analysis_sentences.append(coverage)
    sources = tuple(
        Source(
            number=numbers[r.id],
            report_id=r.id,
            outlet=r.outlet,
            title=r.title,
            url=r.url,
            published=r.published,
            copy_of=numbers[analysis.copies[r.id]] if r.id in analysis.copies else None,
        )
        for r in analysis.reports
    )
    return Brief(
        headline=_headline(analysis, lede_sentence.text),
        lede=lede_sentence,
        body=tuple(body),
        conflicts=tuple(_conflict_record(c, analysis, numbers) for c in analysis.conflicts),
        analysis=tuple(analysis_sentences),
        sources=sources,
        created_at=now or datetime.now(UTC),
        independent_sources=len(set(analysis.groups.values())),
        notes=(*analysis.notes, *_verification_notes(removed)),
    )


def _verified(
    picks: Sequence[_Pick], checker: StoryVerifier, checked: dict[Sentence, dict[str, Verification]]
) -> tuple[list[_Pick], int]:
    """Picks cited to exactly the reports that support them; how many citations were removed.

    Every report of the story is checked, not only those the aligner matched: a report that
    says the same in other words, or in a sentence the aligner gave to another claim, is cited.
    """
    kept: list[_Pick] = []
    removed = 0
    everyone = [r.id for r in checker.analysis.reports]
    for pick in picks:
        results = checker.check(pick.sentence, pick.report_ids)
        supporting_ids = tuple(r for r in pick.report_ids if results[r].verdict == "supported")
        removed += len(pick.report_ids) - len(supporting_ids)
        if not supporting_ids:
            continue  # no report says what this sentence says
        others = [r for r in everyone if r not in results]
        more = checker.check(pick.sentence, others)
        results.update({r: v for r, v in more.items() if _plainly_supports(v)})
        supporting_ids += tuple(r for r in others if r in results)
        checked[pick.sentence] = results
        kept.append(_Pick(pick.claim, pick.sentence, supporting_ids, pick.score))
    return kept, removed


def _plainly_supports(result: Verification) -> bool:
    """A report the aligner did not match is cited only on strong, close evidence.

    The verifier's "supported" allows a claim's words to be spread over the whole report; for
    a report no aligned sentence ties to the claim that let wrong citations in (about two in
    five on Multi-News dev, read by hand; docs/prose.md), so its best sentence must also be
    close to the claim and the score above the floor that "supported" is raised to.
    """
    return (
        result.verdict == "supported"
        and result.relevance >= ADDED_RELEVANCE
        and result.score >= ADDED_SCORE
    )


def _support(number: int, result: Verification) -> Support:
    """A verification as the record a brief sentence carries for one citation."""
    return Support(number, result.verdict, result.score, result.evidence)


def _conflict_support(conflict: StoryConflict, numbers: dict[str, int]) -> tuple[Support, ...]:
    """Each citation of a conflict sentence, with the sentence that puts it on its side."""
    by_number = {
        numbers[r]: Support(numbers[r], "supported", 1.0, (said,))
        for side in conflict.sides
        for r, said in zip(side.report_ids, side.evidence, strict=True)
    }
    return tuple(by_number[n] for n in sorted(by_number))


def _coverage_support(analysis: Analysis, numbers: dict[str, int]) -> tuple[Support, ...]:
    """The coverage sentence counts reports: each is evidence of itself by its title."""
    supports = []
    for report in analysis.reports:
        opening = analysis.sentence_at(report.id, 0)
        first = opening.text if opening is not None else ""
        evidence = report.title or first
        supports.append(
            Support(numbers[report.id], "supported", 1.0, (evidence,) if evidence else ())
        )
    return tuple(sorted(supports, key=lambda s: s.number))


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
