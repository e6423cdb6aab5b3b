"""The command line: a thin layer that parses flags, calls the library and sets exit codes.

Exit codes: 0 done; 1 failed (nothing was produced); 2 wrong usage; 3 done, but some inputs
were skipped, or read but changed (cut to a limit, say; each is named on stderr with why).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from newsweave.config import EMBEDDERS, WRITERS, Settings, load_settings
from newsweave.errors import NewsweaveError

if TYPE_CHECKING:
    from newsweave.ingest.fetch import FetchRun, SourceOutcome

EXIT_FAILED = 1
EXIT_SKIPPED = 3
FORMATS = ("md", "json", "html")


def _settings(ctx: click.Context) -> Settings:
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
    # Kept aside until _settings: --writer llm alone is invalid until --llm-url is read too.
    if value is not None and param.name is not None:
        ctx.meta.setdefault(_WRITER_KEY, {})[param.name] = value


def _writer_options(command: Any) -> Any:
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


def _fail(error: NewsweaveError) -> None:
    click.echo(f"error: {error}", err=True)
    sys.exit(EXIT_FAILED)


def _write(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}", err=True)


_HOME_KEY = "newsweave.home"
_BROKEN_KEY = "newsweave.settings_error"


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
    ctx.meta[_HOME_KEY] = home
    try:
        ctx.obj = load_settings(os.environ, home=home, embedder=embedder, database=database)
    except NewsweaveError as error:
        if ctx.invoked_subcommand != "config":
            _fail(error)
        # `newsweave config` still runs, so a broken config file can be shown and mended.
        ctx.meta[_BROKEN_KEY] = error


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--story", "story_id", help="Print the stored brief of this story instead.")
@click.option(
    "--brief-version",
    "version",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --story: this version of its brief (default: the latest).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.option("--sentences", type=int, help="Most body sentences (default 6).")
@click.option("--words", type=int, help="Most words in the whole brief (replaces --sentences).")
@click.option("--no-store", is_flag=True, help="Do not write reports or the brief to the database.")
@click.option("--no-verify", is_flag=True, help="Do not check citations against the reports.")
@_writer_options
@click.pass_context
def brief(
    ctx: click.Context,
    paths: tuple[Path, ...],
    story_id: str | None,
    version: int | None,
    fmt: str,
    out: Path | None,
    sentences: int | None,
    words: int | None,
    no_store: bool,
    no_verify: bool = False,
) -> None:
    """Brief the reports in PATHS (.txt .md .html .json .jsonl), or print a story's brief."""
    from newsweave.render import render

    if bool(paths) == (story_id is not None):
        raise click.UsageError("give either PATHS or --story, not both and not neither")
    if story_id is None and version is not None:
        raise click.UsageError("--brief-version needs --story")
    if story_id is not None:
        if sentences or words or no_store:
            raise click.UsageError("--sentences, --words and --no-store need PATHS")
        from newsweave.pipeline.library import story_brief

        try:
            _write(render(story_brief(_settings(ctx), story_id, version), fmt), out)
        except NewsweaveError as error:
            _fail(error)
        return

    from newsweave.pipeline.briefing import brief_paths

    try:
        settings = _settings(ctx).with_(
            **{k: v for k, v in {"max_body_sentences": sentences, "max_words": words}.items() if v}
        )
        if no_verify:
            settings = settings.with_(verify=False)
        run = brief_paths(list(paths), settings, store=not no_store)
        _write(render(run.brief, fmt), out)
    except NewsweaveError as error:
        _fail(error)
    writer = run.brief.writer
    if writer is not None and writer.status == "fallback":
        click.echo(
            f"writer: the model's brief was not used, so it is extractive ({writer.reason})",
            err=True,
        )
    for problem in run.problems:
        click.echo(f"skipped {problem.origin}: {problem.reason}", err=True)
    for cut in run.cuts:
        click.echo(f"changed {cut.origin}: {cut.reason}", err=True)
    if run.problems or run.cuts:
        sys.exit(EXIT_SKIPPED)


