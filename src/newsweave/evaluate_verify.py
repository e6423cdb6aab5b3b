"""The verifier on public benchmarks, with its peers side by side in one run.

- **SummEdits** (news, dev): is a one-sentence summary consistent with its article?
  Balanced accuracy of "supported" against the label. Peers: a lexical-overlap threshold
  (share of the summary's content words found in the article; threshold fitted on the fit
  documents), and the verifier with its value checks (numbers, dates, entities) off.
- **FNC-1** (dev): the stance of an article body towards a headline (agree, disagree, discuss,
  unrelated), per-class F1. The verifier's outputs for the headline against the body (relevance,
  findings, refutation and hedging cues near the matching sentences), with the stacked
  probabilities of a bag-of-words model, feed a small gradient-boosting model; so do the
  peers' (lexical overlap only; lexical overlap and the words model; the verifier without
  value checks). Five-fold cross-validation by body: every pair is scored by models fitted on
  the other folds' bodies, so no body is seen in fitting and scoring.

Splits are by a hash of the document or body id, never by item, and nothing is tuned to
single items. The data is read in place (../shared/data) and never copied.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from newsweave.errors import InputError
from newsweave.text.statements import Text, analyse_text, names, recall
from newsweave.verify import CHECKS, VALUE_CHECKS, PreparedSource, Verifier
from newsweave.verify_story import brief_verifier

SCHEMA = "newsweave.eval-verify/1"
STANCES = ("agree", "disagree", "discuss", "unrelated")
SEED = 20260601
FOLDS = 5  # FNC-1 cross-validation folds, by body
# Published balanced accuracy on the full SummEdits news set (Laban et al., EMNLP 2023).
SUMMEDITS_PUBLISHED = {"GPT-4": 83.3, "QAFactEval": 74.4, "ChatGPT": 74.4, "SummaC-Conv": 61.9}
_WORD = re.compile(r"[a-z0-9]+")


# Reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummEditsItem:
    """One summary of one article and whether annotators found it consistent."""

    id: str
    doc: str
    summary: str
    consistent: bool
    doc_id: str


@dataclass(frozen=True)
class StancePair:
    """One headline and one body, with the body's stance towards the headline."""

    headline: str
    body_id: str
    stance: str


def read_summedits(folder: Path) -> list[SummEditsItem]:
    """Every item of every SummEdits JSON file in a folder."""
    files = sorted(Path(folder).glob("*.json"))
    if not files:
        raise InputError(str(folder), "no SummEdits .json file in this folder")
    items = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InputError(str(path), f"not readable as JSON ({error})") from None
        if not isinstance(data, list):
            raise InputError(str(path), "expected a JSON list of items")
        for k, row in enumerate(data):
            try:
                label = str(row["label"]).strip()
                if label not in ("0", "1"):
                    raise ValueError(f"label {row['label']!r} is not 0 or 1")
                doc_id = str(row["id"]).rsplit("_", 1)[0]
                items.append(
                    SummEditsItem(str(row["id"]), row["doc"], row["summary"], label == "1", doc_id)
                )
            except (KeyError, TypeError, ValueError) as error:
                raise InputError(f"{path}: item {k}", f"bad SummEdits item ({error})") from None
    return items


def read_fnc1(folder: Path) -> tuple[list[StancePair], dict[str, str]]:
    """FNC-1 stances.csv and bodies.csv: the pairs and the bodies by id."""
    folder = Path(folder)
    bodies_path, stances_path = folder / "bodies.csv", folder / "stances.csv"
    for path in (bodies_path, stances_path):
        if not path.is_file():
            raise InputError(str(path), "file not found")
    csv.field_size_limit(1 << 24)
    try:
        with bodies_path.open(encoding="utf-8", newline="") as f:
            bodies = {row["Body ID"]: row["articleBody"] for row in csv.DictReader(f)}
        with stances_path.open(encoding="utf-8", newline="") as f:
            pairs = [
                StancePair(row["Headline"], row["Body ID"], row["Stance"])
                for row in csv.DictReader(f)
            ]
    except (KeyError, csv.Error, UnicodeDecodeError) as error:
        raise InputError(str(folder), f"not in the FNC-1 layout ({error})") from None
    unknown = {p.body_id for p in pairs} - bodies.keys()
    if unknown:
        raise InputError(str(stances_path), f"{len(unknown)} body ids not in bodies.csv")
    bad = {p.stance for p in pairs} - set(STANCES)
    if bad:
        raise InputError(str(stances_path), f"unknown stances: {sorted(bad)}")
    return pairs, bodies


