"""Tests for the Markdown, JSON and HTML renderers."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from newsweave.errors import ConfigError
from newsweave.records import Brief, BriefSentence, Conflict, ConflictValue, Source
from newsweave.render import RENDERERS, citation_marker, format_date, render
from newsweave.render.html import is_web_url, render_html, stylesheet
from newsweave.render.jsonout import SCHEMA, brief_from_dict, brief_to_dict, render_json
from newsweave.render.markdown import render_markdown, sentence_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"

CONFLICT_TEXT = (
    "Reports differ on the epicentre: two outlets say Bishkek [1, 2]; one says Dushanbe [3]."
)


def make_brief(
    headline: str = "Earthquake strikes near the border",
    title: str = "Strong quake hits Central Asia",
    url: str = "https://wire.example/quake?id=1&lang=en",
) -> Brief:
    """A small brief: three sources (one a wire copy), one conflict, one analysis sentence."""
    return Brief(
        headline=headline,
        lede=BriefSentence(
            "A strong earthquake struck near the border early on Friday.", (3, 1, 2), "lede", 4
        ),
        body=(
            BriefSentence("At least 12 people were killed.", (2, 1), "body", 7),
            BriefSentence("Rescue teams reached the valley by noon.", (3,), "body", 8),
            BriefSentence(CONFLICT_TEXT, (1, 2, 3), "conflict", None),
        ),
        conflicts=(
            Conflict(
                kind="place",
                about="the epicentre",
                values=(
                    ConflictValue("Bishkek", ("r-wire", "r-daily"), (1, 2), 1),
                    ConflictValue("Dushanbe", ("r-local",), (3,), 1),
                ),
            ),
        ),
        analysis=(
            BriefSentence("Two of the three reports carry the same wire text.", (1, 2), "analysis"),
        ),
        sources=(
            Source(
                1, "r-wire", "Wire Service", title, url, datetime(2026, 6, 5, 6, 10, tzinfo=UTC)
            ),
            Source(
                2,
                "r-daily",
                "The Daily",
                "Strong quake hits Central Asia",
                "https://daily.example/world/quake",
                datetime(2026, 6, 5, 7, 0, tzinfo=UTC),
                copy_of=1,
            ),
            Source(3, "r-local", "Local Radio", "Quake felt across the valley", "", None),
        ),
        created_at=datetime(2026, 6, 5, 14, 3, tzinfo=UTC),
        independent_sources=2,
        notes=("Only two independent sources.",),
    )


HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"


def hostile_brief() -> Brief:
    """The small brief with script, image and javascript: URL injected into source text."""
    return make_brief(
        headline=f"Quake {HOSTILE_SCRIPT} hits",
        title=f"Quake {HOSTILE_IMG} report",
        url="javascript:alert(1)",
    )


# Shared helpers


def test_citation_marker_sorts_dedupes_and_lists_every_number() -> None:
    assert citation_marker((4, 2, 1, 2, 3)) == "[1, 2, 3, 4]"
    assert citation_marker(()) == ""


def test_format_date() -> None:
    assert format_date(datetime(2026, 6, 5)) == "June 5, 2026"
    assert format_date(None) == "undated"


# Markdown


def test_markdown_structure_and_markers() -> None:
    md = render_markdown(make_brief())
    lines = md.splitlines()
    assert lines[0] == "# Earthquake strikes near the border"
    # Markers stand inside the sentence, before its full stop.
    assert "A strong earthquake struck near the border early on Friday [1, 2, 3]." in md
    assert "At least 12 people were killed [1, 2]." in md
    assert "Rescue teams reached the valley by noon [3]." in md
    # The conflict sentence stands alone, keeps its inline markers and gets no extra one.
    conflict_line = next(line for line in lines if "Bishkek" in line)
    assert conflict_line.endswith(CONFLICT_TEXT)
    assert conflict_line.count("[") == 2
    # Analysis comes after the body and before the sources, with its sentence cited.
    analysis = lines.index("## Analysis")
    sources = lines.index("## Sources")
    assert analysis < sources
    analysis_text = "\n".join(lines[analysis + 1 : sources]).strip()
    assert analysis_text == "Two of the three reports carry the same wire text [1, 2]."
    assert md.endswith("\n") and not md.endswith("\n\n")


def test_wire_copies_are_named_in_the_sources_not_the_prose() -> None:
    brief = make_brief()
    md = render_markdown(brief)
    assert "At least 12 people were killed [1, 2]." in md
    assert ": same wire text)" not in md
    assert "(republishes the wire text of [1])" in md
    html = render_html(brief)
    assert ": same wire text)" not in html


def test_markdown_source_list() -> None:
    md = render_markdown(make_brief())
    source_lines = [line for line in md.splitlines() if re.match(r"\d+\. ", line)]
    assert source_lines == [
        '1. Wire Service — "Strong quake hits Central Asia", June 5, 2026. '
        "https://wire.example/quake?id=1&lang=en",
        '2. The Daily — "Strong quake hits Central Asia", June 5, 2026. '
        "https://daily.example/world/quake (republishes the wire text of [1])",
        '3. Local Radio — "Quake felt across the valley", undated.',
    ]


def test_markdown_every_marker_is_parseable() -> None:
    md = render_markdown(make_brief())
    body = md.split("## Sources")[0]
    groups = re.findall(r"\[(\d+(?:, \d+)*)\]", body)
    assert groups == ["1, 2, 3", "1, 2", "3", "1, 2", "3", "1, 2"]


def test_sentence_markdown() -> None:
    assert sentence_markdown(BriefSentence("It rained.", (2, 1))) == "It rained [1, 2]."
    quoted = BriefSentence('He said: "We agreed."', (1,))
    assert sentence_markdown(quoted) == 'He said: "We agreed" [1].'
    asked = BriefSentence('She asked: "Why now?"', (1,))
    assert sentence_markdown(asked) == 'She asked: "Why now?" [1]'
    assert sentence_markdown(BriefSentence("No stop at the end", (3,))) == "No stop at the end [3]"
    # An abbreviation's point stays with it.
    late = BriefSentence("Flights stopped after 4:30 p.m.", (2,))
    assert sentence_markdown(late) == "Flights stopped after 4:30 p.m. [2]"
    assert (
        sentence_markdown(BriefSentence("Troops left the U.S.", (1,))) == "Troops left the U.S. [1]"
    )
    conflict = BriefSentence("Some say 3 [1]; others 4 [2].", (1, 2), "conflict")
    assert sentence_markdown(conflict) == "Some say 3 [1]; others 4 [2]."
    # A conflict sentence without inline markers still shows its sources.
    bare = BriefSentence("Reports give different tolls.", (2, 1), "conflict")
    assert sentence_markdown(bare) == "Reports give different tolls [1, 2]."


def test_markdown_neutralises_markup_in_source_text() -> None:
    md = render_markdown(hostile_brief())
    # Every "<" that could open a tag is backslash-escaped, so Markdown shows it as text.
    assert re.search(r"(?<!\\)<[A-Za-z/!?]", md) is None
    assert r"\<img src=x onerror=alert(1)>" in md
    assert md.splitlines()[0] == r"# Quake \<script>alert(1)\</script> hits"
    link = BriefSentence("# See [here](javascript:alert(1))\nnow.", (1,))
    assert sentence_markdown(link) == r"\# See \[here](javascript:alert(1)) now [1]."


# JSON


def test_json_layout() -> None:
    text = render_json(make_brief())
    data = json.loads(text)
    assert list(data) == [
        "schema",
        "headline",
        "created_at",
        "independent_sources",
        "lede",
        "body",
        "conflicts",
        "analysis",
        "sources",
        "notes",
    ]
    assert data["schema"] == SCHEMA == "newsweave.brief/1"
    assert data["created_at"] == "2026-06-05T14:03:00+00:00"
    assert data["body"][2] == {
        "text": CONFLICT_TEXT,
        "citations": [1, 2, 3],
        "role": "conflict",
        "claim_id": None,
        "support": [],  # unverified in this fixture
    }
    assert data["sources"][1]["copy_of"] == 1
    assert data["sources"][2]["published"] is None
    assert data["conflicts"][0]["values"][1] == {
        "value": "Dushanbe",
        "citations": [3],
        "report_ids": ["r-local"],
        "independent": 1,
        "evidence": [],
    }
    assert data["conflicts"][0]["strength"] == "hard"
    assert data["conflicts"][0]["running"] is False
    assert text == render_json(make_brief())
    assert text.startswith('{\n  "schema"') and text.endswith("}\n")


def test_json_keeps_non_ascii_text() -> None:
    text = render_json(make_brief(headline="Séisme près de la frontière — 12 morts"))
    assert "Séisme près de la frontière — 12 morts" in text


def test_json_round_trip() -> None:
    for brief in (make_brief(), hostile_brief()):
        assert brief_from_dict(json.loads(render_json(brief))) == brief
    naive = replace(make_brief(), created_at=datetime(2026, 6, 5, 14, 3, 7, 12))
    assert brief_from_dict(brief_to_dict(naive)) == naive


def test_brief_from_dict_rejects_bad_input() -> None:
    data = brief_to_dict(make_brief())
    with pytest.raises(ValueError, match="schema"):
        brief_from_dict({**data, "schema": "newsweave.brief/0"})
    with pytest.raises(ValueError, match="headline"):
        brief_from_dict({k: v for k, v in data.items() if k != "headline"})
    bad_body = [{**data["body"][0], "role": "lede"}]
    with pytest.raises(ValueError, match=r"body\[0\]\.role"):
        brief_from_dict({**data, "body": bad_body})
    with pytest.raises(ValueError, match="created_at"):
        brief_from_dict({**data, "created_at": "yesterday"})


def _schema() -> dict[str, Any]:
    return json.loads((DOCS / "brief.schema.json").read_text(encoding="utf-8"))


def test_json_validates_against_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for brief in (make_brief(), hostile_brief()):
        validator.validate(json.loads(render_json(brief)))
    # The schema is strict enough to catch drift.
    data = json.loads(render_json(make_brief()))
    assert not validator.is_valid({**data, "extra": 1})
    assert not validator.is_valid({**data, "schema": "newsweave.brief/2"})


def test_documented_example_is_valid() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    doc = (DOCS / "schema.md").read_text(encoding="utf-8")
    example = json.loads(re.search(r"```json\n(.*?)```", doc, re.DOTALL).group(1))
    jsonschema.Draft202012Validator(_schema()).validate(example)
    brief = brief_from_dict(example)
    assert brief_to_dict(brief) == example


def test_schema_doc_names_every_field() -> None:
    doc = (DOCS / "schema.md").read_text(encoding="utf-8")
    data = brief_to_dict(make_brief())
    fields = set(data)
    fields |= set(data["lede"]) | set(data["body"][0]) | set(data["sources"][0])
    fields |= set(data["conflicts"][0]) | set(data["conflicts"][0]["values"][0])
    for name in fields:
        assert f"`{name}`" in doc, name


# HTML


class _Page(HTMLParser):
    """Collects tags, ids, and the links inside and outside the source list."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: set[str] = set()
        self.attrs: list[tuple[str, str, str | None, bool]] = []
        self._depth_in_sources = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        in_sources = self._depth_in_sources > 0
        if tag == "ol" and ("class", "source-list") in attrs:
            self._depth_in_sources = 1
        elif in_sources and tag == "ol":
            self._depth_in_sources += 1
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            self.attrs.append((tag, name, value, in_sources))

    def handle_endtag(self, tag: str) -> None:
        if tag == "ol" and self._depth_in_sources:
            self._depth_in_sources -= 1


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_html_escapes_untrusted_text() -> None:
    html = render_html(hostile_brief())
    page = _parse(html)
    assert "script" not in page.tags
    assert "img" not in page.tags
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript:' not in html
    # The unsafe URL is still shown, as text.
    assert "javascript:alert(1)" in html
    assert not any(name.startswith("on") for _, name, _, _ in page.attrs)