def _warn_and_exit(run: Any) -> None:
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


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--threshold",
    type=click.FloatRange(min=-1.0, max=2.0),
    help="Score a report needs to join a story (default: the story index's).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="json: the run as one JSON object on stdout (README lists the keys).",
)
@_writer_options
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], threshold: float | None, fmt: str) -> None:
    """Store the reports in PATHS, file them under stories and re-brief the stories that grew."""
    import json

    from newsweave.pipeline.library import ingest as ingest_paths
    from newsweave.pipeline.library import ingest_json
    from newsweave.stories.clustering import StorySettings

    story_settings = StorySettings() if threshold is None else StorySettings(threshold=threshold)
    try:
        run = ingest_paths(list(paths), _settings(ctx), story_settings)
    except NewsweaveError as error:
        _fail(error)
    if fmt == "json":
        click.echo(json.dumps(ingest_json(run), indent=2, ensure_ascii=False))
    else:
        click.echo(
            f"reports: {len(run.reports_new)} new, {len(run.reports_existing)} already stored; "
            f"stories: {len(run.stories_new)} new, {len(run.stories_updated)} updated; "
            f"briefs made: {len(run.briefs)}"
        )
        for made in run.briefs:
            click.echo(f"  {made.story_id} v{made.version}: {made.headline}")
    _warn_and_exit(run)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler to run on, e.g. tcp://10.0.0.5:8786 (default: a local cluster).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Worker processes of the local cluster (without --scheduler).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(min=-1.0, max=2.0),
    help="Score a report needs to join a story (default: the story index's).",
)
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text")
@_writer_options
@click.pass_context
def backfill(
    ctx: click.Context,
    paths: tuple[Path, ...],
    scheduler: str | None,
    workers: int,
    threshold: float | None,
    fmt: str,
) -> None:
    """Ingest an archive (PATHS) on a Dask cluster: same stories and briefs as ingest."""
    try:
        from newsweave.pipeline.backfill import backfill as run_backfill
        from newsweave.pipeline.backfill import backfill_json
    except ImportError as error:
        click.echo(
            f"error: backfill needs Dask: pip install 'newsweave[cluster]' ({error})", err=True
        )
        sys.exit(EXIT_FAILED)
    from newsweave.stories.clustering import StorySettings

    story_settings = StorySettings() if threshold is None else StorySettings(threshold=threshold)
    try:
        done = run_backfill(
            list(paths), _settings(ctx), story_settings, scheduler=scheduler, workers=workers
        )
    except NewsweaveError as error:
        _fail(error)
    run = done.run
    if fmt == "json":
        import json

        click.echo(json.dumps(backfill_json(done), indent=2))
    else:
        click.echo(
            f"reports: {len(run.reports_new)} new, {len(run.reports_existing)} already stored; "
            f"near-duplicate groups: {len(done.copies)}; "
            f"stories: {len(run.stories_new)} new, {len(run.stories_updated)} updated "
            f"in {done.segments} segment(s); briefs made: {len(run.briefs)}; "
            f"workers: {done.workers} at {done.scheduler}"
        )
        stages = ", ".join(f"{name} {secs:.1f}s" for name, secs in done.seconds.items())
        click.echo(f"stages: {stages}")
    _warn_and_exit(run)


def _time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M%z")


