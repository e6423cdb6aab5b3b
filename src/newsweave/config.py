"""Settings, built once (defaults, then environment, then flags) and passed explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from newsweave.errors import ConfigError

EMBEDDERS = ("hybrid", "wordllama", "lexical")
SALIENCE = ("learned", "heuristic")


@dataclass(frozen=True)
class Limits:
    """Bounds on the work one input may cause; past one, the input is cut or skipped, named.

    Each limit is far above real news (the longest Multi-News article is about 60 KB) and low
    enough that a hostile input of a few megabytes costs seconds and megabytes, not minutes and
    gigabytes (docs/limits.md).
    """

    title_bytes: int = 2_000  # a headline longer than this is cut
    text_bytes: int = 500_000  # a report's text longer than this is cut
    sentence_chars: int = 2_000  # a "sentence" longer than this is split at word boundaries
    sentences_per_report: int = 1_000  # sentences after this are not read
    reports_per_brief: int = 300  # a story's newest reports past this are left out of its brief
    html_depth: int = 5_000  # elements nested deeper than this are flattened, not dropped
    entity_declarations: int = 0  # feeds that declare more internal XML entities are refused
    parse_seconds: float = 60.0  # one feed or page parsed in a worker for at most this long
    parse_memory_bytes: int = 1_500_000_000  # and within this much address space
    embed_chars: int = 4_000  # text given to an embedder per sentence or report, at most


@dataclass(frozen=True)
class Settings:
    """Everything a run can be told; no module reads the environment on its own."""

    home: Path
    embedder: str = "hybrid"
    # Body length: the brief stops adding claims at whichever limit comes first.
    max_body_sentences: int = 6
    max_words: int | None = None
    max_analysis_sentences: int = 2
    # "heuristic": hand-set weights (the default: better on Multi-News, see docs/benchmarks.md);
    # "learned": the model fitted on AllSides train by scripts/train_salience.py.
    salience: str = "heuristic"
    # Benchmarks cut every system's text at the budget: fill it rather than stop short.
    fill: bool = False
    # Check every citation against the cited report before output (docs/verify.md).
    verify: bool = True
    # Hosts (names or addresses) that may be fetched even though they are loopback, private
    # or link-local; empty by default, so feeds cannot be pointed at internal services.
    allow_hosts: tuple[str, ...] = ()
    limits: Limits = Limits()

    @property
    def db_path(self) -> Path:
        """Where the SQLite database lives."""
        return self.home / "newsweave.db"

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed, validated."""
        return validate(replace(self, **changes))


def default_home(env: Mapping[str, str]) -> Path:
    """NEWSWEAVE_HOME if set, else the per-user data directory."""
    if env.get("NEWSWEAVE_HOME"):
        return Path(env["NEWSWEAVE_HOME"]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("newsweave", appauthor=False))


def validate(settings: Settings) -> Settings:
    """Reject values that cannot work, with a message naming the setting."""
    if settings.embedder not in EMBEDDERS:
        raise ConfigError(f"embedder {settings.embedder!r} is not one of: {', '.join(EMBEDDERS)}")
    if settings.salience not in SALIENCE:
        raise ConfigError(f"salience {settings.salience!r} is not one of: {', '.join(SALIENCE)}")
    if settings.max_body_sentences < 1:
        raise ConfigError("max_body_sentences must be at least 1")
    if settings.max_words is not None and settings.max_words < 10:
        raise ConfigError("max_words must be at least 10")
    return settings


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Defaults, then the environment (NEWSWEAVE_HOME, _EMBEDDER, _ALLOW_HOSTS), then overrides."""
    env = os.environ if env is None else env
    values: dict[str, object] = {"home": default_home(env)}
    if env.get("NEWSWEAVE_EMBEDDER"):
        values["embedder"] = env["NEWSWEAVE_EMBEDDER"]
    if env.get("NEWSWEAVE_ALLOW_HOSTS"):
        values["allow_hosts"] = tuple(
            h.strip() for h in env["NEWSWEAVE_ALLOW_HOSTS"].split(",") if h.strip()
        )
    values.update({k: v for k, v in overrides.items() if v is not None})
    return validate(Settings(**values))  # type: ignore[arg-type]
