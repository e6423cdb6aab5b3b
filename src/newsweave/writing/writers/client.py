"""A small client for OpenAI-compatible chat completions over httpx (no vendor SDK).

llama.cpp's server, Ollama, vLLM, LM Studio and hosted APIs all answer
``POST {base}/chat/completions``. Every way the call can go wrong becomes a WriterError with
a short code, so the caller can fall back and say why:

    unreachable   the endpoint cannot be connected to, or the connection broke
    timeout       no complete answer within LLMSettings.timeout (however slowly it came)
    rate_limited  429/503 past the retries, or a Retry-After longer than max_retry_wait
    http_status   any other non-2xx answer (401, 404, 500, ...)
    refusal       the model declined (a `refusal` field, or finish_reason content_filter)
    malformed     the answer is not the chat-completions shape, or has no text
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from newsweave.config import LLMSettings
from newsweave.errors import WriterError

# An answer larger than this is not a brief: stop reading rather than fill memory.
MAX_ANSWER_BYTES = 2_000_000
# Without a Retry-After, a 429 or 503 is tried again after this many seconds (doubling).
DEFAULT_BACKOFF = 1.0
RETRY_STATUSES = (429, 503)


@dataclass(frozen=True)
class ChatAnswer:
    """The text a model answered with, and what the server said about it."""

    content: str
    model: str  # as the server names it ("" when it does not)
    finish_reason: str | None
    tries: int = 1  # requests made, retries after 429/503 included


def chat_url(base: str) -> str:
    """The chat-completions URL for a base URL (``…/v1``), a bare host, or the full URL."""
    base = base.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if urlsplit(base).path in ("", "/"):
        return base + "/v1/chat/completions"  # what every compatible server serves
    return base + "/chat/completions"


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date); None if absent."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _error_message(body: bytes) -> str:
    """The message of an error answer: OpenAI's {"error": {"message"}} or the text's start."""
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace").strip()
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"][:200]
    if isinstance(error, str):
        return error[:200]
    detail = data.get("detail") if isinstance(data, dict) else None
    return str(detail or data)[:200]


class ChatClient:
    """One endpoint, one httpx client; use as a context manager so the connection closes."""

    def __init__(
        self,
        llm: LLMSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not llm.url:
            raise WriterError("unreachable", "no endpoint configured (NEWSWEAVE_LLM_URL)")
        self.llm = llm
        self.url = chat_url(llm.url)
        self._sleep = sleep
        headers = {"Accept": "application/json", "User-Agent": "newsweave"}
        if llm.api_key:
            headers["Authorization"] = f"Bearer {llm.api_key}"
        # The read timeout bounds a silent server; _read bounds one that trickles.
        timeout = httpx.Timeout(llm.timeout, connect=llm.connect_timeout)
        self._http = httpx.Client(timeout=timeout, headers=headers, follow_redirects=False)

    def __enter__(self) -> ChatClient:
        """Use the client in a with block that closes it."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the connection pool."""
        self.close()

    def close(self) -> None:
        """Close the connection pool; closing twice is harmless."""
        self._http.close()

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        formats: Sequence[Mapping[str, Any] | None] = (None,),
    ) -> ChatAnswer:
        """The model's answer to the messages; WriterError when there is none to use.

        formats: response_format values tried in turn while the server rejects the request
        (400 or 422, or any error status naming response_format: llama-cpp-python answers
        500 to a layout it does not know); None sends none.
        """
        for k, response_format in enumerate(formats):
            try:
                return self._complete(messages, response_format)
            except WriterError as error:
                rejected = error.status in (400, 422) or (
                    error.status is not None and "response_format" in str(error)
                )
                if not rejected or k == len(formats) - 1:
                    raise
        raise WriterError("malformed", "no response format to ask with")

    def _complete(
        self, messages: Sequence[Mapping[str, str]], response_format: Mapping[str, Any] | None
    ) -> ChatAnswer:
        """One request (retried after 429/503 as the server asks) and its answer."""
        payload: dict[str, Any] = {
            "messages": list(messages),
            "temperature": self.llm.temperature,
            "max_tokens": self.llm.max_tokens,
            "stream": False,
        }
        if self.llm.model:
            payload["model"] = self.llm.model
        if response_format is not None:
            payload["response_format"] = dict(response_format)
        wait = DEFAULT_BACKOFF
        for attempt in range(self.llm.retries + 1):
            status, headers, body = self._post(payload)
            if status not in RETRY_STATUSES:
                break
            asked = retry_after(headers.get("retry-after"))
            pause = asked if asked is not None else wait
            wait *= 2
            if pause > self.llm.max_retry_wait:
                raise WriterError(
                    "rate_limited",
                    f"the endpoint answered {status} and asked to wait {pause:.0f} s, longer "
                    f"than the {self.llm.max_retry_wait:.0f} s allowed (max_retry_wait)",
                    status=status,
                )
            if attempt == self.llm.retries:
                raise WriterError(
                    "rate_limited",
                    f"the endpoint answered {status} to {attempt + 1} tries "
                    f"({_error_message(body)})",
                    status=status,
                )
            self._sleep(pause)
        return self._answer(status, body, attempt + 1)

    def _post(self, payload: Mapping[str, Any]) -> tuple[int, httpx.Headers, bytes]:
        """Send one request; the status, headers and whole body, read within the deadline."""
        deadline = time.monotonic() + self.llm.timeout
        try:
            with self._http.stream("POST", self.url, json=payload) as response:
                body = self._read(response, deadline)
                return response.status_code, response.headers, body
        except httpx.TimeoutException as exc:
            raise WriterError(
                "timeout",
                f"no answer from {self.url} within {self.llm.timeout:g} s ({type(exc).__name__})",
            ) from exc
        except httpx.HTTPError as exc:
            raise WriterError(
                "unreachable", f"cannot reach {self.url}: {type(exc).__name__}: {exc}"
            ) from exc

    def _read(self, response: httpx.Response, deadline: float) -> bytes:
        """The body, or WriterError once the deadline passes or the size limit is reached."""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise WriterError("malformed", f"the answer is over {MAX_ANSWER_BYTES} bytes")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise WriterError(
                    "timeout", f"the answer from {self.url} took longer than {self.llm.timeout:g} s"
                )
        return b"".join(chunks)

    def _answer(self, status: int, body: bytes, tries: int) -> ChatAnswer:
        """The answer's text from a chat-completions body; WriterError for anything else."""
        if status in (401, 403):
            raise WriterError(
                "http_status",
                f"the endpoint refused the request ({status}): check NEWSWEAVE_LLM_API_KEY "
                f"({_error_message(body)})",
                status=status,
            )
        if status == 404:
            raise WriterError(
                "http_status",
                f"nothing answers at {self.url} (404): the URL should end in /v1 "
                f"({_error_message(body)})",
                status=status,
            )
        if not 200 <= status < 300:
            message = f"the endpoint answered {status}: {_error_message(body)}"
            raise WriterError("http_status", message, status=status)
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise WriterError("malformed", f"the endpoint's answer is not JSON ({exc})") from exc
        choices = data.get("choices") if isinstance(data, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise WriterError("malformed", "the endpoint's answer has no choices")
        choice = choices[0]
        message = choice.get("message")
        if not isinstance(message, dict):
            raise WriterError("malformed", "the endpoint's answer has no message")
        finish = choice.get("finish_reason")
        refusal = message.get("refusal")
        if isinstance(refusal, str) and refusal.strip():
            raise WriterError("refusal", f"the model declined: {refusal.strip()[:200]}")
        if finish == "content_filter":
            raise WriterError("refusal", "the endpoint's content filter stopped the answer")
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise WriterError("malformed", "the model's answer is empty")
        model = data.get("model")
        return ChatAnswer(
            content=content,
            model=model if isinstance(model, str) else "",
            finish_reason=finish if isinstance(finish, str) else None,
            tries=tries,
        )


__all__ = ["ChatAnswer", "ChatClient", "chat_url", "retry_after"]