def test_html_citations_link_to_sources() -> None:
    html = render_html(make_brief())
    page = _parse(html)
    targets = [
        value for _, name, value, _ in page.attrs if name == "href" and value.startswith("#")
    ]
    assert targets
    for target in targets:
        assert target[1:] in page.ids
    assert {"src-1", "src-2", "src-3"} <= page.ids
    # Each number opens (a <details>) the evidence of its source, with a link to its entry in
    # the evidence list; the last word and the marker never part (.nb is nowrap).
    lede = html.split('<div class="lede para">')[1].split("</div>")[0]
    assert '<span class="nb">Friday <span class="cites">[<details class="ev">' in lede
    assert re.findall(r'<summary class="cite" aria-label="([^"]+)">(\d+)</summary>', lede) == [
        ("source 1: Wire Service", "1"),
        ("source 2: The Daily", "2"),
        ("source 3: Local Radio", "3"),
    ]
    assert re.findall(r'href="#(ev-0-\d)"', lede) == ["ev-0-1", "ev-0-2", "ev-0-3"]
    # The conflict sentence's inline markers open their evidence in place.
    conflict = html.split('<div class="conflict para">')[1].split("</div>")[0]
    assert re.search(
        r'say <span class="nb">Bishkek <span class="cites">\[<details class="ev">'
        r'<summary class="cite" aria-label="source 1: Wire Service">1</summary>.*?</details>, '
        r'<details class="ev"><summary class="cite" aria-label="source 2: The Daily">2</summary>'
        r".*?</details>\]</span></span>;",
        conflict,
    )
    assert re.search(
        r'<span class="nb">Dushanbe <span class="cites">\[<details class="ev">'
        r'<summary class="cite" aria-label="source 3: Local Radio">3</summary>.*?</details>\]'
        r"</span></span>\.",
        conflict,
    )


