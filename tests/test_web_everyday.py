"""Issue 16, the reader and feeds: the story list's lede, outlets and age; stable titles;
accent-insensitive search on both backends; the /api page as HTML; installation-unique
Atom ids with published times; JSON Feed 1.1; and `newsweave edition`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import jsonschema
import lxml.html
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from newsweave.cli import main
from newsweave.config import Settings
from newsweave.errors import ConfigError
from newsweave.pipeline.library import brief_changes
from newsweave.records import Brief, BriefSentence, Report, Source
from newsweave.render.edition import (
    make_edition,
    parse_period,
    parse_since,
    render_edition_html,
    render_edition_json,
    render_edition_markdown,
)
from newsweave.render.jsonout import render_json
from newsweave.storage.store import Store
from newsweave.text.embed import Embedder, make_embedder
from newsweave.text.fold import fold, same_news
from newsweave.web import create_app, queries

from .webdata import DEMO_STORY, NO_BRIEF_STORY, build_home

NOW = datetime.now(UTC).replace(microsecond=0)

# -- building stories by hand: briefs with chosen ledes, headlines and times ----------------


def report(n: int, outlet: str, text: str, title: str = "", hours_ago: float = 5) -> Report:
    """A report published hours_ago before NOW."""
    return Report(
        id=f"r{n}",
        outlet=outlet,
        title=title or f"Report {n}",
        text=text,
        url=f"https://news{n}.example/{n}",
        published=NOW - timedelta(hours=hours_ago),
    )


def brief_of(
    headline: str, lede: str, body: list[str], reports: list[Report], made: datetime
) -> Brief:
    """A brief citing every report for its lede and the first report for each body sentence."""
    numbers = tuple(range(1, len(reports) + 1))
    sources = tuple(
        Source(n, r.id, r.outlet, r.title, r.url, r.published)
        for n, r in enumerate(reports, start=1)
    )
    return Brief(
        headline,
        BriefSentence(lede, numbers, role="lede"),
        tuple(BriefSentence(text, (1,)) for text in body),
        (),
        (),
        sources,
        made,
        len(reports),
    )


def save(db: Store, story_id: str, brief: Brief) -> int:
    """Store a brief as the story's next version, with what changed, as ingest does."""
    versions = db.story_briefs(story_id)
    ids = [s.report_id for s in brief.sources]
    changes = brief_changes(versions[-1] if versions else None, brief, ids)
    return db.save_story_brief(story_id, brief, render_json(brief), changes)


def grow(db: Store, story_id: str, reports: list[Report]) -> None:
    """Add reports and put them in the story."""
    db.add_reports(reports)
    db.assign([(r.id, story_id) for r in reports])


# -- 3. a story's title is stable while its news is -----------------------------------------

LEDE = "A strong earthquake struck near Valparaíso early on Friday, officials said."


def test_title_stays_while_the_lede_tells_the_same_news(database_url: str) -> None:
    with Store.open(database_url) as db:
        first = [report(1, "Wire", LEDE, "Quake near Valparaíso")]
        grow(db, "s-q", first)
        save(db, "s-q", brief_of("Quake strikes near Valparaíso", LEDE, [], first, NOW))
        assert db.story("s-q").title == "Quake strikes near Valparaíso"
        # A report that does not change the lede: the headline the new brief would give is
        # another outlet's wording, but the story keeps the title readers know it by.
        second = [*first, report(2, "Daily", "Rescuers reached the town by noon.")]
        grow(db, "s-q", second[1:])
        same = LEDE.replace("early on Friday", "on Friday")
        save(db, "s-q", brief_of("Earthquake hits Chile", same, ["Rescuers came."], second, NOW))
        assert db.story("s-q").title == "Quake strikes near Valparaíso"
        # A report that changes the news: a new lede, so the title follows the new headline.
        third = [*second, report(3, "Radio", "A tsunami warning was issued for the coast.")]
        grow(db, "s-q", third[2:])
        new = "A tsunami warning was issued for the whole Chilean coast after the quake."
        save(db, "s-q", brief_of("Tsunami warning after Chile quake", new, [], third, NOW))
        assert db.story("s-q").title == "Tsunami warning after Chile quake"
        # The stored versions keep their own headlines.
        assert [b.headline for b in db.story_briefs("s-q")] == [
            "Quake strikes near Valparaíso",
            "Earthquake hits Chile",
            "Tsunami warning after Chile quake",
        ]


