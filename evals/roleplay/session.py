"""One benchmark task played as its customer, one message per call.

Each task's conversation and store live in `<home>/<task id>/`, so every call is a fresh process that
resumes the conversation from SQLite, and the final store is scored like `procall eval` scores it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .corpus import Message

if TYPE_CHECKING:
    from procall import Assistant

    from ..scoring import Score

# The benchmark's user-simulator cap (../shared/roleplay/README.md): a customer says at most 30 messages.
MAX_CUSTOMER_MESSAGES = 30
TASKS_ENV, DATA_ENV, HOME_ENV = "PLAY_TASKS", "PLAY_DATA", "PLAY_HOME"
SIBLING_DATA = Path("..") / "shared" / "taubench-retail"  # relative to the current directory
SPLIT_FILES = {"dev": "tasks_dev.json", "train": "tasks_train.json"}

Split = Literal["dev", "train"]


class PlayError(Exception):
    """Something the player can fix (no data folder, an unknown task, a task not played yet)."""


@dataclass(frozen=True)
class Sources:
    tasks: tuple[Path, ...]   # the task files to look a task id up in
    data: Path                # the benchmark's data folder (users, orders, products)


def locate(tasks: Path | None, data: Path | None, env: Mapping[str, str] | None = None,
           cwd: Path | None = None) -> Sources:
    """--tasks/--data, else $PLAY_TASKS/$PLAY_DATA (or $PROCALL_TAUBENCH_DIR), else ../shared/taubench-retail
    seen from the current directory. Without --tasks a task id is looked up in the folder's dev and train files."""
    env = os.environ if env is None else env
    cwd = cwd or Path.cwd()
    tasks = tasks or (Path(env[TASKS_ENV]) if env.get(TASKS_ENV) else None)
    if tasks is not None and not tasks.is_file():
        raise PlayError(f"no tasks file at {tasks}")
    data = data or next((Path(env[name]) for name in (DATA_ENV, "PROCALL_TAUBENCH_DIR") if env.get(name)), None)
    if data is None:
        if not (cwd / SIBLING_DATA).is_dir():
            raise PlayError(f"no benchmark data: pass --data DIR (and --tasks FILE) or set {DATA_ENV}; "
                            f"{SIBLING_DATA} does not exist here")
        data = (cwd / SIBLING_DATA).resolve()
    if not data.is_dir():
        raise PlayError(f"no benchmark data folder at {data}")
    files = (tasks,) if tasks else tuple(data / name for name in SPLIT_FILES.values() if (data / name).is_file())
    if not files:
        raise PlayError(f"no tasks file in {data} (pass --tasks FILE)")
    return Sources(tasks=files, data=data)


def default_home(env: Mapping[str, str] | None = None) -> Path:
    import tempfile

    env = os.environ if env is None else env
    return Path(env[HOME_ENV]) if env.get(HOME_ENV) else Path(tempfile.gettempdir()) / "procall-play"


def split_of(task_id: str, tasks_file: Path) -> Split | None:
    """'dev' or 'train', from the task file's name or else the task id's prefix; None if neither tells."""
    for split, name in SPLIT_FILES.items():
        if tasks_file.name == name or task_id.startswith(f"{split}-"):
            return split  # type: ignore[return-value]
    return None


def find_task(task_id: str, sources: Sources) -> tuple[dict, Split | None]:
    for path in sources.tasks:
        try:
            tasks = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise PlayError(f"cannot read the tasks file {path}: {exc}") from None
        for task in tasks:
            if task.get("id") == task_id:
                return task, task.get("split") or split_of(task_id, path)  # a task may say its split
    raise PlayError(f"no task {task_id!r} in {', '.join(str(p) for p in sources.tasks)}")


class PlaySession:
    """A task's conversation in `<home>/<task id>/`; the thread id is the task id."""

    def __init__(self, task: dict, split: Split | None, data: Path, home: Path):
        self.task, self.split, self.data = task, split, data
        self.task_id: str = task["id"]
        self.folder = home / self.task_id

    @property
    def instruction(self) -> str:
        return self.task["instruction"]  # never the gold actions: the player must not see them

    @property
    def started(self) -> bool:
        return (self.folder / "conversations.db").is_file()

    @contextmanager
    def _assistant(self) -> Iterator[Assistant]:
        from procall import Assistant, Settings

        # Local understanding always: the role-played customer measures the assistant as shipped offline.
        bot = Assistant(Settings(home=self.folder, data=self.data, nlu="local"))
        try:
            yield bot
        finally:
            bot.close()

    def _require_started(self) -> None:
        if not self.started:
            raise PlayError(f"task {self.task_id} has not been played in {self.folder.parent} yet "
                            f"(start with: procall play {self.task_id} say \"...\")")

    def say(self, text: str) -> str:
        if not text.strip():
            raise PlayError("say what? (procall play TASK_ID say \"message\")")
        with self._assistant() as bot:
            said = sum(1 for m in _messages(bot, self.task_id) if m.role == "customer")
            if said >= MAX_CUSTOMER_MESSAGES:
                raise PlayError(f"the customer has said {said} messages, the cap; score and save the conversation")
            return bot.send(self.task_id, text).text

    def messages(self) -> list[Message]:
        if not self.started:
            return []
        with self._assistant() as bot:
            return _messages(bot, self.task_id)

    def score(self) -> tuple[Score, list[Message]]:
        """The final store against the gold writes, and the outputs said, exactly as `procall eval` scores."""
        from ..scoring import score

        self._require_started()
        with self._assistant() as bot:
            messages = _messages(bot, self.task_id)
            said = [m.text for m in messages if m.role == "assistant"]
            return score(self.task, bot.backend.dump(), said, source=self.data), messages

    def reset(self) -> bool:
        """Forget the conversation and its store, to play the task again. True if there was one."""
        existed = self.folder.exists()
        shutil.rmtree(self.folder, ignore_errors=True)
        return existed


def _messages(bot: Assistant, thread_id: str) -> list[Message]:
    """The whole conversation (the state keeps only its last messages: procall/transcript.py), with each
    assistant message's template keys."""
    values = bot.graph.get_state({"configurable": {"thread_id": thread_id}}).values
    return [Message(role=e.role, text=e.text, template_keys=e.template_keys)
            for e in bot.transcript.entries(thread_id, values.get("messages") or [])]


def transcript_text(messages: list[Message]) -> str:
    """The conversation as text, customer messages numbered as `save --friction/--at` refer to them."""
    lines, number = [], 0
    for m in messages:
        if m.role == "customer":
            number += 1
            lines.append(f"[{number}] customer: {m.text}")
        else:
            lines.append("assistant: " + re.sub(r"\n", "\n           ", m.text))
    return "\n\n".join(lines)
