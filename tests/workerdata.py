"""Feeds for the worker tests: four outlets reporting four distinct events, served on 127.0.0.1.

Every event is told by three outlets, each in its own words around shared facts, so which
reports belong together is plain: the tests compare the stories that 1, 2 and 4 workers make.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.feedserver import FeedServer, Route, article, rss
from tests.test_fetch import FERRY, LIBRARY

RESERVOIR = [
    "Engineers began lowering the Kestrel Valley reservoir on Tuesday after inspectors found a "
    "crack in the spillway of the 60-year-old dam, the regional water board said.",
    "The board said the level would fall by four metres over ten days, and that the 2,300 "
    "residents of Millbrook, the village below the dam, were in no immediate danger.",
    "Chief engineer Priya Anand said divers had found the crack during a routine survey and "
    "that a contractor would begin grouting it once the water was below the damaged section.",
    "Farmers who draw irrigation water from the reservoir will receive a reduced allocation "
    "until the repair is finished, expected before the end of August.",
    "The dam was last strengthened in 1998, and the board had already planned a full "
    "refurbishment for 2028 at a cost of 31 million pounds, according to its annual report.",
    "Local councillor Tom Hadley said residents wanted a public meeting and a written "
    "timetable, and criticised the board for announcing the drawdown on social media first.",
]
RAIL = [
    "Train drivers on the Northern Coastal line will strike for 48 hours from Thursday after "
    "talks over rosters and pay broke down, their union announced on Monday.",
    "The union said 94 percent of its members on the line had voted for the walkout, on a "
    "turnout of 81 percent, in a ballot that closed last Friday.",
    "The operator, Coastway Rail, said it would run a reduced service of one train an hour "
    "between Harwick and Port Selden, and no trains at all on the branch to Ellery Bay.",
    "General secretary Dana Okafor said drivers had been asked to work rest days for two "
    "years to cover vacancies, and that the offer of a 3.5 percent rise did not reflect that.",
    "Coastway's managing director, Luis Ferreira, called the strike disappointing and said "
    "the company's door remained open for talks at the conciliation service.",
    "About 38,000 passengers use the line on a typical weekday, many of them commuting to "
    "the shipyards and the university at Port Selden.",
]

OUTLETS = ("Harbour Gazette", "Valley Courier", "Coastal Ledger", "Evening Standard")
# Each event, its date, and which three outlets tell it. All within two days: a story closes
# once the newest report is three days past its last, so events days apart would make the
# stories depend on the order reports are filed in (docs/stories.md), as they should.
EVENTS = {
    "ferry": (FERRY, "Mon, 01 Jun 2026 {h:02d}:00:00 GMT", (0, 1, 2)),
    "library": (LIBRARY * 2, "Mon, 01 Jun 2026 {h:02d}:30:00 GMT", (1, 2, 3)),
    "reservoir": (RESERVOIR, "Tue, 02 Jun 2026 {h:02d}:00:00 GMT", (0, 2, 3)),
    "rail": (RAIL, "Tue, 02 Jun 2026 {h:02d}:30:00 GMT", (0, 1, 3)),
}
# This outlet's feed has summaries only: its articles are read from their pages.
PAGES_OUTLET = 3


@dataclass(frozen=True)
class Item:
    """One feed item: an outlet's report of an event."""

    outlet: int
    event: str
    title: str
    path: str  # of its article page on the server
    date: str
    paragraphs: tuple[str, ...]


def items() -> list[Item]:
    """Every outlet's report of every event it tells, each in its own order of paragraphs."""
    found = []
    for event, (paragraphs, date, outlets) in EVENTS.items():
        for turn, outlet in enumerate(outlets):
            # Each outlet leads with the main fact, then tells the rest in its own order,
            # leaving one paragraph out.
            rest = list(paragraphs[1:])
            del rest[turn % len(rest)]
            ordered = (paragraphs[0], *rest[turn:], *rest[:turn])
            slug = OUTLETS[outlet].lower().replace(" ", "-")
            found.append(
                Item(
                    outlet=outlet,
                    event=event,
                    title=f"{event.title()}: {OUTLETS[outlet]} report",
                    path=f"/{slug}/{event}.html",
                    date=date.format(h=8 + turn * 3),
                    paragraphs=ordered,
                )
            )
    return found


def feed_path(outlet: int) -> str:
    """Where an outlet's feed is served."""
    return f"/feeds/{outlet}.xml"


def serve(server: FeedServer) -> dict[str, str]:
    """Put every outlet's feed and article pages on the server; return each report's event by path.

    The key is the article's path on the server, the part of its URL that does not change
    between servers.
    """
    by_outlet: dict[int, list[dict[str, str]]] = {i: [] for i in range(len(OUTLETS))}
    events: dict[str, str] = {}
    for item in items():
        link = server.base + item.path
        entry = {"title": item.title, "link": link, "guid": item.path, "date": item.date}
        if item.outlet == PAGES_OUTLET:
            entry["summary"] = item.paragraphs[0]
        else:
            entry["content"] = " ".join(item.paragraphs)
        by_outlet[item.outlet].append(entry)
        server.routes[item.path] = Route(
            article(item.title, list(item.paragraphs), site=OUTLETS[item.outlet]).encode(),
            content_type="text/html; charset=utf-8",
        )
        events[item.path] = item.event
    for outlet, entries in by_outlet.items():
        server.routes[feed_path(outlet)] = Route(rss(OUTLETS[outlet], entries).encode())
    return events
