"""The reader's JSON API over httpx: every endpoint, paging, ETags and the one error shape."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from fastapi.testclient import TestClient

from newsweave.config import Settings
from newsweave.pipeline.library import ingest
from newsweave.records import Report
from newsweave.storage.store import Store
from newsweave.stories.clustering import StorySettings
from newsweave.text.embed import Embedder, make_embedder
from newsweave.web import create_app
from newsweave.web.http import CONTENT_SECURITY_POLICY

from .conftest import DEMO_DIR
from .webdata import (
    DEMO_STORY,
    NO_BRIEF_STORY,
    WIRE_REPORT,
    XSS_STORY,
    build_home,
    story_count,
)

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "brief.schema.json"
ENDPOINTS = (
    "/api/stories",
    f"/api/stories/{DEMO_STORY}",
    f"/api/stories/{DEMO_STORY}/brief",
    f"/api/stories/{DEMO_STORY}/reports",
    f"/api/reports/{WIRE_REPORT}",
)


@pytest.fixture(scope="module")
def story_embedder() -> Embedder:
    """The embedder stories are filed with."""
    return make_embedder("wordllama")


@pytest.fixture(scope="module")
def web_settings(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, story_embedder: Embedder
) -> Settings:
    """A data directory holding the test stories (tests/webdata.py)."""
    return build_home(tmp_path_factory.mktemp("web") / "home", embedder, story_embedder)


@pytest.fixture(scope="module")
def client(web_settings: Settings) -> Iterator[TestClient]:
    """An httpx client talking to the app in process."""
    with TestClient(create_app(web_settings)) as test_client:
        yield test_client


def assert_error(response: object, status: int, code: str) -> dict[str, object]:
    """The response is an error of the one shape, with this status and code."""
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/json")  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message"}
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


# -- stories ----------------------------------------------------------------------------


def test_story_list_is_newest_activity_first_with_counts(client: TestClient) -> None:
    body = client.get("/api/stories").json()
    assert body["total"] == story_count()
    assert body["limit"] == 20 and body["offset"] == 0 and body["q"] == ""
    ids = [s["id"] for s in body["stories"]]
    assert ids[:3] == [DEMO_STORY, XSS_STORY, NO_BRIEF_STORY]
    demo = body["stories"][0]
    assert demo["report_count"] == 5
    assert demo["independent_sources"] == 4
    assert demo["conflicts"] is True
    assert demo["latest_version"] == 2
    assert demo["first_published"].startswith("2026-06-03T08:00")
    assert demo["last_published"].startswith("2026-06-05")
    assert demo["links"] == {
        "api": f"/api/stories/{DEMO_STORY}",
        "page": f"/stories/{DEMO_STORY}",
        "brief": f"/api/stories/{DEMO_STORY}/brief",
        "reports": f"/api/stories/{DEMO_STORY}/reports",
        "feed": f"/stories/{DEMO_STORY}/feed.atom",
        "json_feed": f"/stories/{DEMO_STORY}/feed.json",
    }
    lonely = body["stories"][2]
    assert lonely["latest_version"] is None and lonely["links"]["brief"] is None


def test_story_list_pages_with_next_prev_and_link_header(client: TestClient) -> None:
    first = client.get("/api/stories?limit=2")
    body = first.json()
    assert [s["id"] for s in body["stories"]] == [DEMO_STORY, XSS_STORY]
    assert body["prev"] is None
    assert body["next"] == "/api/stories?limit=2&offset=2"
    assert first.headers["link"] == '</api/stories?limit=2&offset=2>; rel="next"'
    second = client.get(body["next"]).json()
    assert second["stories"][0]["id"] == NO_BRIEF_STORY
    assert second["prev"] == "/api/stories?limit=2&offset=0"
    seen = []
    url: str | None = "/api/stories?limit=7"
    while url:
        page = client.get(url).json()
        seen.extend(s["id"] for s in page["stories"])
        url = page["next"]
    assert len(seen) == len(set(seen)) == story_count()
    last = client.get(f"/api/stories?limit=5&offset={story_count() - 1}")
    assert last.json()["next"] is None and len(last.json()["stories"]) == 1
    assert 'rel="prev"' in last.headers["link"]
    beyond = client.get("/api/stories?offset=1000").json()
    assert beyond["stories"] == [] and beyond["total"] == story_count()


def test_story_list_search_by_word(client: TestClient) -> None:
    found = client.get("/api/stories", params={"q": "Bishkek"}).json()
    assert [s["id"] for s in found["stories"]] == [DEMO_STORY]
    assert found["total"] == 1 and found["q"] == "Bishkek"
    both = client.get("/api/stories", params={"q": "bishkek  MINISTERS"}).json()
    assert [s["id"] for s in both["stories"]] == [DEMO_STORY]
    assert client.get("/api/stories", params={"q": "bishkek dam"}).json()["total"] == 0
    assert client.get("/api/stories", params={"q": "Kestrel"}).json()["stories"][0]["id"] == (
        XSS_STORY
    )
    # LIKE wildcards are taken literally, and punctuation alone searches nothing.
    assert client.get("/api/stories", params={"q": "%"}).json()["total"] == story_count()
    assert client.get("/api/stories", params={"q": "a_c"}).json()["total"] == 0
    paged = client.get("/api/stories", params={"q": "archive", "limit": 5}).json()
    assert paged["total"] == 21 and paged["next"] == "/api/stories?q=archive&limit=5&offset=5"


def test_one_story_has_its_versions_and_what_changed(client: TestClient) -> None:
    body = client.get(f"/api/stories/{DEMO_STORY}").json()
    assert body["id"] == DEMO_STORY and body["report_count"] == 5
    assert [v["version"] for v in body["versions"]] == [1, 2]
    first, second = body["versions"]
    assert first["changes"]["previous_version"] is None
    assert len(first["changes"]["reports_added"]) == 3
    assert second["changes"]["previous_version"] == 1
    assert len(second["changes"]["reports_added"]) == 2
    assert second["brief"] == f"/api/stories/{DEMO_STORY}/brief?version=2"
    assert client.get(f"/api/stories/{NO_BRIEF_STORY}").json()["versions"] == []


# -- briefs -----------------------------------------------------------------------------


def test_brief_is_the_versioned_schema(client: TestClient) -> None:
    response = client.get(f"/api/stories/{DEMO_STORY}/brief")
    assert response.headers["content-type"] == "application/json"
    brief = response.json()
    jsonschema.validate(brief, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert brief["schema"] == "newsweave.brief/1"
    assert len(brief["sources"]) == 5
    assert brief["conflicts"]
    older = client.get(f"/api/stories/{DEMO_STORY}/brief?version=1").json()
    jsonschema.validate(older, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert len(older["sources"]) == 3


def test_brief_errors(client: TestClient) -> None:
    error = assert_error(client.get(f"/api/stories/{DEMO_STORY}/brief?version=9"), 404, "not_found")
    assert "versions 1 to 2" in str(error["message"])
    error = assert_error(client.get(f"/api/stories/{NO_BRIEF_STORY}/brief"), 404, "not_found")
    assert "no brief yet" in str(error["message"])
    assert_error(client.get("/api/stories/s-none/brief"), 404, "not_found")
    assert_error(client.get(f"/api/stories/{DEMO_STORY}/brief?version=0"), 422, "invalid_request")


# -- reports ----------------------------------------------------------------------------


def test_story_reports_in_publication_order_and_paged(client: TestClient) -> None:
    body = client.get(f"/api/stories/{DEMO_STORY}/reports").json()
    assert body["total"] == 5 and body["next"] is None
    published = [r["published"] for r in body["reports"]]
    assert published[0].startswith("2026-06-03T08:00")
    assert body["reports"][0]["id"] == WIRE_REPORT
    assert all(r["text"] and r["story_id"] == DEMO_STORY for r in body["reports"])
    page = client.get(f"/api/stories/{DEMO_STORY}/reports?limit=2&offset=2")
    assert [r["id"] for r in page.json()["reports"]] == [r["id"] for r in body["reports"][2:4]]
    assert page.json()["next"] == f"/api/stories/{DEMO_STORY}/reports?limit=2&offset=4"
    assert 'rel="next"' in page.headers["link"] and 'rel="prev"' in page.headers["link"]
    assert_error(client.get("/api/stories/s-none/reports"), 404, "not_found")


def test_one_report(client: TestClient) -> None:
    body = client.get(f"/api/reports/{WIRE_REPORT}").json()
    assert body["outlet"] == "Silk Road Wire Service"
    assert body["story_id"] == DEMO_STORY
    assert body["url"].startswith("https://silkroadwire.example/")
    assert "Bishkek" in body["text"]
    assert set(body) == {
        "id",
        "outlet",
        "title",
        "url",
        "published",
        "language",
        "story_id",
        "text",
    }
    assert_error(client.get("/api/reports/nope"), 404, "not_found")


# -- ETags, errors, methods, headers ------------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_has_an_etag_and_answers_304(client: TestClient, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["cache-control"] == "no-cache"
    again = client.get(path)
    assert again.headers["etag"] == etag and again.content == first.content
    cached = client.get(path, headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers["etag"] == etag
    listed = client.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
    assert listed.status_code == 304
    stale = client.get(path, headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.content == first.content


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/stories?limit=0", 422, "invalid_request"),
        ("/api/stories?limit=101", 422, "invalid_request"),
        ("/api/stories?limit=ten", 422, "invalid_request"),
        ("/api/stories?offset=-1", 422, "invalid_request"),
        ("/api/stories?q=" + "x" * 201, 422, "invalid_request"),
        ("/api/stories/s-none", 404, "not_found"),
        ("/api/nothing-here", 404, "not_found"),
        ("/api/reports/" + "r" * 201, 422, "invalid_request"),
    ],
)
def test_errors_have_one_shape(client: TestClient, path: str, status: int, code: str) -> None:
    error = assert_error(client.get(path), status, code)
    if status == 422:
        assert any(name in str(error["message"]) for name in ("limit", "offset", "q", "report_id"))


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", [*ENDPOINTS, "/", f"/stories/{DEMO_STORY}", "/feed.atom"])
def test_nothing_writes_every_other_method_is_405(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path, content=b"{}")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    if path.startswith("/api/"):
        assert_error(response, 405, "method_not_allowed")
    else:
        assert response.headers["content-type"].startswith("text/html")
        assert "read-only" in response.text


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    for path in [*ENDPOINTS, "/", f"/stories/{DEMO_STORY}", "/feed.atom"]:
        got = client.get(path)
        head = client.head(path)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["etag"] == got.headers["etag"]


@pytest.mark.parametrize("path", [*ENDPOINTS, "/api/stories/s-none", "/openapi.json"])
def test_security_headers_on_api_answers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


def test_openapi_documents_every_endpoint_and_the_error_shape(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) == {
        "/api/stories",
        "/api/stories/{story_id}",
        "/api/stories/{story_id}/brief",
        "/api/stories/{story_id}/reports",
        "/api/reports/{report_id}",
    }
    for path, methods in spec["paths"].items():
        assert set(methods) == {"get"}, path
        responses = methods["get"]["responses"]
        assert responses["404"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }
    assert "ErrorOut" in spec["components"]["schemas"]
    # No page that needs a CDN: FastAPI's /docs and /redoc are off; /api describes the API.
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    page = client.get("/api")
    assert page.status_code == 200 and "/api/stories/{story_id}/brief" in page.text


def test_unreadable_stored_brief_is_a_503_in_the_same_shape(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    with Store.open(settings.db_path) as db:
        db.add_reports([Report(id="r1", outlet="O", title="T", text="Some text here.")])
        db.assign([("r1", "s-bad")])
    # A brief whose JSON is valid but not a brief, as another tool might have left it.
    conn = sqlite3.connect(settings.db_path)
    with conn:
        conn.execute(
            "INSERT INTO briefs (created_at, headline, body_json, story_id, version, changes)"
            " VALUES ('2026-01-01T00:00:00+00:00', 'H', '{\"schema\": \"other\"}', 's-bad', 1,"
            " '{}')"
        )
    conn.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        error = assert_error(client.get("/api/stories/s-bad/brief"), 503, "unavailable")
        assert "unreadable" in str(error["message"])
        page = client.get("/stories/s-bad")
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")


def test_the_reader_cannot_write_the_database(client: TestClient) -> None:
    reader = client.app.state.reader  # type: ignore[attr-defined]
    with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only"):
        reader.db.conn().execute("CREATE TABLE intruder (x)")


def test_new_brief_version_changes_etags_and_answers(
    tmp_path: Path, embedder: Embedder, story_embedder: Embedder
) -> None:
    settings = Settings(home=tmp_path / "home")
    story = StorySettings(threshold=0.34)
    demo = sorted(DEMO_DIR.glob("*.txt"))
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for path in demo:
        (first if path.name[:2] < "04" else second).joinpath(path.name).write_bytes(
            path.read_bytes()
        )
    ingest([first], settings, story, embedder=embedder, story_embedder=story_embedder)
    with TestClient(create_app(settings)) as client:
        before = {p: client.get(p) for p in ENDPOINTS}
        assert before["/api/stories"].json()["stories"][0]["latest_version"] == 1
        ingest([second], settings, story, embedder=embedder, story_embedder=story_embedder)
        for path, old in before.items():
            if path.startswith("/api/reports/"):
                continue  # the report itself did not change
            new = client.get(path, headers={"If-None-Match": old.headers["etag"]})
            assert new.status_code == 200, path
            assert new.headers["etag"] != old.headers["etag"], path
        assert client.get("/api/stories").json()["stories"][0]["latest_version"] == 2
        assert len(client.get(f"/api/stories/{DEMO_STORY}/brief").json()["sources"]) == 5


def test_only_our_host_names_are_answered(web_settings: Settings) -> None:
    app = create_app(web_settings, hosts=frozenset({"127.0.0.1", "localhost", "::1"}))
    with TestClient(app, base_url="http://127.0.0.1:8000") as local:
        assert local.get("/api/stories").status_code == 200
        for host in ["localhost:8000", "[::1]:8000", "LOCALHOST"]:
            assert local.get("/", headers={"Host": host}).status_code == 200, host
        # A page reached through another name (DNS rebinding) is refused, in the one shape.
        refused = local.get("/api/stories", headers={"Host": "evil.example"})
        error = assert_error(refused, 400, "bad_host")
        assert "evil.example" in str(error["message"])
        assert refused.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
