"""Atom 1.0 (RFC 4287) feeds, written with an XML writer so untrusted text is always escaped."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import quote

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"

# Characters XML 1.0 does not allow at all; escaping cannot carry them, so they are dropped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# Ids are URNs derived from the story id, so they stay the same whatever host serves them.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://newsweave.invalid/")

# When a feed has no entries, its updated time is this fixed moment, so its bytes stay stable.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    """One feed entry: a brief (or one version of it)."""

    id: str
    title: str
    updated: datetime
    link: str  # absolute URL of the story page
    summary: str  # plain text
    content_html: str  # an HTML fragment, already escaped where it holds untrusted text
    published: datetime | None = None


@dataclass(frozen=True)
class Feed:
    """A feed and its entries, newest first."""

    id: str
    title: str
    subtitle: str
    self_url: str
    page_url: str
    entries: tuple[Entry, ...]


def atom_id(*parts: str) -> str:
    """A stable urn:uuid for the thing the parts name (e.g. "story", story id, "v2").

    The same on every installation: feeds use tag_uri, which names the installation.
    """
    return "urn:uuid:" + str(uuid.uuid5(_ID_NAMESPACE, "/".join(parts)))


def tag_uri(authority: str, day: date, *parts: str) -> str:
    """A tag: URI (RFC 4151) minted by a host name on a day: tag:host,2026-06-03:story/s-1/v2."""
    specific = "/".join(quote(part, safe="-._~") for part in parts)
    return f"tag:{authority.lower()},{day.isoformat()}:{specific}"


def xml_text(text: str) -> str:
    """Text with the characters XML cannot hold removed."""
    return _NOT_XML.sub("", text)


def aware(moment: datetime) -> datetime:
    """The moment with a time zone; a naive time is taken to be UTC."""
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def _time(moment: datetime) -> str:
    """An RFC 3339 time."""
    return aware(moment).isoformat()


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    """A child element (in the Atom namespace, which the root declares as the default)."""
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def render_atom(feed: Feed, generator_version: str) -> bytes:
    """The feed as UTF-8 Atom XML."""
    # The namespace is declared as a plain xmlns attribute: ElementTree's default_namespace
    # option refuses the unqualified attributes (rel, href) that Atom uses.
    root = ET.Element("feed", xmlns=ATOM_NS)
    _add(root, "id", feed.id)
    _add(root, "title", feed.title)
    _add(root, "subtitle", feed.subtitle)
    updated: Sequence[datetime] = [aware(e.updated) for e in feed.entries]
    _add(root, "updated", _time(max(updated, default=EPOCH)))
    _add(root, "link", rel="self", type="application/atom+xml", href=feed.self_url)
    _add(root, "link", rel="alternate", type="text/html", href=feed.page_url)
    author = _add(root, "author")
    _add(author, "name", "newsweave")
    _add(root, "generator", "newsweave", version=generator_version)
    for entry in feed.entries:
        item = _add(root, "entry")
        _add(item, "id", entry.id)
        _add(item, "title", entry.title or "(untitled)")
        _add(item, "updated", _time(entry.updated))
        if entry.published is not None:
            _add(item, "published", _time(entry.published))
        _add(item, "link", rel="alternate", type="text/html", href=entry.link)
        _add(item, "summary", entry.summary)
        # type="html": the fragment travels as escaped text, which the XML writer escapes.
        _add(item, "content", entry.content_html, type="html")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
