"""The writers measured on clusters with reference summaries: ROUGE, acceptance, time.

Each writer briefs every cluster through ``make_brief`` exactly as the product does (the
``newsweave`` system of newsweave_bench.systems: the reference's length as the word budget,
``fill``, text cut at the budget), beside extractive peers under the same budget. For the
model writer it also counts, over all briefs: sentences the model wrote, how many
verification accepted, what the rejected ones got wrong (by kind), and why briefs fell back.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from newsweave.config import Settings
from newsweave.errors import ConfigError
from newsweave.records import Brief
from newsweave.text.embed import Embedder
from newsweave_bench import rouge as ev
from newsweave_bench import systems as sy
from newsweave_bench.datasets import Cluster, cluster_reports

WRITER_NAMES = ("extractive", "llm")
PEER_NAMES = tuple(sy.BASELINES)


@dataclass
class WriterTally:
    """What one writer did over a run (filled in as its briefs are made)."""

    writer: str
    briefs: int = 0
    proposed: int = 0
    accepted: int = 0
    written: set[str] = field(default_factory=set)  # cluster ids whose brief the model wrote
    fallbacks: Counter[str] = field(default_factory=Counter)  # by reason code
    rejections: Counter[str] = field(default_factory=Counter)  # by kind

    def add(self, cluster_id: str, brief: Brief) -> None:
        """Count one brief."""
        self.briefs += 1
        run = brief.writer
        if run is None:
            return
        self.proposed += run.proposed
        self.accepted += run.accepted
        self.rejections.update(r.kind for r in run.rejections)
        if run.status == "written":
            self.written.add(cluster_id)
        else:
            self.fallbacks[(run.reason or "").split(":", 1)[0]] += 1

    @property
    def acceptance(self) -> float | None:
        """Share of the model's sentences that verification accepted."""
        return self.accepted / self.proposed if self.proposed else None


def writer_system(
    settings: Settings, embedder: Embedder | None, writer: str, tally: WriterTally
) -> sy.System:
    """A writer as a benchmark system: the product's make_brief, its text cut at the budget."""
    from newsweave.pipeline.briefing import make_brief
    from newsweave.text.notation import CITATION_GROUP

    def run(cluster: Cluster, budget: int) -> str:
        words = max(budget, sy.MIN_SETTINGS_WORDS)
        brief_settings = settings.with_(
            writer=writer, max_words=words, max_body_sentences=words, fill=True
        )
        brief = make_brief(cluster_reports(cluster, "eval"), brief_settings, embedder)
        tally.add(cluster.id, brief)
        text = " ".join(CITATION_GROUP.sub(" ", s.text) for s in brief.sentences)
        return sy.cut(text, budget)

    run.__name__ = writer
    return run


@dataclass(frozen=True)
class WriterResult:
    """A run: the ROUGE evaluation of writers and peers, and each writer's tally."""

    evaluation: ev.EvalResult
    tallies: tuple[WriterTally, ...]


