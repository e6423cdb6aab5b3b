"""The reader's building blocks: evidence from verified citations, segments, Atom, ETags, cache."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import lxml.html
import pytest

from newsweave.config import Settings
from newsweave.records import Brief, BriefSentence, Conflict, ConflictValue, Source, Support
from newsweave.storage import StoryRow
from newsweave.web import atom, queries, views
from newsweave.web.http import Cached, ResponseCache, cached_body, etag_matches
from newsweave.web.reader import Reader

WHEN = datetime(2026, 6, 5, 6, 10, tzinfo=UTC)
EVIDENCE = "Officials in Bishkek said at least 12 people were killed in the quake."


def make_brief() -> Brief:
    """A brief whose lede is verified against both sources, and a conflict sentence."""
    lede = BriefSentence(
        "At least 12 people were killed.",
        (1, 2),
        role="lede",
        support=(
            Support(2, "contradicted", 0.2, ("Local radio said 40 people died.",)),
            Support(1, "supported", 0.9, (EVIDENCE, "A second sentence of evidence.")),
        ),
    )
    conflict = BriefSentence(
        "Reports differ on the epicentre: one says Bishkek [1]; one says Dushanbe [2].",
        (1, 2),
        role="conflict",
    )
    sources = (
        Source(1, "r1", "Wire Service", "Quake hits", "https://wire.example/q", WHEN),
        Source(2, "r2", "Local Radio", "Quake felt", "javascript:alert(1)", None),
    )
    place = Conflict(
        "place",
        "the epicentre",
        (ConflictValue("Bishkek", ("r1",), (1,), 1), ConflictValue("Dushanbe", ("r2",), (2,), 1)),
    )
    return Brief("Quake", lede, (conflict,), (place,), (), sources, WHEN, 2)


def test_evidence_comes_from_the_support_of_each_citation() -> None:
    view = views.brief_view(make_brief())
    by_id = {e.id: e for e in view.evidence}
    first = by_id["ev-0-1"]
    assert first.quotes == (EVIDENCE, "A second sentence of evidence.")
    assert first.verdict == "supported" and first.source.outlet == "Wire Service"
    assert first.source.link and first.source.when.text == "June 5, 2026"
    second = by_id["ev-0-2"]
    assert second.verdict == "contradicted" and second.quotes == (
        "Local radio said 40 people died.",
    )
    assert not second.source.link  # javascript: is never a link
    # A sentence without support falls back to the cited report's outlet and title.
    unverified = by_id["ev-1-2"]
    assert unverified.quotes == () and unverified.verdict == ""
    assert unverified.source.title == "Quake felt"


def test_conflict_sentence_keeps_its_citations_in_place() -> None:
    view = views.brief_view(make_brief())
    sentence = view.body[0].sentences[0]
    assert view.body[0].conflict
    assert [seg.text for seg in sentence.segments] == [
        "Reports differ on the epicentre: one says Bishkek ",
        "; one says Dushanbe ",
        ".",
    ]
    assert [[c.target for c in seg.cites] for seg in sentence.segments] == [
        ["ev-1-1"],
        ["ev-1-2"],
        [],
    ]
    sides = view.conflicts[0].sides
    assert [(s.value, s.outlets, s.cites[0].target) for s in sides] == [
        ("Bishkek", ("Wire Service",), "src-1"),
        ("Dushanbe", ("Local Radio",), "src-2"),
    ]


def test_story_page_renders_evidence_sentences_and_verdicts(tmp_path: Path) -> None:
    reader = Reader(Settings(home=tmp_path))
    brief = make_brief()
    row = StoryRow("s-1", "Quake", "open", WHEN, WHEN, 2, WHEN, WHEN, 1, 2, True)
    page = views.StoryPage(
        story=views.story_item(row),
        brief=views.brief_view(brief),
        version=1,
        latest_version=1,
        timeline=(),
        versions=(),
    )
    doc = lxml.html.fromstring(reader.render("story.html", page=page))
    entry = doc.get_element_by_id("ev-0-1")
    quotes = [q.text_content() for q in entry.cssselect("blockquote.ev-quote")]
    assert quotes == [EVIDENCE, "A second sentence of evidence."]
    assert entry.cssselect(".verdict")[0].text_content() == "supported"
    assert entry.cssselect("a.url")[0].get("href") == "https://wire.example/q"
    other = doc.get_element_by_id("ev-0-2")
    assert other.cssselect(".verdict")[0].text_content() == "contradicted"
    assert not other.cssselect("a")[:-1]  # only the link back to the sentence
    fallback = doc.get_element_by_id("ev-1-2")
    assert "Cited report: “Quake felt”" in fallback.text_content()
    reader.close()


def test_lead_is_cut_at_a_word() -> None:
    assert views.lead("Short text.") == "Short text."
    cut = views.lead("word " * 100, limit=23)
    assert cut == "word word word word…"


def test_search_words() -> None:
    assert queries.search_words("  Bishkek, border; BISHKEK ") == ["bishkek", "border"]
    assert queries.search_words("%_ !") == ["_"]
    assert len(queries.search_words(" ".join(f"w{i}" for i in range(20)))) == 8


def test_atom_drops_characters_xml_cannot_hold() -> None:
    entry = atom.Entry(
        id=atom.atom_id("story", "s-1"),
        title="Bad \x00\x0b\x1f title \ufffe",
        updated=datetime(2026, 1, 1),  # naive: read as UTC
        link="https://example.test/stories/s-1",
        summary="Text with a \x07 bell",
        content_html="<p>&lt;b&gt;</p>",
    )
    feed = atom.Feed("urn:x", "T", "S", "https://e.test/f", "https://e.test/", (entry,))
    parsed = feedparser.parse(atom.render_atom(feed, "1"))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.entries[0].title == "Bad  title"
    assert parsed.entries[0].updated == "2026-01-01T00:00:00+00:00"
    empty = feedparser.parse(atom.render_atom(atom.Feed("urn:y", "T", "S", "h", "h", ()), "1"))
    assert not empty.bozo and empty.feed.updated.startswith("1970-01-01")
    assert atom.atom_id("story", "s-1") == atom.atom_id("story", "s-1")
    assert atom.atom_id("story", "s-1") != atom.atom_id("story", "s-2")


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        ('"abcd"', False),
    ],
)
def test_etag_matching(header: str | None, matches: bool) -> None:
    assert etag_matches(header, '"abc"') is matches


def test_cache_keeps_the_most_recently_used() -> None:
    cache = ResponseCache(2)
    made: list[str] = []

    def maker(name: str) -> Callable[[], Cached]:
        def make() -> Cached:
            made.append(name)
            return cached_body(name.encode(), "text/plain")

        return make

    cache.get_or_make("a", maker("a"))
    cache.get_or_make("b", maker("b"))
    assert cache.get("a") is not None  # a is now the most recent
    cache.get_or_make("c", maker("c"))  # drops b
    assert cache.get("b") is None and cache.get("a") is not None and len(cache) == 2
    cache.get_or_make("a", maker("a"))
    assert made == ["a", "b", "c"]


def test_cache_keeps_within_its_byte_budget() -> None:
    cache = ResponseCache(100, max_bytes=10)
    cache.get_or_make("a", lambda: cached_body(b"123456", "text/plain"))
    cache.get_or_make("b", lambda: cached_body(b"123456", "text/plain"))
    assert cache.get("a") is None and cache.get("b") is not None and len(cache) == 1
