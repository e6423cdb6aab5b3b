"""The reader in a real headless Chromium, against `newsweave serve` on 127.0.0.1.

Screenshots are saved to test-artifacts/web/ at the repository root (gitignored). Chromium is
Debian's /usr/bin/chromium, installed by `make test` (never a browser download).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    expect,
    sync_playwright,
)

from newsweave.text.embed import Embedder, make_embedder

from .webdata import DEMO_STORY, WIRE_REPORT, XSS_OUTLET, XSS_STORY, XSS_TITLE, build_home

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "web"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000

if not CHROMIUM.exists():
    # `make test` installs it; in CI a missing browser is a failure, not a skip.
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is missing: run `make browser`", allow_module_level=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_reader(home: Path, log: Path, *extra: str) -> Iterator[str]:
    """`newsweave serve` over the library in home, in its own process; its base URL."""
    port = free_port()
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from newsweave.cli import main; main()",
                "--home",
                str(home),
                "serve",
                "--port",
                str(port),
                *extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                pytest.fail(f"newsweave serve exited: {log.read_text(errors='replace')}")
            try:
                if httpx.get(url + "/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"newsweave serve did not answer: {log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[str]:
    """`newsweave serve` over the test stories, in its own process; its base URL."""
    home = build_home(tmp_path_factory.mktemp("e2e") / "home", embedder, make_embedder("wordllama"))
    log = tmp_path_factory.mktemp("e2e-log") / "serve.log"
    with running_reader(home.home, log) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium, driven by Playwright."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield chromium
        chromium.close()


def open_page(browser: Browser, **context_options: Any) -> tuple[BrowserContext, Page, list[str]]:
    """A new page in a new context, and the list its console messages are collected in."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("console", lambda message: console.append(cast(ConsoleMessage, message).text))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    return context, page, console


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A desktop-sized page; the test fails if a Content-Security-Policy violation is logged."""
    context, new_page, console = open_page(browser, viewport={"width": 1100, "height": 900})
    yield new_page
    context.close()
    assert not [m for m in console if "Content Security Policy" in m or "pageerror" in m]


def shot(page: Page, name: str, *, full: bool = False) -> None:
    """Save a screenshot as a test artefact."""
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    print(f"screenshot: {path}")


def test_story_list_search_and_story(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    expect(page.locator("h1")).to_have_text("Stories")
    first = page.locator(".story-item").first
    expect(first.locator("h2")).to_have_text(
        "Pakistan and Iran interior ministers meet on border security"
    )
    expect(first.locator(".badge.conflict")).to_be_visible()
    shot(page, "01-story-list")
    page.fill("#q", "Dushanbe")
    page.click("form.search button")
    expect(page.locator(".story-item")).to_have_count(1)
    page.click(".story-item h2 a")
    page.wait_for_url(f"**/stories/{DEMO_STORY}")
    expect(page.locator("h1")).to_have_text(
        "Pakistan and Iran interior ministers meet on border security"
    )
    expect(page.locator(".lede")).to_contain_text("met in Bishkek")
    expect(page.locator("#conflicts")).to_contain_text("Dushanbe")
    expect(page.locator(".timeline-list > li")).to_have_count(5)
    # With the script on, the long evidence list starts folded: citations open theirs in place.
    assert page.locator("details#evidence").get_attribute("open") is None
    shot(page, "02-story", full=True)


def open_first_citation(page: Page, base_url: str) -> Locator:
    """Open the story, tap the lede's first citation, and return the evidence it opened."""
    page.goto(f"{base_url}/stories/{DEMO_STORY}")
    cite = page.locator(".lede summary.cite").first
    cite.click()
    evidence = page.locator(".lede details.ev[open] .ev-pop")
    expect(evidence).to_have_count(1)
    expect(evidence).to_be_visible()
    return evidence


def test_citation_opens_in_place_with_outlet_date_and_link(page: Page, base_url: str) -> None:
    evidence = open_first_citation(page, base_url)
    expect(evidence).to_contain_text("Silk Road Wire Service")
    expect(evidence).to_contain_text("June 3, 2026")
    link = evidence.locator("a.url")
    assert link.get_attribute("href").startswith("https://silkroadwire.example/")
    # In place: the evidence sits just below the citation's line, not at the evidence list.
    cite_box = page.locator(".lede summary.cite").first.bounding_box()
    pop_box = evidence.bounding_box()
    assert 0 <= pop_box["y"] - (cite_box["y"] + cite_box["height"]) < 40
    assert page.evaluate("window.location.hash") == ""
    shot(page, "03-citation-open")
    # One open at a time (reader.js); Escape closes it.
    page.locator(".lede summary.cite").nth(1).click()
    expect(page.locator("details.ev[open]")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator("details.ev[open]")).to_have_count(0)


