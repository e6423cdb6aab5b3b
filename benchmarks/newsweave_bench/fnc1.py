"""The verifier on FNC-1 (dev), scored from its verdicts.

Headline = claim, body = source; ``contradicted`` = disagree, ``supported`` = agree. The
contradiction model is fitted on four folds and scores the fifth, folds by body (and,
stricter, by story); each fold's verdicts come from ``verify_batch``. The four-way stance
models of ``stance_peers`` are reported after, as a benchmark-only peer table.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from newsweave.verification.citations import Signals, Verifier
from newsweave.verification.model import VerdictModel, best_f1_threshold, fit_trees
from newsweave_bench.datasets import STANCES, StancePair
from newsweave_bench.stance_peers import StanceResult, format_stance_peers, run_stance_peers
from newsweave_bench.tables import text_table
from newsweave_bench.verdicts import (
    FOLDS,
    batch_verdicts,
    collect_signals,
    fold_of,
    unfitted_verifier,
)

INNER_FOLDS = 3  # folds by body inside a fit, for the contradiction threshold


@dataclass(frozen=True)
class VerdictRow:
    """A verifier's verdicts on held-out FNC-1 pairs: contradicted = disagree, supported = agree."""

    system: str
    split: str
    disagree: tuple[float, float, float]  # precision, recall, F1 of 'contradicted'
    agree: tuple[float, float, float]  # of 'supported'
    macro: float  # F1 over agree / disagree / the rest (discuss and unrelated)


@dataclass(frozen=True)
class VerdictResult:
    """FNC-1 scored from the verdicts of verify_batch, each fold by a model fitted on the others."""

    pairs: int
    bodies: int
    counts: dict[str, int]
    rows: tuple[VerdictRow, ...]
    thresholds: tuple[float, ...]  # the contradiction threshold fitted for each fold
    shipped_in_sample: tuple[float, float, float]  # the shipped model on all pairs (fitted on them)
    seconds: float
    peers: StanceResult | None = None  # benchmark-only stance models (briefs do not use them)


def fit_contradiction(
    signals: Sequence[Sequence[Signals]],
    gold: Sequence[bool],
    groups: Sequence[str],
    model: VerdictModel,
) -> VerdictModel:
    """The contradiction trees and threshold, fitted on these pairs.

    The threshold maximises F1 of the verdict (rules or model) on probabilities from three
    inner folds by body (fitted without the pairs they score); the trees are then fitted on
    all the pairs.
    """
    # One row per claim: every sentence of a claim carries the row of the whole claim.
    rows = np.array([sigs[0].row for sigs in signals])
    labels = np.asarray(gold, dtype=bool)
    inner = np.array([fold_of("inner:" + g, INNER_FOLDS) for g in groups])
    out_of_fold = np.zeros(len(rows))
    for part in range(INNER_FOLDS):
        train, test = inner != part, inner == part
        if train.any() and test.any() and labels[train].any():
            trees = fit_trees(rows[train], labels[train])
            out_of_fold[test] = [trees.probability(r) for r in rows[test]]
    relevance = [max(s.relevance for s in sigs) for sigs in signals]
    ruled = [
        any(any(f.kind == "contradicted" for f in s.findings) for s in sigs) for sigs in signals
    ]
    # The relevance from which a rule check's contradiction is the verdict, and the threshold.
    best: tuple[float, float, float] | None = None
    for gate in RULE_GATES:
        forced = [r and x >= gate for r, x in zip(ruled, relevance, strict=True)]
        threshold = best_f1_threshold(out_of_fold, labels, forced)
        predicted = [f or p >= threshold for f, p in zip(forced, out_of_fold, strict=True)]
        f1 = _prf(list(labels), predicted)[2]
        if best is None or f1 > best[0]:
            best = (f1, gate, threshold)
    assert best is not None
    return replace(
        model,
        contradiction=fit_trees(rows, labels),
        threshold=best[2],
        rule_related=best[1],
    )


# Relevance gates searched for rule-check contradictions (the lowest is the support gate; a
# gate above 1 means the rule checks' contradictions count only through the model).
RULE_GATES = (0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


def _prf(gold: Sequence[bool], predicted: Sequence[bool]) -> tuple[float, float, float]:
    tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g and p)
    precision = tp / max(1, sum(predicted))
    recall = tp / max(1, sum(gold))
    f1 = 2 * tp / max(1, sum(predicted) + sum(gold))
    return precision, recall, f1


def _verdict_row(
    system: str, split: str, pairs: Sequence[StancePair], verdicts: Sequence[str]
) -> VerdictRow:
    disagree = _prf(
        [p.stance == "disagree" for p in pairs], [v == "contradicted" for v in verdicts]
    )
    agree = _prf([p.stance == "agree" for p in pairs], [v == "supported" for v in verdicts])
    rest = _prf(
        [p.stance in ("discuss", "unrelated") for p in pairs], [v == "not_found" for v in verdicts]
    )
    return VerdictRow(system, split, disagree, agree, (disagree[2] + agree[2] + rest[2]) / 3)


