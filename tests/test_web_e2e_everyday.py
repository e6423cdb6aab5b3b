"""Issue 16 in a real headless Chromium: citation tap targets and line breaks, evidence on a
tap, `newsweave brief --format html` in the reader's design, and what is new since a visit.

Screenshots go to test-artifacts/web/ at the repository root (gitignored), as in
tests/test_web_e2e.py; `-s` prints their paths.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from newsweave.config import Settings
from newsweave.pipeline.library import ingest
from newsweave.render.html import render_html
from newsweave.render.jsonout import brief_from_dict
from newsweave.stories.clustering import StorySettings
from newsweave.text.embed import Embedder, make_embedder

from .conftest import DEMO_DIR
from .test_web_e2e import ARTIFACTS, CHROMIUM, FLAGS, open_page, running_reader, shot
from .webdata import DEMO_STORY, build_home

PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
WIDTHS = {"390": PHONE, "1280": DESKTOP}

# For every citation group (.cites): its first box, the box of the character just before it
# (the end of the word it follows) and the left edge of its paragraph. A group starts a line
# when nothing stands before it on that line.
_MARKER_LINES = """() => {
  const out = [];
  for (const group of document.querySelectorAll('.brief .cites')) {
    const mark = group.getClientRects()[0];
    const holder = group.closest('.nb');
    const word = holder.firstChild;
    let before = null;
    if (word && word.nodeType === Node.TEXT_NODE && word.textContent.trim()) {
      const text = word.textContent.replace(/\\s+$/, '');
      const range = document.createRange();
      range.setStart(word, text.length - 1);
      range.setEnd(word, text.length);
      const r = range.getBoundingClientRect();
      before = {top: r.top, bottom: r.bottom, right: r.right};
    }
    const para = group.closest('.para').getBoundingClientRect();
    out.push({
      text: group.textContent.slice(0, 40),
      mark: {top: mark.top, bottom: mark.bottom, left: mark.left},
      before, paraLeft: para.left,
    });
  }
  return out;
}"""


def assert_no_marker_starts_a_line(page: Page) -> int:
    """Every citation group shares its line with the word before it; how many were checked."""
    groups = page.evaluate(_MARKER_LINES)
    assert groups, "no citation groups on the page"
    for g in groups:
        mark, before = g["mark"], g["before"]
        assert before is not None, f"citation group {g['text']!r} has no word before it"
        # The same line: the word's box and the marker's box overlap vertically.
        assert before["top"] < mark["bottom"] and mark["top"] < before["bottom"], g
        assert mark["left"] >= before["right"] - 1, g
        assert mark["left"] > g["paraLeft"] + 1, g  # not at the start of a line
    return len(groups)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's), driven by Playwright."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[str]:
    """`newsweave serve` over the test stories (tests/webdata.py)."""
    home = tmp_path_factory.mktemp("e2e16") / "home"
    settings = build_home(home, embedder, make_embedder("wordllama"))
    with running_reader(settings.home, tmp_path_factory.mktemp("e2e16-log") / "serve.log") as url:
        yield url


@pytest.mark.parametrize("width", list(WIDTHS))
def test_citation_targets_are_24px_and_never_start_a_line(
    browser: Browser, base_url: str, width: str
) -> None:
    context, page, console = open_page(browser, **WIDTHS[width])
    try:
        page.goto(f"{base_url}/stories/{DEMO_STORY}")
        targets = page.locator(".brief summary.cite, .conflicts a.cite")
        assert targets.count() > 20
        sizes = [targets.nth(i).bounding_box() for i in range(targets.count())]
        small = [(b["width"], b["height"]) for b in sizes if b["width"] < 24 or b["height"] < 24]
        assert not small, f"citation tap targets under 24 x 24 px at {width} px: {small}"
        checked = assert_no_marker_starts_a_line(page)
        assert checked > 8
        shot(page, f"16-citations-{width}", full=True)
    finally:
        context.close()
    assert not [m for m in console if "Content Security Policy" in m or "pageerror" in m]


def test_a_narrow_column_still_keeps_markers_with_their_word(
    browser: Browser, base_url: str
) -> None:
    # Narrower than any phone, so many more lines break: the rule must hold on every one.
    context, page, _ = open_page(browser, viewport={"width": 280, "height": 800})
    try:
        page.goto(f"{base_url}/stories/{DEMO_STORY}")
        assert assert_no_marker_starts_a_line(page) > 8
        shot(page, "16-citations-280", full=True)
    finally:
        context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("script", [True, False], ids=["js", "no-js"])
def test_tapping_a_citation_shows_its_evidence(
    browser: Browser, base_url: str, width: str, script: bool
) -> None:
    options = {**WIDTHS[width], "java_script_enabled": script}
    if width == "390":
        options["has_touch"] = True
    context, page, _ = open_page(browser, **options)
    try:
        page.goto(f"{base_url}/stories/{DEMO_STORY}")
        evidence = page.locator(".lede details.ev .ev-pop").first
        expect(evidence).to_be_hidden()  # nothing shows until tapped: no hover tooltips
        page.locator(".lede summary.cite").first.hover()
        expect(evidence).to_be_hidden()
        cite = page.locator(".lede summary.cite").first
        cite.tap() if width == "390" else cite.click()
        expect(evidence).to_be_visible()
        quote = evidence.locator(".ev-quote").first
        expect(quote).to_be_visible()
        expect(quote).to_contain_text("Bishkek")
        box = evidence.bounding_box()
        viewport = WIDTHS[width]["viewport"]["width"]
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport
        shot(page, f"16-evidence-{width}-{'js' if script else 'no-js'}")
        # A second tap on the number closes it again.
        cite.tap() if width == "390" else cite.click()
        expect(evidence).to_be_hidden()
    finally:
        context.close()


def test_brief_as_html_has_the_readers_design(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    # `newsweave brief --format html` renders the same markup with the same stylesheet: the
    # lede's first citation looks and behaves the same in both.
    brief = brief_from_dict(httpx.get(f"{base_url}/api/stories/{DEMO_STORY}/brief").json())
    page_file = tmp_path / "brief.html"
    page_file.write_text(render_html(brief), encoding="utf-8")
    styles = {}
    for name, url in (("reader", f"{base_url}/stories/{DEMO_STORY}"), ("file", page_file.as_uri())):
        context, page, _ = open_page(browser, **PHONE, has_touch=True, java_script_enabled=False)
        try:
            page.goto(url)
            cite = page.locator(".lede summary.cite").first
            box = cite.bounding_box()
            assert box["width"] >= 24 and box["height"] >= 24
            assert_no_marker_starts_a_line(page)
            cite.tap()
            expect(page.locator(".lede details.ev[open] .ev-pop .ev-quote").first).to_be_visible()
            styles[name] = page.evaluate(
                """() => {
                  const s = getComputedStyle(document.querySelector('.lede summary.cite'));
                  const p = getComputedStyle(document.querySelector('.lede .ev-pop'));
                  return [s.minWidth, s.minHeight, s.color, p.position, p.borderLeftWidth];
                }"""
            )
            shot(page, f"16-design-{name}")
        finally:
            context.close()
    assert styles["reader"] == styles["file"]


# -- what is new since the last visit ----------------------------------------------------------


@pytest.fixture
def growing_home(tmp_path: Path, embedder: Embedder) -> tuple[Settings, Path]:
    """A library holding the first three demo reports; the folder of the other two."""
    settings = Settings(home=tmp_path / "home")
    first, later = tmp_path / "june3", tmp_path / "june5"
    first.mkdir()
    later.mkdir()
    for path in sorted(DEMO_DIR.glob("*.txt")):
        shutil.copy(path, first if path.name[:2] in {"01", "02", "03"} else later)
    run = ingest(
        [first],
        settings,
        StorySettings(threshold=0.34),
        embedder=embedder,
        story_embedder=make_embedder("wordllama"),
    )
    assert len(run.briefs) == 1 and run.briefs[0].version == 1
    return settings, later


def test_whats_new_since_the_last_visit(
    browser: Browser, growing_home: tuple[Settings, Path], embedder: Embedder, tmp_path: Path
) -> None:
    settings, later = growing_home
    with running_reader(settings.home, tmp_path / "serve.log") as url:
        context, page, console = open_page(browser, **DESKTOP)
        try:
            page.goto(url + "/")
            story = page.locator(f'.story-item[data-story="{DEMO_STORY}"]')
            expect(story).to_have_count(1)
            expect(story.locator(".new-badge")).to_be_hidden()  # a first visit: nothing is new
            page.goto(f"{url}/stories/{DEMO_STORY}")
            expect(page.locator(".s.is-new")).to_have_count(0)
            old_text = page.locator(".lede .s").inner_text()
            # Two more reports make version 2 of the brief, through the library.
            run = ingest(
                [later],
                settings,
                StorySettings(threshold=0.34),
                embedder=embedder,
                story_embedder=make_embedder("wordllama"),
            )
            assert [(b.story_id, b.version) for b in run.briefs] == [(DEMO_STORY, 2)]
            added = next(iter(run.briefs)).reports_added
            assert len(added) == 2
            page.goto(url + "/")
            expect(story).to_have_class("story-item is-new")
            expect(story.locator(".new-badge")).to_be_visible()
            shot(page, "16-whats-new-list")
            page.goto(f"{url}/stories/{DEMO_STORY}")
            new = page.locator(".brief .s.is-new")
            assert new.count() >= 1
            expect(page.locator(".whats-new")).to_contain_text("new since you read version 1")
            versions = page.evaluate(
                "[...document.querySelectorAll('.brief .s')].map(s => [s.dataset.since,"
                " s.classList.contains('is-new'), s.querySelector('.new-label') !== null])"
            )
            # Marked exactly: the sentences first in version 2, each with a "New" label.
            assert [v for v in versions if v[0] == "2"] == [["2", True, True]] * new.count()
            assert [v for v in versions if v[0] == "1"]
            assert all(not marked for since, marked, _ in versions if since == "1")
            # The lede was there before: not marked; one of the new sentences is.
            lede = page.locator(".lede .s")
            if lede.get_attribute("data-since") == "1":
                expect(lede).not_to_have_class("s is-new")
                # The same sentence (its citations may have grown).
                assert lede.inner_text().rsplit(" [", 1)[0] == old_text.rsplit(" [", 1)[0]
            shot(page, "16-whats-new-story", full=True)
            # Read once, it is no longer new.
            page.reload()
            expect(page.locator(".brief .s.is-new")).to_have_count(0)
            page.goto(url + "/")
            expect(story.locator(".new-badge")).to_be_hidden()
        finally:
            context.close()
    assert not [m for m in console if "Content Security Policy" in m or "pageerror" in m]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_edition_page_reads_on_a_phone_and_a_desktop(
    browser: Browser, base_url: str, width: str
) -> None:
    context, page, console = open_page(browser, **WIDTHS[width])
    try:
        page.goto(f"{base_url}/edition?since=1w")
        items = page.locator(".edition-item")
        assert items.count() >= 2  # the demo story and the hostile one, briefed this week
        wide = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert wide <= 0, "the edition scrolls sideways"
        assert_no_marker_starts_a_line(page)
        first = items.first.locator("summary.cite").first
        first.click()
        expect(items.first.locator("details.ev[open] .ev-pop")).to_be_visible()
        shot(page, f"16-edition-{width}", full=True)
    finally:
        context.close()
    assert not [m for m in console if "Content Security Policy" in m or "pageerror" in m]
