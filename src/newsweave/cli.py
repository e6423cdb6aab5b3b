"""The command line: a thin layer that parses flags, calls the library and sets exit codes.

Exit codes: 0 done; 1 failed (nothing was produced); 2 wrong usage; 3 done, but some inputs
were skipped (each is named on stderr with the reason).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import click

from newsweave.config import EMBEDDERS, Settings, load_settings
from newsweave.errors import NewsweaveError

EXIT_FAILED = 1
EXIT_SKIPPED = 3
FORMATS = ("md", "json", "html")


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj  # built once in main()


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
@click.version_option(package_name="newsweave")
@click.pass_context
def main(ctx: click.Context, home: Path | None, embedder: str | None) -> None:
    """newsweave: many news reports in, one cited, conflict-aware brief out."""
    try:
        ctx.obj = load_settings(os.environ, home=home, embedder=embedder)
    except NewsweaveError as error:
        _fail(error)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--story", "story_id", help="Print the stored brief of this story instead.")
@click.option(
    "--version", "version", type=click.IntRange(min=1), help="With --story: this version."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.option("--sentences", type=int, help="Most body sentences (default 6).")
@click.option("--words", type=int, help="Most words in the whole brief (replaces --sentences).")
@click.option("--no-store", is_flag=True, help="Do not write reports or the brief to the database.")
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
) -> None:
    """Brief the reports in PATHS (.txt .md .html .json .jsonl), or print a story's brief."""
    from newsweave.render import render

    if bool(paths) == (story_id is not None):
        raise click.UsageError("give either PATHS or --story, not both and not neither")
    if story_id is None and version is not None:
        raise click.UsageError("--version needs --story")
    if story_id is not None:
        if sentences or words or no_store:
            raise click.UsageError("--sentences, --words and --no-store need PATHS")
        from newsweave.library import story_brief

        try:
            _write(render(story_brief(_settings(ctx), story_id, version), fmt), out)
        except NewsweaveError as error:
            _fail(error)
        return

    from newsweave.pipeline import brief_paths

    try:
        settings = _settings(ctx).with_(
            **{k: v for k, v in {"max_body_sentences": sentences, "max_words": words}.items() if v}
        )
        run = brief_paths(list(paths), settings, store=not no_store)
        _write(render(run.brief, fmt), out)
    except NewsweaveError as error:
        _fail(error)
    for problem in run.problems:
        click.echo(f"skipped {problem.origin}: {problem.reason}", err=True)
    if run.problems:
        sys.exit(EXIT_SKIPPED)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--threshold",
    type=click.FloatRange(min=-1.0, max=2.0),
    help="Score a report needs to join a story (default: the story index's).",
)
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], threshold: float | None) -> None:
    """Store the reports in PATHS, file them under stories and re-brief the stories that grew."""
    from newsweave.library import ingest as ingest_paths
    from newsweave.stories import StorySettings

    story_settings = StorySettings() if threshold is None else StorySettings(threshold=threshold)
    try:
        run = ingest_paths(list(paths), _settings(ctx), story_settings)
    except NewsweaveError as error:
        _fail(error)
    click.echo(
        f"reports: {len(run.reports_new)} new, {len(run.reports_existing)} already stored; "
        f"stories: {len(run.stories_new)} new, {len(run.stories_updated)} updated; "
        f"briefs made: {len(run.briefs)}"
    )
    for made in run.briefs:
        click.echo(f"  {made.story_id} v{made.version}: {made.headline}")
    for problem in run.problems:
        click.echo(f"skipped {problem.origin}: {problem.reason}", err=True)
    for failure in run.failures:
        click.echo(f"no brief for story {failure.origin}: {failure.reason}", err=True)
    if run.problems or run.failures:
        sys.exit(EXIT_SKIPPED)


def _time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M%z")


@main.command()
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.pass_context
def stories(ctx: click.Context, fmt: str, limit: int) -> None:
    """List stories, newest activity first (json: with the ids and URLs of their reports)."""
    import json

    from newsweave.library import list_stories, stories_json

    try:
        if fmt == "json":
            click.echo(
                json.dumps(stories_json(_settings(ctx), limit), indent=2, ensure_ascii=False)
            )
            return
        rows = list_stories(_settings(ctx), limit)
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


@main.command()
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("newsweave-demo.html"),
    show_default=True,
    help="Where to write the HTML brief.",
)
@click.pass_context
def demo(ctx: click.Context, html_out: Path) -> None:
    """Brief the bundled demo reports: print the brief and write it as HTML."""
    from newsweave.pipeline import brief_demo
    from newsweave.render import render

    try:
        run = brief_demo(_settings(ctx))
        click.echo(render(run.brief, "md"))
        _write(render(run.brief, "html"), html_out)
    except NewsweaveError as error:
        _fail(error)


def _progress(done: int) -> None:
    # Full runs take minutes: a line on stderr now and then shows the run is alive.
    if done % 50 == 0:
        click.echo(f"{done} clusters done", err=True)


@main.command("eval")
@click.option(
    "--multinews",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A Multi-News CSV (documents, summary).",
)
@click.option(
    "--allsides",
    type=click.Path(file_okay=False, path_type=Path),
    help="An AllSides NeuS folder holding SPLIT.source and SPLIT.target.",
)
@click.option("--split", default="val", show_default=True, help="AllSides split to read.")
@click.option(
    "--jsonl",
    type=click.Path(dir_okay=False, path_type=Path),
    help='JSON lines: {"id", "documents": [...], "reference"}.',
)
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N clusters.")
@click.option(
    "--words", type=click.IntRange(min=1), help="Word budget (default: the reference's length)."
)
@click.option(
    "--systems",
    default="newsweave,lead,lexrank,textrank,lsa,oracle",
    show_default=True,
    help="Comma-separated systems to run.",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the summary and per-cluster scores here.",
)
@click.pass_context
def eval_(
    ctx: click.Context,
    multinews: Path | None,
    allsides: Path | None,
    split: str,
    jsonl: Path | None,
    limit: int | None,
    words: int | None,
    systems: str,
    json_out: Path | None,
) -> None:
    """Score newsweave and extractive peers with ROUGE against reference summaries."""
    import json

    from newsweave import evaluate as ev

    if sum(x is not None for x in (multinews, allsides, jsonl)) != 1:
        raise click.UsageError("give exactly one of --multinews, --allsides, --jsonl")
    try:
        names = ev.parse_system_names(systems)
    except NewsweaveError as error:
        raise click.BadParameter(str(error), param_hint="--systems") from None
    try:
        ev.require_extra(names)
        clusters = ev.dataset_clusters(
            multinews=multinews, allsides=allsides, split=split, jsonl=jsonl
        )
        registry = ev.make_systems(names, _settings(ctx))
        result = ev.evaluate(
            clusters,
            registry,
            budget_words=words,
            limit=limit,
            progress=_progress,
        )
    except NewsweaveError as error:
        _fail(error)
    click.echo(ev.format_table(result))
    for row in [r for r in result.rows if r.error][:5]:
        click.echo(f"failed: {row.system} on cluster {row.id}: {row.error}", err=True)
    if json_out is not None:
        _write(json.dumps(ev.result_to_json(result), indent=1) + "\n", json_out)
