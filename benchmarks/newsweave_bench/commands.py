"""The benchmark commands (`newsweave eval`, `eval-verify`, `eval-conflicts`, `eval-writer`,
`eval-prose`), added to the newsweave command line through the `newsweave.commands` entry points."""

from __future__ import annotations

from pathlib import Path

import click

from newsweave.cli.common import fail, settings_of, write_output
from newsweave.errors import NewsweaveError


def _progress(done: int) -> None:
    # Full runs take minutes: a line on stderr now and then shows the run is alive.
    if done % 50 == 0:
        click.echo(f"{done} clusters done", err=True)


@click.command("eval")
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
    default="newsweave,brief,lead,lexrank,textrank,lsa,oracle",
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

    from newsweave_bench import rouge as ev
    from newsweave_bench import systems as sy

    if sum(x is not None for x in (multinews, allsides, jsonl)) != 1:
        raise click.UsageError("give exactly one of --multinews, --allsides, --jsonl")
    try:
        names = sy.parse_system_names(systems)
    except NewsweaveError as error:
        raise click.BadParameter(str(error), param_hint="--systems") from None
    try:
        sy.require_extra(names)
        clusters = ev.dataset_clusters(
            multinews=multinews, allsides=allsides, split=split, jsonl=jsonl
        )
        registry = sy.make_systems(names, settings_of(ctx))
        result = ev.evaluate(
            clusters,
            registry,
            budget_words=words,
            limit=limit,
            progress=_progress,
        )
    except NewsweaveError as error:
        fail(error)
    click.echo(ev.format_table(result))
    for row in [r for r in result.rows if r.error][:5]:
        click.echo(f"failed: {row.system} on cluster {row.id}: {row.error}", err=True)
    if json_out is not None:
        write_output(json.dumps(ev.result_to_json(result), indent=1) + "\n", json_out)


def _note(message: str) -> None:
    click.echo(message, err=True)


@click.command("eval-verify")
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("../shared/data"),
    show_default=True,
    help="Folder holding summedits-dev/ and fnc1-dev/.",
)
@click.option("--only", type=click.Choice(("summedits", "fnc1")), help="Run one benchmark.")
@click.option("--limit", type=click.IntRange(min=2), help="FNC-1: only this many bodies.")
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the results here.",
)
def eval_verify(data: Path, only: str | None, limit: int | None, json_out: Path | None) -> None:
    """Benchmark the verifier and its peers side by side: SummEdits and FNC-1 (dev)."""
    import json

    from newsweave_bench import fnc1 as ef
    from newsweave_bench import summedits as es
    from newsweave_bench import verdicts
    from newsweave_bench import verify as ev
    from newsweave_bench.datasets import read_fnc1, read_summedits

    summedits = fnc1 = None
    try:
        verifier = verdicts.default_verifier()
        if only in (None, "summedits"):
            folder = data / "summedits-dev"
            if folder.is_dir():
                summedits = es.run_summedits(read_summedits(folder), verifier)
                click.echo(es.format_summedits(summedits))
            else:
                click.echo(f"skipped: {folder} not found")
        if only in (None, "fnc1"):
            folder = data / "fnc1-dev"
            if folder.is_dir():
                pairs, bodies = read_fnc1(folder)
                fnc1 = ef.run_fnc1(pairs, bodies, verifier, limit=limit, progress=_note)
                click.echo("\n" + ef.format_fnc1(fnc1))
            else:
                click.echo(f"skipped: {folder} not found")
    except NewsweaveError as error:
        fail(error)
    if json_out is not None:
        write_output(json.dumps(ev.result_to_json(summedits, fnc1), indent=1) + "\n", json_out)


@click.command("eval-conflicts")
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("../shared/data"),
    show_default=True,
    help="Folder holding conflicts-dev/, multinews-dev/ and allsides-neus-dev/.",
)
@click.option(
    "--part",
    type=click.Choice(("tune", "held-out", "all")),
    default="all",
    show_default=True,
    help="Clusters to run: one half of the hash split, or all (tables for both halves).",
)
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N clusters.")
@click.option("--show", is_flag=True, help="Print every missed conflict and false alarm.")
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the tables and per-cluster details here.",
)
@click.pass_context
def eval_conflicts(
    ctx: click.Context,
    data: Path,
    part: str,
    limit: int | None,
    show: bool,
    json_out: Path | None,
) -> None:
    """Score disagreement detection on the labelled conflicts (conflicts-dev)."""
    import json
    import tempfile

    from newsweave.text.embed import make_embedder
    from newsweave_bench import conflict_labels as cl
    from newsweave_bench import conflicts as ec

    labels_path = data / cl.LABELS
    if not labels_path.is_file():
        click.echo(f"skipped: {labels_path} not found")
        return
    try:
        labels = cl.read_labels(labels_path)
        keys = ec.select_clusters(labels, part, limit)
        missing = cl.missing_files(data, (k[0] for k in keys))
        if missing:
            click.echo(f"skipped: {', '.join(map(str, missing))} not found")
            return
        loaded = cl.load_clusters(data, keys)
        with tempfile.TemporaryDirectory(prefix="newsweave-eval-") as home:
            settings = settings_of(ctx).with_(home=Path(home))
            embedder = make_embedder(settings.embedder)  # loaded once, before timing
            brief = ec.product_brief(settings, embedder)
            result = ec.run(labels, loaded, brief, part=part, limit=limit, progress=_note)
    except NewsweaveError as error:
        fail(error)
    click.echo(ec.format_result(result))
    if show:
        click.echo("\n" + ec.format_show(result))
    if json_out is not None:
        write_output(json.dumps(ec.result_to_json(result), indent=1) + "\n", json_out)


