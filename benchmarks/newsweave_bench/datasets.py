"""Public benchmark sets read in their published formats (data stays outside the repository)."""

from __future__ import annotations

import ast
import csv
import itertools
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsweave.errors import InputError
from newsweave.ids import report_id
from newsweave.records import Report

TITLE_WORDS = 12
STANCES = ("agree", "disagree", "discuss", "unrelated")


@dataclass(frozen=True)
class Cluster:
    """Articles about one event and a human-written reference summary."""

    id: str
    documents: tuple[str, ...]
    reference: str
    titles: tuple[str, ...] = ()  # the articles' headlines when the set has them, else ()


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


# AllSides NeuS markers: each article is "TITLE=> <headline>. ARTICLE=> <lead>".
_SEP = " [SEP] "
_ALLSIDES_ARTICLE = re.compile(r"^\s*TITLE=>(?P<title>.*?)ARTICLE=>(?P<text>.*)$", re.DOTALL)
_MARKER = re.compile(r"\s*(?:TITLE|ARTICLE)=>\s*")


def _headline(raw: str) -> str:
    """A NeuS headline without the period the format appends ("Title." -> "Title")."""
    title = " ".join(raw.split())
    return title[:-1].rstrip() if title.endswith(".") else title


def _as_sentence(headline: str) -> str:
    """A headline ending like a sentence, so it reads (and splits) as one."""
    return headline if not headline or headline[-1] in ".!?\"”'’" else headline + "."


def parse_allsides_source(line: str, where: str = "") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Titles and lead texts of one `*.source` line; articles with an empty lead are left out."""
    titles: list[str] = []
    texts: list[str] = []
    for part in line.split(_SEP):
        match = _ALLSIDES_ARTICLE.match(part)
        if match is None:
            raise InputError(where, "article without 'TITLE=> ... ARTICLE=> ...' markers")
        text = " ".join(match.group("text").split())
        # A few stories carry an article with a headline but no lead: nothing to summarise.
        if text:
            titles.append(_headline(match.group("title")))
            texts.append(text)
    return tuple(titles), tuple(texts)


def parse_allsides_target(line: str) -> str:
    """The reference of one `*.target` line: its title as a sentence, then its article text.

    The editors' roundup has a headline and a text; the headline is kept (as the opening
    sentence) because it is part of what the editors wrote, and the markers are removed.
    """
    match = _ALLSIDES_ARTICLE.match(line)
    if match is None:
        return " ".join(_MARKER.sub(" ", line).split())
    title = _as_sentence(_headline(match.group("title")))
    return " ".join(f"{title} {match.group('text')}".split())


def read_allsides(source: Path, target: Path) -> Iterator[Cluster]:
    """The stories of an AllSides NeuS split; the id is the 1-based line number."""
    try:
        with (
            source.open(encoding="utf-8", newline="\n") as sources,
            target.open(encoding="utf-8", newline="\n") as targets,
        ):
            pairs = itertools.zip_longest(sources, targets)
            for lineno, (src, tgt) in enumerate(pairs, start=1):
                src, tgt = (src or "").rstrip("\r\n"), (tgt or "").rstrip("\r\n")
                if not src.strip() and not tgt.strip():
                    continue
                # Source and target pair by line number: a story on one side only means the
                # files are out of step (or one is cut short), so every pairing after is off.
                if not src.strip() or not tgt.strip():
                    other = target if src.strip() else source
                    raise InputError(
                        f"{other}:{lineno}", "no story on this line; the other file has one"
                    )
                titles, texts = parse_allsides_source(src, f"{source}:{lineno}")
                if not texts:
                    raise InputError(f"{source}:{lineno}", "no article with text")
                yield Cluster(str(lineno), texts, parse_allsides_target(tgt), titles)
    except OSError as exc:
        raise InputError(str(exc.filename or source), f"cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{source} or {target}", f"not valid UTF-8: {exc}") from exc


def read_jsonl_clusters(path: Path) -> Iterator[Cluster]:
    """Clusters from JSON lines `{"id", "documents": [...], "reference"}`; blank lines skipped.

    `id` is optional and defaults to the 1-based line number.
    """
    try:
        with path.open(encoding="utf-8") as handle:
            for lineno, line in enumerate(handle, start=1):
                if line.strip():
                    yield _jsonl_cluster(line, f"{path}:{lineno}", str(lineno))
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not valid UTF-8: {exc}") from exc


def _jsonl_cluster(line: str, where: str, default_id: str) -> Cluster:
    """One JSONL cluster, or an InputError naming path:line and what is wrong."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(where, f"invalid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise InputError(where, "not a JSON object")
    documents = data.get("documents")
    if (
        not isinstance(documents, list)
        or not documents
        or not all(isinstance(d, str) for d in documents)
    ):
        raise InputError(where, "'documents' must be a non-empty list of strings")
    reference = data.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        raise InputError(where, "'reference' must be a non-empty string")
    cluster_id = data.get("id", default_id)
    if not isinstance(cluster_id, str | int) or isinstance(cluster_id, bool):
        raise InputError(where, "'id' must be a string or an integer")
    return Cluster(str(cluster_id), tuple(documents), reference)


def article_title(text: str) -> str:
    """An untitled article's first words: its first non-empty line, cut to TITLE_WORDS words.

    Multi-News articles usually open with their headline on a line of its own; stopping at
    the line break keeps the next line (often page furniture such as "Trending News:") out.
    """
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return " ".join(first_line.split()[:TITLE_WORDS])


def cluster_reports(cluster: Cluster, origin: str = "dataset") -> list[Report]:
    """One undated Report per article ("Article N"); ids unique even if an article repeats.

    The title is the set's headline when the cluster has titles, else the article's first words.
    """
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
                title=cluster.titles[n - 1] if n <= len(cluster.titles) else article_title(text),
                text=text,
                origin=f"{origin}:{cluster.id}:{n}",
            )
        )
    return reports


_DETOKENISE = (
    (re.compile(r"\s+([.,;:!?%)\]}])"), r"\1"),
    (re.compile(r"([(\[{$])\s+"), r"\1"),
    (re.compile(r"\s+(n't|'s|'re|'ve|'ll|'d|'m)\b", re.IGNORECASE), r"\1"),
    (re.compile(r"``\s*|\s*''"), '"'),
)


def detokenise(tokens: Sequence[str]) -> str:
    """Join ECB+ tokens into readable text (undo the usual tokeniser spacing)."""
    text = " ".join(token for token in tokens if token)
    for pattern, replacement in _DETOKENISE:
        text = pattern.sub(replacement, text)
    return text.strip()


# The verifier's sets: SummEdits (news, dev) and FNC-1 (dev)


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
