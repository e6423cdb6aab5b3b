"""The `config` group: show or change the settings kept in the config file."""

from __future__ import annotations

import os
from pathlib import Path

import click

from newsweave.cli.common import (
    BROKEN_KEY,
    HOME_KEY,
    fail,
    main,
    settings_of,
)
from newsweave.config import Settings, load_settings
from newsweave.errors import NewsweaveError


def _config_file(ctx: click.Context) -> Path:
    """The config file of the data directory in use (also when the settings failed)."""
    from newsweave.config import default_home
    from newsweave.configfile import config_path

    root = ctx.find_root()
    home = ctx.find_object(Settings)
    if home is not None:
        return config_path(home.home)
    return config_path(root.meta.get(HOME_KEY) or default_home(os.environ))


def _config_settings(ctx: click.Context) -> Settings:
    """The settings in effect; the error that broke them ends the command."""
    broken = ctx.find_root().meta.get(BROKEN_KEY)
    if broken is not None:
        fail(broken)
    return settings_of(ctx)


def _key_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of config keys."""
    from newsweave.configfile import keys

    return [key.name for key in keys() if key.name.startswith(incomplete)]


@main.group("config")
def config_() -> None:
    """Show or change settings kept in the config file (HOME/config.toml).

    Precedence: defaults < config file < environment (NEWSWEAVE_*) < command-line flags.
    """


@config_.command("path")
@click.pass_context
def config_path_(ctx: click.Context) -> None:
    """Print where the config file is (it need not exist yet)."""
    click.echo(str(_config_file(ctx)))


@config_.command("list")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table")
@click.pass_context
def config_list(ctx: click.Context, fmt: str) -> None:
    """Every key with the value in effect and where it comes from (file, environment, default)."""
    import json

    from newsweave.configfile import listing

    settings = _config_settings(ctx)
    try:
        given = [k for k, v in ctx.find_root().params.items() if v is not None]  # --embedder...
        rows = listing(settings, _config_file(ctx), os.environ, given)
    except NewsweaveError as error:
        fail(error)
    if fmt == "json":
        payload = {"path": str(_config_file(ctx)), "keys": rows}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    for row in rows:
        value = json.dumps(row["value"], ensure_ascii=False)
        click.echo(f"{row['key']} = {value}  # {row['origin']}")


@config_.command("get")
@click.argument("key", shell_complete=_key_names)
@click.pass_context
def config_get(ctx: click.Context, key: str) -> None:
    """Print the value in effect of KEY (lists one item a line; nothing when unset)."""
    from newsweave.configfile import current, key_named

    settings = _config_settings(ctx)
    try:
        value = current(settings, key_named(key))
    except NewsweaveError as error:
        fail(error)
    if isinstance(value, list):
        for item in value:
            click.echo(item)
    elif value is not None:
        click.echo(str(value).lower() if isinstance(value, bool) else str(value))


@config_.command("set")
@click.argument("key", shell_complete=_key_names)
@click.argument("values", nargs=-1, required=True)
@click.pass_context
def config_set(ctx: click.Context, key: str, values: tuple[str, ...]) -> None:
    """Set KEY to VALUE in the config file (a list takes several values or a comma list)."""
    from newsweave.configfile import key_named, parse_text, set_value

    path = _config_file(ctx)
    try:
        spec = key_named(key)
        value = parse_text(spec, values)
        set_value(path, spec.name, value)
    except NewsweaveError as error:
        fail(error)
    if spec.secret:
        click.echo(
            f"warning: {spec.name} is stored in plain text in {path} (readable by its owner "
            f"only); {spec.env} keeps it out of files",
            err=True,
        )
    click.echo(f"set {spec.name} in {path}")
    try:  # a value can be fine alone and still clash with another setting
        load_settings(os.environ, home=path.parent)
    except NewsweaveError as error:
        click.echo(f"warning: the settings do not work yet: {error}", err=True)


@config_.command("unset")
@click.argument("key", shell_complete=_key_names)
@click.pass_context
def config_unset(ctx: click.Context, key: str) -> None:
    """Remove KEY from the config file, so its default (or environment) applies again."""
    from newsweave.configfile import unset_value

    path = _config_file(ctx)
    try:
        removed = unset_value(path, key)
    except NewsweaveError as error:
        fail(error)
    click.echo(f"{'removed' if removed else 'not set'}: {key} in {path}")
