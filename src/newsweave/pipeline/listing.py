"""The story library read back: stories listed (as rows or JSON), and their stored briefs.

Filing reports into stories and briefing them is newsweave.pipeline.library's job.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from newsweave.config import Settings
from newsweave.errors import StoreError
from newsweave.records import Brief
from newsweave.storage import Store, StoryRow

# Version of the JSON that `newsweave stories --format json` writes.
STORIES_SCHEMA = "newsweave.stories/1"


def list_stories(settings: Settings, limit: int = 50, offset: int = 0) -> list[StoryRow]:
    """Stories, newest activity first."""
    with Store.open(settings.database_url) as db:
        return db.stories(limit, offset)


def _when(moment: datetime | None) -> str | None:
    """ISO 8601 or None."""
    return None if moment is None else moment.isoformat()


def stories_json(settings: Settings, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Stories as JSON-ready data, each with the ids and URLs of its reports."""
    out = []
    with Store.open(settings.database_url) as db:
        for row in db.stories(limit, offset):
            reports = db.story_reports(row.id)
            out.append(
                {
                    "id": row.id,
                    "title": row.title,
                    "status": row.status,
                    "created_at": row.created_at.isoformat(),
                    "last_report_at": _when(row.last_report_at),
                    "first_published": _when(row.first_published),
                    "last_published": _when(row.last_published),
                    "report_count": row.report_count,
                    "independent_sources": row.independent_sources,
                    "conflicts": row.has_conflicts,
                    "latest_version": row.latest_version,
                    "reports": [
                        {
                            "id": r.id,
                            "url": r.url,
                            "outlet": r.outlet,
                            "title": r.title,
                            "published": _when(r.published),
                        }
                        for r in reports
                    ],
                }
            )
        aside = [{"id": i, "reason": why} for i, why in db.set_aside_reports()]
    return {"schema": STORIES_SCHEMA, "stories": out, "set_aside": aside}


def set_aside_reports(settings: Settings) -> list[tuple[str, str]]:
    """(report id, why) of the stored reports set aside because they could not be filed."""
    with Store.open(settings.database_url) as db:
        return db.set_aside_reports()


def story_brief(settings: Settings, story_id: str, version: int | None = None) -> Brief:
    """The latest stored brief of a story, or its version N; StoreError if there is none."""
    from newsweave.render.jsonout import brief_from_dict

    with Store.open(settings.database_url) as db:
        if db.story(story_id) is None:
            raise StoreError(f"no story {story_id!r} in database {db.where}")
        versions = db.story_briefs(story_id)
    if not versions:
        raise StoreError(f"story {story_id!r} has no brief yet")
    if version is None:
        chosen = versions[-1]
    else:
        found = [b for b in versions if b.version == version]
        if not found:
            raise StoreError(
                f"story {story_id!r} has no version {version} (versions 1 to {len(versions)})"
            )
        chosen = found[0]
    try:
        return brief_from_dict(json.loads(chosen.body_json))
    except ValueError as exc:
        raise StoreError(
            f"stored brief of story {story_id!r} version {chosen.version} is unreadable: {exc}"
        ) from exc