def test_same_news_rule() -> None:
    assert same_news(LEDE, LEDE)
    assert same_news(LEDE, LEDE.replace("officials said", "the authorities said"))
    assert not same_news(LEDE, "A tsunami warning was issued for the coast after the quake.")
    assert not same_news("", LEDE)


# -- 4. accent- and case-insensitive search on SQLite and PostgreSQL ------------------------


def test_fold() -> None:
    assert fold("VALPARAÍSO") == fold("Valparaiso") == "valparaiso"
    assert fold("Straße Ærø") == "strasse ærø"
    assert queries.search_words("Valparaíso, BISHKEK; valparaiso") == ["valparaiso", "bishkek"]


def test_search_ignores_accents_and_case(database_url: str) -> None:
    with Store.open(database_url) as db:
        grow(db, "s-accent", [report(1, "Wire", "Aftershocks shook Valparaíso overnight.")])
        grow(db, "s-upper", [report(2, "Daily", "PORT OF VALPARAISO CLOSED AFTER QUAKE.")])
        grow(db, "s-other", [report(3, "Radio", "Markets opened higher in Santiago.")])
        # A story found by the headline of its brief (its title), not only by its reports.
        grow(db, "s-title", [report(4, "Gazette", "The town council met on Monday.")])
        brief = brief_of("Café owners in Münster protest", "The council met.", [], [], NOW)
        save(db, "s-title", brief)
        with db._reading() as conn:

            def found(query: str) -> set[str]:
                ids, total = queries.search_stories(conn, queries.search_words(query), 10, 0)
                assert total == len(ids)
                return set(ids)

            assert found("Valparaiso") == {"s-accent", "s-upper"}
            assert found("valparaíso") == {"s-accent", "s-upper"}
            assert found("VALPARAÍSO closed") == {"s-upper"}
            assert found("cafe MUNSTER") == {"s-title"}
            assert found("santiago") == {"s-other"}
            assert found("50%_off") == set()  # LIKE's wildcards are taken literally


def test_search_text_is_built_for_a_library_made_before_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with Store.open(path) as db:
        grow(db, "s-1", [report(1, "Wire", "Crowds gathered in Bogotá.")])
        with db._transaction("forget the search text") as conn:
            conn.execute("DROP TABLE report_search")
            conn.execute("DROP TABLE story_search")
            conn.execute("DELETE FROM _migrations WHERE name = 'm008_search'")
    with Store.open(path) as db, db._reading() as conn:  # m008_search runs again
        assert queries.search_stories(conn, ["bogota"], 10, 0) == (["s-1"], 1)


# -- the reader over the test stories (tests/webdata.py) ------------------------------------


@pytest.fixture(scope="module")
def web_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """A data directory holding the test stories, served from https://news.example.org/."""
    home = tmp_path_factory.mktemp("everyday") / "home"
    settings = build_home(home, embedder, make_embedder("wordllama"))
    return settings.with_(base_url="https://news.example.org/")


@pytest.fixture(scope="module")
def client(web_settings: Settings) -> Iterator[TestClient]:
    """An httpx client talking to the app in process."""
    with TestClient(create_app(web_settings)) as test_client:
        yield test_client


