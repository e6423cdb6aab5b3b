"""Fetching feeds and pages from a real HTTP server on 127.0.0.1, broken ones included."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsweave.config import Settings
from newsweave.errors import FetchError
from newsweave.ingest.feeds import html_text, parse_feed, read_opml
from newsweave.ingest.fetch import add_sources
from newsweave.ingest.guard import Guard
from newsweave.ingest.http import FetchSettings
from newsweave.pipeline.fetching import fetch
from newsweave.storage.store import Store
from tests.feedserver import FeedServer, Route, article, rss

FERRY = [
    "The Lindenport river ferry resumed crossings on Monday after a three-week halt caused by "
    "flood debris in the main channel, the harbour authority said.",
    "Crews removed more than 40 tonnes of timber and two sunken barges from the approach to "
    "the eastern landing, according to the authority's operations director, Marta Velez.",
    "The ferry carries about 6,000 passengers a day between the old town and the industrial "
    "district on the far bank, and its suspension had pushed commuters onto a single road "
    "bridge that was already congested at peak hours.",
    "Velez said the service would run a reduced timetable for the first week while divers "
    "finished checking the pilings at both landings, with full service expected by June 12.",
    "Local businesses near the western landing said takings had fallen by a third during the "
    "closure, and the city council has promised a relief fund for traders who can show losses.",
    "The authority said it would publish a review of its flood response, including why the "
    "debris booms upstream failed to hold during the storm on May 9.",
]
LIBRARY = [
    "The Lindenport public library will open its restored reading room on Saturday, ending "
    "two years of repairs to the roof and the painted ceiling.",
    "Conservators cleaned and stabilised more than 300 square metres of ceiling panels "
    "damaged by a leak in 2024, the library's director, Ionel Barbu, said in a statement.",
    "The room will hold 120 readers and will keep its original oak desks, which were "
    "refinished by apprentices from the city's technical college during the works.",
    "The repairs cost 4.2 million euros, most of it from a national heritage grant, and came "
    "in under budget, according to figures released by the city council on Friday.",
    "Barbu said the library would extend its opening hours on weekdays to 9 p.m. from July, "
    "a change requested by students in a survey last autumn.",
]
LONG = " ".join(FERRY)

FAST = FetchSettings(timeout=2.0, connect_timeout=1.0, max_bytes=200_000, max_redirects=3)


def _feeds(base: str) -> dict[str, Route]:
    """The server's routes: healthy feeds and pages, and every kind of broken one."""
    good = rss(
        "Lindenport Herald",
        [
            {
                "title": "Lindenport ferry resumes crossings",
                "link": f"{base}/herald/ferry",
                "guid": "herald-ferry",
                "date": "Mon, 01 Jun 2026 07:00:00 GMT",
                "summary": "The ferry is back.",
                "content": LONG,
            },
            {
                "title": "Restored reading room opens",
                "link": f"{base}/herald/library",
                "guid": "herald-library",
                "date": "Fri, 29 May 2026 16:00:00 +0200",
                "content": " ".join(LIBRARY * 2),
            },
        ],
    )
    atom = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>River Post</title>'
        f'<link href="{base}/"/><id>urn:river-post</id><updated>2026-06-01T10:00:00Z</updated>'
        "<entry><title>Ferry back on the river</title>"
        f'<link href="{base}/articles/ferry.html"/><id>urn:river-post:ferry</id>'
        "<updated>2026-06-01T10:00:00Z</updated>"
        "<summary>Crossings resume after the flood.</summary></entry>"
        "<entry><title>Council report on flood response</title>"
        f'<link href="{base}/private/report.html"/><id>urn:river-post:report</id>'
        "<updated>2026-06-01T11:00:00Z</updated>"
        "<summary>The council will review why the debris booms failed upstream.</summary>"
        "</entry></feed>"
    )
    private_items = rss(
        "Intranet Leaks",
        [
            {
                "title": "Internal memo",
                "link": "http://10.0.0.7/memo.html",
                "guid": "memo",
                "summary": "A memo about the ferry schedule was circulated to staff.",
            }
        ],
    )
    wrong_charset = rss(
        "Gazeta Portului",
        [
            {
                "title": "Cafés by the landing reopen",
                "guid": "cafes",
                "link": f"{base}/gazeta/cafes",
                "summary": "Owners of the cafés near the western landing said they "
                "expected “a busy summer” after the ferry’s return.",
            }
        ],
    ).encode("cp1252")
    bomb = gzip.compress(b"<rss>" + b" " * 30_000_000, 9)
    return {
        "/robots.txt": Route(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
        "/good.xml": Route(good.encode(), validators=True),
        "/atom.xml": Route(atom.encode(), content_type="application/atom+xml", validators=True),
        "/articles/ferry.html": Route(
            article("Ferry back on the river", FERRY).encode(), content_type="text/html"
        ),
        "/private/report.html": Route(
            article("Flood report", FERRY).encode(), content_type="text/html"
        ),
        "/page.html": Route(
            article("Restored reading room opens on Saturday", LIBRARY).encode(),
            content_type="text/html; charset=utf-8",
        ),
        "/private-items.xml": Route(private_items.encode()),
        "/charset.xml": Route(wrong_charset),
        "/invalid.xml": Route(
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken &'
            b" <item><title>Unclosed</title></channel>",
            content_type="application/xml",
        ),
        "/error500.xml": Route(b"oops", 500, "text/plain"),
        "/slow.xml": Route(good.encode(), trickle=0.05),
        "/loop-a": Route(status=302, headers={"Location": "/loop-b"}),
        "/loop-b": Route(status=302, headers={"Location": "/loop-a"}),
        "/big.xml": Route(b"<rss>" + b"x" * 400_000 + b"</rss>", length=False),
        "/bomb.xml": Route(bomb, headers={"Content-Encoding": "gzip"}),
        "/to-metadata": Route(
            status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
        ),
    }


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """The test server with every route."""
    with FeedServer() as srv:
        srv.routes.update(_feeds(srv.base))
        yield srv


@pytest.fixture
def local(settings: Settings) -> Settings:
    """Settings that allow 127.0.0.1, as a user testing with a local server would set."""
    return settings.with_(allow_hosts=("127.0.0.1",))


@pytest.fixture
def library(local: Settings, database_url: str) -> Settings:
    """local, with the library on each backend (SQLite, PostgreSQL): fetch state is stored."""
    return local.with_(database=database_url)


def _follow(settings: Settings, server: FeedServer, *paths: str) -> dict[str, int]:
    """Follow these paths of the server; return each path's source id."""
    ids = {}
    for path in paths:
        [(row, _)] = add_sources(settings, server.base + path)
        ids[path] = row.id
    return ids


def _reports_of(settings: Settings, source_id: int) -> list[tuple[str, str, str]]:
    """(title, text, text_from) of every report taken from a source."""
    with Store.open(settings.database_url) as db:
        rows = db._conn.execute(
            "SELECT r.title, r.text, i.text_from FROM source_items i"
            " JOIN reports r ON r.id = i.report_id WHERE i.source_id = ? ORDER BY r.title",
            (source_id,),
        ).fetchall()
    return [tuple(row) for row in rows]


BROKEN = {
    "/invalid.xml": "invalid_feed",
    "/error500.xml": "http_status",
    "/missing.xml": "http_status",
    "/slow.xml": "timeout",
    "/loop-a": "redirect_loop",
    "/big.xml": "too_large",
    "/bomb.xml": "decompression_bomb",
    "/to-metadata": "refused",
}


def test_broken_sources_are_named_and_healthy_ones_all_stored(
    local: Settings, server: FeedServer
) -> None:
    healthy = ("/good.xml", "/atom.xml", "/page.html", "/private-items.xml", "/charset.xml")
    ids = _follow(local, server, *healthy, *BROKEN)
    run = fetch(local, FAST, stories=False)
    with Store.open(local.database_url) as db:
        rows = {row.id: row for row in db.sources()}
    for path, code in BROKEN.items():
        row = rows[ids[path]]
        assert row.last_error is not None and row.last_error.startswith(code + ":"), (path, row)
        assert row.failures == 1 and row.last_success_at is None
        assert row.next_due_at is not None and row.next_due_at > row.last_attempt_at
    assert "HTTP 500" in rows[ids["/error500.xml"]].last_error
    assert "HTTP 404" in rows[ids["/missing.xml"]].last_error
    assert "169.254.169.254" in rows[ids["/to-metadata"]].last_error
    # No request ever left for the metadata address: the redirect was refused before it.
    assert len(run.failed) == len(BROKEN)
    for path in healthy:
        assert rows[ids[path]].last_error is None, (path, rows[ids[path]].last_error)

    herald = _reports_of(local, ids["/good.xml"])
    assert [(t, f) for t, _, f in herald] == [
        ("Lindenport ferry resumes crossings", "feed"),
        ("Restored reading room opens", "feed"),
    ]
    river = dict((t, (x, f)) for t, x, f in _reports_of(local, ids["/atom.xml"]))
    # A summary-only item: its article page read with trafilatura, nav and footer left out.
    text, text_from = river["Ferry back on the river"]
    assert text_from == "page" and "40 tonnes of timber" in text and "Home" not in text
    # robots.txt disallows /private/: the summary is kept, and the reason recorded.
    text, text_from = river["Council report on flood response"]
    assert text_from == "summary" and text.startswith("The council will review")
    assert any("robots" in p for p in rows[ids["/atom.xml"]].problems)
    # An item pointing at a private address: refused, summary kept, problem named.
    [(_, text, text_from)] = _reports_of(local, ids["/private-items.xml"])
    assert text_from == "summary" and "memo" in text
    assert any("refused" in p and "10.0.0.7" in p for p in rows[ids["/private-items.xml"]].problems)
    # A feed that declares UTF-8 but is Windows-1252: read right, and the problem recorded.
    [(_, text, _)] = _reports_of(local, ids["/charset.xml"])
    assert "cafés" in text and "“a busy summer”" in text
    assert any(p.startswith("charset:") for p in rows[ids["/charset.xml"]].problems)
    # A single page: one report with its main text.
    [(title, text, text_from)] = _reports_of(local, ids["/page.html"])
    assert title == "Restored reading room opens on Saturday" and text_from == "page"
    assert "4.2 million euros" in text
    assert rows[ids["/page.html"]].kind == "page" and rows[ids["/good.xml"]].kind == "feed"
    assert rows[ids["/good.xml"]].title == "Lindenport Herald"


def test_second_fetch_is_conditional_and_stores_nothing(
    library: Settings, server: FeedServer
) -> None:
    _follow(library, server, "/good.xml", "/atom.xml")
    first = fetch(library, FAST, stories=False)
    assert len(first.new_reports) == 4
    pages_before = len(server.hits("/articles/ferry.html"))
    second = fetch(library, FAST, every=True, stories=False)
    assert second.new_reports == () and all(o.not_modified for o in second.outcomes)
    for path in ("/good.xml", "/atom.xml"):
        first_hit, second_hit = server.hits(path)
        assert "if-none-match" not in first_hit.headers
        assert second_hit.headers["if-none-match"].startswith('"')
        assert second_hit.headers["if-modified-since"] == "Mon, 01 Jun 2026 08:00:00 GMT"
        assert second_hit.status == 304
    assert len(server.hits("/articles/ferry.html")) == pages_before
    with Store.open(library.database_url) as db:
        assert db.count_reports() == 4


def test_items_already_taken_are_not_taken_again(library: Settings, server: FeedServer) -> None:
    _follow(library, server, "/atom.xml")
    fetch(library, FAST, stories=False)
    server.routes["/atom.xml"].validators = False  # the server stops answering 304
    again = fetch(library, FAST, every=True, stories=False)
    assert again.new_reports == ()
    assert len(server.hits("/articles/ferry.html")) == 1


def test_user_agent_names_newsweave(local: Settings, server: FeedServer) -> None:
    _follow(local, server, "/good.xml")
    fetch(local, FAST, stories=False)
    assert server.hits("/good.xml")[0].headers["user-agent"].startswith("newsweave/")


def test_failures_back_off_and_a_success_clears_them(library: Settings, server: FeedServer) -> None:
    ids = _follow(library, server, "/flaky.xml")
    fetch(library, FAST, stories=False)
    fetch(library, FAST, every=True, stories=False)
    with Store.open(library.database_url) as db:
        row = db.source(ids["/flaky.xml"])
    assert row.failures == 2
    assert row.next_due_at - row.last_attempt_at == FAST.interval * 2
    # Not due yet: a plain fetch skips it.
    assert fetch(library, FAST, stories=False).outcomes == ()
    server.routes["/flaky.xml"] = server.routes["/good.xml"]
    fetch(library, FAST, every=True, stories=False)
    with Store.open(library.database_url) as db:
        row = db.source(ids["/flaky.xml"])
    assert (row.failures, row.last_error, row.report_count) == (0, None, 2)


# -- safety ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed.xml",
        "http://10.1.2.3/feed.xml",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/feed.xml",
        "http://192.168.0.10/",
        "http://[::ffff:10.0.0.1]/",
    ],
)
def test_internal_addresses_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(FetchError) as caught:
        Guard().check_url(url)
    assert caught.value.code == "refused"
    host = (
        url.split("/")[2].rsplit(":", 1)[0] if "[" not in url else url.split("[")[1].split("]")[0]
    )
    Guard.allowing([host]).check_url(url)  # the explicit setting lets it through


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x/"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        Guard.allowing(["example.org", "x"]).check_url(url)


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    def resolver(host: str, port: int) -> list[str]:
        return {"intranet.example": ["10.0.0.5"], "mixed.example": ["93.184.215.14", "10.0.0.5"]}[
            host
        ]

    for name in ("intranet.example", "mixed.example"):
        with pytest.raises(FetchError, match="private address"):
            Guard(resolver=resolver).addresses(name, 80)
    assert Guard.allowing(["intranet.example"], resolver).addresses("intranet.example", 80) == [
        "10.0.0.5"
    ]


