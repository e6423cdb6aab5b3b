"""The backfill on a real Dask LocalCluster (two worker processes) equals the ingest path."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsweave.cli import main
from newsweave.config import Settings, load_settings
from newsweave.errors import ConfigError
from newsweave.pipeline.backfill import BackfillRun, backfill, cluster_client, segments
from newsweave.pipeline.library import ingest
from newsweave.records import Report
from newsweave.storage.store import Store
from newsweave.stories.clustering import StorySettings

from .conftest import DEMO_DIR

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)

FLOOD = [
    (
        "Tri-City Post",
        "River Alder floods the lower town after three days of rain",
        "The River Alder burst its banks on Tuesday and flooded the lower town of Marsh "
        "Hollow, forcing 400 residents from their homes, the county fire service said. "
        "Rescue boats carried families from the Mill Street area to a shelter at the "
        "Grange school. The county council said the water had reached 1.4 metres at the "
        "old bridge, the highest level since 1998. Forecasters expect the rain to ease on "
        "Wednesday evening.",
    ),
    (
        "Valley Courier",
        "Hundreds evacuated as the Alder floods Marsh Hollow",
        "Hundreds of people were evacuated from Marsh Hollow on Tuesday when the River "
        "Alder flooded the lower town, the county fire service said. Families from Mill "
        "Street were taken by boat to a shelter in the Grange school. The water reached 1.4 "
        "metres at the old bridge, the county council said, its highest since 1998. The "
        "rain is forecast to ease on Wednesday.",
    ),
]
# A wire copy of the first flood report, lightly edited, under another outlet.
COPY = (
    "Northern Ledger",
    "River Alder floods lower town after three days of rain",
    FLOOD[0][2].replace("Forecasters expect", "Weather forecasters expect"),
)
BRIDGE = [
    (
        "Tri-City Post",
        "Council approves new Alder footbridge",
        "The county council on Monday approved a new footbridge over the River Alder at "
        "Marsh Hollow, to replace the crossing damaged in last month's flood. The bridge "
        "will cost 2.1 million and should open next spring, the council's transport chief "
        "Ruth Okafor said. Work begins in September.",
    ),
    (
        "Valley Courier",
        "Marsh Hollow to get a new footbridge over the Alder",
        "Marsh Hollow will get a new footbridge over the River Alder, the county council "
        "decided on Monday. The 2.1 million bridge replaces the crossing damaged in the "
        "flood and should open next spring, transport chief Ruth Okafor said. Work is due "
        "to begin in September.",
    ),
]


def _line(outlet: str, title: str, text: str, published: datetime, slug: str) -> str:
    url = f"https://{outlet.lower().replace(' ', '')}.example/{slug}"
    return json.dumps(
        {
            "outlet": outlet,
            "title": title,
            "text": text,
            "url": url,
            "published": published.isoformat(),
        }
    )


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """One real local cluster of two worker processes for the whole module."""
    with cluster_client(None, workers=2) as made:
        yield made


@pytest.fixture
def archive(tmp_path: Path) -> list[Path]:
    """The demo reports, and a JSONL file in two segments weeks apart, with a wire copy."""
    flood_day = datetime(2026, 6, 10, 7, 0, tzinfo=UTC)
    bridge_day = datetime(2026, 6, 28, 9, 0, tzinfo=UTC)  # weeks after: a second segment
    lines = [
        _line(*FLOOD[0], flood_day, "flood-1"),
        _line(*FLOOD[1], flood_day + timedelta(hours=2), "flood-2"),
        _line(*COPY, flood_day + timedelta(hours=3), "flood-copy"),
        _line(*BRIDGE[0], bridge_day, "bridge-1"),
        _line(*BRIDGE[1], bridge_day + timedelta(hours=5), "bridge-2"),
    ]
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "alder.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [DEMO_DIR, folder]


def _home(tmp_path: Path, name: str, database: str | None = None) -> Settings:
    return load_settings({"NEWSWEAVE_HOME": str(tmp_path / name)}).with_(database=database)


@pytest.fixture
def second_url(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[str]:
    """Another new library on the same backend as database_url."""
    if not database_url.startswith("postgresql"):
        yield str(tmp_path / "db2" / "newsweave.db")
        return
    server = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


def _stories(settings: Settings) -> dict[str, tuple[frozenset[str], str]]:
    """Each story's reports and the body of its latest brief."""
    found = {}
    with Store.open(settings.database_url) as db:
        for row in db.stories(limit=1000):
            briefs = db.story_briefs(row.id)
            body = briefs[-1].body_json if briefs else ""
            found[row.id] = (frozenset(db.story_report_ids(row.id)), body)
    return found


