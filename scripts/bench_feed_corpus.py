"""Fetch the feedparser test corpus through `newsweave fetch` from 127.0.0.1 (issue 13).

The corpus is not in this repository: pip downloads the feedparser sdist (the version in this
environment) into a temporary directory, and every feed file under its tests/ directory is
served by a stdlib HTTP server on 127.0.0.1 as plain bytes, `Content-Type: application/xml`
(the corpus's compression/*.gz and *.z also get `Content-Encoding: gzip` / `deflate`, as
feedparser's own test server sends them; the `Header:` lines some files carry are not sent).
In a temporary NEWSWEAVE_HOME every URL is followed through one OPML file, then ONE
`newsweave fetch --all --allow-host 127.0.0.1` runs in a subprocess measured as the
hostile-input tests measure (tests/hostile.py: wall time, peak RSS). Each source is then
tallied from `newsweave sources --format json`: ok, failed by named reason, reports stored;
the UTF-16/UTF-32 files (told by BOM or by the byte pattern of `<?xml` without one) are
listed one by one.

    .venv/bin/python scripts/bench_feed_corpus.py [--limit N] [--json PATH]

Exits 0 with a message (and no figures) when pip cannot download the sdist.
"""

from __future__ import annotations

import argparse
import collections
import functools
import http.server
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path
from xml.sax.saxutils import quoteattr

HERE = Path(globals().get("__file__") or sys.argv[0]).resolve()
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(REPO_ROOT))  # tests/ holds the measuring helper

from tests.hostile import run_cli  # noqa: E402

FEED_SUFFIXES = {".xml", ".rdf", ".atom", ".rss", ".gz", ".z"}
ENCODED = {".gz": "gzip", ".z": "deflate"}
HOST = "127.0.0.1"

# Longest first: a UTF-32LE BOM starts with the UTF-16LE one.
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32BE"),
    (b"\xff\xfe", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16BE"),
)
_NO_BOM = (
    (b"<\x00\x00\x00", "UTF-32LE"),
    (b"\x00\x00\x00<", "UTF-32BE"),
    (b"<\x00?\x00", "UTF-16LE"),
    (b"\x00<\x00?", "UTF-16BE"),
)


def wide_encoding(data: bytes) -> str:
    """'UTF-16LE BOM', 'UTF-32BE' ... for a UTF-16/32 file, else ''."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return f"{name} BOM"
    for start, name in _NO_BOM:
        if data.startswith(start):
            return name
    return ""


def download_corpus(version: str, into: Path) -> Path | None:
    """The extracted sdist's tests/ directory, or None (with a message) if pip cannot get it."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
        "--dest", str(into), f"feedparser=={version}",
    ]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True)
    archives = sorted(into.glob("feedparser-*.tar.gz"))
    if proc.returncode != 0 or not archives:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        print(f"skipped: pip could not download the feedparser {version} sdist: {tail}")
        return None
    with tarfile.open(archives[0]) as tar:
        tar.extractall(into, filter="data")
    tests = next(into.glob("feedparser-*/tests"), None)
    if tests is None:
        print(f"skipped: {archives[0].name} ships no tests/ directory")
    return tests


