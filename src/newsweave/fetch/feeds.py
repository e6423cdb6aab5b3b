"""Reading fetched bytes: feeds (feedparser), OPML subscription lists, and HTML fragments.

All of it is untrusted: feeds are parsed from memory only (never by URL), HTML is reduced to
plain text, and every string is cleaned the way local files are.
"""

from __future__ import annotations

import calendar
import codecs
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from newsweave.errors import FetchError, InputError
from newsweave.ids import canonical_url
from newsweave.sources.files import clean_text, one_line, valid_url

_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']", re.I)
_CHARSET = re.compile(r"charset=[\"']?([A-Za-z0-9._-]+)", re.I)
_FEED_TYPES = ("xml", "rss", "atom", "rdf")
_UTF8_XML = "application/xml; charset=utf-8"
_FEED_LINK_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
# Elements after which text breaks onto a new line when HTML becomes plain text.
_BLOCKS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote pre tr table section article header "
    "footer figure figcaption dd dt".split()
)
# The problem feedparser reports when it had to ignore the declared encoding: our own
# decoding already chose and recorded the charset, so it is not a second problem.
_ENCODING_NOTES = ("CharacterEncodingOverride", "NonXMLContentType")


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, as plain text."""

    key: str  # stable identity within the feed: its guid, else its link, else a hash
    url: str
    title: str
    content: str  # the entry's full content as text ("" when the feed gives none)
    summary: str  # the entry's summary as text
    published: datetime | None
    author: str


@dataclass(frozen=True)
class Feed:
    """A parsed feed: its title and link, its items, and what was wrong with it."""

    title: str
    link: str
    items: tuple[FeedItem, ...]
    problems: tuple[str, ...] = ()


def html_text(fragment: str) -> str:
    """Plain text of an untrusted HTML fragment: scripts and styles dropped, blocks on lines."""
    if "<" not in fragment and "&" not in fragment:
        return clean_text(fragment)
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_text(fragment)
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    parts: list[str] = []

    def walk(element: Any) -> None:
        if isinstance(element.tag, str):
            block = element.tag.lower() in _BLOCKS
            if block:
                parts.append("\n")
            if element.text:
                parts.append(element.text)
            for child in element:
                walk(child)
            if block:
                parts.append("\n")
        if element.tail:
            parts.append(element.tail)

    walk(root)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return clean_text("\n".join(line for line in lines if line))


def _codec(name: str | None) -> str | None:
    """Python's name for a charset; None for none, or one it does not know (as good as none)."""
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_of(content_type: str) -> str | None:
    """The charset a Content-Type header names, if it names one Python knows."""
    header = _CHARSET.search(content_type or "")
    return _codec(header.group(1)) if header else None


def decode_feed(body: bytes, content_type: str) -> tuple[str, str | None]:
    """The feed as text, and a problem if the declared charset was wrong or missing."""
    header = _CHARSET.search(content_type or "")
    declared_xml = _XML_DECL.search(body[:512])
    declared = (header.group(1) if header else None) or (
        declared_xml.group(1).decode("ascii") if declared_xml else None
    )
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace"), None
    declared_name = _codec(declared)
    try:
        text = body.decode("utf-8")
        utf8_ok = True
    except UnicodeDecodeError:
        text, utf8_ok = "", False
    if declared_name in ("utf-8", None) and utf8_ok:
        return text, None
    if declared_name not in (None, "utf-8") and utf8_ok and not body.isascii():
        # Valid UTF-8 with non-ASCII bytes is almost never text in a legacy charset: the
        # declaration is wrong (a common server default), and trusting it makes mojibake.
        return text, f"charset: declared {declared!r} but the body is UTF-8; read as UTF-8"
    if declared_name is not None and declared_name != "utf-8":
        try:
            return body.decode(declared_name), None
        except UnicodeDecodeError:
            pass
    try:
        # Windows-1252 is by far the most common mislabelled charset (browsers read
        # "ISO-8859-1" as it too); only bytes it leaves undefined call for a statistical guess.
        guess = "cp1252"
        body.decode(guess)
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(body).best()
        guess = best.encoding if best is not None else "cp1252"
    shown = repr(declared) if declared else "no charset"
    return (
        body.decode(guess, "replace"),
        f"charset: declared {shown} but the body is not valid {declared or 'UTF-8'}; "
        f"read as {guess}",
    )


def discover_feed(html: bytes, url: str) -> str | None:
    """The first RSS or Atom feed an HTML page links to (rel="alternate"), made absolute."""
    import lxml.html
    from lxml import etree

    try:
        doc = lxml.html.fromstring(html[:1_000_000])
    except (etree.ParserError, ValueError):
        return None
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in _FEED_LINK_TYPES and href:
            found = canonical_url(urljoin(url, href))
            if valid_url(found):
                return found
    return None


