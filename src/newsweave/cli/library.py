"""Commands on the story library: ingest, stories and edition."""

from __future__ import annotations

from pathlib import Path

import click

from newsweave.cli.common import (
    fail,
    main,
    settings_of,
    time_text,
    warn_and_exit,
    write_output,
    writer_options,
)
from newsweave.errors import NewsweaveError


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
@writer_options
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], threshold: float | None, fmt: str) -> None:
    """Store the reports in PATHS, file them under stories and re-brief the stories that grew."""
    import json

    from newsweave.pipeline.library import ingest as ingest_paths
    from newsweave.pipeline.library import ingest_json
    from newsweave.stories.clustering import StorySettings

    story_settings = StorySettings() if threshold is None else StorySettings(threshold=threshold)
    try:
        run = ingest_paths(list(paths), settings_of(ctx), story_settings)
    except NewsweaveError as error:
        fail(error)
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
    warn_and_exit(run)


@main.command()
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.pass_context
def stories(ctx: click.Context, fmt: str, limit: int) -> None:
    """List stories, newest activity first (json: with the ids and URLs of their reports)."""
    import json

    from newsweave.pipeline.listing import list_stories, set_aside_reports, stories_json

    try:
        if fmt == "json":
            click.echo(
                json.dumps(stories_json(settings_of(ctx), limit), indent=2, ensure_ascii=False)
            )
            return
        rows = list_stories(settings_of(ctx), limit)
        aside = set_aside_reports(settings_of(ctx))
    except NewsweaveError as error:
        fail(error)
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
                time_text(row.first_published),
                time_text(row.last_published),
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
        text = render_edition(make_edition(settings_of(ctx), period), fmt)
    except NewsweaveError as error:
        fail(error)
    write_output(text, out)
