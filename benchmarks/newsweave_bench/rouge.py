"""ROUGE of newsweave and extractive peers on clusters that have a reference summary.

Every system gets the same word budget per cluster (the reference's length, or a fixed
number) and its text is cut to that budget, so no system gains recall by writing more.
A word is a whitespace-separated token holding a letter or digit (a lone "–" is not one).

Systems (a plain registry, name -> callable(cluster, budget) -> text):

- ``newsweave``: ``make_brief`` with the budget as ``max_words`` (and as the sentence cap, so
  the word budget is what binds) and ``fill`` (run to the budget rather than stop short, as the
  text is cut anyway); lede + body + analysis sentence texts in order, citation markers
  removed, no source list.
- ``brief``: what ``newsweave brief --words N`` prints, N the budget: the same, without the
  sentence cap lifted and without ``fill``, so it stops short of the budget where peers run over.
- ``lead``: the articles' sentences taken round robin (first sentences first).
- ``lexrank``, ``textrank``, ``lsa``: sumy 0.13.0 over the sentences of all articles, run
  offline (newsweave's sentence splitter, a regex word tokenizer, sumy's Snowball stemmer and
  stop words: no NLTK data); sentences taken in rank order.
- ``oracle``: greedily adds the sentence that most raises ROUGE-1 + ROUGE-2 F1 against the
  reference until nothing does or the budget is full: a ceiling for sentence extraction.

Extractive systems skip a sentence whose exact text they already took (wire copies repeat).
Scores are rouge-score 0.1.2 F1 x 100 (Porter stemmer) with 95% bootstrap intervals over
clusters. rouge-score and sumy come with the ``eval`` extra and are imported on first use.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import statistics
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from newsweave.config import Settings
from newsweave.errors import ConfigError, InputError
from newsweave.text.embed import Embedder
from newsweave.text.sentences import split_sentences
from newsweave_bench.datasets import (
    Cluster,
    cluster_reports,
    read_allsides,
    read_jsonl_clusters,
    read_multinews,
)

System = Callable[[Cluster, int], str]

SYSTEM_NAMES = ("newsweave", "brief", "lead", "lexrank", "textrank", "lsa", "oracle")
SUMY_SYSTEMS = ("lexrank", "textrank", "lsa")
EXTRA = "eval"
EXTRA_PACKAGES = {"rouge_score": "rouge-score", "sumy": "sumy"}
RESAMPLES = 1000
SEED = 20260601
CONFIDENCE = 0.95
SCHEMA = "newsweave.eval/1"
MIN_SETTINGS_WORDS = 10  # Settings rejects a smaller max_words; the text is cut anyway

_WORD = re.compile(r"[^\W_]")  # a token is a word when it holds a letter or digit
_SUMY_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


# Words and budgets


def is_word(token: str) -> bool:
    """Whether a whitespace token counts as a word (holds a letter or digit)."""
    return _WORD.search(token) is not None


def word_count(text: str) -> int:
    """The number of words in a text."""
    return sum(1 for token in text.split() if is_word(token))


def cut(text: str, budget: int) -> str:
    """The text up to and including its budget-th word."""
    kept: list[str] = []
    count = 0
    for token in text.split():
        if count >= budget:
            break
        kept.append(token)
        count += is_word(token)
    return " ".join(kept)


def fill(sentences: Iterable[str], budget: int) -> str:
    """Sentences in the order given until the budget is full, the last one cut to fit.

    A sentence whose exact text was already taken is skipped.
    """
    taken: list[str] = []
    seen: set[str] = set()
    count = 0
    for sentence in sentences:
        if count >= budget:
            break
        if sentence in seen:
            continue
        seen.add(sentence)
        taken.append(sentence)
        count += word_count(sentence)
    return cut(" ".join(taken), budget)


# Systems


def lead(cluster: Cluster, budget: int) -> str:
    """First sentences of the articles round robin: article 1 sentence 1, article 2 sentence 1..."""
    per_article = [split_sentences(text) for text in cluster.documents]
    rounds = itertools.zip_longest(*per_article)
    return fill((s for row in rounds for s in row if s is not None), budget)


class SumyTokenizer:
    """What sumy asks of a tokenizer, without NLTK's downloadable data."""

    language = "english"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        """Sentences by newsweave's splitter."""
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Runs of letters and digits, apostrophes kept inside words."""
        return tuple(_SUMY_WORD.findall(sentence))


@lru_cache(maxsize=1)
def _sumy_parts() -> tuple[Any, frozenset[str], dict[str, type]]:
    """Stemmer, stop words and summarizer classes, built once (sumy imported on first use)."""
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.lsa import LsaSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    # Stemmer("english") is NLTK's Snowball stemmer, pure code; the stop words ship in sumy.
    classes = {"lexrank": LexRankSummarizer, "textrank": TextRankSummarizer, "lsa": LsaSummarizer}
    return Stemmer("english"), get_stop_words("english"), classes


def sumy_ranked(cluster: Cluster, method: str) -> list[str]:
    """Sentences of all the cluster's articles, best first by a sumy summarizer."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    stemmer, stop_words, classes = _sumy_parts()
    tokenizer = SumyTokenizer()
    document = ObjectDocumentModel(
        Paragraph(Sentence(s, tokenizer) for s in tokenizer.to_sentences(text))
        for text in cluster.documents
    )
    summarizer = classes[method](stemmer)
    summarizer.stop_words = stop_words
    ranked: list[str] = []

    def keep_ranking(infos: list[Any]) -> list[Any]:
        # sumy hands a callable count the sentences sorted best first (ties in text order);
        # it then re-sorts its pick by position, so the ranking is taken here.
        ranked.extend(str(info.sentence) for info in infos)
        return infos

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LSA warns on clusters with fewer words than sentences
        summarizer(document, keep_ranking)
    return ranked