def looks_like_feed(body: bytes, content_type: str) -> bool:
    """Whether bytes are meant as a feed (by media type or by their first element)."""
    if any(kind in content_type for kind in _FEED_TYPES) and "html" not in content_type:
        return True
    head = body[:1024].lstrip().lower()
    if head.startswith(b"<?xml"):
        head = head[head.find(b"?>") + 2 :].lstrip()
    while head.startswith(b"<!--"):
        head = head[head.find(b"-->") + 3 :].lstrip()
    return head.startswith((b"<rss", b"<feed", b"<rdf", b"<channel"))


def _when(entry: Any) -> datetime | None:
    """The entry's publication (else update) time, in UTC."""
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(name)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _entry_text(entry: Any) -> tuple[str, str]:
    """The entry's full content and its summary, as plain text."""
    contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value")]
    content = html_text(max(contents, key=len)) if contents else ""
    summary = html_text(entry.get("summary", "") or "")
    if content and summary and content == summary:
        summary = ""
    return content, summary


def parse_feed(body: bytes, url: str, content_type: str = "") -> Feed:
    """A feed from fetched bytes; raises FetchError("invalid_feed") when none can be read."""
    import feedparser

    text, charset_problem = decode_feed(body, content_type)
    # Parsed from a stream of UTF-8 bytes we decoded ourselves: feedparser never sees a
    # string it could take for a URL or a file name, and never fetches anything.
    parsed = feedparser.parse(
        io.BytesIO(text.encode("utf-8")),
        response_headers={
            "content-type": "application/xml; charset=utf-8",
            "content-location": url,
        },
        sanitize_html=True,
        resolve_relative_uris=True,
    )
    problems = [charset_problem] if charset_problem else []
    exc = parsed.get("bozo_exception")
    if parsed.get("bozo") and type(exc).__name__ not in _ENCODING_NOTES:
        detail = " ".join(str(exc).split())[:200]
        if not parsed.entries:
            raise FetchError("invalid_feed", f"{url}: not a readable feed ({detail})")
        problems.append(f"invalid_xml: {detail}; {len(parsed.entries)} items read leniently")
    if not parsed.get("version") and not parsed.entries:
        raise FetchError("invalid_feed", f"{url}: no RSS or Atom feed found")
    items: list[FeedItem] = []
    for entry in parsed.entries:
        link = one_line(entry.get("link", "") or "")
        link = canonical_url(link) if valid_url(link) else ""
        content, summary = _entry_text(entry)
        title = one_line(html_text(entry.get("title", "") or ""))
        guid = one_line(entry.get("id", "") or "")
        if not (content or summary or title):
            problems.append(f"item {guid or link or '?'}: empty (no title, summary or content)")
            continue
        key = (
            guid
            or link
            or "sha256:" + hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()[:32]
        )
        items.append(
            FeedItem(
                key=key[:500],
                url=link,
                title=title,
                content=content,
                summary=summary,
                published=_when(entry),
                author=one_line(entry.get("author", "") or ""),
            )
        )
    feed = parsed.get("feed", {})
    link = one_line(feed.get("link", "") or "")
    return Feed(
        title=one_line(html_text(feed.get("title", "") or "")),
        link=link if valid_url(link) else "",
        items=tuple(items),
        problems=tuple(problems),
    )


def read_opml(path: Path) -> list[tuple[str, str]]:
    """The (feed url, title) pairs of an OPML subscription list, in document order."""
    origin = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(origin, f"cannot read: {exc.strerror or exc}") from exc
    if b"<!DOCTYPE" in data[:2048].upper() or b"<!ENTITY" in data.upper():
        # OPML needs no DTD; refusing one rules out entity expansion attacks outright.
        raise InputError(origin, "OPML with a DOCTYPE or entities is not read")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(origin, f"not valid OPML XML ({exc})") from exc
    if root.tag.lower() != "opml":
        raise InputError(origin, f"not OPML (root element is <{root.tag}>)")
    found: list[tuple[str, str]] = []
    for outline in root.iter("outline"):
        url = one_line(outline.get("xmlUrl") or outline.get("xmlurl") or "")
        if not url:
            continue
        if not valid_url(url):
            raise InputError(origin, f"feed url {url[:80]!r} is not http(s)")
        title = one_line(outline.get("title") or outline.get("text") or "")
        found.append((url, title))
    if not found:
        raise InputError(origin, "no feeds (no <outline> with an xmlUrl)")
    return list(dict.fromkeys(found))
