"""Shared fixtures: the data directory goes to tmp_path; models load once per session."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from newsweave.config import Settings, load_settings
from newsweave.ingest.files import load_paths
from newsweave.records import Report
from newsweave.text.embed import Embedder, make_embedder

if TYPE_CHECKING:
    from tests.pgserver import PgServer

DEMO_DIR = Path(str(files("newsweave") / "demo"))
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory; nothing touches the user's."""
    home = tmp_path / "home"
    monkeypatch.setenv("NEWSWEAVE_HOME", str(home))
    # A developer's own database setting must not send tests to their library.
    monkeypatch.delenv("NEWSWEAVE_DATABASE_URL", raising=False)
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


# -- PostgreSQL (docs/store.md): one throwaway server per session, a new database per test ----


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server of our own on 127.0.0.1, stopped (and its files removed) at the end.

    Never skipped: without PostgreSQL installed, every test needing it fails saying what to
    install, so CI cannot pass while leaving the PostgreSQL backend untested.
    """
    from tests.pgserver import INSTALL_HINT, PgServer, PgServerError, find_bindir

    bindir = find_bindir()
    if bindir is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    server = PgServer(bindir)
    try:
        server.start()
    except PgServerError as exc:
        server.stop()
        pytest.fail(f"cannot start the test PostgreSQL server: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new library's database on each backend: an SQLite file path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "db" / "newsweave.db")
    return str(request.getfixturevalue("pg_url"))
