"""The writer registry: every writer the settings accept has a function, and no other."""

from __future__ import annotations

from newsweave.config import WRITERS as WRITER_NAMES
from newsweave.writing.writers import WRITERS


def test_the_registry_holds_exactly_the_writers_the_settings_accept() -> None:
    assert tuple(WRITERS) == WRITER_NAMES
    assert all(callable(write) for write in WRITERS.values())
