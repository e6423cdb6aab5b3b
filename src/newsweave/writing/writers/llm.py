"""The llm writer: a model rewrites the brief's claims; only verified sentences are shown.

1. The extractive brief is made first (it is the fallback, and its claims are the input).
2. The model gets the claims, disagreements and sources (writers.grounding) and answers with
   JSON sentences naming the claims they state; the answer is cached per (story version,
   model, prompt version).
3. Each sentence is cited to its claims' reports and verified (writers.check). A sentence no
   cited report supports is replaced by the extracted sentence of one of its claims not yet
   stated, or dropped. Disagreements are stated from data, as the extractive brief states them.
4. Any failure (endpoint down, timeout, rate limit, refusal, malformed answer, no sentence
   supported) gives the extractive brief, with the reason in its notes and its writer record.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from newsweave.analysis import Analysis
from newsweave.config import Settings
from newsweave.errors import ConfigError, WriterError
from newsweave.records import Brief, BriefSentence, Rejection, WriterRun
from newsweave.verification.citations import Verifier
from newsweave.verification.story import StoryVerifier
from newsweave.writing.compose import compose
from newsweave.writing.wording import count_word
from newsweave.writing.writers.cache import WrittenCache
from newsweave.writing.writers.check import KINDS, Checked, SentenceChecker
from newsweave.writing.writers.client import ChatAnswer, ChatClient
from newsweave.writing.writers.grounding import (
    PROMPT_VERSION,
    Grounding,
    ground,
    parse_answer,
    response_formats,
)

NAME = "llm"
SERVER_DEFAULT = "(server default)"  # the model named when the settings name none


@dataclass(frozen=True)
class _Shown:
    """A sentence placed in the brief, and the story claims it states."""

    sentence: BriefSentence
    claims: frozenset[int]  # story claim ids
    role: str  # where the model put it: lede, body or analysis


def write_llm(
    analysis: Analysis,
    settings: Settings,
    *,
    now: datetime | None = None,
    verifier: Verifier | None = None,
    cache: WrittenCache | None = None,
) -> Brief:
    """A model's brief, every sentence verified; the extractive brief when it cannot be had."""
    if verifier is None:
        raise ConfigError("the llm writer verifies every sentence: it needs the verifier")
    base = compose(analysis, settings, now=now, verifier=verifier)
    grounding = ground(base, analysis, settings.max_words)
    model = settings.llm.model or SERVER_DEFAULT
    if not grounding.claims:
        return _fallback(base, model, WriterError("malformed", "the brief has no claims to write"))
    try:
        answer, cached = _answer(grounding, settings, cache)
        proposals = parse_answer(answer.content, answer.finish_reason)
    except WriterError as error:
        return _fallback(base, model, error)
    if cache is not None and not cached:
        record = {"content": answer.content, "model": answer.model, "finish": answer.finish_reason}
        cache.save_written(grounding.version(), model, PROMPT_VERSION, json.dumps(record))
    # llama.cpp names its model by file path: the file name says the same, shorter.
    model = settings.llm.model or answer.model.rsplit("/", 1)[-1] or SERVER_DEFAULT
    report_of = {s.number: s.report_id for s in base.sources}
    checker = SentenceChecker(StoryVerifier(verifier, analysis), grounding, report_of)
    checked = [checker.check(p) for p in proposals]
    return _assemble(base, grounding, checked, settings, model, cached)


def _answer(
    grounding: Grounding, settings: Settings, cache: WrittenCache | None
) -> tuple[ChatAnswer, bool]:
    """The model's answer from the cache, else from the endpoint; whether it was cached."""
    model = settings.llm.model or SERVER_DEFAULT
    if cache is not None:
        stored = cache.written(grounding.version(), model, PROMPT_VERSION)
        if stored is not None:
            record = json.loads(stored)
            answer = ChatAnswer(record["content"], record.get("model", ""), record.get("finish"))
            return answer, True
    with ChatClient(settings.llm) as client:
        answer = client.complete(
            grounding.messages(), response_formats(settings.llm.json_mode, len(grounding.claims))
        )
    return answer, False


def _assemble(
    base: Brief,
    grounding: Grounding,
    checked: Sequence[Checked],
    settings: Settings,
    model: str,
    cached: bool,
) -> Brief:
    """The brief of the accepted sentences, rejected ones replaced or dropped, conflicts stated."""
    shown: list[_Shown] = []
    texts: set[str] = set()
    rejections: list[Rejection] = []
    accepted = 0
    marked: list[Checked] = []
    seen: set[str] = set()
    for item in checked:
        if item.sentence is not None and item.sentence.text in seen:
            item = replace(item, sentence=None, kind="repeat", detail="the same text again")
        if item.sentence is not None:
            seen.add(item.sentence.text)
        marked.append(item)
    # Claims a verified sentence states anywhere in the answer need no extracted sentence.
    stated = {i for item in marked if item.sentence is not None for i in item.proposal.claims}
    for item in marked:
        proposal = item.proposal
        if item.sentence is not None and item.sentence.text in texts:
            # Word for word an extracted sentence already shown in place of another.
            item = replace(item, sentence=None, kind="repeat", detail="the same text again")
        if item.sentence is not None:
            accepted += 1
            shown.append(_Shown(item.sentence, frozenset(item.claim_ids), proposal.role))
            texts.add(item.sentence.text)
            continue
        # Replaced by the extracted sentence of a named claim not yet stated, else dropped.
        claim = next(
            (
                c
                for i in proposal.claims
                if (c := grounding.claim(i)) is not None
                and i not in stated
                and c.sentence.text not in texts
            ),
            None,
        )
        if claim is not None:
            ids = frozenset({claim.sentence.claim_id} - {None})
            shown.append(_Shown(claim.sentence, ids, proposal.role))  # type: ignore[arg-type]
            texts.add(claim.sentence.text)
            stated.add(claim.id)
        rejections.append(
            Rejection(proposal.text, proposal.claims, item.kind, item.detail, claim is not None)
        )
    # The claims were chosen for the brief before the model wrote: one it left out is still
    # said, in the reports' words, rather than lost.
    left_out = [
        _Shown(
            c.sentence,
            frozenset({c.sentence.claim_id} - {None}),  # type: ignore[arg-type]
            "analysis" if c.sentence.role == "analysis" else "body",
        )
        for c in grounding.claims
        if c.id not in stated and c.sentence.text not in texts
    ]
    shown.extend(left_out)
    run = WriterRun(
        name=NAME,
        model=model,
        prompt_version=PROMPT_VERSION,
        status="written",
        cached=cached,
        proposed=len(checked),
        accepted=accepted,
        rejections=tuple(rejections),
    )
    if not accepted:
        what = "the one sentence" if len(checked) == 1 else f"none of the {len(checked)} sentences"
        error = WriterError(
            "unsupported",
            f"{what} the model wrote {'is not' if len(checked) == 1 else 'is'} supported by "
            "the reports it cites",
        )
        return _fallback(base, model, error, run)
    return _brief(base, shown, settings, run, left_out)


