"""An edition: the stories that changed in a period, each with its brief and what changed.

    newsweave edition [--since 12h] [--format md|html|json] [--out F]

A story is in the edition when a version of its brief was made in the period. It shows its
current brief, the sentences of it that are new in the period, and the reports added in
the period; the newest development (its latest version's time) comes first. The reader
serves the same as Atom (/edition.atom) and JSON Feed (/edition.json).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from newsweave.config import Settings
from newsweave.errors import ConfigError, StoreError
from newsweave.records import Brief, Report
from newsweave.storage import Store, StoredBrief

SCHEMA = "newsweave.edition/1"
FORMATS = ("md", "html", "json")
DEFAULT_PERIOD = "24h"

_PERIOD = re.compile(r"(\d{1,6})\s*(m|min|h|d|w)")
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# Stored times carry their offset; text comparison is only a coarse first cut, so it starts
# this much earlier (more than any UTC offset) and the exact cut is made on parsed times.
_OFFSET_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class AddedReport:
    """A report a story gained in the period."""

    id: str
    outlet: str
    title: str
    url: str
    published: datetime | None


@dataclass(frozen=True)
class EditionItem:
    """One story that changed in the period."""

    story_id: str
    title: str
    brief: Brief  # its current (latest) brief
    version: int  # the latest version
    first_version: int  # the first version made in the period
    changed_at: datetime  # when the latest version was made: the story's newest development
    published_at: datetime  # when its first version ever was made
    new_story: bool  # its first version was made in the period
    sentences_added: tuple[str, ...]  # sentences of the current brief new in the period
    reports_added: tuple[AddedReport, ...]  # reports it gained in the period, oldest first

    def new_lines(self) -> list[str]:
        """The added sentences with their citation markers, for "New in the brief".

        Empty for a new story: all of its brief is new and follows, so listing it would say
        every sentence twice.
        """
        if self.new_story:
            return []
        from newsweave.render.layout import cited_text

        added = set(self.sentences_added)
        return [cited_text(s) for s in self.brief.sentences if s.text in added]


@dataclass(frozen=True)
class Edition:
    """The stories that changed between since and until, newest development first."""

    since: datetime
    until: datetime
    items: tuple[EditionItem, ...]


def parse_period(text: str) -> timedelta:
    """A period such as "90m", "12h", "2d" or "1w"; ConfigError naming it otherwise."""
    found = _PERIOD.fullmatch(text.strip().lower())
    if found is None or int(found.group(1)) == 0:
        raise ConfigError(
            f"period {text!r} is not a positive number of minutes, hours, days or weeks "
            "(e.g. 90m, 12h, 2d, 1w)"
        )
    return timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2)])


def parse_since(text: str, now: datetime) -> datetime:
    """Where an edition starts: a period back from now ("12h") or a moment ("2026-06-05T07:00").

    A moment without an offset is taken in UTC; one after now is refused.
    """
    try:
        return _aware(now) - parse_period(text)
    except ConfigError as not_a_period:
        try:
            moment = _aware(datetime.fromisoformat(text.strip()))
        except ValueError:
            raise ConfigError(
                f"{not_a_period} or an ISO 8601 time (e.g. 2026-06-05T07:00)"
            ) from None
    if moment > _aware(now):
        raise ConfigError(f"since {text!r} is in the future: an edition covers up to now")
    return moment


def _aware(moment: datetime) -> datetime:
    """The moment with a time zone (naive is UTC)."""
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def _changed_story_ids(store: Store, since: datetime) -> list[str]:
    """Ids of the stories with a brief version made at or after since (a superset, then cut)."""
    cutoff = (since - _OFFSET_MARGIN).astimezone(UTC).isoformat()
    with store._reading() as conn:
        rows = conn.execute(
            "SELECT DISTINCT story_id FROM briefs WHERE story_id IS NOT NULL AND created_at >= ?"
            " ORDER BY story_id",
            (cutoff,),
        ).fetchall()
    return [row[0] for row in rows]


def _sentences(body_json: str) -> list[str]:
    """The sentence texts of a stored brief."""
    return [s.text for s in _brief(body_json).sentences]


def _brief(body_json: str) -> Brief:
    """The Brief a stored version holds."""
    from newsweave.render.jsonout import brief_from_dict

    return brief_from_dict(json.loads(body_json))


def _item(
    store: Store, story_id: str, title: str, versions: list[StoredBrief], since: datetime
) -> EditionItem | None:
    """What changed in one story since; None if no version of it was made since."""
    recent = [b for b in versions if _aware(b.created_at) >= since]
    if not recent:
        return None
    latest = versions[-1]
    first = recent[0]
    before = [b for b in versions if (b.version or 0) < (first.version or 0)]
    try:
        brief = _brief(latest.body_json)
        old = set(_sentences(before[-1].body_json)) if before else set()
    except (ValueError, KeyError) as exc:
        raise StoreError(f"stored brief of story {story_id!r} is unreadable: {exc}") from exc
    ids = [str(i) for b in recent for i in (b.changes or {}).get("reports_added", [])]
    reports: dict[str, Report] = {r.id: r for r in store.reports(list(dict.fromkeys(ids)))}
    added = sorted(
        (reports[i] for i in dict.fromkeys(ids) if i in reports),
        key=lambda r: (r.published is None, r.published or datetime.min.replace(tzinfo=UTC)),
    )
    return EditionItem(
        story_id=story_id,
        title=title or brief.headline,
        brief=brief,
        version=latest.version or 0,
        first_version=first.version or 0,
        changed_at=_aware(latest.created_at),
        published_at=_aware(versions[0].created_at),
        new_story=not before,
        sentences_added=tuple(s.text for s in brief.sentences if s.text not in old),
        reports_added=tuple(
            AddedReport(r.id, r.outlet, r.title, r.url, r.published) for r in added
        ),
    )


def make_edition(store: Store, since: datetime, until: datetime | None = None) -> Edition:
    """The stories of the store that changed since, newest development first."""
    since = _aware(since)
    until = _aware(until) if until is not None else datetime.now(UTC)
    items = []
    for story_id in _changed_story_ids(store, since):
        row = store.story(story_id)
        if row is None:
            continue
        item = _item(store, story_id, row.title, store.story_briefs(story_id), since)
        if item is not None:
            items.append(item)
    items.sort(key=lambda i: (-i.changed_at.timestamp(), i.story_id))
    return Edition(since, until, tuple(items))


def edition(settings: Settings, since: str, now: datetime | None = None) -> Edition:
    """The edition of the library in settings: what changed since ("12h", or a time) up to now."""
    until = _aware(now) if now is not None else datetime.now(UTC)
    start = parse_since(since, until)
    with Store.open(settings.database_url) as store:
        return make_edition(store, start, until)


# -- output ---------------------------------------------------------------------------------


def _when(moment: datetime | None) -> str | None:
    """ISO 8601 or None."""
    return None if moment is None else moment.isoformat()


def edition_to_dict(ed: Edition) -> dict[str, Any]:
    """The edition as JSON-ready data (schema newsweave.edition/1)."""
    from newsweave.render.jsonout import brief_to_dict

    return {
        "schema": SCHEMA,
        "since": ed.since.isoformat(),
        "until": ed.until.isoformat(),
        "stories": [
            {
                "id": i.story_id,
                "title": i.title,
                "version": i.version,
                "first_version_in_period": i.first_version,
                "changed_at": i.changed_at.isoformat(),
                "published_at": i.published_at.isoformat(),
                "new_story": i.new_story,
                "sentences_added": list(i.sentences_added),
                "reports_added": [
                    {
                        "id": r.id,
                        "outlet": r.outlet,
                        "title": r.title,
                        "url": r.url,
                        "published": _when(r.published),
                    }
                    for r in i.reports_added
                ],
                "brief": brief_to_dict(i.brief),
            }
            for i in ed.items
        ],
    }


def render_edition_json(ed: Edition) -> str:
    """The edition as JSON text."""
    return json.dumps(edition_to_dict(ed), ensure_ascii=False, indent=1) + "\n"


def change_line(item: EditionItem) -> str:
    """What changed in a story, in one line for people."""
    if item.new_story:
        what = f"New story, version {item.version}"
    else:
        what = f"Updated to version {item.version}"
    reports = len(item.reports_added)
    sentences = len(item.sentences_added)
    return (
        f"{what}: {reports} report{'' if reports == 1 else 's'} added, "
        f"{sentences} new sentence{'' if sentences == 1 else 's'}."
    )


def render_edition_markdown(ed: Edition) -> str:
    """The edition as Markdown: each story's change, then its brief with headings one down."""
    from newsweave.render.markdown import escape_markdown, render_markdown
    from newsweave.text.notation import format_timestamp

    out = [
        f"# What changed from {format_timestamp(ed.since)} to {format_timestamp(ed.until)}",
        "",
    ]
    if not ed.items:
        out += ["No story changed in this period.", ""]
    for item in ed.items:
        out += [
            f"## {escape_markdown(item.title)}",
            "",
            f"*{change_line(item)} Changed {format_timestamp(item.changed_at)}.*",
            "",
        ]
        if item.reports_added:
            out.append("Reports added:")
            out.append("")
            for r in item.reports_added:
                out.append(f"- {escape_markdown(r.outlet)}: {escape_markdown(r.title)}")
            out.append("")
        lines = item.new_lines()
        if lines:
            out.append("New in the brief:")
            out.append("")
            out += [f"- {escape_markdown(s)}" for s in lines]
            out.append("")
        for line in render_markdown(item.brief).splitlines():
            # The brief's own headings go two levels down, under the story's.
            out.append("##" + line if line.startswith("#") else line)
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