def test_story_list_shows_lede_outlets_and_age(client: TestClient) -> None:
    doc = lxml.html.fromstring(client.get("/").text)
    demo = doc.cssselect(f'.story-item[data-story="{DEMO_STORY}"]')[0]
    lede = demo.cssselect(".story-lede")[0].text_content()
    assert lede.startswith("The interior ministers of Pakistan and Iran met in Bishkek")
    assert "[" not in lede  # plain text, no citation markers
    outlets = [el.text_content() for el in demo.cssselect(".outlets .outlet")]
    assert "Silk Road Wire Service" in outlets and "Pamir Evening Standard" in outlets
    assert len(outlets) == len(set(outlets)) == 5
    # The age of its news: its last report, as "N d ago" and as a machine-readable time.
    age = demo.cssselect(".updated time.age")[0]
    assert demo.cssselect(".updated")[0].text_content().startswith("Last report ")
    moment = datetime.fromisoformat(age.get("datetime"))
    assert moment == datetime(2026, 6, 5, 9, 30, tzinfo=UTC) or moment.month == 6
    days = (datetime.now(UTC) - moment).days
    assert age.text_content() == (f"{days} d ago" if days >= 2 else age.text_content())
    assert age.text_content().endswith(" ago")
    assert age.get("title").startswith("June 5, 2026")  # the full date, for people
    # What's new (reader.js) compares the later of its last report and its last brief.
    assert datetime.fromisoformat(demo.get("data-updated")) >= moment
    # A story without a brief has no lede but still names its outlets.
    lonely = doc.cssselect(f'.story-item[data-story="{NO_BRIEF_STORY}"]')
    if lonely:
        assert not lonely[0].cssselect(".story-lede")
        assert lonely[0].cssselect(".outlets .outlet")[0].text_content() == "Harbour Gazette"


def test_api_story_list_has_lede_outlets_and_updated_at(client: TestClient) -> None:
    body = client.get("/api/stories", params={"limit": 100}).json()
    demo = next(s for s in body["stories"] if s["id"] == DEMO_STORY)
    assert demo["lede"].startswith("The interior ministers of Pakistan and Iran met in Bishkek")
    assert "Silk Road Wire Service" in demo["outlets"] and len(demo["outlets"]) == 5
    assert datetime.fromisoformat(demo["updated_at"]) >= datetime.fromisoformat(
        demo["last_report_at"]
    )
    lonely = next(s for s in body["stories"] if s["id"] == NO_BRIEF_STORY)
    assert lonely["lede"] is None and lonely["outlets"] == ["Harbour Gazette"]
    one = client.get(f"/api/stories/{DEMO_STORY}").json()
    assert one["lede"] == demo["lede"] and one["outlets"] == demo["outlets"]
    # The reader's search folds accents and case too.
    assert client.get("/api/stories", params={"q": "BÍSHKEK"}).json()["total"] == 1


def test_api_page_is_html_not_markdown(client: TestClient) -> None:
    response = client.get("/api")
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.text)
    prose = doc.cssselect(".prose")[0]
    # The description's list and code spans are HTML elements, not Markdown text.
    items = [" ".join(li.text_content().split()) for li in prose.cssselect("ul > li")]
    assert any(item.startswith("Every error has one shape:") for item in items)
    assert "If-None-Match" in [c.text_content() for c in prose.cssselect("code")]
    assert "`" not in prose.text_content() and "\n- " not in prose.text_content()


# -- 7. Atom ids unique per installation, published times, JSON Feed 1.1 --------------------

