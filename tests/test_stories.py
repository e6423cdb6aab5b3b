"""Online story clustering: wire copies, paraphrases, near-miss events, dormancy, cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from newsweave.records import Report
from newsweave.stories.clustering import StoryIndex, StorySettings, lead_text, names
from newsweave.text.embed import Embedder, make_embedder
from newsweave_bench.stories import replay_stream, score_clustering

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def wordllama() -> Embedder:
    return make_embedder("wordllama")


def report(rid: str, title: str, text: str, hours: float | None = 0.0) -> Report:
    when = None if hours is None else T0 + timedelta(hours=hours)
    return Report(id=rid, outlet=f"Outlet {rid}", title=title, text=text, published=when)


QUAKE_PERU = (
    "A magnitude 6.8 earthquake struck southern Peru near the city of Arequipa on Monday, "
    "damaging homes and killing at least four people, Peru's civil defence institute said. "
    "The quake hit at a depth of 40 kilometres, the US Geological Survey said."
)
QUAKE_PERU_2 = (
    "At least four people died when a strong earthquake shook the Arequipa region of southern "
    "Peru on Monday, officials in Lima said. Houses collapsed in several villages and roads "
    "were blocked by landslides, the civil defence institute reported."
)
QUAKE_JAPAN = (
    "A magnitude 6.1 earthquake hit northern Japan off the coast of Aomori on Thursday, "
    "injuring 12 people and halting bullet trains, the Japan Meteorological Agency said. "
    "No tsunami warning was issued, the agency said."
)
FERRY_GREECE = (
    "A ferry carrying 300 passengers ran aground near the Greek island of Naxos on Tuesday "
    "and all on board were taken off safely, the Greek coast guard said. Tugboats were "
    "sent from Piraeus to free the vessel."
)
ELECTION_CHILE = (
    "Chilean voters go to the polls on Sunday to choose a new president, with the former "
    "mayor of Santiago leading the opinion surveys, electoral officials in Valparaiso said."
)


def test_wire_copies_land_in_one_story(wordllama: Embedder) -> None:
    index = StoryIndex(StorySettings(), wordllama)
    ids = index.add_many(
        [
            report("a", "Earthquake kills four in southern Peru", QUAKE_PERU),
            report("b", "Earthquake kills four in southern Peru", QUAKE_PERU, hours=1),
            report("c", "Strong quake kills four in Peru", QUAKE_PERU, hours=2),
        ]
    )
    assert ids == ["s-a", "s-a", "s-a"]


def test_similar_but_different_events_are_kept_apart(wordllama: Embedder) -> None:
    index = StoryIndex(StorySettings(), wordllama)
    ids = index.add_many(
        [
            report("peru", "Earthquake kills four in southern Peru", QUAKE_PERU),
            report("japan", "Earthquake injures 12 in northern Japan", QUAKE_JAPAN, hours=70),
        ]
    )
    assert ids == ["s-peru", "s-japan"]


def test_paraphrased_reports_of_one_event_are_merged(wordllama: Embedder) -> None:
    index = StoryIndex(StorySettings(), wordllama)
    ids = index.add_many(
        [
            report("a", "Earthquake kills four in southern Peru", QUAKE_PERU),
            report("x", "Ferry runs aground off Naxos, passengers rescued", FERRY_GREECE, 1),
            report("b", "Deadly quake shakes Arequipa region", QUAKE_PERU_2, hours=3),
        ]
    )
    assert ids == ["s-a", "s-x", "s-a"]


def test_undated_reports_get_no_time_penalty(wordllama: Embedder) -> None:
    index = StoryIndex(StorySettings(), wordllama)
    ids = index.add_many(
        [
            report("a", "Earthquake kills four in southern Peru", QUAKE_PERU, hours=None),
            report("b", "Deadly quake shakes Arequipa region", QUAKE_PERU_2, hours=None),
        ]
    )
    assert ids == ["s-a", "s-a"]


def test_a_dormant_story_is_closed_and_never_joined_again(wordllama: Embedder) -> None:
    settings = StorySettings(dormant_after=timedelta(days=3))
    index = StoryIndex(settings, wordllama)
    first = index.add(report("a", "Earthquake kills four in southern Peru", QUAKE_PERU))
    assert index.open_story_ids() == ["s-a"]
    # Something else happens five days later: the quake story has gone quiet and closes.
    index.add(report("x", "Ferry runs aground off Naxos", FERRY_GREECE, hours=5 * 24))
    assert index.open_story_ids() == ["s-x"]
    assert index.pop_closed() == ["s-a"]
    # The same quake text arriving now starts a new story rather than reopening the old one.
    late = index.add(report("b", "Earthquake kills four in southern Peru", QUAKE_PERU, 5 * 24))
    assert first == "s-a"
    assert late == "s-b"


def test_a_report_too_far_in_time_cannot_join(wordllama: Embedder) -> None:
    settings = StorySettings(dormant_after=timedelta(days=30), max_gap=timedelta(days=2))
    index = StoryIndex(settings, wordllama)
    ids = index.add_many(
        [
            report("a", "Earthquake kills four in southern Peru", QUAKE_PERU),
            report("b", "Earthquake kills four in southern Peru", QUAKE_PERU, hours=24 * 10),
        ]
    )
    assert ids == ["s-a", "s-b"]


def test_same_order_gives_same_ids(wordllama: Embedder) -> None:
    reports = [
        report("a", "Earthquake kills four in southern Peru", QUAKE_PERU),
        report("j", "Earthquake injures 12 in northern Japan", QUAKE_JAPAN, 1),
        report("x", "Ferry runs aground off Naxos", FERRY_GREECE, 2),
        report("b", "Deadly quake shakes Arequipa region", QUAKE_PERU_2, 3),
        report("e", "Chile votes for a new president", ELECTION_CHILE, 4),
    ]
    runs = [StoryIndex(StorySettings(), wordllama).add_many(reports) for _ in range(2)]
    one_by_one = StoryIndex(StorySettings(), wordllama)
    runs.append([one_by_one.add(r) for r in reports])
    assert runs[0] == runs[1] == runs[2]


def test_open_stories_stay_bounded_as_dormant_ones_close(wordllama: Embedder) -> None:
    texts = [
        ("Earthquake kills four in southern Peru", QUAKE_PERU),
        ("Earthquake injures 12 in northern Japan", QUAKE_JAPAN),
        ("Ferry runs aground off Naxos", FERRY_GREECE),
        ("Chile votes for a new president", ELECTION_CHILE),
    ]
    # 400 reports, 10 a day: every copy of a text meets only its own earlier copies when they
    # are still open, and everything older than three days closes.
    stream = replay_stream(texts, 400, per_day=10)
    index = StoryIndex(StorySettings(), wordllama)
    sizes = []
    for at in range(0, len(stream), 20):
        index.add_many(stream[at : at + 20])
        sizes.append(len(index))
    assert max(sizes) <= 16
    assert len(index._by_row) <= 16  # rows of closed stories are reused, not added


def test_max_open_caps_undated_streams(wordllama: Embedder) -> None:
    index = StoryIndex(StorySettings(max_open=2), wordllama)
    index.add_many(
        [
            report("a", "Earthquake kills four in southern Peru", QUAKE_PERU, None),
            report("j", "Earthquake injures 12 in northern Japan", QUAKE_JAPAN, None),
            report("x", "Ferry runs aground off Naxos", FERRY_GREECE, None),
        ]
    )
    assert index.open_story_ids() == ["s-j", "s-x"]


def test_lead_and_names() -> None:
    r = report("a", "Quake in Peru", "First one. Second two. Third. Fourth. Fifth. Sixth.")
    assert (
        lead_text(r) == "Quake in Peru. Quake in Peru. First one. Second two. Third. Fourth. Fifth."
    )
    assert names("The quake hit Arequipa in Peru's south in 2026, officials said.") == {
        "arequipa",
        "peru",
        "2026",
    }


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        StorySettings(dormant_after=timedelta(0))


def test_scores_of_known_clusterings() -> None:
    perfect = score_clustering(["a", "a", "b"], ["x", "x", "y"])
    assert perfect.bcubed_f1 == pytest.approx(1.0)
    assert perfect.pair_f1 == pytest.approx(1.0)
    assert perfect.ari == pytest.approx(1.0)
    merged = score_clustering(["a", "a", "b"], ["x", "x", "x"])
    assert merged.bcubed_r == pytest.approx(1.0)
    assert merged.bcubed_p == pytest.approx((2 / 3 * 2 + 1 / 3) / 3)
    assert merged.pair_p == pytest.approx(1 / 3)
    assert np.isclose(merged.pair_r, 1.0)


def test_wire_copy_joins_its_original_even_under_a_strict_threshold(wordllama: Embedder) -> None:
    index = StoryIndex(StorySettings(threshold=0.99), wordllama)
    ids = index.add_many(
        [
            report("a", "Earthquake kills four in southern Peru", QUAKE_PERU),
            report("b", "Regional news roundup", QUAKE_PERU, hours=3),
            report("j", "Earthquake injures 12 in northern Japan", QUAKE_JAPAN, hours=4),
        ]
    )
    assert ids == ["s-a", "s-a", "s-j"]
