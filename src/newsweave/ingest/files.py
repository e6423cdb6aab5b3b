"""Read reports from local files: plain text, Markdown, HTML, JSON and JSON Lines."""

from __future__ import annotations

import codecs
import email.utils
import io
import json
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsweave.config import Limits
from newsweave.errors import InputError
from newsweave.ids import normalise_text, report_id
from newsweave.ingest.limits import limit_report
from newsweave.records import LoadResult, Problem, Report

EXTENSIONS = frozenset({".txt", ".md", ".html", ".htm", ".json", ".jsonl"})
MAX_FILE_BYTES = 20_000_000
TITLE_LIMIT = 100

_SNIFF_BYTES = 8192
_UTF8_BOM = b"\xef\xbb\xbf"
# UTF-32 first: its little-endian BOM begins with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
# A well-formed UTF-8 sequence of two or more bytes: a file with none of these but with
# invalid bytes is in a legacy 8-bit encoding, not UTF-8 with a few damaged bytes.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
# <meta charset="..."> or <meta http-equiv="Content-Type" content="...; charset=...">,
# looked for where browsers look: the first 1024 bytes (HTML's encoding prescan).
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_MAX_LINE_PROBLEMS = 100  # bad lines named one by one per file; the rest are counted
_SHORTEST_REPORT = len(b'{"text":"x"}')
_MAX_DATE_CHARS = 200  # longer strings are not dates; spare dateparser the work
_FIELDS = ("outlet", "url", "title", "published", "text")
_HEADER_KEYS = frozenset({"outlet", "url", "title", "published"})

_NEWLINE = re.compile(r"\r\n?|[\x85\u2028\u2029]")
# C0/C1 controls (but not tab or newline), bidi overrides that can disguise text, stray BOMs.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
# Lone surrogates, which JSON escapes can produce but UTF-8 cannot store: they become U+FFFD
# (not dropped, so a reader sees that something was there).
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_RUN = re.compile(r"\n{3,}")
_HEADER_LINE = re.compile(r"([A-Za-z][\w-]*)[ \t]*:[ \t]*(.*)")
_SENTENCE_END = re.compile(r"[.!?](?=\s)")
_MD_CLOSING_HASHES = re.compile(r"[ \t]+#+$")


def load_paths(paths: Sequence[Path | str], limits: Limits | None = None) -> LoadResult:
    """Read every report under the given files and folders; bad inputs become problems.

    Reports past a limit are cut (limit_report), each cut named in the result's cuts.
    """
    if isinstance(paths, str | Path):  # a lone path would otherwise be iterated char by char
        paths = [paths]
    limits = limits or Limits()
    reports: list[Report] = []
    problems: list[Problem] = []
    cuts: list[Problem] = []
    seen: set[str] = set()
    for given in paths:
        for path in _expand(Path(given), problems):
            try:
                found, bad, notes = _read(path)
            except InputError as err:
                problems.append(Problem(err.origin, err.reason))
                continue
            problems.extend(bad)
            cuts.extend(notes)  # read, but altered: invalid bytes replaced, say
            for report in found:
                if report.id not in seen:  # first copy wins
                    seen.add(report.id)
                    report, reasons = limit_report(report, limits)
                    cuts.extend(Problem(report.origin, reason) for reason in reasons)
                    reports.append(report)
    return LoadResult(reports=tuple(reports), problems=tuple(problems), cuts=tuple(cuts))


def read_file(path: Path) -> list[Report]:
    """Read the reports in one file; raise InputError if any part of it is bad."""
    reports, problems, _ = _read(Path(path))
    if problems:
        raise InputError(problems[0].origin, problems[0].reason)
    return reports