def test_html_inline_markers_with_unknown_numbers_stay_text() -> None:
    brief = make_brief()
    odd = BriefSentence("Some say 1999 [1999]; others [1].", (1,), "conflict")
    html = render_html(replace(brief, body=(odd,)))
    # [1999] names no source: a plain number, not a link nor a disclosure; [1] opens source 1.
    plain = '<span class="cites">[<span class="cite-plain">1999</span>]</span>'
    assert f'Some say <span class="nb">1999 {plain}</span>' in html
    assert 'href="#src-1999"' not in html and 'aria-label="source 1999' not in html
    assert '; <span class="nb">others <span class="cites">[<details class="ev">' in html


def test_html_structure() -> None:
    html = render_html(make_brief())
    assert html.startswith("<!doctype html>")
    assert '<meta name="viewport"' in html
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">" in html
    )
    assert "prefers-color-scheme: dark" in html
    assert "<article>" in html and "</article>" in html
    assert "<h1>Earthquake strikes near the border</h1>" in html
    assert '<h2 id="analysis-h">Analysis</h2>' in html
    assert html.index("Analysis</h2>") < html.index("Sources</h2>")
    assert "Where outlets disagree" in html and "The epicentre" in html
    assert "June 5, 2026" in html and "undated" in html
    assert "Made by newsweave on" in html and 'datetime="2026-06-05T14:03:00+00:00"' in html
    assert "Republishes the wire text of" in html
    # One design with the reader: its stylesheet, inline, and the same brief markup.
    assert stylesheet() in html and ".cite { display: inline-block; min-width: 24px" in html