def corpus_files(tests: Path) -> list[Path]:
    """Every feed file the sdist's tests/ holds (not its runner), sorted."""
    return sorted(p for p in tests.rglob("*") if p.is_file() and p.suffix.lower() in FEED_SUFFIXES)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Plain files, application/xml; the compression cases with their Content-Encoding."""

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return "application/xml"

    def end_headers(self) -> None:
        encoding = ENCODED.get(Path(self.path.split("?", 1)[0]).suffix.lower())
        if encoding:
            self.send_header("Content-Encoding", encoding)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A server in a daemon thread on an ephemeral port of 127.0.0.1; its base URL."""
    handler = functools.partial(_Handler, directory=str(root))
    server = http.server.ThreadingHTTPServer((HOST, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{HOST}:{server.server_address[1]}"


def write_opml(path: Path, urls: list[str]) -> None:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0"><body>']
    lines += [f'<outline type="rss" xmlUrl={quoteattr(u)} text={quoteattr(u)}/>' for u in urls]
    lines.append("</body></opml>")
    path.write_text("\n".join(lines), encoding="utf-8")


def reason(last_error: str | None) -> str:
    """The short code a failure names ('invalid_feed: ...' -> 'invalid_feed')."""
    text = (last_error or "").strip()
    match = re.match(r"([a-z][a-z0-9_]*)\b", text)
    return match.group(1) if match else text[:40] or "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N files (a trial)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--timeout", type=float, default=3600.0, help="backstop, seconds")
    args = parser.parse_args()

    version = metadata.version("feedparser")
    with tempfile.TemporaryDirectory(prefix="newsweave-corpus-") as tmp_name:
        tmp = Path(tmp_name)
        tests = download_corpus(version, tmp / "sdist")
        if tests is None:
            return 0
        files = corpus_files(tests)
        total_in_sdist = len(files)
        if args.limit:
            files = files[: args.limit]
        server, base = serve(tests)
        try:
            rels = [f.relative_to(tests).as_posix() for f in files]
            urls = {f"{base}/{rel}": rel for rel in rels}
            wide = {rel: wide_encoding(f.read_bytes()) for rel, f in zip(rels, files, strict=True)}
            home = tmp / "home"
            home.mkdir()
            env = {"NEWSWEAVE_HOME": str(home)}
            opml = tmp / "corpus.opml"
            write_opml(opml, list(urls))
            added = run_cli(["add", str(opml), "--allow-host", HOST], env=env)
            if added.code != 0:
                print(f"add failed: {added}")
                return 1
            fetched = run_cli(
                ["fetch", "--all", "--quiet", "--allow-host", HOST], env=env, timeout=args.timeout
            )
            listed = subprocess.run(
                [sys.executable, "-m", "newsweave", "sources", "--format", "json"],
                capture_output=True, text=True, env={**os.environ, **env}, check=True,
            )  # fmt: skip
        finally:
            server.shutdown()
        sources = json.loads(listed.stdout)

    by_rel = {urls.get(s["url"], s["url"]): s for s in sources}
    ok = [r for r, s in by_rel.items() if not s["last_error"] and s["last_success"]]
    failed = collections.Counter(reason(s["last_error"]) for s in sources if s["last_error"])
    unfetched = [r for r, s in by_rel.items() if not s["last_error"] and not s["last_success"]]
    with_items = [r for r in ok if by_rel[r]["reports"] > 0]
    noted = [r for r, s in by_rel.items() if s["problems"]]
    reports = sum(s["reports"] for s in sources)
    summary = fetched.stdout.strip().splitlines()[-1:] or ["(no summary)"]

    print(f"feedparser {version} sdist: {total_in_sdist:,} feed files under tests/")
    print(f"fetched: {len(sources):,} sources from http://{HOST} in one `newsweave fetch`")
    print(f"fetch exit {fetched.code}: {summary[0]}")
    print()
    print("| figure | value |")
    print("|---|---|")
    print(f"| sources | {len(sources):,} |")
    print(f"| ok | {len(ok):,} ({len(with_items):,} with items recorded) |")
    print(f"| failed | {sum(failed.values()):,} |")
    for code, count in failed.most_common():
        print(f"| failed: `{code}` | {count:,} |")
    if unfetched:
        print(f"| not fetched | {len(unfetched):,} |")
    print(f"| sources with notes (cuts, skipped items) | {len(noted):,} |")
    print(
        f"| items recorded, summed over sources (distinct reports: fetch summary) | {reports:,} |"
    )
    print(f"| wall time | {fetched.seconds:.1f} s |")
    print(f"| peak memory | {fetched.peak_mb:.0f} MB |")
    print()
    wide_rows = sorted((rel, enc) for rel, enc in wide.items() if enc)
    wide_read = 0
    print("| UTF-16/32 file | encoding | result | reports | notes |")
    print("|---|---|---|---|---|")
    for rel, enc in wide_rows:
        s = by_rel.get(rel)
        if s is None:
            result, count, notes = "missing", 0, 0
        elif s["last_error"]:
            result, count = f"failed: `{reason(s['last_error'])}`", s["reports"]
            notes = len(s["problems"])
        else:
            result, count, notes = "ok", s["reports"], len(s["problems"])
        wide_read += result == "ok"
        print(f"| {rel} | {enc} | {result} | {count} | {notes} |")
    # The corpus's UTF-16/32 files are `<rss></rss>` with no items: read means parsed, no error.
    print(f"\nUTF-16/32 files read (fetched ok, no error): {wide_read} of {len(wide_rows)}")
    for code in failed:
        if failed[code] <= 10:
            names = sorted(r for r, s in by_rel.items() if reason(s["last_error"]) == code)
            print(f"failed `{code}`: {', '.join(names)}")
    if fetched.code not in (0, 3):
        print(f"\nfetch stderr tail: {fetched.stderr.strip().splitlines()[-5:]}")

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "feedparser": version,
                    "files": total_in_sdist,
                    "sources": len(sources),
                    "ok": len(ok),
                    "ok_with_reports": len(with_items),
                    "failed": dict(failed.most_common()),
                    "errors": {r: s["last_error"] for r, s in by_rel.items() if s["last_error"]},
                    "not_fetched": len(unfetched),
                    "reports": reports,
                    "seconds": round(fetched.seconds, 1),
                    "peak_mb": round(fetched.peak_mb),
                    "fetch_exit": fetched.code,
                    "wide": {
                        rel: {"encoding": enc, **_brief(by_rel.get(rel))} for rel, enc in wide_rows
                    },
                    "when": time.strftime("%Y-%m-%d"),
                },
                indent=1,
            )
            + "\n"
        )
    return 0


def _brief(source: dict | None) -> dict:
    if source is None:
        return {"error": "missing", "reports": 0}
    return {"error": source["last_error"], "reports": source["reports"]}


if __name__ == "__main__":
    sys.exit(main())