@cache
def _environment() -> Any:
    """The Jinja2 environment of the shared brief templates, built on first use."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("newsweave.render", "templates"),
        autoescape=True,  # every string comes from untrusted reports
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def edition_views(ed: Edition) -> list[dict[str, Any]]:
    """Each story of the edition as the templates show it (ids prefixed per story)."""
    from newsweave.render.view import When, brief_view

    return [
        {
            "item": item,
            "change": change_line(item),
            "changed": When.of(item.changed_at, now=ed.until),
            "view": brief_view(item.brief, prefix=f"e{n}-"),
            "reports": [
                {"r": r, "when": When.of(r.published, now=ed.until)} for r in item.reports_added
            ],
        }
        for n, item in enumerate(ed.items, start=1)
    ]


def render_edition_html(ed: Edition) -> str:
    """The edition as one self-contained HTML page, in the reader's design."""
    from markupsafe import Markup

    from newsweave.render.html import stylesheet
    from newsweave.render.view import When

    return (
        _environment()
        .get_template("edition.html")
        .render(
            since=When.of(ed.since),
            until=When.of(ed.until),
            stories=edition_views(ed),
            css=Markup(stylesheet()),
        )
    )


RENDERERS = {
    "md": render_edition_markdown,
    "html": render_edition_html,
    "json": render_edition_json,
}


def render_edition(ed: Edition, fmt: str) -> str:
    """The edition in the named format ("md", "html" or "json")."""
    if fmt not in RENDERERS:
        raise ConfigError(f"unknown edition format {fmt!r}; known formats: {', '.join(FORMATS)}")
    return RENDERERS[fmt](ed)
