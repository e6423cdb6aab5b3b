"""The reader's pages and Atom feeds, as served: content, no-JS citations, escaping, feeds."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from copy import deepcopy as copy_element

import feedparser
import lxml.html
import pytest
from fastapi.testclient import TestClient

from newsweave.config import Settings
from newsweave.text.embed import Embedder, make_embedder
from newsweave.web import create_app
from newsweave.web.http import CONTENT_SECURITY_POLICY

from .webdata import (
    DEMO_STORY,
    NO_BRIEF_STORY,
    XSS_OUTLET,
    XSS_SENTENCE,
    XSS_STORY,
    XSS_TITLE,
    XSS_URLS,
    build_home,
    story_count,
)

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def web_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """A data directory holding the test stories (tests/webdata.py)."""
    home = tmp_path_factory.mktemp("pages") / "home"
    return build_home(home, embedder, make_embedder("wordllama"))


@pytest.fixture(scope="module")
def client(web_settings: Settings) -> Iterator[TestClient]:
    """An httpx client talking to the app in process."""
    with TestClient(create_app(web_settings)) as test_client:
        yield test_client


def page(client: TestClient, path: str) -> lxml.html.HtmlElement:
    """A page parsed, after checking it is served as HTML with the security headers."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    return lxml.html.fromstring(response.text)


def texts(doc: lxml.html.HtmlElement, css: str) -> list[str]:
    """The text of each element matching a CSS selector, whitespace collapsed."""
    return [" ".join(el.text_content().split()) for el in doc.cssselect(css)]


def prose(doc: lxml.html.HtmlElement, css: str) -> list[str]:
    """Like texts, without the evidence each citation holds folded (.ev-pop): what one reads."""
    out = []
    for el in doc.cssselect(css):
        copy = copy_element(el)
        for pop in copy.cssselect(".ev-pop"):
            pop.drop_tree()
        out.append(" ".join(copy.text_content().split()))
    return out


# -- the story list ----------------------------------------------------------------------


def test_story_list_shows_newest_first_with_counts_and_badges(client: TestClient) -> None:
    doc = page(client, "/")
    titles = texts(doc, ".story-item h2")
    assert titles[0] == "Pakistan and Iran interior ministers meet on border security"
    assert len(titles) == 20
    first = doc.cssselect(".story-item")[0]
    meta = dict(zip(texts(first, "dt"), texts(first, "dd"), strict=True))
    assert meta["Reports"] == "5" and meta["Independent outlets"] == "4"
    assert meta["First report"].startswith("June 3, 2026, 08:00")
    assert meta["Last report"].startswith("June 5, 2026")
    assert first.cssselect(".badge.conflict")
    assert doc.cssselect(f'a[href="/stories/{DEMO_STORY}"]')
    lonely = next(el for el in doc.cssselect(".story-item") if "Ferry" in el.text_content())
    assert "No brief yet" in lonely.text_content()
    assert f"{story_count()} stories" in texts(doc, ".count")[0]
    # Responsive and light: a viewport, one stylesheet and one deferred script, both hashed.
    assert doc.cssselect('meta[name="viewport"]')
    assert [s.get("src").split("?")[0] for s in doc.cssselect("script")] == ["/static/reader.js"]
    assert all(s.get("defer") is not None for s in doc.cssselect("script"))


def test_story_list_pages(client: TestClient) -> None:
    doc = page(client, "/")
    assert texts(doc, ".pager span") == ["Page 1 of 2"]
    assert doc.cssselect('.pager a[rel="next"]')[0].get("href") == "/?page=2"
    second = page(client, "/?page=2")
    assert len(second.cssselect(".story-item")) == story_count() - 20
    assert second.cssselect('.pager a[rel="prev"]')[0].get("href") == "/"
    assert not second.cssselect('.pager a[rel="next"]')
    assert client.get("/?page=0").status_code == 422


def test_story_list_search(client: TestClient) -> None:
    doc = page(client, "/?q=Dushanbe")
    assert texts(doc, ".story-item h2") == [
        "Pakistan and Iran interior ministers meet on border security"
    ]
    assert doc.cssselect("#q")[0].get("value") == "Dushanbe"
    none = page(client, "/?q=volcano")
    assert not none.cssselect(".story-item")
    assert "No story has every word" in none.text_content()
    archive = page(client, "/?q=archive&page=2")
    assert archive.cssselect('.pager a[rel="prev"]')[0].get("href") == "/?q=archive"


# -- a story ------------------------------------------------------------------------------


