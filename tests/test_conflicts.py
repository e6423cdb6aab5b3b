"""Disagreements across a whole story: facts compared report against report (texts written here)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsweave.config import Settings
from newsweave.pipeline.briefing import make_brief
from newsweave.records import Brief, Conflict, Report
from newsweave.render import render
from newsweave.text.embed import Embedder
from newsweave.text.values.facts import extract_facts

FRIDAY = datetime(2026, 5, 8, 9, tzinfo=UTC)


def _reports(texts: dict[str, str], published: dict[str, datetime] | None = None) -> list[Report]:
    """One report per outlet; the same time unless given."""
    return [
        Report(
            id=f"r{k}",
            outlet=outlet,
            title=f"Report by {outlet}",
            text=text,
            url=f"https://{k}.example/story",
            published=(published or {}).get(outlet, FRIDAY),
        )
        for k, (outlet, text) in enumerate(texts.items())
    ]


def _brief(texts: dict[str, str], settings: Settings, embedder: Embedder, **kw: object) -> Brief:
    return make_brief(_reports(texts, **kw), settings, embedder)  # type: ignore[arg-type]


def _stated(brief: Brief) -> list[Conflict]:
    return [c for c in brief.conflicts if c.strength == "hard"]


def _values(conflict: Conflict) -> set[str]:
    return {v.value for v in conflict.values}


def test_counts_in_differently_worded_sentences_are_compared(
    settings: Settings, embedder: Embedder
) -> None:
    brief = _brief(
        {
            "Tune Weekly": (
                "The singer, a 16-time Grammy nominee, released her ninth studio album on "
                "Thursday in Los Angeles. She has sold 37 million albums worldwide over a career "
                "of two decades. Her label said the tour would open in Chicago."
            ),
            "Chart Daily": (
                "Her ninth album arrived on Thursday, adding to a career that has brought 17 "
                "Grammy nominations. The singer has sold more than 40 million albums around the "
                "world. Critics praised the record's production and its guest artists."
            ),
        },
        settings,
        embedder,
    )
    found = {frozenset(_values(c)) for c in brief.conflicts}
    assert any({"16-time Grammy nominee", "17 Grammy nominations"} <= v for v in found), found
    albums = next(c for c in brief.conflicts if any("albums" in v for v in _values(c)))
    # "more than 40 million" and "37 million" cannot both be true, but only just: hard.
    assert albums.strength == "hard"
    for conflict in brief.conflicts:
        for value in conflict.values:
            assert value.evidence and len(value.evidence) == len(value.report_ids)


def test_since_years_are_compared(settings: Settings, embedder: Embedder) -> None:
    brief = _brief(
        {
            "Harbour News": (
                "The harbour master has run the port authority since 2008, overseeing its "
                "expansion to three container terminals. He will retire next spring, the "
                "authority said in a statement on Thursday."
            ),
            "Coastal Times": (
                "The harbour master, who has led the port authority since 2016, plans to retire "
                "next spring. The authority said on Thursday that a search for a successor has "
                "begun."
            ),
        },
        settings,
        embedder,
    )
    assert any(_values(c) == {"since 2008", "since 2016"} for c in _stated(brief))


def test_a_quote_and_its_excerpt_do_not_conflict(settings: Settings, embedder: Embedder) -> None:
    brief = _brief(
        {
            "Stage Review": (
                'Accepting the award, the actor said: "Last but not least, I want to thank me '
                'for believing in me." The ceremony was held in Toronto on Thursday evening.'
            ),
            "Film Ledger": (
                'The actor ended his acceptance speech in Toronto on Thursday with "I want to '
                'thank me for believing in me." The audience gave him a standing ovation.'
            ),
        },
        settings,
        embedder,
    )
    assert _stated(brief) == []


def test_strike_lengths_conflict(settings: Settings, embedder: Embedder) -> None:
    brief = _brief(
        {
            "Rail Gazette": (
                "Train drivers began a 48-hour strike on Friday over pay, halting most services "
                "across the country. The union said talks with operators had failed."
            ),
            "Commuter Post": (
                "Train drivers walked out on Friday at the start of a 72-hour strike over pay, "
                "halting most services across the country. Operators said talks would resume."
            ),
        },
        settings,
        embedder,
    )
    [strike] = [c for c in _stated(brief) if "strike" in c.about]
    assert _values(strike) == {"48-hour strike", "72-hour strike"}
    assert strike.about == "the length of the strike"


def test_three_magnitudes_are_one_disagreement_about_the_magnitude(
    settings: Settings, embedder: Embedder
) -> None:
    brief = _brief(
        {
            "Quake Watch": (
                "A magnitude 6.2 earthquake struck the mountain region before dawn on Friday, "
                "damaging hundreds of homes. Rescue teams reached the worst-hit villages by noon."
            ),
            "Valley Herald": (
                "A 6.4-magnitude earthquake struck the mountain region early on Friday, damaging "
                "homes and roads. Rescue teams reached the worst-hit villages by noon."
            ),
            "Summit Daily": (
                "The earthquake, measured at magnitude 6.3, struck the mountain region before "
                "dawn on Friday and damaged hundreds of homes, officials said."
            ),
        },
        settings,
        embedder,
    )
    [quake] = [c for c in _stated(brief) if c.about == "the magnitude"]
    assert len(quake.values) == 3
    assert all(not v.value.startswith(("the number", "earthquakes")) for v in quake.values)


def test_an_outlets_later_figure_supersedes_its_own_earlier_one(
    settings: Settings, embedder: Embedder
) -> None:
    morning = datetime(2026, 5, 9, 8, tzinfo=UTC)
    afternoon = datetime(2026, 5, 9, 15, tzinfo=UTC)
    reports = [
        Report(
            "a1",
            "Lakeside Courier",
            "Ferry capsizes on the lake",
            "Three people were killed when a ferry capsized on Lake Varna on Saturday morning, "
            "police said. Divers were searching the water for survivors.",
            "https://lakeside.example/1",
            morning,
        ),
        Report(
            "a2",
            "Lakeside Courier",
            "Ferry toll rises",
            "Four people were killed when a ferry capsized on Lake Varna on Saturday, police "
            "said, after divers recovered another body in the afternoon.",
            "https://lakeside.example/2",
            afternoon,
        ),
        Report(
            "b1",
            "Regional Wire",
            "Four dead as ferry capsizes",
            "Four people were killed when a ferry capsized on Lake Varna on Saturday, police said. "
            "The ferry was carrying 40 passengers.",
            "https://wire.example/1",
            afternoon,
        ),
    ]
    brief = make_brief(reports, settings, embedder)
    tolls = [c for c in brief.conflicts if c.about == "the death toll"]
    assert tolls and all(c.running for c in tolls)
    [toll] = tolls
    assert [v.value for v in toll.values] == ["three people", "four people"]
    [line] = [s for s in brief.body if s.role in ("conflict", "update")]
    assert line.role == "update"
    assert line.text == (
        "The death toll rose from three people [1] (May 9, 2026, 08:00 UTC) to four people "
        "[2, 3] (May 9, 2026, 15:00 UTC) as reports came in."
    )
    assert "**Update:** The death toll rose" in render(brief, "md")
    assert "disagree" not in brief.analysis[-1].text


def test_compatible_values_are_not_stated(settings: Settings, embedder: Embedder) -> None:
    brief = _brief(
        {
            "Metro Line": (
                "Police detained more than 1,000 protesters in the capital on Saturday during a "
                "march against the new election law. At least 28 people were injured."
            ),
            "City Desk": (
                "Nearly 1,400 protesters were detained in the capital on Saturday during a march "
                "against the new election law, a monitoring group said. 28 people were injured."
            ),
        },
        settings,
        embedder,
    )
    assert _stated(brief) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rescuers freed 12 people on Monday.", ("count", 12.0, "12 people")),
        ("A 30-car pileup closed the road.", ("size", 30.0, "30-car pileup")),
        ("The object was 15m (50ft) long.", ("length", 15.0, "15m")),
        ("Officials counted 2.5 million doses.", ("count", 2.5e6, "2.5 million doses")),
        ("It weighs 17 pounds.", ("mass", 17 * 0.45359237, "17 pounds")),
    ],
)
def test_values_are_read_with_their_unit(text: str, expected: tuple[str, float, str]) -> None:
    unit, value, written = expected
    facts = [f for f in extract_facts(text) if f.kind == "number"]
    assert next((f.unit, round(float(f.value), 6), f.text) for f in facts) == (
        unit,
        round(value, 6),
        written,
    )


def test_ages_are_keyed_by_person() -> None:
    facts = extract_facts(
        "Twenty-eight-year-old Dana Marsh was charged, and Lee Ortiz, 31, was freed."
    )
    ages = {f.owner: f.value for f in facts if f.kind == "age"}
    assert ages == {"Dana Marsh": 28.0, "Lee Ortiz": 31.0}


def test_soft_differences_are_data_and_shown_apart(settings: Settings, embedder: Embedder) -> None:
    brief = _brief(
        {
            "Metro Line": (
                "Police detained more than 1,000 protesters in the capital on Saturday during a "
                "march against the new election law, a monitoring group said."
            ),
            "City Desk": (
                "Nearly 1,400 protesters were detained in the capital on Saturday as thousands "
                "rallied against changes to how elections are run, according to monitors."
            ),
        },
        settings,
        embedder,
    )
    [soft] = brief.conflicts
    assert soft.strength == "soft" and _values(soft) == {
        "more than 1,000 protesters",
        "nearly 1,400 protesters",
    }
    assert not any(s.role == "conflict" for s in brief.body)
    assert "disagree" not in brief.analysis[-1].text
    page = render(brief, "html")
    assert "a small difference: rounding or approximation" in page
    assert '<blockquote class="evidence">Nearly 1,400 protesters were detained' in page


def test_neighbouring_places_are_only_a_soft_difference(
    settings: Settings, embedder: Embedder
) -> None:
    brief = _brief(
        {
            "Front Range Post": (
                "Two students were wounded when a gunman opened fire at a charter school near "
                "Denver on Tuesday afternoon, the sheriff's office said."
            ),
            "Mountain Ledger": (
                "A gunman opened fire at a charter school in Highlands Ranch on Tuesday "
                "afternoon, wounding two students, according to the sheriff's office."
            ),
        },
        settings,
        embedder,
    )
    assert _stated(brief) == []
    assert {c.strength for c in brief.conflicts if c.kind == "place"} <= {"soft"}


def test_the_demo_states_exactly_its_two_disagreements(
    settings: Settings, embedder: Embedder, demo_reports: tuple[Report, ...]
) -> None:
    brief = make_brief(demo_reports, settings, embedder)
    assert sorted((c.about, c.strength, c.running) for c in brief.conflicts) == [
        ("the location", "hard", False),
        ("the number of months", "hard", False),
    ]
    assert sum(s.role == "conflict" for s in brief.body) == 2


def test_a_side_of_copies_from_one_outlet_reads_in_the_singular(
    settings: Settings, embedder: Embedder
) -> None:
    wire = (
        "Train drivers began a 48-hour strike on Friday over pay, halting most services "
        "across the country, the union said in a statement."
    )
    brief = _brief(
        {
            "Rail Wire": wire,
            "Metro Daily": wire,  # the wire text republished word for word
            "Commuter Post": (
                "Train drivers walked out on Friday at the start of a 72-hour strike over pay, "
                "halting most services across the country. Operators said talks would resume."
            ),
        },
        settings,
        embedder,
    )
    [line] = [s.text for s in brief.body if s.role == "conflict"]
    assert "two reports from one independent outlet say 48-hour strike" in line