@main.command()
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.pass_context
def stories(ctx: click.Context, fmt: str, limit: int) -> None:
    """List stories, newest activity first (json: with the ids and URLs of their reports)."""
    import json

    from newsweave.pipeline.library import list_stories, set_aside_reports, stories_json

    try:
        if fmt == "json":
            click.echo(
                json.dumps(stories_json(_settings(ctx), limit), indent=2, ensure_ascii=False)
            )
            return
        rows = list_stories(_settings(ctx), limit)
        aside = set_aside_reports(_settings(ctx))
    except NewsweaveError as error:
        _fail(error)
    header = ("id", "title", "reports", "outlets", "first report", "last report", "conflict")
    lines = [header]
    for row in rows:
        title = row.title if len(row.title) <= 50 else row.title[:49] + "…"
        outlets = "-" if row.independent_sources is None else str(row.independent_sources)
        lines.append(
            (
                row.id,
                title,
                str(row.report_count),
                outlets,
                _time(row.first_published),
                _time(row.last_published),
                "yes" if row.has_conflicts else "no",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
    for report_id, why in aside:
        click.echo(f"report {report_id} set aside, in no story: {why}", err=True)


def _allowing(ctx: click.Context, hosts: tuple[str, ...]) -> Settings:
    """The settings with the hosts given by --allow-host added to the allowed ones."""
    settings = _settings(ctx)
    return settings.with_(allow_hosts=(*settings.allow_hosts, *hosts)) if hosts else settings


_ALLOW_HOST = click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="Also fetch this host even if it is loopback or private (repeatable).",
)


@main.command("add")
@click.argument("target")
@click.option(
    "--kind",
    type=click.Choice(("auto", "feed", "page")),
    default="auto",
    show_default=True,
    help="What TARGET is; auto decides on the first fetch.",
)
@_ALLOW_HOST
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help='json: [{"id", "url", "kind", "title", "new"}] on stdout.',
)
@click.pass_context
def add(ctx: click.Context, target: str, kind: str, allow_hosts: tuple[str, ...], fmt: str) -> None:
    """Follow TARGET: a feed or page URL, or an OPML file of feeds."""
    import json

    from newsweave.errors import FetchError
    from newsweave.ingest.fetch import add_sources

    settings = _allowing(ctx, allow_hosts)
    try:
        added = add_sources(settings, target, kind)
    except NewsweaveError as error:
        if isinstance(error, FetchError) and error.code == "refused":
            from urllib.parse import urlsplit

            host = urlsplit(target).hostname
            if host:
                hosts = " ".join(dict.fromkeys((*settings.allow_hosts, host)))
                click.echo(f"error: {error}", err=True)
                click.echo(
                    f"to follow it, allow the host: newsweave config set allow_hosts {hosts}"
                    f" (or --allow-host {host} on each add and fetch)",
                    err=True,
                )
                sys.exit(EXIT_FAILED)
        _fail(error)
    if fmt == "json":
        rows = [
            {"id": s.id, "url": s.url, "kind": s.kind, "title": s.title, "new": new}
            for s, new in added
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for source, new in added:
        click.echo(f"{'added' if new else 'already followed'}: {source.id} {source.url}")


@main.command("sources")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("table", "json", "opml")),
    default="table",
    help="opml: an OPML 2.0 subscription list to import into another reader (or `add`).",
)
@click.pass_context
def sources_(ctx: click.Context, fmt: str) -> None:
    """List followed sources with their last success, last error and report counts."""
    from newsweave.ingest.fetch import sources_json
    from newsweave.storage.store import Store

    try:
        with Store.open(_settings(ctx).database_url) as db:
            rows = db.sources()
    except NewsweaveError as error:
        _fail(error)
    if fmt == "json":
        click.echo(sources_json(rows))
        return
    if fmt == "opml":
        from newsweave.ingest.feeds import write_opml

        click.echo(write_opml([(s.url, s.title or "", s.kind) for s in rows]), nl=False)
        return
    if not rows:
        click.echo("no sources; follow one with: newsweave add URL")
    for s in rows:
        click.echo(
            f"{s.id:>4}  {s.kind:<5}{s.report_count:>6} reports  "
            f"last ok {_time(s.last_success_at)}  {s.url}"
        )
        if s.last_error:
            click.echo(f"      last error ({s.failures} in a row): {s.last_error}")
        for problem in s.problems[:5]:
            click.echo(f"      note: {problem}")
        if len(s.problems) > 5:
            click.echo(f"      ... {len(s.problems) - 5} more notes (--format json lists all)")