def test_story_page_has_brief_conflicts_timeline_sources_and_versions(client: TestClient) -> None:
    doc = page(client, f"/stories/{DEMO_STORY}")
    assert texts(doc, "h1") == ["Pakistan and Iran interior ministers meet on border security"]
    lede = prose(doc, ".lede")[0]
    assert lede.startswith("The interior ministers of Pakistan and Iran met in Bishkek")
    assert "[1, 2, 4]" in lede
    assert any(
        t.startswith("Disagreement: Reports differ on the location")
        for t in prose(doc, ".brief div.conflict")
    )
    assert texts(doc, "#analysis-h") == ["Analysis"]
    # Conflicts panel: each value with its outlets.
    panel = " ".join(texts(doc, "#conflicts"))
    assert "The location (place)" in panel
    assert "Dushanbe, Tajikistan[5]: Pamir Evening Standard" in panel
    assert "Bishkek[1, 2, 3, 4]: Silk Road Wire Service, Highland Courier" in panel
    # Each side quotes the sentence that puts its reports there.
    quotes = texts(doc, "#conflicts blockquote.evidence")
    assert (
        "The interior ministers of Pakistan and Iran met in Dushanbe, Tajikistan, this week for "
        "talks on border security." in quotes
    )
    # Timeline: every report, oldest first, who and when.
    heads = texts(doc, ".timeline-list .t-head")
    assert len(heads) == 5
    assert heads[0].startswith("June 3, 2026, 08:00") and "Silk Road Wire Service [1]" in heads[0]
    assert "Pamir Evening Standard" in heads[-1]
    # Sources: numbered, with safe links.
    sources = doc.cssselect(".source-list > li")
    assert [li.get("id") for li in sources] == [f"src-{n}" for n in range(1, 6)]
    assert sources[0].cssselect("a.url")[0].get("href").startswith("https://silkroadwire.example/")
    assert "Republishes the wire text of [1]" in sources[1].text_content()
    # Versions, newest first, each with what it changed; the older one can be opened.
    versions = doc.cssselect(".version-list > li")
    assert [texts(v, ".v-head strong")[0] for v in versions] == ["Version 2", "Version 1"]
    assert "shown" in versions[0].text_content()
    assert "Reports added: Indus Review" in " ".join(versions[0].text_content().split())
    assert versions[1].cssselect(f'a[href="/stories/{DEMO_STORY}?version=1"]')
    assert doc.cssselect(
        f'link[type="application/atom+xml"][href="/stories/{DEMO_STORY}/feed.atom"]'
    )


def test_every_citation_works_without_javascript(client: TestClient) -> None:
    doc = page(client, f"/stories/{DEMO_STORY}")
    ids = {el.get("id") for el in doc.iter() if el.get("id")}
    # Each citation number is a <details>: it opens its evidence in place with no script,
    # and links to the entry of the evidence list.
    cites = doc.cssselect("details.ev > summary.cite")
    assert len(cites) > 20
    for summary in cites:
        links = summary.getparent().cssselect(".ev-pop .ev-links a[href^='#']")
        assert len(links) == 1 and links[0].get("href")[1:] in ids, links
    for a in doc.cssselect("a.cite"):  # the numbers of the disagreement panel: its sources
        target = a.get("href")
        assert target.startswith("#") and target[1:] in ids, target
    # The lede's first citation leads to the evidence of source 1 for sentence 0: its outlet,
    # date and a link to the original; the evidence list is open when there is no script.
    entry = doc.cssselect("#ev-0-1")[0]
    text = " ".join(entry.text_content().split())
    assert "[1] Silk Road Wire Service, June 3, 2026" in text
    assert entry.cssselect("a.url")[0].get("href").startswith("https://silkroadwire.example/")
    assert doc.cssselect("details#evidence")[0].get("open") is not None
    # Each entry says which sentence it backs, and links back to it.
    back = entry.cssselect(".ev-for a")[0].get("href")
    assert back == "#s-0" and "s-0" in ids


def test_older_version_and_story_without_brief(client: TestClient) -> None:
    doc = page(client, f"/stories/{DEMO_STORY}?version=1")
    assert "You are reading version 1 of this brief" in texts(doc, ".notice")[0]
    assert len(doc.cssselect(".source-list > li")) == 3
    assert len(doc.cssselect(".timeline-list > li")) == 5  # the timeline is the story's now
    lonely = page(client, f"/stories/{NO_BRIEF_STORY}")
    assert texts(lonely, ".no-brief h2") == ["No brief yet"]
    assert "Ferry timetable" in lonely.text_content()


