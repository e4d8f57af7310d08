"""`procall play`: play a benchmark task as its customer, one message per call; save and report the corpus.

Only argparse at import: the session, scoring and the assistant are imported when a command runs, so
`procall --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .errors import CLIError

VERBS = ("instruction", "say", "score", "transcript", "reset")
DEFAULT_CORPUS = Path("evals") / "roleplay" / "transcripts"  # relative to the current directory (the repo)
USAGE = """\
  procall play TASK_ID instruction      the customer's instruction (never the gold actions)
  procall play TASK_ID say TEXT         send one customer message, print the assistant's reply
  procall play TASK_ID score            the final store against the gold writes, and the outputs said (JSON)
  procall play TASK_ID transcript       the conversation, customer messages numbered
  procall play TASK_ID reset            forget the conversation and its store, to play the task again
  procall play save TASK_ID [--friction 3,5] [--caught 4] [--class CLASS --at N] [--note TEXT] [--out DIR]
  procall play report [--json] [--dir DIR]

--tasks/--data default to $PLAY_TASKS/$PLAY_DATA (or $PROCALL_TAUBENCH_DIR), else ../shared/taubench-retail
seen from the current directory (a task id is looked up in its tasks_dev.json and tasks_train.json).
Rules for the customer: ../shared/roleplay/README.md."""


def register(commands) -> None:
    parser = commands.add_parser("play", help="play a benchmark task as its customer; save and report the "
                                              "role-played corpus", usage="procall play [options] WORDS...",
                                 description="Play one benchmark task as its customer, one message per call.\n\n"
                                             + USAGE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("words", nargs="+", metavar="WORDS", help="TASK_ID VERB [TEXT], save TASK_ID, or report")
    parser.add_argument("--tasks", type=Path, metavar="FILE", help="a tasks JSON file")
    parser.add_argument("--data", type=Path, metavar="DIR", help="the benchmark's data folder")
    parser.add_argument("--home", type=Path, metavar="DIR", help="where each task's conversation and store are "
                                                                 "kept, one sub-folder per task (default: "
                                                                 "$PLAY_HOME or <tmp>/procall-play)")
    saving = parser.add_argument_group("save")
    saving.add_argument("--friction", metavar="LIST", default="none",
                        help="customer message numbers (as `transcript` numbers them) that repeated or rephrased "
                             "one the assistant misread, e.g. 3,5 (default: none)")
    saving.add_argument("--caught", metavar="LIST", default="none",
                        help="customer message numbers that caught a wrong proposal before saying yes")
    saving.add_argument("--class", dest="failure_class", metavar="CLASS",
                        help="a failure's class: UNDERSTANDING, POLICY/LOGIC, MISSING FEATURE, DIALOGUE or OTHER")
    saving.add_argument("--at", type=int, metavar="N", help="a failure: the customer message where it went wrong")
    saving.add_argument("--note", default="", help="the player's notes")
    saving.add_argument("--split", choices=["dev", "train"], help="the task's split (default: from its file or id)")
    reporting = parser.add_argument_group("save and report")
    reporting.add_argument("--out", "--dir", dest="corpus", type=Path, default=DEFAULT_CORPUS, metavar="DIR",
                           help=f"the corpus folder (default: {DEFAULT_CORPUS})")
    reporting.add_argument("--json", action="store_true", help="report: the summary as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..evals.roleplay.corpus import CorpusError
    from ..evals.roleplay.session import PlayError

    words = args.words
    try:
        if words == ["report"]:
            return _report(args)
        if words[0] == "save" and len(words) == 2:
            return _save(args, words[1])
        if len(words) >= 2 and words[1] in VERBS:
            return _verb(args, words[0], words[1], " ".join(words[2:]))
    except (PlayError, CorpusError) as exc:
        raise CLIError(str(exc)) from None
    raise CLIError(f"cannot read `procall play {' '.join(words)}`: use TASK_ID {'|'.join(VERBS)}, save TASK_ID, "
                   "or report (see procall play -h)")


def _session(args: argparse.Namespace, task_id: str):
    from ..evals.roleplay.session import PlaySession, default_home, find_task, locate

    sources = locate(args.tasks, args.data)
    task, split = find_task(task_id, sources)
    return PlaySession(task, split, sources.data, args.home or default_home())


def _verb(args: argparse.Namespace, task_id: str, verb: str, text: str) -> int:
    from ..evals.roleplay.session import transcript_text

    if verb != "say" and text:
        raise CLIError(f"`{verb}` takes no text")
    session = _session(args, task_id)
    if verb == "instruction":
        print(session.instruction)
    elif verb == "say":
        print(session.say(text))
    elif verb == "transcript":
        messages = session.messages()
        print(transcript_text(messages) if messages else f"(task {task_id} has not been played yet)")
    elif verb == "score":
        score, _ = session.score()
        print(json.dumps({"task": task_id, "passed": score.passed, "db_match": score.db_match, "diff": score.diff,
                          "missing_outputs": score.missing_outputs}))
    else:
        print(f"forgot task {task_id}'s conversation" if session.reset() else f"task {task_id} was not played")
    return 0


def _save(args: argparse.Namespace, task_id: str) -> int:
    from ..evals.roleplay import corpus

    failure_class = args.failure_class.upper() if args.failure_class else None
    if failure_class is not None and failure_class not in corpus.FAILURE_CLASSES:
        raise CLIError(f"--class {args.failure_class!r}: use one of {', '.join(corpus.FAILURE_CLASSES)}")
    friction, caught = corpus.parse_numbers(args.friction), corpus.parse_numbers(args.caught)  # before scoring
    session = _session(args, task_id)
    split = args.split or session.split
    if split is None:
        raise CLIError(f"cannot tell the split of {task_id}: pass --split dev|train")
    score, messages = session.score()
    record = corpus.build(task_id=task_id, split=split, passed=score.passed, diff=score.diff,
                          missing_outputs=score.missing_outputs, messages=messages, friction=friction,
                          caught=caught, failure_class=failure_class, at=args.at, notes=args.note)
    path = corpus.save(record, args.corpus)
    verdict = "passed" if record.passed else f"failed ({record.failure_class})"
    print(f"saved {path}: {verdict}, {record.customer_messages} customer messages, friction {len(record.friction)}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from ..evals.roleplay import corpus
    from ..evals.roleplay.summary import render, summarise

    summary = summarise(corpus.load(args.corpus))
    print(summary.model_dump_json(indent=1) if args.json else render(summary, str(args.corpus)))
    return 0
