"""Shared fixtures: every test runs offline, on its own home folder and its own store."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TAUBENCH = Path(os.environ.get("PROCALL_TAUBENCH_DIR", REPO.parent / "shared" / "taubench-retail"))


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """Nothing but 127.0.0.1: a test that tries the network fails loudly."""
    real_connect = socket.socket.connect

    def connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("/"):
            raise AssertionError(f"a test tried to reach {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PROCALL_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def assistant(home):
    from procall import Assistant

    bot = Assistant()
    yield bot
    bot.close()


@pytest.fixture
def llm_bot(home):
    """Makes an assistant on the LLM path whose scripted model answers each call with the next list of commands;
    every one made is closed after the test."""
    from procall import Assistant, Settings
    from procall.evals.fake_llm import ScriptedModel, command_calls

    made = []

    def make(*calls: list[dict]):
        made.append(Assistant(Settings(nlu="llm", llm_fallback_to_local=False),
                              model=ScriptedModel(messages=command_calls(*calls))))
        return made[-1]

    yield make
    for bot in made:
        bot.close()


def taubench_dir() -> Path:
    if not (TAUBENCH / "tasks_train.json").is_file():
        pytest.skip(f"the tau-bench retail data is not at {TAUBENCH} (set PROCALL_TAUBENCH_DIR)")
    return TAUBENCH


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway Postgres server on 127.0.0.1 for the whole session (skipped where it cannot start)."""
    from procall.server.throwaway_postgres import PostgresUnavailable, ThrowawayPostgres

    try:
        server = ThrowawayPostgres().start()
    except PostgresUnavailable as exc:
        pytest.skip(f"no Postgres server here: {exc}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """A fresh, empty database on the session's Postgres server."""
    return pg_cluster.create_database()


@pytest.fixture(scope="module")
def store():
    """The benchmark's store, built once per module (for tests that skip without the shared data)."""
    from procall.evals.scoring import base_store

    backend = base_store().open()
    yield backend
    backend.close()


SLOW_TIMEOUT_S = 900  # pytest-timeout for a slow test without its own: a hang guard that a loaded machine fits in


def pytest_collection_modifyitems(config, items):
    """The slow end-to-end runs (left out by default, see pyproject.toml) grow with the suite they run (every
    conversation, every task) and share the machine with everything else: 300 s would fail them for being
    slow, not for hanging."""
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_S))