def test_missing_things_are_html_404s(client: TestClient) -> None:
    for path in ["/stories/s-none", f"/stories/{DEMO_STORY}?version=7", "/nothing", "/static/x"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert client.get(f"/stories/{DEMO_STORY}?version=x").status_code == 422


def test_pages_have_etags_and_static_files_are_immutable(client: TestClient) -> None:
    story = client.get(f"/stories/{DEMO_STORY}")
    again = client.get(f"/stories/{DEMO_STORY}", headers={"If-None-Match": story.headers["etag"]})
    assert again.status_code == 304
    doc = lxml.html.fromstring(story.text)
    for href in [
        doc.cssselect("link[rel=stylesheet]")[0].get("href"),
        doc.cssselect("script")[0].get("src"),
    ]:
        asset = client.get(href)
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["x-content-type-options"] == "nosniff"
    assert client.get(href).headers["content-type"].startswith("text/javascript")


# -- untrusted text ------------------------------------------------------------------------


def test_hostile_reports_are_escaped_and_never_linked(client: TestClient) -> None:
    response = client.get(f"/stories/{XSS_STORY}")
    html = response.text
    doc = lxml.html.fromstring(html)
    # Only our own script; no injected element or handler survived as markup.
    assert len(doc.cssselect("script")) == 1
    assert not doc.cssselect("img, iframe, svg, b, object, embed")
    assert not [el for el in doc.iter() if any(a.lower().startswith("on") for a in el.attrib)]
    for a in doc.cssselect("a[href]"):
        href = a.get("href").strip().lower()
        assert href.startswith(("/", "#", "http://", "https://")), href
    # The hostile text is shown as text, exactly as written.
    page_text = doc.text_content()
    assert XSS_TITLE in page_text and XSS_OUTLET in page_text
    assert XSS_SENTENCE.split(" the dam")[0] in page_text
    assert "&lt;script&gt;" in html and "<script>window" not in html
    for url in XSS_URLS:
        assert url.strip() in page_text  # shown, not linked
    assert "not a web address: not linked" in page_text
    # The list and a search that echoes the query escape it too.
    listing = client.get("/", params={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert" not in listing and "&lt;script&gt;alert(1)&lt;/script&gt;" in listing


def test_hostile_reports_in_the_api_are_data(client: TestClient) -> None:
    brief = client.get(f"/api/stories/{XSS_STORY}/brief")
    assert brief.headers["content-type"] == "application/json"
    assert brief.headers["x-content-type-options"] == "nosniff"
    assert brief.json()["sources"][0]["url"] == XSS_URLS[0]


# -- Atom feeds ---------------------------------------------------------------------------


def test_feed_of_all_stories_is_valid_atom(client: TestClient) -> None:
    response = client.get("/feed.atom")
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "newsweave: latest briefs"
    # One entry per story that has a brief (its latest version), newest brief first.
    assert len(feed.entries) == 2
    updated = [e.updated_parsed for e in feed.entries]
    assert updated == sorted(updated, reverse=True)
    demo = next(e for e in feed.entries if "Pakistan" in e.title)
    assert demo.title == "Pakistan and Iran interior ministers meet on border security"
    assert demo.link == f"http://testserver/stories/{DEMO_STORY}"
    assert demo.id == f"tag:testserver,{demo.id.split(',')[1].split(':')[0]}:story/{DEMO_STORY}"
    assert "met in Bishkek" in demo.summary
    assert "Where" not in demo.summary
    content = demo.content[0]
    assert content.type == "text/html"
    assert "Disagreement:" in content.value and "Silk Road Wire Service" in content.value
    assert feed.feed.links[0].href == "http://testserver/feed.atom"


def test_feed_of_one_story_has_every_version(client: TestClient) -> None:
    feed = feedparser.parse(client.get(f"/stories/{DEMO_STORY}/feed.atom").content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) == 2
    newest, oldest = feed.entries
    assert newest.link.endswith("?version=2") and oldest.link.endswith("?version=1")
    assert newest.id != oldest.id
    assert "What changed in version 2" in newest.content[0].value
    assert "The first version, from 3 report(s)" in oldest.content[0].value
    empty = feedparser.parse(client.get(f"/stories/{NO_BRIEF_STORY}/feed.atom").content)
    assert not empty.bozo and empty.entries == []
    assert client.get("/stories/s-none/feed.atom").status_code == 404


def test_feed_with_hostile_text_is_valid_and_escaped(client: TestClient) -> None:
    raw = client.get(f"/stories/{XSS_STORY}/feed.atom").content
    feed = feedparser.parse(raw)
    assert not feed.bozo, feed.get("bozo_exception")
    root = ET.fromstring(raw)
    entry = root.find(f"{ATOM}entry")
    assert entry is not None
    assert entry.findtext(f"{ATOM}title", "").startswith('Dam holds "><script>')
    html = entry.findtext(f"{ATOM}content", "")
    # Inside the HTML of the entry, the report's markup is text: escaped once more.
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html.lower().replace("javascript:window", "")
    assert 'href="javascript' not in html.lower() and 'href="data:' not in html