def test_fetching_loopback_is_refused_by_default_and_allowed_by_setting(
    settings: Settings, server: FeedServer
) -> None:
    # By address, and by a name that resolves to it (localhost, resolved for real).
    with pytest.raises(FetchError, match="loopback"):
        add_sources(settings, server.base + "/good.xml")
    with Store.open(settings.database_url) as db:
        db.add_source(server.base + "/good.xml")  # as if added before, from elsewhere
        db.add_source(f"http://localhost:{server.port}/good.xml")
    run = fetch(settings, FAST, stories=False)
    assert [o.error.split(":")[0] for o in run.outcomes] == ["refused", "refused"]
    assert "localhost (127.0.0.1)" in run.outcomes[1].error
    assert server.log == []  # nothing reached the server

    # Allowing the address lets the first through; the name is refused until it is allowed
    # too, and a redirect from the allowed host to a private address is refused.
    allowed = settings.with_(allow_hosts=("127.0.0.1",))
    server.routes["/to-private"] = Route(status=302, headers={"Location": "http://10.0.0.1/"})
    add_sources(allowed, server.base + "/to-private")
    run = fetch(allowed, FAST, every=True, stories=False)
    errors = {o.url: o.error for o in run.outcomes}
    assert errors[server.base + "/good.xml"] is None
    assert "10.0.0.1" in errors[server.base + "/to-private"]
    assert errors[server.base + "/to-private"].startswith("refused")

    both = settings.with_(allow_hosts=("127.0.0.1", "localhost"))
    run = fetch(both, FAST, every=True, stories=False)
    errors = {o.url: o.error for o in run.outcomes}
    assert errors[f"http://localhost:{server.port}/good.xml"] is None


