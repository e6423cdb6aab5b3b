"""Reading fetched bytes: feeds (feedparser), OPML subscription lists, and HTML fragments.

All of it is untrusted: feeds are parsed from memory only (never by URL), feeds that declare
XML entities are refused before any parser sees them, HTML is reduced to plain text however
deep it nests, and every string is cleaned the way local files are. The work runs in a worker
process (fetch/isolate.py), so its cost is bounded there.
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

from newsweave.config import Limits
from newsweave.errors import FetchError, InputError
from newsweave.ids import canonical_url
from newsweave.ingest.files import clean_text, one_line, valid_url

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
# Byte order marks, UTF-32 LE's before UTF-16 LE's, which it begins with.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CHARREF = re.compile(r"&#([xX][0-9a-fA-F]+|[0-9]+);")
_ENTITY_VALUE = re.compile(r"<!ENTITY\s+(%\s+)?([^\s%\"'>]+)\s+(?:\"([^\"]*)\"|'([^']*)')")
# Nesting the HTML parsers hold: libxml2 stops at 255 levels (2,048 with huge_tree, used for
# feed HTML) and drops what is deeper; deeper elements are flattened first, their text kept.
PAGE_PARSER_DEPTH = 250
_FRAGMENT_PARSER_DEPTH = 2_000
_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr basefont bgsound "
    "frame keygen".split()
)
# Elements whose content is not markup: skipped whole (and dropped whole when too deep, so a
# flattened script never becomes text).
_RAW = {
    name: re.compile(rf"</{name}\s*>", re.I)
    for name in "script style textarea title xmp iframe noembed noframes".split()
}
# Start tags that close an open element of the same name (HTML's implied end tags), so a
# page of unclosed <p> or <li> is not counted as nested.
_SELF_CLOSING_SIBLINGS = frozenset("p li dt dd option tr td th".split())
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")


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


def flatten_deep(html: str, depth: int) -> tuple[str, int]:
    """HTML with the tags of elements nested deeper than depth removed, their text kept.

    Also returns how deep the HTML nests (0 when it has too few tags to pass depth). One
    linear scan: a tag's nesting is counted as browsers would, roughly (void elements and
    implied end tags), and the deep content of scripts and styles is dropped with them.
    """
    if html.count("<") <= depth:
        return html, 0
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # open elements: name, and whether their tags are kept
    open_count: dict[str, int] = {}
    deepest = pos = copied = 0

    def drop(start: int, end: int, name: str) -> None:
        nonlocal copied
        out.append(html[copied:start])
        if name in _BLOCKS:  # white space where a block was, so words do not run together
            out.append("\n")
        copied = end

    def close_top() -> bool:
        name, kept = stack.pop()
        open_count[name] -= 1
        return kept

    while (lt := html.find("<", pos)) >= 0:
        if html.startswith("<!--", lt):
            end = html.find("-->", lt + 4)
            pos = len(html) if end < 0 else end + 3
            continue
        tag = _TAG.match(html, lt)
        gt = html.find(">", tag.end()) if tag else -1
        if tag is None or gt < 0:
            pos = lt + 1
            continue
        end, name = gt + 1, tag.group(2).lower()
        pos = end
        if tag.group(1):  # an end tag: closes the innermost open element of its name
            if open_count.get(name):
                while stack[-1][0] != name:
                    close_top()
                if not close_top():
                    drop(lt, end, name)
            continue
        if stack and (
            (name in _SELF_CLOSING_SIBLINGS and stack[-1][0] == name)
            or (stack[-1][0] == "p" and name in _BLOCKS)
        ):
            close_top()
        level = len(stack) + 1
        deepest = max(deepest, level)
        kept = level <= depth
        if name in _RAW:
            close = _RAW[name].search(html, end)
            pos = close.end() if close else len(html)
            if not kept:
                drop(lt, pos, name)
            continue
        if not kept:
            drop(lt, end, name)
        if name not in _VOID and not html.startswith("/>", gt - 1):
            stack.append((name, kept))
            open_count[name] = open_count.get(name, 0) + 1
    if not copied:
        return html, deepest
    out.append(html[copied:])
    return "".join(out), deepest


def depth_note(deepest: int, limits: Limits) -> str | None:
    """The named cut for HTML nesting past limits.html_depth, if it does."""
    if deepest <= limits.html_depth:
        return None
    return (
        f"html_depth: nested {deepest:,} levels deep, over {limits.html_depth:,}; "
        "deeper elements flattened, their text kept"
    )


def html_text(fragment: str, limits: Limits | None = None) -> str:
    """Plain text of an untrusted HTML fragment: scripts and styles dropped, blocks on lines."""
    return html_text_noted(fragment, limits)[0]


def html_text_noted(fragment: str, limits: Limits | None = None) -> tuple[str, str | None]:
    """Plain text of an HTML fragment, and the named cut if it nests past limits.html_depth."""
    if "<" not in fragment and "&" not in fragment:
        return clean_text(fragment), None
    import lxml.html
    from lxml import etree

    limits = limits or Limits()
    fragment, deepest = flatten_deep(fragment, min(limits.html_depth, _FRAGMENT_PARSER_DEPTH))
    try:
        # huge_tree: nesting past 255 levels kept (flatten_deep bounds it), not dropped.
        parser = lxml.html.HTMLParser(huge_tree=True)
        root = lxml.html.fragment_fromstring(fragment, create_parent="div", parser=parser)
    except (etree.ParserError, ValueError):
        return clean_text(fragment), None
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    parts: list[str] = []
    # Walked by events, not recursion: deep nesting cannot exhaust Python's stack.
    for event, element in etree.iterwalk(root, events=("start", "end")):
        named = isinstance(element.tag, str)
        block = named and element.tag.lower() in _BLOCKS
        if event == "start":
            if block:
                parts.append("\n")
            if named and element.text:
                parts.append(element.text)
            continue
        if block:
            parts.append("\n")
        if element.tail and element is not root:
            parts.append(element.tail)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return clean_text("\n".join(line for line in lines if line)), depth_note(deepest, limits)


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


def bom_codec(body: bytes) -> tuple[str, int] | None:
    """The codec a byte order mark names, and the mark's length; None without one."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec, len(bom)
    return None


