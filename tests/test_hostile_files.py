"""Bad local files: one bad line never fails its file, bad bytes never lose a report (issue 13).

Inputs are generated here, in tmp_path. The runs through `newsweave ingest` are measured in a
subprocess (tests/hostile.py) against the bounds of issue 13 (60 s, 1 GB).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsweave.config import Settings
from newsweave.ingest.files import load_paths
from newsweave.records import Problem
from newsweave.storage.store import Store
from tests.hostile import run_cli

STORIES = [
    "The Lindenport river ferry resumed crossings on Monday after a three-week halt caused "
    "by flood debris in the main channel, the harbour authority said.",
    "The Lindenport public library will open its restored reading room on Saturday, ending "
    "two years of repairs to the roof and the painted ceiling.",
    "Farmers in the Kessel valley began the grape harvest two weeks early this year after a "
    "dry and hot summer, the regional growers' association said.",
    "The Ostrava city council approved a budget for a new tram line to the hospital district "
    "on Tuesday, with construction due to start next spring.",
]
EXIT_SKIPPED = 3


def _line(text: str, **fields: str) -> bytes:
    """One JSON Lines report."""
    return json.dumps({"text": text, **fields}).encode("utf-8")


def _write(path: Path, lines: list[bytes]) -> Path:
    """A JSON Lines file of these lines."""
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_a_line_of_bad_utf8_is_skipped_and_named_and_the_rest_stored(tmp_path: Path) -> None:
    bad = _line(STORIES[1]).replace(b"restored", b"rest\xffored")
    torn = b'{"text": "The ferry' + b"\x00" * 40  # a write cut off by a crash: NUL-filled
    path = _write(
        tmp_path / "wire.jsonl",
        [_line(STORIES[0], outlet="Wire"), bad, torn, _line(STORIES[2]), _line(STORIES[3])],
    )
    home = tmp_path / "home"
    cost = run_cli(["ingest", str(path)], env={"NEWSWEAVE_HOME": str(home)})
    assert cost.within(), cost
    assert cost.code == EXIT_SKIPPED, cost  # stored, with lines skipped
    assert "reports: 3 new" in cost.stdout, cost.stdout
    offset = bad.index(b"\xff")
    assert f"skipped {path}:2: not valid UTF-8 (byte 0xff at offset {offset})" in cost.stderr
    assert f"skipped {path}:3: invalid JSON" in cost.stderr
    assert "Traceback" not in cost.stderr
    with Store.open(Settings(home=home).db_path) as db:
        stored = sorted(r.text for r in db.reports())
    assert stored == sorted([STORIES[0], STORIES[2], STORIES[3]])


def test_ten_megabytes_of_bad_lines_cost_seconds_and_keep_the_good_one(tmp_path: Path) -> None:
    # Millions of tiny bad lines, then lines that look like reports but are not JSON, then
    # one good report: about 10 MB, named up to a cap and counted past it.
    tiny = b"\xff\n" * 2_000_000 + b"x\n" * 1_000_000
    almost = b'{"text": "no end\n' * 230_000
    path = tmp_path / "junk.jsonl"
    path.write_bytes(tiny + almost + _line(STORIES[0]) + b"\n")
    assert 9_000_000 < path.stat().st_size <= 10_000_000
    home = tmp_path / "home"
    cost = run_cli(["ingest", str(path)], env={"NEWSWEAVE_HOME": str(home)})
    assert cost.within(), cost
    assert cost.code == EXIT_SKIPPED, cost
    assert "reports: 1 new" in cost.stdout
    skipped = [line for line in cost.stderr.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 101  # 100 named, then one line counting the rest
    assert skipped[0] == f"skipped {path}:1: not valid UTF-8 (byte 0xff at offset 0)"
    assert skipped[-1] == f"skipped {path}: 3,229,900 more bad lines skipped (not named)"


def test_lone_surrogates_are_replaced_not_a_crash(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "s.jsonl",
        [
            b'{"text": "Half \\ud800 a pair, and \\udfff the other.", "title": "T\\udc00",'
            b' "outlet": "\\ud83d"}',
            b'{"text": "A whole pair: \\ud83d\\ude00."}',
        ],
    )
    home = tmp_path / "home"
    cost = run_cli(["ingest", str(path)], env={"NEWSWEAVE_HOME": str(home)})
    assert cost.within(), cost
    assert "reports: 2 new" in cost.stdout, cost
    assert "Traceback" not in cost.stderr
    with Store.open(Settings(home=home).db_path) as db:
        by_text = {r.text: r for r in db.reports()}
    half = by_text["Half \ufffd a pair, and \ufffd the other."]
    assert (half.title, half.outlet) == ("T\ufffd", "\ufffd")
    assert "A whole pair: \U0001f600." in by_text


def test_jsonl_lines_are_judged_alone_in_every_encoding(tmp_path: Path) -> None:
    lines = [_line(STORIES[0]), b"not json", _line(STORIES[1])]
    text = b"\r\n".join(lines).decode()
    _write(tmp_path / "crlf-bom.jsonl", [b"\xef\xbb\xbf" + b"\r\n".join(lines)])
    (tmp_path / "utf16.jsonl").write_bytes(text.encode("utf-16"))
    (tmp_path / "utf32.jsonl").write_bytes(text.encode("utf-32"))
    result = load_paths([tmp_path])
    assert len(result.reports) == 2  # the same two reports, read from each file
    assert sorted(p.origin.rsplit("/", 1)[-1] for p in result.problems) == [
        "crlf-bom.jsonl:2",
        "utf16.jsonl:2",
        "utf32.jsonl:2",
    ]
    assert {p.reason for p in result.problems} == {"invalid JSON: Expecting value at column 1"}


def test_a_binary_jsonl_is_one_problem_not_thousands(tmp_path: Path) -> None:
    path = tmp_path / "archive.jsonl"
    path.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4000)  # gzip-like bytes
    result = load_paths([path])
    assert result.reports == ()
    assert result.problems == (Problem(str(path), "binary file (NUL bytes)"),)


@pytest.mark.parametrize("suffix", [".txt", ".md", ".json"])
def test_a_bad_byte_in_a_big_file_costs_little_and_loses_nothing(
    tmp_path: Path, suffix: str
) -> None:
    # One bad byte in every few hundred, among valid multi-byte UTF-8, in ~1 MB: repaired.
    body = ("Caf\u00e9 owners in Z\u00fcrich said the market reopened. " * 20 + "\n") * 800
    raw = body.encode().replace(b"market", b"mark\xfft", 4000)
    if suffix == ".json":
        raw = b'{"text": "' + raw.replace(b"\n", b"\\n") + b'"}'
    path = tmp_path / f"big{suffix}"
    path.write_bytes(raw)
    result = load_paths([path])
    assert not result.problems
    [report] = result.reports
    assert "Caf\u00e9 owners" in report.text and "mark\ufffdt" in report.text
    [note] = [c.reason for c in result.cuts if "UTF-8" in c.reason]
    assert note.startswith("not valid UTF-8 (byte 0xff at offset")
    assert note.endswith("4000 bad sequences replaced with U+FFFD")
