"""Backfill an archive on a Dask cluster: the ingest path, its bulk spread over workers.

``backfill(paths, settings)`` stores and files the reports of an archive (JSONL, HTML, ...)
like ``library.ingest`` does, and gives the same stories and briefs (docs/scale.md):

1. read and extract: files in partitions of about ``partition_bytes``, read on the workers
   with the same readers and limits as ingest (the paths must be readable on every worker);
2. near-duplicates: MinHash signatures per report on the workers (dedupe.CopySettings), LSH
   banding as a shuffle (a dask.bag groupby on (band, band hash)), candidate pairs verified
   by their estimated Jaccard similarity, joined into copy groups (reported: copies are
   stored and filed as ingest does, and the story index still joins each to its original);
3. the story embedder's vectors of each report's lead, on the workers, in exactly the
   batches one ingest call would make (so the vectors are the same to the last bit);
4. stories: the same StoryIndex over those vectors. The publication-ordered stream is cut
   where it goes quiet for longer than dormant_after: every story is closed there, so the
   segments are independent. The first is filed here by library._file_batch (it may join
   stored open stories), the others on the workers, in parallel;
5. briefs of the stories that grew, made on the workers, saved here in story order.

The store is written only by this process (the client), through the same library helpers
as ingest. Clustering is parallel only across quiet gaps; reading, embedding and briefing are
the parallel bulk.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from distributed import WorkerPlugin

from newsweave.config import Limits, Settings
from newsweave.errors import ComposeError, ConfigError
from newsweave.pipeline.library import (
    IngestRun,
    MadeBrief,
    _file_alone,
    _file_and_brief,
    _file_batch,
    _Filing,
    _story_embedder,
    _why,
    brief_or_problem,
    ingest_json,
)
from newsweave.records import Brief, LoadResult, Problem, Report
from newsweave.storage.store import Store
from newsweave.stories.clustering import StoryIndex, StorySettings, lead_text
from newsweave.stories.dedupe import CopyIndex, CopySettings
from newsweave.text.embed import Embedder, Thresholds, batches, capped, make_embedder
from newsweave.writing.claims import publication_order

if TYPE_CHECKING:
    from distributed import Client

# Version of the JSON that `newsweave backfill --format json` writes.
BACKFILL_SCHEMA = "newsweave.backfill/1"
PLUGIN = "newsweave-backfill"
PARTITION_BYTES = 8_000_000  # input bytes read by one task
EMBED_TEXTS = 2_048  # lead texts embedded by one task (in the batches ingest would make)
BRIEF_REPORTS = 400  # reports of the stories briefed by one task (at least one story)
MAX_BUCKET = 200  # an LSH bucket with more reports is boilerplate, not copies: skipped


@dataclass(frozen=True)
class BackfillRun:
    """What one backfill did: the ingest fields, the near-duplicates found, and its stages."""

    run: IngestRun
    copies: tuple[tuple[str, ...], ...]  # near-duplicate groups, each earliest report first
    segments: int  # independent stretches of the stream the stories were filed in
    workers: int
    scheduler: str  # the scheduler's address
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each stage


class _Embedders(WorkerPlugin):
    """A worker plugin holding the embedders a worker process made, built once each.

    It lives on the worker (never in module state): a worker process keeps its models for
    every task of the run.
    """

    name = PLUGIN

    def __init__(self) -> None:
        self._made: dict[tuple[str, int], Embedder] = {}

    def setup(self, worker: Any) -> None:  # type: ignore[override]
        """Start each worker with no models; they load on first use."""
        self._made = {}

    def get(self, kind: str, settings: Settings) -> Embedder:
        """The story embedder ("story") or the brief embedder ("brief") for these settings."""
        key = (f"{kind}:{settings.embedder}", settings.limits.embed_chars)
        if key not in self._made:
            if kind == "story":
                self._made[key] = _story_embedder(settings)
            else:
                self._made[key] = make_embedder(settings.embedder, settings.limits.embed_chars)
        return self._made[key]


def _worker_embedder(kind: str, settings: Settings) -> Embedder:
    """This worker's embedder of that kind, made on its first use."""
    from distributed import get_worker

    plugin = get_worker().plugins[PLUGIN]
    return plugin.get(kind, settings)  # type: ignore[no-any-return, attr-defined]


