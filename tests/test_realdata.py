"""The brief contract on real news: a slice of the Multi-News dev set (skipped without the data)."""

from __future__ import annotations

import itertools
import re

import pytest

from newsweave.config import Settings
from newsweave.pipeline.briefing import make_brief
from newsweave.text.embed import Embedder
from newsweave_bench.datasets import cluster_reports, read_multinews

from .conftest import SHARED_DATA

MULTINEWS = SHARED_DATA / "multinews-dev" / "sample_validation.csv"
CLUSTERS = 15
_WORD = re.compile(r"[a-z0-9]+")


@pytest.mark.skipif(not MULTINEWS.exists(), reason=f"Multi-News dev set not found at {MULTINEWS}")
def test_real_clusters_are_briefed_cited_and_without_repeats(
    settings: Settings, embedder: Embedder
) -> None:
    for cluster in itertools.islice(read_multinews(MULTINEWS), CLUSTERS):
        brief = make_brief(cluster_reports(cluster), settings, embedder)
        numbers = {s.number for s in brief.sources}
        texts = [s.text for s in brief.sentences]
        assert texts, cluster.id
        for sentence in brief.sentences:
            assert sentence.citations and set(sentence.citations) <= numbers, sentence.text
        reporting = [
            set(_WORD.findall(t.lower()))
            for s, t in zip(brief.sentences, texts, strict=True)
            if s.role != "conflict"
        ]
        for a, b in itertools.combinations(reporting, 2):
            assert len(a & b) / len(a | b) < 0.6, cluster.id
