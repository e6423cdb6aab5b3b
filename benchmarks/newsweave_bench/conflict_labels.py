"""The conflicts-dev labels: read, their clusters loaded as the product reads them, matched.

The labels (``conflicts-dev/labels.json``, see its README) name factual conflicts between the
documents of a cluster, each with two or more values and the documents holding each value, and
clusters whose documents agree. A labelled cluster is read as the product reads it
(``cluster_reports``: report i is document i, "Article i+1", undated). A labelled value
appears on a side of a reported conflict when the side holds one of the value's documents and
its value matches (``values_match``); a labelled conflict is found when two of its values
appear on different sides of one reported conflict (``finds``). Scoring is in ``conflicts``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from newsweave.errors import InputError
from newsweave.records import Conflict, Report
from newsweave_bench.datasets import (
    Cluster,
    cluster_reports,
    parse_allsides_source,
    read_multinews,
)

LABELS = Path("conflicts-dev") / "labels.json"
# dataset tag -> (reader, file under the data folder)
DATASETS: dict[str, tuple[str, Path]] = {
    "multinews-dev": ("multinews", Path("multinews-dev") / "sample_validation.csv"),
    "allsides-val": ("allsides", Path("allsides-neus-dev") / "val.source"),
    "allsides-train": ("allsides", Path("allsides-neus-dev") / "train.source"),
}
SLOTS = ("number", "date", "place", "person", "outcome")
STRENGTHS = ("hard", "soft")
_SEP = " [SEP] "

ClusterKey = tuple[str, int]


# Labels ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelValue:
    """One labelled value of a conflict and the documents (by index) that state it."""

    value: str
    docs: tuple[int, ...]
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelledConflict:
    """One labelled disagreement between the documents of one cluster."""

    dataset: str
    cluster: int
    slot: str
    fact: str
    strength: str
    values: tuple[LabelValue, ...]
    note: str = ""

    @property
    def key(self) -> ClusterKey:
        """The cluster this conflict belongs to."""
        return (self.dataset, self.cluster)


@dataclass(frozen=True)
class Labels:
    """The labelled conflicts and the agree-only clusters (with their notes)."""

    conflicts: tuple[LabelledConflict, ...]
    agree: dict[ClusterKey, str]

    def clusters(self) -> list[ClusterKey]:
        """Every labelled cluster once, conflict clusters first, in file order."""
        keys = [c.key for c in self.conflicts] + list(self.agree)
        return list(dict.fromkeys(keys))


def _label_value(raw: Any) -> LabelValue:
    """One value of a labelled conflict, checked."""
    value, docs, quotes = raw["value"], raw["docs"], raw.get("quotes", [])
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a value must be a non-empty string")
    if not isinstance(docs, list) or not docs or not all(type(d) is int and d >= 0 for d in docs):
        raise ValueError("'docs' must be a non-empty list of document indices")
    return LabelValue(value, tuple(docs), tuple(str(q) for q in quotes))


def parse_labels(data: Any, where: str = "labels") -> Labels:
    """Labels from the decoded JSON of a labels file; InputError naming the bad entry."""
    if not isinstance(data, dict):
        raise InputError(where, "expected a JSON object with 'conflicts' and 'no_conflict'")
    conflicts: list[LabelledConflict] = []
    agree: dict[ClusterKey, str] = {}
    for k, raw in enumerate(data.get("conflicts", [])):
        at = f"{where}: conflicts[{k}]"
        try:
            if raw["dataset"] not in DATASETS:
                raise ValueError(f"unknown dataset {raw['dataset']!r}")
            if raw["slot"] not in SLOTS or raw["strength"] not in STRENGTHS:
                raise ValueError(f"bad slot {raw['slot']!r} or strength {raw['strength']!r}")
            values = tuple(_label_value(v) for v in raw["values"])
            if len(values) < 2:
                raise ValueError("a conflict needs at least two values")
            conflicts.append(
                LabelledConflict(
                    raw["dataset"],
                    int(raw["cluster"]),
                    raw["slot"],
                    str(raw.get("fact", "")),
                    raw["strength"],
                    values,
                    str(raw.get("note", "")),
                )
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(at, f"bad labelled conflict ({error})") from None
    for k, raw in enumerate(data.get("no_conflict", [])):
        try:
            if raw["dataset"] not in DATASETS:
                raise ValueError(f"unknown dataset {raw['dataset']!r}")
            agree[(raw["dataset"], int(raw["cluster"]))] = str(raw.get("note", ""))
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(f"{where}: no_conflict[{k}]", f"bad entry ({error})") from None
    both = {c.key for c in conflicts} & agree.keys()
    if both:
        raise InputError(where, f"clusters both in conflict and agree-only: {sorted(both)}")
    return Labels(tuple(conflicts), agree)


def read_labels(path: Path) -> Labels:
    """The labels file at path."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(str(path), f"not readable as JSON ({error})") from None
    return parse_labels(data, str(path))


