"""Commands on followed sources: add, sources, remove, fetch and watch."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from newsweave.cli.common import (
    ALLOW_HOST,
    EXIT_FAILED,
    EXIT_SKIPPED,
    allowing,
    duration,
    fail,
    main,
    settings_of,
    time_text,
    writer_options,
)
from newsweave.config import Settings
from newsweave.errors import NewsweaveError

if TYPE_CHECKING:
    from newsweave.ingest.fetch import SourceOutcome
    from newsweave.pipeline.fetching import FetchRun


@main.command("add")
@click.argument("target")
@click.option(
    "--kind",
    type=click.Choice(("auto", "feed", "page")),
    default="auto",
    show_default=True,
    help="What TARGET is; auto decides on the first fetch.",
)
@ALLOW_HOST
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

    settings = allowing(ctx, allow_hosts)
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
        fail(error)
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
        with Store.open(settings_of(ctx).database_url) as db:
            rows = db.sources()
    except NewsweaveError as error:
        fail(error)
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
            f"last ok {time_text(s.last_success_at)}  {s.url}"
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
        with Store.open(settings_of(ctx).database_url) as db:
            removed = db.remove_source(source)
    except NewsweaveError as error:
        fail(error)
    if removed is None:
        click.echo(f"error: no source {source!r}; see newsweave sources", err=True)
        sys.exit(EXIT_FAILED)
    if fmt == "json":
        gone = {"id": removed.id, "url": removed.url, "kind": removed.kind, "title": removed.title}
        click.echo(json.dumps({"removed": gone}, ensure_ascii=False))
        return
    click.echo(f"removed: {removed.id} {removed.url}")


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
@ALLOW_HOST
@writer_options
@click.pass_context
def fetch(
    ctx: click.Context, every: bool, quiet: bool, fmt: str, allow_hosts: tuple[str, ...]
) -> None:
    """Fetch every due source, store new reports, file them into stories and brief those."""
    import json

    from newsweave.pipeline.fetching import fetch as fetch_sources

    reporter = _Reporter(quiet)
    settings = allowing(ctx, allow_hosts)
    try:
        run = fetch_sources(
            settings,
            every=every,
            on_start=reporter.start,
            on_source=reporter.source,
        )
    except NewsweaveError as error:
        fail(error)
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
@ALLOW_HOST
@writer_options
@click.pass_context
def watch(
    ctx: click.Context, every: str, quiet: bool, fmt: str, allow_hosts: tuple[str, ...]
) -> None:
    """Fetch, file into stories and brief, again and again until stopped (Ctrl-C, SIGTERM)."""
    import json

    from newsweave.pipeline.fetching import StopSignal
    from newsweave.pipeline.fetching import watch as watch_sources

    interval = duration(every)
    stop = StopSignal()
    stop.install()
    reporter = _Reporter(quiet=True)
    click.echo(f"watching: a round every {every}; stop with Ctrl-C", err=True)
    try:
        rounds = watch_sources(
            allowing(ctx, allow_hosts),
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
        fail(error)
    click.echo(f"stopped after {rounds} rounds", err=True)
