"""The conflicts benchmark: value matching, scoring and the command, on toy data only."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsweave.cli import main
from newsweave.errors import InputError
from newsweave.records import Conflict, ConflictValue, Report
from newsweave_bench import conflict_labels as cl
from newsweave_bench import conflicts as ec

# Matching values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Twenty-eight-year-old", [28]),
        ("nearly 1,400 (1,373)", [1400, 1373]),
        ("6.9 million", [6_900_000]),
        ("$4.7 billion in aid", [4_700_000_000]),
        ("a dozen, then two dozen", [12, 24]),
        ("the 17th floor", [17]),
        ("ninety nine balloons", [99]),
        ("Tuesday", []),
    ],
)
def test_numbers_reads_digits_words_and_scales(text: str, expected: list[int]) -> None:
    assert cl.numbers(text) == tuple(Decimal(n) for n in expected)


@pytest.mark.parametrize(
    ("label", "side", "expected"),
    [
        ("28", "Twenty-eight", True),
        ("28", "29", False),
        ("nearly 1,400 (1,373)", "1,373 people", True),  # the side's first number is in the label
        ("16 metres (52 ft)", "52 feet", True),
        ("6.9 million", "6,900,000", True),
        ("at least three more", "3", True),
        ("17th floor", "15th floor", False),  # numbers decide; the shared word does not
        ("Tuesday", "late Tuesday", True),
        ("early Thursday", "Thursday night", True),
        ("Tuesday", "Wednesday", False),
        ("near Springfield, Ohio", "Springfield", True),
        ("near Springfield", "Shelbyville", False),
        ("early in the evening", "evening", True),
    ],
)
def test_values_match(label: str, side: str, expected: bool) -> None:
    assert cl.values_match(label, side) is expected


def _side(value: str, *ids: str) -> ConflictValue:
    return ConflictValue(value, ids, evidence=tuple(f"{r} says {value}." for r in ids))


def _label(*values: tuple[str, tuple[int, ...]], strength: str = "hard") -> cl.LabelledConflict:
    return cl.LabelledConflict(
        "multinews-dev",
        7,
        "number",
        "a toy fact",
        strength,
        tuple(cl.LabelValue(v, d) for v, d in values),
    )


DOCS = ("r0", "r1", "r2", None)  # doc 3 was left out by the reader


def test_a_conflict_is_found_when_two_values_appear_on_different_sides() -> None:
    label = _label(("28", (0,)), ("29", (1, 2)))
    found = Conflict("number", "the age", (_side("28", "r0"), _side("29", "r2")))
    assert cl.finds(label, found, DOCS)
    # The right values held by the wrong reports, or the wrong values, do not count.
    swapped = Conflict("number", "the age", (_side("28", "r1"), _side("29", "r0")))
    assert not cl.finds(label, swapped, DOCS)
    wrong = Conflict("number", "the age", (_side("27", "r0"), _side("29", "r1")))
    assert not cl.finds(label, wrong, DOCS)
    # Both values on one side is no disagreement.
    one_side = Conflict("number", "the age", (_side("28 or 29", "r0", "r1"), _side("30", "r2")))
    assert not cl.finds(label, one_side, DOCS)


def test_a_dropped_document_cannot_be_found() -> None:
    label = _label(("Tuesday", (3,)), ("Wednesday", (0,)))
    conflict = Conflict("date", "the day", (_side("Tuesday", "r1"), _side("Wednesday", "r0")))
    assert not cl.finds(label, conflict, DOCS)


def test_hard_recall_counts_stated_conflicts_only() -> None:
    label = _label(("28", (0,)), ("29", (1,)))
    soft = Conflict("number", "the age", (_side("28", "r0"), _side("29", "r1")), strength="soft")
    running = Conflict("number", "the toll", (_side("28", "r0"), _side("29", "r1")), running=True)
    assert not cl.is_found(label, [soft], DOCS, stated_only=True)
    assert cl.is_found(label, [soft], DOCS, stated_only=False)
    assert cl.is_found(label, [running], DOCS, stated_only=True)  # running figures are stated


# Reading toy clusters


def _allsides_article(title: str, text: str) -> str:
    return f"TITLE=> {title}. ARTICLE=> {text}"


def test_allsides_documents_left_out_map_to_none() -> None:
    line = " [SEP] ".join(
        [
            _allsides_article("Vote on Tuesday", "The council voted Tuesday."),
            _allsides_article("No lead here", ""),
            _allsides_article("Vote on Wednesday", "The council voted Wednesday."),
        ]
    )
    cluster = cl.allsides_cluster(("allsides-val", 0), line)
    assert [r.outlet for r in cluster.reports] == ["Article 1", "Article 2"]
    assert cluster.doc_reports == (cluster.reports[0].id, None, cluster.reports[1].id)


def test_parse_labels_rejects_bad_entries() -> None:
    good = {"dataset": "allsides-val", "cluster": 0, "slot": "date", "strength": "hard"}
    one_value = {**good, "values": [{"value": "Tuesday", "docs": [0]}]}
    with pytest.raises(InputError, match="at least two values"):
        cl.parse_labels({"conflicts": [one_value]})
    with pytest.raises(InputError, match="unknown dataset"):
        cl.parse_labels({"no_conflict": [{"dataset": "nope", "cluster": 1}]})


def test_parts_are_stable_and_both_used() -> None:
    keys = [("allsides-train", n) for n in range(40)]
    parts = [cl.part_of(k) for k in keys]
    assert parts == [cl.part_of(k) for k in keys]
    assert set(parts) == {"tune", "held-out"}


# A toy benchmark: a data folder in the published layouts and a brief that is told the answers


def _toy_data(root: Path) -> Path:
    """Two Multi-News rows and two AllSides lines, and labels for three clusters of them."""
    (root / "multinews-dev").mkdir(parents=True)
    with (root / "multinews-dev" / "sample_validation.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["documents", "summary"])
        writer.writerow([repr(["Ann Lee, 28, was charged.", "Ann Lee, 29, was charged."]), "S."])
        writer.writerow([repr(["The mayor, 61, spoke.", "The mayor, 61, spoke again."]), "S."])
    (root / "allsides-neus-dev").mkdir()
    lines = [
        " [SEP] ".join(
            [
                _allsides_article("Board votes", "The board voted Tuesday to close two schools."),
                _allsides_article("Board votes", "The board voted Wednesday to close 3 schools."),
            ]
        ),
        _allsides_article("Storm", "The storm hit 40 homes.")
        + " [SEP] "
        + _allsides_article("Storm", "About 40 homes were hit by the storm."),
    ]
    (root / "allsides-neus-dev" / "val.source").write_text("\n".join(lines) + "\n")
    labels = {
        "conflicts": [
            {
                "dataset": "multinews-dev",
                "cluster": 0,
                "slot": "number",
                "fact": "Age of Ann Lee",
                "strength": "hard",
                "values": [
                    {"value": "28", "docs": [0], "quotes": ["Ann Lee, 28,"]},
                    {"value": "29", "docs": [1], "quotes": ["Ann Lee, 29,"]},
                ],
            },
            {
                "dataset": "allsides-val",
                "cluster": 0,
                "slot": "date",
                "fact": "Day of the vote",
                "strength": "hard",
                "values": [
                    {"value": "Tuesday", "docs": [0], "quotes": ["voted Tuesday"]},
                    {"value": "Wednesday", "docs": [1], "quotes": ["voted Wednesday"]},
                ],
            },
            {
                "dataset": "allsides-val",
                "cluster": 0,
                "slot": "number",
                "fact": "Schools closed",
                "strength": "soft",
                "values": [
                    {"value": "two", "docs": [0], "quotes": ["close two schools"]},
                    {"value": "three", "docs": [1], "quotes": ["close 3 schools"]},
                ],
            },
        ],
        "no_conflict": [
            {"dataset": "multinews-dev", "cluster": 1, "note": "the mayor is 61 in both"},
            {"dataset": "allsides-val", "cluster": 1, "note": "40 homes in both"},
        ],
    }
    (root / "conflicts-dev").mkdir()
    (root / "conflicts-dev" / "labels.json").write_text(json.dumps(labels))
    return root


def _toy_brief(reports: Sequence[Report]) -> tuple[Conflict, ...]:
    """Finds the age (stated), the schools (soft) but not the day; alarms on the storm."""
    ids = [r.id for r in reports]
    text = " ".join(r.text for r in reports)
    if "Ann Lee" in text:
        return (Conflict("number", "the age", (_side("28", ids[0]), _side("29", ids[1]))),)
    if "board" in text:
        schools = (_side("two", ids[0]), _side("3", ids[1]))
        return (Conflict("number", "the schools", schools, strength="soft"),)
    if "storm" in text:
        homes = (_side("40", ids[0]), _side("about 40", ids[1]))
        return (Conflict("number", "the homes", homes),)
    raise RuntimeError("toy failure")


def test_run_scores_recall_false_alarms_and_failures(tmp_path: Path) -> None:
    data = _toy_data(tmp_path / "data")
    labels = cl.read_labels(data / cl.LABELS)
    loaded = cl.load_clusters(data, labels.clusters())
    result = ec.run(labels, loaded, _toy_brief)
    assert (result.quotes, result.quote_misses) == (6, 0)  # doc index i is report i
    whole = next(s for s in result.summaries if s.part == "all")
    assert [s.part for s in result.summaries] == ["tune", "held-out", "all"]
    overall = whole.rows[0]
    assert (overall.hard, overall.hard_found, overall.hard_any) == (2, 1, 1)
    assert (overall.soft, overall.soft_found) == (1, 1)
    # The mayor cluster fails (scored as briefed nothing), the storm cluster is a false alarm.
    assert (overall.agree, overall.alarms, whole.failures) == (1, 1, 1)
    by_name = {r.name: r for r in whole.rows}
    assert by_name["slot date"].hard_found == 0 and by_name["slot number"].hard_found == 1
    assert by_name["dataset allsides-val"].alarms == 1
    halves = [s for s in result.summaries if s.part != "all"]
    assert sum(s.clusters for s in halves) == whole.clusters == 4
    assert sum(s.rows[0].hard for s in halves) == 2

    table = ec.format_result(result)
    assert "hard recall" in table and "1/2  50.0%" in table
    shown = ec.format_show(result)
    assert "MISSED hard date: allsides-val 0" in shown
    assert "reported [soft] number: the schools" in shown  # what the brief had instead
    assert "FALSE ALARM: allsides-val 1" in shown and "“" in shown
    details = json.loads(json.dumps(ec.result_to_json(result)))
    assert details["schema"] == ec.SCHEMA and len(details["clusters"]) == 4


def test_part_and_limit_restrict_the_work(tmp_path: Path) -> None:
    data = _toy_data(tmp_path / "data")
    labels = cl.read_labels(data / cl.LABELS)
    loaded = cl.load_clusters(data, labels.clusters())
    briefed: list[int] = []

    def counting(reports: Sequence[Report]) -> tuple[Conflict, ...]:
        briefed.append(len(reports))
        return ()

    tune = ec.run(labels, loaded, counting, part="tune")
    assert [s.part for s in tune.summaries] == ["tune"]
    assert all(o.part == "tune" for o in tune.outcomes)
    assert len(briefed) == len(tune.outcomes)
    assert len(ec.run(labels, loaded, counting, limit=2).outcomes) == 2


# The command


def test_command_skips_without_data(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval-conflicts", "--data", str(tmp_path / "absent")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("skipped: ")


def test_command_runs_on_toy_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _toy_data(tmp_path / "data")
    monkeypatch.setattr(ec, "product_brief", lambda settings, embedder: _toy_brief)
    out = tmp_path / "out.json"
    args = ["--embedder", "lexical", "eval-conflicts", "--data", str(data), "--show"]
    result = CliRunner().invoke(main, [*args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "hard recall" in result.output and "FALSE ALARM" in result.output
    assert json.loads(out.read_text())["part"] == "all"