# JSON Feed 1.1 (https://jsonfeed.org/version/1.1), the fields the spec names and their types;
# required: version, title, items; each item: id and content_html or content_text.
_AUTHOR = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "avatar": {"type": "string"},
    },
    "anyOf": [{"required": ["name"]}, {"required": ["url"]}, {"required": ["avatar"]}],
}
_DATE = {"type": "string", "format": "date-time"}
JSON_FEED_1_1 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string"},
        "home_page_url": {"type": "string", "format": "uri"},
        "feed_url": {"type": "string", "format": "uri"},
        "description": {"type": "string"},
        "user_comment": {"type": "string"},
        "next_url": {"type": "string"},
        "icon": {"type": "string"},
        "favicon": {"type": "string"},
        "authors": {"type": "array", "items": _AUTHOR},
        "language": {"type": "string"},
        "expired": {"type": "boolean"},
        "hubs": {"type": "array"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "url": {"type": "string", "format": "uri"},
                    "external_url": {"type": "string"},
                    "title": {"type": "string"},
                    "content_html": {"type": "string"},
                    "content_text": {"type": "string"},
                    "summary": {"type": "string"},
                    "image": {"type": "string"},
                    "banner_image": {"type": "string"},
                    "date_published": _DATE,
                    "date_modified": _DATE,
                    "authors": {"type": "array", "items": _AUTHOR},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "language": {"type": "string"},
                    "attachments": {"type": "array"},
                },
            },
        },
    },
}


