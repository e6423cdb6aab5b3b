"""The config file: TOML in the data directory, read by load_settings, written by `config set`.

Its keys are the user-facing settings (KEYS); precedence is defaults < this file <
environment < flags, applied in one place (config.load_settings). The file is read with the
standard library's tomllib and written with tomlkit, which keeps the user's comments and order.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsweave.choices import (
    EMBEDDERS,
    LLM_JSON_MODES,
    SALIENCE,
    WRITERS,
    validate_base_url,
    validate_database,
)
from newsweave.errors import ConfigError

CONFIG_NAME = "config.toml"
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


@dataclass(frozen=True)
class Key:
    """One key of the config file: its TOML type, what it means, and its environment variable."""

    name: str  # dotted: "llm.url" is `url` in the `[llm]` table
    kind: str  # "str", "int", "float", "bool" or "list" (of strings)
    help: str
    env: str | None = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    optional: bool = False  # may be unset (None) in Settings
    secret: bool = False  # never shown by `config list`; stored only when set explicitly
    # The check config.validate also makes of this value on its own (a URL's form): made when
    # the file is read, so the error names the file; only for keys that depend on no other.
    check: Callable[[str], None] | None = None


def keys() -> tuple[Key, ...]:
    """Every key the config file accepts."""
    return (
        Key(
            "allow_hosts",
            "list",
            'hosts that may be fetched although loopback or private, e.g. ["127.0.0.1"]',
            env="NEWSWEAVE_ALLOW_HOSTS",
        ),
        Key(
            "database",
            "str",
            "database: a path, sqlite:///PATH or postgresql://...",
            env="NEWSWEAVE_DATABASE_URL",
            optional=True,
            check=validate_database,
        ),
        Key(
            "base_url",
            "str",
            "the reader's public address",
            optional=True,
            check=validate_base_url,
        ),
        Key("embedder", "str", "sentence similarity", env="NEWSWEAVE_EMBEDDER", choices=EMBEDDERS),
        Key("writer", "str", "who writes the brief's sentences", "NEWSWEAVE_WRITER", WRITERS),
        Key("salience", "str", "how claims are ranked", choices=SALIENCE),
        Key("max_body_sentences", "int", "most body sentences of a brief", minimum=1),
        Key("max_words", "int", "most words in a brief", minimum=10, optional=True),
        Key("max_analysis_sentences", "int", "most Analysis sentences", minimum=0),
        Key("verify", "bool", "check every citation against the cited report"),
        Key("llm.url", "str", "OpenAI-compatible endpoint", "NEWSWEAVE_LLM_URL", optional=True),
        Key("llm.model", "str", "model name to ask for", "NEWSWEAVE_LLM_MODEL", optional=True),
        Key(
            "llm.api_key",
            "str",
            "API key (better kept in NEWSWEAVE_LLM_API_KEY than in this file)",
            "NEWSWEAVE_LLM_API_KEY",
            optional=True,
            secret=True,
        ),
        Key("llm.timeout", "float", "seconds for a whole answer", minimum=0.001),
        Key("llm.json_mode", "str", "how the answer's shape is asked for", choices=LLM_JSON_MODES),
    )


def key_named(name: str, where: str = "") -> Key:
    """The key of this name; ConfigError listing the known ones if there is none."""
    for key in keys():
        if key.name == name:
            return key
    known = ", ".join(k.name for k in keys())
    prefix = f"{where}: " if where else ""
    raise ConfigError(f"{prefix}unknown key {name!r}; known keys: {known}")


def config_path(home: Path) -> Path:
    """Where the config file of this data directory is."""
    return Path(home) / CONFIG_NAME


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested TOML tables as dotted keys."""
    flat: dict[str, Any] = {}
    for name, value in table.items():
        dotted = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def check_value(key: Key, value: object) -> object:
    """The value if it suits the key; else ConfigError saying why (without the file's name)."""
    kind = key.kind
    if kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key.name}: expected a list of strings, got {value!r}")
        return [v.strip() for v in value if v.strip()]
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{key.name}: expected true or false, got {value!r}")
        return value
    if kind in ("int", "float"):
        numeric = (int,) if kind == "int" else (int, float)
        if isinstance(value, bool) or not isinstance(value, numeric):
            word = "a whole number" if kind == "int" else "a number"
            raise ConfigError(f"{key.name}: expected {word}, got {value!r}")
        if key.minimum is not None and value < key.minimum:
            raise ConfigError(f"{key.name}: must be at least {key.minimum:g}, got {value!r}")
        return value
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key.name}: expected a non-empty string, got {value!r}")
    if key.choices and value not in key.choices:
        raise ConfigError(f"{key.name}: {value!r} is not one of: {', '.join(key.choices)}")
    if key.check is not None:
        try:
            key.check(value)
        except ConfigError as exc:
            raise ConfigError(f"{key.name}: {exc}") from None
    return value