# -- reading -------------------------------------------------------------------------


def test_html_text_keeps_words_and_drops_markup() -> None:
    text = html_text(
        '<p>Hello <b>world</b><script>alert(1)</script></p><p onclick="x()">Second &amp; last</p>'
    )
    assert text == "Hello world\nSecond & last"


def test_parse_feed_never_fetches_a_feed_given_as_a_url() -> None:
    with pytest.raises(FetchError) as caught:
        parse_feed(b"http://127.0.0.1:9/feed.xml", "http://example.org/")
    assert caught.value.code == "invalid_feed"


def test_opml_lists_feeds_and_refuses_entities(tmp_path: Path, local: Settings) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>subs</title></head><body>'
        '<outline text="News"><outline text="Herald" type="rss"'
        ' xmlUrl="https://herald.example/rss.xml"/>'
        '<outline text="Post" xmlUrl="https://post.example/atom"/></outline></body></opml>'
    )
    assert read_opml(opml) == [
        ("https://herald.example/rss.xml", "Herald"),
        ("https://post.example/atom", "Post"),
    ]
    added = add_sources(local, str(opml))
    assert [(row.url, row.kind, new) for row, new in added] == [
        ("https://herald.example/rss.xml", "feed", True),
        ("https://post.example/atom", "feed", True),
    ]
    assert [new for _, new in add_sources(local, str(opml))] == [False, False]
    bomb = tmp_path / "bomb.opml"
    bomb.write_text('<!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body/></opml>')
    with pytest.raises(Exception, match="DOCTYPE"):
        read_opml(bomb)