@click.command("eval-writer")
@click.option(
    "--multinews",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("../shared/data/multinews-dev/sample_validation.csv"),
    show_default=True,
    help="A Multi-News CSV (documents, summary).",
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--skip", type=click.IntRange(min=0), default=0, help="Start after N clusters.")
@click.option("--words", type=click.IntRange(min=1), help="Word budget (default: reference's).")
@click.option("--writers", default="extractive,llm", show_default=True, help="Writers to run.")
@click.option("--peers", default="lead,lexrank", show_default=True, help="Peers ('' for none).")
@click.option("--llm-url", metavar="URL", help="Endpoint (default: $NEWSWEAVE_LLM_URL).")
@click.option("--llm-model", metavar="NAME", help="Model (default: $NEWSWEAVE_LLM_MODEL).")
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the scores, per-cluster rows and tallies here.",
)
@click.pass_context
def eval_writer(
    ctx: click.Context,
    multinews: Path,
    limit: int,
    skip: int,
    words: int | None,
    writers: str,
    peers: str,
    llm_url: str | None,
    llm_model: str | None,
    json_out: Path | None,
) -> None:
    """Compare the writers on Multi-News: ROUGE with peers, acceptance, rejections, time."""
    import itertools
    import json
    import tempfile
    from dataclasses import replace

    from newsweave_bench import rouge as ev
    from newsweave_bench import writer as ew

    names = [w.strip() for w in writers.split(",") if w.strip()]
    peer_names = [p.strip() for p in peers.split(",") if p.strip()]
    try:
        settings = settings_of(ctx)
        endpoint = {k: v for k, v in {"url": llm_url, "model": llm_model}.items() if v}
        with tempfile.TemporaryDirectory(prefix="newsweave-eval-") as home:
            settings = settings.with_(home=Path(home), llm=replace(settings.llm, **endpoint))
            result = ew.run(
                itertools.islice(ev.dataset_clusters(multinews=multinews), skip, None),
                settings,
                names,
                peer_names,
                budget_words=words,
                limit=limit,
                progress=lambda n: click.echo(f"{n} clusters done", err=True),
            )
    except NewsweaveError as error:
        fail(error)
    click.echo(ev.format_table(result.evaluation))
    click.echo("")
    click.echo(ew.format_writers(result))
    if json_out is not None:
        write_output(json.dumps(ew.result_to_json(result), indent=1) + "\n", json_out)


@click.command("eval-prose")
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("../shared/data"),
    show_default=True,
    help="Folder holding multinews-dev/ and allsides-neus-dev/.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N clusters of each set.")
@click.pass_context
def eval_prose(ctx: click.Context, data: Path, limit: int | None) -> None:
    """Check that briefs read like news: templates, citations, furniture, dangling, lede."""
    import itertools
    import tempfile

    from newsweave.pipeline.briefing import make_brief
    from newsweave.records import Brief
    from newsweave.text.embed import make_embedder
    from newsweave_bench import prose as ep
    from newsweave_bench import rouge as ev
    from newsweave_bench import systems as sy
    from newsweave_bench.datasets import Cluster, cluster_reports

    sets = {
        "multinews-dev": {"multinews": data / "multinews-dev" / "sample_validation.csv"},
        "allsides-val": {"allsides": data / "allsides-neus-dev"},
    }
    present = {
        name: where for name, where in sets.items() if all(p.exists() for p in where.values())
    }
    if not present:
        click.echo(f"skipped: no Multi-News or AllSides dev data under {data}")
        return
    try:
        sy.require_extra(["newsweave"])
        with tempfile.TemporaryDirectory(prefix="newsweave-eval-") as home:
            settings = settings_of(ctx).with_(home=Path(home))
            embedder = make_embedder(settings.embedder)  # loaded once, before timing

            def brief(cluster: Cluster) -> Brief:
                return make_brief(cluster_reports(cluster, "eval"), settings, embedder)

            results = [
                ep.run(name, itertools.islice(ev.dataset_clusters(**where), limit), brief)
                for name, where in present.items()
            ]
    except NewsweaveError as error:
        fail(error)
    click.echo(ep.format_counts(results))
