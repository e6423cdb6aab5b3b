"""Disagreement detection on labelled clusters (conflicts-dev): stated where labelled, else quiet.

The labels (``conflicts-dev/labels.json``, see its README) name factual conflicts between the
documents of a cluster, each with two or more values and the documents holding each value, and
clusters whose documents agree. Every labelled cluster is read as the product reads it
(``cluster_reports``: report i is document i, "Article i+1", undated) and briefed through
``make_brief`` with default settings and one embedder for the run; ``brief.conflicts`` is scored.

- A reported conflict is **stated** when its strength is "hard" (running figures included);
  soft ones are data only.
- A labelled value **appears** on a side (a ConflictValue) when the side holds one of the
  value's documents and the side's value matches the labelled value (``values_match``).
- A labelled conflict is **found** when two of its values appear in one reported conflict, on
  different sides. Hard recall counts stated conflicts only; soft recall (and the "hard, any"
  column) counts conflicts of any strength.
- A **false alarm** is an agree-only cluster whose brief states any conflict.

Clusters (dataset and cluster id) are split by a hash into a tune half and a held-out half; a
cluster's conflicts and its agree-only status go to the same half. The data is read in place
(../shared/data) and never copied.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from newsweave.records import Conflict, Report
from newsweave_bench.conflict_labels import (
    DATASETS,
    SLOTS,
    ClusterKey,
    LabelledConflict,
    Labels,
    LoadedCluster,
    is_found,
    is_stated,
    part_of,
    quote_misses,
)
from newsweave_bench.tables import text_table

SCHEMA = "newsweave.eval-conflicts/1"
PARTS = ("tune", "held-out")
EVIDENCE_CHARS = 160

BriefFn = Callable[[Sequence[Report]], Sequence[Conflict]]


@dataclass(frozen=True)
class ClusterOutcome:
    """One labelled cluster: what its brief reported and how the labels fared."""

    dataset: str
    cluster: int
    part: str
    labels: tuple[LabelledConflict, ...]  # empty for an agree-only cluster
    conflicts: tuple[Conflict, ...]
    doc_reports: tuple[str | None, ...]
    found_stated: tuple[bool, ...]
    found_any: tuple[bool, ...]
    seconds: float
    error: str | None = None
    note: str = ""  # the agree-only note

    @property
    def agree_only(self) -> bool:
        """Whether the labels say the cluster's documents agree."""
        return not self.labels

    @property
    def stated(self) -> int:
        """How many conflicts the brief states."""
        return sum(1 for c in self.conflicts if is_stated(c))

    @property
    def false_alarm(self) -> bool:
        """An agree-only cluster whose brief states a conflict."""
        return self.agree_only and self.error is None and self.stated > 0


def score_cluster(
    key: ClusterKey,
    labels: Sequence[LabelledConflict],
    conflicts: Sequence[Conflict],
    doc_reports: Sequence[str | None],
    *,
    seconds: float = 0.0,
    error: str | None = None,
    note: str = "",
) -> ClusterOutcome:
    """Score one cluster's reported conflicts against its labels (none: agree-only)."""
    return ClusterOutcome(
        dataset=key[0],
        cluster=key[1],
        part=part_of(key),
        labels=tuple(labels),
        conflicts=tuple(conflicts),
        doc_reports=tuple(doc_reports),
        found_stated=tuple(is_found(lb, conflicts, doc_reports, stated_only=True) for lb in labels),
        found_any=tuple(is_found(lb, conflicts, doc_reports, stated_only=False) for lb in labels),
        seconds=seconds,
        error=error,
        note=note,
    )


@dataclass(frozen=True)
class Row:
    """Counts for one group of labels and clusters."""

    name: str
    hard: int
    hard_found: int  # in stated conflicts
    hard_any: int  # in conflicts of any strength
    soft: int
    soft_found: int  # in conflicts of any strength
    agree: int  # agree-only clusters briefed
    alarms: int  # of which the brief stated a conflict

    @property
    def hard_recall(self) -> float | None:
        """Hard labels found in stated conflicts, as a share."""
        return self.hard_found / self.hard if self.hard else None

    @property
    def soft_recall(self) -> float | None:
        """Soft labels found in conflicts of any strength, as a share."""
        return self.soft_found / self.soft if self.soft else None

    @property
    def false_alarm_rate(self) -> float | None:
        """Share of agree-only clusters whose brief stated a conflict."""
        return self.alarms / self.agree if self.agree else None


def _row(name: str, outcomes: Iterable[ClusterOutcome], slot: str | None = None) -> Row:
    """The counts of these clusters (labels of one slot only when slot is given)."""
    hard = [0, 0, 0]
    soft = [0, 0]
    agree = alarms = 0
    for o in outcomes:
        if o.agree_only and o.error is None and slot is None:
            agree += 1
            alarms += o.false_alarm
        for label, stated, anywhere in zip(o.labels, o.found_stated, o.found_any, strict=True):
            if slot is not None and label.slot != slot:
                continue
            if label.strength == "hard":
                hard[0] += 1
                hard[1] += stated
                hard[2] += anywhere
            else:
                soft[0] += 1
                soft[1] += anywhere
    return Row(name, hard[0], hard[1], hard[2], soft[0], soft[1], agree, alarms)