def run(
    clusters: Iterable[Cluster],
    settings: Settings,
    writers: Sequence[str] = WRITER_NAMES,
    peers: Sequence[str] = ("lead", "lexrank"),
    *,
    embedder: Embedder | None = None,
    budget_words: int | None = None,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> WriterResult:
    """Brief every cluster with each writer and score them with the peers."""
    unknown = [w for w in writers if w not in WRITER_NAMES] + [
        p for p in peers if p not in PEER_NAMES
    ]
    if unknown or not writers:
        raise ConfigError(
            f"unknown writer or peer {', '.join(unknown) or '(no writer given)'}; writers: "
            f"{', '.join(WRITER_NAMES)}; peers: {', '.join(PEER_NAMES)}"
        )
    if "llm" in writers:
        settings.with_(writer="llm")  # a missing endpoint is named now, not once per cluster
    systems = sy.make_systems(list(peers), settings) if peers else {}
    if embedder is None:
        from newsweave.text.embed import make_embedder

        embedder = make_embedder(settings.embedder, settings.limits.embed_chars)
    tallies = tuple(WriterTally(w) for w in writers)
    ordered: dict[str, sy.System] = {
        t.writer: writer_system(settings, embedder, t.writer, t) for t in tallies
    }
    ordered.update(systems)
    result = ev.evaluate(clusters, ordered, budget_words, limit, progress=progress)
    return WriterResult(result, tallies)


def _mean(rows: Iterable[ev.Row], attribute: str) -> float:
    values = [getattr(r, attribute) for r in rows]
    return statistics.fmean(values) if values else 0.0


def format_writers(result: WriterResult) -> str:
    """The writers' table: acceptance, fallbacks, rejections by kind, seconds per brief."""
    rows = result.evaluation.rows
    header = ("writer", "briefs", "written", "model sent.", "accepted", "share", "s/brief")
    body = []
    for t in result.tallies:
        mine = [r for r in rows if r.system == t.writer]
        model = t.writer != "extractive"
        body.append(
            (
                t.writer,
                str(t.briefs),
                str(len(t.written)) if model else "-",
                str(t.proposed) if model else "-",
                str(t.accepted) if model else "-",
                f"{t.acceptance:.0%}" if t.acceptance is not None else "-",
                f"{_mean(mine, 'seconds'):.2f}",
            )
        )
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        rest = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in rest]
        return "  ".join(cells).rstrip()

    out = [line(header), line(["-" * w for w in widths]), *(line(r) for r in body), ""]
    for t in result.tallies:
        if t.writer == "extractive":
            continue
        kinds = ", ".join(f"{k} {n}" for k, n in t.rejections.most_common()) or "none"
        falls = ", ".join(f"{k} {n}" for k, n in t.fallbacks.most_common()) or "none"
        out.append(f"{t.writer}: rejected sentences by kind: {kinds}")
        out.append(f"{t.writer}: briefs that fell back to extractive, by reason: {falls}")
        out.extend(_on_written(result, t))
    out.append(
        "written: briefs showing the model's sentences; share: model sentences accepted by "
        "verification; s/brief: wall time per brief, model included (embedder loaded once)"
    )
    return "\n".join(out)


def _on_written(result: WriterResult, tally: WriterTally) -> list[str]:
    """ROUGE of the model's briefs against the extractive ones on the clusters it wrote."""
    rows = result.evaluation.rows
    if not tally.written or not any(r.system == "extractive" for r in rows):
        return []
    pick = [r for r in rows if r.id in tally.written]
    mine = [r for r in pick if r.system == tally.writer]
    base = [r for r in pick if r.system == "extractive"]
    return [
        f"{tally.writer}: on the {len(tally.written)} clusters whose brief the model wrote: "
        f"R-1 {_mean(mine, 'r1'):.2f} vs extractive {_mean(base, 'r1'):.2f}, "
        f"R-2 {_mean(mine, 'r2'):.2f} vs {_mean(base, 'r2'):.2f}, "
        f"words {_mean(mine, 'words'):.0f} vs {_mean(base, 'words'):.0f}"
    ]


def result_to_json(result: WriterResult) -> dict[str, object]:
    """The run as JSON-ready data: the ROUGE evaluation and each writer's tally."""
    return {
        "evaluation": ev.result_to_json(result.evaluation),
        "writers": [
            {
                "writer": t.writer,
                "briefs": t.briefs,
                "written": sorted(t.written),
                "proposed": t.proposed,
                "accepted": t.accepted,
                "acceptance": t.acceptance,
                "fallbacks": dict(t.fallbacks),
                "rejections": dict(t.rejections),
            }
            for t in result.tallies
        ],
    }


__all__ = [
    "PEER_NAMES",
    "WRITER_NAMES",
    "WriterResult",
    "WriterTally",
    "format_writers",
    "result_to_json",
    "run",
    "writer_system",
]