def _brief(
    base: Brief,
    shown: list[_Shown],
    settings: Settings,
    run: WriterRun,
    left_out: Sequence[_Shown],
) -> Brief:
    """Lay out the shown sentences: lede, body with each conflict after its claim, analysis."""
    conflicts = [s for s in base.body if s.role in ("conflict", "update")]
    closing = [s for s in base.analysis if s.claim_id is None]  # the coverage sentence
    reporting = [s for s in shown if s.role != "analysis"] or shown[:1]
    lede = next((s for s in reporting if s.role == "lede"), reporting[0])
    rest = [s for s in reporting if s is not lede]
    interpretive = [s for s in shown if s.role == "analysis" and s is not lede]
    rest, interpretive = _within_budget(lede, rest, interpretive, conflicts, closing, settings)
    given = sum(1 for s in (*rest, *interpretive) if s in left_out)
    body: list[BriefSentence] = []
    waiting = list(conflicts)
    for item in [lede, *rest]:
        if item is not lede:
            body.append(replace(item.sentence, role="body"))
        body.extend(c for c in waiting if c.claim_id in item.claims)
        waiting = [c for c in waiting if c.claim_id not in item.claims]
    body.extend(waiting)  # disagreements about claims the model did not state
    analysis = [replace(s.sentence, role="analysis") for s in interpretive]
    return replace(
        base,
        lede=replace(lede.sentence, role="lede"),
        body=tuple(body),
        analysis=(*analysis, *closing),
        notes=(*base.notes, _note(run, given)),
        writer=run,
    )


def _within_budget(
    lede: _Shown,
    rest: list[_Shown],
    interpretive: list[_Shown],
    conflicts: Sequence[BriefSentence],
    closing: Sequence[BriefSentence],
    settings: Settings,
) -> tuple[list[_Shown], list[_Shown]]:
    """The body and analysis sentences that fit the word budget, in order (the lede always)."""
    if settings.max_words is None:
        return rest, interpretive
    fixed = sum(len(s.text.split()) for s in (*conflicts, *closing))
    budget = max(1, settings.max_words - fixed)
    used = len(lede.sentence.text.split())
    kept: list[_Shown] = []
    for item in [*rest, *interpretive]:
        if used >= budget:
            break
        words = len(item.sentence.text.split())
        if used + words > budget and not settings.fill:
            continue
        kept.append(item)
        used += words
    return [s for s in rest if s in kept], [s for s in interpretive if s in kept]


def _fallback(base: Brief, model: str, error: WriterError, run: WriterRun | None = None) -> Brief:
    """The extractive brief, saying why the model's was not shown."""
    run = replace(
        run or WriterRun(NAME, model, PROMPT_VERSION, "written"),
        status="fallback",
        reason=str(error),
    )
    return replace(base, notes=(*base.notes, _note(run)), writer=run)


def _kinds(rejections: Sequence[Rejection]) -> str:
    """Rejection kinds counted, most common first: "two for a number not in ...; one for ..."."""
    counts: dict[str, int] = {}
    for r in rejections:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return "; ".join(f"{count_word(n)} for {KINDS.get(kind, kind)}" for kind, n in ordered)


def _called(model: str) -> str:
    """The model's name after "the language model", when the settings or server gave one."""
    return "" if model == SERVER_DEFAULT else f" {model}"


def _note(run: WriterRun, left_out: int = 0) -> str:
    """What the brief's notes say about the model's part in it."""
    if run.status == "fallback":
        text = (
            f"The language model{_called(run.model)} did not write this brief ({run.reason}); "
            "its sentences are taken from the reports."
        )
        if run.rejections:
            text += f" Sentences it wrote and verification rejected: {_kinds(run.rejections)}."
        return text
    share = f"{run.acceptance:.0%}" if run.acceptance is not None else "none"
    text = (
        f"Written by the language model{_called(run.model)}; every sentence it wrote was checked "
        f"against the reports it cites: {run.accepted} of {run.proposed} accepted ({share})."
    )
    if run.rejections:
        replaced = sum(r.replaced for r in run.rejections)
        text += (
            f" Rejected: {_kinds(run.rejections)}; {count_word(replaced)} replaced by "
            "sentences taken from the reports."
        )
    if left_out:
        plural = "s" if left_out != 1 else ""
        text += (
            f" {count_word(left_out).capitalize()} claim{plural} the model left out "
            f"{'are' if plural else 'is'} given in the reports' words."
        )
    return text


__all__ = ["NAME", "write_llm"]