def story_of(pairs: Sequence[StancePair]) -> dict[str, str]:
    """Each body's story: bodies joined by the headlines they are related to (not unrelated)."""
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for p in pairs:
        find("b" + p.body_id)
        if p.stance != "unrelated":
            parent[find("b" + p.body_id)] = find("h" + p.headline)
    return {p.body_id: find("b" + p.body_id) for p in pairs}


def run_fnc1(
    pairs: Sequence[StancePair],
    bodies: dict[str, str],
    verifier: Verifier,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
    peers: bool = True,
) -> VerdictResult:
    """Per-class F1 of the verifier's verdicts on FNC-1, five folds by body (and by story)."""
    start = time.perf_counter()
    if limit is not None:
        # A sample of whole bodies (by hash, not by label) for quick runs.
        keep = set(sorted(bodies, key=lambda b: hashlib.sha256(b.encode()).hexdigest())[:limit])
        pairs = [p for p in pairs if p.body_id in keep]
    pairs = sorted(pairs, key=lambda p: p.body_id)  # a body's pairs together: prepared once
    triples = [(str(k), p.headline, bodies[p.body_id]) for k, p in enumerate(pairs)]
    gold = [p.stance == "disagree" for p in pairs]
    signals = collect_signals(verifier, triples)
    if progress:
        progress("signals collected")
    stories = story_of(pairs)
    rows = []
    thresholds: list[float] = []
    for split, key in (("5 folds by body", lambda b: b), ("5 folds by story", stories.get)):
        folds = np.array([fold_of(str(key(p.body_id))) for p in pairs])
        verdicts = [""] * len(pairs)
        for fold in range(FOLDS):
            train = np.where(folds != fold)[0]
            test = np.where(folds == fold)[0]
            if not len(test):
                continue
            model = fit_contradiction(
                [signals[k] for k in train],
                [gold[k] for k in train],
                [pairs[k].body_id for k in train],
                verifier.model,
            )
            if split == "5 folds by body":
                thresholds.append(round(model.threshold, 4))
            found = batch_verdicts(verifier.with_model(model), [triples[k] for k in test])
            for k in test:
                verdicts[k] = found[str(k)].verdict
        rows.append(_verdict_row("verifier", split, pairs, verdicts))
        if progress:
            progress(f"{split} done")
    unfitted = batch_verdicts(unfitted_verifier(verifier).with_synonyms(False), triples)
    rows.append(
        _verdict_row(
            "verifier, rules only (no model)", "unfitted", pairs,
            [unfitted[str(k)].verdict for k in range(len(pairs))],
        )
    )  # fmt: skip
    shipped = batch_verdicts(verifier, triples)
    in_sample = _prf(gold, [shipped[str(k)].verdict == "contradicted" for k in range(len(pairs))])
    counts = Counter(p.stance for p in pairs)
    return VerdictResult(
        pairs=len(pairs),
        bodies=len({p.body_id for p in pairs}),
        counts={s: counts[s] for s in STANCES},
        rows=tuple(rows),
        thresholds=tuple(thresholds),
        shipped_in_sample=in_sample,
        seconds=time.perf_counter() - start,
        peers=run_stance_peers(pairs, bodies, verifier, progress) if peers else None,
    )


def format_fnc1(result: VerdictResult) -> str:
    """The FNC-1 table from the verdicts, then the benchmark-only stance models."""
    counts = ", ".join(f"{s} {result.counts[s]:,}" for s in STANCES)
    p, r, f = result.shipped_in_sample
    lines = [
        f"FNC-1 dev: {result.pairs:,} headline-body pairs, {result.bodies} bodies ({counts}); "
        "verdicts of `verify --batch` (verify_batch), the contradiction model fitted on the "
        "other folds",
        "",
        *text_table(
            ("system", "split", "disagree P", "R", "F1", "agree P", "R", "F1", "macro F1"),
            [
                (
                    row.system,
                    row.split,
                    *(f"{x:.4f}" for x in row.disagree),
                    *(f"{x:.4f}" for x in row.agree),
                    f"{row.macro:.3f}",
                )
                for row in result.rows
            ],
        ),
        "",
        "disagree = verdict 'contradicted'; agree = 'supported'; macro F1 over agree, disagree "
        "and the rest (discuss and unrelated = 'not_found').",
        "by story: bodies joined through the headlines they relate to; no story is seen in "
        "fitting and scoring (stricter than by body).",
        "contradiction thresholds fitted per fold (by body): "
        + ", ".join(f"{t:.3f}" for t in result.thresholds),
        f"shipped model (fitted on all pairs, so not held out): disagree P {p:.3f} R {r:.3f} "
        f"F1 {f:.4f}",
        f"time: {result.seconds:.1f} s",
    ]
    if result.peers is not None:
        lines += ["", format_stance_peers(result.peers)]
    return "\n".join(lines)
