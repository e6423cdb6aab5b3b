"""The evaluation harness: data loaders, peer systems, ROUGE scoring, intervals and the table."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from newsweave.cli import main
from newsweave.config import Settings
from newsweave.errors import InputError
from newsweave.text.embed import Embedder
from newsweave_bench import rouge as ev
from newsweave_bench import systems as sy
from newsweave_bench.datasets import (
    Cluster,
    cluster_reports,
    parse_allsides_source,
    parse_allsides_target,
    read_allsides,
    read_jsonl_clusters,
)

from .conftest import SHARED_DATA

ALLSIDES = SHARED_DATA / "allsides-neus-dev"

SOURCE_LINE = (
    "TITLE=> Dam bursts upstream of Lowtown. ARTICLE=> A dam burst on Monday above Lowtown. "
    "Water reached the main square by noon. [SEP] "
    "TITLE=> Why did the dam fail?. ARTICLE=> Engineers had warned of cracks in the dam. "
    "The council delayed repairs. [SEP] "
    "TITLE=> Empty lead. ARTICLE=> "
)
TARGET_LINE = (
    "TITLE=> Lowtown Dam Bursts. ARTICLE=> A dam burst above Lowtown on Monday, "
    "flooding the town square."
)

# Sentence lengths chosen so the budget cut is easy to check: 4, 3, 5 and 2 words.
ROUND_ROBIN = Cluster(
    "rr",
    (
        "Alpha one two three. Alpha second sentence here.",
        "Beta one two. Beta second.",
    ),
    "Reference text about alpha and beta.",
)

FLOOD = Cluster(
    "flood",
    (
        "Heavy rain fell across the valley on Monday. A dam burst above Lowtown after the rain. "
        "The mayor urged residents to stay indoors. Schools were closed for the week.",
        "Officials said the dam burst above Lowtown on Monday morning. Floodwater reached the "
        "main square within hours. Engineers had warned about cracks in the dam last year.",
        "Rescue teams evacuated 300 people from Lowtown. The dam burst after days of heavy "
        "rain, officials said. A local football match was postponed.",
    ),
    "A dam burst above Lowtown on Monday after heavy rain, and floodwater reached the main "
    "square. Rescue teams evacuated 300 people. Engineers had warned about cracks in the dam.",
)


# Loaders


def test_allsides_source_line_keeps_titles_and_texts_apart() -> None:
    titles, texts = parse_allsides_source(SOURCE_LINE)
    # The period the format appends to headlines is dropped; the empty lead is left out.
    assert titles == ("Dam bursts upstream of Lowtown", "Why did the dam fail?")
    assert texts == (
        "A dam burst on Monday above Lowtown. Water reached the main square by noon.",
        "Engineers had warned of cracks in the dam. The council delayed repairs.",
    )


def test_allsides_reference_is_title_sentence_then_text_without_markers() -> None:
    reference = parse_allsides_target(TARGET_LINE)
    assert reference == (
        "Lowtown Dam Bursts. A dam burst above Lowtown on Monday, flooding the town square."
    )
    assert "=>" not in reference


def test_read_allsides_ids_are_line_numbers_and_titles_reach_reports(tmp_path: Path) -> None:
    source, target = tmp_path / "val.source", tmp_path / "val.target"
    source.write_text(f"{SOURCE_LINE}\n{SOURCE_LINE}\n", encoding="utf-8")
    target.write_text(f"{TARGET_LINE}\n{TARGET_LINE}\n", encoding="utf-8")
    clusters = list(read_allsides(source, target))
    assert [c.id for c in clusters] == ["1", "2"]
    reports = cluster_reports(clusters[0])
    assert [r.title for r in reports] == ["Dam bursts upstream of Lowtown", "Why did the dam fail?"]


def test_read_allsides_names_the_line_of_a_bad_article(tmp_path: Path) -> None:
    source, target = tmp_path / "val.source", tmp_path / "val.target"
    source.write_text(f"{SOURCE_LINE}\nno markers here\n", encoding="utf-8")
    target.write_text(f"{TARGET_LINE}\n{TARGET_LINE}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"val\.source:2"):
        list(read_allsides(source, target))


def test_read_allsides_out_of_step_files_are_an_error(tmp_path: Path) -> None:
    source, target = tmp_path / "val.source", tmp_path / "val.target"
    source.write_text(f"{SOURCE_LINE}\n{SOURCE_LINE}\n", encoding="utf-8")
    target.write_text(f"{TARGET_LINE}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"val\.target:2"):
        list(read_allsides(source, target))


def test_read_jsonl_clusters_and_a_bad_line_named_by_path_and_line(tmp_path: Path) -> None:
    good = {"id": "a", "documents": ["One. Two."], "reference": "One."}
    path = tmp_path / "clusters.jsonl"
    path.write_text(
        json.dumps(good) + "\n\n" + json.dumps({"documents": ["X."], "reference": "X."}) + "\n",
        encoding="utf-8",
    )
    clusters = list(read_jsonl_clusters(path))
    assert [(c.id, c.documents, c.reference) for c in clusters] == [
        ("a", ("One. Two.",), "One."),
        ("3", ("X.",), "X."),  # no id: the line number
    ]
    for bad, reason in [
        ("{not json", "invalid JSON"),
        ('["a list"]', "not a JSON object"),
        ('{"documents": [], "reference": "R."}', "'documents'"),
        ('{"documents": ["D."], "reference": 3}', "'reference'"),
    ]:
        path.write_text(json.dumps(good) + "\n" + bad + "\n", encoding="utf-8")
        with pytest.raises(InputError, match=reason) as info:
            list(read_jsonl_clusters(path))
        assert info.value.origin == f"{path}:2"


def test_missing_data_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(InputError, match=r"nope\.csv"):
        ev.dataset_clusters(multinews=missing)
    result = CliRunner().invoke(main, ["eval", "--multinews", str(missing)])
    assert result.exit_code == 1
    assert str(missing) in result.output


# Budgets and systems


def test_cut_counts_words_not_punctuation() -> None:
    assert sy.word_count("– Alpha, beta; gamma.") == 3
    assert sy.cut("– Alpha beta gamma delta", 2) == "– Alpha beta"
    assert sy.cut("short text", 10) == "short text"


def test_lead_takes_first_sentences_round_robin_and_cuts_to_the_budget() -> None:
    assert sy.lead(ROUND_ROBIN, 100) == (
        "Alpha one two three. Beta one two. Alpha second sentence here. Beta second."
    )
    # 4 + 3 words fit whole; the third sentence is cut to the 2 words left.
    assert sy.lead(ROUND_ROBIN, 9) == "Alpha one two three. Beta one two. Alpha second"
    assert sy.word_count(sy.lead(ROUND_ROBIN, 9)) == 9


def test_fill_skips_a_sentence_already_taken() -> None:
    assert sy.fill(["Same words here.", "Same words here.", "Other."], 10) == (
        "Same words here. Other."
    )


@pytest.mark.parametrize("name", sy.SUMY_SYSTEMS)
def test_sumy_peers_run_offline_on_a_tiny_cluster(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # No NLTK data anywhere: a peer that needed punkt or stopwords would fail here.
    monkeypatch.setenv("NLTK_DATA", str(tmp_path / "no-nltk-data"))
    text = sy.BASELINES[name](FLOOD, 25)
    assert 20 <= sy.word_count(text) <= 25
    ranked = sy.sumy_ranked(FLOOD, name)
    assert sorted(ranked) == sorted(s for d in FLOOD.documents for s in sy.split_sentences(d))


def test_oracle_stops_where_rouge_score_sees_no_gain() -> None:
    # A budget far above the cluster's length: the greedy stops because no sentence helps.
    picked = sy.oracle_sentences(FLOOD, 500)
    text = sy.oracle(FLOOD, 500)
    assert " ".join(picked) == text
    r1, r2, _ = ev.rouge(FLOOD.reference, text)
    assert r1 + r2 > 0
    # Its own counts must agree with rouge-score: no sentence left raises R-1 + R-2 there.
    left = [s for d in FLOOD.documents for s in sy.split_sentences(d) if s not in picked]
    assert left
    for sentence in left:
        more1, more2, _ = ev.rouge(FLOOD.reference, f"{text} {sentence}")
        assert more1 + more2 <= r1 + r2 + 1e-9, sentence
    # And each pick raised the score as rouge-score computes it.
    scores = [
        sum(ev.rouge(FLOOD.reference, " ".join(picked[:n]))[:2]) for n in range(1, len(picked) + 1)
    ]
    assert scores == sorted(scores) and len(set(scores)) == len(scores)


def test_oracle_is_at_least_every_other_system(settings: Settings, embedder: Embedder) -> None:
    systems = sy.make_systems(sy.SYSTEM_NAMES, settings, embedder)
    result = ev.evaluate([FLOOD], systems, resamples=50)
    by_system = {s.system: s.r1.mean + s.r2.mean for s in result.summary}
    for name, score in by_system.items():
        assert by_system["oracle"] >= score, name


def test_newsweave_system_scores_text_without_citations(
    settings: Settings, embedder: Embedder
) -> None:
    text = sy.newsweave_system(settings, embedder)(FLOOD, 30)
    assert text and "[" not in text
    assert sy.word_count(text) <= 30


# Scoring and output


def test_bootstrap_interval_contains_the_mean_and_is_repeatable() -> None:
    values = [10.0, 12.0, 30.0, 31.0, 45.0, 50.0, 52.0, 70.0]
    interval = ev.bootstrap(values)
    assert interval.lo <= interval.mean <= interval.hi
    assert interval.mean == pytest.approx(sum(values) / len(values))
    assert interval.lo > min(values) and interval.hi < max(values)
    assert ev.bootstrap(values) == interval  # fixed seed


def test_evaluate_rows_table_and_json(tmp_path: Path) -> None:
    def broken(cluster: Cluster, budget: int) -> str:
        raise RuntimeError("boom")

    systems = {"lead": sy.lead, "oracle": sy.oracle, "broken": broken}
    clusters = [FLOOD, Cluster("noref", FLOOD.documents, "  "), ROUND_ROBIN]
    result = ev.evaluate(clusters, systems, resamples=100)
    assert result.clusters == 2 and result.skipped == ("noref",)
    assert [(r.id, r.system) for r in result.rows[:3]] == [
        ("flood", "lead"),
        ("flood", "oracle"),
        ("flood", "broken"),
    ]
    assert all(r.words <= r.budget for r in result.rows)
    failed = [r for r in result.rows if r.error]
    assert {r.system for r in failed} == {"broken"} and failed[0].r1 == 0.0
    table = ev.format_table(result)
    lines = table.splitlines()
    assert lines[0].split() == ["system", "R-1", "R-2", "R-L", "s/cluster"]
    for name in systems:
        assert any(line.startswith(name) for line in lines[2:5]), name
    assert "broken 2" in table  # failures are reported
    data = json.loads(json.dumps(ev.result_to_json(result)))
    assert data["schema"] == "newsweave.eval/1" and len(data["rows"]) == 6
    assert ev.evaluate([FLOOD], {"lead": sy.lead}, budget_words=5).rows[0].words == 5


def test_cli_eval_on_jsonl_prints_the_table_and_writes_json(tmp_path: Path) -> None:
    data = tmp_path / "clusters.jsonl"
    record = {"id": "flood", "documents": list(FLOOD.documents), "reference": FLOOD.reference}
    data.write_text(json.dumps(record) + "\n", encoding="utf-8")
    out = tmp_path / "eval.json"
    args = ["eval", "--jsonl", str(data), "--systems", "lead,lsa,oracle", "--json", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    for name in ("lead", "lsa", "oracle"):
        assert f"\n{name} " in result.output
    assert len(json.loads(out.read_text())["rows"]) == 3
    bad = CliRunner().invoke(main, ["eval", "--jsonl", str(data), "--systems", "gpt"])
    assert bad.exit_code == 2 and "known systems" in bad.output


def test_missing_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = sy.importlib.util.find_spec
    monkeypatch.setattr(
        sy.importlib.util, "find_spec", lambda name: None if name == "sumy" else real(name)
    )
    with pytest.raises(sy.ConfigError, match=r"newsweave\[eval\]"):
        sy.require_extra(["lexrank"])
    sy.require_extra(["lead"])  # lead needs rouge-score only


def test_cli_default_systems_are_every_system() -> None:
    # `eval` comes from the benchmarks package through the newsweave.commands entry points.
    command = main.get_command(click.Context(main), "eval")
    assert command is not None
    option = next(p for p in command.params if p.name == "systems")
    assert tuple(option.default.split(",")) == sy.SYSTEM_NAMES


# Real data


@pytest.mark.skipif(
    not (ALLSIDES / "val.source").exists(),
    reason=f"AllSides NeuS dev set not found at {ALLSIDES} (../shared/data is absent)",
)
def test_real_allsides_stories_evaluate(settings: Settings, embedder: Embedder) -> None:
    clusters = ev.dataset_clusters(allsides=ALLSIDES, split="val")
    systems = sy.make_systems(sy.SYSTEM_NAMES, settings, embedder)
    result = ev.evaluate(clusters, systems, limit=5, resamples=100)
    assert result.clusters == 5
    assert not [r for r in result.rows if r.error]
    assert all(r.words <= r.budget for r in result.rows)
    summary = {s.system: s for s in result.summary}
    assert all(s.r1.mean > 0 for s in summary.values())
    oracle = summary["oracle"].r1.mean + summary["oracle"].r2.mean
    assert all(oracle >= s.r1.mean + s.r2.mean for s in summary.values())
