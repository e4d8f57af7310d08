"""Where the tau-bench retail data lives and how to read its task files.

The data is never copied into the repository: it is read from `PROCALL_TAUBENCH_DIR`, or from the
repository's sibling folder `../shared/taubench-retail`. Callers that need it (tests, evals) check
`available()` and skip with `MISSING_REASON` when it is absent.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

ENV_VAR = "PROCALL_TAUBENCH_DIR"
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FOLDER = REPO_ROOT.parent / "shared" / "taubench-retail"
TASK_FILES = {"train": "tasks_train.json", "dev": "tasks_dev.json"}


def data_folder() -> Path:
    """The benchmark folder: `$PROCALL_TAUBENCH_DIR` if set, else `<repo>/../shared/taubench-retail`."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured).expanduser().resolve() if configured else DEFAULT_FOLDER.resolve()


def available(folder: Path | None = None) -> bool:
    folder = folder or data_folder()
    names = ("users.json", "orders.json", "products.json", *TASK_FILES.values())
    return all((folder / name).is_file() for name in names)


def missing_reason(folder: Path | None = None) -> str:
    folder = folder or data_folder()
    return f"tau-bench retail data not found at {folder} (set {ENV_VAR} to the folder holding tasks_train.json)"


@lru_cache(maxsize=8)
def _read_tasks(path: str) -> tuple[dict, ...]:
    return tuple(json.loads(Path(path).read_text()))


def load_tasks(split: str, folder: Path | None = None) -> list[dict]:
    """The tasks of `split` ('train' or 'dev'): dicts {id, user_id, instruction, actions, outputs}."""
    folder = folder or data_folder()
    return list(_read_tasks(str(folder / TASK_FILES[split])))
