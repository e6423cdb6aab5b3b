"""Does a source support a claim? A verdict, a score and the evidence sentences, for one claim.

The verifier reads a claim (a sentence or two) against one source text and returns
``supported``, ``contradicted`` or ``not_found``, a score from 0 to 1 and the source sentences
that match the claim best. Embeddings cannot see a swapped number or name ("12 dead" and
"40 dead" are near-identical vectors), so the verdict rests on explicit checks
of numbers, dates, entities, negation, antonyms and quotes (newsweave.verification.checks).

Relevance (which sentences are evidence) mixes content-word recall with embedding cosine;
a content word counts as found when the source has it, a word of its family, or a WordNet
synonym of one of its first senses ("unveiled" for "revealed"). Names, numbers, dates and
quotes get no such latitude.

The verdict: ``contradicted`` when a relevant source fails a check with another value, or
when the contradiction model (``newsweave.verification.model``: refutation and denial cues near the
claim, polarity, the findings) gives at least its threshold; else ``supported`` when no check
fails, the best evidence sentence is relevant enough, the source holds enough of the claim's
content words and its best evidence sentences lack few; else ``not_found``. The thresholds
and the model are fitted on the dev benchmarks (scripts/fit_verify.py) and shipped in
``verify_model.json``; docs/verify.md gives the method and the cross-validated figures. JSON
lines of claims and texts are verified by newsweave.verification.batch.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import numpy as np

from newsweave.records import Sentence, Slot, Verdict
from newsweave.text.embed import Embedder
from newsweave.text.sentences import split_sentences
from newsweave.text.values.names import undotted
from newsweave.text.values.statements import Text, analyse_text, normalise
from newsweave.text.values.stems import stem
from newsweave.text.values.when import YEAR, date_slots
from newsweave.text.wordnet import synonyms
from newsweave.verification.checks import (
    CUES,
    Finding,
    PreparedSource,
    _check_antonyms,
    _check_dates,
    _check_entities,
    _check_numbers,
    _check_quotes,
    check_negation,
    found_share,
    sentence_cues,
)
from newsweave.verification.model import FEATURES, VerdictModel, shipped_model

CHECKS = ("numbers", "dates", "entities", "negation", "antonyms", "quotes")
# The checks on values that embeddings cannot tell apart; the benchmark switches them off to
# show what they add.
VALUE_CHECKS = frozenset({"numbers", "dates", "entities"})

_VERDICT_RANK = {"supported": 0, "not_found": 1, "contradicted": 2}


@dataclass(frozen=True)
class VerifySettings:
    """What the verifier checks and the thresholds of its verdict."""

    checks: frozenset[str] = frozenset(CHECKS)
    evidence: int = 2  # sentences returned as evidence
    # Sentences searched for the claim's quantities and opposites (the most relevant first).
    window: int = 4
    dense_weight: float = 0.35  # weight of embedding cosine in relevance (the rest: recall)
    # Best evidence sentences in which the claim's content words are looked for (the words
    # they lack are counted against the model's `local_missing`).
    local: int = 3
    synonyms: bool = True  # WordNet synonyms count as found words


@dataclass(frozen=True)
class Verification:
    """The verdict on one claim against one source, with the sentences that decided it."""

    verdict: Verdict
    score: float  # 0.0-1.0, higher is better support
    evidence: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    relevance: float = 0.0  # of the best evidence sentence
    coverage: float = 0.0  # share of the claim's content words found in the source
    contradiction: float = 0.0  # the contradiction model's probability


@dataclass(frozen=True)
class Signals:
    """What the verifier measures for one claim sentence against a source, before a verdict."""

    evidence: tuple[str, ...]
    findings: tuple[Finding, ...]
    relevance: float  # of the best evidence sentence
    coverage: float  # share of the claim's content words the source holds
    lacking: int  # content words the best evidence sentences lack
    score: float
    row: tuple[float, ...]  # the contradiction model's features (verify_model.FEATURES)
    refuting: str = ""  # the most relevant source sentence that refutes or denies
    exact: bool = False  # the source holds the claim word for word


class Verifier:
    """Checks claims against sources; holds the embedder, settings and the fitted model."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        settings: VerifySettings | None = None,
        model: VerdictModel | None = None,
    ):
        self.embedder = embedder
        self.settings = settings or VerifySettings()
        # The shipped model unless one is given (the benchmark gives each fold its own).
        self.model = model if model is not None else shipped_model()

    def with_checks(self, checks: Iterable[str]) -> Verifier:
        """The same verifier with only these checks on (for ablations)."""
        settings = replace(self.settings, checks=frozenset(checks))
        return Verifier(self.embedder, settings, self.model)

    def with_model(self, model: VerdictModel) -> Verifier:
        """The same verifier deciding with another fitted model."""
        return Verifier(self.embedder, self.settings, model)

    def with_synonyms(self, on: bool) -> Verifier:
        """The same verifier with WordNet synonyms counted as found words, or not."""
        return Verifier(self.embedder, replace(self.settings, synonyms=on), self.model)

    # Preparing sources

    def prepare(
        self,
        source: str | Sequence[Sentence] | Sequence[str],
        published: datetime | None = None,
        *,
        analysed: Sequence[Text] | None = None,
        vectors: np.ndarray | None = None,
        dates: Iterable[Slot] | None = None,
    ) -> PreparedSource:
        """Split (if text), analyse and embed a source once, to check many claims against it.

        A caller that already holds the sentences' analyses, vectors or date slots passes them.
        """
        if isinstance(source, str):
            texts = split_sentences(source)
        else:
            texts = [s.text if isinstance(s, Sentence) else s for s in source]
        sentences = tuple(analysed) if analysed is not None else tuple(map(analyse_text, texts))
        if vectors is None and self.embedder is not None and texts:
            vectors = self.embedder.encode(texts)
        tokens = [t for s in sentences for t in s.tokens]
        if dates is None:
            dates = [slot for text in texts for slot in date_slots(text, published)]
        days = {slot.value for slot in dates if slot.kind == "date"}
        weekdays = {date.fromisoformat(d).weekday() for d in days if not d.startswith("--")}
        full = " ".join(texts)
        return PreparedSource(
            sentences=sentences,
            vectors=vectors,
            published=published,
            stems=frozenset(s for sent in sentences for s in sent.stems),
            words=frozenset(undotted(t).lower() for t in tokens),
            cased=frozenset(undotted(t) for t in tokens),
            normalised=normalise(full),
            years=frozenset(YEAR.findall(full)) | {d[:4] for d in days if not d.startswith("--")},
            dates=frozenset(days),
            weekdays=frozenset(weekdays),
            cues=np.array([sentence_cues(t) for t in sentences], dtype=bool).reshape(-1, 4),
        )

    # Verifying

    def verify(
        self,
        claim: str,
        source: str | Sequence[Sentence] | Sequence[str] | PreparedSource,
        *,
        claim_published: datetime | None = None,
        source_published: datetime | None = None,
    ) -> Verification:
        """The verdict on a claim (one or more sentences) against one source."""
        prepared = (
            source if isinstance(source, PreparedSource) else self.prepare(source, source_published)
        )
        signals = self._claim_signals(claim, prepared, claim_published)
        results = [decide(s, self.model) for s in signals]
        if len(results) == 1:
            return results[0]
        # A claim of several sentences is as good as its weakest sentence.
        worst = max(results, key=lambda r: (_VERDICT_RANK[r.verdict], -r.score))
        evidence = tuple(dict.fromkeys(e for r in results for e in r.evidence))
        return Verification(
            worst.verdict,
            min(r.score for r in results),
            evidence[: self.settings.evidence * len(results)],
            tuple(f for r in results for f in r.findings),
            min(r.relevance for r in results),
            min(r.coverage for r in results),
            max(r.contradiction for r in results),
        )

    def signals(
        self,
        claim: str,
        source: str | Sequence[Sentence] | Sequence[str] | PreparedSource,
        *,
        claim_published: datetime | None = None,
        source_published: datetime | None = None,
    ) -> list[Signals]:
        """What the verifier measures for each sentence of a claim (for fitting the model)."""
        prepared = (
            source if isinstance(source, PreparedSource) else self.prepare(source, source_published)
        )
        return self._claim_signals(claim, prepared, claim_published)

    def _claim_signals(
        self, claim: str, prepared: PreparedSource, claim_published: datetime | None
    ) -> list[Signals]:
        """Signals of each sentence of a claim; whether the source disputes the claim is read
        from the claim as a whole (a headline's "Smh.." alone disputes nothing)."""
        parts = split_sentences(claim) or [claim]
        found = [self._signals(analyse_text(p), prepared, claim_published) for p in parts]
        if len(found) > 1:
            whole = self._signals(analyse_text(" ".join(parts)), prepared, claim_published)
            found = [replace(s, row=whole.row, refuting=whole.refuting) for s in found]
        return found

    def expansions(self, claim: Text) -> dict[str, frozenset[str]]:
        """Each content stem of the claim with the stems of its WordNet synonyms.

        Names (capitalised inside the sentence) and numbers are not expanded: their checks
        want the value itself.
        """
        found: dict[str, frozenset[str]] = {}
        if not self.settings.synonyms:
            return found
        for k, (token, s) in enumerate(zip(claim.tokens, claim.stems, strict=True)):
            if s not in claim.content or s in found:
                continue
            if not token.isalpha() or (k > 0 and token[0].isupper()) or token.isupper():
                continue
            words = synonyms(token)
            found[s] = frozenset(stem(w) for w in words if " " not in w and "-" not in w) - {s}
        return {s: e for s, e in found.items() if e}

    def relevance(
        self,
        claim: Text,
        prepared: PreparedSource,
        vector: np.ndarray | None,
        expansions: dict[str, frozenset[str]] | None = None,
    ) -> np.ndarray:
        """How well each source sentence matches the claim: content recall mixed with cosine."""
        return self._relevance(claim, prepared, vector, expansions)[0]

    def _relevance(
        self,
        claim: Text,
        prepared: PreparedSource,
        vector: np.ndarray | None,
        expansions: dict[str, frozenset[str]] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Relevance of each sentence, and the share of the claim's words it holds."""
        n = len(prepared.sentences)
        if not n or not claim.content:
            return np.zeros(n), np.zeros(n)
        expansions = self.expansions(claim) if expansions is None else expansions
        overlap = np.array(
            [found_share(claim.content, s.content, expansions) for s in prepared.sentences],
            dtype=np.float64,
        )
        if vector is None or prepared.vectors is None:
            return overlap, overlap
        w = self.settings.dense_weight
        cosine = np.clip(prepared.vectors @ vector, 0.0, 1.0).astype(np.float64)
        return (1 - w) * overlap + w * cosine, overlap

    def verify_sentence(
        self,
        claim: Text,
        prepared: PreparedSource,
        claim_published: datetime | None = None,
        vector: np.ndarray | None = None,
    ) -> Verification:
        """The verdict on one analysed sentence (its vector given, if known) against a source."""
        return self._verify_sentence(claim, prepared, claim_published, vector)

    def _verify_sentence(
        self,
        claim: Text,
        prepared: PreparedSource,
        claim_published: datetime | None,
        vector: np.ndarray | None = None,
    ) -> Verification:
        return decide(self._signals(claim, prepared, claim_published, vector), self.model)

    def _signals(
        self,
        claim: Text,
        prepared: PreparedSource,
        claim_published: datetime | None,
        vector: np.ndarray | None = None,
    ) -> Signals:
        settings = self.settings
        text = claim.text
        if not prepared.sentences:
            nothing = (Finding("relevance", "missing", text),)
            return Signals((), nothing, 0.0, 0.0, len(claim.content), 0.0, _EMPTY_ROW)
        for s in prepared.sentences:
            if s.text == text:
                return Signals((s.text,), (), 1.0, 1.0, 0, 1.0, _EMPTY_ROW, exact=True)
        if vector is None and self.embedder is not None and prepared.vectors is not None:
            vector = self.embedder.encode([text])[0]
        expansions = self.expansions(claim)
        rel, overlap = self._relevance(claim, prepared, vector, expansions)
        order = np.argsort(-rel, kind="stable")
        window = [prepared.sentences[i] for i in order[: settings.window]]
        best = float(rel[order[0]])
        related = self.model.related
        evidence = tuple(
            prepared.sentences[i].text
            for i in order[: settings.evidence]
            if rel[i] >= related or i == order[0]
        )
        share = found_share(claim.content, prepared.stems, expansions)
        two = frozenset(s for t in window[:2] for s in t.content)
        local = found_share(claim.content, two, expansions) if claim.content else 1.0
        near = frozenset(s for i in order[: settings.local] for s in prepared.sentences[i].content)
        size = len(claim.content)
        lacking = size - round(found_share(claim.content, near, expansions) * size)
        findings = self._findings(claim, prepared, window, claim_published)
        score = max(0.0, min(1.0, 0.5 * best + 0.25 * share + 0.25 * local))
        row = _features(claim, prepared, rel, overlap, order, findings, share)
        refuting = _most_relevant_refuting(prepared, order)
        return Signals(evidence, tuple(findings), best, share, lacking, score, row, refuting)

    def _findings(
        self,
        claim: Text,
        prepared: PreparedSource,
        window: Sequence[Text],
        claim_published: datetime | None,
    ) -> list[Finding]:
        checks = self.settings.checks
        found: list[Finding] = []
        if "numbers" in checks:
            found += _check_numbers(claim, window, prepared)
        if "dates" in checks:
            found += _check_dates(claim, prepared, claim_published)
        if "entities" in checks:
            found += _check_entities(claim, prepared, window)
        if "quotes" in checks:
            found += _check_quotes(claim, prepared)
        if "negation" in checks:
            found += check_negation(claim, window[:2])
        if "antonyms" in checks:
            found += _check_antonyms(claim, window, prepared)
        return found


# The verdict ------------------------------------------------------------------------------

_EMPTY_ROW = (0.0,) * len(FEATURES)


def decide(signals: Signals, model: VerdictModel) -> Verification:
    """The verdict on one claim sentence from what was measured and the fitted model."""
    if signals.exact:
        return Verification("supported", 1.0, signals.evidence, (), 1.0, 1.0)
    findings = signals.findings
    if not signals.evidence:
        return Verification("not_found", 0.0, (), findings)
    probability = model.contradiction_probability(signals.row)
    ruled = any(f.kind == "contradicted" for f in findings)
    score = signals.score
    verdict: Verdict
    if (ruled and signals.relevance >= model.rule_related) or probability >= model.threshold:
        verdict = "contradicted"
        score = min(score, 0.2)
        if not ruled:
            said = signals.refuting or signals.evidence[0]
            findings = (*findings, Finding("refutation", "contradicted", "", said))
    elif (
        findings
        or signals.relevance < model.related
        or signals.coverage < model.coverage
        or signals.lacking > model.local_missing
    ):
        verdict = "not_found"
        score = min(score, 0.45)
    else:
        verdict = "supported"
        score = max(score, 0.55)
    return Verification(
        verdict,
        round(score, 4),
        signals.evidence,
        tuple(findings),
        signals.relevance,
        signals.coverage,
        round(probability, 4),
    )


def _features(
    claim: Text,
    prepared: PreparedSource,
    rel: np.ndarray,
    overlap: np.ndarray,
    order: np.ndarray,
    findings: Sequence[Finding],
    share: float,
) -> tuple[float, ...]:
    """The contradiction model's features (verify_model.FEATURES) for one claim sentence."""
    n = len(prepared.sentences)
    refutes, negates, hedges, affirms = (prepared.cues[:, k] for k in range(len(CUES)))
    top3, top5, opening = order[:3], order[:5], np.arange(min(2, n))

    def share_of(mask: np.ndarray, rows: np.ndarray) -> float:
        return float(mask[rows].mean()) if len(rows) else 0.0

    def best_of(values: np.ndarray, mask: np.ndarray) -> float:
        return float(values[mask].max()) if mask.any() else 0.0

    own = sentence_cues(claim)
    claim_refutes = float(own[0])
    kinds = Counter((f.check, f.kind) for f in findings)
    relevance = float(rel[order[0]])
    refutes_top3 = share_of(refutes, top3)
    refutes_relevance = best_of(rel, refutes)
    values = {
        "relevance": relevance,
        "relevance_top3": float(rel[top3].mean()),
        "coverage": share,
        "claim_refutes": claim_refutes,
        "claim_negates": float(own[1]),
        "claim_hedges": float(own[2] or "?" in claim.text),
        "claim_words": float(len(claim.content)),
        "source_sentences": math.log1p(n),
        "refutes_top1": float(refutes[order[0]]),
        "refutes_top3": refutes_top3,
        "refutes_top5": share_of(refutes, top5),
        "refutes_opening": share_of(refutes, opening),
        "refutes_share": float(refutes.mean()),
        "refutes_any": float(refutes.any()),
        "refutes_relevance": refutes_relevance,
        "refutes_recall": best_of(overlap, refutes),
        "negates_top3": share_of(negates, top3),
        "negates_relevance": best_of(rel, negates),
        "hedges_top3": share_of(hedges, top3),
        "hedges_share": float(hedges.mean()),
        "hedges_opening": share_of(hedges, opening),
        "affirms_top3": share_of(affirms, top3),
        "polarity_top3": abs(claim_refutes - float(refutes[top3].any())),
        "polarity_opening": abs(claim_refutes - float(refutes[opening].any())),
        "negation_found": kinds[("negation", "contradicted")],
        "antonym_found": kinds[("antonyms", "contradicted")],
        "number_found": kinds[("numbers", "contradicted")],
        "sex_found": kinds[("entities", "contradicted")],
        "values_missing": sum(kinds[(c, "missing")] for c in VALUE_CHECKS),
        "quotes_missing": kinds[("quotes", "missing")],
        "evidence_refutes_plain_claim": refutes_top3 * (1 - claim_refutes) * relevance,
        "plain_evidence_refuting_claim": claim_refutes * (1 - float(refutes.any())) * relevance,
        "claim_refutes_relevance": claim_refutes * relevance,
        "refuting_evidence_plain_claim": refutes_relevance * (1 - claim_refutes),
    }
    return tuple(float(values[name]) for name in FEATURES)


def _most_relevant_refuting(prepared: PreparedSource, order: np.ndarray) -> str:
    """The most relevant sentence of the source that refutes or denies, if any."""
    for i in order:
        if prepared.cues[i, 0]:
            return prepared.sentences[i].text
    return ""


def verify(
    claim: str,
    source: str | Sequence[Sentence] | Sequence[str],
    *,
    embedder: Embedder | None = None,
    settings: VerifySettings | None = None,
    claim_published: datetime | None = None,
    source_published: datetime | None = None,
) -> Verification:
    """Verify one claim against one source (builds a Verifier; reuse one for many claims)."""
    return Verifier(embedder, settings).verify(
        claim, source, claim_published=claim_published, source_published=source_published
    )


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """The most serious of several verdicts (contradicted, then not_found, then supported)."""
    return max(verdicts, key=_VERDICT_RANK.__getitem__, default="not_found")


__all__ = [
    "CHECKS",
    "VALUE_CHECKS",
    "Signals",
    "Verification",
    "Verifier",
    "VerifySettings",
    "decide",
    "verify",
    "worst",
]