@main.command("remove")
@click.argument("source")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help='json: {"removed": {"id", "url", "kind", "title"}} on stdout.',
)
@click.pass_context
def remove(ctx: click.Context, source: str, fmt: str) -> None:
    """Stop following SOURCE (its id or URL); the reports already stored stay."""
    import json

    from newsweave.storage.store import Store

    try:
        with Store.open(_settings(ctx).database_url) as db:
            removed = db.remove_source(source)
    except NewsweaveError as error:
        _fail(error)
    if removed is None:
        click.echo(f"error: no source {source!r}; see newsweave sources", err=True)
        sys.exit(EXIT_FAILED)
    if fmt == "json":
        gone = {"id": removed.id, "url": removed.url, "kind": removed.kind, "title": removed.title}
        click.echo(json.dumps({"removed": gone}, ensure_ascii=False))
        return
    click.echo(f"removed: {removed.id} {removed.url}")


def _config_file(ctx: click.Context) -> Path:
    """The config file of the data directory in use (also when the settings failed)."""
    from newsweave.config import default_home
    from newsweave.configfile import config_path

    root = ctx.find_root()
    home = ctx.find_object(Settings)
    if home is not None:
        return config_path(home.home)
    return config_path(root.meta.get(_HOME_KEY) or default_home(os.environ))


def _config_settings(ctx: click.Context) -> Settings:
    """The settings in effect; the error that broke them ends the command."""
    broken = ctx.find_root().meta.get(_BROKEN_KEY)
    if broken is not None:
        _fail(broken)
    return _settings(ctx)


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
        _fail(error)
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
        _fail(error)
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
        _fail(error)
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
        _fail(error)
    click.echo(f"{'removed' if removed else 'not set'}: {key} in {path}")


def _without_url(error: str | None, url: str) -> str:
    """A fetch error shown after its source's URL, without that URL again ("code: URL: why")."""
    code, sep, rest = (error or "").partition(": ")
    return f"{code}: {rest.removeprefix(url + ': ')}" if sep else error or ""


class _Reporter:
    """Fetch progress: a rich progress bar on a terminal, plain log lines otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Any = None
        if sys.stderr.isatty() and not quiet:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("fetching"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.task = self.bar.add_task("fetch", total=0)

    def start(self, total: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, total=total)
            self.bar.start()

    def source(self, outcome: SourceOutcome) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)
            if not outcome.ok:
                error = _without_url(outcome.error, outcome.url)
                self.bar.console.print(f"failed {outcome.url}: {error}", markup=False)
        elif not self.quiet:
            if not outcome.ok:
                state = f"failed: {outcome.error}"  # as stored, for logs and scripts
            elif outcome.not_modified:
                state = "not modified"
            else:
                state = f"{len(outcome.new_reports)} new"
            click.echo(f"fetched {outcome.url}: {state}", err=True)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()

    def summary(self, run: FetchRun) -> None:
        click.echo(
            f"sources: {len(run.outcomes) - len(run.failed)} ok, {len(run.failed)} failed; "
            f"reports: {len(run.new_reports)} new; stories: {len(run.stories_new)} new, "
            f"{len(run.stories_updated)} updated; briefs made: {run.briefs_made}"
        )
        # Why a story got no brief, or a report no story: also noted under its sources.
        for failure in run.story_failures:
            click.echo(failure, err=True)


def _in(moment: datetime, now: datetime) -> str:
    """A time as the user's local clock shows it, and how far off it is."""
    seconds = max(0, round((moment - now).total_seconds()))
    if seconds < 90:
        off = f"{seconds} s"
    elif seconds < 90 * 60:
        off = f"{round(seconds / 60)} min"
    elif seconds < 36 * 3600:
        off = f"{seconds // 3600} h {seconds % 3600 // 60} min"
    else:
        off = f"{seconds / 86400:.1f} days"
    return f"{moment.astimezone().strftime('%Y-%m-%d %H:%M %Z')} (in {off})"