# SummEdits ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BinaryRow:
    """One system's balanced accuracy on all items, the fit part and the held-out part."""

    system: str
    all: float
    fit: float
    held_out: float
    note: str = ""


@dataclass(frozen=True)
class SummEditsResult:
    """The SummEdits table and how the split was made."""

    items: int
    documents: int
    consistent: int
    fit_documents: int
    fit_items: int
    rows: tuple[BinaryRow, ...]
    seconds: float


def balanced_accuracy(gold: Sequence[bool], predicted: Sequence[bool]) -> float:
    """Mean of the recall of each class, x 100."""
    pos = [p for g, p in zip(gold, predicted, strict=True) if g]
    neg = [not p for g, p in zip(gold, predicted, strict=True) if not g]
    rates = [sum(part) / len(part) for part in (pos, neg) if part]
    return 100 * sum(rates) / len(rates) if rates else 0.0


def _fit_threshold(scores: Sequence[float], gold: Sequence[bool]) -> float:
    """The score threshold (consistent when >=) with the best balanced accuracy."""
    candidates = sorted(set(scores))
    return max(
        candidates,
        key=lambda t: (balanced_accuracy(gold, [s >= t for s in scores]), -t),
        default=0.0,
    )


def lexical_overlap(claim: str, source: str) -> float:
    """Share of the claim's content words (no stop words) that occur in the source."""
    from newsweave.text.words import content_words, words

    wanted = content_words(claim)
    return len(wanted & words(source)) / len(wanted) if wanted else 1.0


