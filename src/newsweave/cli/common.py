"""The command line's group, global options and the helpers its commands share.

Commands added through entry points (the benchmarks' `eval*`) use these helpers too:
settings_of, fail and write_output are their stable names.

Exit codes: 0 done; 1 failed (nothing was produced); 2 wrong usage; 3 done, but some inputs
were skipped, or read but changed (cut to a limit, say; each is named on stderr with why).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from newsweave.config import EMBEDDERS, WRITERS, Settings, load_settings
from newsweave.errors import NewsweaveError

EXIT_FAILED = 1
EXIT_SKIPPED = 3
FORMATS = ("md", "json", "html")


def settings_of(ctx: click.Context) -> Settings:
    """The settings of this run: main's, with the command's --writer, --llm-url, --llm-model."""
    settings: Settings = ctx.obj  # built once in main()
    chosen = ctx.meta.get(_WRITER_KEY)
    if chosen:  # --writer, --llm-url, --llm-model: applied together, then validated
        from dataclasses import replace

        endpoint = {k: v for k, v in chosen.items() if k in ("url", "model")}
        settings = settings.with_(
            writer=chosen.get("writer", settings.writer), llm=replace(settings.llm, **endpoint)
        )
    return settings


_WRITER_KEY = "newsweave.writer"


def _writer_option(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    # Kept aside until settings_of: --writer llm alone is invalid until --llm-url is read too.
    if value is not None and param.name is not None:
        ctx.meta.setdefault(_WRITER_KEY, {})[param.name] = value


def writer_options(command: Any) -> Any:
    """--writer, --llm-url and --llm-model, for every command that makes briefs."""
    for option in reversed(
        (
            click.option(
                "--writer",
                "writer",
                type=click.Choice(WRITERS),
                expose_value=False,
                callback=_writer_option,
                help="Who writes the sentences: extractive (default) or llm (verified model "
                "prose; docs/writer.md).",
            ),
            click.option(
                "--llm-url",
                "url",
                metavar="URL",
                expose_value=False,
                callback=_writer_option,
                help="OpenAI-compatible endpoint (default: $NEWSWEAVE_LLM_URL), e.g. "
                "http://127.0.0.1:8080/v1. The key is read from $NEWSWEAVE_LLM_API_KEY.",
            ),
            click.option(
                "--llm-model",
                "model",
                metavar="NAME",
                expose_value=False,
                callback=_writer_option,
                help="Model name to ask for (default: $NEWSWEAVE_LLM_MODEL).",
            ),
        )
    ):
        command = option(command)
    return command


def fail(error: NewsweaveError) -> None:
    """Print the error on stderr and exit with EXIT_FAILED."""
    click.echo(f"error: {error}", err=True)
    sys.exit(EXIT_FAILED)


def write_output(text: str, out: Path | None) -> None:
    """Print text, or write it to out (its folder made) and say so on stderr."""
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}", err=True)


HOME_KEY = "newsweave.home"
BROKEN_KEY = "newsweave.settings_error"


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from newsweave import __version__

        click.echo(f"newsweave, version {__version__}")
        ctx.exit()


COMMANDS_GROUP = "newsweave.commands"


class _Commands(click.Group):
    """The built-in commands, plus any a package adds through `newsweave.commands` entry points.

    The benchmarks (the separate newsweave-bench package, benchmarks/) add the `eval*` commands
    this way, so the product never imports them; entry points are read only when a command
    name is not built in, or when the list is shown.
    """

    def _added(self) -> dict[str, Any]:
        from importlib.metadata import entry_points

        return {
            e.name: e for e in entry_points(group=COMMANDS_GROUP) if e.name not in self.commands
        }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._added()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        added = self._added().get(cmd_name)
        return None if added is None else added.load()


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Data directory (default: $NEWSWEAVE_HOME or the per-user data directory).",
)
@click.option(
    "--embedder",
    type=click.Choice(EMBEDDERS),
    help="Sentence similarity: hybrid (default), wordllama, or lexical (TF-IDF, no model).",
)
@click.option(
    "--database",
    metavar="URL",
    help="The library's database: a path, sqlite:///path or postgresql://user@host/name "
    "(default: $NEWSWEAVE_DATABASE_URL, else newsweave.db in the data directory).",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Print newsweave's version and exit.",
)
@click.pass_context
def main(ctx: click.Context, home: Path | None, embedder: str | None, database: str | None) -> None:
    """newsweave: many news reports in, one cited, conflict-aware brief out."""
    import logging

    # wordllama sets the root logger to INFO when imported, after which httpx would print a
    # line for every request (the llm writer's included); failures are reported by newsweave.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    ctx.meta[HOME_KEY] = home
    try:
        ctx.obj = load_settings(os.environ, home=home, embedder=embedder, database=database)
    except NewsweaveError as error:
        if ctx.invoked_subcommand != "config":
            fail(error)
        # `newsweave config` still runs, so a broken config file can be shown and mended.
        ctx.meta[BROKEN_KEY] = error


def warn_and_exit(run: Any) -> None:
    """Name on stderr what an ingest or backfill skipped, cut, set aside or could not brief."""
    for problem in run.problems:
        click.echo(f"skipped {problem.origin}: {problem.reason}", err=True)
    for cut in run.cuts:
        click.echo(f"changed {cut.origin}: {cut.reason}", err=True)
    for aside in run.set_aside:
        click.echo(f"report {aside.origin}: {aside.reason}", err=True)
    for failure in run.failures:
        click.echo(f"no brief for story {failure.origin}: {failure.reason}", err=True)
    if run.problems or run.cuts or run.set_aside or run.failures:
        sys.exit(EXIT_SKIPPED)


def time_text(moment: datetime | None) -> str:
    """A time as the tables show it, or "-"."""
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M%z")


def allowing(ctx: click.Context, hosts: tuple[str, ...]) -> Settings:
    """The settings with the hosts given by --allow-host added to the allowed ones."""
    settings = settings_of(ctx)
    return settings.with_(allow_hosts=(*settings.allow_hosts, *hosts)) if hosts else settings


ALLOW_HOST = click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="Also fetch this host even if it is loopback or private (repeatable).",
)


def duration(text: str) -> timedelta:
    """A duration like 90s, 15m, 2h or 1d."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        seconds = float(number) * units[unit]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a duration like 90s, 15m, 2h or 1d") from None
    if seconds < 1:
        raise click.BadParameter("must be at least 1 second")
    return timedelta(seconds=seconds)