def _wide_codec(head: bytes) -> str | None:
    """UTF-16 or UTF-32 without a BOM, told by how its first ASCII character is laid out.

    An XML document begins with "<" (XML 1.0, appendix F): a zero-padded first character
    gives the width and byte order away.
    """
    if len(head) < 4 or not (0 < max(head) < 0x80):
        return None
    zeros = tuple(b == 0 for b in head)
    return {
        (True, True, True, False): "utf-32-be",
        (False, True, True, True): "utf-32-le",
        (True, False, True, False): "utf-16-be",
        (False, True, False, True): "utf-16-le",
    }.get(zeros)


def decode_feed(body: bytes, content_type: str) -> tuple[str, str | None]:
    """The feed as text, and a problem if the declared charset was wrong or missing."""
    # A byte order mark, or UTF-16/32 layout, wins over any declaration (RFC 7303 section 3);
    # a lone surrogate or truncated character in it is replaced, not fatal.
    if (marked := bom_codec(body)) is not None:
        return body[marked[1] :].decode(marked[0], "replace"), None
    wide = _wide_codec(body[:4])
    if wide is not None:
        return body.decode(wide, "replace"), None
    header = _CHARSET.search(content_type or "")
    declared_xml = _XML_DECL.search(body[:512])
    declared = (header.group(1) if header else None) or (
        declared_xml.group(1).decode("ascii") if declared_xml else None
    )
    declared_name = _codec(declared)
    # UTF-16 or UTF-32 declared for bytes laid out as neither (no BOM, no zero padding): the
    # declaration is wrong, and decoding by it would turn any even-length body into nonsense.
    wide_claim = (declared_name or "").startswith(("utf-16", "utf-32"))
    if wide_claim:
        declared_name = None
    try:
        text = body.decode("utf-8")
        utf8_ok = True
    except UnicodeDecodeError:
        text, utf8_ok = "", False
    if declared_name in ("utf-8", None) and utf8_ok:
        wrong = f"charset: declared {declared!r} but the body is not; read as UTF-8"
        return text, wrong if wide_claim else None
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


def _entry_text(entry: Any, limits: Limits) -> tuple[str, str, str | None]:
    """The entry's full content and its summary, as plain text, and any depth cut."""
    contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value")]
    content, cut = html_text_noted(max(contents, key=len), limits) if contents else ("", None)
    summary, summary_cut = html_text_noted(entry.get("summary", "") or "", limits)
    if content and summary and content == summary:
        summary = ""
    return content, summary, cut or summary_cut


def _entry_label(entry: Any) -> str:
    """How problems name an entry: its guid, else its link."""
    try:
        return one_line(str(entry.get("id") or entry.get("link") or "?"))[:200]
    except Exception:  # a label must never be the thing that fails
        return "?"


def _item(entry: Any, limits: Limits) -> tuple[FeedItem | None, list[str]]:
    """One entry as an item (None if it has no text), and its problems."""
    label = f"item {_entry_label(entry)}"
    link = one_line(entry.get("link", "") or "")
    link = canonical_url(link) if valid_url(link) else ""
    content, summary, cut = _entry_text(entry, limits)
    title = one_line(html_text(entry.get("title", "") or "", limits))
    guid = one_line(entry.get("id", "") or "")
    problems = [f"{label}: {cut}"] if cut else []
    if not (content or summary or title):
        return None, [*problems, f"{label}: empty (no title, summary or content)"]
    key = (
        guid or link or "sha256:" + hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()[:32]
    )
    item = FeedItem(
        key=key[:500],
        url=link,
        title=title,
        content=content,
        summary=summary,
        published=_when(entry),
        author=one_line(entry.get("author", "") or ""),
    )
    return item, problems