def run_summedits(items: Sequence[SummEditsItem], verifier: Verifier) -> SummEditsResult:
    """The verifier and its peers on SummEdits; thresholds of the overlap peer are fitted."""
    start = time.perf_counter()
    # Half of the articles (ordered by a hash of their id) are the fit part.
    docs = sorted(
        {i.doc_id for i in items}, key=lambda d: hashlib.sha256(f"{SEED}:{d}".encode()).hexdigest()
    )
    fit_docs = set(docs[: (len(docs) + 1) // 2])
    fit = [i.doc_id in fit_docs for i in items]
    gold = [i.consistent for i in items]
    prepared: dict[str, PreparedSource] = {}
    for item in items:
        if item.doc_id not in prepared:
            prepared[item.doc_id] = verifier.prepare(item.doc)

    def row(system: str, predicted: Sequence[bool], note: str = "") -> BinaryRow:
        def part(keep: bool | None) -> float:
            pick = [k for k, f in enumerate(fit) if keep is None or f == keep]
            return balanced_accuracy([gold[k] for k in pick], [predicted[k] for k in pick])

        return BinaryRow(system, part(None), part(True), part(False), note)

    overlap = [lexical_overlap(i.summary, i.doc) for i in items]
    threshold = _fit_threshold(
        [s for s, f in zip(overlap, fit, strict=True) if f],
        [g for g, f in zip(gold, fit, strict=True) if f],
    )
    rows = [
        row(
            "lexical overlap",
            [s >= threshold for s in overlap],
            f"consistent when >= {threshold:.2f} of content words are in the article",
        )
    ]
    for name, checks in (
        ("verifier, value checks off", frozenset(CHECKS) - VALUE_CHECKS),
        ("verifier", frozenset(CHECKS)),
    ):
        v = verifier.with_checks(checks)
        predicted = [v.verify(i.summary, prepared[i.doc_id]).verdict == "supported" for i in items]
        rows.append(row(name, predicted))
    return SummEditsResult(
        items=len(items),
        documents=len(prepared),
        consistent=sum(gold),
        fit_documents=len({i.doc_id for i, f in zip(items, fit, strict=True) if f}),
        fit_items=sum(fit),
        rows=tuple(rows),
        seconds=time.perf_counter() - start,
    )


# FNC-1 --------------------------------------------------------------------------------------


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


def fold_of(key: str, k: int = FOLDS) -> int:
    """A stable assignment of ids to k folds by a hash, independent of order."""
    return int.from_bytes(hashlib.sha256(f"{SEED}:{key}".encode()).digest()[:4], "big") % k


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


def run_fnc1(
    pairs: Sequence[StancePair],
    bodies: dict[str, str],
    verifier: Verifier,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> StanceResult:
    """Per-class F1 of each system on FNC-1, five-fold cross-validated by body."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import f1_score

    start = time.perf_counter()
    if limit is not None:
        # A sample of whole bodies (by hash, not by label) for quick runs.
        keep = set(sorted(bodies, key=lambda b: hashlib.sha256(b.encode()).hexdigest())[:limit])
        pairs = [p for p in pairs if p.body_id in keep]
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
    for name, checks in (
        ("verifier, value checks off", frozenset(CHECKS) - VALUE_CHECKS),
        ("verifier", frozenset(CHECKS)),
    ):
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


# Reports ------------------------------------------------------------------------------------


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Plain-text columns: the first left-aligned, the rest right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def format_summedits(result: SummEditsResult) -> str:
    """The SummEdits table: balanced accuracy on all items, the fit part and the held-out part."""
    held = result.items - result.fit_items
    lines = [
        f"SummEdits news dev: {result.items} summaries of {result.documents} articles "
        f"({result.consistent} consistent); fit part {result.fit_documents} articles "
        f"({result.fit_items} items), held-out part {result.documents - result.fit_documents} "
        f"articles ({held} items)",
        "",
        *text_table(
            ("system", "BA all", "BA fit", "BA held-out"),
            [(r.system, f"{r.all:.1f}", f"{r.fit:.1f}", f"{r.held_out:.1f}") for r in result.rows],
        ),
        "",
        "BA: balanced accuracy x100 of 'supported' against 'consistent'.",
        *(f"{r.system}: {r.note}" for r in result.rows if r.note),
        "published, full SummEdits news set: "
        + ", ".join(f"{k} {v}" for k, v in SUMMEDITS_PUBLISHED.items()),
        f"time: {result.seconds:.1f} s",
    ]
    return "\n".join(lines)


def format_fnc1(result: StanceResult) -> str:
    """The FNC-1 table: per-class F1 of each system on held-out bodies."""
    counts = ", ".join(f"{s} {result.counts[s]:,}" for s in STANCES)
    lines = [
        f"FNC-1 dev: {result.pairs:,} headline-body pairs, {result.bodies} bodies ({counts}); "
        f"{FOLDS}-fold cross-validation by body",
        "",
        *text_table(
            ("system", *STANCES, "macro F1", "features"),
            [
                (r.system, *(f"{r.f1[s]:.3f}" for s in STANCES), f"{r.macro:.3f}", str(r.features))
                for r in result.rows
            ],
        ),
        "",
        "F1 per class; every pair is scored by a model fitted on the other folds' bodies.",
        "Every system: the same gradient-boosting learner; lexical overlap features (Jaccard, "
        "headline recall, TF-IDF cosine) are in every row; 'words model': the out-of-fold "
        "probabilities of a TF-IDF logistic regression over headline and body words.",
        f"time: {result.seconds:.1f} s",
    ]
    return "\n".join(lines)


def result_to_json(
    summedits: SummEditsResult | None, fnc1: StanceResult | None
) -> dict[str, object]:
    """Both benchmarks as JSON-ready data."""
    from dataclasses import asdict

    return {
        "schema": SCHEMA,
        "summedits": asdict(summedits) if summedits else None,
        "fnc1": asdict(fnc1) if fnc1 else None,
    }


def default_verifier() -> Verifier:
    """The verifier as briefs use it: WordLlama embeddings (TF-IDF-free) and default settings."""
    from newsweave.text.embed import make_embedder

    return brief_verifier(make_embedder("wordllama"))
