"""The command line: the demo, the audit log, clear one-line errors (never a traceback)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from procall.cli.main import main
from procall.llm_stub import StubChatServer, scripted


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_prints_the_three_parts_and_audit_shows_its_calls(home, capsys):
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "I've found your account" in out                        # identification
    assert "Would you like a refund, or to wait for the restock" in out  # missing items: refund or wait
    assert "To confirm: cancel order #W1001002" in out and "is cancelled" in out  # cancellation with its yes
    thread = out.rsplit("--conversation ", 1)[1].split()[0]
    code, out, _ = run(capsys, "audit", "--conversation", thread, "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    tools = {r["tool"] for r in rows}
    assert {"find_user_id_by_name_zip", "get_shipment_status", "report_missing_items", "cancel_pending_order"} <= tools
    assert all(r["conversation"] == thread for r in rows)


@pytest.mark.slow
def test_demo_can_run_twice(home, capsys):
    assert run(capsys, "demo")[0] == 0
    code, out, _ = run(capsys, "demo")
    assert code == 0 and "is cancelled" in out


@pytest.mark.parametrize("argv, message", [
    (["chat", "--data", "/nonexistent/folder"], "data folder not found"),
    (["test-conversations", "/nonexistent.yaml"], "no such file"),
    (["draw", "no_such_graph"], "no graph named"),
    (["audit", "--tool", "x"], "no audit log"),
])
def test_errors_are_one_clear_line(home, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unreachable_llm_endpoint_is_one_line(home, capsys, monkeypatch):
    with StubChatServer(scripted([])) as server:
        url = server.base_url  # closed below: nothing listens there any more
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    code, _, err = run(capsys, "chat", "--nlu", "llm")
    assert code == 2 and "cannot reach the model endpoint" in err and len(err.strip().splitlines()) == 1


def test_bad_option_is_an_argparse_error(home, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["chat", "--nlu", "gpt"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.slow
def test_chat_session_through_the_console_script(home):
    script = "cancel my order\nmia.castillo@example.com\n/quit\n"
    run_ = subprocess.run([sys.executable, "-m", "procall.cli.main", "chat", "--thread", "cli-1"], input=script,
                          capture_output=True, text=True, timeout=120, env={"PROCALL_HOME": str(home), "PATH": ""})
    assert run_.returncode == 0, run_.stderr
    assert "Which order would you like to cancel?" in run_.stdout
    assert "procall chat --thread cli-1" in run_.stdout


def test_a_reader_that_stops_reading_is_no_error(home):
    """`procall … | head`: when the pipe closes early the command stops quietly, as Unix tools do."""
    command = [sys.executable, "-m", "procall.cli.main", "tools", "list", "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={"PROCALL_HOME": str(home), "PATH": ""})
    process.stdout.close()  # nobody reads: every write fails with EPIPE
    _, err = process.communicate(timeout=120)
    assert err == b""
    assert process.returncode == 141


def test_tools_list_and_check(home, capsys):
    code, out, _ = run(capsys, "tools", "list", "--json")
    schemas = json.loads(out)
    assert {s["function"]["name"] for s in schemas} >= {"cancel_pending_order", "get_order_details"}
    code, out, _ = run(capsys, "tools", "check")
    assert code == 0 and "0 drifted" in out


@pytest.mark.slow
def test_draw_writes_a_png(home, tmp_path, capsys):
    out_file = tmp_path / "router.png"
    code, _, _ = run(capsys, "draw", "router", "--format", "png", "--out", str(out_file))
    assert code == 0 and out_file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, _ = run(capsys, "draw", "cancel_order")
    assert code == 0 and "graph TD" in out and "confirm" in out
