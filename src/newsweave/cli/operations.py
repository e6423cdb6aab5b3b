"""Commands that run and keep the library: worker, backfill, migrate, export, import, serve."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

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
    warn_and_exit,
    writer_options,
)
from newsweave.errors import NewsweaveError


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
@writer_options
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
            list(paths), settings_of(ctx), story_settings, scheduler=scheduler, workers=workers
        )
    except NewsweaveError as error:
        fail(error)
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
    warn_and_exit(run)


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
@ALLOW_HOST
@writer_options
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
            fetch=FetchSettings(interval=duration(every)),
        )
        stop = threading.Event()
        stop_on_signals(stop)
        settings = allowing(ctx, allow_hosts)
        click.echo(f"worker {options.name}: working; stop with Ctrl-C", err=True)
        run = Worker(settings, options, stop=stop, on_job=None if quiet else said).run()
    except NewsweaveError as error:
        fail(error)
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


@main.command("migrate")
@click.pass_context
def migrate_(ctx: click.Context) -> None:
    """Create the library's database, or bring its tables up to date; print what was applied."""
    from newsweave.storage.transfer import migrate

    try:
        where, applied, everything = migrate(settings_of(ctx).database_url)
    except NewsweaveError as error:
        fail(error)
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
        with Store.open(settings_of(ctx).database_url) as db:
            if out is None:
                done = export_library(db, sys.stdout)
            else:
                out.parent.mkdir(parents=True, exist_ok=True)
                with out.open("w", encoding="utf-8", newline="\n") as f:
                    done = export_library(db, f)
    except NewsweaveError as error:
        fail(error)
    except OSError as error:
        fail(StoreError(f"cannot write the export to {out or 'stdout'}: {error}"))
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
            db = opened.enter_context(Store.open(settings_of(ctx).database_url))
            done = import_library(db, lines, source)
            where = db.where
    except NewsweaveError as error:
        fail(error)
    except (OSError, UnicodeDecodeError) as error:
        fail(StoreError(f"cannot read {file}: {error}; nothing imported"))
    rows = ", ".join(f"{n} {table}" for table, n in done.rows.items() if n)
    click.echo(f"imported {rows or 'an empty library'} into {where}")


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
    settings = settings_of(ctx)
    if base_url is not None:
        try:
            settings = settings.with_(base_url=base_url)
        except NewsweaveError as error:
            fail(error)
    loopback = frozenset({"127.0.0.1", "localhost", "::1"})
    if host not in loopback:
        click.echo(f"warning: the reader has no login; anyone reaching {host} can read", err=True)
    from newsweave.storage.database import parse_target

    try:
        where = parse_target(settings.database_url).where  # no password printed
    except NewsweaveError as error:
        fail(error)
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
