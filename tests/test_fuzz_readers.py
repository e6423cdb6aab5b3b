"""Fuzzing the file and feed readers with hypothesis (issue 13).

Arbitrary bytes, and valid inputs with bytes flipped, cut, doubled or spliced in, go through
every file reader (.txt .md .html .json .jsonl) and the feed parser. A reader may succeed or
refuse with a named InputError or FetchError, never anything else; what it reads must be
storable (valid UTF-8, no control characters). A fixed number of examples from a fixed seed
(derandomize) keeps `make test` deterministic and quick.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newsweave.errors import FetchError, InputError
from newsweave.ingest.feeds import Feed, parse_feed
from newsweave.ingest.files import load_paths, read_file
from newsweave.records import Report

FUZZ = settings(
    max_examples=200,
    derandomize=True,  # the same examples every run: a failure is reproducible, not flaky
    database=None,  # nothing written under .hypothesis/
    deadline=None,  # a busy 2-core machine must not turn a slow example into a failure
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
)
SUFFIXES = (".txt", ".md", ".html", ".json", ".jsonl")
# Controls a stored field must not hold (tab and newline are text); lone surrogates cannot
# be written as UTF-8 at all.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

BODY = "The Old Town bridge closed on Thursday after flood water rose, officials said."
SEEDS: dict[str, list[bytes]] = {
    ".txt": [
        (
            f"title: Bridge closed\noutlet: Wire\npublished: 2026-06-03T10:00:00+02:00\n\n{BODY}\n"
        ).encode(),
        f"{BODY}\n\nCaf\u00e9 owners in Z\u00fcrich said so.\n".encode(),
    ],
    ".md": [f"---\ntitle: Bridge\nurl: https://example.org/a\n---\n# Head\n\n{BODY}\n".encode()],
    ".html": [
        (
            "<html><head><meta charset='utf-8'><title>Bridge</title></head><body><article>"
            f"<h1>Bridge</h1><p>{BODY}</p><p>{BODY}</p></article></body></html>"
        ).encode()
    ],
    ".json": [
        f'{{"text": "{BODY}", "title": "T", "url": "https://example.org/a"}}'.encode(),
        f'[{{"text": "{BODY}"}}, {{"text": "Two \\ud800 \\n"}}]'.encode(),
    ],
    ".jsonl": [
        f'{{"text": "{BODY}", "published": "2026-06-03"}}\n{{"text": "Other."}}\n'.encode(),
    ],
}
RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
    b"<link>https://example.org/</link><item><title>Bridge &amp; flood</title>"
    b"<link>https://example.org/a</link><guid>a-1</guid>"
    b"<pubDate>Wed, 03 Jun 2026 10:00:00 +0200</pubDate>"
    b"<description>&lt;p&gt;The bridge closed.&lt;/p&gt;</description></item>"
    b"<item><title>Second</title><link>https://example.org/b</link></item></channel></rss>"
)
ATOM = (
    b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
    b"<title>Wire</title><link href='https://example.org/'/><entry><title>Bridge</title>"
    b"<link href='https://example.org/a'/><id>urn:a</id><updated>2026-06-03T10:00:00Z</updated>"
    b"<content type='html'>&lt;p&gt;The bridge closed.&lt;/p&gt;</content></entry></feed>"
)
# Pieces that have broken readers before, spliced into valid inputs.
TOKENS = [
    b"\xff",
    b"\x00",
    b"\xc3",
    b"\xed\xa0\x80",  # a surrogate encoded as UTF-8: invalid
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff\x00\x00",
    b"\r",
    b"\n",
    b"\r\n\r\n",
    "\u2028".encode(),
    b"\\ud800",
    b"\\udfff\\ud800",
    b"&#xD800;",
    b"&#0;",
    b"&#x110000;",
    b"&#99999999999;",
    b"&bogus;",
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaa">]>',
    b"&a;&a;&a;",
    b"<![CDATA[",
    b"]]>",
    b"<",
    b">",
    b'"',
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"---\n",
    b"title: ",
    b"published: 99999-99-99\n",
    b"url: javascript:alert(1)\n",
    b"<script>",
    b"<?xml version='1.0' encoding='utf-16'?>",
    b"<meta charset='koi8-r'>",
    b"<meta charset='base64'>",
    b"1e999999",
    b"[" * 50,
]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few random edits: bytes flipped, cut, doubled or a token spliced in."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(("token", "flip", "cut", "double", "truncate")))
        if edit == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif edit == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif edit == "cut":
            del data[at : at + draw(st.integers(1, 20))]
        elif edit == "double":
            data[at:at] = data[at : at + draw(st.integers(1, 40))]
        elif edit == "truncate":
            del data[at:]
    if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:  # now and then, re-encoded
        text = bytes(data).decode("utf-8", "replace")
        return text.encode(draw(st.sampled_from(("utf-16", "utf-32", "utf-16-le"))))
    return bytes(data)


def _file_inputs() -> st.SearchStrategy[tuple[str, bytes]]:
    """A suffix with raw bytes, or with a mutated valid file of that kind."""
    arbitrary = st.tuples(st.sampled_from(SUFFIXES), st.binary(max_size=2048))
    valid = st.sampled_from(SUFFIXES).flatmap(
        lambda suffix: st.tuples(st.just(suffix), mutated(SEEDS[suffix]))
    )
    return st.one_of(arbitrary, valid, valid)


def _assert_storable(report: Report) -> None:
    """Every text field encodes as UTF-8 and holds no control characters."""
    for name in ("id", "outlet", "title", "text", "url", "origin"):
        value = getattr(report, name)
        value.encode("utf-8")  # raises on a lone surrogate
        assert not _UNSTORABLE.search(value.replace("\n", "").replace("\t", "")), (name, value)
    assert report.text.strip(), "a report with no text"


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """A scratch folder for generated files (hypothesis reruns one test many times)."""
    with tempfile.TemporaryDirectory(prefix="nw-fuzz-") as name:
        yield Path(name)


@FUZZ
@given(case=_file_inputs())
@example(case=(".jsonl", b'{"text": "a"}\n\xff\n{"text": "\\ud800 b"}\n'))
@example(case=(".txt", b"\xef\xbb\xbf\xff\xfe"))
@example(case=(".html", b"<meta charset='utf-7'>+ADw-script+AD4-\xff"))
def test_file_readers_refuse_by_name_or_read_storable_reports(
    folder: Path, case: tuple[str, bytes]
) -> None:
    suffix, data = case
    path = folder / f"input{suffix}"
    path.write_bytes(data)
    loaded = load_paths([path])  # never raises: every bad part is a named problem
    for problem in (*loaded.problems, *loaded.cuts):
        assert problem.origin.startswith(str(path)) and problem.reason
    for report in loaded.reports:
        _assert_storable(report)
    try:
        read_file(path)
    except InputError as err:
        assert err.origin.startswith(str(path)) and err.reason


def _feed_inputs() -> st.SearchStrategy[tuple[bytes, str]]:
    """Raw bytes, or a mutated RSS or Atom feed, with a content type."""
    body = st.one_of(st.binary(max_size=2048), mutated([RSS, ATOM]), mutated([RSS, ATOM]))
    content_type = st.sampled_from(
        ("", "application/rss+xml", "text/xml; charset=iso-8859-1", "text/html; charset=bogus")
    )
    return st.tuples(body, content_type)


def _assert_feed_storable(feed: Feed) -> None:
    """Every text the feed gives encodes as UTF-8."""
    for value in (feed.title, feed.link, *feed.problems):
        value.encode("utf-8")
    for item in feed.items:
        for value in (item.key, item.url, item.title, item.content, item.summary, item.author):
            value.encode("utf-8")


@FUZZ
@given(case=_feed_inputs())
# Found by this target: character references out of Unicode's range or to a surrogate.
@example(case=(b"<>&#1200000;", ""))
@example(case=(b"<>&#2147500000;", ""))
@example(case=(RSS.replace(b"Second", b"a &#xD800; b"), ""))
def test_feed_parser_refuses_by_name_or_reads_storable_items(case: tuple[bytes, str]) -> None:
    body, content_type = case
    try:
        feed = parse_feed(body, "https://example.org/feed.xml", content_type)
    except FetchError as err:
        assert err.code and str(err)
        return
    _assert_feed_storable(feed)