def _fetch_advice(run: FetchRun, settings: Settings) -> None:
    """After a fetch, on stderr: what is backing off and until when, what to do about it."""
    from datetime import UTC

    now = datetime.now(UTC)
    if run.followed == 0:
        click.echo("no sources; follow one with: newsweave add URL", err=True)
        return
    if run.waiting:
        count = len(run.waiting)
        click.echo(f"backing off after failures: {count} source{'s' * (count != 1)}", err=True)
        failed_now = {o.source_id for o in run.failed}  # their errors were just shown
        for w in run.waiting[:10]:
            error = _without_url(w.last_error, w.url)
            last = "" if w.source_id in failed_now else f"; last: {error}"
            click.echo(
                f"  {w.source_id} {w.url}: next try {_in(w.next_due, now)}, "
                f"{w.failures} failure{'s' * (w.failures != 1)} in a row{last}",
                err=True,
            )
        if len(run.waiting) > 10:
            click.echo(f"  ... {len(run.waiting) - 10} more (newsweave sources)", err=True)
    elif not run.outcomes and run.next_due is not None:
        click.echo(f"no source was due; the next is due {_in(run.next_due, now)}", err=True)
    hosts = run.refused_hosts()
    if hosts:
        allowed = " ".join(dict.fromkeys((*settings.allow_hosts, *hosts)))
        click.echo(
            f"every failure is a refused loopback or private host ({', '.join(hosts)}); to "
            f"fetch it, allow it: newsweave config set allow_hosts {allowed}"
            f" (or --allow-host {hosts[0]} on each add and fetch)",
            err=True,
        )
    if run.waiting or (not run.outcomes and run.next_due is not None):
        click.echo("fetch every source now, due or not: newsweave fetch --all", err=True)


_FETCH_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="json: the run as one JSON object on stdout (docs/fetch.md lists the keys).",
)


@main.command("fetch")
@click.option("--all", "every", is_flag=True, help="Fetch every source, due or not.")
@click.option("--quiet", "-q", is_flag=True, help="Only the summary line.")
@_FETCH_FORMAT
@_ALLOW_HOST
@_writer_options
@click.pass_context
def fetch(
    ctx: click.Context, every: bool, quiet: bool, fmt: str, allow_hosts: tuple[str, ...]
) -> None:
    """Fetch every due source, store new reports, file them into stories and brief those."""
    import json

    from newsweave.ingest.fetch import fetch as fetch_sources

    reporter = _Reporter(quiet)
    settings = _allowing(ctx, allow_hosts)
    try:
        run = fetch_sources(
            settings,
            every=every,
            on_start=reporter.start,
            on_source=reporter.source,
        )
    except NewsweaveError as error:
        _fail(error)
    except KeyboardInterrupt:
        reporter.stop()
        click.echo("interrupted: what was stored stays; the next fetch resumes", err=True)
        sys.exit(130)
    finally:
        reporter.stop()
    if fmt == "json":
        click.echo(json.dumps(run.to_json(), ensure_ascii=False))
        for failure in run.story_failures:
            click.echo(failure, err=True)
    else:
        reporter.summary(run)
        _fetch_advice(run, settings)
    if run.failed or run.story_failures:
        sys.exit(EXIT_SKIPPED)


def _duration(text: str) -> timedelta:
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


@main.command("watch")
@click.option(
    "--every", default="15m", show_default=True, help="Time between rounds (90s, 15m, 2h)."
)
@click.option("--quiet", "-q", is_flag=True, help="Only a summary line per round.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="json: each round as one JSON object on its own line (JSON Lines), as fetch's.",
)
@_ALLOW_HOST
@_writer_options
@click.pass_context
def watch(
    ctx: click.Context, every: str, quiet: bool, fmt: str, allow_hosts: tuple[str, ...]
) -> None:
    """Fetch, file into stories and brief, again and again until stopped (Ctrl-C, SIGTERM)."""
    import json

    from newsweave.ingest.fetch import StopSignal
    from newsweave.ingest.fetch import watch as watch_sources

    interval = _duration(every)
    stop = StopSignal()
    stop.install()
    reporter = _Reporter(quiet=True)
    click.echo(f"watching: a round every {every}; stop with Ctrl-C", err=True)
    try:
        rounds = watch_sources(
            _allowing(ctx, allow_hosts),
            interval,
            stop,
            on_run=(
                (lambda run: click.echo(json.dumps(run.to_json(), ensure_ascii=False)))
                if fmt == "json"
                else reporter.summary
            ),
            on_source=None if quiet else _Reporter(quiet=False).source,
        )
    except NewsweaveError as error:
        _fail(error)
    click.echo(f"stopped after {rounds} rounds", err=True)


