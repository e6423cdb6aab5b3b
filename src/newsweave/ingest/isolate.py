"""Parsing untrusted feeds and pages in worker processes, each under a deadline and a memory cap.

A hostile feed or page can make a parser spin or grow without end. In a worker it costs that
worker only: past the deadline the worker is killed ("parse_timeout"), past the memory ceiling
(RLIMIT_AS, set in the worker) its allocations fail ("parse_memory"), and a fresh worker takes
its place on the next task while the other sources of the fetch go on. Workers are started on
demand and reused for every source of one fetch, so a normal fetch pays process start-up once
or twice, not once per item.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

import anyio

from newsweave.config import Limits
from newsweave.errors import FetchError, InputError
from newsweave.ingest.feeds import (
    PAGE_PARSER_DEPTH,
    Feed,
    depth_note,
    discover_feed,
    flatten_deep,
    parse_feed,
)
from newsweave.records import Report

T = TypeVar("T")

# A worker importing its parsers on a loaded machine; not part of any task's deadline.
_STARTUP_SECONDS = 120.0
_MAX_WORKERS = 4
# A worker started as a plain interpreter, not by multiprocessing: multiprocessing's spawn
# and forkserver run the parent's __main__ again in each worker, so a script calling fetch()
# without an `if __name__ == "__main__"` guard would run itself once per worker.
_BOOT = (
    "import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
    "from newsweave.ingest.isolate import serve; "
    "serve(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))"
)


class _Replies(pickle.Unpickler):
    """Unpickles a worker's reply, refusing every class but newsweave's own and datetime's.

    A worker parses hostile bytes: were a parser bug ever to let an input take it over, its
    reply still could not make this process run anything.
    """

    def find_class(self, module: str, name: str) -> Any:
        """Only newsweave's records and datetime's types may be built."""
        if module == "datetime" or module.startswith("newsweave."):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a worker's reply may not build {module}.{name}")


def _reply(data: bytes) -> tuple[str, Any]:
    """A worker's reply from its bytes (a refused one is the worker's error)."""
    try:
        kind, value = _Replies(io.BytesIO(data)).load()
    except Exception as exc:  # refused, truncated or malformed: the worker's failure
        return "error", f"unreadable reply: {type(exc).__name__}: {exc}"
    return str(kind), value


class _Watchdog:
    """A worker's own last resort: it exits if its parent dies or a task runs far too long.

    The parent kills a worker at the deadline; this covers a parent killed or frozen itself,
    so no worker is ever left parsing for nobody.
    """

    def __init__(self, seconds: float) -> None:
        self.parent = os.getppid()
        self.limit = 2 * seconds + 10  # well past the parent's own deadline
        self.busy_since: float | None = None
        threading.Thread(target=self._watch, name="watchdog", daemon=True).start()

    def _watch(self) -> None:
        while True:
            time.sleep(0.5)
            busy = self.busy_since
            if os.getppid() != self.parent or (
                busy is not None and time.monotonic() - busy > self.limit
            ):
                os._exit(3)


def serve(fd: int, memory_bytes: int, seconds: float) -> None:
    """A worker's life: cap its memory, import the parsers, then run tasks until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's, which ends us
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    ceiling = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    conn = Connection(fd)
    watchdog = _Watchdog(seconds)
    # Imported before the first task, so a task's deadline is spent on the task alone.
    import feedparser  # noqa: F401
    import lxml.html  # noqa: F401
    import trafilatura  # noqa: F401

    conn.send(("ready", None))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        fn, args = task
        watchdog.busy_since = time.monotonic()
        reply: tuple[str, Any]
        try:
            reply = ("ok", fn(*args))
        except MemoryError:
            reply = ("memory", None)
        except FetchError as exc:
            reply = ("fetch", (exc.code, exc.args[0]))
        except InputError as exc:
            reply = ("input", (exc.origin, exc.reason))
        except Exception as exc:  # a parser bug on one hostile input costs only that input
            reply = ("error", f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
        watchdog.busy_since = None
        try:  # pickled whole before a byte is written: a failure here leaves the pipe clean
            conn.send(reply)
        except OSError:
            return  # the parent is gone: nobody to answer
        except MemoryError:
            reply = ("memory", None)
            conn.send(reply)
        except Exception as exc:
            conn.send(("error", f"result not returned: {type(exc).__name__}"))
        if reply[0] == "memory":
            return  # a worker that ran out of memory is not trusted with another task


class _Worker:
    """One worker process and the socket to it."""

    def __init__(self, limits: Limits) -> None:
        mine, theirs = socket.socketpair()
        with mine, theirs:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _BOOT,
                    json.dumps(sys.path),
                    str(theirs.fileno()),
                    str(limits.parse_memory_bytes),
                    repr(limits.parse_seconds),
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
            self.conn = Connection(mine.detach())
        self.ready = False

    def call(
        self, fn: Callable[..., Any], args: tuple[Any, ...], seconds: float
    ) -> tuple[str, Any]:
        """Run fn(*args) in the worker (blocking): its reply, or ("timeout"|"died", detail)."""
        try:
            if not self.ready:
                if not self.conn.poll(_STARTUP_SECONDS):
                    return "died", f"did not start within {_STARTUP_SECONDS:g} s"
                self.conn.recv_bytes()
                self.ready = True
            self.conn.send((fn, args))
            if not self.conn.poll(seconds):
                return "timeout", None
            return _reply(self.conn.recv_bytes())
        except (EOFError, OSError):
            try:
                code = self.process.wait(1)
            except subprocess.TimeoutExpired:
                code = None
            return "died", f"exit code {code}" if code is None or code >= 0 else f"signal {-code}"

    def stop(self, *, kill: bool) -> None:
        """End the worker: asked to stop, or killed (mid-task, or after a failure).

        The socket is left to be closed with this object: a thread abandoned on cancel may
        still be polling it.
        """
        if not kill:
            try:
                self.conn.send(None)
                self.process.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                kill = True
        if kill:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)  # reaped, so the parent's peak memory counts it too


