"""The llm writer against a scripted OpenAI-compatible server on 127.0.0.1 (no model, no mocks).

Good output gives a brief whose every sentence carries verified citations and whose
disagreements are stated from data; invented names, changed numbers, invented quotations and
claims that do not exist are rejected and replaced or dropped; malformed answers, refusals,
rate limits, hangs and a dead endpoint give the extractive brief with the reason recorded.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newsweave.cli import main
from newsweave.config import Settings, load_settings
from newsweave.errors import ConfigError
from newsweave.pipeline.briefing import brief_paths, make_brief
from newsweave.records import Brief, Report
from newsweave.render import render
from newsweave.render.jsonout import brief_from_dict, brief_to_dict, render_json
from newsweave.storage.store import Store
from newsweave.text.embed import Embedder
from newsweave.verification.story import brief_verifier
from newsweave.writing.writers.cache import MemoryCache
from newsweave.writing.writers.check import supports
from newsweave.writing.writers.client import chat_url, retry_after
from newsweave.writing.writers.grounding import PROMPT_VERSION, parse_answer

from .conftest import DEMO_DIR
from .llmserver import Reply, ScriptedLLM, chat, claim_with, grounded_claims, sentences

NOW = datetime(2026, 6, 6, 12, 0, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[1] / "docs"


def _llm(settings: Settings, url: str, **llm: Any) -> Settings:
    """The settings with the llm writer pointed at url."""
    return settings.with_(writer="llm", llm=replace(settings.llm, url=url, **llm))


def _brief(reports: Sequence[Report], settings: Settings, embedder: Embedder, **kw: Any) -> Brief:
    return make_brief(reports, settings, embedder, now=NOW, **kw)


def _good(request: dict[str, Any]) -> Reply:
    """What a careful model would write: paraphrases that keep every value of their claims."""
    lede = claim_with(request, "Bishkek")
    group = claim_with(request, "joint working group")
    hotline = claim_with(request, "hotline")
    return chat(
        sentences(
            (
                "The interior ministers of Pakistan and Iran met in Bishkek to discuss "
                "security along their shared border.",
                [lede],
                "lede",
            ),
            (
                "The ministers agreed to set up a joint working group on border crossings.",
                [group],
                "body",
            ),
            (
                "They also discussed a hotline between the interior ministries to speed up "
                "responses to border incidents.",
                [hotline],
                "body",
            ),
        )
    )


def _with_bad(text: str, claim_words: str | None, role: str = "body") -> Any:
    """The good answer with one bad sentence added after the lede."""

    def respond(request: dict[str, Any]) -> Reply:
        good = json.loads(json.loads(_good(request).body)["choices"][0]["message"]["content"])
        claims = [claim_with(request, claim_words)] if claim_words else [99]
        bad = {"text": text, "claims": claims, "role": role}
        good["sentences"].insert(1, bad)
        return chat(json.dumps(good))

    return respond


def _model_sentences(brief: Brief) -> list[Any]:
    return [s for s in brief.sentences if s.provenance == "model"]


def _assert_all_verified(brief: Brief, reports: Sequence[Report], embedder: Embedder) -> None:
    """Every sentence has citations, each with a "supported" verdict; model sentences re-checked.

    Each model sentence is checked again here, with a fresh verifier, against the full text of
    every report it cites: nothing shown is unsupported.
    """
    by_number = {s.number: s.report_id for s in brief.sources}
    text_of = {r.id: r for r in reports}
    fresh = brief_verifier(embedder)  # the briefs' verifier, built anew
    for s in brief.sentences:
        assert s.citations, s.text
        assert [v.number for v in s.support] == list(s.citations), s.text
        assert all(v.verdict == "supported" for v in s.support), s.text
        if s.provenance == "model":
            for n in s.citations:
                report = text_of[by_number[n]]
                result = fresh.verify(s.text, report.text, source_published=report.published)
                assert supports(result), (s.text, n, result.findings)


# Good output


def test_good_output_is_shown_verified_with_conflicts_stated(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    extractive = _brief(demo_reports, settings, embedder)
    with ScriptedLLM(_good) as server:
        brief = _brief(demo_reports, _llm(settings, server.url, model="small"), embedder)
    assert brief.writer is not None and brief.writer.status == "written"
    assert (brief.writer.proposed, brief.writer.accepted, brief.writer.rejections) == (3, 3, ())
    assert brief.writer.acceptance == 1.0
    assert brief.lede.provenance == "model" and "Bishkek" in brief.lede.text
    assert len(_model_sentences(brief)) == 3
    _assert_all_verified(brief, demo_reports, embedder)
    # Disagreements are stated from data, exactly as the extractive brief states them.
    stated = [s for s in brief.body if s.role in ("conflict", "update")]
    assert stated and stated == [s for s in extractive.body if s.role in ("conflict", "update")]
    assert all(s.provenance == "extracted" for s in stated)
    assert brief.conflicts == extractive.conflicts
    assert brief.sources == extractive.sources
    # The closing coverage sentence is kept; the acceptance rate is in the notes.
    assert brief.analysis[-1] == extractive.analysis[-1]
    assert any("3 of 3 accepted (100%)" in n for n in brief.notes)
    # Claims the model left out are still said, in the reports' words.
    smuggling = [s for s in brief.sentences if "fuel smuggling" in s.text]
    assert smuggling and smuggling[0].provenance == "extracted"
    assert any("the model left out" in n for n in brief.notes)
    # What the model was sent: numbered claims with report numbers, counts and dates,
    # disagreements as data, the sources, and the answer's JSON schema.
    request = server.requests[0]
    assert request["model"] == "small"
    assert request["response_format"]["type"] == "json_schema"
    given = json.loads(request["messages"][1]["content"])
    assert given["claims"][0]["id"] == 1
    assert {"text", "reports", "independent_outlets", "first_reported"} <= set(given["claims"][0])
    places = [v["value"] for v in given["disagreements_stated_separately"][0]["values"]]
    assert "Bishkek" in places and any("Dushanbe" in p for p in places)
    assert [s["number"] for s in given["sources"]] == [1, 2, 3, 4, 5]


def test_good_output_in_json_html_and_markdown(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    with ScriptedLLM(_good) as server:
        brief = _brief(demo_reports, _llm(settings, server.url), embedder)
    data = json.loads(render_json(brief))
    assert data["lede"]["provenance"] == "model"
    assert {s["provenance"] for s in data["body"]} == {"model", "extracted"}
    assert data["writer"]["status"] == "written"
    assert data["writer"]["acceptance"] == 1.0
    assert data["writer"]["model"] == "scripted-model"  # as the server named it
    assert data["writer"]["prompt_version"] == PROMPT_VERSION
    assert brief_from_dict(data) == brief
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((DOCS / "brief.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    html = render(brief, "html")
    assert html.count('data-provenance="model"') == 3
    assert 'class="s by-extracted"' in html
    assert "checked against every report they cite (3 of 3 it wrote accepted" in html
    assert "3 of 3 accepted" in render(brief, "md")


def test_extractive_default_is_unchanged(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    brief = _brief(demo_reports, settings, embedder)
    assert settings.writer == "extractive" and brief.writer is None
    data = brief_to_dict(brief)
    assert "writer" not in data and "provenance" not in data["lede"]
    assert "data-provenance" not in render(brief, "html")


# Bad sentences: caught, replaced by the extracted sentence of their claim or dropped


@pytest.mark.parametrize(
    ("text", "claim", "kind", "shown_instead"),
    [
        (  # an official the reports never name
            "Interior Minister Arslan Qadri agreed to form a joint working group on border "
            "crossings.",
            "joint working group",
            "name",
            None,  # its claim is already stated by the good sentence: dropped
        ),
        (
            "Pakistan and Iran share a border of about 1,200 kilometres.",
            "900 kilometres",
            "number",
            "900 kilometres",  # replaced by the claim's extracted sentence
        ),
        (
            'The ministers agreed to form a joint working group, calling it "a new chapter of '
            'trust".',
            "joint working group",
            "quote",
            None,
        ),
        ("The ministers will meet again in Tehran next month.", None, "unknown_claim", None),
    ],
)
def test_bad_sentence_is_rejected(
    demo_reports: tuple[Report, ...],
    settings: Settings,
    embedder: Embedder,
    text: str,
    claim: str | None,
    kind: str,
    shown_instead: str | None,
) -> None:
    with ScriptedLLM(_with_bad(text, claim)) as server:
        brief = _brief(demo_reports, _llm(settings, server.url), embedder)
    run = brief.writer
    assert run is not None and run.status == "written"
    assert (run.proposed, run.accepted) == (4, 3)
    [rejection] = run.rejections
    assert rejection.kind == kind and rejection.text == text
    assert rejection.replaced == (shown_instead is not None)
    shown = [s.text for s in brief.sentences]
    assert text not in shown
    if shown_instead is not None:
        replaced = [s for s in brief.sentences if shown_instead in s.text]
        assert replaced and replaced[0].provenance == "extracted"
    _assert_all_verified(brief, demo_reports, embedder)
    assert any("3 of 4 accepted (75%)" in n for n in brief.notes)


def test_rejection_details_name_what_was_wrong(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    name = _with_bad("Interior Minister Arslan Qadri met his Iranian counterpart.", "Bishkek")
    with ScriptedLLM(name) as server:
        brief = _brief(demo_reports, _llm(settings, server.url), embedder)
    [rejection] = brief.writer.rejections  # type: ignore[union-attr]
    assert rejection.kind == "name"
    assert "Arslan" in rejection.detail or "Qadri" in rejection.detail
    assert "none of the cited reports" in rejection.detail


def test_every_sentence_rejected_falls_back(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    def invented(request: dict[str, Any]) -> Reply:
        group = claim_with(request, "joint working group")
        return chat(sentences(("Minister Arslan Qadri signed 14 treaties.", [group], "lede")))

    extractive = _brief(demo_reports, settings, embedder)
    with ScriptedLLM(invented) as server:
        brief = _brief(demo_reports, _llm(settings, server.url), embedder)
    run = brief.writer
    assert run is not None and run.status == "fallback"
    assert run.reason is not None and run.reason.startswith("unsupported:")
    assert (run.proposed, run.accepted, len(run.rejections)) == (1, 0, 1)
    assert [s.text for s in brief.sentences] == [s.text for s in extractive.sentences]
    assert all(s.provenance == "extracted" for s in brief.sentences)


# Failure is normal: the extractive brief, with the reason recorded and shown


def _assert_fallback(brief: Brief, extractive: Brief, code: str) -> None:
    run = brief.writer
    assert run is not None and run.status == "fallback", run
    assert run.reason is not None and run.reason.startswith(f"{code}:"), run.reason
    assert [s.text for s in brief.sentences] == [s.text for s in extractive.sentences]
    assert brief.conflicts == extractive.conflicts
    assert any("did not write this brief" in n and code in n for n in brief.notes)
    data = json.loads(render_json(brief))
    assert data["writer"]["status"] == "fallback" and data["writer"]["reason"] == run.reason
    assert "did not write this brief" in render(brief, "html")


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (chat("Sure! Here is your brief: {sentences: [The ministers met"), "malformed"),
        (chat('{"sentences": [{"claims": [1]}]}'), "malformed"),  # no text
        (chat('{"brief": "The ministers met."}'), "malformed"),  # wrong shape
        (chat('{"sentences": [{"text": "The min'), "malformed"),  # cut off
        (Reply(b"<html>gateway</html>"), "malformed"),  # not chat-completions JSON
        (chat("", refusal="I can't help with that."), "refusal"),
        (Reply(b'{"error": {"message": "boom"}}', status=500), "http_status"),
    ],
)
def test_bad_answers_fall_back(
    demo_reports: tuple[Report, ...],
    settings: Settings,
    embedder: Embedder,
    reply: Reply,
    code: str,
) -> None:
    extractive = _brief(demo_reports, settings, embedder)
    with ScriptedLLM(reply) as server:
        brief = _brief(demo_reports, _llm(settings, server.url), embedder)
    _assert_fallback(brief, extractive, code)
    assert len(server.requests) == 1  # not retried: the answer will not change


def test_rate_limit_retry_after_is_honoured(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    limited = Reply(b'{"error": {"message": "slow down"}}', 429, {"Retry-After": "1"})
    with ScriptedLLM(limited, _good) as server:
        start = time.monotonic()
        brief = _brief(demo_reports, _llm(settings, server.url), embedder)
        took = time.monotonic() - start
    assert brief.writer is not None and brief.writer.status == "written"
    assert len(server.requests) == 2
    assert took >= 0.9  # it waited the second it was asked to


def test_rate_limit_beyond_the_bound_falls_back_at_once(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    extractive = _brief(demo_reports, settings, embedder)
    limited = Reply(b"{}", 429, {"Retry-After": "3600"})
    with ScriptedLLM(limited) as server:
        start = time.monotonic()
        brief = _brief(demo_reports, _llm(settings, server.url, max_retry_wait=5), embedder)
        took = time.monotonic() - start
    _assert_fallback(brief, extractive, "rate_limited")
    assert "3600" in (brief.writer.reason or "")  # type: ignore[union-attr]
    assert len(server.requests) == 1 and took < 60


def test_rate_limit_past_the_retries_falls_back(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    extractive = _brief(demo_reports, settings, embedder)
    limited = Reply(b"{}", 429, {"Retry-After": "0"})
    with ScriptedLLM(limited) as server:
        brief = _brief(demo_reports, _llm(settings, server.url, retries=2), embedder)
    _assert_fallback(brief, extractive, "rate_limited")
    assert len(server.requests) == 3


def test_hanging_endpoint_times_out(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    extractive = _brief(demo_reports, settings, embedder)
    with ScriptedLLM(Reply(hang=True)) as server:
        start = time.monotonic()
        brief = _brief(demo_reports, _llm(settings, server.url, timeout=1.0), embedder)
        took = time.monotonic() - start
    _assert_fallback(brief, extractive, "timeout")
    assert took < 60  # bounded by the timeout, not by the server


def test_endpoint_down_falls_back(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago, now closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    extractive = _brief(demo_reports, settings, embedder)
    brief = _brief(demo_reports, _llm(settings, f"http://127.0.0.1:{port}/v1"), embedder)
    _assert_fallback(brief, extractive, "unreachable")


# Cache: a re-render costs nothing


def test_answers_are_cached_per_story_version(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    cache = MemoryCache()
    with ScriptedLLM(_good) as server:
        llm = _llm(settings, server.url)
        first = _brief(demo_reports, llm, embedder, cache=cache)
        again = _brief(demo_reports, llm, embedder, cache=cache)
        assert len(server.requests) == 1
        # Another story version (a report fewer) asks again.
        _brief(demo_reports[:4], llm, embedder, cache=cache)
        assert len(server.requests) == 2
    assert first.writer is not None and not first.writer.cached
    assert again.writer is not None and again.writer.cached
    assert [s.text for s in again.sentences] == [s.text for s in first.sentences]


def test_store_keeps_answers_across_runs(settings: Settings, embedder: Embedder) -> None:
    with ScriptedLLM(_good) as server:
        llm = _llm(settings, server.url)
        one = brief_paths([DEMO_DIR], llm, embedder=embedder)
        two = brief_paths([DEMO_DIR], llm, embedder=embedder)
        assert len(server.requests) == 1
    assert two.brief.writer is not None and two.brief.writer.cached
    with Store.open(settings.db_path) as db:
        stored = db.get_brief(one.brief_id)  # type: ignore[arg-type]
        assert stored is not None
        assert brief_from_dict(json.loads(stored.body_json)).writer == one.brief.writer


def test_failures_are_not_cached(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    cache = MemoryCache()
    with ScriptedLLM(chat("not json"), _good) as server:
        llm = _llm(settings, server.url)
        assert _brief(demo_reports, llm, embedder, cache=cache).writer.status == "fallback"  # type: ignore[union-attr]
        assert _brief(demo_reports, llm, embedder, cache=cache).writer.status == "written"  # type: ignore[union-attr]
        assert len(server.requests) == 2


# Settings, command line, client details


def test_settings_from_environment_and_checks(tmp_path: Path) -> None:
    env = {
        "NEWSWEAVE_HOME": str(tmp_path),
        "NEWSWEAVE_WRITER": "llm",
        "NEWSWEAVE_LLM_URL": "http://127.0.0.1:8080/v1",
        "NEWSWEAVE_LLM_MODEL": "smollm2",
        "NEWSWEAVE_LLM_API_KEY": "secret-key",
    }
    settings = load_settings(env)
    assert settings.writer == "llm"
    assert (settings.llm.url, settings.llm.model) == ("http://127.0.0.1:8080/v1", "smollm2")
    assert settings.llm.api_key == "secret-key" and "secret-key" not in repr(settings)
    assert load_settings(env, llm_model="other").llm.model == "other"
    with pytest.raises(ConfigError, match="needs an endpoint"):
        load_settings({"NEWSWEAVE_HOME": str(tmp_path), "NEWSWEAVE_WRITER": "llm"})
    with pytest.raises(ConfigError, match="no-verify"):
        settings.with_(verify=False)
    with pytest.raises(ConfigError, match="writer"):
        settings.with_(writer="abstractive")


def test_api_key_is_sent_as_bearer(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    with ScriptedLLM(_good) as server:
        _brief(demo_reports, _llm(settings, server.url, api_key="k-123"), embedder)
    assert server.headers[0]["authorization"] == "Bearer k-123"


def test_cli_brief_with_llm_writer(settings: Settings) -> None:
    runner = CliRunner()
    with ScriptedLLM(_good) as server:
        args = ["brief", str(DEMO_DIR), "--no-store", "--format", "json", "--writer", "llm"]
        result = runner.invoke(main, [*args, "--llm-url", server.url])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["writer"]["status"] == "written" and data["lede"]["provenance"] == "model"
    down = runner.invoke(main, [*args, "--llm-url", "http://127.0.0.1:9/v1"])
    assert down.exit_code == 0
    assert "writer: the model's brief was not used" in down.stderr
    missing = runner.invoke(main, args, env={"NEWSWEAVE_LLM_URL": ""})
    assert missing.exit_code == 1 and "needs an endpoint" in missing.stderr


def test_chat_url_and_retry_after() -> None:
    assert chat_url("http://h:8080/v1") == "http://h:8080/v1/chat/completions"
    assert chat_url("http://h:8080") == "http://h:8080/v1/chat/completions"
    assert chat_url("http://h/v1/chat/completions") == "http://h/v1/chat/completions"
    assert retry_after("7") == 7.0
    assert retry_after(None) is None
    when = datetime(2026, 6, 6, 12, 0, 30, tzinfo=UTC)
    assert retry_after("Sat, 06 Jun 2026 12:00:30 GMT", now=when.replace(second=0)) == 30.0


def test_parse_answer_is_lenient_only_where_safe() -> None:
    fenced = '```json\n{"sentences": [{"text": "A [1] b.", "claims": ["C2"], "role": "x"}]}\n```'
    [one] = parse_answer(fenced)
    assert (one.text, one.claims, one.role) == ("A b.", (2,), "body")
    assert parse_answer('[{"text": "A.", "claims": [1], "role": "lede"}]')[0].role == "lede"
    with pytest.raises(Exception, match="token budget"):
        parse_answer('{"sentences": [{"text": "A', finish_reason="length")


def test_response_format_is_negotiated(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    # llama-cpp-python answers OpenAI's json_schema layout with a 500 naming response_format.
    rejected = Reply(b'{"error": {"message": "body.response_format.type: literal_error"}}', 500)
    with ScriptedLLM(rejected, _good) as server:
        brief = _brief(demo_reports, _llm(settings, server.url), embedder)
    assert brief.writer is not None and brief.writer.status == "written"
    first, second = (r["response_format"] for r in server.requests)
    assert first["type"] == "json_schema"
    assert second["type"] == "json_object" and "sentences" in second["schema"]["properties"]


def test_each_sentence_of_an_item_is_checked_apart(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    def two_in_one(request: dict[str, Any]) -> Reply:
        group = claim_with(request, "joint working group")
        text = (
            "The ministers agreed to set up a joint working group on border crossings. "
            "President Arslan Qadri praised the deal."
        )
        return chat(sentences((text, [group], "lede")))

    with ScriptedLLM(two_in_one) as server:
        brief = _brief(demo_reports, _llm(settings, server.url), embedder)
    run = brief.writer
    assert run is not None and (run.proposed, run.accepted) == (2, 1)
    assert run.rejections[0].text == "President Arslan Qadri praised the deal."
    assert brief.lede.text.startswith("The ministers agreed to set up")
    _assert_all_verified(brief, demo_reports, embedder)


def test_eval_writer_scores_both_writers(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder
) -> None:
    pytest.importorskip("rouge_score")
    from newsweave_bench import writer as ew
    from newsweave_bench.datasets import Cluster

    def echo(request: dict[str, Any]) -> Reply:
        claims = grounded_claims(request)
        return chat(sentences(*((c["text"], [c["id"]], "body") for c in claims)))

    reference = "Pakistan and Iran agreed to form a joint working group on border crossings."
    cluster = Cluster("demo", tuple(r.text for r in demo_reports), reference)
    with ScriptedLLM(echo) as server:
        result = ew.run(
            [cluster],
            _llm(settings, server.url),
            ["extractive", "llm"],
            ["lead"],
            embedder=embedder,
        )
    extractive, llm = result.tallies
    assert (extractive.briefs, llm.briefs) == (1, 1)
    assert llm.proposed > 0 and 0 < llm.accepted <= llm.proposed
    assert {r.system for r in result.evaluation.rows} == {"extractive", "llm", "lead"}
    assert not any(r.error for r in result.evaluation.rows)
    table = ew.format_writers(result)
    assert "llm" in table and "rejected sentences by kind" in table
    assert ew.result_to_json(result)["writers"][1]["accepted"] == llm.accepted


def test_reader_shows_who_wrote_each_sentence(
    demo_reports: tuple[Report, ...], settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    pytest.importorskip("fastapi")
    import lxml.html

    from newsweave.storage import StoryRow
    from newsweave.web import views
    from newsweave.web.reader import Reader

    with ScriptedLLM(_good) as server:
        brief = _brief(demo_reports, _llm(settings, server.url), embedder)
    view = views.brief_view(brief)
    assert view.lede.provenance == "model" and "3 of 3 it wrote accepted" in view.writer
    plain = views.brief_view(_brief(demo_reports, settings, embedder))
    assert plain.writer == "" and plain.lede.provenance == ""
    reader = Reader(Settings(home=tmp_path))
    row = StoryRow("s-1", "Border", "open", NOW, NOW, 5, NOW, NOW, 1, 4, True)
    page = views.StoryPage(views.story_item(row), view, 1, 1, (), ())
    doc = lxml.html.fromstring(reader.render("story.html", page=page))
    reader.close()
    marked = doc.cssselect("span.s-model")
    assert len(marked) == 3 and marked[0].get("data-provenance") == "model"
    assert doc.cssselect('span.s[data-provenance="extracted"]')
    assert "3 of 3 it wrote accepted" in doc.cssselect("p.writer-line")[0].text_content()
