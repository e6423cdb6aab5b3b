"""Where a model's answers are kept, so a story version is written once per model and prompt."""

from __future__ import annotations

from typing import Protocol


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
