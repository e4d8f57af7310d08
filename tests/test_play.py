"""`procall play`: one benchmark task played as its customer a message per call, scored like `procall eval`,
saved to the role-played corpus and reported; and the errors a player can make, each one clear line."""

from __future__ import annotations

import json

import pytest

from procall.cli.main import main
from procall.evals import taubench
from procall.evals.roleplay import corpus, session
from procall.evals.roleplay.corpus import Message
from procall.evals.roleplay.summary import summarise


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
@pytest.mark.skipif(not taubench.available(), reason=taubench.missing_reason())
def test_play_a_dev_task_score_save_and_report(tmp_path, capsys, monkeypatch):
    data = str(taubench.data_folder())
    where = ("--data", data, "--home", str(tmp_path / "home"))  # no --tasks: dev-3 is found in tasks_dev.json
    task = next(t for t in taubench.load_tasks("dev") if t["id"] == "dev-3")

    code, out, _ = run(capsys, "play", *where, "dev-3", "instruction")
    assert code == 0 and out.strip() == task["instruction"]
    assert not any(a["name"] in out for a in task["actions"])  # never the gold actions

    for text in ("hi, the jigsaw puzzle I got is missing pieces", "Isabella Brown, zip code 80257"):
        code, out, err = run(capsys, "play", *where, "dev-3", "say", text)
        assert code == 0 and out.strip() and not err
    with monkeypatch.context() as patch:  # the cap, without 30 turns
        patch.setattr(session, "MAX_CUSTOMER_MESSAGES", 2)
        code, _, err = run(capsys, "play", *where, "dev-3", "say", "one more")
    assert code == 2 and "the cap" in err

    code, out, _ = run(capsys, "play", *where, "dev-3", "score")
    scored = json.loads(out)
    assert code == 0 and scored["passed"] is False  # the return was not made yet: the store differs
    assert scored["diff"] == ["order #W7752779: return_items, return_payment_method_id, status"]

    out_dir = tmp_path / "corpus"
    code, out, err = run(capsys, "play", *where, "save", "dev-3", "--friction", "2", "--class", "dialogue",
                         "--at", "2", "--note", "stopped after two messages", "--out", str(out_dir))
    assert code == 0, err
    record = json.loads((out_dir / "dev-3.json").read_text())
    assert record["task_id"] == "dev-3" and record["split"] == "dev" and record["passed"] is False
    assert record["customer_messages"] == 2 and record["failure_class"] == "DIALOGUE"
    assert record["friction"] == [{"number": 2, "text": "Isabella Brown, zip code 80257"}]
    assert record["failed_at"]["customer"] == "Isabella Brown, zip code 80257" and record["failed_at"]["assistant"]
    assert [m["role"] for m in record["messages"]][:3] == ["assistant", "customer", "assistant"]
    assert any(m.get("template_keys") for m in record["messages"])  # replies keep the templates they came from

    code, out, _ = run(capsys, "play", "report", "--json", "--dir", str(out_dir))
    summary = json.loads(out)
    assert code == 0
    assert summary["conversations"] == 1 and summary["pass_rate"] == 0.0 and summary["median_friction"] == 1
    assert summary["failures_by_class"] == {"DIALOGUE": 1} and summary["mean_customer_messages"] == 2


def test_a_missing_tasks_file_is_one_clear_line(tmp_path, capsys):
    code, out, err = run(capsys, "play", "--tasks", str(tmp_path / "nope.json"), "dev-0", "instruction")
    assert code == 2 and not out
    assert f"no tasks file at {tmp_path / 'nope.json'}" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_no_data_anywhere_is_one_clear_line(tmp_path, capsys, monkeypatch):
    for name in (session.TASKS_ENV, session.DATA_ENV, "PROCALL_TAUBENCH_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no ../shared/taubench-retail from here
    code, _, err = run(capsys, "play", "dev-0", "instruction")
    assert code == 2 and "no benchmark data: pass --data DIR" in err and len(err.strip().splitlines()) == 1


def _conversation(task_id: str, passed: bool, replies: list[Message], friction: list[int],
                  failure_class: str | None = None) -> corpus.PlayedConversation:
    messages = [Message(role="assistant", text="Hi! How can I help?")]
    for number, reply in enumerate(replies, 1):
        messages += [Message(role="customer", text=f"message {number}"), reply]
    return corpus.build(task_id=task_id, split="train", passed=passed, diff=[] if passed else ["order #W1: status"],
                        missing_outputs=[], messages=messages, friction=friction, failure_class=failure_class,
                        at=None if passed else 1)


def test_report_counts_friction_failures_and_not_understood_turns():
    keyed = Message(role="assistant", text="Sorry, I didn't quite get that.",
                    template_keys=["conversation.not_understood_in_process"])
    unkeyed = Message(role="assistant", text="Sorry, I didn't catch that.")  # an older record: by its text
    fine = Message(role="assistant", text="Done.", template_keys=["cancel_order.done"])
    # a process's own "didn't catch that" to its question counts too
    process_missed = Message(role="assistant", text="Sorry, I didn't catch that.\nWhich payment method?",
                             template_keys=["change_order_items.didnt_catch", "change_order_items.ask_payment"])
    records = [_conversation("train-1", True, [fine, process_missed], []),
               _conversation("train-2", False, [keyed, fine, fine], [2], "UNDERSTANDING"),
               _conversation("train-3", True, [unkeyed, fine, fine, fine], [2, 3])]
    s = summarise(records)
    assert (s.conversations, s.passed) == (3, 2) and s.pass_rate == pytest.approx(2 / 3)
    assert s.median_friction == 1 and s.friction_per_conversation == {"train-1": 0, "train-2": 1, "train-3": 2}
    assert s.median_customer_messages == 3 and s.mean_customer_messages == 3
    assert s.failures_by_class == {"UNDERSTANDING": 1}
    assert (s.not_understood_turns, s.assistant_turns) == (3, 9)  # the greeting is not a turn


def test_a_record_refuses_what_it_cannot_hold():
    reply = Message(role="assistant", text="Done.")
    with pytest.raises(corpus.CorpusError, match="needs a failure class"):
        _conversation("train-1", False, [reply], [])
    with pytest.raises(corpus.CorpusError, match="no message 3"):
        _conversation("train-1", True, [reply], [3])
    assert corpus.parse_numbers("3, 5") == [3, 5] and corpus.parse_numbers("none") == []
