"""The verifier: each check, the command line, the brief's citations, and the benchmarks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsweave.cli import EXIT_SKIPPED, main
from newsweave.config import Settings
from newsweave.ingest.files import load_paths
from newsweave.pipeline.briefing import make_brief
from newsweave.records import Brief, BriefSentence, Report
from newsweave.render import render
from newsweave.render.jsonout import brief_from_dict, brief_to_dict
from newsweave.text.embed import Embedder
from newsweave.text.values.numbers import quantities
from newsweave.text.values.statements import analyse_text
from newsweave.text.values.stems import stem
from newsweave.verification.batch import verify_batch
from newsweave.verification.citations import CHECKS, VALUE_CHECKS, Verifier
from newsweave.verification.story import denial

from .conftest import SHARED_DATA

PKT = timezone(timedelta(hours=5))


@pytest.fixture(scope="module")
def v(embedder: Embedder) -> Verifier:
    """The verifier as briefs use it: the WordLlama half of the default embedder."""
    from newsweave.verification.story import brief_verifier

    return brief_verifier(embedder)


SOURCE = (
    "A fire destroyed a textile factory in Faisalabad on Monday, killing 12 workers, officials "
    "said. The company reported revenue of $5 billion in 2025, up 4% from a year earlier. "
    "It was the third fire at the industrial estate this year. Rescue worker Bilal Aslam said "
    "the blaze spread quickly through bales of cotton. The company, Ozy Textiles, is based in "
    'London. "We will rebuild this factory within a year," the owner, Naveed Iqbal, told '
    "reporters. Police arrested the factory manager on Monday evening. Exports rose sharply "
    "last year."
)


def verdict(v: Verifier, claim: str, source: str = SOURCE, **kw: object) -> str:
    return v.verify(claim, source, **kw).verdict  # type: ignore[arg-type]


# Supported claims, with evidence


def test_a_paraphrase_with_the_same_facts_is_supported_with_its_evidence(v: Verifier) -> None:
    result = v.verify(
        "A fire gutted a textile mill in Faisalabad on Monday and killed 12 workers.", SOURCE
    )
    assert result.verdict == "supported"
    assert result.evidence[0].startswith("A fire destroyed a textile factory in Faisalabad")
    assert 0.5 < result.score <= 1.0


def test_a_claim_about_something_else_is_not_found(v: Verifier) -> None:
    result = v.verify("The central bank raised interest rates by half a point.", SOURCE)
    assert result.verdict == "not_found"


# Numbers and units


def test_quantities_carry_their_units() -> None:
    found = {
        (q.value, q.unit)
        for q in quantities("Sales of $5bn, 4% more, 35 years ago, the fourth quarter")
    }
    assert (5e9, "usd") in found and (4.0, "%") in found and (35.0, "year") in found
    assert any(q.ordinal and q.value == 4 for q in quantities("the fourth quarter"))


def test_a_swapped_number_contradicts(v: Verifier) -> None:
    result = v.verify("A fire in Faisalabad on Monday killed 21 workers.", SOURCE)
    assert result.verdict == "contradicted"
    assert any(f.check == "numbers" and "21 workers" in f.claim for f in result.findings)


def test_units_are_compared_not_spellings(v: Verifier) -> None:
    assert verdict(v, "The company reported revenue of $5bn in 2025.") == "supported"
    assert verdict(v, "The company reported revenue of $5 million in 2025.") == "contradicted"
    assert verdict(v, "Revenue was up 4 percent in 2025.") == "supported"
    assert verdict(v, "Revenue was up 9% in 2025.") == "contradicted"


def test_a_swapped_ordinal_contradicts(v: Verifier) -> None:
    assert (
        verdict(v, "It was the second fire at the industrial estate this year.") == "contradicted"
    )


# Dates


def test_a_year_the_source_does_not_give_is_not_found(v: Verifier) -> None:
    assert verdict(v, "The company reported revenue of $5 billion in 2024.") == "not_found"


def test_relative_days_are_resolved_on_both_sides(v: Verifier) -> None:
    published = datetime(2026, 3, 9, 9, tzinfo=PKT)  # a Monday
    source = "Police arrested the factory manager on Monday evening."
    ok = v.verify(
        "Police arrested the factory manager on March 9, 2026.",
        source,
        source_published=published,
    )
    assert ok.verdict == "supported"
    wrong = v.verify(
        "Police arrested the factory manager on March 12, 2026.",
        source,
        source_published=published,
    )
    assert wrong.verdict == "not_found"
    assert any(f.check == "dates" for f in wrong.findings)


# People, places and organisations


def test_a_wrong_name_is_not_found(v: Verifier) -> None:
    result = v.verify("Rescue worker Bilal Asif said the blaze spread quickly.", SOURCE)
    assert result.verdict == "not_found"
    assert [f.claim for f in result.findings if f.check == "entities"] == ["Asif"]


def test_a_wrong_place_or_organisation_is_not_found(v: Verifier) -> None:
    assert verdict(v, "A fire destroyed a textile factory in Lahore on Monday.") == "not_found"
    assert verdict(v, "The company, Ozy Garments, is based in London.") == "not_found"


def test_a_country_is_supported_by_one_of_its_cities(v: Verifier) -> None:
    assert verdict(v, "The company, Ozy Textiles, is based in the U.K.") == "supported"
    assert verdict(v, "The company, Ozy Textiles, is based in Canada.") == "not_found"


def test_a_code_must_match_exactly(v: Verifier) -> None:
    source = "Sales of its SARS-CoV-2 vaccine fell in the fourth quarter."
    assert (
        verdict(v, "Sales of its SARS-CoV-2 vaccine fell in the fourth quarter.", source)
        == "supported"
    )
    assert (
        verdict(v, "Sales of its SARS-CoV-4 vaccine fell in the fourth quarter.", source)
        == "not_found"
    )


def test_a_former_officeholder_is_not_the_current_one(v: Verifier) -> None:
    source = "President Ahmed Rahimov opened the new bridge on Friday."
    assert (
        verdict(v, "Former President Ahmed Rahimov opened the new bridge on Friday.", source)
        == "not_found"
    )


# Paraphrases: same event, same values, other words


ISSUE_SOURCE = (
    "Senators Jane Roe and John Doe unveiled legislation on Thursday that would cap insulin "
    "prices. The measure has support from both parties, aides said."
)


def test_a_paraphrase_through_synonyms_is_supported(v: Verifier) -> None:
    claim = (
        "Senators Jane Roe and John Doe introduced a bipartisan bill on Thursday to cap "
        "insulin prices."
    )
    result = v.verify(claim, ISSUE_SOURCE)
    assert result.verdict == "supported"
    assert result.evidence[0].startswith("Senators Jane Roe and John Doe unveiled legislation")


@pytest.mark.parametrize(
    ("claim", "check"),
    [
        ("Senators Roe and Doe introduced a bill on Friday to cap insulin prices.", "dates"),
        ("Senators Jane Roe and Jim Doe introduced a bill on Thursday to cap insulin.", "entities"),
        ("Senators Roe and Doe unveiled legislation on Thursday to cap insulin at $35.", "numbers"),
    ],
)  # fmt: skip
def test_synonyms_never_excuse_a_wrong_value(v: Verifier, claim: str, check: str) -> None:
    result = v.verify(claim, ISSUE_SOURCE)
    assert result.verdict == "not_found"
    assert check in {f.check for f in result.findings}


def test_wordnet_synonyms_come_from_the_installed_database() -> None:
    from newsweave.text import wordnet

    assert wordnet.available()
    assert "factory" in wordnet.synonyms("mill")
    # The most frequent sense only: "arrested" is "apprehended", not "stopped".
    assert "apprehend" in wordnet.synonyms("arrested")
    assert "stop" not in wordnet.synonyms("arrested")
    assert wordnet.synonyms("Xqzzy") == frozenset()
    # Names are not expanded: "Bill" in a name is not a bill.
    expanded = Verifier().expansions(analyse_text("Lawmakers said Bill Gates paid the bill."))
    assert stem("gates") not in expanded


# Refutation: the source says the claim is false


HOAX = (
    "A viral story claimed that a man was saved from a bear attack by his Justin Bieber "
    "ringtone. The story turned out to be a hoax: no such attack happened, local officials "
    "said. The original report was fabricated by a satirical website."
)


def test_a_source_that_calls_the_claim_a_hoax_contradicts_it(v: Verifier) -> None:
    result = v.verify("Justin Bieber ringtone saves man from bear attack", HOAX)
    assert result.verdict == "contradicted"
    assert result.contradiction >= v.model.threshold
    assert any(str(f).startswith("refutation: the source disputes it") for f in result.findings)
    # The claim that it was a hoax is what the source says.
    assert v.verify("The bear attack story was a hoax", HOAX).verdict == "supported"


# Negation and antonyms


def test_negation_contradicts(v: Verifier) -> None:
    result = v.verify("Police did not arrest the factory manager on Monday evening.", SOURCE)
    assert result.verdict == "contradicted"
    assert result.findings[0].check == "negation"
    assert result.evidence[0] == "Police arrested the factory manager on Monday evening."


def test_a_denial_contradicts_the_assertion(v: Verifier) -> None:
    source = "Police denied that the factory manager was arrested on Monday evening."
    assert (
        verdict(v, "Police arrested the factory manager on Monday evening.", source)
        == "contradicted"
    )


def test_an_antonym_contradicts(v: Verifier) -> None:
    result = v.verify("Exports fell sharply last year.", SOURCE)
    assert result.verdict == "contradicted"
    assert result.findings[0].check == "antonyms"


def test_denial_between_reports_needs_a_plain_assertion_and_a_shared_predicate() -> None:
    plain = analyse_text("Police arrested the factory manager on Monday evening.")
    denied = analyse_text("Police denied that the factory manager was arrested on Monday evening.")
    withheld = analyse_text("Police would not say whether the factory manager was arrested.")
    assert denial(plain, denied) is not None
    assert denial(plain, withheld) is None  # not saying is not denying
    assert denial(denied, denied) is None


# Quotations


def test_a_quote_must_be_in_the_source_up_to_punctuation_and_case(v: Verifier) -> None:
    exact = "'We will rebuild this factory within a year,' the owner said."
    assert verdict(v, exact.replace("'", '"')) == "supported"
    assert (
        verdict(v, '"we will rebuild this factory, within a year" the owner said.') == "supported"
    )


def test_a_paraphrase_presented_as_a_quote_is_not_found(v: Verifier) -> None:
    result = v.verify('"We will rebuild the plant in a few months," the owner said.', SOURCE)
    assert result.verdict == "not_found"
    assert [f.check for f in result.findings] == ["quotes"]


# Switches


def test_checks_can_be_switched_off(v: Verifier) -> None:
    claim = "A fire in Faisalabad on Monday killed 21 workers."
    assert v.with_checks(set(CHECKS) - VALUE_CHECKS).verify(claim, SOURCE).verdict == "supported"
    assert v.verify(claim, SOURCE).verdict == "contradicted"


# The command line


def test_cli_verifies_a_claim_against_a_file(tmp_path: Path) -> None:
    source = tmp_path / "article.txt"
    source.write_text(SOURCE, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "verify",
            "--claim",
            "Police did not arrest the factory manager.",
            "--source",
            str(source),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("contradicted")
    assert "evidence: Police arrested the factory manager on Monday evening." in result.output
    as_json = runner.invoke(
        main,
        [
            "verify",
            "--claim",
            "Twelve workers died in the fire.",
            "--source",
            str(source),
            "--format",
            "json",
        ],
    )
    data = json.loads(as_json.output)
    assert set(data) == {"verdict", "score", "evidence", "findings"}


def test_cli_batch_writes_one_json_line_per_pair_and_reports_bad_lines(tmp_path: Path) -> None:
    batch = tmp_path / "pairs.jsonl"
    lines = [
        {"id": "a", "claim": "Police arrested the factory manager.", "text": SOURCE},
        "this is not json",
        {"id": "c", "claim": "Exports fell sharply last year."},
        {"id": 4, "claim": "Rescue worker Bilal Asif said the blaze spread.", "text": SOURCE},
    ]
    batch.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["verify", "--batch", str(batch), "--format", "json"])
    assert result.exit_code == EXIT_SKIPPED
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 4]
    assert [o["verdict"] for o in out] == ["supported", "not_found"]
    assert all(set(o) == {"id", "verdict", "score", "evidence"} for o in out)
    assert "line 2: not JSON" in result.stderr
    assert "line 3: missing text" in result.stderr


def test_cli_names_a_missing_source_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    result = CliRunner().invoke(main, ["verify", "--claim", "Something.", "--source", str(missing)])
    assert result.exit_code == 1
    assert f"{missing}: file not found" in result.stderr
    usage = CliRunner().invoke(main, ["verify", "--claim", "Something."])
    assert usage.exit_code == 2


def test_batch_keeps_going_after_bad_lines(v: Verifier) -> None:
    results = list(verify_batch(["[1, 2]", "", '{"id": 1, "claim": "Fire.", "source": 3}'], v))
    assert [r.error for r in results] == [
        "expected a JSON object",
        "source must be a string (the article's text)",
    ]


# The brief: wrong citations removed, evidence carried


def _report(header: str, *paragraphs: str) -> str:
    """A report file: header lines, a blank line, then paragraphs."""
    return header + "\n\n" + "\n\n".join(paragraphs) + "\n"


STORY = {
    "1-wire.txt": _report(
        (
            "outlet: Punjab Wire\n"
            "title: Fire destroys textile factory in Faisalabad\n"
            "published: 2026-03-09T09:00:00+05:00"
        ),
        (
            "FAISALABAD, March 9 (PW) — A fire destroyed a textile factory in Faisalabad on "
            "Monday, killing 12 workers, officials said."
        ),
        (
            "It was the third fire at the industrial estate this year, according to the "
            "city's fire service."
        ),
        (
            "Rescue worker Bilal Aslam said the blaze spread quickly through bales of cotton "
            "stored on the ground floor."
        ),
        (
            '"We will rebuild this factory within a year," the owner, Naveed Iqbal, told '
            "reporters outside the gates."
        ),
        "Police arrested the factory manager on Monday evening.",
    ),
    "2-daily.txt": _report(
        (
            "outlet: Lahore Daily\n"
            "title: Twelve dead as fire guts Faisalabad textile mill\n"
            "published: 2026-03-09T13:00:00+05:00"
        ),
        (
            "A fire gutted a textile mill in Faisalabad on Monday and killed 12 workers, "
            "officials said."
        ),
        (
            "It was the second fire at the industrial estate this year, according to the "
            "city's fire service."
        ),
        (
            "Rescue worker Bilal Asif said the blaze spread quickly through bales of cotton "
            "stored on the ground floor."
        ),
        (
            '"We will rebuild it in a few months," the owner, Naveed Iqbal, told reporters '
            "outside the gates."
        ),
        "The provincial government ordered an inquiry into safety at the estate.",
    ),
    "3-times.txt": _report(
        (
            "outlet: Indus Times\n"
            "title: Faisalabad factory fire kills 12\n"
            "published: 2026-03-09T18:30:00+05:00"
        ),
        (
            "Twelve workers were killed when a fire swept through a textile factory in "
            "Faisalabad on Monday, officials said."
        ),
        ("The provincial government ordered an inquiry into safety at the industrial estate."),
        "Police denied that the factory manager was arrested on Monday evening.",
        "Firefighters needed six hours to bring the blaze under control.",
    ),
    "4-herald.txt": _report(
        (
            "outlet: Chenab Herald\n"
            "title: Inquiry ordered after deadly Faisalabad fire\n"
            "published: 2026-03-10T08:00:00+05:00"
        ),
        (
            "The provincial government has ordered an inquiry into safety at the industrial "
            "estate in Faisalabad after Monday's fire, which killed 12 workers."
        ),
        ("Firefighters needed six hours to bring the blaze under control, the fire service said."),
        ("Labour groups have long warned that many factories on the estate lack fire exits."),
    ),
}
# The sentences that the aligner pairs with another report's different version.
WRONG = ("fire at the industrial estate", "Bilal A", "We will rebuild")


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, ...]:
    folder = tmp_path_factory.mktemp("story")
    for name, text in STORY.items():
        (folder / name).write_text(text, encoding="utf-8")
    loaded = load_paths([folder])
    assert not loaded.problems
    return loaded.reports


def _brief(reports: tuple[Report, ...], embedder: Embedder, verify: bool) -> Brief:
    settings = Settings(home=Path("/nonexistent"), verify=verify)
    return make_brief(reports, settings, embedder, now=datetime(2026, 3, 10, tzinfo=PKT))


def _find(brief: Brief, phrase: str) -> BriefSentence:
    return next(
        s for s in brief.sentences if phrase.lower() in s.text.lower() and s.role != "conflict"
    )


def test_without_verification_the_wrong_citations_are_there(
    story: tuple[Report, ...], embedder: Embedder
) -> None:
    brief = _brief(story, embedder, verify=False)
    for phrase in WRONG:
        assert len(_find(brief, phrase).citations) == 2, phrase  # the premise of the next test


def test_verification_removes_wrong_citations_and_keeps_evidence(
    story: tuple[Report, ...], embedder: Embedder
) -> None:
    brief = _brief(story, embedder, verify=True)
    outlets = {s.number: s.outlet for s in brief.sources}
    texts = {r.outlet: r.text for r in story}
    for phrase in WRONG:
        sentence = _find(brief, phrase)
        assert len(sentence.citations) == 1, (phrase, sentence.citations)
        [support] = sentence.support
        assert support.number == sentence.citations[0]
        assert support.verdict == "supported"
        # The evidence is the cited report's own sentence, and the report says what is cited.
        assert support.evidence and support.evidence[0] in texts[outlets[support.number]]
    assert any("removed three citations" in note for note in brief.notes)
    # Every citation of every sentence carries its verdict and evidence.
    for sentence in brief.sentences:
        assert [s.number for s in sentence.support] == sorted(sentence.citations), sentence.text
        assert all(s.verdict == "supported" and s.evidence for s in sentence.support)


def test_a_denial_between_reports_is_stated_as_a_conflict(
    story: tuple[Report, ...], embedder: Embedder
) -> None:
    brief = _brief(story, embedder, verify=True)
    [claim] = [c for c in brief.conflicts if c.kind == "claim"]
    assert claim.about == "what happened"
    values = [v.value for v in claim.values]
    assert values[0].startswith("Police arrested the factory manager")
    assert values[1].startswith("Police denied that the factory manager was arrested")
    [line] = [s for s in brief.body if s.role == "conflict" and "what happened" in s.text]
    assert "one says that police denied" in line.text
    evidence = {s.number: s.evidence[0] for s in line.support}
    assert evidence[claim.values[1].citations[0]].startswith("Police denied")


def test_evidence_is_in_the_json_and_reads_back(
    story: tuple[Report, ...], embedder: Embedder
) -> None:
    brief = _brief(story, embedder, verify=True)
    data = json.loads(render(brief, "json"))
    sentence = next(s for s in data["body"] if "third fire" in s["text"])
    assert sentence["support"] == [
        {
            "number": sentence["citations"][0],
            "verdict": "supported",
            "score": 1.0,
            "evidence": ["It was the third fire at the industrial estate this year, according to "
                         "the city's fire service."],
        }
    ]  # fmt: skip
    assert brief_from_dict(data) == brief
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).parents[1] / "docs" / "brief.schema.json").read_text())
    jsonschema.validate(data, schema)


def test_briefs_without_support_still_read(story: tuple[Report, ...], embedder: Embedder) -> None:
    data = brief_to_dict(_brief(story, embedder, verify=True))
    for sentence in [data["lede"], *data["body"], *data["analysis"]]:
        del sentence["support"]
    assert all(not s.support for s in brief_from_dict(data).sentences)
    data["lede"]["support"] = [{"number": 1, "verdict": "maybe", "score": 1, "evidence": []}]
    with pytest.raises(ValueError, match=r"lede\.support\[0\]\.verdict"):
        brief_from_dict(data)


def test_html_opens_each_citation_on_its_evidence(
    story: tuple[Report, ...], embedder: Embedder
) -> None:
    brief = _brief(story, embedder, verify=True)
    html = render(brief, "html")
    assert "<script" not in html
    sentence = _find(brief, "third fire")
    n = sentence.citations[0]
    outlet = next(src.outlet for src in brief.sources if src.number == n)
    disclosure = (
        f'<details class="ev"><summary class="cite" aria-label="source {n}: {outlet}">{n}'
        '</summary><span class="ev-pop" role="note">'
    )
    quote = (
        '<span class="ev-quote">It was the third fire at the industrial estate this year, '
        "according to the city&#39;s fire service.</span>"
    )
    index = list(brief.sentences).index(sentence)
    where = html.split(f'<span class="s" id="s-{index}">')[1].split('<span class="s" id="s-')[0]
    assert quote in where.split(disclosure, 1)[1].split("</details>")[0]
    # One disclosure per citation of every sentence; none inside a <p>.
    cited = sum(len(s.support) for s in brief.sentences)
    assert html.count('<details class="ev">') == cited
    text = html.split("<article>")[1].split("</h1>")[1].split('<p class="hint">')[0]
    assert "<p" not in text


# Benchmarks (the data is read in place and may be absent)

SUMMEDITS = SHARED_DATA / "summedits-dev"


@pytest.mark.skipif(not SUMMEDITS.is_dir(), reason=f"SummEdits dev data not found at {SUMMEDITS}")
def test_summedits_held_out_balanced_accuracy_beats_the_goal_and_the_peers(v: Verifier) -> None:
    from newsweave_bench.datasets import read_summedits
    from newsweave_bench.summedits import run_summedits

    result = run_summedits(read_summedits(SUMMEDITS), v)
    rows = {r.system: r for r in result.rows}
    assert rows["verifier"].held_out >= 75.0  # leave one article out, through verify_batch
    assert rows["verifier"].held_out > rows["lexical overlap"].held_out
    assert rows["verifier"].held_out > rows["verifier, value checks off"].held_out
    assert len(result.fits) == result.documents == 4


def test_the_benchmark_scores_what_verify_batch_returns(
    v: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every held-out verdict of eval-verify comes from verify_batch, the CLI's function."""
    from newsweave_bench import summedits, verdicts
    from newsweave_bench.datasets import SummEditsItem

    seen: list[str] = []
    real = verdicts.verify_batch

    def spy(lines, verifier):  # type: ignore[no-untyped-def]
        lines = list(lines)
        seen.extend(json.loads(line)["id"] for line in lines)
        yield from real(lines, verifier)

    monkeypatch.setattr(verdicts, "verify_batch", spy)
    other = "Exports of cotton rose sharply last year, the trade ministry said in Karachi."
    items = [
        SummEditsItem("a_1", SOURCE, "A fire gutted a textile mill in Faisalabad.", True, "a"),
        SummEditsItem("a_2", SOURCE, "A fire destroyed a textile mill in Lahore.", False, "a"),
        SummEditsItem("b_1", other, "Cotton exports rose sharply last year.", True, "b"),
        SummEditsItem("b_2", other, "Cotton exports fell sharply last year.", False, "b"),
    ]  # fmt: skip
    result = summedits.run_summedits(items, v)
    # Five verifier rows score each item once per held-out fold, plus the shipped model.
    assert sorted(seen) == sorted(["a_1", "a_2", "b_1", "b_2"] * 5)
    assert {r.system: r.held_out for r in result.rows}["verifier"] == 100.0
    # The CLI gives the same verdicts for the same lines.
    batch = "\n".join(json.dumps({"id": i.id, "claim": i.summary, "text": i.doc}) for i in items)
    out = CliRunner().invoke(main, ["verify", "--batch", "-", "--format", "json"], input=batch)
    cli = {o["id"]: o["verdict"] for o in map(json.loads, out.stdout.splitlines())}
    assert cli == {
        i: r.verdict
        for i, r in verdicts.batch_verdicts(v, [(i.id, i.summary, i.doc) for i in items]).items()
    }


