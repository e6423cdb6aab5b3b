"""Commands that make or check one brief: brief, demo and verify."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from newsweave.cli.common import (
    EXIT_SKIPPED,
    FORMATS,
    fail,
    main,
    settings_of,
    write_output,
    writer_options,
)
from newsweave.errors import NewsweaveError


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
@writer_options
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
        from newsweave.pipeline.listing import story_brief

        try:
            write_output(render(story_brief(settings_of(ctx), story_id, version), fmt), out)
        except NewsweaveError as error:
            fail(error)
        return

    from newsweave.pipeline.briefing import brief_paths

    try:
        settings = settings_of(ctx).with_(
            **{k: v for k, v in {"max_body_sentences": sentences, "max_words": words}.items() if v}
        )
        if no_verify:
            settings = settings.with_(verify=False)
        run = brief_paths(list(paths), settings, store=not no_store)
        write_output(render(run.brief, fmt), out)
    except NewsweaveError as error:
        fail(error)
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


@main.command()
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("newsweave-demo.html"),
    show_default=True,
    help="Where to write the HTML brief.",
)
@writer_options
@click.pass_context
def demo(ctx: click.Context, html_out: Path) -> None:
    """Brief the bundled demo reports: print the brief and write it as HTML."""
    from newsweave.pipeline.briefing import brief_demo
    from newsweave.render import render

    try:
        run = brief_demo(settings_of(ctx))
        click.echo(render(run.brief, "md"))
        write_output(render(run.brief, "html"), html_out)
    except NewsweaveError as error:
        fail(error)


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
    from newsweave.verification.batch import verify_batch
    from newsweave.verification.story import brief_verifier

    if (batch is None) == (claim is None):
        raise click.UsageError("give either --claim with --source, or --batch")
    if claim is not None and source_path is None:
        raise click.UsageError("--claim needs --source")
    if batch is not None and source_path is not None:
        raise click.UsageError("--batch lines carry their own source; drop --source")
    # The verifier uses WordLlama alone (TF-IDF fitted per call would not compare across calls).
    verifier = brief_verifier(make_embedder(settings_of(ctx).embedder))
    if claim is not None and source_path is not None:
        try:
            text, published = _source_text(source_path)
        except NewsweaveError as error:
            fail(error)
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
        fail(NewsweaveError(f"{batch}: cannot read ({error.strerror})"))
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
        fail(NewsweaveError(f"{batch}: not valid UTF-8"))
    if bad:
        sys.exit(EXIT_SKIPPED)
