"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1): the Atom feeds' entries as JSON."""

from __future__ import annotations

import json
from typing import Any

from newsweave.web.atom import Feed, aware

VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_TYPE = "application/feed+json"


def json_feed(feed: Feed, feed_url: str) -> dict[str, Any]:
    """The feed as a JSON Feed 1.1 object; feed_url is where this JSON is served."""
    author = {"name": "newsweave"}
    items = []
    for entry in feed.entries:
        item: dict[str, Any] = {
            "id": entry.id,
            "url": entry.link,
            "title": entry.title or "(untitled)",
            "content_html": entry.content_html,
            "summary": entry.summary,
            "date_modified": aware(entry.updated).isoformat(),
            "authors": [author],
        }
        if entry.published is not None:
            item["date_published"] = aware(entry.published).isoformat()
        items.append(item)
    return {
        "version": VERSION,
        "title": feed.title,
        "home_page_url": feed.page_url,
        "feed_url": feed_url,
        "description": feed.subtitle,
        "authors": [author],
        "language": "en",
        "items": items,
    }


def render_json_feed(feed: Feed, feed_url: str) -> bytes:
    """The feed as UTF-8 JSON Feed 1.1."""
    return json.dumps(json_feed(feed, feed_url), ensure_ascii=False, indent=1).encode("utf-8")