def read_config(path: Path) -> dict[str, object]:
    """The file's values by dotted key, each checked; {} when there is no file.

    Raises ConfigError naming the file, the key and why.
    """
    import tomllib

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    values: dict[str, object] = {}
    for name, value in _flatten(table).items():
        key = key_named(name, str(path))
        try:
            values[name] = check_value(key, value)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    return values


def settings_values(values: Mapping[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """Config values as Settings fields and LLMSettings fields."""
    top: dict[str, object] = {}
    llm: dict[str, object] = {}
    for name, value in values.items():
        if name.startswith("llm."):
            llm[name.removeprefix("llm.")] = value
        else:
            top[name] = tuple(value) if isinstance(value, list) else value
    return top, llm


def parse_text(key: Key, texts: Sequence[str]) -> object:
    """A value typed on the command line (`config set KEY VALUE...`), checked."""
    if key.kind == "list":
        return check_value(key, [part for text in texts for part in text.split(",")])
    if len(texts) != 1:
        raise ConfigError(f"{key.name}: give one value, not {len(texts)}")
    text = texts[0].strip()
    value: object = text
    if key.kind == "bool":
        if text.lower() not in (*_TRUE, *_FALSE):
            raise ConfigError(f"{key.name}: expected true or false, got {text!r}")
        value = text.lower() in _TRUE
    elif key.kind in ("int", "float"):
        try:
            value = int(text) if key.kind == "int" else float(text)
        except ValueError:
            word = "a whole number" if key.kind == "int" else "a number"
            raise ConfigError(f"{key.name}: expected {word}, got {text!r}") from None
    return check_value(key, value)


def _write(path: Path, text: str, private: bool) -> None:
    """Replace the file atomically (a crash leaves the old file or the new, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        # A file holding a key is readable by its owner only; otherwise the mode is kept.
        mode = 0o600 if private else path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _document(path: Path) -> Any:
    """The file as a tomlkit document (comments kept), checked first; empty if absent."""
    import tomlkit

    read_config(path)  # a broken file is reported, not overwritten
    return tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()


def set_value(path: Path, name: str, value: object) -> None:
    """Set one key in the file, keeping everything else as it was written."""
    import tomlkit

    key = key_named(name)
    document = _document(path)
    *tables, last = key.name.split(".")
    table = document
    for part in tables:
        if part not in table:
            table[part] = tomlkit.table()
        table = table[part]
    table[last] = value
    text = tomlkit.dumps(document)
    _write(path, text, private=key.secret)


def unset_value(path: Path, name: str) -> bool:
    """Remove one key from the file; False if it was not set there."""
    import tomlkit

    key = key_named(name)
    if key.name not in read_config(path):
        return False
    document = _document(path)
    *tables, last = key.name.split(".")
    table = document
    for part in tables:
        table = table[part]
    del table[last]
    _write(path, tomlkit.dumps(document), private=False)
    return True


def current(settings: object, key: Key) -> object:
    """The value of a key in settings (lists as lists)."""
    value: Any = settings
    for part in key.name.split("."):
        value = getattr(value, part)
    return list(value) if isinstance(value, tuple) else value


def origin(
    key: Key, in_file: Mapping[str, object], env: Mapping[str, str], flags: Sequence[str] = ()
) -> str:
    """Where a key's value comes from: flag, environment, file or default."""
    if key.name in flags:
        return "flag"
    if key.env and env.get(key.env):
        return "environment"
    return "file" if key.name in in_file else "default"


def _without_password(url: str) -> str:
    """A database URL with any password replaced, for showing."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def listing(
    settings: object, path: Path, env: Mapping[str, str], flags: Sequence[str] = ()
) -> list[dict[str, object]]:
    """Every key with its value in effect and where it comes from (secrets masked)."""
    in_file = read_config(path)
    rows: list[dict[str, object]] = []
    for key in keys():
        value = current(settings, key)
        if key.secret and value:
            value = "(set, hidden)"
        elif key.name == "database" and isinstance(value, str):
            value = _without_password(value)
        rows.append(
            {
                "key": key.name,
                "value": value,
                "origin": origin(key, in_file, env, flags),
                "env": key.env,
                "help": key.help,
            }
        )
    return rows


__all__ = [
    "CONFIG_NAME",
    "Key",
    "check_value",
    "config_path",
    "current",
    "key_named",
    "keys",
    "listing",
    "origin",
    "parse_text",
    "read_config",
    "set_value",
    "settings_values",
    "unset_value",
]
