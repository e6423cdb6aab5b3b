"""Choose, order and write a brief's sentences, each cited to exactly its supporting reports.

What is stated is chosen in brief/selection.py and worded in brief/wording.py; here the brief
is put together, and with a verifier every citation is checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from newsweave.analysis import Analysis, StoryConflict
from newsweave.config import Settings
from newsweave.errors import ComposeError
from newsweave.records import Brief, BriefSentence, Report, Sentence, Source, Support
from newsweave.verification.citations import Verification, Verifier
from newsweave.verification.story import StoryVerifier
from newsweave.writing.selection import (
    _after_their_lead_ins,
    _choose_lede,
    _Pick,
    _score_claims,
    _select,
    stated,
)
from newsweave.writing.wording import (
    _claim_of_row,
    _conflict_line,
    _conflict_record,
    _conflict_sentence,
    _coverage_sentence,
    _headline,
    _names,
    _verification_notes,
    _write,
)

# How close the best sentence of a report the aligner did not match must be to cite it, and
# the verifier's score it must reach (0.55 is the floor of any "supported"); chosen on the
# first 40 such pairs of Multi-News dev read by hand, checked on the next 32 (docs/prose.md).
ADDED_RELEVANCE = 0.5
ADDED_SCORE = 0.56


def _numbering(reports: Sequence[Report]) -> dict[str, int]:
    """Source numbers in order of publication (reports are already sorted so)."""
    return {r.id: k + 1 for k, r in enumerate(reports)}


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