def part_of(key: ClusterKey) -> str:
    """The half a cluster belongs to: sha256 of "dataset:cluster", even -> tune."""
    digest = hashlib.sha256(f"{key[0]}:{key[1]}".encode()).digest()
    return "tune" if int.from_bytes(digest, "big") % 2 == 0 else "held-out"


# Clusters as the product reads them ---------------------------------------------------------


@dataclass(frozen=True)
class LoadedCluster:
    """A labelled cluster's reports, and for each label document index its report id (or None
    when the reader left the document out)."""

    reports: tuple[Report, ...]
    doc_reports: tuple[str | None, ...]


def multinews_cluster(key: ClusterKey, documents: Sequence[str]) -> LoadedCluster:
    """A Multi-News row's reports: document i is report i."""
    reports = cluster_reports(Cluster(str(key[1]), tuple(documents), ""), key[0])
    return LoadedCluster(tuple(reports), tuple(r.id for r in reports))


def allsides_cluster(key: ClusterKey, line: str, where: str = "") -> LoadedCluster:
    """An AllSides line's reports; segments the reader drops (empty leads) map to None."""
    titles, texts = parse_allsides_source(line, where)
    kept = [bool(parse_allsides_source(part, where)[1]) for part in line.split(_SEP)]
    if sum(kept) != len(texts):  # the reader's own split must agree with this mapping
        raise InputError(where, "document mapping does not match the reader's articles")
    reports = cluster_reports(Cluster(str(key[1]), texts, "", titles), key[0])
    ids = iter(r.id for r in reports)
    return LoadedCluster(tuple(reports), tuple(next(ids) if k else None for k in kept))


def missing_files(data: Path, datasets: Iterable[str]) -> list[Path]:
    """The data files of these datasets that are not there."""
    paths = [data / DATASETS[d][1] for d in dict.fromkeys(datasets)]
    return [p for p in paths if not p.is_file()]