def _sumy_system(method: str) -> System:
    """A system that takes sumy's ranking until the budget is full."""

    def run(cluster: Cluster, budget: int) -> str:
        return fill(sumy_ranked(cluster, method), budget)

    run.__name__ = method
    run.__doc__ = f"sumy {method}: sentences in rank order until the budget is full."
    return run


lexrank = _sumy_system("lexrank")
textrank = _sumy_system("textrank")
lsa = _sumy_system("lsa")


@lru_cache(maxsize=1)
def _rouge_tokenizer() -> Any:
    """rouge-score's own tokenizer with the Porter stemmer, as the scorer uses it."""
    from rouge_score import tokenizers

    return tokenizers.DefaultTokenizer(use_stemmer=True)


@lru_cache(maxsize=200_000)
def _word_tokens(word: str) -> tuple[str, ...]:
    """rouge-score tokens of one whitespace token (tokenizing word by word gives the same)."""
    return tuple(_rouge_tokenizer().tokenize(word))


def _f1(overlap: int, predicted: int, reference: int) -> float:
    """F1 exactly as rouge-score computes it."""
    precision = overlap / max(predicted, 1)
    recall = overlap / max(reference, 1)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


@dataclass
class _Greedy:
    """The oracle's summary so far, with the n-gram counts that ROUGE-1 and -2 need."""

    ref1: Counter[str]
    ref2: Counter[tuple[str, str]]
    tokens: list[str]
    words: int = 0
    overlap1: int = 0
    overlap2: int = 0

    def score(
        self,
        tokens: Sequence[str],
        counts1: Counter[str],
        counts2: Counter[tuple[str, str]],
    ) -> tuple[float, int, int]:
        """R-1 + R-2 F1 if these tokens were appended, and the overlaps it would have."""
        overlap1, overlap2 = self.overlap1, self.overlap2
        added1: Counter[str] = Counter()
        added2: Counter[tuple[str, str]] = Counter()
        previous = self.tokens[-1] if self.tokens else None
        for token in tokens:
            # A new n-gram adds to the overlap while the reference has more copies of it.
            if counts1[token] + added1[token] < self.ref1[token]:
                overlap1 += 1
            added1[token] += 1
            if previous is not None:
                gram = (previous, token)
                if counts2[gram] + added2[gram] < self.ref2[gram]:
                    overlap2 += 1
                added2[gram] += 1
            previous = token
        n1 = len(self.tokens) + len(tokens)
        score = _f1(overlap1, n1, self.ref1.total()) + _f1(
            overlap2, max(n1 - 1, 0), self.ref2.total()
        )
        return score, overlap1, overlap2


