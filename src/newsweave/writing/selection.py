"""Which of a story's claims a brief states, in which report's words, and which leads.

Candidates are the versions of each claim that the most independent sources back, scored for
salience; they are taken best first, nothing said twice, within the budget, a sentence that
leans on the one before it coming with that one; the lede is the best news sentence that opens
a report. Interpretations go to the Analysis.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from newsweave.analysis import Analysis, StoryConflict
from newsweave.config import Settings
from newsweave.records import Claim, Sentence
from newsweave.text.sentences import (
    is_candidate,
    is_dangling,
    name_for_pronoun,
    stands_alone,
    without_connective,
)
from newsweave.text.values.numbers import NUMBER_WORDS
from newsweave.text.values.slots import disagree
from newsweave.text.words import content_words
from newsweave.text.words import words as word_set
from newsweave.writing.claims import SLOT_KINDS, supporting
from newsweave.writing.salience import features, heuristic, load_model, story_stats

# A sentence whose content words are at least this share new is worth a place.
NOVELTY = 0.35
# At most this many disagreements are stated in a brief (all are kept as data).
MAX_STATED = 4
# A report's opening sentence becomes the lede when it scores at least this share of the best.
LEDE_MARGIN = 0.8
# Share of a sentence's content words another report's sentence must hold to support it.
ENTAILED = 0.8

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


def _jaccard(a: str, b: str) -> float:
    wa, wb = word_set(a), word_set(b)
    return len(wa & wb) / max(1, len(wa | wb))


@dataclass(frozen=True)
class _Pick:
    claim: Claim
    sentence: Sentence  # the sentence that will be written
    report_ids: tuple[str, ...]  # exactly the reports that support it
    score: float


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


def _repaired(sentence: Sentence, analysis: Analysis) -> str:
    """The sentence without an opening connective, "He"/"She" named from the one before."""
    text = without_connective(sentence.text)
    before = analysis.sentence_at(sentence.report_id, sentence.index - 1)
    if before is not None:
        report = analysis.report(sentence.report_id)
        text = name_for_pronoun(text, before.text, report.text)  # "He said" -> "Kerr said"
    return text


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