def load_clusters(data: Path, keys: Iterable[ClusterKey]) -> dict[ClusterKey, LoadedCluster]:
    """The wanted clusters, read in place; a cluster id beyond its file is left out."""
    wanted: dict[str, set[int]] = {}
    for dataset, cluster in keys:
        wanted.setdefault(dataset, set()).add(cluster)
    loaded: dict[ClusterKey, LoadedCluster] = {}
    for dataset, ids in wanted.items():
        reader, relative = DATASETS[dataset]
        path = data / relative
        try:
            if reader == "multinews":
                # The product's reader: cluster id is the 0-based row, documents in order.
                for row in read_multinews(path):
                    if int(row.id) in ids:
                        key = (dataset, int(row.id))
                        loaded[key] = multinews_cluster(key, row.documents)
            else:
                with path.open(encoding="utf-8", newline="\n") as handle:
                    for index, line in enumerate(handle):
                        if index in ids:
                            key = (dataset, index)
                            where = f"{path}:{index + 1}"
                            loaded[key] = allsides_cluster(key, line.rstrip("\r\n"), where)
        except OSError as exc:
            raise InputError(str(path), f"cannot read: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise InputError(str(path), f"not valid UTF-8: {exc}") from exc
    return loaded


def quote_misses(labels: Labels, loaded: Mapping[ClusterKey, LoadedCluster]) -> tuple[int, int]:
    """How many quotes there are, and how many are not in the report their doc index maps to
    (a check that doc index i really is report i)."""

    def norm(text: str) -> str:
        return " ".join(text.split())

    total = misses = 0
    for conflict in labels.conflicts:
        cluster = loaded.get(conflict.key)
        if cluster is None:
            continue
        # AllSides titles lose their closing period in the reader; quotes may include it.
        texts = {r.id: norm(f"{r.title}. {r.text}") for r in cluster.reports}
        for value in conflict.values:
            for doc, quote in zip(value.docs, value.quotes, strict=False):
                total += 1
                rid = cluster.doc_reports[doc] if doc < len(cluster.doc_reports) else None
                misses += rid is None or norm(quote) not in texts[rid]
    return total, misses


# Matching values ----------------------------------------------------------------------------

_UNITS = {
    w: n
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {
    w: 10 * n
    for n, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)
}
_SCALES = {
    "dozen": 12,
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "mln": 1_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
    "trillion": 1_000_000_000_000,
}
_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[a-z]+")
_LETTERS = re.compile(r"[A-Za-z]+")
# Words that qualify a value rather than name it ("near", "late", "at least", "more than").
_QUALIFIERS = frozenset(
    "a an the and or of in on at to by for from as per with than about around approximately "
    "roughly nearly almost some over under more less fewer least most many much up early late "
    "near just only some total all".split()
)


def numbers(text: str) -> tuple[Decimal, ...]:
    """The numbers in a text in order: digits (with commas and decimals), number words
    (one..ninety, "twenty-eight", "a dozen"), scaled by a following million, billion, etc."""
    tokens = _TOKEN.findall(text.lower())
    found: list[Decimal] = []
    k = 0
    while k < len(tokens):
        token = tokens[k]
        value: Decimal | None = None
        if token[0].isdigit():
            value = Decimal(token.replace(",", ""))
        elif token in _TENS:
            value = Decimal(_TENS[token])
            if k + 1 < len(tokens) and 0 < _UNITS.get(tokens[k + 1], 0) < 10:
                k += 1
                value += _UNITS[tokens[k]]
        elif token in _UNITS:
            value = Decimal(_UNITS[token])
        elif token == "dozen":
            value = Decimal(12)  # "a dozen"; "two dozen" is scaled below
        if value is not None:
            while k + 1 < len(tokens) and tokens[k + 1] in _SCALES:
                k += 1
                value *= _SCALES[tokens[k]]
            found.append(value)
        k += 1
    return tuple(found)


def main_words(text: str) -> frozenset[str]:
    """The words that name a value, lower-cased: its capitalised words (names, weekdays,
    months) if it has any, else its words; qualifiers ("near", "late", "about") left out."""
    tokens = [t for t in _LETTERS.findall(text) if t.lower() not in _QUALIFIERS]
    capitalised = [t for t in tokens if t[0].isupper()]
    return frozenset(t.lower() for t in capitalised or tokens)


def values_match(label: str, side: str) -> bool:
    """Whether a reported value gives the labelled value.

    When both hold numbers: the label's first number is among the side's numbers, or the side's
    first number among the label's. Otherwise: the main words of one are all words of the other.
    """
    a, b = numbers(label), numbers(side)
    if a and b:
        return a[0] in b or b[0] in a
    words_a = frozenset(t.lower() for t in _LETTERS.findall(label))
    words_b = frozenset(t.lower() for t in _LETTERS.findall(side))
    main_a, main_b = main_words(label), main_words(side)
    return (bool(main_a) and main_a <= words_b) or (bool(main_b) and main_b <= words_a)


def is_stated(conflict: Conflict) -> bool:
    """Whether the brief states the conflict (hard, running figures included)."""
    return conflict.strength == "hard"


def sides_with(
    value: LabelValue, conflict: Conflict, doc_reports: Sequence[str | None]
) -> set[int]:
    """The sides of a reported conflict on which a labelled value appears."""
    ids = {doc_reports[d] for d in value.docs if d < len(doc_reports)} - {None}
    return {
        k
        for k, side in enumerate(conflict.values)
        if ids & set(side.report_ids) and values_match(value.value, side.value)
    }


def finds(label: LabelledConflict, conflict: Conflict, doc_reports: Sequence[str | None]) -> bool:
    """Whether two of the label's values appear in the reported conflict, on different sides."""
    sides = [sides_with(v, conflict, doc_reports) for v in label.values]
    return any(
        bool(sides[i]) and bool(sides[j]) and len(sides[i] | sides[j]) >= 2
        for i in range(len(sides))
        for j in range(i + 1, len(sides))
    )


def is_found(
    label: LabelledConflict,
    conflicts: Iterable[Conflict],
    doc_reports: Sequence[str | None],
    *,
    stated_only: bool,
) -> bool:
    """Whether one reported conflict (stated ones only, or any) finds the labelled conflict."""
    return any(finds(label, c, doc_reports) for c in conflicts if is_stated(c) or not stated_only)