def oracle_sentences(cluster: Cluster, budget: int) -> list[str]:
    """The greedy oracle's sentences in the order picked, the last one cut to the budget."""
    reference = [t for w in cluster.reference.split() for t in _word_tokens(w)]
    state = _Greedy(Counter(reference), Counter(itertools.pairwise(reference)), [])
    candidates = list(dict.fromkeys(s for text in cluster.documents for s in split_sentences(text)))
    picked: list[str] = []
    best_score = 0.0
    while state.words < budget and candidates:
        counts1: Counter[str] = Counter(state.tokens)
        counts2: Counter[tuple[str, str]] = Counter(itertools.pairwise(state.tokens))
        best: tuple[float, int, int, int, str] | None = None
        for i, sentence in enumerate(candidates):
            text = cut(sentence, budget - state.words)
            tokens = [t for w in text.split() for t in _word_tokens(w)]
            score, overlap1, overlap2 = state.score(tokens, counts1, counts2)
            if best is None or score > best[0]:
                best = (score, overlap1, overlap2, i, text)
        if best is None or best[0] <= best_score:
            break  # no sentence raises the score any more
        best_score, state.overlap1, state.overlap2, index, text = best
        state.tokens.extend(t for w in text.split() for t in _word_tokens(w))
        state.words += word_count(text)
        picked.append(text)
        del candidates[index]
    return picked


def oracle(cluster: Cluster, budget: int) -> str:
    """Greedy ROUGE-1 + ROUGE-2 oracle: the ceiling for extracting whole sentences."""
    return " ".join(oracle_sentences(cluster, budget))


def newsweave_system(
    settings: Settings, embedder: Embedder | None = None, *, as_user: bool = False
) -> System:
    """newsweave's brief as plain text: lede, body and analysis, without citation markers.

    as_user: exactly what `newsweave brief --words N` prints (system "brief"), which stops
    short of the budget rather than run over it; otherwise (system "newsweave") the brief
    fills the budget, its last sentence cut like every peer's.
    """
    from newsweave.pipeline.briefing import make_brief
    from newsweave.render import CITATION_GROUP

    def run(cluster: Cluster, budget: int) -> str:
        words = max(budget, MIN_SETTINGS_WORDS)
        # A sentence has at least one word, so a sentence cap of `words` never binds first.
        brief_settings = (
            settings.with_(max_words=words)
            if as_user
            else settings.with_(max_words=words, max_body_sentences=words, fill=True)
        )
        brief = make_brief(cluster_reports(cluster, "eval"), brief_settings, embedder)
        text = " ".join(CITATION_GROUP.sub(" ", s.text) for s in brief.sentences)
        return cut(text, budget)

    run.__name__ = "brief" if as_user else "newsweave"
    return run


BASELINES: dict[str, System] = {
    "lead": lead,
    "lexrank": lexrank,
    "textrank": textrank,
    "lsa": lsa,
    "oracle": oracle,
}


def parse_system_names(text: str) -> tuple[str, ...]:
    """Comma-separated system names, checked against SYSTEM_NAMES, in the order given."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in SYSTEM_NAMES]
    if unknown or not names:
        raise ConfigError(
            f"unknown system {', '.join(unknown) or '(none given)'}; "
            f"known systems: {', '.join(SYSTEM_NAMES)}"
        )
    return names


def require_extra(names: Iterable[str] = SYSTEM_NAMES) -> None:
    """Raise ConfigError naming the extra to install when rouge-score or sumy is missing."""
    needed = ["rouge_score"] + (["sumy"] if set(names) & set(SUMY_SYSTEMS) else [])
    missing = [EXTRA_PACKAGES[m] for m in needed if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"evaluation needs {', '.join(missing)}: install the '{EXTRA}' extra, "
            f"e.g. pip install 'newsweave[{EXTRA}]' (or pip install -e '.[{EXTRA}]' in a checkout)"
        )


def make_systems(
    names: Sequence[str], settings: Settings, embedder: Embedder | None = None
) -> dict[str, System]:
    """The named systems, with models and tables loaded now so that timing leaves them out."""
    require_extra(names)
    systems: dict[str, System] = {}
    for name in names:
        if name in ("newsweave", "brief"):
            if embedder is None:
                from newsweave.text.embed import make_embedder

                embedder = make_embedder(settings.embedder)
            systems[name] = newsweave_system(settings, embedder, as_user=name == "brief")
        elif name in BASELINES:
            systems[name] = BASELINES[name]
        else:
            parse_system_names(name)  # raises with the list of known names
    # Warm-ups: pysbd's rules, sumy's stemmer and stop words, rouge-score's stemmer.
    split_sentences("Warm up. Once.")
    if set(names) & set(SUMY_SYSTEMS):
        _sumy_parts()
    _rouge_tokenizer()
    return systems


# Data sets


def dataset_clusters(
    *,
    multinews: Path | None = None,
    allsides: Path | None = None,
    split: str = "val",
    jsonl: Path | None = None,
) -> Iterator[Cluster]:
    """The clusters of exactly one data set; a missing file is an InputError naming it now."""
    given = [x for x in (multinews, allsides, jsonl) if x is not None]
    if len(given) != 1:
        raise ConfigError("give exactly one data set: multinews, allsides or jsonl")
    if allsides is not None:
        source, target = allsides / f"{split}.source", allsides / f"{split}.target"
        paths = [source, target]
    else:
        paths = given
    for path in paths:
        if not path.is_file():
            raise InputError(str(path), "data file not found")
    if multinews is not None:
        return read_multinews(multinews)
    if allsides is not None:
        return read_allsides(source, target)
    return read_jsonl_clusters(given[0])


# Scoring


@dataclass(frozen=True)
class Row:
    """One system's summary of one cluster, scored."""

    id: str
    system: str
    r1: float
    r2: float
    rl: float
    seconds: float
    words: int
    budget: int
    error: str | None = None