class _Lazy:
    """The story embedder, built on its first use (the backfill embeds on the workers)."""

    def __init__(self, settings: Settings) -> None:
        self.name = "lexical" if settings.embedder == "lexical" else "wordllama"
        self._settings = settings
        self._made: Embedder | None = None

    def _embedder(self) -> Embedder:
        if self._made is None:
            self._made = _story_embedder(self._settings)
        return self._made

    @property
    def thresholds(self) -> Thresholds:
        """The thresholds of the story embedder."""
        return self._embedder().thresholds

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The story embedder's vectors of the texts."""
        return self._embedder().encode(texts)


class PrecomputedEmbedder:
    """The story embedder's vectors computed beforehand, looked up by text.

    Texts it was not given are embedded by the fallback (built on first need), in one call.
    """

    def __init__(
        self,
        name: str,
        texts: Sequence[str],
        vectors: np.ndarray,
        fallback: Callable[[], Embedder] | None = None,
    ) -> None:
        self.name = name
        self._rows = {text: row for row, text in enumerate(texts)}
        self._vectors = vectors
        self._fallback = fallback
        self._made: Embedder | None = None

    @property
    def thresholds(self) -> Thresholds:
        """The thresholds of the embedder the vectors came from."""
        return self._embedder().thresholds

    def _embedder(self) -> Embedder:
        if self._made is None:
            if self._fallback is None:
                raise ComposeError("a lead text has no precomputed vector")
            self._made = self._fallback()
        return self._made

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The vector of each text: precomputed, or embedded now if it was not."""
        unknown = list(dict.fromkeys(t for t in texts if t not in self._rows))
        if unknown:
            extra = self._embedder().encode(unknown)
            start = len(self._rows)
            self._rows.update({t: start + k for k, t in enumerate(unknown)})
            self._vectors = np.vstack([self._vectors, extra.astype(self._vectors.dtype)])
        return self._vectors[[self._rows[t] for t in texts]]


# Work done on the workers (module-level functions: they are pickled by reference).


def _read_part(files: Sequence[str], limits: Limits) -> LoadResult:
    """Read and extract one partition of the input files."""
    from newsweave.ingest.files import load_paths

    return load_paths([Path(f) for f in files], limits)


def _signatures(
    pairs: Sequence[tuple[str, str]], settings: CopySettings
) -> list[tuple[str, np.ndarray]]:
    """(report id, MinHash hash values) of each text long enough to judge."""
    index = CopyIndex(settings)
    found = []
    for report_id, text in pairs:
        signature = index.signature(text)
        if signature is not None:
            found.append((report_id, np.asarray(signature.hashvalues, dtype=np.uint64)))
    return found


def _band_keys(item: tuple[str, np.ndarray], bands: int, rows: int) -> list[tuple[Any, str]]:
    """((band, the band's hash values as bytes), report id) for every band of a signature."""
    report_id, values = item
    return [((b, values[b * rows : (b + 1) * rows].tobytes()), report_id) for b in range(bands)]


def _bucket_pairs(bucket: tuple[Any, list[tuple[Any, str]]]) -> list[tuple[str, str]]:
    """The candidate pairs of one LSH bucket (none from an oversized one)."""
    ids = sorted({report_id for _, report_id in bucket[1]})
    if len(ids) < 2 or len(ids) > MAX_BUCKET:
        return []
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]


def _embed(texts: Sequence[Sequence[str]], settings: Settings) -> tuple[str, list[np.ndarray]]:
    """The story embedder's name and its vectors of each batch of texts, a batch per call."""
    embedder = _worker_embedder("story", settings)
    return embedder.name, [embedder.encode(list(batch)) for batch in texts]


def _cluster(
    reports: Sequence[Report],
    settings: StorySettings,
    name: str,
    texts: Sequence[str],
    vectors: np.ndarray,
) -> list[str]:
    """Story ids of one independent segment, from a fresh StoryIndex over its vectors."""
    return StoryIndex(settings, PrecomputedEmbedder(name, texts, vectors)).add_many(reports)


def _brief_part(
    stories: Sequence[tuple[str, list[Report]]], settings: Settings, now: datetime | None
) -> list[Brief | Problem]:
    """The brief of each story, or why it has none (no store: the llm writer's answers are
    not cached across a backfill)."""
    embedder = _worker_embedder("brief", settings)
    return [brief_or_problem(s, reports, settings, embedder, now, None) for s, reports in stories]


# The stages, driven from the client.


def _chunks(sizes: Sequence[int], budget: int) -> list[list[int]]:
    """Consecutive indices grouped so each group's sizes add up to about budget (at least one)."""
    groups: list[list[int]] = []
    total = 0
    for index, size in enumerate(sizes):
        if not groups or (total + size > budget and groups[-1]):
            groups.append([])
            total = 0
        groups[-1].append(index)
        total += size
    return groups


def _read(client: Client, paths: Sequence[Path | str], limits: Limits) -> LoadResult:
    """Every report in the inputs, read on the workers, in load_paths' order."""
    from newsweave.ingest.files import input_files

    files, problems = input_files(paths)
    sizes = []
    for path in files:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)  # the worker names the problem when it reads it
    parts = [[str(files[i]) for i in group] for group in _chunks(sizes, PARTITION_BYTES)]
    results = client.gather(client.map(_read_part, parts, limits=limits, pure=False))
    reports: list[Report] = []
    cuts: list[Problem] = []
    seen: set[str] = set()
    for result in results:
        problems.extend(result.problems)
        cuts.extend(result.cuts)
        for report in result.reports:  # the first copy of an id wins, as in load_paths
            if report.id not in seen:
                seen.add(report.id)
                reports.append(report)
    return LoadResult(tuple(reports), tuple(problems), tuple(cuts))


