"""Hostile text in the briefing path: no work grows with the square of the input (issue 13).

Inputs are generated here, in tmp_path (tests/textgen.py). `newsweave brief` runs in a
subprocess measured against the bounds of issue 13 (60 s, 1 GB; tests/hostile.py); the
pieces that keep the cost down are checked directly beside them.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from newsweave.analysis import WordIndex
from newsweave.config import Limits
from newsweave.ids import report_id
from newsweave.records import Report, Sentence
from newsweave.text.neighbours import close_pairs
from newsweave.text.sentences import SentenceReader, split_sentences
from newsweave.text.words import content_words
from newsweave.writing.claims import align, read_story
from tests import textgen
from tests.hostile import run_cli

EXIT_CUT = 3  # done, but an input was read changed (cut to a limit), named on stderr


def _brief(paths: list[Path], home: Path) -> str:
    """`newsweave brief PATHS` within the bounds; its output, checked to be a brief."""
    cost = run_cli(["brief", *map(str, paths)], env={"NEWSWEAVE_HOME": str(home)})
    assert cost.within(), cost
    assert "Traceback" not in cost.stderr, cost
    assert cost.code in (0, EXIT_CUT), cost
    if cost.code == EXIT_CUT:  # a cut is named, with its reason
        assert "changed " in cost.stderr or "skipped " in cost.stderr, cost
    assert cost.stdout.startswith("# "), cost.stdout[:500]
    assert "## Sources" in cost.stdout
    return cost.stdout


@pytest.mark.parametrize("repeats", [2_000, 4_000])
def test_one_sentence_repeated_in_two_files_is_briefed_once(tmp_path: Path, repeats: int) -> None:
    # Two 232 KB files: 196 s and 1.5 GB at 2,000 repeats, over 600 s at 4,000, before.
    paths = textgen.repeated_reports(tmp_path / "in", repeats)
    assert all(200_000 < p.stat().st_size < 240_000 for p in paths)  # about 232 KB
    out = _brief(paths, tmp_path / "home")
    assert "The council approved the new budget on Monday evening" in out
    assert f"{repeats - 1:,} repeated sentences were read once" in out


def test_nearly_repeated_sentences_are_briefed(tmp_path: Path) -> None:
    # 4,000 sentences differing in one number: distinct, so each report is cut to its limit,
    # and every one is close to every other (the worst case for comparing sentences).
    body = " ".join(
        f"The council approved budget item {k} on Monday evening after a debate."
        for k in range(4_000)
    )
    paths = [
        textgen.write_report(tmp_path / f"near-{k}.txt", outlet, body, url=f"https://{k}.example")
        for k, outlet in enumerate(("Alpha Times", "Beta Post"))
    ]
    out = _brief(paths, tmp_path / "home")
    assert "only its first 1,000 distinct sentences were read (limit sentences_per_report)" in out


def test_a_megabyte_on_one_line_is_split_and_briefed(tmp_path: Path) -> None:
    # More than 90 s in sentence splitting before; no header, no line break.
    path = tmp_path / "line.txt"
    path.write_text(textgen.varied_text(1_000_000, paragraph=0), encoding="utf-8")
    _brief([path], tmp_path / "home")


def test_ten_megabytes_of_varied_sentences_are_briefed(tmp_path: Path) -> None:
    body = textgen.varied_text(10_000_000)
    path = textgen.write_report(tmp_path / "big.txt", "Big Outlet", body, title="A long report")
    out = _brief([path], tmp_path / "home")
    assert "(limit sentences_per_report)" in out


def test_many_long_reports_are_briefed_within_the_story_limit(tmp_path: Path) -> None:
    # 4 MB in 40 reports of 100 KB sharing names and places: 28,000 distinct sentences.
    paths = textgen.varied_reports(tmp_path / "in", 4_000_000, 100_000)
    out = _brief(paths, tmp_path / "home")
    assert "Only 4,000 distinct sentences of the story were read" in out
    assert "(limit sentences_per_brief)" in out


# The pieces, checked directly.


def test_long_lines_and_long_sentences_are_cut_at_the_limit() -> None:
    line = textgen.varied_text(200_000, paragraph=0)
    sentences = split_sentences(line, max_chars=500)
    assert sentences[:3] == split_sentences(line[:2_000])[:3]  # real sentence ends kept
    assert len(sentences) > 1_000
    assert max(map(len, sentences)) <= 500
    words = split_sentences("word " * 10_000, max_chars=300)
    assert max(map(len, words)) <= 300 and all(w.startswith("word") for w in words)
    assert max(map(len, split_sentences("x" * 5_000, max_chars=300))) == 300


def test_a_reader_keeps_each_sentence_once_at_its_place() -> None:
    text = "One thing happened here. Two things happened. One thing happened here. Three."
    reader = SentenceReader(text)
    assert reader.read(10) == 3
    assert reader.texts == ["One thing happened here.", "Two things happened.", "Three."]
    assert reader.positions == [0, 1, 3] and reader.repeats == 1 and reader.count == 4
    assert [s.index for s in reader.records("r")] == [0, 1, 3]


def _report(outlet: str, text: str) -> Report:
    url = f"https://{outlet.lower().replace(' ', '')}.example/story"
    return Report(id=report_id(url, text), outlet=outlet, title="", text=text, url=url)


def test_reading_a_story_stops_at_its_limits_and_names_them() -> None:
    reports = [
        _report("Long", textgen.varied_text(40_000, seed=1)),
        _report("Short", "The bridge opened on Monday. The mayor cut the ribbon. " * 3),
        _report("Also long", textgen.varied_text(40_000, seed=2)),
    ]
    read, notes = read_story(reports, Limits(sentences_per_report=100, sentences_per_brief=150))
    assert [len(found) for found in read] == [74, 2, 74]  # the story's 150, shared out
    for report, found in zip(reports, read, strict=True):
        assert [s.text for s in found] == split_sentences(report.text)[: len(found)]
    assert "Source 2 (Short): 4 repeated sentences were read once." not in notes  # too few
    assert any("(limit sentences_per_brief)" in n for n in notes)
    read, notes = read_story(reports, Limits(sentences_per_report=50))
    assert [len(found) for found in read] == [50, 2, 50]
    assert notes == [
        "Source 1 (Long): only its first 50 distinct sentences were read "
        "(limit sentences_per_report).",
        "Source 3 (Also long): only its first 50 distinct sentences were read "
        "(limit sentences_per_report).",
    ]


def _unit_rows(rng: np.random.Generator, n: int, dims: int = 48) -> np.ndarray:
    centres = rng.normal(size=(n // 20 + 1, dims))
    rows = centres[rng.integers(0, len(centres), n)] + 0.45 * rng.normal(size=(n, dims))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _all_pairs(vectors: np.ndarray, threshold: float, groups: np.ndarray) -> set[tuple[int, int]]:
    sims = vectors @ vectors.T
    rows, cols = np.nonzero(np.triu(sims >= threshold, k=1) & (groups[:, None] != groups))
    return set(zip(rows.tolist(), cols.tolist(), strict=True))


def test_close_pairs_are_all_pairs_when_exact_and_most_from_the_forest() -> None:
    rng = np.random.default_rng(7)
    vectors = _unit_rows(rng, 1_500)
    groups = rng.integers(0, 40, len(vectors))
    expected = _all_pairs(vectors, 0.75, groups)
    found = close_pairs(vectors, 0.75, groups, k=len(vectors))
    assert {(i, j) for _, i, j in found} == expected
    assert [s for s, _, _ in found] == sorted((s for s, _, _ in found), reverse=True)
    forest = {(i, j) for _, i, j in close_pairs(vectors, 0.75, groups, k=100, exact_rows=100)}
    assert forest <= expected and len(forest) >= 0.95 * len(expected)
    # With a cap, a pair is kept when one of its rows has the other among its 3 closest.
    sims = vectors @ vectors.T
    sims[(groups[:, None] == groups) | (sims < 0.75)] = -np.inf
    closest = [{int(j) for j in np.argsort(-row)[:3] if row[j] > -np.inf} for row in sims]
    capped = {(i, j) for _, i, j in close_pairs(vectors, 0.75, groups, k=3)}
    assert capped == {(min(i, j), max(i, j)) for i, near in enumerate(closest) for j in near}


def _reference_align(sentences: list[Sentence], vectors: np.ndarray, threshold: float) -> list:
    """Alignment as it was: every pair scored, the mean taken over the similarity matrix."""
    sims = vectors @ vectors.T
    report_of = [s.report_id for s in sentences]
    rows, cols = np.where(np.triu(sims, k=1) >= threshold)
    edges = sorted(
        (-float(sims[i, j]), int(i), int(j))
        for i, j in zip(rows, cols, strict=True)
        if report_of[i] != report_of[j]
    )
    members = {i: [i] for i in range(len(sentences))}
    owner = list(range(len(sentences)))
    for _, i, j in edges:
        a, b = owner[i], owner[j]
        if a == b or {report_of[k] for k in members[a]} & {report_of[k] for k in members[b]}:
            continue
        if float(sims[np.ix_(members[a], members[b])].mean()) < threshold:
            continue
        members[a] += members[b]
        for k in members.pop(b):
            owner[k] = a
    return sorted(members.values(), key=min)


def test_alignment_through_the_index_is_alignment_over_all_pairs() -> None:
    rng = np.random.default_rng(3)
    vectors = _unit_rows(rng, 600, dims=24)
    sentences = [Sentence(f"r{k % 12}", k // 12, f"sentence {k}") for k in range(len(vectors))]
    assert align(sentences, vectors, 0.8) == _reference_align(sentences, vectors, 0.8)


def test_copies_of_a_sentence_in_many_reports_are_one_claim() -> None:
    sentences = [Sentence(f"r{k}", 0, "The same wire sentence.") for k in range(300)]
    vectors = np.tile(np.eye(1, 8, dtype=np.float32), (300, 1))
    assert align(sentences, vectors, 0.5) == [list(range(300))]


def test_word_index_finds_exactly_the_sentences_holding_enough_words() -> None:
    rng = random.Random(5)
    texts = [textgen.varied_sentence(rng) for _ in range(400)]
    words = [content_words(t) for t in texts]
    index = WordIndex(words)
    for wanted in words[:40]:
        expected = [r for r, w in enumerate(words) if len(wanted & w) / len(wanted) >= 0.5]
        assert list(index.sharing(wanted, 0.5, limit=len(texts))) == expected