def test_item_links_are_canonical() -> None:
    from newsweave.ids import canonical_url

    assert (
        canonical_url("HTTPS://News.Example:443/world/ferry/?utm_source=rss&id=5&fbclid=x#top")
        == "https://news.example/world/ferry?id=5"
    )
    assert canonical_url("http://x.example:8080/a?q=a%20b") == "http://x.example:8080/a?q=a%20b"


def test_feed_dates_are_timezone_aware_utc(local: Settings, server: FeedServer) -> None:
    from datetime import UTC, datetime

    _follow(local, server, "/good.xml")
    fetch(local, FAST, stories=False)
    with Store.open(local.database_url) as db:
        dates = {r.title: r.published for r in db.reports()}
    assert dates["Restored reading room opens"] == datetime(2026, 5, 29, 14, 0, tzinfo=UTC)
    assert dates["Lindenport ferry resumes crossings"] == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


def test_retry_after_is_honoured(local: Settings, server: FeedServer) -> None:
    server.routes["/busy.xml"] = Route(b"busy", 503, "text/plain", headers={"Retry-After": "7200"})
    ids = _follow(local, server, "/busy.xml")
    fetch(local, FAST, stories=False)
    with Store.open(local.database_url) as db:
        row = db.source(ids["/busy.xml"])
    assert row.last_error.startswith("http_status:") and "HTTP 503" in row.last_error
    assert (row.next_due_at - row.last_attempt_at).total_seconds() == 7200