FNC1 = SHARED_DATA / "fnc1-dev"


@pytest.mark.skipif(not FNC1.is_dir(), reason=f"FNC-1 dev data not found at {FNC1}")
def test_fnc1_is_scored_from_verdicts_with_models_fitted_on_other_folds(v: Verifier) -> None:
    from newsweave_bench.datasets import read_fnc1
    from newsweave_bench.fnc1 import run_fnc1

    pairs, bodies = read_fnc1(FNC1)
    result = run_fnc1(pairs, bodies, v, limit=40, peers=False)
    splits = [(r.system, r.split) for r in result.rows]
    assert splits == [
        ("verifier", "5 folds by body"),
        ("verifier", "5 folds by story"),
        ("verifier, rules only (no model)", "unfitted"),
    ]
    assert len(result.thresholds) == 5 and result.peers is None
    assert all(0.0 <= x <= 1.0 for r in result.rows for x in (*r.disagree, *r.agree))


def test_the_shipped_model_reads_back_and_its_trees_are_the_learner_s() -> None:
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    from newsweave.verification.model import (
        FEATURES,
        TREE_SETTINGS,
        VerdictModel,
        fit_trees,
        shipped_model,
    )

    model = shipped_model()
    assert model.contradiction is not None and len(model.contradiction.trees) > 10
    assert VerdictModel.from_json(model.to_json()) == model
    assert 0.0 < model.threshold < 1.0 and "fnc1" in model.fitted
    assert len(FEATURES) == len(set(FEATURES))
    rng = np.random.default_rng(0)
    x = rng.random((600, 4))
    y = x[:, 0] + x[:, 1] * x[:, 2] + 0.3 * rng.random(600) > 0.9
    trees = fit_trees(x, y)
    expected = HistGradientBoostingClassifier(**TREE_SETTINGS).fit(x, y).predict_proba(x)[:, 1]
    assert np.allclose([trees.probability(r) for r in x], expected, atol=1e-5)


def test_benchmark_readers_name_bad_input(tmp_path: Path) -> None:
    from newsweave.errors import InputError
    from newsweave_bench.datasets import read_fnc1, read_summedits

    with pytest.raises(InputError, match=r"no SummEdits \.json file"):
        read_summedits(tmp_path)
    (tmp_path / "bad.json").write_text('[{"id": "x_1", "doc": "d", "summary": "s", "label": "7"}]')
    with pytest.raises(InputError, match="label '7' is not 0 or 1"):
        read_summedits(tmp_path)
    with pytest.raises(InputError, match=r"bodies\.csv: file not found"):
        read_fnc1(tmp_path)