def test_backfill_gives_the_stories_and_briefs_of_ingest(
    client: object, archive: list[Path], tmp_path: Path, database_url: str, second_url: str
) -> None:
    single = _home(tmp_path, "single", database_url)
    ingested = ingest(archive, single, now=NOW)
    cluster = _home(tmp_path, "cluster", second_url)
    run = backfill(archive, cluster, client=client, now=NOW)  # type: ignore[arg-type]

    assert isinstance(run, BackfillRun)
    assert run.workers == 2
    assert run.segments >= 2  # the demo week, the flood, the bridge weeks later
    assert sorted(run.run.reports_new) == sorted(ingested.reports_new)
    assert set(run.run.stories_new) == set(ingested.stories_new)
    assert len(run.run.briefs) == len(ingested.briefs) >= 3
    assert not run.run.failures and not run.run.problems
    # The wire copy is found next to its original (and no other report is called a copy).
    by_url = {}
    with Store.open(cluster.database_url) as db:
        for report in db.reports():
            by_url[report.url.rsplit("/", 1)[-1]] = report.id
    assert (by_url["flood-1"], by_url["flood-copy"]) in run.copies
    assert all(len(group) == 2 for group in run.copies)

    expected = _stories(single)
    assert _stories(cluster) == expected
    together = {ids for ids, _ in expected.values()}
    assert frozenset({by_url["flood-1"], by_url["flood-2"], by_url["flood-copy"]}) in together


def test_backfill_names_a_bad_file_and_backfills_the_rest(
    client: object, archive: list[Path], tmp_path: Path
) -> None:
    bad = archive[1] / "broken.json"
    bad.write_text('{"title": "half a report", "text": ', encoding="utf-8")
    settings = _home(tmp_path, "bad")
    run = backfill(archive, settings, client=client, now=NOW)  # type: ignore[arg-type]
    assert [p.origin for p in run.run.problems] == [str(bad)]
    assert len(run.run.reports_new) == 10
    # Again, through the scheduler's address as on a real cluster: everything is stored and
    # filed already, so nothing is new and no brief is remade.
    address = client.scheduler.address  # type: ignore[attr-defined]
    again = backfill(archive, settings, scheduler=address, now=NOW)
    assert again.scheduler == address and again.workers == 2
    assert not again.run.reports_new and not again.run.briefs
    assert len(again.run.reports_existing) == 10


def test_an_unreachable_scheduler_is_named(archive: list[Path], tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    named = re.escape(f"cannot reach the Dask scheduler at {address}")
    with pytest.raises(ConfigError, match=named):
        backfill(archive, _home(tmp_path, "none"), scheduler=address, connect_timeout=2)


def test_segments_cut_only_where_every_story_is_closed() -> None:
    day = datetime(2026, 1, 1, tzinfo=UTC)

    def report(n: int, when: datetime | None) -> Report:
        return Report(id=f"r{n}", outlet="o", title="t", text="x", published=when)

    dormant = StorySettings().dormant_after
    fresh = [
        report(1, day),
        report(2, day + dormant),  # exactly dormant_after later: the story is still open
        report(3, day + dormant * 3),
        report(4, None),  # undated reports come last and stay with the last segment
    ]
    cut = segments([], fresh, dormant)
    assert [[r.id for r in part] for part in cut] == [["r1", "r2"], ["r3", "r4"]]
    # A stored story newer than the gap keeps the stream whole where it would be cut.
    stored = [report(0, day + dormant * 2 + timedelta(hours=1))]
    assert len(segments(stored, fresh[:3], dormant)) == 1
    # An undated stored story never closes: no cut at all.
    assert len(segments([report(0, None)], fresh[:3], dormant)) == 1


def test_cli_backfill_on_a_tiny_input(tmp_path: Path) -> None:
    home = tmp_path / "cli"
    source = tmp_path / "in.jsonl"
    day = datetime(2026, 6, 10, 7, 0, tzinfo=UTC)
    source.write_text(
        "\n".join(_line(*item, day, f"f{n}") for n, item in enumerate(FLOOD)) + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        ["--home", str(home), "backfill", str(source), "--workers", "1", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["workers"] == 1
    assert len(data["reports_new"]) == 2
    assert len(data["stories_new"]) == 1
    assert data["briefs"][0]["story_id"] == data["stories_new"][0]
    assert data["skipped"] == []
