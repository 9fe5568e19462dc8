"""A scripted OpenAI-compatible HTTP server for tests (127.0.0.1, a free port, a background thread).

    with FakeOpenAIServer([error_reply(429), chat_reply("hello")]) as server:
        backend = OpenAIBackend([server.url], "fake-model", backoff_base_s=0.01)
        ...
        assert server.requests[0].headers["authorization"] == "Bearer ..."

`POST /v1/chat/completions` answers with the scripted replies in order, then echoes the last user
message. A script may also be a callable from the request to its reply (`by_kind` routes judge verdict,
score-probability and generation requests to replies of their own). `GET /v1/models` lists
`models`. The server records every request it saw (headers lower-cased) and the most requests it
ever handled at once (`max_in_flight`). Tests get it through the `fake_openai_server` fixture in
`tests/conftest.py`, which loads this file by path.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """What the server sends for one request."""

    status: int = 200
    body: bytes = b""
    delay_s: float = 0.0
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any = None


def _json(data: Any) -> bytes:
    return json.dumps(data).encode("utf-8")


def chat_reply(
    text: str = "ok",
    *,
    finish_reason: str = "stop",
    prompt_tokens: int = 3,
    completion_tokens: int = 1,
    top_logprobs: Sequence[tuple[str, float]] | None = None,
    delay_s: float = 0.0,
    model: str = "fake-model",
    reasoning: str | None = None,
    reasoning_field: str = "reasoning_content",
) -> Reply:
    """A well-formed chat completion; `top_logprobs` adds logprobs for one token; `reasoning` is sent apart
    in the message's `reasoning_field`, as vLLM and llama.cpp do with a reasoning parser."""
    logprobs = None
    if top_logprobs is not None:
        top = [{"token": t, "logprob": lp, "bytes": None} for t, lp in top_logprobs]
        first = top[0] if top else {"token": text, "logprob": 0.0, "bytes": None}
        logprobs = {"content": [{**first, "top_logprobs": top}], "refusal": None}
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if reasoning is not None:
        message[reasoning_field] = reasoning
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish_reason,
                "logprobs": logprobs,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return Reply(body=_json(body), delay_s=delay_s)


def error_reply(status: int, message: str = "scripted failure", *, retry_after: str | None = None) -> Reply:
    """An OpenAI-style error object with the given HTTP status."""
    headers = (("Retry-After", retry_after),) if retry_after is not None else ()
    return Reply(
        status=status, body=_json({"error": {"message": message, "type": "fake", "code": status}}), headers=headers
    )


def slow_reply(delay_s: float, text: str = "late") -> Reply:
    """A normal answer sent only after `delay_s` seconds."""
    return chat_reply(text, delay_s=delay_s)


def truncated_json_reply() -> Reply:
    """Status 200, JSON content type, a body cut off mid-object."""
    return Reply(body=b'{"id": "chatcmpl-fake", "object": "chat.completion", "choices": [{"index": 0, "mess')


def wrong_shape_reply() -> Reply:
    """Status 200, valid JSON, but not a chat completion (no message in the choice)."""
    return Reply(body=_json({"id": "chatcmpl-fake", "object": "chat.completion", "choices": [{"index": 0}]}))


def not_json_reply() -> Reply:
    """Status 200 with an HTML page, as a misconfigured proxy would send."""
    return Reply(body=b"<html><body>502 Bad Gateway</body></html>", content_type="text/html")


def request_kind(request: RecordedRequest) -> str:
    """What a chat request asks for: `logprobs` (a judge's score probabilities), `verdict` (a judge's verdict:
    structured output or a grading rubric in the system turn) or `generate` (anything else)."""
    body = request.body if isinstance(request.body, dict) else {}
    if body.get("logprobs"):
        return "logprobs"
    messages = body.get("messages") or [{}]
    rubric = "Grading rubric" in str(messages[0].get("content", ""))
    return "verdict" if "response_format" in body or rubric else "generate"


def by_kind(
    *,
    generate: Reply | Callable[[RecordedRequest], Reply] | None = None,
    verdict: Reply | Callable[[RecordedRequest], Reply] | None = None,
    logprobs: Reply | Callable[[RecordedRequest], Reply] | None = None,
) -> Callable[[RecordedRequest], Reply]:
    """A script that answers by `request_kind`, e.g. every verdict request failing with HTTP 500 while the
    score-probability requests succeed: `by_kind(verdict=error_reply(500), logprobs=chat_reply("5", ...))`.
    A kind left out is echoed."""
    replies = {"generate": generate, "verdict": verdict, "logprobs": logprobs}

    def script(request: RecordedRequest) -> Reply:
        reply = replies[request_kind(request)]
        if reply is None:
            return _echo(request)
        return reply(request) if callable(reply) else reply

    return script


def _echo(request: RecordedRequest) -> Reply:
    messages = request.body.get("messages", []) if isinstance(request.body, dict) else []
    last = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
    return chat_reply(f"echo: {last}")


@dataclass
class FakeOpenAIServer:
    """The server; use as a context manager or call `start()` / `stop()`."""

    script: Sequence[Reply] | Callable[[RecordedRequest], Reply] = ()
    models: Sequence[str] = ("fake-model",)
    requests: list[RecordedRequest] = field(default_factory=list)
    max_in_flight: int = 0
    _in_flight: int = 0
    _served: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, ending in `/v1`."""
        if self._httpd is None:
            raise RuntimeError("the fake server is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The chat completion requests only."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> FakeOpenAIServer:
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _next_reply(self, request: RecordedRequest) -> Reply:
        if callable(self.script):
            return self.script(request)
        with self._lock:
            index = self._served
            self._served += 1
        return self.script[index] if index < len(self.script) else _echo(request)

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


def _make_handler(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
            pass

        def _record(self, body: Any) -> RecordedRequest:
            request = RecordedRequest(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            with server._lock:
                server.requests.append(request)
            return request

        def _send(self, reply: Reply) -> None:
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            self._record(None)
            if self.path.rstrip("/").endswith("/models"):
                data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in server.models]
                self._send(Reply(body=_json({"object": "list", "data": data})))
            else:
                self._send(error_reply(404, f"no route {self.path}"))

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            request = self._record(body)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(error_reply(404, f"no route {self.path}"))
                return
            server._enter()
            try:
                reply = server._next_reply(request)
                if reply.delay_s:
                    server._stopping.wait(reply.delay_s)
                self._send(reply)
            finally:
                server._leave()

    return Handler
