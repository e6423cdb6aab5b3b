"""Quality gate: newsweave's ROUGE on small real slices must not fall below pinned floors.

The floors live in tests/eval_floors.json; a change that lowers quality fails here. Raise a
floor when quality improves; never lower one to make a change pass. The full comparison with
peers is a benchmark (`newsweave eval`, docs/benchmarks.md), not a test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsweave.config import Settings
from newsweave.text.embed import Embedder
from newsweave_bench.rouge import dataset_clusters, evaluate
from newsweave_bench.systems import newsweave_system

from .conftest import SHARED_DATA

FLOORS = json.loads((Path(__file__).with_name("eval_floors.json")).read_text(encoding="utf-8"))
SETS = {
    "multinews": {"multinews": SHARED_DATA / "multinews-dev" / "sample_validation.csv"},
    "allsides_val": {"allsides": SHARED_DATA / "allsides-neus-dev", "split": "val"},
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_rouge_stays_above_its_floor(name: str, settings: Settings, embedder: Embedder) -> None:
    pytest.importorskip("rouge_score", reason="the 'eval' extra is not installed")
    source = SETS[name]
    first = next(v for v in source.values() if isinstance(v, Path))
    if not first.exists():
        pytest.skip(f"benchmark data not found at {first}")
    floor = FLOORS[name]
    result = evaluate(
        dataset_clusters(**source),  # type: ignore[arg-type]
        {"newsweave": newsweave_system(settings, embedder)},
        limit=floor["clusters"],
        resamples=10,
    )
    [summary] = result.summary
    assert summary.failures == 0
    assert summary.r1.mean >= floor["rouge1"], f"{name} ROUGE-1 {summary.r1.mean:.2f}"
    assert summary.r2.mean >= floor["rouge2"], f"{name} ROUGE-2 {summary.r2.mean:.2f}"
