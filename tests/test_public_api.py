"""The package as a library and as a command: `import newsweave`, the README's example,
`python -m newsweave`, `--version`, and shell completion."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

import newsweave
from newsweave.cli import main
from newsweave.errors import ConfigError, InputError, NewsweaveError
from newsweave.ingest.files import load_paths

from .conftest import DEMO_DIR

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_importing_newsweave_loads_nothing_heavy() -> None:
    code = (
        "import sys, newsweave\n"
        "heavy = [m for m in ('numpy', 'click', 'newsweave.pipeline.briefing', 'newsweave.config',"
        " 'newsweave.records', 'wordllama', 'httpx') if m in sys.modules]\n"
        "print(heavy, sorted(newsweave.__all__))"
    )
    done = _run("-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("[] ")


def test_the_public_names_resolve_and_the_version_is_the_package_s() -> None:
    assert newsweave.__version__ == version("newsweave")
    for name in newsweave.__all__:
        assert getattr(newsweave, name) is not None
    assert issubclass(newsweave.NewsweaveError, Exception)
    assert newsweave.Settings is __import__("newsweave.config").config.Settings
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = newsweave.nothing  # type: ignore[attr-defined]


def test_brief_takes_paths_and_reports_and_writes_no_database(tmp_path: Path) -> None:
    settings = newsweave.load_settings({"NEWSWEAVE_HOME": str(tmp_path / "home")})
    reports = list(load_paths([DEMO_DIR]).reports)
    files = sorted(DEMO_DIR.glob("*.txt"))
    mixed = newsweave.brief([*files[:2], *reports[2:]], settings)
    assert isinstance(mixed, newsweave.Brief) and len(mixed.sources) == 5
    assert not (tmp_path / "home").exists()  # nothing stored unless asked
    assert "Dushanbe" in newsweave.render(mixed, "markdown")
    assert json.loads(newsweave.render(mixed, "json"))["headline"] == mixed.headline
    assert newsweave.render(mixed, "html").lower().startswith("<!doctype html>")
    with pytest.raises(ConfigError, match="unknown output format 'pdf'"):
        newsweave.render(mixed, "pdf")

    stored = newsweave.brief([DEMO_DIR], settings, store=True)
    assert stored.headline and settings.db_path.exists()

    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.txt: empty file") as caught:
        newsweave.brief([tmp_path / "empty.txt", DEMO_DIR], settings)
    assert isinstance(caught.value, NewsweaveError)
    with pytest.raises(InputError, match=r"not a path or a newsweave\.Report"):
        newsweave.brief([42], settings)  # type: ignore[list-item]


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Use from Python\n", 1)[1].split("\n## ", 1)[0]
    [code] = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return code


def test_the_readme_example_runs(tmp_path: Path) -> None:
    code = _readme_example()
    assert 3 <= len(code.strip().splitlines()) <= 6
    done = _run("-c", code, env={"NEWSWEAVE_HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# ") and "## Sources" in done.stdout
    assert done.stdout.rstrip().endswith(f"{version('newsweave')} 5 sources")


def test_python_dash_m_and_the_version_flag() -> None:
    helped = _run("-m", "newsweave", "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("Usage: newsweave ")
    assert "config" in helped.stdout
    shown = _run("-m", "newsweave", "--version")
    assert shown.returncode == 0 and shown.stdout == f"newsweave, version {version('newsweave')}\n"


def test_brief_version_is_brief_version_not_version() -> None:
    runner = CliRunner()
    old = runner.invoke(main, ["brief", "--story", "s-x", "--version", "1"])
    assert old.exit_code == 2 and "No such option '--version'" in old.stderr
    assert "Did you mean one of: '--brief-version'" in old.stderr
    help_text = runner.invoke(main, ["brief", "--help"]).stdout
    assert "--brief-version N" in help_text and "--version" not in help_text.replace(
        "--brief-version", ""
    )
    needs = runner.invoke(main, ["brief", str(DEMO_DIR), "--brief-version", "2"])
    assert needs.exit_code == 2 and "--brief-version needs --story" in needs.stderr


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F"), ("zsh", "#compdef newsweave"), ("fish", "complete")],
)
def test_shell_completion_scripts_are_produced(shell: str, marker: str) -> None:
    script = Path(sys.executable).with_name("newsweave")
    done = subprocess.run(
        [str(script)],
        env={**os.environ, "_NEWSWEAVE_COMPLETE": f"{shell}_source"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout and "_NEWSWEAVE_COMPLETE" in done.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"_NEWSWEAVE_COMPLETE={shell}_source newsweave" in readme


def test_completion_completes_commands_and_config_keys() -> None:
    script = Path(sys.executable).with_name("newsweave")
    done = subprocess.run(
        [str(script)],
        env={
            **os.environ,
            "_NEWSWEAVE_COMPLETE": "bash_complete",
            "COMP_WORDS": "newsweave con",
            "COMP_CWORD": "1",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "plain,config" in done.stdout.splitlines()
    keys = subprocess.run(
        [str(script)],
        env={
            **os.environ,
            "_NEWSWEAVE_COMPLETE": "bash_complete",
            "COMP_WORDS": "newsweave config set llm.",
            "COMP_CWORD": "3",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert {"plain,llm.url", "plain,llm.api_key"} <= set(keys.stdout.splitlines())


def test_verify_batch_reads_the_old_field_name_with_one_note(tmp_path: Path) -> None:
    batch = tmp_path / "pairs.jsonl"
    text = "Police arrested the factory manager on Tuesday after the fire, officials said."
    lines = [
        {"id": n, "claim": "Police arrested the factory manager.", "source": text} for n in (1, 2)
    ]
    lines.append({"id": 3, "claim": "Police arrested the factory manager.", "text": text})
    batch.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["verify", "--batch", str(batch), "--format", "json"])
    assert done.exit_code == 0, done.stderr
    assert [json.loads(x)["verdict"] for x in done.stdout.splitlines()] == ["supported"] * 3
    assert done.stderr.count('the field "source" is deprecated') == 1
    assert f"note: {batch} line 1:" in done.stderr
