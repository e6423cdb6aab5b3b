"""Public benchmark sets read in their published formats (data stays outside the repository)."""

from __future__ import annotations

import ast
import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from newsweave.errors import InputError
from newsweave.ids import report_id
from newsweave.records import Report

TITLE_WORDS = 12


@dataclass(frozen=True)
class Cluster:
    """Articles about one event and a human-written reference summary."""

    id: str
    documents: tuple[str, ...]
    reference: str


def read_multinews(path: Path) -> Iterator[Cluster]:
    """The clusters of a Multi-News CSV (`documents` as a Python list literal, `summary`)."""
    csv.field_size_limit(sys.maxsize)  # articles are far longer than csv's default field limit
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for index, row in enumerate(csv.DictReader(handle)):
                try:
                    documents = ast.literal_eval(row["documents"])
                except (KeyError, ValueError, SyntaxError) as exc:
                    where = f"{path}:row {index}"
                    raise InputError(where, f"bad 'documents' field: {exc}") from exc
                yield Cluster(str(index), tuple(str(d) for d in documents), row.get("summary", ""))
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc}") from exc


def article_title(text: str) -> str:
    """An untitled article's first words: its first non-empty line, cut to TITLE_WORDS words.

    Multi-News articles usually open with their headline on a line of its own; stopping at
    the line break keeps the next line (often page furniture such as "Trending News:") out.
    """
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return " ".join(first_line.split()[:TITLE_WORDS])


def cluster_reports(cluster: Cluster, origin: str = "dataset") -> list[Report]:
    """One undated Report per article ("Article N"); ids unique even if an article repeats."""
    reports = []
    seen: set[str] = set()
    for n, text in enumerate(cluster.documents, start=1):
        rid = report_id("", text)
        if rid in seen:
            rid = f"{rid}-{n}"
        seen.add(rid)
        reports.append(
            Report(
                id=rid,
                outlet=f"Article {n}",
                title=article_title(text),
                text=text,
                origin=f"{origin}:{cluster.id}:{n}",
            )
        )
    return reports
