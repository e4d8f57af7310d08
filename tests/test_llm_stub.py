"""Tests for procall.llm_stub: the stub must be something ChatOpenAI really talks to."""

from __future__ import annotations

import json
import socket
import urllib.request

import openai
import pytest
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from procall.llm_stub import StubChatServer, StubReply, scripted, structured

_LOCAL = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No proxies, no env config, no tracing -- and refuse any non-loopback socket."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                "all_proxy", "OPENAI_BASE_URL", "OPENAI_API_BASE", "OPENAI_ORG_ID",
                "OPENAI_PROJECT", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("OPENAI_API_KEY", "must-not-be-used")
    monkeypatch.setenv("LANGSMITH_TRACING", "false")
    monkeypatch.setenv("LANGCHAIN_TRACING_V2", "false")

    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        if isinstance(address, tuple) and address[0] not in _LOCAL:
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


def make_llm(server: StubChatServer, **kw) -> ChatOpenAI:
    return ChatOpenAI(model="stub-model", base_url=server.base_url, api_key="test",
                      max_retries=0, timeout=5, **kw)


class Intent(BaseModel):
    """The customer's intent."""

    label: str = Field(description="intent name")
    confidence: float


@tool
def lookup_order(order_id: str) -> str:
    """Look up an order by its id."""
    return "shipped"


def test_plain_invoke_content_and_usage():
    with StubChatServer(scripted([StubReply(content="Hello there", prompt_tokens=11,
                                            completion_tokens=3)])) as server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
        msg = make_llm(server).invoke("hi")
    assert isinstance(msg, AIMessage)
    assert msg.content == "Hello there"
    assert msg.usage_metadata["input_tokens"] == 11
    assert msg.usage_metadata["output_tokens"] == 3
    assert msg.usage_metadata["total_tokens"] == 14
    assert msg.response_metadata["model_name"] == "stub-model"
    assert msg.response_metadata["finish_reason"] == "stop"


def test_estimated_usage_when_not_given():
    with StubChatServer(scripted([StubReply(content="x" * 40)])) as server:
        msg = make_llm(server).invoke("a fairly long question " * 10)
    assert msg.usage_metadata["output_tokens"] == 10
    assert msg.usage_metadata["input_tokens"] > 40


def test_bind_tools_returns_parsed_tool_call():
    reply = StubReply(tool_calls=[{"name": "lookup_order", "arguments": {"order_id": "A17"}}])
    with StubChatServer(scripted([reply])) as server:
        msg = make_llm(server).bind_tools([lookup_order]).invoke("where is A17?")
        sent = server.requests[0]
    assert msg.tool_calls == [{"name": "lookup_order", "args": {"order_id": "A17"},
                               "id": "call_1", "type": "tool_call"}]
    assert msg.response_metadata["finish_reason"] == "tool_calls"
    assert sent["tools"][0]["function"]["name"] == "lookup_order"


@pytest.mark.parametrize("method", ["json_schema", "function_calling", None])
def test_with_structured_output(method):
    seen = []

    def fn(request):
        seen.append(request)
        return {"label": "refund", "confidence": 0.9}

    with StubChatServer(structured(fn)) as server:
        llm = make_llm(server)
        runnable = (llm.with_structured_output(Intent) if method is None
                    else llm.with_structured_output(Intent, method=method))
        result = runnable.invoke("I want my money back")
    assert result == Intent(label="refund", confidence=0.9)
    request = seen[0]
    if method == "function_calling":
        # Schema sent as the single tool, forced via tool_choice; answer is a tool call.
        assert "response_format" not in request
        assert request["tool_choice"] == {"type": "function", "function": {"name": "Intent"}}
        assert [t["function"]["name"] for t in request["tools"]] == ["Intent"]
    else:  # json_schema, which is also ChatOpenAI's default
        assert "tools" not in request
        fmt = request["response_format"]
        assert fmt["type"] == "json_schema"
        assert fmt["json_schema"]["name"] == "Intent" and fmt["json_schema"]["strict"] is True


def test_streaming_content_and_usage():
    with StubChatServer(scripted([StubReply(content="one two three", prompt_tokens=5,
                                            completion_tokens=3)])) as server:
        chunks = list(make_llm(server, stream_usage=True).stream("count"))
        sent = server.requests[0]
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert len([c for c in chunks if c.content]) == 3  # really streamed in pieces
    total = chunks[0]
    for c in chunks[1:]:
        total += c
    assert total.content == "one two three"
    assert total.usage_metadata["input_tokens"] == 5
    assert total.usage_metadata["output_tokens"] == 3


def test_streaming_tool_call():
    reply = StubReply(tool_calls=[{"name": "lookup_order", "arguments": {"order_id": "B2"}}])
    with StubChatServer(scripted([reply])) as server:
        chunks = list(make_llm(server).bind_tools([lookup_order]).stream("B2?"))
    total = chunks[0]
    for c in chunks[1:]:
        total += c
    assert total.tool_calls[0]["name"] == "lookup_order"
    assert total.tool_calls[0]["args"] == {"order_id": "B2"}


@pytest.mark.filterwarnings("ignore::UserWarning")  # upstream pydantic warning on beta stream
def test_streaming_structured_output():
    with StubChatServer(structured(lambda r: {"label": "greet", "confidence": 1.0})) as server:
        parts = list(make_llm(server).with_structured_output(Intent).stream("hi"))
    assert parts[-1] == Intent(label="greet", confidence=1.0)


@pytest.mark.parametrize("status, exc", [(400, openai.BadRequestError),
                                         (429, openai.RateLimitError),
                                         (500, openai.InternalServerError)])
def test_error_status_raises_quickly(status, exc):
    with StubChatServer(scripted([StubReply(status=status, content="boom")])) as server:
        with pytest.raises(exc, match="boom"):
            make_llm(server).invoke("hi")
        assert len(server.requests) == 1  # no retries (and so no back-off wait)


def test_scripted_exhausted_is_a_clear_error():
    with StubChatServer(scripted([StubReply(content="only one")])) as server:
        llm = make_llm(server)
        assert llm.invoke("1").content == "only one"
        with pytest.raises(openai.BadRequestError, match="exhausted"):
            llm.invoke("2")


def test_requests_are_recorded_in_order():
    with StubChatServer(scripted([StubReply(content="a"), StubReply(content="b")])) as server:
        llm = make_llm(server)
        llm.invoke("first")
        llm.invoke("second")
        assert [r["messages"][-1]["content"] for r in server.requests] == ["first", "second"]
        assert all(r["model"] == "stub-model" for r in server.requests)


def test_delay_hits_client_timeout():
    with StubChatServer(scripted([StubReply(content="late", delay=1.0)])) as server:
        llm = ChatOpenAI(model="stub-model", base_url=server.base_url, api_key="test",
                         max_retries=0, timeout=0.2)
        with pytest.raises(openai.APITimeoutError):
            llm.invoke("hi")


def test_models_endpoint_lists_seen_models():
    with StubChatServer(scripted([StubReply(content="ok")])) as server:
        url = server.base_url + "/models"
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert [m["id"] for m in json.load(resp)["data"]] == ["stub-model"]
        ChatOpenAI(model="other-model", base_url=server.base_url, api_key="test",
                   max_retries=0, timeout=5).invoke("hi")
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert [m["id"] for m in json.load(resp)["data"]] == ["other-model"]


def test_close_stops_server():
    server = StubChatServer(scripted([]))
    port = int(server.base_url.split(":")[2].split("/")[0])
    server.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