@main.command("worker")
@click.option("--until-idle", is_flag=True, help="Stop once nothing is queued, running or due.")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.05),
    metavar="SECONDS",
    default=5.0,
    show_default=True,
    help="Seconds between looks at a queue with nothing ready.",
)
@click.option("--name", metavar="NAME", help="This worker's name in the queue (default: host:pid).")
@click.option(
    "--lease",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    default=120.0,
    show_default=True,
    help="Seconds a claimed job stays this worker's without a heartbeat.",
)
@click.option("--every", default="15m", show_default=True, help="How often each source is fetched.")
@click.option("--quiet", "-q", is_flag=True, help="Only the closing summary.")
@_ALLOW_HOST
@_writer_options
@click.pass_context
def worker(
    ctx: click.Context,
    until_idle: bool,
    poll: float,
    name: str | None,
    lease: float,
    every: str,
    quiet: bool,
    allow_hosts: tuple[str, ...],
) -> None:
    """Share the work of fetching, filing and briefing with other workers on one database.

    Start as many as you like, on one machine or many (PostgreSQL; docs/scale.md). Stop with
    Ctrl-C or SIGTERM: the job in hand is finished first (a second signal gives it back).
    """
    import threading
    from dataclasses import replace

    from newsweave.ingest.http import FetchSettings
    from newsweave.pipeline.worker import (
        JobDone,
        Worker,
        WorkerOptions,
        default_name,
        stop_on_signals,
    )
    from newsweave.storage.jobs import QueueSettings

    def said(done: JobDone) -> None:
        job = done.job
        click.echo(
            f"{job.kind} {job.key}: {done.outcome} in {done.seconds:.1f}s: {done.detail}",
            err=True,
        )

    try:
        base = WorkerOptions(name=name or default_name())
        options = replace(
            base,
            poll=poll,
            until_idle=until_idle,
            queue=QueueSettings(lease=timedelta(seconds=lease)),
            fetch=FetchSettings(interval=_duration(every)),
        )
        stop = threading.Event()
        stop_on_signals(stop)
        settings = _allowing(ctx, allow_hosts)
        click.echo(f"worker {options.name}: working; stop with Ctrl-C", err=True)
        run = Worker(settings, options, stop=stop, on_job=None if quiet else said).run()
    except NewsweaveError as error:
        _fail(error)
    except KeyboardInterrupt:
        click.echo(
            "interrupted: the job in hand goes back to the queue (now, or when its lease passes)",
            err=True,
        )
        sys.exit(130)
    failed = run.count("failed")
    click.echo(
        f"worker {run.name}: {run.count('done')} jobs done, {failed} failed, "
        f"{run.count('queued')} to be retried"
    )
    if failed:
        sys.exit(EXIT_SKIPPED)


@main.command()
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("newsweave-demo.html"),
    show_default=True,
    help="Where to write the HTML brief.",
)
@_writer_options
@click.pass_context
def demo(ctx: click.Context, html_out: Path) -> None:
    """Brief the bundled demo reports: print the brief and write it as HTML."""
    from newsweave.pipeline.briefing import brief_demo
    from newsweave.render import render

    try:
        run = brief_demo(_settings(ctx))
        click.echo(render(run.brief, "md"))
        _write(render(run.brief, "html"), html_out)
    except NewsweaveError as error:
        _fail(error)


@main.command("migrate")
@click.pass_context
def migrate_(ctx: click.Context) -> None:
    """Create the library's database, or bring its tables up to date; print what was applied."""
    from newsweave.storage.transfer import migrate

    try:
        where, applied, everything = migrate(_settings(ctx).database_url)
    except NewsweaveError as error:
        _fail(error)
    for name in applied:
        click.echo(f"applied {name}")
    click.echo(f"{where}: up to date ({len(everything)} migrations, {len(applied)} applied now)")


