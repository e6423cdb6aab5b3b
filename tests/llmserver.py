"""A small OpenAI-compatible chat-completions server on 127.0.0.1 that answers from a script.

Each request to POST /v1/chat/completions takes the next reply of the script (the last one
repeats); a reply may also be a function of the request, so a test can answer with the claim
ids the writer actually sent. A reply can hang until the server stops, to test timeouts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # send nothing until the server stops


def chat(content: str, *, finish: str = "stop", refusal: str | None = None) -> Reply:
    """A chat-completions answer whose message is this text."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message = {"role": "assistant", "content": None, "refusal": refusal}
    data = {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "model": "scripted-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    return Reply(json.dumps(data).encode())


def sentences(*items: tuple[str, list[int], str]) -> str:
    """An answer's JSON text from (text, claim ids, role) triples."""
    return json.dumps({"sentences": [{"text": t, "claims": c, "role": r} for t, c, r in items]})


Script = Reply | Callable[[dict[str, Any]], Reply]


class ScriptedLLM:
    """ThreadingHTTPServer in a daemon thread; use as a context manager."""

    def __init__(self, *script: Script) -> None:
        self.script: list[Script] = list(script)
        self.requests: list[dict[str, Any]] = []  # the JSON bodies received, in order
        self.headers: list[dict[str, str]] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                request = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(request)
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    index = min(len(server.requests), len(server.script)) - 1
                    step = server.script[index] if server.script else Reply(status=500)
                if self.path != "/v1/chat/completions":
                    step = Reply(b'{"error": {"message": "not found"}}', 404)
                reply = step(request) if callable(step) else step
                if reply.hang:
                    server._stop.wait(60)  # held open until the test ends
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL a client is given (…/v1)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> ScriptedLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def grounded_claims(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The claims a writer sent, from the request's user message."""
    user = next(m for m in request["messages"] if m["role"] == "user")
    return json.loads(user["content"])["claims"]


def claim_with(request: dict[str, Any], words: str) -> int:
    """The id of the claim whose text holds these words."""
    for claim in grounded_claims(request):
        if words.lower() in claim["text"].lower():
            return int(claim["id"])
    raise AssertionError(f"no claim holds {words!r}")
