"""Shared fixtures: the data directory goes to tmp_path; models load once per session."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from newsweave.config import Settings, load_settings
from newsweave.records import Report
from newsweave.sources.files import load_paths
from newsweave.text.embed import Embedder, make_embedder

DEMO_DIR = Path(str(files("newsweave") / "demo"))
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory; nothing touches the user's."""
    home = tmp_path / "home"
    monkeypatch.setenv("NEWSWEAVE_HOME", str(home))
    return home


@pytest.fixture
def settings(_home: Path) -> Settings:
    """Default settings pointing at the test's data directory."""
    return load_settings({"NEWSWEAVE_HOME": str(_home)})


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default embedder, loaded once."""
    return make_embedder("hybrid")


@pytest.fixture(scope="session")
def demo_reports() -> tuple[Report, ...]:
    """The five bundled demo reports."""
    loaded = load_paths([DEMO_DIR])
    assert not loaded.problems
    return loaded.reports