@dataclass(frozen=True)
class PageRead:
    """A page read in a worker: the report, and the cuts made to read it."""

    report: Report
    notes: tuple[str, ...] = ()


def read_page(html: str, url: str, limits: Limits) -> PageRead:
    """An article page read with trafilatura, flattened first past the parser's depth."""
    from newsweave.ingest.files import read_html

    html, deepest = flatten_deep(html, min(limits.html_depth, PAGE_PARSER_DEPTH))
    note = depth_note(deepest, limits)
    return PageRead(read_html(html, url), (note,) if note else ())


class ParsePool:
    """Worker processes for parsing, shared by the sources of one fetch; use in `async with`."""

    def __init__(self, limits: Limits, workers: int | None = None) -> None:
        self.limits = limits
        self.size = workers or max(2, min(_MAX_WORKERS, os.cpu_count() or 2))
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._slots = anyio.Semaphore(self.size)
        self.started = 0  # workers started, replacements included

    async def __aenter__(self) -> ParsePool:
        """Nothing to start yet: workers start when the first task needs one."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop every worker."""
        for worker in self._idle:
            worker.stop(kill=False)
        for worker in self._busy:
            worker.stop(kill=True)
        self._idle.clear()
        self._busy.clear()

    async def run(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) in a worker; FetchError("parse_timeout"|"parse_memory"|...) if it fails.

        `what` names the input in errors (its URL). FetchError and InputError raised by fn
        are raised again as they were.
        """
        async with self._slots:
            worker = self._idle.pop() if self._idle else self._start()
            self._busy.add(worker)
            kind, value = "cancelled", None
            try:
                kind, value = await anyio.to_thread.run_sync(
                    worker.call, fn, args, self.limits.parse_seconds, abandon_on_cancel=True
                )
            finally:
                self._busy.discard(worker)
                if kind in ("ok", "fetch", "input", "error"):
                    self._idle.append(worker)
                else:  # timed out, out of memory, dead or cancelled mid-task: replaced
                    worker.stop(kill=True)
        return self._result(what, kind, value)

    def _start(self) -> _Worker:
        """A new worker (its imports run while the caller waits for the first reply)."""
        self.started += 1
        return _Worker(self.limits)

    def _result(self, what: str, kind: str, value: Any) -> Any:
        """The value of a reply, or the error it stands for."""
        if kind == "ok":
            return value
        if kind == "fetch":
            raise FetchError(*value)
        if kind == "input":
            raise InputError(*value)
        if kind == "timeout":
            raise FetchError(
                "parse_timeout", f"{what}: not parsed within {self.limits.parse_seconds:g} s"
            )
        if kind == "memory":
            raise FetchError(
                "parse_memory",
                f"{what}: parsing needed more than {self.limits.parse_memory_bytes:,} bytes",
            )
        if kind == "died":
            raise FetchError("parse_crash", f"{what}: the parsing worker died ({value})")
        raise FetchError("parse_error", f"{what}: {value}")

    async def feed(self, body: bytes, url: str, content_type: str) -> Feed:
        """A feed parsed in a worker (parse_feed's errors, or the worker's)."""
        return await self.run(url, parse_feed, body, url, content_type, self.limits)

    async def page(self, html: str, url: str) -> PageRead:
        """An article page read in a worker (InputError if it has no text)."""
        return await self.run(url, read_page, html, url, self.limits)

    async def discover(self, body: bytes, url: str) -> str | None:
        """The feed an HTML page links to, found in a worker."""
        return await self.run(url, discover_feed, body, url)
