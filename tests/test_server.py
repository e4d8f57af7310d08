"""`procall serve`'s app through FastAPI's TestClient: a whole conversation, the errors a client can
cause, access control, exactly-once messages, streaming, one turn at a time per conversation."""

from __future__ import annotations

import json
import threading

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from procall import Assistant, Settings  # noqa: E402
from procall.server.app import create_app  # noqa: E402
from procall.server.service import ChatService  # noqa: E402


@pytest.fixture(scope="module")
def shared_assistant(tmp_path_factory):
    home = tmp_path_factory.mktemp("server-home")
    bot = Assistant(Settings(home=home, database_url=None))
    yield bot
    bot.close()


def make_client(bot: Assistant, **overrides) -> TestClient:
    settings = bot.settings.model_copy(update=overrides)
    return TestClient(create_app(settings, service_factory=lambda s: ChatService(s, assistant=bot)),
                      raise_server_exceptions=False)


@pytest.fixture
def client(shared_assistant):
    with make_client(shared_assistant) as c:
        yield c


def start(client: TestClient) -> tuple[str, dict[str, str]]:
    response = client.post("/conversations")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["greeting"].startswith("Hi!")
    return body["id"], {"X-Conversation-Secret": body["secret"]}


def say(client, conversation, headers, text, **extra) -> dict:
    response = client.post(f"/conversations/{conversation}/messages", json={"text": text, **extra}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_whole_cancellation_over_http(client, shared_assistant):
    conversation, headers = start(client)
    reply = say(client, conversation, headers, "can i cancel an order?")
    assert reply["active_process"] == "identify_customer" and reply["asking"] == "email"
    reply = say(client, conversation, headers, "chloe.ramirez@example.com")
    assert reply["asking"] == "order_id"
    assert [c["label"] for c in reply["choices"]] == ["#W1005002, pending: Gaming Mouse, Electric Kettle and "
                                                      "Jigsaw Puzzle"]
    reply = say(client, conversation, headers, reply["choices"][0]["text"])  # what the button sends
    assert reply["asking"] == "reason"
    assert [c["label"] for c in reply["choices"]] == ["no longer needed", "ordered by mistake"]
    reply = say(client, conversation, headers, reply["choices"][1]["text"])
    assert reply["asking"] == "confirmed" and [c["text"] for c in reply["choices"]] == ["yes", "no"]
    assert "ordered by mistake" in reply["text"]
    reply = say(client, conversation, headers, "yes")
    assert [line["key"] for line in reply["lines"]][0] == "cancel_order.cancelled"
    assert reply["active_process"] is None and reply["choices"] == [] and reply["handed_off"] is False
    order = shared_assistant.backend.dump()["orders"]["#W1005002"]
    assert order["status"] == "cancelled" and order["cancel_reason"] == "ordered by mistake"

    view = client.get(f"/conversations/{conversation}", headers=headers).json()
    assert view["customer"]["user_id"].startswith("chloe")
    assert [m["role"] for m in view["messages"][:3]] == ["assistant", "customer", "assistant"]
    assert view["messages"][1]["text"] == "can i cancel an order?" and view["turn"] == 5


def test_a_handoff_is_visible_in_the_reply(client):
    conversation, headers = start(client)
    reply = say(client, conversation, headers, "I want to talk to a human")
    assert reply["handed_off"] is True
    assert client.get(f"/conversations/{conversation}", headers=headers).json()["handed_off"] is True


def test_the_errors_a_client_can_cause_are_clear_4xx(client):
    conversation, headers = start(client)
    url = f"/conversations/{conversation}/messages"
    cases = [
        (client.post("/conversations/nope/messages", json={"text": "hi"}, headers=headers), 404, "no conversation"),
        (client.post(url, json={"text": "hi"}), 403, "X-Conversation-Secret"),
        (client.post(url, json={"text": "hi"}, headers={"X-Conversation-Secret": "guess"}), 403, "another session"),
        (client.post(url, json={"text": "   "}, headers=headers), 422, "empty"),
        (client.post(url, json={"text": "x" * 2001}, headers=headers), 422, "too long"),
        (client.post(url, json={}, headers=headers), 422, "text"),
        (client.post(url, json={"text": "hi", "admin": True}, headers=headers), 422, "admin"),
        (client.post(url, content=b"{not json", headers={**headers, "Content-Type": "application/json"}), 400,
         "not valid JSON"),
        (client.post(url, content=b"x" * 70_000, headers={**headers, "Content-Type": "application/json"}), 413,
         "too large"),
        (client.get("/conversations/nope", headers=headers), 404, "no conversation"),
    ]
    for response, status, words in cases:
        assert response.status_code == status, (status, response.text)
        assert words in response.json()["detail"], response.text
    # none of those touched the conversation
    assert client.get(f"/conversations/{conversation}", headers=headers).json()["turn"] == 0


def test_an_internal_error_is_a_short_500_without_a_traceback(client, monkeypatch):
    conversation, headers = start(client)

    def broken(*args, **kwargs):
        raise RuntimeError("db password is hunter2")

    monkeypatch.setattr(ChatService, "send", broken)
    response = client.post(f"/conversations/{conversation}/messages", json={"text": "hi"}, headers=headers)
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error: the server could not answer; it was logged"}
    assert "hunter2" not in response.text and "Traceback" not in response.text


def test_a_bearer_token_guards_the_api_but_not_health(shared_assistant):
    with make_client(shared_assistant, server_token="s3cret") as c:
        assert c.post("/conversations").status_code == 401
        assert c.post("/conversations", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.post("/conversations", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 201
        body = ok.json()
        # the conversation's secret alone is not enough either
        assert c.get(f"/conversations/{body['id']}", headers={"X-Conversation-Secret": body["secret"]}
                     ).status_code == 401
        assert c.get(f"/conversations/{body['id']}", headers={"X-Conversation-Secret": body["secret"],
                                                               "Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/healthz").status_code == 200 and c.get("/readyz").json() == {"status": "ready",
                                                                                    "detail": None}


def test_a_message_sent_again_with_its_id_is_answered_once(client):
    conversation, headers = start(client)
    first = say(client, conversation, headers, "can i cancel an order?", message_id="m-1")
    again = say(client, conversation, headers, "can i cancel an order?", message_id="m-1")
    assert again == first
    view = client.get(f"/conversations/{conversation}", headers=headers).json()
    assert view["turn"] == 1 and [m["role"] for m in view["messages"]].count("customer") == 1


def test_a_message_taken_up_by_an_instance_that_died_is_not_read_twice(client, shared_assistant):
    """The instance read the message (its checkpoint is saved) and died before answering: the message
    sent again finishes that turn and answers it, instead of reading the message a second time."""
    from langgraph.types import Command

    conversation, headers = start(client)
    client.app.state.service.records.start_turn(conversation, "m-lost", 0, "dead-instance")
    # What the dead instance did: the message read and saved, the turn stopped right after.
    shared_assistant.graph.invoke(Command(resume="can i cancel an order?"),
                                  {"configurable": {"thread_id": conversation}}, durability="sync",
                                  interrupt_after=["listen"])
    reply = say(client, conversation, headers, "can i cancel an order?", message_id="m-lost")
    assert reply["turn"] == 1 and reply["asking"] == "email"
    assert [m["role"] for m in client.get(f"/conversations/{conversation}", headers=headers).json()["messages"]
            ].count("customer") == 1


def test_a_turns_lines_stream_as_server_sent_events(client):
    conversation, headers = start(client)
    say(client, conversation, headers, "can i cancel an order?")
    with client.stream("POST", f"/conversations/{conversation}/messages/stream",
                       json={"text": "mia.castillo@example.com"}, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [(block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1][6:]))
                  for block in response.read().decode().strip().split("\n\n")]
    kinds = [k for k, _ in events]
    assert kinds[-1] == "reply" and set(kinds[:-1]) == {"line"}
    reply = events[-1][1]
    assert [data for _, data in events[:-1]] == reply["lines"]
    assert [line["key"] for line in reply["lines"]][0] == "identify_customer.welcome" and len(reply["lines"]) >= 2


def test_messages_of_one_conversation_never_interleave(client):
    conversation, headers = start(client)
    service: ChatService = client.app.state.service
    results = []

    def send(text):
        results.append(client.post(f"/conversations/{conversation}/messages", json={"text": text},
                                   headers=headers).status_code)

    threads = [threading.Thread(target=send, args=(t,)) for t in ("can i cancel an order?",
                                                                    "chloe.ramirez@example.com", "what's up")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200, 200, 200]
    turns = sorted((t for t in service.records.turns() if t.conversation == conversation),
                   key=lambda t: t.started_at)
    assert [t.turn_before for t in turns] == [0, 1, 2]
    for before, after in zip(turns, turns[1:], strict=False):
        assert before.ended_at <= after.started_at


def test_a_message_that_waits_too_long_gets_409(shared_assistant):
    with make_client(shared_assistant, turn_wait_s=0.2) as c:
        conversation, headers = start(c)
        service: ChatService = c.app.state.service
        with service.locks.hold(conversation, 1.0):
            response = c.post(f"/conversations/{conversation}/messages", json={"text": "hi"}, headers=headers)
        assert response.status_code == 409 and "still being answered" in response.json()["detail"]


def test_pages_health_and_openapi(client):
    page = client.get("/")
    assert page.status_code == 200 and "<form id=\"form\">" in page.text
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/conversations/{conversation_id}/messages" in docs.text
    assert "cdn" not in docs.text.lower()
    spec = client.get("/openapi.json").json()
    assert {"/conversations", "/conversations/{conversation_id}/messages", "/healthz", "/readyz"} <= set(spec["paths"])
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").status_code == 200


def test_serve_refuses_bad_options_in_one_line(capsys):
    from procall.cli.main import main

    assert main(["serve", "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert main(["serve", "--database-url", "mysql://x"]) == 2
    assert "postgresql://" in capsys.readouterr().err
