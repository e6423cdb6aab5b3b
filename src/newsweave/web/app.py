"""The reader's app factory: routes, one error shape, security headers.

    create_app(settings) -> FastAPI

Errors under /api/ are JSON of one shape, pinned by tests:
``{"error": {"status": 404, "code": "not_found", "message": "no story 's-1'"}}``;
errors of pages are an HTML page saying the same.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from newsweave.config import Settings
from newsweave.errors import NewsweaveError
from newsweave.web import api, pages
from newsweave.web.http import HeadAsGet, HostCheck, SecurityHeaders
from newsweave.web.reader import Reader

log = logging.getLogger("newsweave.web")

ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    422: "invalid_request",
    500: "internal_error",
    503: "unavailable",
}

DESCRIPTION = """\
Stories, their cited briefs and their reports, as stored by `newsweave ingest`. Read-only:
every endpoint is GET (HEAD works too); any other method is answered 405.

- Every error has one shape: `{"error": {"status", "code", "message"}}`.
- Every answer carries an `ETag`; send it back in `If-None-Match` to get `304 Not Modified`.
- Lists are paged with `limit` and `offset`, and say `total`, `next` and `prev` (also as a
  `Link` header).
- Text in answers comes from untrusted reports: escape it when showing it, and link a URL
  only if it is `http` or `https`.
"""


def error_code(status: int) -> str:
    """The error code for an HTTP status."""
    if status in ERROR_CODES:
        return ERROR_CODES[status]
    return "client_error" if status < 500 else "server_error"


def wants_json(request: Request) -> bool:
    """Whether errors of this request are answered as JSON (the API) or as a page."""
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def error_response(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """The one error shape: JSON for the API, an HTML page otherwise."""
    if wants_json(request):
        body = {"error": {"status": status, "code": error_code(status), "message": message}}
        return JSONResponse(body, status_code=status, headers=headers)
    reader: Reader = request.app.state.reader
    try:
        html = reader.render(
            "error.html", status=status, reason=HTTPStatus(status).phrase, message=message
        )
    except Exception:  # the error page must not fail: fall back to plain text
        log.exception("cannot render the error page")
        return Response(message, status_code=status, media_type="text/plain", headers=headers)
    return Response(
        html, status_code=status, media_type="text/html; charset=utf-8", headers=headers
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    """HTTPException (404, 405, ...) in the one shape, keeping headers such as Allow."""
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 405:
        message = f"{request.method} is not allowed here; this service is read-only"
    elif exc.status_code == 404 and exc.detail == "Not Found":
        message = f"nothing at {request.url.path}"
    return error_response(request, exc.status_code, message, dict(exc.headers or {}))


async def _validation_error(request: Request, exc: Exception) -> Response:
    """A request whose parameters do not validate: 422, naming each bad parameter."""
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return error_response(request, 422, "; ".join(problems) or "invalid request")


async def _store_error(request: Request, exc: Exception) -> Response:
    """The database cannot be read: 503, with the store's message."""
    log.error("store error on %s: %s", request.url.path, exc)
    return error_response(request, 503, str(exc))


async def _server_error(request: Request, exc: Exception) -> Response:
    """Anything unexpected: 500 without internals (they go to the log)."""
    log.error("error on %s", request.url.path, exc_info=exc)
    return error_response(request, 500, "the reader failed to answer this request")


class _ReaderApp(FastAPI):
    """FastAPI with the security headers outside everything else."""

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack wrapped in SecurityHeaders.

        add_middleware would put it inside Starlette's ServerErrorMiddleware, which sends
        the 500 answers (from the Exception handler) itself: they went out without headers.
        """
        return SecurityHeaders(super().build_middleware_stack())


def create_app(
    settings: Settings, *, cache_size: int = 512, hosts: frozenset[str] | None = None
) -> FastAPI:
    """The reader app over the database named in settings.

    hosts: the only Host names answered (others get 400), against DNS rebinding; None
    answers any.
    """
    reader = Reader(settings, cache_size=cache_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        reader.close()

    app = _ReaderApp(
        title="newsweave reader",
        version=reader.version,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        # FastAPI's interactive docs load scripts from a CDN; /api is a plain page instead.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.reader = reader
    app.include_router(pages.router)
    app.include_router(api.router)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(NewsweaveError, _store_error)
    app.add_exception_handler(Exception, _server_error)
    # The last added is outermost: HEAD becomes GET before anything else looks at it. The
    # security headers wrap all of it, 500s and refused hosts included (_ReaderApp).
    if hosts is not None:
        app.add_middleware(HostCheck, hosts=hosts)
    app.add_middleware(HeadAsGet)
    return app
