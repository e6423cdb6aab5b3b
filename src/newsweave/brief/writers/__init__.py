"""Brief writers behind one small interface, in a plain registry (docs/writer.md).

- ``extractive`` (the default): sentences taken from the reports (newsweave.brief.compose).
- ``llm``: a language model behind an OpenAI-compatible endpoint rewrites the extractive
  brief's claims; every sentence it writes is verified against the reports it cites before
  it is shown, and any failure falls back to the extractive brief with the reason recorded.

A writer is a function ``(analysis, settings, *, now, verifier, cache) -> Brief``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from newsweave.brief.claims import Analysis
from newsweave.brief.compose import compose
from newsweave.config import Settings
from newsweave.records import Brief
from newsweave.verification.citations import Verifier


class WrittenCache(Protocol):
    """Where a model's answers are kept per (story version, model, prompt version).

    newsweave.storage.store.Store is one; MemoryCache is another, for one process.
    """

    def written(self, story_version: str, model: str, prompt_version: str) -> str | None:
        """The stored answer, or None."""
        ...

    def save_written(
        self, story_version: str, model: str, prompt_version: str, answer: str
    ) -> None:
        """Keep an answer (replacing any under the same key)."""
        ...


class MemoryCache:
    """A WrittenCache in a dict, for one process (benchmarks, tests, a library user)."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str, str], str] = {}

    def written(self, story_version: str, model: str, prompt_version: str) -> str | None:
        """The stored answer, or None."""
        return self.answers.get((story_version, model, prompt_version))

    def save_written(
        self, story_version: str, model: str, prompt_version: str, answer: str
    ) -> None:
        """Keep an answer."""
        self.answers[(story_version, model, prompt_version)] = answer


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
    from newsweave.brief.writers.llm import write_llm as write

    return write(analysis, settings, now=now, verifier=verifier, cache=cache)


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


__all__ = ["WRITERS", "MemoryCache", "Writer", "WrittenCache", "write_brief"]