@dataclass(frozen=True)
class PartSummary:
    """One part's table: overall, per slot and per dataset, with time and failures."""

    part: str
    clusters: int
    conflict_clusters: int
    rows: tuple[Row, ...]
    stated_per_cluster: float
    seconds_per_cluster: float
    failures: int


def summarise(part: str, outcomes: Sequence[ClusterOutcome]) -> PartSummary:
    """The table of one part ("all": every outcome given)."""
    mine = [o for o in outcomes if part == "all" or o.part == part]
    briefed = [o for o in mine if o.error is None]
    rows = [_row("all", mine)]
    rows += [_row(f"slot {s}", mine, s) for s in SLOTS]
    rows += [_row(f"dataset {d}", [o for o in mine if o.dataset == d]) for d in DATASETS]
    return PartSummary(
        part=part,
        clusters=len(mine),
        conflict_clusters=sum(1 for o in mine if not o.agree_only),
        rows=tuple(rows),
        stated_per_cluster=sum(o.stated for o in briefed) / len(briefed) if briefed else 0.0,
        seconds_per_cluster=sum(o.seconds for o in mine) / len(mine) if mine else 0.0,
        failures=len(mine) - len(briefed),
    )


@dataclass(frozen=True)
class ConflictsResult:
    """Every cluster's outcome, the tables of the parts asked for, and the mapping check."""

    part: str
    outcomes: tuple[ClusterOutcome, ...]
    summaries: tuple[PartSummary, ...]
    quotes: int
    quote_misses: int
    seconds: float


def select_clusters(
    labels: Labels, part: str = "all", limit: int | None = None
) -> list[ClusterKey]:
    """The clusters to run: those of the part, in a fixed hash order (datasets and agree-only
    clusters mixed, so a --limit sample has some of each), the first `limit`."""
    keys = [k for k in labels.clusters() if part == "all" or part_of(k) == part]
    keys.sort(key=lambda k: hashlib.sha256(f"order:{k[0]}:{k[1]}".encode()).hexdigest())
    return keys[:limit] if limit is not None else keys


