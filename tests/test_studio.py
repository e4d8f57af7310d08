"""The Studio export: `langgraph dev` serves every graph in langgraph.json, and a whole
conversation runs on the router over the HTTP API (the LangGraph SDK), offline.

The server runs as a subprocess in its own process group, on a free port on 127.0.0.1, with
analytics, the version check and tracing off and PROCALL_HOME in a temp folder. It runs in a temp
folder, not in the repo: the in-memory server keeps its runs in `.langgraph_api/` in its working
folder (whatever the config says), and a developer's own Studio state there must not be read or
overwritten by a test. langgraph.json names its graphs by module (`procall.graphs.studio:...`),
so they load from any folder.
A `sitecustomize` put on the server's PYTHONPATH refuses and records every connection (and
name lookup) that is not local, so the test fails if the server tries to go outside.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 90
OFF = {  # what keeps the dev server off the network
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",     # the CLI's usage log (read before the env file)
    "LANGGRAPH_NO_VERSION_CHECK": "true",  # the server's PyPI version check
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
}

# Loaded by the server's interpreter at start-up: no connection but to this machine.
GUARD = textwrap.dedent('''
    import os, socket

    _LOG = os.environ["PROCALL_NET_GUARD_LOG"]
    _LOCAL = ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::", "", None)

    def _refuse(what, host):
        with open(_LOG, "a") as f:
            f.write(f"{what} {host!r}\\n")
        raise OSError(f"offline test: {what} {host!r} refused")

    _connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def _host(address):
        return address[0] if isinstance(address, tuple) else None  # AF_UNIX paths are local

    def connect(self, address):
        if _host(address) not in _LOCAL:
            _refuse("connect", address)
        return _connect(self, address)

    def connect_ex(self, address):
        if _host(address) not in _LOCAL:
            _refuse("connect", address)
        return _connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in _LOCAL:
            _refuse("getaddrinfo", name)
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo

    # This file shadows any other sitecustomize: run the next one on the path as well.
    import importlib.machinery, importlib.util, sys
    _here = os.path.dirname(os.path.abspath(__file__))
    _spec = importlib.machinery.PathFinder.find_spec(
        "sitecustomize", [p for p in sys.path if os.path.abspath(p or ".") != _here])
    if _spec is not None:
        _spec.loader.exec_module(importlib.util.module_from_spec(_spec))
''')


def _config() -> dict:
    return json.loads((REPO / "langgraph.json").read_text())


def _env_file() -> dict[str, str]:
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(REPO / _config()["env"]).items() if v is not None}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/ok", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def test_langgraph_json_exports_every_graph_with_a_description():
    from procall.graphs.studio import graph_names

    config = _config()
    assert config["dependencies"] == ["."]
    assert set(config["graphs"]) == set(graph_names()), "langgraph.json should list every graph"
    for name, graph in config["graphs"].items():
        assert graph["path"] == f"procall.graphs.studio:{name}"
        assert graph["description"].strip()
    env = _env_file()
    for name, value in OFF.items():
        assert env.get(name) == value, f"{config['env']} should set {name}={value}"
    assert env.get("PROCALL_HOME") == ".procall"
    assert not any(k.startswith("OPENAI_") for k in env), "OPENAI_* lines stay commented out"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`langgraph dev` on a free port; yields (url, PROCALL_HOME, guard log). Stopped afterwards."""
    tmp = tmp_path_factory.mktemp("studio")
    home, guard_dir, guard_log, log_path = tmp / "home", tmp / "guard", tmp / "refused.log", tmp / "server.log"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    guard_log.touch()

    # The repo's config, except that the env file's values (which override the shell's) point
    # PROCALL_HOME at the temp folder.
    config = _config()
    config["env"] = {**_env_file(), **OFF, "PROCALL_HOME": str(home)}
    (tmp / "langgraph.json").write_text(json.dumps(config, indent=2))

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "LANGSMITH_", "LANGCHAIN_", "LANGGRAPH_"))}
    env.update(OFF, PROCALL_HOME=str(home), PROCALL_NET_GUARD_LOG=str(guard_log),
               PYTHONPATH=os.pathsep.join([str(guard_dir), *filter(None, [env.get("PYTHONPATH")])]),
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "langgraph_cli", "dev", "--no-browser", "--no-reload",
             "--host", "127.0.0.1", "--port", str(port), "--config", str(tmp / "langgraph.json")],
            cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped as a whole below
        )

    def tail() -> str:
        return log_path.read_text(errors="replace")[-4000:]

    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(url):
            if proc.poll() is not None:
                pytest.fail(f"langgraph dev exited with {proc.returncode}:\n{tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"langgraph dev did not answer within {START_TIMEOUT_S} s:\n{tail()}")
            time.sleep(0.25)
        yield url, home, guard_log
    finally:
        pgid = proc.pid  # the session leader's pid is the group id
        if _group_alive(pgid):
            os.killpg(pgid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
            pytest.fail(f"processes of langgraph dev were left running:\n{tail()}")


@pytest.mark.slow
def test_studio_serves_every_graph(server):
    from langgraph_sdk import get_sync_client

    from procall.graphs.studio import graph_names

    url, _, guard_log = server
    client = get_sync_client(url=url)
    assistants = client.assistants.search(limit=100)
    graphs = {a["graph_id"]: a for a in assistants}
    assert {"router", "cancel_order", "react"} <= set(graphs)
    assert set(graphs) == set(graph_names())
    assert all(graphs[name]["description"] for name in graphs)
    drawing = client.assistants.get_graph(graphs["router"]["assistant_id"], xray=True)
    nodes = {n["id"] for n in drawing["nodes"]}
    assert {"greet", "listen", "understand", "apply", "save"} <= nodes
    assert "cancel_order:confirm" in nodes  # the processes are subgraphs, drawn inside the router
    assert guard_log.read_text() == ""


@pytest.mark.slow
def test_a_cancellation_over_the_http_api(server):
    from langgraph_sdk import get_sync_client

    from procall.tools.backend.store import RetailBackend

    url, home, guard_log = server
    client = get_sync_client(url=url)
    thread_id = client.threads.create()["thread_id"]

    def waiting() -> tuple[str, dict | None, dict]:
        """The prompt `listen` waits with, the top frame of the dialogue stack, the values."""
        state = client.threads.get_state(thread_id)
        assert state["next"] == ["listen"], state["next"]
        (pending,) = state["interrupts"]
        stack = state["values"].get("stack") or []
        return pending["value"]["prompt"], (stack[-1] if stack else None), state["values"]

    result = client.runs.wait(thread_id, "router", input={"messages": []})
    assert result["__interrupt__"][0]["value"]["prompt"].startswith("Hi!")
    prompt, frame, _ = waiting()
    assert "How can I help" in prompt and frame is None

    def say(text: str) -> tuple[str, dict | None, dict]:
        client.runs.wait(thread_id, "router", command={"resume": text})
        return waiting()

    prompt, frame, _ = say("I want to cancel an order")
    assert "email" in prompt
    assert frame["process"] == "identify_customer" and frame["asking"]["slot"] == "email"

    prompt, frame, values = say("mia.castillo@example.com")
    assert values["customer"]["user_id"] == "mia_castillo_1001"
    assert "#W1001002" in prompt
    assert frame["process"] == "cancel_order" and frame["asking"]["slot"] == "order_id"

    prompt, frame, _ = say("#W1001002")
    assert "ordered by mistake" in prompt
    assert frame["slots"]["order_id"] == "#W1001002" and frame["asking"]["slot"] == "reason"

    prompt, frame, _ = say("I ordered it by mistake")
    assert "$95.92" in prompt and "yes/no" in prompt
    assert frame["step"] == "confirm" and frame["asking"]["slot"] == "confirmed"

    prompt, frame, values = say("yes")
    assert "#W1001002 is cancelled" in prompt
    assert frame is None  # the process is done and off the stack
    assert [m["content"] for m in values["messages"] if m["type"] == "human"] == [
        "I want to cancel an order", "mia.castillo@example.com", "#W1001002", "I ordered it by mistake", "yes"]

    backend = RetailBackend.open(home / "stores" / "demo.db")
    try:
        order = backend.dump()["orders"]["#W1001002"]
    finally:
        backend.close()
    assert order["status"] == "cancelled"
    assert order["cancel_reason"] == "ordered by mistake"
    assert guard_log.read_text() == ""
