"""A tiny OpenAI-compatible chat-completions server for tests, evals and notebooks.

Nothing here talks to a real model: ``StubChatServer(responder)`` listens on
127.0.0.1 (free port), hands each ``POST /v1/chat/completions`` body to
``responder`` and answers with whatever ``StubReply`` it returns, in the wire
format ``langchain_openai.ChatOpenAI`` (via the ``openai`` SDK) parses -- plain
JSON, or server-sent events when the request says ``"stream": true``.

    with StubChatServer(scripted([StubReply(content="hi")])) as server:
        llm = ChatOpenAI(model="stub-model", base_url=server.base_url,
                         api_key="test", max_retries=0)
        llm.invoke("hello").content  # -> "hi"

How ``with_structured_output`` reaches the wire (checked against the installed
langchain-openai 1.7.3 / openai 3.52, Chat Completions API):

* ``method="json_schema"`` -- the default of ``ChatOpenAI.with_structured_output``
  (``BaseChatOpenAI`` still defaults to ``"function_calling"``).  A Pydantic
  class is handed to ``client.chat.completions.parse``, which sends
  ``response_format={"type": "json_schema", "json_schema": {"name": <class
  name>, "schema": {...}, "strict": true}}`` and no ``tools``.  The model must
  answer with the JSON object as the message *content*; the SDK validates it
  into the class.  When streaming, the same body goes through
  ``beta.chat.completions.stream`` and the content is parsed at the end.
* ``method="function_calling"`` -- sends the schema as the only entry of
  ``tools`` (``{"type": "function", "function": {"name": <class name>,
  "description", "parameters"}}``), pins it with ``tool_choice={"type":
  "function", "function": {"name": <class name>}}`` and sets
  ``parallel_tool_calls=false``.  The model must answer with a *tool call* to
  that function; ``PydanticToolsParser`` validates its arguments.
* ``method="json_mode"`` sends ``response_format={"type": "json_object"}``;
  ``structured()`` answers it like json_schema (JSON content).

``structured(fn)`` picks the matching answer form from the request itself.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["StubReply", "StubChatServer", "scripted", "structured"]

DEFAULT_MODEL = "stub-model"

# The SDK picks its exception class from the status alone; "type"/"code" mirror
# what OpenAI sends, for code that inspects ``exc.body``.
_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 429: "rate_limit_error"}


@dataclass
class StubReply:
    """What the stub model "says" for one request.

    ``tool_calls`` items are ``{"name": str, "arguments": dict | str}`` (a str
    is sent verbatim, e.g. to test malformed arguments).  Token counts left as
    None are estimated (~4 characters per token).  A non-200 ``status`` turns
    the reply into an OpenAI-style error whose message is ``content``.
    """

    content: str | None = None
    tool_calls: list[dict] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    status: int = 200
    delay: float = 0


Responder = Callable[[dict], StubReply]


def scripted(replies: list[StubReply]) -> Responder:
    """Return ``replies`` in order; once exhausted, answer with a clear 400 error.

    400 (not 5xx) so a client with retries fails at once instead of retrying.
    """
    remaining, lock = list(replies), threading.Lock()

    def respond(request: dict) -> StubReply:
        with lock:  # the server is threaded; keep the order strict
            if remaining:
                return remaining.pop(0)
        return StubReply(status=400, content=(
            f"StubChatServer: scripted responder exhausted after {len(replies)} "
            "replies -- the code under test made more model calls than scripted"))

    return respond


def structured(fn: Callable[[dict], dict]) -> Responder:
    """Answer ``with_structured_output`` requests with ``fn(request)``, in the
    form the request asks for (see module docstring)."""

    def respond(request: dict) -> StubReply:
        data = fn(request)
        if (request.get("response_format") or {}).get("type") in ("json_schema", "json_object"):
            return StubReply(content=json.dumps(data))
        tools = [t["function"]["name"] for t in request.get("tools") or [] if "function" in t]
        choice = request.get("tool_choice")
        if isinstance(choice, dict) and choice.get("type") == "function":
            name = choice["function"]["name"]
        elif len(tools) == 1:  # tool_choice "required"/"auto" with a single schema tool
            name = tools[0]
        else:
            return StubReply(status=400, content=(
                "StubChatServer.structured: request has neither a json response_format "
                f"nor a single forced tool (tools={tools}, tool_choice={choice!r})"))
        return StubReply(tool_calls=[{"name": name, "arguments": data}])

    return respond


class StubChatServer:
    """OpenAI-compatible stub on 127.0.0.1; use as a context manager or call ``close()``."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.requests: list[dict] = []  # parsed POST bodies, in arrival order
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))  # loopback only
        self._httpd.daemon_threads = True  # a hung/delayed handler must not block close()
        # Short poll interval: shutdown() waits up to one interval, per test.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name="StubChatServer", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def close(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)

    def __enter__(self) -> StubChatServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _next_id(self) -> int:
        with self._lock:  # handlers run on separate threads
            return next(self._ids)

    def _record(self, body: dict) -> None:
        with self._lock:
            self.requests.append(body)

    @property
    def models_seen(self) -> list[str]:
        return list(dict.fromkeys(r["model"] for r in self.requests if r.get("model")))

    def _completion(self, body: dict, reply: StubReply) -> dict:
        """Build the non-streamed ``chat.completion`` answer."""
        calls = [{"id": f"call_{self._next_id()}", "type": "function",
                  "function": {"name": c["name"], "arguments": c["arguments"]
                               if isinstance(c.get("arguments"), str)
                               else json.dumps(c.get("arguments") or {})}}
                 for c in reply.tool_calls or []]
        prompt = reply.prompt_tokens
        if prompt is None:
            prompt = max(1, len(json.dumps(body.get("messages", []))) // 4)
        completion = reply.completion_tokens
        if completion is None:
            said = (reply.content or "") + "".join(c["function"]["arguments"] for c in calls)
            completion = max(1, len(said) // 4)
        finish = "tool_calls" if calls else "stop"
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if calls:
            message["tool_calls"] = calls
        return {
            "id": f"chatcmpl-stub-{self._next_id()}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or DEFAULT_MODEL,
            "choices": [{"index": 0, "message": message, "finish_reason": finish,
                         "logprobs": None}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion},
        }

    def _chunks(self, body: dict, reply: StubReply) -> list[dict]:
        """The same answer as ``chat.completion.chunk`` objects for SSE."""
        full = self._completion(body, reply)
        calls = full["choices"][0]["message"].get("tool_calls", [])
        base = {k: full[k] for k in ("id", "created", "model")}
        base["object"] = "chat.completion.chunk"

        def chunk(delta: dict, finish_reason: str | None = None) -> dict:
            return {**base, "choices": [{"index": 0, "delta": delta,
                                         "finish_reason": finish_reason, "logprobs": None}]}

        out = [chunk({"role": "assistant", "content": ""})]
        # Word-sized pieces, so streaming consumers really see several tokens.
        out += [chunk({"content": piece})
                for piece in re.findall(r"\s*\S+\s*|\s+", reply.content or "")]
        out += [chunk({"tool_calls": [{"index": i, **call}]}) for i, call in enumerate(calls)]
        out.append(chunk({}, full["choices"][0]["finish_reason"]))
        if (body.get("stream_options") or {}).get("include_usage"):
            out.append({**base, "choices": [], "usage": full["usage"]})
        return out


def _make_handler(server: StubChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so an SSE stream simply ends
        # when we close it (no chunked transfer encoding needed).
        protocol_version = "HTTP/1.0"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send_json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_error(self, status: int, message: str) -> None:
            err_type = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
            self._send_json(status, {"error": {"message": message, "type": err_type,
                                               "param": None, "code": err_type}})

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                names = server.models_seen or [DEFAULT_MODEL]
                self._send_json(200, {"object": "list", "data": [
                    {"id": n, "object": "model", "created": 0, "owned_by": "stub"} for n in names]})
            else:
                self._send_error(404, f"StubChatServer: no route GET {self.path}")

        def do_POST(self) -> None:
            try:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw or b"{}")
            except ValueError as exc:
                return self._send_error(400, f"StubChatServer: body is not JSON: {exc}")
            server._record(body)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                return self._send_error(404, f"StubChatServer: no route POST {self.path}")
            try:
                reply = server.responder(body)
            except Exception as exc:  # surface responder bugs to the client, not a hang
                return self._send_error(500, f"StubChatServer responder raised {exc!r}")
            if isinstance(reply, str):  # convenience: a bare string is the content
                reply = StubReply(content=reply)
            if reply.delay:
                time.sleep(reply.delay)
            try:
                if reply.status != 200:
                    self._send_error(reply.status, reply.content or f"stub error {reply.status}")
                elif body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-cache")
                    self.end_headers()
                    for c in server._chunks(body, reply):
                        self.wfile.write(f"data: {json.dumps(c)}\n\n".encode())
                    self.wfile.write(b"data: [DONE]\n\n")
                else:
                    self._send_json(200, server._completion(body, reply))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (e.g. its timeout < delay); nothing to do

    return Handler