def near_duplicates(
    client: Client,
    reports: Sequence[Report],
    settings: CopySettings | None = None,
    partitions: int | None = None,
) -> list[tuple[str, ...]]:
    """Groups of near-duplicate reports (estimated Jaccard >= threshold), earliest first."""
    import dask.bag as db
    from datasketch import MinHashLSH

    settings = settings or CopySettings()
    if len(reports) < 2:
        return []
    lsh = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm)
    bands, rows = lsh.b, lsh.r  # the same banding as the story index's CopyIndex
    partitions = partitions or max(1, min(len(reports) // 500 + 1, 64))
    texts = db.from_sequence([(r.id, r.text) for r in reports], npartitions=partitions)
    signatures = texts.map_partitions(_signatures, settings).persist()
    candidates = (
        signatures.map(_band_keys, bands, rows)
        .flatten()
        .groupby(lambda keyed: keyed[0], shuffle="tasks", npartitions=partitions)
        .map(_bucket_pairs)
        .flatten()
        .distinct()
    )
    pairs = sorted(candidates.compute())
    if not pairs:
        return []
    involved = {i for pair in pairs for i in pair}
    values = dict(signatures.filter(lambda item: item[0] in involved).compute())
    order = {r.id: k for k, r in enumerate(publication_order(reports))}
    parent = {i: i for i in involved}

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        if float(np.mean(values[a] == values[b])) >= settings.threshold:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb, key=order.__getitem__)] = min(ra, rb, key=order.__getitem__)
    groups: dict[str, list[str]] = {}
    for i in involved:
        groups.setdefault(root(i), []).append(i)
    found = [tuple(sorted(g, key=order.__getitem__)) for g in groups.values() if len(g) > 1]
    return sorted(found, key=lambda g: order[g[0]])


def _seconds(when: datetime | None) -> float | None:
    """Seconds since the epoch as the story index counts them (naive taken as UTC)."""
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def segments(
    stored: Sequence[Report], fresh: Sequence[Report], dormant_after: timedelta
) -> list[list[Report]]:
    """The fresh reports (publication order) cut where every story before is closed.

    A StoryIndex closes a story once the newest time seen is more than dormant_after past its
    last report; a report that far past every report before it therefore meets no open story
    and what follows is independent of what came before. Undated open stories never close:
    with any, the stream is not cut (nor when undated reports meet stored stories).
    """
    if not fresh:
        return []
    if any(r.published is None for r in stored) or (
        stored and any(r.published is None for r in fresh)
    ):
        return [list(fresh)]
    gap = dormant_after.total_seconds()
    dated = [_seconds(r.published) for r in stored]
    newest = max((t for t in dated if t is not None), default=None)
    found: list[list[Report]] = [[]]
    for report in fresh:
        when = _seconds(report.published)
        # The same comparison as StoryIndex._close_dormant: last < now - dormant_after.
        if when is not None and newest is not None and newest < when - gap and found[-1]:
            found.append([])
        found[-1].append(report)
        if when is not None:
            newest = when if newest is None else max(newest, when)
    return found