def valid_json_feed(data: object) -> None:
    """Raise unless data is JSON Feed 1.1, dates and URIs checked too."""
    jsonschema.Draft202012Validator(
        JSON_FEED_1_1, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(data)


def test_atom_ids_name_the_installation_and_entries_have_published(client: TestClient) -> None:
    feed = feedparser.parse(client.get("/feed.atom").content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.id.startswith("tag:news.example.org,")
    demo = next(e for e in feed.entries if e.link.endswith(DEMO_STORY))
    assert demo.link == f"https://news.example.org/stories/{DEMO_STORY}"  # the base URL
    day = demo.id.split(",")[1].split(":")[0]
    assert demo.id == f"tag:news.example.org,{day}:story/{DEMO_STORY}"
    assert datetime.fromisoformat(day).date() <= datetime.now(UTC).date()
    # published: when the first version was made; updated: the latest version.
    assert demo.published_parsed <= demo.updated_parsed
    versions = client.get(f"/api/stories/{DEMO_STORY}").json()["versions"]
    first = datetime.fromisoformat(versions[0]["created_at"])
    assert demo.published_parsed[:6] == first.astimezone(UTC).timetuple()[:6]
    story = feedparser.parse(client.get(f"/stories/{DEMO_STORY}/feed.atom").content)
    assert not story.bozo
    assert [e.id for e in story.entries] == [
        f"tag:news.example.org,{day}:story/{DEMO_STORY}/v2",
        f"tag:news.example.org,{day}:story/{DEMO_STORY}/v1",
    ]
    assert story.feed.id == f"tag:news.example.org,{day}:story/{DEMO_STORY}/feed"
    assert all(e.published_parsed == e.updated_parsed for e in story.entries)


def test_another_installation_has_other_ids(web_settings: Settings) -> None:
    other = web_settings.with_(base_url="http://reader.example.net:8080/news/")
    with TestClient(create_app(other)) as test_client:
        feed = feedparser.parse(test_client.get("/feed.atom").content)
    assert feed.feed.id.startswith("tag:reader.example.net,")
    assert all(e.id.startswith("tag:reader.example.net,") for e in feed.entries)
    assert feed.entries[0].link.startswith("http://reader.example.net:8080/news/stories/")
    # Without a base URL the Host the reader is asked by names it.
    with TestClient(create_app(web_settings.with_(base_url=None))) as test_client:
        assert feedparser.parse(test_client.get("/feed.atom").content).feed.id.startswith(
            "tag:testserver,"
        )


def test_bad_base_url_is_refused_naming_it(web_settings: Settings) -> None:
    with pytest.raises(ConfigError, match=r"base_url 'news\.example\.org'"):
        web_settings.with_(base_url="news.example.org")


def test_json_feeds_beside_atom(client: TestClient) -> None:
    response = client.get("/feed.json")
    assert response.headers["content-type"] == "application/feed+json"
    data = response.json()
    valid_json_feed(data)
    assert data["feed_url"] == "https://news.example.org/feed.json"
    assert data["home_page_url"] == "https://news.example.org/"
    atom = feedparser.parse(client.get("/feed.atom").content)
    assert [i["id"] for i in data["items"]] == [e.id for e in atom.entries]
    demo = next(i for i in data["items"] if i["url"].endswith(DEMO_STORY))
    assert "Silk Road Wire Service" in demo["content_html"]
    assert demo["date_published"] <= demo["date_modified"]
    story = client.get(f"/stories/{DEMO_STORY}/feed.json").json()
    valid_json_feed(story)
    assert len(story["items"]) == 2 and story["items"][0]["id"].endswith("/v2")
    empty = client.get(f"/stories/{NO_BRIEF_STORY}/feed.json").json()
    valid_json_feed(empty)
    assert empty["items"] == []
    with pytest.raises(jsonschema.ValidationError):  # the schema does check
        valid_json_feed({**data, "items": [{"id": "x"}]})


# -- 8. `newsweave edition` -----------------------------------------------------------------


def edition_library(database: str | Path) -> None:
    """Three stories: one grown 2 h ago, one new 1 h ago, one untouched for two days."""
    with Store.open(database) as db:
        old = [report(1, "Wire", "Floods closed the valley road.", "Valley road shut", 30)]
        grow(db, "s-grown", old)
        save(
            db,
            "s-grown",
            brief_of(
                "Floods close valley road",
                "Floods closed the road.",
                [],
                old,
                NOW - timedelta(hours=30),
            ),
        )
        more = [*old, report(2, "Radio", "The road reopened at noon.", "Road reopens", 2)]
        grow(db, "s-grown", more[1:])
        save(
            db,
            "s-grown",
            brief_of(
                "Floods close valley road",
                "Floods closed the road.",
                ["The road reopened at noon."],
                more,
                NOW - timedelta(hours=2),
            ),
        )
        fresh = [report(3, "Daily", "A new bridge opened in the city.", "Bridge opens", 1)]
        grow(db, "s-new", fresh)
        save(
            db,
            "s-new",
            brief_of(
                "New bridge opens", "A new bridge opened.", [], fresh, NOW - timedelta(hours=1)
            ),
        )
        stale = [report(4, "Weekly", "A festival ended.", "Festival ends", 50)]
        grow(db, "s-stale", stale)
        save(
            db,
            "s-stale",
            brief_of("Festival ends", "A festival ended.", [], stale, NOW - timedelta(hours=50)),
        )


def test_edition_has_what_changed_newest_development_first(database_url: str) -> None:
    edition_library(database_url)
    with Store.open(database_url) as db:
        ed = make_edition(db, NOW - timedelta(hours=24), NOW)
        wider = make_edition(db, NOW - timedelta(hours=72), NOW)
    assert [i.story_id for i in ed.items] == ["s-new", "s-grown"]
    new, grown = ed.items
    assert new.new_story and new.version == 1
    assert not grown.new_story and (grown.first_version, grown.version) == (2, 2)
    assert grown.sentences_added == ("The road reopened at noon.",)
    assert [r.title for r in grown.reports_added] == ["Road reopens"]
    assert grown.changed_at == NOW - timedelta(hours=2)
    assert grown.published_at == NOW - timedelta(hours=30)
    # Over three days every story changed; the grown one's first version is in the period.
    assert [i.story_id for i in wider.items] == ["s-new", "s-grown", "s-stale"]
    assert wider.items[1].new_story and len(wider.items[1].reports_added) == 2


def test_edition_formats(tmp_path: Path) -> None:
    edition_library(tmp_path / "lib.db")
    with Store.open(tmp_path / "lib.db") as db:
        ed = make_edition(db, NOW - timedelta(hours=24), NOW)
    md = render_edition_markdown(ed)
    assert md.index("## New bridge opens") < md.index("## Floods close valley road")
    assert "*Updated to version 2: 1 report added, 1 new sentence." in md
    assert "- Radio: Road reopens" in md and "- The road reopened at noon [1]." in md
    # A new story's brief is all new and follows in full: its sentences are not listed twice.
    assert md.count("New in the brief:") == 1 and md.count("A new bridge opened") == 1
    assert "### Sources" in md and "Festival" not in md
    data = json.loads(render_edition_json(ed))
    assert data["schema"] == "newsweave.edition/1"
    assert [s["id"] for s in data["stories"]] == ["s-new", "s-grown"]
    assert data["stories"][1]["sentences_added"] == ["The road reopened at noon."]
    assert data["stories"][1]["reports_added"][0]["outlet"] == "Radio"
    assert data["stories"][1]["brief"]["schema"] == "newsweave.brief/1"
    html = render_edition_html(ed)
    doc = lxml.html.fromstring(html)
    assert [h.text_content() for h in doc.cssselect(".edition-item > h2")] == [
        "New bridge opens",
        "Floods close valley road",
    ]
    ids = [el.get("id") for el in doc.iter() if el.get("id")]
    assert len(ids) == len(set(ids))  # two briefs on one page: ids prefixed per story
    grown = doc.cssselect(".edition-item")[1]
    assert (
        "The road reopened at noon [1]." in grown.cssselect(".changed ul.added")[0].text_content()
    )
    assert "Radio: Road reopens" in grown.cssselect(".changed")[0].text_content()
    assert not doc.cssselect("script") and "<style>" in html


def test_edition_command(settings: Settings, tmp_path: Path) -> None:
    edition_library(settings.database_url)
    runner = CliRunner()
    md = runner.invoke(main, ["edition", "--since", "12h"])
    assert md.exit_code == 0, md.output
    assert md.output.index("New bridge opens") < md.output.index("Floods close valley road")
    out = tmp_path / "ed.json"
    js = runner.invoke(main, ["edition", "--since", "3d", "--format", "json", "--out", str(out)])
    assert js.exit_code == 0, js.output
    assert [s["id"] for s in json.loads(out.read_text())["stories"]] == [
        "s-new",
        "s-grown",
        "s-stale",
    ]
    html = runner.invoke(main, ["edition", "--since", "90m", "--format", "html"])
    assert html.exit_code == 0 and "New bridge opens" in html.output
    assert "Floods close" not in html.output
    bad = runner.invoke(main, ["edition", "--since", "soon"])
    assert bad.exit_code != 0 and "period 'soon' is not a positive number" in bad.output


def test_parse_period() -> None:
    assert parse_period("12h") == timedelta(hours=12)
    assert parse_period("90m") == timedelta(minutes=90)
    assert parse_period(" 2d ") == timedelta(days=2) and parse_period("1w") == timedelta(weeks=1)
    for bad in ("", "0h", "12", "h", "-1d", "1y"):
        with pytest.raises(ConfigError, match="period"):
            parse_period(bad)


def test_edition_feeds(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", base_url="https://news.example.org/")
    edition_library(settings.database_url)
    with TestClient(create_app(settings)) as test_client:
        atom = feedparser.parse(test_client.get("/edition.atom").content)
        data = test_client.get("/edition.json", params={"since": "3d"}).json()
        bad = test_client.get("/edition.atom", params={"since": "soon"})
    assert not atom.bozo, atom.get("bozo_exception")
    assert [e.title for e in atom.entries] == ["New bridge opens", "Floods close valley road"]
    grown = atom.entries[1]
    assert grown.id.startswith("tag:news.example.org,") and grown.id.endswith("/v2/edition")
    assert "The road reopened at noon [1]." in grown.content[0].value
    assert "Updated to version 2" in grown.summary
    valid_json_feed(data)
    assert [i["title"] for i in data["items"]] == [
        "New bridge opens",
        "Floods close valley road",
        "Festival ends",
    ]
    assert bad.status_code == 422


def test_edition_since_a_time() -> None:
    now = datetime(2026, 6, 5, 12, 0, tzinfo=UTC)
    assert parse_since("12h", now) == datetime(2026, 6, 5, 0, 0, tzinfo=UTC)
    assert parse_since("2026-06-05T07:00", now) == datetime(2026, 6, 5, 7, 0, tzinfo=UTC)
    assert parse_since("2026-06-05T09:00+02:00", now) == datetime(2026, 6, 5, 7, 0, tzinfo=UTC)
    with pytest.raises(ConfigError, match=r"'2026-06-06T07:00' is in the future"):
        parse_since("2026-06-06T07:00", now)
    with pytest.raises(ConfigError, match=r"period 'yesterday'.* or an ISO 8601 time"):
        parse_since("yesterday", now)


def test_edition_command_since_a_time(settings: Settings) -> None:
    edition_library(settings.database_url)
    since = (NOW - timedelta(minutes=90)).isoformat()
    result = CliRunner().invoke(main, ["edition", "--since", since, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [s["id"] for s in json.loads(result.output)["stories"]] == ["s-new"]


def test_edition_page(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    edition_library(settings.database_url)
    with TestClient(create_app(settings)) as test_client:
        day = lxml.html.fromstring(test_client.get("/edition").text)
        week = lxml.html.fromstring(test_client.get("/edition?since=1w").text)
        assert test_client.get("/edition?since=1y").status_code == 422
    heads = [" ".join(h.text_content().split()) for h in day.cssselect(".edition-item > h2")]
    assert heads == ["New bridge opens", "Floods close valley road"]
    assert day.cssselect(".edition-item h2 a")[0].get("href") == "/stories/s-new"
    assert "Updated to version 2" in day.cssselect(".edition-item")[1].text_content()
    assert day.cssselect('link[type="application/atom+xml"][href="/edition.atom"]')
    assert len(week.cssselect(".edition-item")) == 3
    assert week.cssselect('link[href="/edition.atom?since=1w"]')
    ids = [el.get("id") for el in week.iter() if el.get("id")]
    assert len(ids) == len(set(ids))


def test_edition_with_hostile_reports_is_escaped(client: TestClient) -> None:
    # The hostile story's brief was made when the test library was built: in this week.
    raw = client.get("/edition.atom", params={"since": "1w"}).content
    feed = feedparser.parse(raw)
    assert not feed.bozo, feed.get("bozo_exception")
    hostile = next(e for e in feed.entries if e.link.endswith("/stories/s-xss"))
    content = hostile.content[0].value
    assert "<script" not in content and "&lt;script&gt;" in content
    page = client.get("/edition", params={"since": "1w"}).text
    doc = lxml.html.fromstring(page)
    assert [s.get("src").split("?")[0] for s in doc.cssselect("script")] == ["/static/reader.js"]
    assert not [el for el in doc.iter() if any(a.lower().startswith("on") for a in el.attrib)]
    for a in doc.cssselect("a[href]"):
        assert a.get("href").startswith(("/", "#", "http://", "https://")), a.get("href")


def test_title_follows_news_that_drifts_a_little_each_version(tmp_path: Path) -> None:
    # Each lede shares two thirds of its words with the one before, but the third shares
    # under half with the first: compared with the version that gave the title, it changes.
    ledes = [
        "Heavy rain closed roads across the north valley on Monday, police said.",
        "Heavy rain closed roads across the north valley on Monday, and schools shut.",
        "Heavy rain closed roads across the valley; schools shut and trains stopped.",
    ]
    assert same_news(ledes[0], ledes[1]) and same_news(ledes[1], ledes[2])
    assert not same_news(ledes[0], ledes[2])
    reports: list[Report] = []
    with Store.open(tmp_path / "lib.db") as db:
        for n, lede in enumerate(ledes, start=1):
            reports.append(report(n, f"Outlet {n}", lede))
            grow(db, "s-rain", reports[-1:])
            save(db, "s-rain", brief_of(f"Headline {n}", lede, [], list(reports), NOW))
            titles = db.story("s-rain").title
            assert titles == ("Headline 1" if n < 3 else "Headline 3"), (n, titles)
