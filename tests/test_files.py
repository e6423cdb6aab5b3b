"""Tests for reading reports from local files."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsweave.errors import InputError
from newsweave.ids import report_id
from newsweave.ingest.files import load_paths, parse_published, read_file
from newsweave.records import Problem

BODY = "The Old Town bridge closed on Thursday after flood water rose, officials said."

ARTICLE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Bridge closes after flood | Daily Planet</title>
<meta property="og:site_name" content="Daily Planet">
<meta property="og:title" content="Bridge closes after flood">
<meta property="article:published_time" content="2026-06-05T09:30:00+02:00">
<link rel="canonical" href="https://www.dailyplanet.example/news/bridge-closes">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World news</a></nav>
<article><h1>Bridge closes after flood</h1>
<p>The Old Town bridge closed on Thursday after flood water rose above the walkway,
city officials said.</p>
<p>Engineers will inspect the structure before it reopens, the mayor told reporters.</p>
</article>
<footer>Copyright Daily Planet 2026. Subscribe to our newsletter.</footer>
</body></html>
"""


def write(path: Path, content: str | bytes) -> Path:
    """Write a fixture file, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- plain text and Markdown -------------------------------------------------


def test_txt_with_header(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.txt",
        "Outlet: Daily Planet\n"
        "URL: https://www.dailyplanet.example/news/bridge\n"
        "Title: Bridge closes\n"
        "Published: 2026-06-05T09:30:00+02:00\n"
        "\n"
        f"{BODY}\nSecond paragraph.\n",
    )
    [report] = read_file(path)
    assert report.outlet == "Daily Planet"
    assert report.url == "https://www.dailyplanet.example/news/bridge"
    assert report.title == "Bridge closes"
    assert report.text == f"{BODY}\nSecond paragraph."
    assert report.published == datetime(2026, 6, 5, 7, 30, tzinfo=UTC)
    assert report.published.utcoffset() == timedelta(hours=2)
    assert report.origin == str(path)
    assert report.id == report_id("https://www.dailyplanet.example/news/bridge", report.text)
    assert report.language == "en"


def test_txt_front_matter_fences_and_quotes(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.txt",
        '---\nTITLE: "Quoted title"\nauthor: ignored\ntags:\n  - flood\noutlet: Wire\n---\n\n'
        f"{BODY}\n",
    )
    [report] = read_file(path)
    assert (report.title, report.outlet, report.text) == ("Quoted title", "Wire", BODY)


def test_txt_without_header_derives_outlet_and_title(tmp_path: Path) -> None:
    long_line = "Flood " + "water " * 40 + "rose."
    path = write(tmp_path / "a.txt", f"{long_line}\nSecond line.\n")
    [report] = read_file(path)
    assert report.outlet == "unknown"
    assert report.url == ""
    assert report.published is None
    assert report.text == f"{long_line}\nSecond line."
    assert report.title.endswith("…")
    assert len(report.title) <= 100
    assert report.title.startswith("Flood water water")
    assert report.id == report_id("", report.text)


def test_derived_title_is_first_sentence(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "Mr. Smith resigned on Tuesday. He gave no reason.\n")
    assert read_file(path)[0].title == "Mr. Smith resigned on Tuesday."


def test_prose_first_paragraph_with_colon_is_body(tmp_path: Path) -> None:
    # "Update:" is not a header key, so the first paragraph must stay body text.
    path = write(tmp_path / "a.txt", "Update: the bridge reopened.\n\nMore text.\n")
    [report] = read_file(path)
    assert report.text == "Update: the bridge reopened.\n\nMore text."
    assert report.outlet == "unknown"


def test_outlet_derived_from_url_host(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", f"url: https://WWW.Example.com/story\n\n{BODY}\n")
    assert read_file(path)[0].outlet == "example.com"


def test_md_heading_becomes_title(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", f"# Bridge closes #\n\n{BODY} It is **closed**.\n")
    [report] = read_file(path)
    assert report.title == "Bridge closes"
    assert report.text == f"{BODY} It is **closed**."


def test_md_title_header_keeps_heading_in_body(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", f"title: From header\n\n# Heading\n{BODY}\n")
    [report] = read_file(path)
    assert report.title == "From header"
    assert report.text == f"# Heading\n{BODY}"


def test_text_is_cleaned(tmp_path: Path) -> None:
    raw = (
        "title: T\x07itle\r\n\r\nLine\x00 one\u202e\r\n\r\n\r\n\r\n  \r\nLine\ttwo   \rLine three\n"
    )
    # NUL would make the file binary, so write it past the sniffed first 8 KB.
    path = write(tmp_path / "a.txt", raw.replace("\x00", "") + "\n" * 9000 + "End\x00.\n")
    [report] = read_file(path)
    assert report.title == "Title"
    assert report.text == "Line one\n\nLine\ttwo\nLine three\n\nEnd."


# --- HTML --------------------------------------------------------------------


def test_html_article_is_extracted(tmp_path: Path) -> None:
    path = write(tmp_path / "page.html", ARTICLE_HTML)
    [report] = read_file(path)
    assert report.title == "Bridge closes after flood"
    assert report.outlet == "Daily Planet"
    assert report.url == "https://www.dailyplanet.example/news/bridge-closes"
    assert report.published == datetime(2026, 6, 5, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    # The <h1> repeating the title is dropped; navigation and footer are not article text.
    assert report.text == (
        "The Old Town bridge closed on Thursday after flood water rose above the walkway, "
        "city officials said.\n"
        "Engineers will inspect the structure before it reopens, the mayor told reporters."
    )
    assert report.origin == str(path)


def test_html_without_site_name_uses_url_host(tmp_path: Path) -> None:
    html = ARTICLE_HTML.replace('<meta property="og:site_name" content="Daily Planet">', "")
    html = html.replace(" | Daily Planet", "")
    [report] = read_file(write(tmp_path / "page.htm", html))
    assert report.outlet == "dailyplanet.example"


def test_html_without_text_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.html", "<html><head><title>Nothing</title></head><body></body>")
    with pytest.raises(InputError) as caught:
        read_file(path)
    assert (caught.value.origin, caught.value.reason) == (str(path), "no article text found")


# --- JSON and JSON Lines -----------------------------------------------------


def test_json_object(tmp_path: Path) -> None:
    data = {
        "outlet": "Wire",
        "url": "https://wire.example/1",
        "title": "Headline",
        "published": "Fri, 05 Jun 2026 09:30:00 +0000",
        "text": BODY,
        "extra": [1, 2],
    }
    path = write(tmp_path / "a.json", json.dumps(data))
    [report] = read_file(path)
    assert (report.outlet, report.url, report.title, report.text) == (
        "Wire",
        "https://wire.example/1",
        "Headline",
        BODY,
    )
    assert report.published == datetime(2026, 6, 5, 9, 30, tzinfo=UTC)
    assert report.origin == str(path)


def test_json_list_bad_item_keeps_the_others(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.json",
        json.dumps([{"text": "First story."}, {"title": "no text"}, {"text": "Third story."}]),
    )
    result = load_paths([path])
    assert [r.text for r in result.reports] == ["First story.", "Third story."]
    assert [r.origin for r in result.reports] == [f"{path}[0]", f"{path}[2]"]
    assert result.problems == (Problem(f"{path}[1]", "missing text"),)
    with pytest.raises(InputError, match="missing text"):
        read_file(path)  # read_file is strict: any bad part fails the file


def test_jsonl_bad_line_keeps_good_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path / "feed.jsonl",
        '{"text": "Line one story.", "outlet": "A"}\n'
        "\n"
        "{not json\n"
        '{"text": "Line four story.", "published": "June 5, 2026"}\n'
        "[1, 2]\n"
        '{"text": "Line six story.", "published": "next blursday"}\n',
    )
    result = load_paths([path])
    assert [(r.text, r.origin) for r in result.reports] == [
        ("Line one story.", f"{path}:1"),
        ("Line four story.", f"{path}:4"),
    ]
    assert result.reports[1].published == datetime(2026, 6, 5, tzinfo=UTC)
    assert result.problems == (
        Problem(
            f"{path}:3",
            "invalid JSON: Expecting property name enclosed in double quotes at column 2",
        ),
        Problem(f"{path}:5", "expected an object with a 'text' field"),
        Problem(f"{path}:6", "unparseable date 'next blursday'"),
    )
    with pytest.raises(InputError) as caught:
        read_file(path)
    assert caught.value.origin == f"{path}:3"


def test_json_field_of_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", '{"text": "Story.", "title": 5}')
    with pytest.raises(InputError, match="field 'title' must be a string, not a number"):
        read_file(path)


def test_json_lines_saved_as_json_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", '{"text": "a"}\n{"text": "b"}\n')
    with pytest.raises(InputError) as caught:
        read_file(path)
    assert caught.value.reason == (
        "invalid JSON: Extra data at line 2 column 1 "
        "(several values: use .jsonl for one report per line)"
    )


def test_non_http_url_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", '{"text": "Story.", "url": "javascript:alert(1)"}')
    with pytest.raises(InputError) as caught:
        read_file(path)
    assert caught.value.reason == "invalid url 'javascript:alert(1)' (expected http:// or https://)"


# --- bad files in a folder ---------------------------------------------------

BAD_FILES: list[tuple[str, str | bytes, str]] = [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b" \n\t\n", "empty file"),
    ("binary.txt", b"PK\x03\x04\x00\x00rest", "binary file (NUL bytes)"),
    ("utf16-nobom.txt", "story".encode("utf-16-le"), "binary file (NUL bytes)"),
    (
        "broken.json",
        '{"text": "x",',
        "invalid JSON: Expecting property name enclosed in double quotes at column 14",
    ),
    ("nested.json", "[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
    ("notext.json", '{"title": "Only a title"}', "missing text"),
    ("blanktext.json", '{"text": "  \\n  "}', "missing text"),
    ("number.json", "42", "expected an object with a 'text' field"),
    ("emptylist.json", "[]", "empty JSON list"),
    ("header-only.txt", "title: Just a title\n\n", "missing text"),
    ("baddate.txt", "published: next blursday\n\nBody.\n", "unparseable date 'next blursday'"),
]


def test_each_bad_file_is_a_problem_and_good_files_still_load(tmp_path: Path) -> None:
    write(tmp_path / "good.txt", f"{BODY}\n")
    write(tmp_path / "bom.txt", b"\xef\xbb\xbfA story with a BOM.\n")
    for name, content, _ in BAD_FILES:
        write(tmp_path / name, content)
    result = load_paths([tmp_path])
    assert sorted(r.text for r in result.reports) == ["A story with a BOM.", BODY]
    expected = [Problem(str(tmp_path / name), reason) for name, _, reason in BAD_FILES]
    by_origin = {p.origin: p for p in result.problems}
    assert len(by_origin) == len(result.problems)  # one problem per bad file
    assert sorted(by_origin.values(), key=str) == sorted(expected, key=str)


# Not UTF-8, but readable: kept, with a note on how it was read (issue 13).
NOT_UTF8: list[tuple[str, bytes, str, str]] = [
    (
        "latin1.txt",
        "Caf\u00e9 story \u2014 \u201cquoted\u201d".encode("cp1252"),
        "Caf\u00e9 story \u2014 \u201cquoted\u201d",
        "not valid UTF-8 (byte 0xe9 at offset 3): read as Windows-1252",
    ),
    ("utf16.txt", "story \u00e9".encode("utf-16"), "story \u00e9", ""),
    ("utf32.md", "story \U0001f600".encode("utf-32"), "story \U0001f600", ""),
    (
        "bom-bad.txt",
        b"\xef\xbb\xbfab \xc3\xa9 \xff",
        "ab \u00e9 \ufffd",
        "not valid UTF-8 (byte 0xff at offset 9): 1 bad sequence replaced with U+FFFD",
    ),
    (
        "declared.html",
        b'<html><head><meta charset="iso-8859-1"></head><body><article><p>'
        + "Le caf\u00e9 a rouvert lundi. ".encode("latin-1") * 8
        + b"</p></article></body></html>",
        "Le caf\u00e9 a rouvert lundi. " * 7 + "Le caf\u00e9 a rouvert lundi.",
        "not valid UTF-8 (byte 0xe9 at offset 70): read as cp1252, the page's charset",
    ),
    (
        "surrogate.json",
        b'{"text": "lone \\ud800 half", "title": "a\\udfffb"}',
        "lone \ufffd half",
        "",
    ),
]


@pytest.mark.parametrize(("name", "content", "text", "note"), NOT_UTF8)
def test_files_not_in_utf8_are_read_with_a_note(
    tmp_path: Path, name: str, content: bytes, text: str, note: str
) -> None:
    path = write(tmp_path / name, content)
    result = load_paths([path])
    assert not result.problems
    assert [r.text for r in result.reports] == [text]
    assert [c.reason for c in result.cuts] == ([note] if note else [])


def test_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(20_000_001)  # sparse: no need to write 20 MB
    write(tmp_path / "ok.txt", "Fine.\n")
    result = load_paths([tmp_path])
    assert [r.text for r in result.reports] == ["Fine."]
    assert result.problems == (
        Problem(str(path), "file too large (20000001 bytes, limit 20000000)"),
    )


# --- paths, walking, duplicates ----------------------------------------------


def test_missing_path_and_unknown_extension(tmp_path: Path) -> None:
    good = write(tmp_path / "good.txt", "Story.\n")
    odd = write(tmp_path / "notes.rtf", "Story.\n")
    missing = tmp_path / "missing.txt"
    result = load_paths([missing, str(odd), good])
    assert [r.origin for r in result.reports] == [str(good)]
    assert result.problems == (
        Problem(str(missing), "no such file or folder"),
        Problem(
            str(odd),
            "unsupported file type '.rtf' (expected one of .htm .html .json .jsonl .md .txt)",
        ),
    )


def test_folder_walk_is_recursive_sorted_and_skips_hidden_and_unknown(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "Story b.\n")
    write(tmp_path / "a" / "z.md", "Story a/z.\n")
    write(tmp_path / "a" / "deep" / "c.JSON", '{"text": "Story a/deep/c."}')
    write(tmp_path / ".hidden.txt", "Hidden file.\n")
    write(tmp_path / ".git" / "x.txt", "Hidden folder.\n")
    write(tmp_path / "notes.rtf", "Unknown extension.\n")
    write(tmp_path / "image.png", b"\x89PNG\x00\x00")
    result = load_paths([tmp_path])
    assert [r.text for r in result.reports] == ["Story a/deep/c.", "Story a/z.", "Story b."]
    assert result.problems == ()


def test_single_path_string_is_accepted(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "Story.\n")
    assert [r.text for r in load_paths(str(tmp_path)).reports] == ["Story."]  # type: ignore[arg-type]


def test_duplicates_are_returned_once_first_wins(tmp_path: Path) -> None:
    write(tmp_path / "1.txt", f"outlet: First\nurl: https://Example.com/story/\n\n{BODY}\n")
    write(
        tmp_path / "2.json",
        json.dumps({"outlet": "Second", "url": "https://example.com/story#x", "text": "Other."}),
    )
    write(tmp_path / "3.txt", "Same text,   no URL.\n")
    write(tmp_path / "4.jsonl", '{"text": "same TEXT, no url."}\n{"text": "Same text, no URL."}\n')
    result = load_paths([tmp_path, tmp_path / "1.txt"])
    assert [(r.outlet, r.origin) for r in result.reports] == [
        ("First", str(tmp_path / "1.txt")),
        ("unknown", str(tmp_path / "3.txt")),
    ]
    assert result.problems == ()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert load_paths([fifo]).problems == (Problem(str(fifo), "not a regular file"),)


# --- dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-06-05T09:30:00Z", datetime(2026, 6, 5, 9, 30, tzinfo=UTC)),
        ("2026-06-05T09:30:00-04:00", datetime(2026, 6, 5, 13, 30, tzinfo=UTC)),
        ("2026-06-05", datetime(2026, 6, 5, tzinfo=UTC)),
        ("2026-06-05 09:30", datetime(2026, 6, 5, 9, 30, tzinfo=UTC)),
        ("June 5, 2026", datetime(2026, 6, 5, tzinfo=UTC)),
        ("5 June 2026 09:30", datetime(2026, 6, 5, 9, 30, tzinfo=UTC)),
        ("Fri, 05 Jun 2026 09:30:00 +0200", datetime(2026, 6, 5, 7, 30, tzinfo=UTC)),
        ("Fri, 05 Jun 2026 09:30:00 GMT", datetime(2026, 6, 5, 9, 30, tzinfo=UTC)),
        ("  2026-06-05T09:30:00+00:00\n", datetime(2026, 6, 5, 9, 30, tzinfo=UTC)),
    ],
)
def test_parse_published_is_timezone_aware(value: str, expected: datetime) -> None:
    parsed = parse_published(value, "x.txt")
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is not None


def test_parse_published_empty_is_none() -> None:
    assert parse_published("", "x.txt") is None
    assert parse_published("   ", "x.txt") is None


@pytest.mark.parametrize("value", ["next blursday", "yesterday", "June 5", "2026", "x" * 300])
def test_parse_published_refuses_vague_or_garbage(value: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_published(value, "x.txt")
    assert caught.value.origin == "x.txt"
    assert caught.value.reason.startswith("unparseable date '")