@dataclass
class _ClusterFiling:
    """Files fresh reports and makes briefs on the cluster, for library._file_and_brief."""

    client: Client
    settings: Settings
    now: datetime | None
    segments: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    DEFAULT_NAME: ClassVar[str] = "wordllama"

    def _vectors(self, texts: Sequence[str]) -> tuple[str, np.ndarray]:
        """The story embedder's name and vectors of the texts, made on the workers.

        A fixed vector space (WordLlama) is embedded in the very batches one encode call makes
        here, a group of batches per task; TF-IDF (lexical) is fitted on all texts at once.
        """
        if self.settings.embedder == "lexical":
            name, (vectors,) = self.client.submit(_embed, [list(texts)], self.settings).result()
            return name, vectors
        cut = [capped(t, self.settings.limits.embed_chars) for t in texts]
        groups: list[list[list[int]]] = [[]]
        count = 0
        for batch in batches(cut):
            if count + len(batch) > EMBED_TEXTS and groups[-1]:
                groups.append([])
                count = 0
            groups[-1].append(batch)
            count += len(batch)
        futures = self.client.map(
            _embed,
            [[[texts[i] for i in batch] for batch in group] for group in groups],
            settings=self.settings,
            pure=False,
        )
        vectors: np.ndarray | None = None
        name = self.DEFAULT_NAME
        for group, future in zip(groups, futures, strict=True):
            name, made = future.result()
            for batch, rows in zip(group, made, strict=True):
                if vectors is None:
                    vectors = np.zeros((len(texts), rows.shape[1]), dtype=rows.dtype)
                vectors[batch] = rows
        assert vectors is not None
        return name, vectors

    def file_fresh(
        self,
        db: Store,
        fresh: Sequence[Report],
        settings: StorySettings,
        embedder: Embedder,
        filing: _Filing,
    ) -> bool:
        """File never-tried reports: vectors on the workers, then the segments in parallel."""
        started = time.perf_counter()
        dated = [r.published for r in fresh if r.published is not None]
        # The stored reports the index is rebuilt on, as library._open_index picks them.
        since = min(dated) - settings.dormant_after if len(dated) == len(fresh) else None
        stored = db.open_story_reports(since)
        texts = [lead_text(r) for r in [*stored, *fresh]]
        name, vectors = self._vectors(texts)
        self.seconds["embed"] = time.perf_counter() - started
        started = time.perf_counter()
        precomputed = PrecomputedEmbedder(name, texts, vectors, fallback=lambda: embedder)
        parts = segments(stored, fresh, settings.dormant_after)
        self.segments = len(parts)
        rows = {t: k for k, t in enumerate(texts)}
        later = []
        for part in parts[1:]:
            db.start_filing([r.id for r in part])  # the attempt is recorded first, as ingest does
            leads = list(dict.fromkeys(lead_text(r) for r in part))
            own = vectors[[rows[t] for t in leads]]
            later.append(self.client.submit(_cluster, part, settings, name, leads, own))
        if not _file_batch(db, parts[0], settings, precomputed, filing):
            for future in later:
                future.cancel()
            return False  # as in ingest: every fresh report is filed alone next
        for part, future in zip(parts[1:], later, strict=True):
            ids = [r.id for r in part]
            try:
                story_ids = future.result()
            except Exception as exc:  # this segment alone is filed again, report by report
                db.filing_failed(ids, _why(exc))
                _file_alone(db, part, settings, precomputed, filing)
                continue
            filing.add(db.assign(list(zip(ids, story_ids, strict=True))), part)
        self.seconds["stories"] = time.perf_counter() - started
        return True

    def make_briefs(self, db: Store, story_ids: Sequence[str]) -> Iterator[MadeBrief]:
        """The stale stories' briefs, made on the workers, a group of stories per task."""
        started = time.perf_counter()
        stories = [(s, db.story_reports(s)) for s in story_ids]
        groups = _chunks([len(reports) for _, reports in stories], BRIEF_REPORTS)
        parts = [[stories[i] for i in group] for group in groups]
        futures = self.client.map(
            _brief_part, parts, settings=self.settings, now=self.now, pure=False
        )
        for part, future in zip(parts, futures, strict=True):
            for (story_id, reports), made in zip(part, future.result(), strict=True):
                yield story_id, reports, made
            future.release()
        self.seconds["briefs"] = time.perf_counter() - started