def test_citation_shows_the_evidence_sentence(page: Page, base_url: str) -> None:
    evidence = open_first_citation(page, base_url)
    quotes = evidence.locator(".ev-quote")
    assert quotes.count() >= 1, (
        "the citation shows no evidence sentence: briefs must carry the verifier's support"
    )
    report = httpx.get(f"{base_url}/api/reports/{WIRE_REPORT}").json()
    source_text = " ".join(report["text"].split())
    first = " ".join(quotes.first.inner_text().split())
    assert first and first in source_text  # a sentence of the cited report itself
    assert "Bishkek" in " ".join(quotes.all_inner_texts())
    shot(page, "03b-citation-evidence")


def test_citations_work_without_javascript(browser: Browser, base_url: str) -> None:
    context, page, _ = open_page(
        browser, java_script_enabled=False, viewport={"width": 1100, "height": 900}
    )
    try:
        page.goto(f"{base_url}/stories/{DEMO_STORY}")
        # A <details> opens with no script at all.
        page.locator(".lede summary.cite").first.click()
        evidence = page.locator(".lede details.ev[open] .ev-pop")
        expect(evidence).to_be_visible()
        expect(evidence).to_contain_text("Silk Road Wire Service")
        shot(page, "04-citation-without-javascript")
        # And it links to its entry in the evidence list, which is open without the script.
        evidence.get_by_text("In the evidence list").click()
        page.wait_for_url("**#ev-0-1")
        entry = page.locator("#ev-0-1")
        expect(entry).to_be_visible()
        expect(entry).to_contain_text("Silk Road Wire Service")
        shot(page, "04b-evidence-list-without-javascript")
    finally:
        context.close()


def test_readable_on_a_phone(browser: Browser, base_url: str) -> None:
    context, page, _ = open_page(
        browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    try:
        page.goto(f"{base_url}/stories/{DEMO_STORY}")
        wide = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert wide <= 0, "the page scrolls sideways on a phone"
        page.locator(".lede summary.cite").first.tap()
        evidence = page.locator(".lede details.ev[open] .ev-pop")
        evidence.scroll_into_view_if_needed()
        box = evidence.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert box["height"] <= 844
        wide = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert wide <= 0, "open evidence makes the page scroll sideways"
        shot(page, "05-phone-citation")
        page.goto(base_url + "/")
        shot(page, "05-phone-list")
    finally:
        context.close()


# Every element with an on* attribute, every link that is not http(s), every script.
_DOM_AUDIT = """() => {
  const handlers = [...document.querySelectorAll('*')].filter(
    el => [...el.attributes].some(a => a.name.toLowerCase().startsWith('on'))).length;
  const badLinks = [...document.querySelectorAll('a[href], area[href]')]
    .filter(a => !['http:', 'https:'].includes(a.protocol)).map(a => a.getAttribute('href'));
  const scripts = [...document.querySelectorAll('script')].map(s => s.getAttribute('src'));
  const embeds = document.querySelectorAll('iframe, object, embed, img, svg').length;
  const xss = window.__xss === undefined ? null : String(window.__xss);
  return {handlers, badLinks, scripts, embeds, xss};
}"""


def test_hostile_reports_render_inert(browser: Browser, base_url: str) -> None:
    # CSP is bypassed here, so this tests the escaping itself: with CSP on, an injected
    # script would be blocked even if escaping failed.
    context, page, console = open_page(
        browser, bypass_csp=True, viewport={"width": 1100, "height": 900}
    )
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        for path in [
            f"/stories/{XSS_STORY}",
            f"/stories/{XSS_STORY}?version=1",
            "/",
            "/?q=%3Cscript%3Ewindow.__xss%3D%27q%27%3C%2Fscript%3E",
            "/?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
        ]:
            page.goto(base_url + path)
            if path.startswith("/stories/"):
                for cite in page.locator("summary.cite").all():
                    cite.click()
                    page.locator("details.ev[open] .ev-pop").hover()
                    page.keyboard.press("Escape")
                page.mouse.move(5, 5)
            audit = page.evaluate(_DOM_AUDIT)
            assert audit["xss"] is None, (path, audit)
            assert audit["handlers"] == 0, (path, audit)
            assert audit["badLinks"] == [], (path, audit)
            assert audit["embeds"] == 0, (path, audit)
            assert [s.split("?")[0] for s in audit["scripts"]] == ["/static/reader.js"], path
        page.goto(f"{base_url}/stories/{XSS_STORY}")
        body = page.locator("body").inner_text()
        assert XSS_TITLE in body and XSS_OUTLET in body  # shown as text, exactly
        assert "javascript:window.__xss=3" in body  # the URL is shown, not linked
        page.locator("summary.cite").first.click()
        shot(page, "06-hostile-reports", full=True)
        assert dialogs == []
        assert not [m for m in console if "pageerror" in m]
    finally:
        context.close()