@pytest.mark.parametrize(
    "document",
    [
        # RSS 0.91
        '<?xml version="1.0"?><rss version="0.91"><channel><title>Old Wire</title>'
        "<link>http://old.example/</link><description>d</description>"
        "<item><title>Ferry resumes</title><link>http://old.example/ferry</link>"
        "<description>The ferry is back.</description></item></channel></rss>",
        # RSS 1.0 (RDF)
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="http://old.example/"><title>Old Wire</title>'
        "<link>http://old.example/</link><description>d</description></channel>"
        '<item rdf:about="http://old.example/ferry"><title>Ferry resumes</title>'
        "<link>http://old.example/ferry</link><description>The ferry is back.</description>"
        "<dc:date>2026-06-01T07:00:00Z</dc:date></item></rdf:RDF>",
    ],
)
def test_old_rss_versions_are_read(document: str) -> None:
    feed = parse_feed(document.encode(), "http://old.example/feed")
    assert feed.title == "Old Wire"
    [item] = feed.items
    assert (item.title, item.url, item.summary) == (
        "Ferry resumes",
        "http://old.example/ferry",
        "The ferry is back.",
    )


def test_a_site_home_page_is_followed_through_the_feed_it_names(
    local: Settings, server: FeedServer
) -> None:
    alternate = '<link rel="alternate" type="application/rss+xml" href="/good.xml">'
    server.routes["/"] = Route(
        f"<html><head>{alternate}</head><body><a href='/a'>Ferry</a></body></html>".encode(),
        content_type="text/html",
    )
    article_page = article("Restored reading room opens on Saturday", LIBRARY).replace(
        "</head>", alternate + "</head>"
    )
    server.routes["/library.html"] = Route(article_page.encode(), content_type="text/html")
    ids = _follow(local, server, "/", "/library.html")
    run = fetch(local, FAST, stories=False)
    assert all(o.ok for o in run.outcomes), run.outcomes
    with Store.open(local.database_url) as db:
        home, page = db.source(ids["/"]), db.source(ids["/library.html"])
    # The home page became its feed; the article stayed a page though it names the feed too.
    assert (home.url, home.kind, home.report_count) == (server.base + "/good.xml", "feed", 2)
    assert any("names a feed" in p for p in home.problems)
    assert (page.kind, page.report_count) == ("page", 1)
    # The feed is now fetched directly, conditionally.
    fetch(local, FAST, every=True, stories=False)
    assert server.hits("/good.xml")[-1].status == 304