@contextmanager
def cluster_client(
    scheduler: str | None = None, workers: int = 2, connect_timeout: float = 30.0
) -> Iterator[Client]:
    """A client of the scheduler at that address, or of a local cluster of worker processes."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        try:
            client.register_plugin(_Embedders(), name=PLUGIN)
            yield client
        finally:
            client.close()
        return
    if workers < 1:
        raise ConfigError("workers must be at least 1")
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.WARNING,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.register_plugin(_Embedders(), name=PLUGIN)
        yield client


def backfill(
    paths: Sequence[Path | str],
    settings: Settings,
    story_settings: StorySettings | None = None,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    client: Client | None = None,
    now: datetime | None = None,
    connect_timeout: float = 30.0,
) -> BackfillRun:
    """Store, file and brief an archive like ingest does, the bulk of the work on Dask.

    Runs on the scheduler at that address (tcp://host:8786; ConfigError if it cannot be
    reached in connect_timeout seconds), on a given client, or else on a local cluster of
    `workers` processes started and closed here.
    """
    if client is None:
        with cluster_client(scheduler, workers, connect_timeout) as made:
            return backfill(paths, settings, story_settings, client=made, now=now)
    story_settings = story_settings or StorySettings()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    loaded = _read(client, paths, settings.limits)
    if not loaded.reports:
        reasons = "; ".join(str(p) for p in loaded.problems) or "no report files found"
        raise ComposeError(f"no readable reports in the inputs ({reasons})")
    seconds["read"] = time.perf_counter() - started
    filer = _ClusterFiling(client, settings, now)
    with Store.open(settings.database_url) as db:
        started = time.perf_counter()
        added = db.add_reports(loaded.reports)
        stored_ids = list(dict.fromkeys(added.stored_ids))
        seconds["store"] = time.perf_counter() - started
        started = time.perf_counter()
        new = set(added.added)
        copies = near_duplicates(client, [r for r in loaded.reports if r.id in new])
        seconds["copies"] = time.perf_counter() - started
        filed_before = list(db.story_ids_of(stored_ids).values())
        run = _file_and_brief(
            db,
            stored_ids,
            filed_before,
            settings,
            story_settings,
            embedder=None,
            story_embedder=_Lazy(settings),
            now=now,
            file_fresh=filer.file_fresh,
            make_briefs=filer.make_briefs,
        )
    seconds.update(filer.seconds)
    workers_now = len(client.scheduler_info(n_workers=-1)["workers"])
    return BackfillRun(
        run=IngestRun(
            reports_new=added.added,
            reports_existing=added.existing,
            problems=loaded.problems,
            cuts=loaded.cuts,
            **run,
        ),
        copies=tuple(copies),
        segments=filer.segments,
        workers=workers_now,
        scheduler=str(client.scheduler.address),
        seconds=seconds,
    )


def backfill_json(done: BackfillRun) -> dict[str, Any]:
    """A backfill's outcome as JSON-ready data (`newsweave backfill --format json`)."""
    return {
        "schema": BACKFILL_SCHEMA,
        "scheduler": done.scheduler,
        "workers": done.workers,
        "segments": done.segments,
        "seconds": {name: round(secs, 3) for name, secs in done.seconds.items()},
        "near_duplicates": [list(group) for group in done.copies],
        **ingest_json(done.run),
    }
