"""Does a brief read like news? Automatic checks of the brief a user gets, on real clusters.

Per data set: the share of reporting sentences (lede and body, disagreements left out) that
open on an attribution template ("According to a report by X published ...", "X also
reported that ..."), citations per reporting sentence, sentences and headlines that are page
furniture, reporting sentences that open leaning on an antecedent ("He said", "But", "That,
in turn,"), and how much the lede overlaps the reference's first sentence (ROUGE-1 F1), with
Lead's first sentence (the first article's opening) as the peer. Briefs are made with the
default settings, as `newsweave brief` makes them.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from newsweave.records import Brief
from newsweave.text.notation import CITATION_GROUP
from newsweave.text.sentences import is_dangling, is_furniture, split_sentences
from newsweave_bench.datasets import Cluster
from newsweave_bench.rouge import rouge
from newsweave_bench.tables import text_table

# The attribution templates earlier briefs opened single-source sentences with.
# ("According to police, ..." is the source's own attribution, not a template.)
TEMPLATE = re.compile(
    r"^(?:According to a report by [^,]{2,80}? published [^,]{3,40}, "
    r"|[A-Z][^,.]{1,60}? also reported that )"
)

BriefFn = Callable[[Cluster], Brief]


@dataclass
class ProseCounts:
    """What the checks found over the briefs of one data set."""

    name: str
    briefs: int = 0
    failures: int = 0
    sentences: int = 0  # reporting sentences: lede and body, disagreements left out
    templates: int = 0
    citations: int = 0
    furniture: int = 0  # sentences or headlines
    dangling: int = 0
    lede_r1: list[float] = field(default_factory=list)
    lead_r1: list[float] = field(default_factory=list)
    seconds: float = 0.0
    examples: dict[str, list[str]] = field(default_factory=dict)

    def note(self, flag: str, text: str, keep: int = 3) -> None:
        """Keep the first few flagged texts to show."""
        found = self.examples.setdefault(flag, [])
        if len(found) < keep:
            found.append(text)


def plain(text: str) -> str:
    """A sentence without its citation markers."""
    return re.sub(r"\s+([.,;:!?])", r"\1", " ".join(CITATION_GROUP.sub(" ", text).split()))


def first_sentence(text: str) -> str:
    """The first sentence of a text ("" for none)."""
    sentences = split_sentences(text)
    return sentences[0] if sentences else ""


def check_brief(brief: Brief, counts: ProseCounts) -> None:
    """Add one brief's sentences to the counts."""
    counts.briefs += 1
    if is_furniture(brief.headline):
        counts.furniture += 1
        counts.note("furniture", brief.headline)
    before = None  # the sentence just before, which may carry what this one leans on
    for sentence in (brief.lede, *brief.body):
        if sentence.role != "lede" and sentence.role != "body":
            before = None
            continue
        text = plain(sentence.text)
        counts.sentences += 1
        counts.citations += len(sentence.citations)
        if TEMPLATE.match(text):
            counts.templates += 1
            counts.note("template", text)
        if is_furniture(text):
            counts.furniture += 1
            counts.note("furniture", text)
        # Leaning on the sentence before is fine when that one comes from the same report.
        if is_dangling(text) and not (before and set(before.citations) & set(sentence.citations)):
            counts.dangling += 1
            counts.note("dangling", text)
        before = sentence


def run(name: str, clusters: Iterable[Cluster], brief: BriefFn) -> ProseCounts:
    """Brief every cluster and check it; a failing cluster is counted, not fatal."""
    counts = ProseCounts(name)
    started = time.perf_counter()
    for cluster in clusters:
        try:
            made = brief(cluster)
        except Exception:  # one failing cluster must not end the run
            counts.failures += 1
            continue
        check_brief(made, counts)
        reference = first_sentence(cluster.reference)
        if reference:
            counts.lede_r1.append(rouge(reference, plain(made.lede.text))[0])
            lead = first_sentence(cluster.documents[0]) if cluster.documents else ""
            counts.lead_r1.append(rouge(reference, lead)[0])
    counts.seconds = time.perf_counter() - started
    return counts


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}% ({part}/{whole})" if whole else "-"


def _mean(values: list[float]) -> str:
    return f"{statistics.fmean(values):.2f}" if values else "-"


def format_counts(results: Iterable[ProseCounts]) -> str:
    """The checks, one column per data set, and a few flagged examples."""
    results = list(results)
    rows = [
        ["briefs (failures)", *(f"{r.briefs} ({r.failures})" for r in results)],
        ["reporting sentences", *(str(r.sentences) for r in results)],
        ["open on an attribution template", *(_share(r.templates, r.sentences) for r in results)],
        [
            "citations per reporting sentence",
            *(f"{r.citations / r.sentences:.2f}" if r.sentences else "-" for r in results),
        ],
        ["furniture (sentences, headlines)", *(str(r.furniture) for r in results)],
        ["dangling openers", *(str(r.dangling) for r in results)],
        ["lede ROUGE-1 vs reference 1st sentence", *(_mean(r.lede_r1) for r in results)],
        ["Lead-1 ROUGE-1 (peer)", *(_mean(r.lead_r1) for r in results)],
        ["seconds per brief", *(f"{r.seconds / max(1, r.briefs):.3f}" for r in results)],
    ]
    lines = text_table(["check", *(r.name for r in results)], rows)
    for r in results:
        for flag, texts in r.examples.items():
            lines.append(f"\n{r.name}, {flag} (first {len(texts)}):")
            lines += [f"  - {t[:160]}" for t in texts]
    return "\n".join(lines)


__all__ = ["TEMPLATE", "ProseCounts", "check_brief", "format_counts", "run"]
