"""Benchmark-only peers on FNC-1: four-way stance models trained inside the run.

Briefs use none of them; they show what a trained stance model reaches with the same folds
(five by body) as the verifier's verdicts. Every system gets the same gradient-boosting
learner; lexical overlap features are in every row; the "words model" adds the out-of-fold
probabilities of a TF-IDF logistic regression over headline and body words.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from newsweave.text.values.names import names
from newsweave.text.values.statements import Text, analyse_text, recall
from newsweave.verification.checks import PreparedSource
from newsweave.verification.citations import CHECKS, VALUE_CHECKS, Verifier
from newsweave_bench.datasets import STANCES, StancePair
from newsweave_bench.tables import text_table
from newsweave_bench.verdicts import FOLDS, fold_of

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class StanceRow:
    """One system's per-class F1 on held-out pairs."""

    system: str
    f1: dict[str, float]
    macro: float
    features: int


@dataclass(frozen=True)
class StanceResult:
    """The FNC-1 table."""

    pairs: int
    bodies: int
    counts: dict[str, int]
    rows: tuple[StanceRow, ...]
    seconds: float
    notes: tuple[str, ...] = field(default=())


def _polarity(text: Text) -> float:
    """1.0 when a text negates or calls false what it states, else 0.0."""
    return float(text.refutes + text.negations > 0)


def stance_features(
    verifier: Verifier,
    headline: str,
    claim: Text,
    body: PreparedSource,
    vector: np.ndarray | None,
) -> list[float]:
    """What the verifier finds for a headline against a body, as numbers for a stance model.

    Relevance and findings, and where the body refutes, negates or hedges: overall, in the
    sentences that match the headline best, and in its opening; and whether the headline's
    polarity differs from the body's.
    """
    n = max(1, len(body.sentences))
    rel = verifier.relevance(claim, body, vector)
    order = np.argsort(-rel, kind="stable") if len(rel) else np.zeros(0, dtype=int)
    top = [body.sentences[i] for i in order[:5]]
    result = verifier.verify(headline, body)
    kinds = Counter((f.check, f.kind) for f in result.findings)
    missing_values = sum(kinds[(c, "missing")] for c in VALUE_CHECKS)
    recalls = np.array([recall(claim.content, s.content) for s in body.sentences] or [0.0])

    def share(attr: str, sentences: Sequence[Text]) -> float:
        return sum(1 for s in sentences if getattr(s, attr)) / max(1, len(sentences))

    def best(mask: Sequence[bool]) -> float:
        picked = [r for r, m in zip(recalls, mask, strict=False) if m]
        return float(max(picked, default=0.0))

    refuting = [s.refutes > 0 for s in body.sentences]
    negating = [s.negations > 0 for s in body.sentences]
    hedging = [s.hedges > 0 for s in body.sentences]
    head = _polarity(claim)
    body_top = float(any(s.refutes for s in top))
    body_first = float(any(s.refutes for s in body.sentences[:3]))
    body_rate = share("refutes", body.sentences)
    differs = [(r or g) != bool(head) for r, g in zip(refuting, negating, strict=True)]
    return [
        float(rel[order[0]]) if len(rel) else 0.0,
        float(rel[order[:3]].mean()) if len(rel) else 0.0,
        result.coverage,
        float(claim.refutes > 0),
        float(claim.negations > 0),
        float(claim.hedges > 0 or "?" in headline),
        float(len(claim.content)),
        float(n),
        body_top,
        body_rate,
        body_first,
        share("hedges", body.sentences),
        share("affirms", body.sentences),
        share("negations", top),
        abs(head - body_top),
        abs(head - body_first),
        abs(head - min(1.0, 5 * body_rate)),
        best(refuting),
        best(negating),
        best(hedging),
        best([not (r or g) for r, g in zip(refuting, negating, strict=True)]),
        best(differs),
        float(kinds[("negation", "contradicted")]),
        float(kinds[("antonyms", "contradicted")]),
        float(kinds[("numbers", "contradicted")]),
        float(missing_values),
        float(kinds[("quotes", "missing")]),
        *_value_features(verifier, claim, kinds),
    ]


