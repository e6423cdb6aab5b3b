"""The command line and the pipeline: exit codes, skipped inputs, storage, the demo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsweave.cli import EXIT_SKIPPED, main
from newsweave.config import Settings
from newsweave.pipeline.briefing import brief_paths
from newsweave.storage.store import Store

from .conftest import DEMO_DIR

BAD_FILES: dict[str, bytes] = {
    "empty.txt": b"",
    "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "latin1.txt": "outlet: X\n\nCaf\xe9 owners met the mayor on Monday.".encode("latin-1"),
    "nodate.json": json.dumps(
        {"outlet": "X", "title": "T", "published": "next blursday", "text": "Words here."}
    ).encode(),
    "notext.json": json.dumps({"outlet": "X", "title": "T", "text": "  "}).encode(),
}
REASONS = {
    "empty.txt": "empty file",
    "binary.txt": "binary file",
    "latin1.txt": "not valid UTF-8 (byte 0xe9 at offset 14): read as Windows-1252",  # kept
    "nodate.json": "unparseable date",
    "notext.json": "missing text",
}


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """The demo reports plus one bad file of each kind, in one folder."""
    folder = tmp_path / "mixed"
    shutil.copytree(DEMO_DIR, folder)
    for name, data in BAD_FILES.items():
        (folder / name).write_bytes(data)
    return folder


def test_bad_files_are_named_and_the_rest_is_briefed(mixed: Path) -> None:
    result = CliRunner().invoke(main, ["brief", str(mixed), "--format", "json"])
    assert result.exit_code == EXIT_SKIPPED, result.output
    for name, reason in REASONS.items():
        lines = [line for line in result.stderr.splitlines() if name in line]
        assert len(lines) == 1 and reason in lines[0], (name, result.stderr)
    brief = json.loads(result.stdout)
    # Every good report is still briefed, and the Latin-1 one, read as Windows-1252.
    assert len(brief["sources"]) == 6
    assert "Caf\u00e9 owners met the mayor on Monday." in [s["title"] for s in brief["sources"]]
    assert brief["conflicts"]


def test_clean_run_exits_zero_and_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "brief.html"
    result = CliRunner().invoke(
        main, ["brief", str(DEMO_DIR), "--format", "html", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert ">Analysis</h2>" in html and "Dushanbe" in html


def test_nothing_readable_fails_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    result = CliRunner().invoke(main, ["brief", str(tmp_path)])
    assert result.exit_code == 1
    assert "empty.txt: empty file" in result.stderr


def test_unknown_embedder_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["--embedder", "gpt", "brief", str(DEMO_DIR)])
    assert result.exit_code == 2


def test_re_adding_stores_each_report_once_and_keeps_every_brief(settings: Settings) -> None:
    first = brief_paths([DEMO_DIR], settings)
    second = brief_paths([DEMO_DIR], settings)
    with Store.open(settings.db_path) as db:
        assert db.count_reports() == 5
        stored = db.get_brief(second.brief_id)
        assert first.brief_id != second.brief_id
        assert [b.id for b in db.latest_briefs()] == [second.brief_id, first.brief_id]
    assert stored is not None
    assert stored.created_at == second.brief.created_at
    assert stored.report_ids == tuple(s.report_id for s in second.brief.sources)
    assert json.loads(stored.body_json)["headline"] == second.brief.headline


def test_store_uses_the_home_from_the_environment(tmp_path: Path, settings: Settings) -> None:
    assert settings.db_path == Path(os.environ["NEWSWEAVE_HOME"]) / "newsweave.db"
    CliRunner().invoke(main, ["brief", str(DEMO_DIR)])
    assert settings.db_path.exists()


def test_demo_command_prints_the_brief_and_writes_html(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("newsweave")
    env = {**os.environ, "NEWSWEAVE_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [str(script), "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# ")
    assert "## Analysis" in done.stdout and "Dushanbe" in done.stdout
    html = (tmp_path / "newsweave-demo.html").read_text(encoding="utf-8")
    assert html.lower().startswith("<!doctype html>")


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "newsweave", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: newsweave ")
