"""Settings, built once (defaults, then environment, then flags) and passed explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from newsweave.choices import (
    EMBEDDERS,
    LLM_JSON_MODES,
    SALIENCE,
    WRITERS,
    validate_base_url,
    validate_database,
)
from newsweave.configfile import config_path, read_config, settings_values
from newsweave.errors import ConfigError


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
    # A story's distinct sentences past this are not read (each report keeps its first ones):
    # briefing costs a few milliseconds a sentence, so 4,000 take well under a minute.
    sentences_per_brief: int = 4_000
    # A story with more reports is briefed from this many: the newest of each outlet in turn.
    reports_per_brief: int = 300
    html_depth: int = 5_000  # elements nested deeper than this are flattened, not dropped
    entity_declarations: int = 0  # feeds that declare more internal XML entities are refused
    parse_seconds: float = 60.0  # one feed or page parsed in a worker for at most this long
    parse_memory_bytes: int = 1_500_000_000  # and within this much address space
    embed_chars: int = 4_000  # text given to an embedder per sentence or report, at most


@dataclass(frozen=True)
class LLMSettings:
    """The OpenAI-compatible chat-completions endpoint of the llm writer (docs/writer.md)."""

    url: str | None = None  # e.g. http://127.0.0.1:8080/v1 (llama.cpp) or an API's base URL
    model: str | None = None  # None: not sent (a local server answers with the model it has)
    api_key: str | None = field(default=None, repr=False)  # never printed
    connect_timeout: float = 5.0  # seconds to open the connection
    timeout: float = 180.0  # seconds for the whole answer, however the server sends it
    max_tokens: int = 800  # the answer's token budget
    retries: int = 2  # further tries after a 429 or 503 that says when to come back
    max_retry_wait: float = 30.0  # a longer Retry-After is not waited for: the brief falls back
    temperature: float = 0.0
    # How the answer's shape is asked for: "json_schema" (OpenAI, vLLM, Ollama), "json_object"
    # with a schema (llama-cpp-python), the prompt alone ("none"), or "auto": each in turn
    # while the server rejects the request (400/422, or an error naming response_format).
    json_mode: str = "auto"


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
    # "extractive": sentences taken from the reports; "llm": written by a language model,
    # every sentence verified against its cited reports before it is shown (docs/writer.md).
    writer: str = "extractive"
    llm: LLMSettings = LLMSettings()
    # The library's database: a path, sqlite:///path or postgresql://... (docs/store.md);
    # None: the SQLite file in home. Not printed: a URL may hold a password.
    database: str | None = field(default=None, repr=False)
    # The reader's public address (https://news.example.org/): links in feeds and the
    # authority of their tag: ids (docs/reader.md); None: the address each request names.
    base_url: str | None = None

    @property
    def db_path(self) -> Path:
        """Where the default SQLite database lives (in home)."""
        return self.home / "newsweave.db"

    @property
    def database_url(self) -> str:
        """What to give Store.open: the database setting, or the SQLite file in home."""
        return self.database or str(self.db_path)

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
    validate_database(settings.database)
    validate_base_url(settings.base_url)
    _validate_writer(settings)
    return settings


def _validate_writer(settings: Settings) -> None:
    """The writer's settings, checked before any report is read."""
    if settings.writer not in WRITERS:
        raise ConfigError(f"writer {settings.writer!r} is not one of: {', '.join(WRITERS)}")
    llm = settings.llm
    if llm.json_mode not in LLM_JSON_MODES:
        raise ConfigError(f"llm json_mode {llm.json_mode!r} is not one of: {LLM_JSON_MODES}")
    if min(llm.connect_timeout, llm.timeout) <= 0 or llm.max_tokens < 16:
        raise ConfigError("llm timeouts must be positive and max_tokens at least 16")
    if llm.retries < 0 or llm.max_retry_wait < 0:
        raise ConfigError("llm retries and max_retry_wait cannot be negative")
    if settings.writer != "llm":
        return
    if not llm.url:
        raise ConfigError(
            "the llm writer needs an endpoint: give --llm-url, set NEWSWEAVE_LLM_URL or run "
            "`newsweave config set llm.url URL` "
            "(an OpenAI-compatible base URL such as http://127.0.0.1:8080/v1)"
        )
    if not llm.url.startswith(("http://", "https://")):
        raise ConfigError(f"llm url {llm.url!r} must start with http:// or https://")
    if not settings.verify:
        raise ConfigError("the llm writer verifies every sentence: it cannot run with --no-verify")


_LLM_OVERRIDES = ("llm", "llm_url", "llm_model", "llm_api_key")


def _llm_settings(
    env: Mapping[str, str], overrides: Mapping[str, object], in_file: Mapping[str, object]
) -> LLMSettings:
    """The endpoint: an `llm` override or the config file's [llm], then environment, flags."""
    base = overrides.get("llm")
    endpoint: dict[str, object] = {}
    for key in ("url", "model", "api_key"):
        value = overrides.get(f"llm_{key}") or env.get(f"NEWSWEAVE_LLM_{key.upper()}")
        if value:
            endpoint[key] = value
    if not isinstance(base, LLMSettings):
        base = replace(LLMSettings(), **in_file)
    return replace(base, **endpoint)


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Defaults, then the config file (HOME/config.toml, configfile.py), then the environment
    (NEWSWEAVE_HOME, _EMBEDDER, _ALLOW_HOSTS, _WRITER, _LLM_URL, _LLM_MODEL, _LLM_API_KEY,
    _DATABASE_URL), then
    overrides (llm_url, llm_model, llm_api_key too). The one place precedence is decided.
    """
    env = os.environ if env is None else env
    home = Path(str(overrides.get("home") or default_home(env)))
    in_file, llm_in_file = settings_values(read_config(config_path(home)))
    values: dict[str, object] = {"home": home, **in_file}
    if env.get("NEWSWEAVE_WRITER"):
        values["writer"] = env["NEWSWEAVE_WRITER"]
    values["llm"] = _llm_settings(env, overrides, llm_in_file)
    overrides = {k: v for k, v in overrides.items() if k not in _LLM_OVERRIDES}
    if env.get("NEWSWEAVE_EMBEDDER"):
        values["embedder"] = env["NEWSWEAVE_EMBEDDER"]
    if env.get("NEWSWEAVE_DATABASE_URL"):
        values["database"] = env["NEWSWEAVE_DATABASE_URL"]
    if env.get("NEWSWEAVE_ALLOW_HOSTS"):
        values["allow_hosts"] = tuple(
            h.strip() for h in env["NEWSWEAVE_ALLOW_HOSTS"].split(",") if h.strip()
        )
    values.update({k: v for k, v in overrides.items() if v is not None})
    return validate(Settings(**values))  # type: ignore[arg-type]
