"""procall eval: local and oracle modes on a few benchmark tasks, the openai mode against a stub server,
and what the report holds."""

from __future__ import annotations

import json

import pytest

from procall.cli.main import main
from procall.evals import taubench
from procall.llm_stub import StubChatServer, StubReply


def taubench_dir():
    if not taubench.available():
        pytest.skip(taubench.missing_reason())
    return taubench.data_folder()


def run_eval(tmp_path, capsys, *args: str) -> dict:
    data = taubench_dir()
    out = tmp_path / "out"
    code = main(["eval", "--tasks", str(data / "tasks_dev.json"), "--data", str(data), "--out", str(out),
                 "--workers", "1", *args])
    assert code == 0, capsys.readouterr().err
    for name in ("report.md", "results.jsonl", "summary.json", "chart.png"):
        assert (out / name).is_file(), name
    return json.loads((out / "summary.json").read_text())


@pytest.mark.slow
def test_local_mode_runs_process_calling_only(tmp_path, capsys):
    summary = run_eval(tmp_path, capsys, "--model", "local", "--limit", "3")
    assert set(summary) >= {"process"} and "react" not in summary
    process = summary["process"]
    assert {"tasks", "pass_hat", "input_tokens", "output_tokens", "model_calls", "tool_calls",
            "unparsed_tasks"} <= set(process)
    assert process["tasks"] == 3 and process["model_calls"] == 0 and process["input_tokens"] == 0
    assert process["pass_hat"]["1"] == 1.0


@pytest.mark.slow
def test_oracle_mode_compares_both_systems(tmp_path, capsys):
    summary = run_eval(tmp_path, capsys, "--model", "oracle", "--system", "both", "--task", "dev-0",
                       "--task", "dev-13", "--task", "dev-14", "--trials", "2")
    process, react = summary["process"], summary["react"]
    assert process["pass_hat"].keys() == {"1", "2"}
    assert process["tool_calls"] == react["tool_calls"]  # the perfect ReAct agent makes the same backend calls
    assert react["input_tokens"] > 3 * process["input_tokens"]
    assert react["model_calls"] > process["model_calls"]
    assert process["sequential_calls_per_turn_max"] <= 1
    assert summary["ratios"]["input token reduction"] > 0.5


@pytest.mark.slow
def test_openai_mode_against_a_stub_server(tmp_path, capsys, monkeypatch):
    def respond(request: dict) -> StubReply:
        if request.get("tool_choice"):  # process calling's understanding: structured output
            return StubReply(tool_calls=[{"name": "Understanding", "arguments": {"commands": []}}])
        if request.get("tools"):        # the ReAct agent: answers without tools
            return StubReply(content="Could you tell me your email address?")
        turns = sum(m["role"] == "assistant" for m in request["messages"])
        return StubReply(content="###STOP###" if turns >= 2 else "I want to cancel my order.")  # the customer

    with StubChatServer(respond) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test")
        summary = run_eval(tmp_path, capsys, "--model", "openai:stub-model", "--system", "both", "--limit", "1")
    assert summary["process"]["model_calls"] > 0 and summary["react"]["model_calls"] > 0
    assert summary["process"]["input_tokens"] > 0 and summary["react"]["input_tokens"] > 0


def test_unknown_model_is_a_clear_error(tmp_path, capsys):
    data = taubench_dir()
    code = main(["eval", "--data", str(data), "--model", "gpt5", "--out", str(tmp_path)])
    assert code == 2 and "unknown --model" in capsys.readouterr().err


@pytest.mark.parametrize("split", ["tasks_train.json", "tasks_dev.json"])
def test_every_task_is_parsed(split):
    from procall.evals.scoring import base_store
    from procall.evals.simulator.parse import Unparsed, parse

    data = taubench_dir()
    tasks = json.loads((data / split).read_text())
    backend = base_store(data).open()
    try:
        unparsed = [t["id"] for t in tasks if isinstance(parse(t, backend), Unparsed)]
    finally:
        backend.close()
    assert unparsed == []