def parse_published(value: str, origin: str) -> datetime | None:
    """Parse a publication time as a timezone-aware datetime (naive times are UTC)."""
    value = one_line(value)
    if not value:
        return None
    parsed = _parse_date(value)
    if parsed is None:
        shown = value if len(value) <= 60 else value[:59] + "…"
        raise InputError(origin, f"unparseable date {shown!r}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _parse_date(value: str) -> datetime | None:
    """Try ISO 8601, then RFC 2822, then dateparser's absolute formats."""
    if len(value) > _MAX_DATE_CHARS:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    import dateparser  # imported here: slow to load and needed only for loose formats

    settings = {
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": "UTC",
        # A full date only, and never relative to today ("yesterday", "June 5"):
        # reading the same file twice must give the same time.
        "REQUIRE_PARTS": ["day", "month", "year"],
        "PARSERS": ["absolute-time"],
    }
    try:
        return dateparser.parse(value, settings=settings)
    except (ValueError, TypeError, OverflowError, AttributeError):
        return None


def input_files(paths: Sequence[Path | str]) -> tuple[list[Path], list[Problem]]:
    """The files load_paths reads for the given files and folders, in its order, and problems."""
    problems: list[Problem] = []
    found = [path for given in paths for path in _expand(Path(given), problems)]
    return found, problems


def _expand(path: Path, problems: list[Problem]) -> list[Path]:
    """The files a given path stands for; a missing or unusable path becomes a problem."""
    if path.is_dir():
        return _walk(path, problems)
    if not path.exists():
        problems.append(Problem(str(path), "no such file or folder"))
        return []
    if path.suffix.lower() not in EXTENSIONS:
        problems.append(Problem(str(path), _unsupported(path)))
        return []
    return [path]


def _walk(root: Path, problems: list[Problem]) -> list[Path]:
    """Recognised, non-hidden files under a folder, in sorted order."""

    def on_error(err: OSError) -> None:
        problems.append(Problem(str(err.filename or root), f"cannot read folder: {err.strerror}"))

    found: list[Path] = []
    # followlinks=False: a symlink loop must not make the walk endless.
    for folder, dirs, files in os.walk(root, onerror=on_error, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = Path(folder, name)
            if not name.startswith(".") and path.suffix.lower() in EXTENSIONS:
                found.append(path)
    return sorted(found)


def _unsupported(path: Path) -> str:
    """The reason given for a file whose extension is not read."""
    kind = f"'{path.suffix}'" if path.suffix else "with no extension"
    return f"unsupported file type {kind} (expected one of {' '.join(sorted(EXTENSIONS))})"


def _read(path: Path) -> tuple[list[Report], list[Problem], list[Problem]]:
    """Reports in one file, problems with parts of it, and notes on how it was read.

    Raises InputError if all of it is bad.
    """
    origin = str(path)
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise InputError(origin, _unsupported(path))
    data = _read_bytes(path)
    if suffix == ".jsonl":
        return (*_read_jsonl(data, origin), [])
    text, notes = _decode(data, origin, html=suffix in (".html", ".htm"))
    if suffix == ".json":
        return (*_read_json(text, origin), notes)
    if suffix in (".html", ".htm"):
        return [read_html(text, origin)], [], notes
    return [_read_text(text, origin, markdown=suffix == ".md")], [], notes


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing anything that is not a regular file of sane size."""
    origin = str(path)
    try:
        if not path.exists():
            raise InputError(origin, "no such file")
        if not path.is_file():  # a FIFO or device would block or never end
            raise InputError(origin, "not a regular file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(origin, f"file too large ({size} bytes, limit {MAX_FILE_BYTES})")
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # the size can change after stat
    except OSError as err:
        raise InputError(origin, f"cannot read file: {err.strerror or err}") from err
    if len(data) > MAX_FILE_BYTES:
        raise InputError(origin, f"file too large (over {MAX_FILE_BYTES} bytes)")
    return data


def _decode(data: bytes, origin: str, *, html: bool = False) -> tuple[str, list[Problem]]:
    """A file's text, and a note if it was not clean UTF-8; refuses empty and binary files.

    UTF-8 (a BOM allowed), or UTF-16/32 with a BOM. Bytes that are not UTF-8 do not lose
    the file: an HTML page is read in the charset it declares, a file with no well-formed
    UTF-8 sequence at all as Windows-1252 (the usual legacy encoding), and otherwise each
    invalid sequence becomes U+FFFD. Each of these is named in the note.
    """
    if not data.strip():
        raise InputError(origin, "empty file")
    notes: list[Problem] = []
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as err:
                text = data[len(bom) :].decode(codec, "replace")
                at = err.start + len(bom)
                reason = f"not valid {name} (at offset {at}): bad sequences replaced with U+FFFD"
                notes.append(Problem(origin, reason))
            return _nonblank(text, origin), notes
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise InputError(origin, "binary file (NUL bytes)")
    skip = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    try:
        return _nonblank(data[skip:].decode("utf-8"), origin), notes
    except UnicodeDecodeError as err:
        at = err.start + skip
        where = f"byte 0x{data[at]:02x} at offset {at}"
    declared = _declared_charset(data) if html else None
    if declared is not None:
        text = data[skip:].decode(declared, "replace")
        notes.append(
            Problem(origin, f"not valid UTF-8 ({where}): read as {declared}, the page's charset")
        )
    elif _UTF8_MULTIBYTE.search(data) is None:
        text = _decode_cp1252(data[skip:])
        notes.append(Problem(origin, f"not valid UTF-8 ({where}): read as Windows-1252"))
    else:
        text = data[skip:].decode("utf-8", "replace")
        replaced = text.count("\ufffd") - data.count("\ufffd".encode())
        plural = "s" if replaced != 1 else ""
        reason = f"not valid UTF-8 ({where}): {replaced} bad sequence{plural} replaced with U+FFFD"
        notes.append(Problem(origin, reason))
    return _nonblank(text, origin), notes


def _nonblank(text: str, origin: str) -> str:
    """The text, refusing one that is only white space."""
    if not text.strip():
        raise InputError(origin, "empty file")
    return text


def _declared_charset(data: bytes) -> str | None:
    """The Python codec for the charset an HTML page declares, if it is known and 8-bit."""
    match = _META_CHARSET.search(data[:1024])
    if match is None:
        return None
    try:
        name = codecs.lookup(match[1].decode("ascii")).name
        b"".decode(name)  # LookupError for codecs that are not text encodings (base64, ...)
    except LookupError:
        return None
    # A page that says UTF-8 but is not, or names UTF-16 in an ASCII-compatible meta tag
    # (which browsers read as UTF-8), gets the UTF-8 repair instead; UTF-7 is not read at
    # all by browsers (it can hide markup in plain letters).
    if name.startswith("utf"):
        return None
    # As browsers do (WHATWG Encoding): ASCII and Latin-1 labels mean Windows-1252.
    return "cp1252" if name in ("ascii", "iso8859-1", "latin-1") else name


def _decode_cp1252(data: bytes) -> str:
    """Windows-1252 text; the five bytes it leaves undefined (controls in Latin-1) as U+FFFD."""
    return data.decode("cp1252", "replace")


def clean_text(text: str) -> str:
    """Untrusted text made safe: \\n newlines, no control characters, at most one blank line."""
    text = _SURROGATE.sub("\ufffd", _UNSAFE.sub("", _NEWLINE.sub("\n", text)))
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_RUN.sub("\n\n", text).strip()


def one_line(value: str) -> str:
    """A cleaned single-line field: white space runs become one space."""
    return " ".join(_SURROGATE.sub("\ufffd", _UNSAFE.sub("", _NEWLINE.sub(" ", value))).split())


def _read_text(text: str, origin: str, *, markdown: bool) -> Report:
    """A .txt or .md file: an optional key: value header, a blank line, then the body."""
    text = clean_text(text)
    fields, body = _split_header(text)
    if markdown and not fields.get("title"):
        title, body = _markdown_title(body)
        if title:
            fields["title"] = title
    fields["text"] = body
    return make_report(fields, origin)


def _split_header(text: str) -> tuple[dict[str, str], str]:
    """Header fields and the body; no header fields means the whole text is the body."""
    lines = text.split("\n")
    if lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is None:  # an opening rule with no closing one is Markdown, not front matter
            return {}, text
        fields = _header_fields(lines[1:end], fenced=True)
        return (fields, "\n".join(lines[end + 1 :])) if fields else ({}, text)
    end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    fields = _header_fields(lines[:end], fenced=False)
    return (fields, "\n".join(lines[end + 1 :])) if fields else ({}, text)


def _header_fields(lines: list[str], *, fenced: bool) -> dict[str, str]:
    """Known header keys in a block of lines, or {} if the block is not a header."""
    fields: dict[str, str] = {}
    for line in lines:
        match = _HEADER_LINE.fullmatch(line.strip())
        if match is None:
            if fenced:  # front matter may hold YAML we do not read (lists, nesting)
                continue
            return {}  # a line of prose: the first paragraph is body text, not a header
        key, value = match[1].lower(), match[2].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1].strip()  # YAML-style quoting
        if key in _HEADER_KEYS and value:
            fields[key] = value
    return fields


def _markdown_title(body: str) -> tuple[str, str]:
    """Take a leading '# ' heading out of a Markdown body as the title."""
    lines = body.strip("\n").split("\n")
    if lines[0].startswith("# "):
        title = _MD_CLOSING_HASHES.sub("", lines[0][2:]).strip()
        return title, "\n".join(lines[1:])
    return "", body


def _read_json(text: str, origin: str) -> tuple[list[Report], list[Problem]]:
    """A .json file: one report object, or a list of them (each item judged alone)."""
    data = _parse_json(text, origin)
    if not isinstance(data, list):
        return [_from_object(data, origin)], []
    if not data:
        raise InputError(origin, "empty JSON list")
    reports: list[Report] = []
    problems: list[Problem] = []
    for index, item in enumerate(data):
        try:
            reports.append(_from_object(item, f"{origin}[{index}]"))
        except InputError as err:
            problems.append(Problem(err.origin, err.reason))
    return reports, problems


def _read_jsonl(data: bytes, origin: str) -> tuple[list[Report], list[Problem]]:
    """A .jsonl file: one report object per line; a bad line does not spoil the others.

    Each line is decoded on its own, so a line that is not UTF-8 is skipped and named while
    the lines beside it are read. Past _MAX_LINE_PROBLEMS bad lines are counted, not named.
    """
    if not data.strip():
        raise InputError(origin, "empty file")
    for bom, codec, _ in _BOMS:  # a UTF-16/32 file: decoded whole, then read as UTF-8
        if data.startswith(bom):
            data = data[len(bom) :].decode(codec, "replace").encode("utf-8")
            break
    else:
        data = data.removeprefix(_UTF8_BOM)
    reports: list[Report] = []
    problems: list[Problem] = []
    uncounted = 0
    # Split on \n only (never inside a UTF-8 sequence): JSON strings may hold raw U+2028,
    # which splitlines() would cut. io.BytesIO gives the lines one at a time.
    for number, raw in enumerate(io.BytesIO(data), start=1):
        line = raw.strip()
        if not line:
            continue
        if len(problems) >= _MAX_LINE_PROBLEMS and not _could_be_report(line):
            uncounted += 1  # cheap: millions of tiny bad lines must not cost minutes
            continue
        where = f"{origin}:{number}"
        try:
            reports.append(_from_object(_parse_json(_decode_line(line, where), where), where))
        except InputError as err:
            if len(problems) < _MAX_LINE_PROBLEMS:
                problems.append(Problem(err.origin, err.reason))
            else:
                uncounted += 1
    if not reports and b"\x00" in data[:_SNIFF_BYTES]:
        raise InputError(origin, "binary file (NUL bytes)")  # not JSON Lines at all
    if uncounted:
        problems.append(Problem(origin, f"{uncounted:,} more bad lines skipped (not named)"))
    return reports, problems


def _could_be_report(line: bytes) -> bool:
    """Whether a stripped line might hold a report: an object at least as long as {"text":"x"}."""
    return len(line) >= _SHORTEST_REPORT and line[:1] == b"{"


def _decode_line(raw: bytes, origin: str) -> str:
    """One line of a JSON Lines file as text; raise InputError naming the first bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        reason = f"not valid UTF-8 (byte 0x{raw[err.start]:02x} at offset {err.start})"
        raise InputError(origin, reason) from err


def _parse_json(text: str, origin: str) -> Any:
    """Decode JSON, naming the error and where it is."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        hint = ""
        if err.msg == "Extra data":  # the usual cause: JSON Lines saved as .json
            hint = " (several values: use .jsonl for one report per line)"
        # a JSON Lines line is named by its origin, so only the column helps there
        where = f"line {err.lineno} column {err.colno}" if "\n" in text else f"column {err.colno}"
        raise InputError(origin, f"invalid JSON: {err.msg} at {where}{hint}") from err
    except RecursionError as err:  # deeply nested arrays from hostile input
        raise InputError(origin, "invalid JSON: nested too deeply") from err
    except ValueError as err:  # e.g. an integer too long to convert
        raise InputError(origin, f"invalid JSON: {err}") from err


def _from_object(data: Any, origin: str) -> Report:
    """A report from a decoded JSON object with string fields."""
    if not isinstance(data, dict):
        raise InputError(origin, "expected an object with a 'text' field")
    fields: dict[str, str] = {}
    for key in _FIELDS:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            kind = {dict: "an object", list: "an array", bool: "a boolean"}.get(
                type(value), "a number"
            )
            raise InputError(origin, f"field '{key}' must be a string, not {kind}")
        fields[key] = value
    return make_report(fields, origin)


def read_html(html: str, origin: str) -> Report:
    """An .html file: main text and metadata found by trafilatura."""
    import trafilatura  # imported here: heavy, and needed only for HTML files

    date_params = {
        "original_date": True,  # the publication date, not the last update
        "extensive_search": False,  # no guessing from stray dates in the page text
        "outputformat": "%Y-%m-%dT%H:%M:%S%z",  # keep the time and offset, not just the day
        "max_date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }
    try:
        doc = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, date_extraction_params=date_params
        )
    except Exception as err:  # a parser bug on one hostile page must not stop the whole load
        raise InputError(origin, f"HTML extraction failed: {type(err).__name__}: {err}") from err
    text = clean_text(doc.text or "") if doc is not None else ""
    if not text:
        raise InputError(origin, "no article text found")
    title = one_line(doc.title or "")
    lines = text.split("\n")
    if title and normalise_text(lines[0]) == normalise_text(title):
        text = "\n".join(lines[1:]).strip()  # the page's <h1> repeats the title as its first line
    url = doc.url or ""
    fields = {
        "outlet": doc.sitename or "",
        # page metadata is often a relative or odd link: drop it rather than refuse the page
        "url": url if valid_url(url) else "",
        "title": title,
        "published": doc.date or "",
        "text": text,
    }
    return make_report(fields, origin)


def make_report(fields: dict[str, str], origin: str) -> Report:
    """A report from raw string fields: cleaned, checked, with derived outlet and title."""
    text = clean_text(fields.get("text", ""))
    if not text:
        raise InputError(origin, "missing text")
    url = one_line(fields.get("url", ""))
    if url and not valid_url(url):
        shown = url if len(url) <= 60 else url[:59] + "…"
        raise InputError(origin, f"invalid url {shown!r} (expected http:// or https://)")
    return Report(
        id=report_id(url, text),
        outlet=one_line(fields.get("outlet", "")) or _outlet_from_url(url) or "unknown",
        title=one_line(fields.get("title", "")) or _derive_title(text),
        text=text,
        url=url,
        published=parse_published(fields.get("published", ""), origin),
        origin=origin,
    )


def valid_url(url: str) -> bool:
    """Whether a URL is absolute http(s) with a host (other schemes are unsafe to link)."""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _outlet_from_url(url: str) -> str:
    """The host of a URL without 'www.', or '' if there is none."""
    if not url:
        return ""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def _derive_title(text: str) -> str:
    """The first sentence-ish of the first line, cut to TITLE_LIMIT characters."""
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    match = _SENTENCE_END.search(first, 20)  # skip early abbreviations such as "Mr."
    if match:
        first = first[: match.end()]
    if len(first) <= TITLE_LIMIT:
        return first
    cut = first[: TITLE_LIMIT - 1]
    space = cut.rfind(" ")
    if space > TITLE_LIMIT // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"