def run(
    labels: Labels,
    loaded: Mapping[ClusterKey, LoadedCluster],
    brief: BriefFn,
    *,
    part: str = "all",
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> ConflictsResult:
    """Brief every selected cluster, score it, and make the tables of the part(s)."""
    start = time.perf_counter()
    keys = select_clusters(labels, part, limit)
    by_cluster: dict[ClusterKey, list[LabelledConflict]] = {}
    for label in labels.conflicts:
        by_cluster.setdefault(label.key, []).append(label)
    outcomes = []
    for n, key in enumerate(keys, start=1):
        mine = by_cluster.get(key, [])
        note = labels.agree.get(key, "")
        cluster = loaded.get(key)
        if cluster is None:
            error = f"cluster {key[1]} not in the {key[0]} data"
            outcomes.append(score_cluster(key, mine, (), (), error=error, note=note))
        else:
            began = time.perf_counter()
            try:
                conflicts, error = tuple(brief(cluster.reports)), None
            except Exception as exc:  # one failing cluster must not end the run
                conflicts, error = (), f"{type(exc).__name__}: {exc}"
            seconds = time.perf_counter() - began
            outcomes.append(
                score_cluster(
                    key,
                    mine,
                    conflicts,
                    cluster.doc_reports,
                    seconds=seconds,
                    error=error,
                    note=note,
                )
            )
        if progress is not None:
            if outcomes[-1].error:
                progress(f"failed: {key[0]} {key[1]}: {outcomes[-1].error}")
            if n % 10 == 0 or n == len(keys):
                progress(f"{n}/{len(keys)} clusters done")
    parts = (*PARTS, "all") if part == "all" else (part,)
    quotes, misses = quote_misses(
        Labels(tuple(c for c in labels.conflicts if c.key in set(keys)), {}), loaded
    )
    return ConflictsResult(
        part=part,
        outcomes=tuple(outcomes),
        summaries=tuple(summarise(p, outcomes) for p in parts),
        quotes=quotes,
        quote_misses=misses,
        seconds=time.perf_counter() - start,
    )


def product_brief(settings: Any, embedder: Any) -> BriefFn:
    """The product path: make_brief with these settings and embedder; its conflicts."""
    from newsweave.pipeline.briefing import make_brief

    def brief(reports: Sequence[Report]) -> Sequence[Conflict]:
        return make_brief(reports, settings, embedder).conflicts

    return brief


# Output ------------------------------------------------------------------------------------


def _share(found: int, total: int) -> str:
    return f"{found}/{total} {100 * found / total:5.1f}%" if total else "-"


def format_summary(summary: PartSummary) -> str:
    """One part's table: hard recall, hard in any strength, soft recall, false alarms."""
    agree = summary.clusters - summary.conflict_clusters
    title = (
        f"{summary.part}: {summary.clusters} clusters ({summary.conflict_clusters} with "
        f"labelled conflicts, {agree} agree-only)"
    )
    body = [
        (
            r.name,
            _share(r.hard_found, r.hard),
            _share(r.hard_any, r.hard),
            _share(r.soft_found, r.soft),
            _share(r.alarms, r.agree) if not r.name.startswith("slot") else "",
        )
        for r in summary.rows
    ]
    header = ("", "hard recall", "hard, any strength", "soft recall", "false alarms")
    lines = [
        title,
        *text_table(header, body),
        f"stated conflicts per cluster: {summary.stated_per_cluster:.2f}; "
        f"seconds per cluster: {summary.seconds_per_cluster:.2f}; "
        f"failed clusters: {summary.failures}",
    ]
    return "\n".join(lines)


def format_result(result: ConflictsResult) -> str:
    """Every part's table and what the columns mean."""
    blocks = [format_summary(s) for s in result.summaries]
    notes = [
        "hard recall: hard labels found in a stated (hard) conflict; hard, any strength: found "
        "in a conflict of any strength; soft recall: soft labels found in a conflict of any "
        "strength; false alarms: agree-only clusters whose brief states a conflict.",
        "found: two labelled values appear on different sides of one reported conflict (a side "
        "holds one of the value's documents and its value matches).",
        f"parts: clusters split by sha256('dataset:cluster') mod 2 (even: tune). "
        f"Mapping check: {result.quote_misses} of {result.quotes} quotes not in their report. "
        f"Total time {result.seconds:.0f} s.",
    ]
    return "\n\n".join([*blocks, "\n".join(notes)])


def _docs(report_ids: Iterable[str], doc_reports: Sequence[str | None]) -> str:
    """The label document indices of some reports, e.g. "docs 0,2"."""
    docs = [str(doc_reports.index(r)) if r in doc_reports else r for r in report_ids]
    return "docs " + ",".join(docs)


def _describe_conflicts(outcome: ClusterOutcome) -> list[str]:
    """The reported conflicts of a cluster, one block each, for reading."""
    if outcome.error:
        return [f"    failed: {outcome.error}"]
    if not outcome.conflicts:
        return ["    reported: no conflicts"]
    lines = []
    for c in outcome.conflicts:
        running = ", running" if c.running else ""
        lines.append(f"    reported [{c.strength}{running}] {c.kind}: {c.about}")
        for side in c.values:
            cites = ",".join(str(n) for n in side.citations)
            lines.append(
                f"      {side.value!r}  {_docs(side.report_ids, outcome.doc_reports)}"
                f" [cites {cites}]"
            )
            if side.evidence:
                evidence = " ".join(side.evidence[0].split())
                if len(evidence) > EVIDENCE_CHARS:
                    evidence = evidence[: EVIDENCE_CHARS - 1] + "…"
                lines.append(f"        “{evidence}”")
    return lines


def format_show(result: ConflictsResult) -> str:
    """Every labelled conflict not found and every false alarm, with what the brief reported."""
    lines: list[str] = []
    for o in result.outcomes:
        head = f"{o.dataset} {o.cluster} ({o.part})"
        for label, stated, anywhere in zip(o.labels, o.found_stated, o.found_any, strict=True):
            found = stated if label.strength == "hard" else anywhere
            if found:
                continue
            extra = " (found only in a soft conflict)" if anywhere else ""
            lines.append(f"MISSED {label.strength} {label.slot}: {head}{extra}: {label.fact}")
            for v in label.values:
                lines.append(f"    label {v.value!r}  docs {','.join(map(str, v.docs))}")
            lines += _describe_conflicts(o)
        if o.false_alarm:
            lines.append(f"FALSE ALARM: {head}: agree-only ({o.note[:EVIDENCE_CHARS]})")
            lines += _describe_conflicts(o)
    return "\n".join(lines) if lines else "nothing missed and no false alarms"


def result_to_json(result: ConflictsResult) -> dict[str, object]:
    """The run as JSON-ready data: the tables and every cluster's details."""

    def row(r: Row) -> dict[str, object]:
        return {
            **asdict(r),
            "hard_recall": r.hard_recall,
            "soft_recall": r.soft_recall,
            "false_alarm_rate": r.false_alarm_rate,
        }

    return {
        "schema": SCHEMA,
        "part": result.part,
        "quotes": result.quotes,
        "quote_misses": result.quote_misses,
        "seconds": result.seconds,
        "summaries": [
            {
                **{k: v for k, v in asdict(s).items() if k != "rows"},
                "rows": [row(r) for r in s.rows],
            }
            for s in result.summaries
        ],
        "clusters": [
            {
                "dataset": o.dataset,
                "cluster": o.cluster,
                "part": o.part,
                "agree_only": o.agree_only,
                "note": o.note,
                "error": o.error,
                "seconds": o.seconds,
                "doc_reports": list(o.doc_reports),
                "stated": o.stated,
                "false_alarm": o.false_alarm,
                "labels": [
                    {**asdict(lb), "found_stated": s, "found_any": a}
                    for lb, s, a in zip(o.labels, o.found_stated, o.found_any, strict=True)
                ],
                "conflicts": [asdict(c) for c in o.conflicts],
            }
            for o in result.outcomes
        ],
    }
