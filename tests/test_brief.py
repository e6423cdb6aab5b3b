"""The demo brief keeps the contract: cited, conflicts stated, dated, no repeats, analysis."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest

from newsweave.config import Settings
from newsweave.pipeline.briefing import make_brief
from newsweave.records import Brief, Report
from newsweave.render import render
from newsweave.render.layout import split_end
from newsweave.text.embed import Embedder, make_embedder

_WORD = re.compile(r"[a-z0-9]+")
_STOP = set(
    "a an the and or but of to in on at for with by from as is are was were be been has have had "
    "that this these those it its they their he she his her we our said says also will".split()
)
_ATTRIBUTION = re.compile(r"^According to a report by .+? published \w+ \d+, \d{4}, ")
_RESOLVED = re.compile(
    r"\b(?:in the week of|on|in) (?:\w+day(?: \w+)?, )?\w+ \d{1,2}, \d{4},?|\b\w+day(?=, \w+ \d)"
)
_RELATIVE = re.compile(
    r"\b(?:this|last|next) (?:week|month|year)\b|\b(?:yesterday|today|tomorrow|tonight)\b"
    r"|\bon (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b(?!, \w+ \d)",
    re.IGNORECASE,
)


def content(text: str) -> set[str]:
    return set(_WORD.findall(text.lower())) - _STOP


@pytest.fixture(scope="module")
def brief(demo_reports: tuple[Report, ...]) -> Brief:
    settings = Settings(home=__import__("pathlib").Path("/nonexistent"))
    return make_brief(demo_reports, settings, make_embedder("hybrid"), now=datetime.now(UTC))


def test_venue_conflict_states_one_against_many_and_cites_both_sides(brief: Brief) -> None:
    [place] = [c for c in brief.conflicts if c.kind == "place"]
    values = {v.value: v for v in place.values}
    assert values["Bishkek"].independent == 3  # wire + its copy count once
    assert values["Dushanbe, Tajikistan"].independent == 1
    outlets = {s.number: s.outlet for s in brief.sources}
    assert [outlets[n] for n in values["Dushanbe, Tajikistan"].citations] == [
        "Pamir Evening Standard"
    ]
    [sentence] = [s for s in brief.body if s.role == "conflict" and "Dushanbe" in s.text]
    bishkek = ", ".join(map(str, values["Bishkek"].citations))
    dushanbe = ", ".join(map(str, values["Dushanbe, Tajikistan"].citations))
    assert f"three independent outlets say Bishkek [{bishkek}]" in sentence.text
    assert f"one says Dushanbe, Tajikistan [{dushanbe}]" in sentence.text


def test_every_sentence_is_cited_with_valid_numbers(brief: Brief) -> None:
    numbers = {s.number for s in brief.sources}
    for sentence in brief.sentences:
        assert sentence.citations, sentence.text
        assert set(sentence.citations) <= numbers


# Who says what in the demo reports, written down when the reports were written: a phrase of a
# claim -> (outlets that must be cited, outlets that may be cited).
WIRE, COPY, LEDGER, STANDARD, REVIEW = (
    "Silk Road Wire Service",
    "Highland Courier",
    "Caspian Ledger",
    "Pamir Evening Standard",
    "Indus Review",
)
GOLD = {
    "met in Bishkek": ({WIRE, COPY}, {WIRE, COPY, LEDGER, REVIEW}),
    "met in Dushanbe": ({STANDARD}, {STANDARD}),
    "joint working group": (set(), {WIRE, COPY, LEDGER, STANDARD, REVIEW}),
    "every three months": ({WIRE, COPY}, {WIRE, COPY, LEDGER, REVIEW}),
    "every two months": ({STANDARD}, {STANDARD}),
    "narcotics": ({WIRE, COPY}, {WIRE, COPY}),
    "cooperation against fuel smuggling": ({STANDARD}, {STANDARD, WIRE, COPY}),
    "security conference": ({WIRE, COPY}, {WIRE, COPY, LEDGER}),
    "hotline": ({REVIEW}, {REVIEW}),
    "900 kilometres": ({WIRE, COPY}, {WIRE, COPY}),
    "rather than by the military": ({REVIEW}, {REVIEW}),
    "closer coordination": ({LEDGER}, {LEDGER, REVIEW}),
    "how the working group would be staffed": ({STANDARD}, {STANDARD}),
}


def test_citations_match_who_says_what(brief: Brief) -> None:
    outlets = {s.number: s.outlet for s in brief.sources}
    checked = 0
    for sentence in brief.sentences:
        if sentence.role == "conflict" or sentence.claim_id is None:
            continue  # conflict sides and the coverage sentence are checked elsewhere
        phrase = next(p for p in GOLD if p in sentence.text)  # every sentence is in the gold
        required, allowed = GOLD[phrase]
        cited = {outlets[n] for n in sentence.citations}
        assert required <= cited <= allowed, (sentence.text, sorted(cited))
        checked += 1
    assert checked >= 5


def test_coverage_sentence_cites_every_report(brief: Brief) -> None:
    [coverage] = [s for s in brief.analysis if s.claim_id is None]
    assert coverage.citations == tuple(s.number for s in brief.sources)
    assert "five reports from four independent sources" in coverage.text


def test_conflict_sides_are_held_by_the_cited_reports(
    brief: Brief, demo_reports: tuple[Report, ...]
) -> None:
    ids = {r.id: r for r in demo_reports}
    reports = {s.number: ids[s.report_id] for s in brief.sources}
    for conflict in brief.conflicts:
        for value in conflict.values:
            first = value.value.split(",")[0].lower()
            for number in value.citations:
                assert first in reports[number].text.lower(), (value.value, number)


def test_no_two_sentences_repeat_each_other(brief: Brief) -> None:
    texts = [s.text for s in brief.sentences]
    assert len(texts) == len(set(texts))
    conflicts = [(c.kind, tuple(v.value for v in c.values)) for c in brief.conflicts]
    assert len(conflicts) == len(set(conflicts))
    reporting = [s.text for s in brief.sentences if s.role != "conflict"]
    for a, b in itertools.combinations(reporting, 2):
        wa, wb = content(a), content(b)
        assert len(wa & wb) / len(wa | wb) < 0.5, (a, b)


def test_syndicated_copy_counts_once(brief: Brief) -> None:
    assert brief.independent_sources == 4
    copies = [s for s in brief.sources if s.copy_of is not None]
    assert [(s.outlet, s.copy_of) for s in copies] == [("Highland Courier", 1)]
    assert brief.sources[0].outlet == "Silk Road Wire Service"


def test_relative_times_resolved_to_dates(brief: Brief) -> None:
    text = " ".join(s.text for s in brief.sentences)
    assert not _RELATIVE.search(text), _RELATIVE.search(text)
    assert "in the week of June 1, 2026" in brief.lede.text


def test_reporting_is_plain_prose_and_views_name_their_outlet(brief: Brief) -> None:
    # Provenance is in the markers: no reporting sentence opens on an attribution template.
    for sentence in (brief.lede, *brief.body):
        assert not _ATTRIBUTION.match(sentence.text)
        assert " also reported that " not in sentence.text
    # An interpretation says whose view it is, in its own words or by its outlet.
    outlets = {s.number: s.outlet for s in brief.sources}
    for sentence in brief.analysis[:-1]:
        own = re.search(r"\b(?:said|says|say|according to)\b", sentence.text, re.IGNORECASE)
        named = any(outlets[n] in sentence.text for n in sentence.citations)
        assert own or named, sentence.text


def test_analysis_is_labelled_cited_and_apart(brief: Brief) -> None:
    assert brief.analysis and all(s.role == "analysis" and s.citations for s in brief.analysis)
    markdown = render(brief, "md")
    analysis_at = markdown.index("\n## Analysis\n")
    assert markdown.index("\n## Sources\n") > analysis_at
    for sentence in brief.analysis:
        body, _ = split_end(sentence.text)
        assert markdown.find(body, analysis_at) > analysis_at
    body_texts = {s.text for s in (brief.lede, *brief.body)}
    assert not body_texts & {s.text for s in brief.analysis}


def test_lexical_fallback_keeps_the_contract(
    demo_reports: tuple[Report, ...], settings: Settings
) -> None:
    brief = make_brief(demo_reports, settings, make_embedder("lexical"))
    assert all(s.citations for s in brief.sentences)
    assert {c.kind for c in brief.conflicts} >= {"place"}


def test_word_budget_is_respected(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    brief = make_brief(demo_reports, settings.with_(max_words=40), embedder)
    body = [s for s in (brief.lede, *brief.body) if s.role != "conflict"]
    assert len(body) >= 1
    assert sum(len(s.text.split()) for s in body[1:]) <= 40 or len(body) == 1


def flood_reports() -> list[Report]:
    """Three outlets on one flood; one gives another death toll."""
    texts = {
        "Valley Post": (
            "At least 12 people died when floods swept through the town of Arles on Sunday, "
            "officials said. Rescue teams evacuated 300 residents from the old quarter."
        ),
        "River Times": (
            "Floods killed 12 people in the town of Arles on Sunday, according to officials. "
            "The regional governor declared a state of emergency."
        ),
        "Coast Daily": (
            "At least 40 people died when floods swept through the town of Arles on Sunday, "
            "local media reported. Schools will stay closed until Wednesday."
        ),
    }
    return [
        Report(
            id=f"flood-{k}",
            outlet=outlet,
            title=f"Deadly floods in Arles ({outlet})",
            text=text,
            url=f"https://{k}.example/flood",
            published=datetime(2026, 3, 9, 8, tzinfo=UTC),
        )
        for k, (outlet, text) in enumerate(texts.items())
    ]


def test_death_toll_conflict_and_no_citation_to_the_other_figure(
    settings: Settings, embedder: Embedder
) -> None:
    brief = make_brief(flood_reports(), settings, embedder)
    numbers = {s.outlet: s.number for s in brief.sources}
    [toll] = [c for c in brief.conflicts if c.kind == "number"]
    assert toll.about == "the death toll"
    sides = {v.value: v.citations for v in toll.values}
    assert sides == {
        "at least 12 people": (numbers["Valley Post"], numbers["River Times"]),
        "at least 40 people": (numbers["Coast Daily"],),
    }
    for sentence in brief.sentences:
        if sentence.role in ("body", "lede") and "12 people" in sentence.text:
            assert numbers["Coast Daily"] not in sentence.citations
        if sentence.role in ("body", "lede") and "40 people" in sentence.text:
            assert sentence.citations == (numbers["Coast Daily"],)
    # Sunday before Monday, March 9, 2026 is March 8; Wednesday after it is March 11.
    text = " ".join(s.text for s in brief.sentences)
    assert "Sunday, March 8, 2026" in text
    assert "on Sunday " not in text and "on Sunday." not in text


def test_reporting_never_asserts_the_minority_side(brief: Brief) -> None:
    for sentence in (brief.lede, *brief.body):
        if sentence.role != "conflict":
            assert "Dushanbe" not in sentence.text and "two months" not in sentence.text


def test_a_headline_carries_no_dateline(settings: Settings, embedder: Embedder) -> None:
    texts = [
        "A winter storm closed highways across the state on Friday, the patrol said.",
        "Highways across the state were closed on Friday as a winter storm moved east.",
    ]
    reports = [
        Report(
            id=f"s{k}",
            outlet=f"Outlet {k}",
            title="(CNN) -- Winter storm closes highways across the state",
            text=text,
        )
        for k, text in enumerate(texts)
    ]
    brief = make_brief(reports, settings, embedder)
    assert brief.headline == "Winter storm closes highways across the state"