@main.command("export")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout)."
)
@click.pass_context
def export_(ctx: click.Context, out: Path | None) -> None:
    """Write the whole library as JSON lines (docs/store.md), to move it or keep a copy."""
    from newsweave.errors import StoreError
    from newsweave.storage.store import Store
    from newsweave.storage.transfer import export_library

    try:
        with Store.open(_settings(ctx).database_url) as db:
            if out is None:
                done = export_library(db, sys.stdout)
            else:
                out.parent.mkdir(parents=True, exist_ok=True)
                with out.open("w", encoding="utf-8", newline="\n") as f:
                    done = export_library(db, f)
    except NewsweaveError as error:
        _fail(error)
    except OSError as error:
        _fail(StoreError(f"cannot write the export to {out or 'stdout'}: {error}"))
    rows = ", ".join(f"{n} {table}" for table, n in done.rows.items() if n)
    click.echo(f"exported {rows or 'an empty library'}" + (f" to {out}" if out else ""), err=True)


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.pass_context
def import_(ctx: click.Context, file: Path) -> None:
    """Load FILE (from `newsweave export`; - for stdin) into an empty library, all or nothing."""
    from contextlib import ExitStack

    from newsweave.errors import StoreError
    from newsweave.storage.store import Store
    from newsweave.storage.transfer import import_library

    source = "stdin" if str(file) == "-" else str(file)
    try:
        with ExitStack() as opened:
            # The file first: a missing one must not leave a new, empty library behind.
            lines = (
                sys.stdin
                if source == "stdin"
                else opened.enter_context(file.open(encoding="utf-8"))
            )
            db = opened.enter_context(Store.open(_settings(ctx).database_url))
            done = import_library(db, lines, source)
            where = db.where
    except NewsweaveError as error:
        _fail(error)
    except (OSError, UnicodeDecodeError) as error:
        _fail(StoreError(f"cannot read {file}: {error}; nothing imported"))
    rows = ", ".join(f"{n} {table}" for table, n in done.rows.items() if n)
    click.echo(f"imported {rows or 'an empty library'} into {where}")


@main.command()
@click.option(
    "--since",
    "period",
    default="24h",
    show_default=True,
    help="A period up to now (90m, 12h, 2d, 1w) or a time (2026-06-05T07:00, UTC if no offset).",
)
@click.option(
    "--format", "fmt", type=click.Choice(("md", "html", "json")), default="md", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
@click.pass_context
def edition(ctx: click.Context, period: str, fmt: str, out: Path | None) -> None:
    """The stories that changed in the period: each brief and what changed, newest first."""
    from newsweave.render.edition import edition as make_edition
    from newsweave.render.edition import render_edition

    try:
        text = render_edition(make_edition(_settings(ctx), period), fmt)
    except NewsweaveError as error:
        _fail(error)
    _write(text, out)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port."
)
@click.option("--access-log", is_flag=True, help="Log every request on stderr.")
@click.option(
    "--base-url",
    help="The reader's public address (https://news.example.org/): feed links and tag: ids.",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, access_log: bool, base_url: str | None) -> None:
    """Serve the reader: story list and pages, JSON API (/api) and Atom feeds (/feed.atom)."""
    try:
        import uvicorn

        from newsweave.web import create_app
        from newsweave.web.server import protocol_class
    except ImportError as exc:
        if not (exc.name or "").startswith(("fastapi", "starlette", "uvicorn", "pydantic")):
            raise
        click.echo(
            f"error: the reader needs the web extra ({exc.name} is missing): "
            "pip install 'newsweave[web]'",
            err=True,
        )
        sys.exit(EXIT_FAILED)
    settings = _settings(ctx)
    if base_url is not None:
        try:
            settings = settings.with_(base_url=base_url)
        except NewsweaveError as error:
            _fail(error)
    loopback = frozenset({"127.0.0.1", "localhost", "::1"})
    if host not in loopback:
        click.echo(f"warning: the reader has no login; anyone reaching {host} can read", err=True)
    from newsweave.storage.database import parse_target

    try:
        where = parse_target(settings.database_url).where  # no password printed
    except NewsweaveError as error:
        _fail(error)
    click.echo(f"reading {where}; serving on http://{host}:{port}/", err=True)
    uvicorn.run(
        # On a loopback address only loopback Host names are answered (no DNS rebinding).
        create_app(settings, hosts=loopback if host in loopback else None),
        host=host,
        port=port,
        # Access lines are logged at info level; without --access-log only problems are.
        log_level="info" if access_log else "warning",
        access_log=access_log,
        server_header=False,
        # uvicorn's protocol with its own answers (malformed requests) in the app's error
        # shape and security headers, and the request head capped (web/server.py).
        http=protocol_class(),
    )