@dataclass(frozen=True)
class Interval:
    """A mean and its bootstrap confidence interval."""

    mean: float
    lo: float
    hi: float


@dataclass(frozen=True)
class SystemSummary:
    """One system over every cluster: mean scores with intervals, time, length and failures."""

    system: str
    clusters: int
    r1: Interval
    r2: Interval
    rl: Interval
    seconds: float  # mean per cluster
    words: float  # mean per cluster
    failures: int


@dataclass(frozen=True)
class EvalResult:
    """Every row and the per-system summary of one evaluation run."""

    rows: tuple[Row, ...]
    summary: tuple[SystemSummary, ...]
    clusters: int
    budget_words: int | None  # None: each cluster's reference length
    reference_words: float  # mean reference length in words
    skipped: tuple[str, ...] = ()  # ids of clusters without a reference
    resamples: int = RESAMPLES
    seed: int = SEED


@lru_cache(maxsize=1)
def _scorer() -> Any:
    """rouge-score's scorer for R-1, R-2 and R-L with the Porter stemmer."""
    import logging

    from rouge_score import rouge_scorer

    # rouge-score logs "Using default tokenizer." at INFO through absl on every construction.
    absl_logger = logging.getLogger("absl")
    level = absl_logger.level
    absl_logger.setLevel(logging.WARNING)
    try:
        return rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    finally:
        absl_logger.setLevel(level)


def rouge(reference: str, summary: str) -> tuple[float, float, float]:
    """ROUGE-1, -2 and -L F1 x 100 of a summary against a reference."""
    scores = _scorer().score(reference, summary)
    return tuple(100.0 * scores[k].fmeasure for k in ("rouge1", "rouge2", "rougeL"))  # type: ignore[return-value]


def bootstrap(values: Sequence[float], resamples: int = RESAMPLES, seed: int = SEED) -> Interval:
    """The mean and its 95% percentile bootstrap interval (clusters resampled with replacement).

    The same seed gives every system the same resamples, so intervals are comparable.
    """
    import numpy as np

    if not values:
        raise ValueError("no values to bootstrap")
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(resamples, len(data)))].mean(axis=1)
    tail = 100 * (1 - CONFIDENCE) / 2
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return Interval(float(data.mean()), float(lo), float(hi))


def run_system(system: System, cluster: Cluster, budget: int) -> tuple[str, float, str | None]:
    """The system's text cut to the budget, seconds taken, and the error if it failed."""
    start = time.perf_counter()
    try:
        text = system(cluster, budget)
        error = None
    except Exception as exc:  # one failing cluster must not end a long run; it scores 0
        text, error = "", f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    return cut(text, budget), seconds, error


