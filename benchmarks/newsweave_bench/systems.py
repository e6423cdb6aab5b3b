"""The summarisers ROUGE scores side by side: newsweave and its extractive peers.

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
rouge-score and sumy come with the ``eval`` extra and are imported on first use.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from newsweave.config import Settings
from newsweave.errors import ConfigError
from newsweave.text.embed import Embedder
from newsweave.text.sentences import split_sentences
from newsweave_bench.datasets import Cluster, cluster_reports

System = Callable[[Cluster, int], str]

SYSTEM_NAMES = ("newsweave", "brief", "lead", "lexrank", "textrank", "lsa", "oracle")
SUMY_SYSTEMS = ("lexrank", "textrank", "lsa")
EXTRA = "eval"
EXTRA_PACKAGES = {"rouge_score": "rouge-score", "sumy": "sumy"}
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
    from newsweave.text.notation import CITATION_GROUP

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


__all__ = [
    "BASELINES",
    "SYSTEM_NAMES",
    "System",
    "cut",
    "fill",
    "lead",
    "lexrank",
    "lsa",
    "make_systems",
    "newsweave_system",
    "oracle",
    "parse_system_names",
    "require_extra",
    "textrank",
    "word_count",
]