def _value_features(
    verifier: Verifier, claim: Text, kinds: Counter[tuple[str, str]]
) -> list[float]:
    """What each value check found, one by one: how many names and quantities the headline
    has, how many the body lacks, and the shares; zeros for a check that is off."""
    on = verifier.settings.checks
    named = len(names(claim)) if "entities" in on else 0
    counted = len(claim.quantities) if "numbers" in on else 0
    lacks_names = kinds[("entities", "missing")]
    lacks_numbers = kinds[("numbers", "missing")]
    return [
        float(named),
        float(lacks_names),
        lacks_names / max(1, named),
        float(counted),
        float(lacks_numbers),
        lacks_numbers / max(1, counted),
        float(kinds[("dates", "missing")]),
        float(kinds[("entities", "contradicted")]),
    ]


def _lexical_features(headline: str, body: str, tfidf: Any) -> list[float]:
    """Word overlap of a headline and a body: Jaccard, headline recall and TF-IDF cosine."""
    a, b = set(_WORD.findall(headline.lower())), set(_WORD.findall(body.lower()))
    vectors = tfidf.transform([headline, body])
    cosine = float(vectors[0].multiply(vectors[1]).sum())
    return [len(a & b) / max(1, len(a | b)), len(a & b) / max(1, len(a)), cosine]