def evaluate(
    clusters: Iterable[Cluster],
    systems: Mapping[str, System],
    budget_words: int | None = None,
    limit: int | None = None,
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    progress: Callable[[int], None] | None = None,
) -> EvalResult:
    """Run every system on every cluster (the first `limit`) under one budget, and score them.

    The budget is `budget_words`, or else each cluster's reference length. A cluster without
    a reference is skipped; a system that raises on a cluster scores 0 there (see Row.error).
    """
    if not systems:
        raise ConfigError("no systems to evaluate")
    if budget_words is not None and budget_words < 1:
        raise ConfigError("the word budget must be at least 1")
    require_extra(systems)
    rows: list[Row] = []
    skipped: list[str] = []
    reference_words: list[int] = []
    for cluster in itertools.islice(clusters, limit):
        n_reference = word_count(cluster.reference)
        if n_reference == 0:
            skipped.append(cluster.id)
            continue
        reference_words.append(n_reference)
        budget = budget_words or n_reference
        for name, system in systems.items():
            text, seconds, error = run_system(system, cluster, budget)
            r1, r2, rl = rouge(cluster.reference, text)
            rows.append(Row(cluster.id, name, r1, r2, rl, seconds, word_count(text), budget, error))
        if progress is not None:
            progress(len(reference_words))
    if not reference_words:
        raise InputError("clusters", "no cluster with a reference summary to evaluate")
    summary = tuple(_summarise(name, rows, resamples, seed) for name in systems)
    return EvalResult(
        rows=tuple(rows),
        summary=summary,
        clusters=len(reference_words),
        budget_words=budget_words,
        reference_words=statistics.fmean(reference_words),
        skipped=tuple(skipped),
        resamples=resamples,
        seed=seed,
    )


def _summarise(name: str, rows: Sequence[Row], resamples: int, seed: int) -> SystemSummary:
    """One system's summary from its rows (rows come in cluster order for every system)."""
    mine = [r for r in rows if r.system == name]
    return SystemSummary(
        system=name,
        clusters=len(mine),
        r1=bootstrap([r.r1 for r in mine], resamples, seed),
        r2=bootstrap([r.r2 for r in mine], resamples, seed),
        rl=bootstrap([r.rl for r in mine], resamples, seed),
        seconds=statistics.fmean(r.seconds for r in mine),
        words=statistics.fmean(r.words for r in mine),
        failures=sum(1 for r in mine if r.error is not None),
    )


# Output


def _cell(interval: Interval) -> str:
    return f"{interval.mean:.2f} [{interval.lo:.2f}, {interval.hi:.2f}]"


def format_table(result: EvalResult) -> str:
    """One plain-text table, a system per row: R-1, R-2, R-L as mean [lo, hi], s/cluster."""
    header = ("system", "R-1", "R-2", "R-L", "s/cluster")
    body = [
        (s.system, _cell(s.r1), _cell(s.r2), _cell(s.rl), f"{s.seconds:.3f}")
        for s in result.summary
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    budget = (
        f"{result.budget_words} words"
        if result.budget_words is not None
        else "each cluster's reference length"
    )
    notes = [
        f"{result.clusters} clusters; budget: {budget}; "
        f"mean reference length {result.reference_words:.1f} words",
        f"ROUGE F1 x100 (rouge-score, Porter stemmer), mean [95% bootstrap interval, "
        f"{result.resamples:,} resamples of clusters]",
        "s/cluster: mean wall time of one system call; newsweave's includes embedding "
        "(model loaded once before timing)",
    ]
    notes.append(
        "mean words per summary: " + ", ".join(f"{s.system} {s.words:.1f}" for s in result.summary)
    )
    failures = [f"{s.system} {s.failures}" for s in result.summary if s.failures]
    if failures:
        notes.append("failed clusters (scored 0): " + ", ".join(failures))
    if result.skipped:
        notes.append(f"skipped without a reference: {len(result.skipped)} clusters")
    table = [line(header), line(["-" * w for w in widths]), *(line(r) for r in body)]
    return "\n".join([*table, "", *notes])


def result_to_json(result: EvalResult) -> dict[str, object]:
    """The run as JSON-ready data: settings, per-system summary and per-cluster rows."""
    return {
        "schema": SCHEMA,
        "clusters": result.clusters,
        "budget_words": result.budget_words,
        "reference_words_mean": result.reference_words,
        "bootstrap": {"resamples": result.resamples, "seed": result.seed, "level": CONFIDENCE},
        "skipped": list(result.skipped),
        "summary": [asdict(s) for s in result.summary],
        "rows": [asdict(r) for r in result.rows],
    }


__all__ = [
    "BASELINES",
    "SYSTEM_NAMES",
    "EvalResult",
    "Interval",
    "Row",
    "System",
    "SystemSummary",
    "bootstrap",
    "cut",
    "dataset_clusters",
    "evaluate",
    "fill",
    "format_table",
    "lead",
    "lexrank",
    "lsa",
    "make_systems",
    "newsweave_system",
    "oracle",
    "parse_system_names",
    "require_extra",
    "result_to_json",
    "rouge",
    "textrank",
    "word_count",
]