def _source_text(path: Path) -> tuple[str, datetime | None]:
    """The text (and publication time) of a source file: a report file, or any UTF-8 text."""
    from newsweave.errors import InputError
    from newsweave.ingest.files import load_paths

    if not path.is_file():
        raise InputError(str(path), "file not found")
    loaded = load_paths([path])
    if loaded.reports:
        report = loaded.reports[0]
        return report.text, report.published
    reason = loaded.problems[0].reason if loaded.problems else "not a readable report"
    raise InputError(str(path), reason)


@main.command("verify")
@click.option("--claim", help="The claim to check (a sentence or two).")
@click.option(
    "--source",
    "source_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The article to check it against (.txt .md .html .json).",
)
@click.option(
    "--batch",
    type=click.Path(dir_okay=False, path_type=Path),
    help='JSON lines {"id", "claim", "text"} ("text": the article\'s text; the old name '
    '"source" still works); "-" reads standard input.',
)
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text")
@click.pass_context
def verify_(
    ctx: click.Context,
    claim: str | None,
    source_path: Path | None,
    batch: Path | None,
    fmt: str,
) -> None:
    """Does a source say what a claim says? Prints the verdict, score and evidence.

    Verdicts: supported, contradicted (the source says otherwise), not_found.
    """
    import json

    from newsweave.text.embed import make_embedder
    from newsweave.verification.citations import verify_batch
    from newsweave.verification.story import brief_verifier

    if (batch is None) == (claim is None):
        raise click.UsageError("give either --claim with --source, or --batch")
    if claim is not None and source_path is None:
        raise click.UsageError("--claim needs --source")
    if batch is not None and source_path is not None:
        raise click.UsageError("--batch lines carry their own source; drop --source")
    # The verifier uses WordLlama alone (TF-IDF fitted per call would not compare across calls).
    verifier = brief_verifier(make_embedder(_settings(ctx).embedder))
    if claim is not None and source_path is not None:
        try:
            text, published = _source_text(source_path)
        except NewsweaveError as error:
            _fail(error)
        result = verifier.verify(claim, text, source_published=published)
        if fmt == "json":
            out = {
                "verdict": result.verdict,
                "score": result.score,
                "evidence": list(result.evidence),
                "findings": [str(f) for f in result.findings],
            }
            click.echo(json.dumps(out, ensure_ascii=False))
            return
        click.echo(f"{result.verdict} (score {result.score:.2f})")
        for sentence in result.evidence:
            click.echo(f"  evidence: {sentence}")
        for finding in result.findings:
            click.echo(f"  because {finding}")
        return
    assert batch is not None
    try:
        stream = sys.stdin if str(batch) == "-" else batch.open(encoding="utf-8")
    except OSError as error:
        _fail(NewsweaveError(f"{batch}: cannot read ({error.strerror})"))
    bad = 0
    noted = False
    try:
        with stream:
            for line in verify_batch(stream, verifier):
                if line.note and not noted:  # said once per batch, not once per line
                    noted = True
                    click.echo(f"note: {batch} line {line.line}: {line.note}", err=True)
                if line.error or line.result is None:
                    bad += 1
                    click.echo(f"skipped {batch} line {line.line}: {line.error}", err=True)
                elif fmt == "json":
                    click.echo(json.dumps(line.to_json(), ensure_ascii=False))
                else:
                    click.echo(f"{line.id}\t{line.result.verdict}\t{line.result.score:.2f}")
    except UnicodeDecodeError:
        _fail(NewsweaveError(f"{batch}: not valid UTF-8"))
    if bad:
        sys.exit(EXIT_SKIPPED)