def _stance_model() -> Any:
    """The learner every system gets: shallow gradient boosting, classes weighted equally."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=150,
        learning_rate=0.05,
        max_depth=3,
        min_samples_leaf=40,
        class_weight="balanced",
        random_state=0,
    )


def _words_probabilities(
    pairs: Sequence[StancePair], bodies: dict[str, str], train: np.ndarray, test: np.ndarray
) -> np.ndarray:
    """Stance probabilities for the test rows from a bag-of-words model of the train rows.

    Headline and body each become TF-IDF vectors of words and word pairs (the 5,000 most
    frequent in the training texts); a class-balanced logistic regression reads both. It
    learns the stance words no feature of the verifier names ("hoax", "rumour", "sources
    say"), which the gradient-boosting model then weighs with the verifier's findings.
    """
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def vectorizer(texts: Sequence[str]) -> Any:
        return TfidfVectorizer(
            max_features=5000, stop_words="english", sublinear_tf=True, ngram_range=(1, 2)
        ).fit(texts)

    heads = vectorizer([pairs[i].headline for i in train])
    body_ids = list(dict.fromkeys(pairs[i].body_id for i in train))
    texts = vectorizer([bodies[b] for b in body_ids])

    def matrix(rows: np.ndarray) -> Any:
        return hstack(
            [
                heads.transform([pairs[i].headline for i in rows]),
                texts.transform([bodies[pairs[i].body_id] for i in rows]),
            ]
        ).tocsr()

    labels = np.array([pairs[i].stance for i in train])
    model = LogisticRegression(max_iter=2000, class_weight="balanced").fit(matrix(train), labels)
    probabilities = np.zeros((len(test), len(STANCES)))
    for column, stance in enumerate(model.classes_):
        probabilities[:, STANCES.index(stance)] = model.predict_proba(matrix(test))[:, column]
    return probabilities


def _stacked_words(
    pairs: Sequence[StancePair], bodies: dict[str, str], folds: np.ndarray
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """For each outer fold: words-model probabilities for its training rows, out of fold
    (two inner folds by body), and for its test rows (fitted on all its training rows)."""
    stacked: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for fold in sorted(set(folds.tolist())):
        train, test = np.where(folds != fold)[0], np.where(folds == fold)[0]
        inner = np.array([fold_of("inner:" + pairs[i].body_id, 2) for i in train])
        out_of_fold = np.zeros((len(train), len(STANCES)))
        for part in (0, 1):
            if (inner == part).any() and (inner != part).any():
                out_of_fold[inner == part] = _words_probabilities(
                    pairs, bodies, train[inner != part], train[inner == part]
                )
        stacked[fold] = (out_of_fold, _words_probabilities(pairs, bodies, train, test))
    return stacked


def _cross_validated(
    x: np.ndarray,
    y: np.ndarray,
    folds: np.ndarray,
    words: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> np.ndarray:
    """Predictions for every row from a model fitted on the other folds."""
    predicted = np.empty(len(y), dtype=object)
    for fold in sorted(set(folds.tolist())):
        train, test = folds != fold, folds == fold
        if not train.any() or not test.any():
            continue
        x_train, x_test = x[train], x[test]
        if words is not None:
            x_train = np.hstack([x_train, words[fold][0]])
            x_test = np.hstack([x_test, words[fold][1]])
        model = _stance_model().fit(x_train, y[train])
        predicted[test] = model.predict(x_test)
    return predicted


def run_stance_peers(
    pairs: Sequence[StancePair],
    bodies: dict[str, str],
    verifier: Verifier,
    progress: Callable[[str], None] | None = None,
) -> StanceResult:
    """Benchmark-only peers: stance models trained inside this run, five folds by body.

    Briefs use none of them; they show what a trained four-way stance model reaches with
    the same folds.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import f1_score

    start = time.perf_counter()
    used = sorted({p.body_id for p in pairs})
    prepared = {b: verifier.prepare(bodies[b]) for b in used}
    if progress:
        progress(f"{len(used)} bodies prepared")
    headlines = sorted({p.headline for p in pairs})
    claims = {h: analyse_text(h) for h in headlines}
    vectors: dict[str, np.ndarray | None] = dict.fromkeys(headlines)
    if verifier.embedder is not None and headlines:
        for h, v in zip(headlines, verifier.embedder.encode(headlines), strict=True):
            vectors[h] = v
    folds = np.array([fold_of(p.body_id) for p in pairs])
    y = np.array([p.stance for p in pairs], dtype=object)
    # TF-IDF weights are learned per fold from the texts the model may see.
    lexical = np.zeros((len(pairs), 3))
    for fold in sorted(set(folds.tolist())):
        seen = [bodies[b] for b in used if fold_of(b) != fold]
        seen += [p.headline for p in pairs if fold_of(p.body_id) != fold]
        tfidf = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit(seen or ["empty"])
        for k, p in enumerate(pairs):
            if folds[k] == fold:
                lexical[k] = _lexical_features(p.headline, bodies[p.body_id], tfidf)
    words = _stacked_words(pairs, bodies, folds)
    if progress:
        progress("words model done")
    rows = [
        _stance_row("lexical overlap", lexical, y, folds, f1_score),
        _stance_row("lexical + words model", lexical, y, folds, f1_score, words),
    ]
    # (Its ablation without value checks is left out here: it doubled the run's time, and the
    # SummEdits table shows what the value checks add.)
    for name, checks in (("verifier", frozenset(CHECKS)),):
        v = verifier.with_checks(checks)
        features = np.array(
            [
                stance_features(v, p.headline, claims[p.headline], prepared[p.body_id],
                                vectors[p.headline])
                for p in pairs
            ]
        )  # fmt: skip
        rows.append(_stance_row(name, np.hstack([lexical, features]), y, folds, f1_score, words))
        if progress:
            progress(f"{name} done")
    counts = Counter(p.stance for p in pairs)
    return StanceResult(
        pairs=len(pairs),
        bodies=len(used),
        counts={s: counts[s] for s in STANCES},
        rows=tuple(rows),
        seconds=time.perf_counter() - start,
    )


def _stance_row(
    system: str,
    x: np.ndarray,
    y: np.ndarray,
    folds: np.ndarray,
    f1_score: Any,
    words: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> StanceRow:
    """One system's per-class F1, cross-validated, with the words model's output if given."""
    predicted = _cross_validated(x, y, folds, words)
    scores = f1_score(list(y), list(predicted), labels=list(STANCES), average=None, zero_division=0)
    f1 = {s: float(v) for s, v in zip(STANCES, scores, strict=True)}
    added = len(STANCES) if words is not None else 0
    return StanceRow(system, f1, float(np.mean(scores)), x.shape[1] + added)


def format_stance_peers(result: StanceResult) -> str:
    """Benchmark-only peers: four-way stance models trained in the run (briefs use none)."""
    lines = [
        "Benchmark-only peers (not what briefs use): four-way stance models trained in this "
        f"run, {FOLDS}-fold cross-validation by body",
        "",
        *text_table(
            ("system", *STANCES, "macro F1", "features"),
            [
                (r.system, *(f"{r.f1[s]:.3f}" for s in STANCES), f"{r.macro:.3f}", str(r.features))
                for r in result.rows
            ],
        ),
        "",
        "Every system: the same gradient-boosting learner; lexical overlap features (Jaccard, "
        "headline recall, TF-IDF cosine) are in every row; 'words model': the out-of-fold "
        "probabilities of a TF-IDF logistic regression over headline and body words.",
        f"time: {result.seconds:.1f} s",
    ]
    return "\n".join(lines)