def test_html_loads_nothing_external() -> None:
    html = render_html(make_brief())
    page = _parse(html)
    assert "src" not in {name for _, name, _, _ in page.attrs}
    assert not {"script", "link", "iframe", "img", "object", "embed"} & set(page.tags)
    external = [
        (tag, value, in_sources)
        for tag, name, value, in_sources in page.attrs
        if name == "href" and not value.startswith("#")
    ]
    # The two web addresses, in the source list and where evidence names its source.
    in_sources = [(tag, value) for tag, value, inside in external if inside]
    assert in_sources == [
        ("a", "https://wire.example/quake?id=1&lang=en"),
        ("a", "https://daily.example/world/quake"),
    ]
    assert {value for _, value, _ in external} == {value for _, value in in_sources}
    assert html.count('rel="noopener noreferrer nofollow"') == len(external)
    assert "url(" not in html and "@import" not in html


def test_is_web_url() -> None:
    assert is_web_url("https://example.com/a?b=c")
    assert is_web_url("HTTP://example.com")
    for url in ("javascript:alert(1)", " https://x.example", "https://", "data:text/html,x", ""):
        assert not is_web_url(url), url


# Dispatch


def test_render_dispatch() -> None:
    brief = make_brief()
    assert set(RENDERERS) == {"md", "json", "html"}
    assert render(brief, "md") == render_markdown(brief)
    assert render(brief, "json") == render_json(brief)
    assert render(brief, "html") == render_html(brief)


def test_unknown_format_raises_config_error() -> None:
    with pytest.raises(ConfigError, match=r"'pdf'.*md, json, html"):
        render(make_brief(), "pdf")
