"""What a setting may be: the names each choice takes, and the checks of a value on its own.

Read by config (Settings and validate) and by configfile (the file's keys) alike, so that the
config file's reader needs nothing from config and config.load_settings can read the file.
"""

from __future__ import annotations

from newsweave.errors import ConfigError

EMBEDDERS = ("hybrid", "wordllama", "lexical")  # each made by text.embed.EMBEDDERS
WRITERS = ("extractive", "llm")  # each written by writing.writers.WRITERS
SALIENCE = ("learned", "heuristic")
LLM_JSON_MODES = ("auto", "json_schema", "json_object", "none")
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres")


def validate_database(database: str | None) -> None:
    """A database setting must be a path or a URL of a backend the store has."""
    if database is None:
        return
    scheme, sep, _ = database.strip().partition("://")
    if not database.strip():
        raise ConfigError("database is empty: give a path, sqlite:///path or postgresql://...")
    if sep and scheme.lower() not in DATABASE_SCHEMES:
        raise ConfigError(
            f"database URL scheme {scheme!r} is not one of: {', '.join(DATABASE_SCHEMES)} "
            "(give a path, sqlite:///path or postgresql://...)"
        )


def validate_base_url(base_url: str | None) -> None:
    """The reader's public address must be an absolute http(s) URL with a host name."""
    if base_url is None:
        return
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"base_url {base_url!r} is not an http(s) address with a host name "
            "(e.g. https://news.example.org/)"
        )