def entity_declarations(text: str) -> list[int]:
    """Where the document declares XML entities (<!ENTITY), comments and CDATA left out.

    One linear scan with str.find: an unclosed comment or CDATA section cannot make it
    quadratic, as a regular expression searching ahead from every "<!" would.
    """
    found: list[int] = []
    pos = 0
    while (start := text.find("<!", pos)) >= 0:
        if text.startswith("<!--", start):
            end = text.find("-->", start + 4)
        elif text.startswith("<![CDATA[", start):
            end = text.find("]]>", start + 9)
        else:
            if text[start + 2 : start + 8].upper() == "ENTITY":
                found.append(start)
            pos = start + 2
            continue
        if end < 0:
            break
        pos = end + 3
    return found


def _refuse_entities(text: str, url: str, limits: Limits) -> None:
    """Raise FetchError("entity_expansion") for a feed declaring more entities than allowed.

    feedparser's lenient parser, used when expat stops a document, expands declared entities
    with no bound: 150 KB with one entity used 20,000 times took minutes and gigabytes. The
    entities allowed are also bounded in what they would expand to: no more than the
    document itself.
    """
    where = entity_declarations(text)
    if len(where) > limits.entity_declarations:
        raise FetchError(
            "entity_expansion",
            f"{url}: declares {len(where):,} XML entities (at most {limits.entity_declarations:,}"
            " allowed); refused before parsing, nothing expanded",
        )
    expanded = 0
    for start in where:
        decl = _ENTITY_VALUE.match(text, start)
        if decl is None or decl.group(1):  # external or parameter: nothing expanded in text
            continue
        value = decl.group(3) if decl.group(3) is not None else decl.group(4)
        if re.search(r"&[^#]", value):  # nesting multiplies: billion laughs
            raise FetchError(
                "entity_expansion",
                f"{url}: entity {decl.group(2)!r} refers to other entities; refused before parsing",
            )
        expanded += text.count(f"&{decl.group(2)};") * len(value)
    if expanded > len(text):
        raise FetchError(
            "entity_expansion",
            f"{url}: its entities would expand to {expanded:,} characters, more than the "
            f"{len(text):,} of the feed itself; refused before parsing",
        )


def _safe_charref(ref: re.Match[str]) -> str:
    """A character reference, or U+FFFD for one naming no character XML allows."""
    digits = ref.group(1)
    hexa = digits[0] in "xX"
    digits = (digits[1:] if hexa else digits).lstrip("0") or "0"
    if len(digits) > 8:  # past U+10FFFF whatever it says (and int() of it would be slow)
        return "&#xFFFD;"
    point = int(digits, 16 if hexa else 10)
    if point in (0x9, 0xA, 0xD) or 0x20 <= point < 0xD800 or 0xE000 <= point <= 0x10FFFF:
        return ref.group(0)
    # Surrogates, NUL, other controls and numbers past Unicode: expat refuses the whole
    # document for one, and feedparser's lenient parser then fails on it.
    return "" if point < 0x20 else "&#xFFFD;"


def parse_feed(body: bytes, url: str, content_type: str = "", limits: Limits | None = None) -> Feed:
    """A feed from fetched bytes; raises FetchError("invalid_feed") when none can be read.

    Raises FetchError("entity_expansion") for a feed declaring XML entities past the limit.
    An item that cannot be read is skipped and named among the problems, never the feed.
    """
    import feedparser

    limits = limits or Limits()
    text, charset_problem = decode_feed(body, content_type)
    _refuse_entities(text, url, limits)
    if "&#" in text:
        text = _CHARREF.sub(_safe_charref, text)
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
        try:
            item, item_problems = _item(entry, limits)
        except MemoryError:  # one entry too big to read costs that entry, not the feed
            problems.append(f"item {_entry_label(entry)}: skipped (parse_memory: out of memory)")
            continue
        except Exception as exc:  # a parser bug on one hostile entry costs only that entry
            detail = " ".join(str(exc).split())[:200]
            problems.append(
                f"item {_entry_label(entry)}: skipped (unreadable: {type(exc).__name__}: {detail})"
            )
            continue
        problems.extend(item_problems)
        if item is not None:
            items.append(item)
    feed = parsed.get("feed", {})
    link = one_line(feed.get("link", "") or "")
    return Feed(
        title=one_line(html_text(feed.get("title", "") or "", limits)),
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


def write_opml(sources: list[tuple[str, str, str]], now: datetime | None = None) -> str:
    """An OPML 2.0 subscription list of (url, title, kind) sources, for other feed readers.

    Feeds (and sources not yet known to be pages) become `type="rss"` outlines with an
    xmlUrl, which read_opml and other readers import; pages become `type="link"` outlines
    (OPML 2.0's link to a web page), which feed readers list but read_opml skips.
    """
    from email.utils import format_datetime

    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "newsweave sources"
    ET.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC))
    body = ET.SubElement(root, "body")
    for url, title, kind in sources:
        text = title or url
        if kind == "page":
            ET.SubElement(body, "outline", type="link", text=text, url=url)
        else:
            ET.SubElement(body, "outline", type="rss", text=text, title=text, xmlUrl=url)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"
