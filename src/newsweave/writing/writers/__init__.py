"""Brief writers behind one small interface, in a plain registry (docs/writer.md).

- ``extractive`` (the default): sentences taken from the reports (newsweave.writing.compose).
- ``llm``: a language model behind an OpenAI-compatible endpoint rewrites the extractive
  brief's claims; every sentence it writes is verified against the reports it cites before
  it is shown, and any failure falls back to the extractive brief with the reason recorded.

A writer is a function ``(analysis, settings, *, now, verifier, cache) -> Brief``, registered
by name in WRITERS; where a model's answers are kept is writers.cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from newsweave.analysis import Analysis
from newsweave.config import Settings
from newsweave.records import Brief
from newsweave.verification.citations import Verifier
from newsweave.writing.compose import compose
from newsweave.writing.writers.cache import WrittenCache


class Writer(Protocol):
    """Writes the brief of one analysed story."""

    def __call__(
        self,
        analysis: Analysis,
        settings: Settings,
        *,
        now: datetime | None = None,
        verifier: Verifier | None = None,
        cache: WrittenCache | None = None,
    ) -> Brief:
        """The brief."""
        ...


def write_extractive(
    analysis: Analysis,
    settings: Settings,
    *,
    now: datetime | None = None,
    verifier: Verifier | None = None,
    cache: WrittenCache | None = None,
) -> Brief:
    """Today's brief: sentences taken from the reports, each citation verified."""
    return compose(analysis, settings, now=now, verifier=verifier)


def write_llm(
    analysis: Analysis,
    settings: Settings,
    *,
    now: datetime | None = None,
    verifier: Verifier | None = None,
    cache: WrittenCache | None = None,
) -> Brief:
    """A model's brief, every sentence verified; the extractive brief when it cannot be had."""
    # Imported here so the extractive default never loads the HTTP client.
    from newsweave.writing.writers.llm import write_llm as write

    return write(analysis, settings, now=now, verifier=verifier, cache=cache)


# The registry: each writer's name (as Settings.writer, --writer and NEWSWEAVE_WRITER give it)
# and its function. A new writer is one entry here, and its name in config.WRITERS, which the
# settings are checked against (a test keeps the two equal; docs/writer.md, "Adding a writer").
WRITERS: Mapping[str, Writer] = MappingProxyType({"extractive": write_extractive, "llm": write_llm})


def write_brief(
    analysis: Analysis,
    settings: Settings,
    *,
    now: datetime | None = None,
    verifier: Verifier | None = None,
    cache: WrittenCache | None = None,
) -> Brief:
    """The brief of one analysed story by the writer the settings name."""
    return WRITERS[settings.writer](analysis, settings, now=now, verifier=verifier, cache=cache)


__all__ = ["WRITERS", "Writer", "write_brief"]
