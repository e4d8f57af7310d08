"""Scoring a finished conversation the way tau-bench does.

A task passes when the final store equals the expected one record for record (users, orders,
products, each compared as a whole) and every string of the task's `outputs` was said by the
assistant. The expected store is the gold write actions replayed on a fresh copy of the data
(a gold action that errors is skipped, as the benchmark does).

Building a store from the JSON folder takes about a second, so the base store is built once per
folder and every task gets a byte copy of its SQLite file (milliseconds).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from math import comb
from multiprocessing.util import Finalize
from pathlib import Path

from pydantic import BaseModel, ValidationError

from procall.tools.backend.database import copy_file_database
from procall.tools.backend.errors import BackendError
from procall.tools.backend.operation import OPERATIONS
from procall.tools.backend.store import RetailBackend
from procall.tools.backend.stores import create_store

from . import taubench

COLLECTIONS = ("users", "orders", "products")


# -- fresh stores ----------------------------------------------------------------------------


class BaseStore:
    """A store file built once from a data folder and never written; tasks get copies of it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def build(cls, data_folder: str | Path, path: str | Path) -> BaseStore:
        create_store(path, data_folder).close()  # closed: the file is complete, no WAL left to copy
        return cls(path)

    def open(self) -> RetailBackend:
        """The base store itself, for reading only (e.g. the parser's look-ups)."""
        return RetailBackend.open(self.path)

    def copy(self, target: str | Path) -> RetailBackend:
        return RetailBackend(copy_file_database(self.path, target))

    @contextmanager
    def fresh(self) -> Iterator[RetailBackend]:
        """A throw-away copy of the base store, deleted afterwards."""
        folder = Path(tempfile.mkdtemp(prefix="procall-store-"))
        backend = self.copy(folder / "store.db")
        try:
            yield backend
        finally:
            backend.close()
            shutil.rmtree(folder, ignore_errors=True)


_BASES: dict[Path, BaseStore] = {}


def base_store(data_folder: str | Path | None = None) -> BaseStore:
    """The base store of `data_folder` (default: the tau-bench folder), built on first use in this process."""
    folder = Path(data_folder or taubench.data_folder()).resolve()
    if folder not in _BASES:
        workdir = Path(tempfile.mkdtemp(prefix="procall-base-"))
        Finalize(None, shutil.rmtree, args=(workdir, True), exitpriority=10)  # also in pool workers
        _BASES[folder] = BaseStore.build(folder, workdir / "base.db")
    return _BASES[folder]


def _as_base(source: str | Path | BaseStore | None) -> BaseStore:
    if isinstance(source, BaseStore):
        return source
    if source is not None and Path(source).is_file():  # a store file that is not written to
        return BaseStore(source)
    return base_store(source)


# -- the expected store ----------------------------------------------------------------------


def replay(backend: RetailBackend, actions: list[dict]) -> list[str]:
    """Run the write actions on `backend`, skipping reads; returns the errors of those that failed."""
    errors = []
    for action in actions:
        op = OPERATIONS.get(action["name"])
        if op is None:
            errors.append(f"{action['name']}: unknown operation")
            continue
        if op.kind != "write":
            continue
        try:
            backend.execute(op.name, op.input_model(**action["kwargs"]))
        except (BackendError, ValidationError) as exc:  # the benchmark ignores a failing gold action
            errors.append(f"{action['name']}: {getattr(exc, 'message', exc)}")
    return errors


def expected_state(task: dict, source: str | Path | BaseStore | None = None) -> dict:
    """The store after the task's gold writes. `source`: a data folder, a base store (object or file),
    or None for the tau-bench folder."""
    with _as_base(source).fresh() as backend:
        replay(backend, task["actions"])
        return backend.dump()


# Every table the benchmark's records are made of, in a canonical order.
_RECORD_TABLES = {
    "users": "user_id", "payment_methods": "user_id, payment_method_id", "user_orders": "user_id, position",
    "products": "product_id", "variants": "product_id, item_id", "orders": "order_id",
    "order_items": "order_id, position", "fulfillments": "order_id, position", "payment_history": "order_id, position",
}


def fingerprint(backend: RetailBackend) -> str:
    """A digest of every record's rows: equal digests mean equal stores (a dump takes ~100 ms, this ~10 ms)."""
    digest = hashlib.sha256()
    conn = backend.db.connection
    for table, order in _RECORD_TABLES.items():
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY {order}"):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


class ExpectedStore:
    """The store a task should end in: its fingerprint at once, the full dump only when a diff is needed."""

    def __init__(self, task: dict, source: str | Path | BaseStore | None = None):
        self.task, self.base = task, _as_base(source)
        with self.base.fresh() as backend:
            replay(backend, task["actions"])
            self.fingerprint = fingerprint(backend)
        self._dump: dict | None = None

    @property
    def dump(self) -> dict:
        if self._dump is None:
            self._dump = expected_state(self.task, self.base)
        return self._dump


def score_store(task: dict, backend: RetailBackend, said_texts: list[str], expected: ExpectedStore) -> Score:
    """Like `score`, from the final store itself: compared by fingerprint, dumped only if it differs."""
    diff = [] if fingerprint(backend) == expected.fingerprint else diff_dumps(expected.dump, backend.dump())
    missing = missing_outputs(task.get("outputs", []), said_texts)
    return Score(passed=not diff and not missing, db_match=not diff, missing_outputs=missing, diff=diff)


# -- the score -------------------------------------------------------------------------------


class Score(BaseModel):
    passed: bool
    db_match: bool
    missing_outputs: list[str]
    diff: list[str]  # the records that differ, for reports


def diff_dumps(expected: dict, actual: dict) -> list[str]:
    """'order #W1234567: status, payment_history' for every record not equal as a whole."""
    lines = []
    for collection in COLLECTIONS:
        want, got = expected.get(collection, {}), actual.get(collection, {})
        kind = collection[:-1]
        for key in sorted(set(want) | set(got)):
            if key not in got:
                lines.append(f"{kind} {key}: missing")
            elif key not in want:
                lines.append(f"{kind} {key}: unexpected")
            elif want[key] != got[key]:
                fields = sorted(f for f in set(want[key]) | set(got[key]) if want[key].get(f) != got[key].get(f))
                lines.append(f"{kind} {key}: {', '.join(fields)}")
    return lines


def _plain(text: str) -> str:
    """Lower case, and no thousands commas in numbers ('1,234.56' -> '1234.56')."""
    return re.sub(r"(?<=\d),(?=\d)", "", text.lower())


def missing_outputs(outputs: list[str], said_texts: list[str]) -> list[str]:
    said = [_plain(t) for t in said_texts]
    return [o for o in outputs if not any(_plain(o) in s for s in said)]


def score(task: dict, final_dump: dict, said_texts: list[str], *, expected: dict | None = None,
          source: str | Path | BaseStore | None = None) -> Score:
    """Score a conversation's outcome. `expected` (the expected dump) is computed from `source` when
    not given; pass it when scoring several trials of one task."""
    if expected is None:
        expected = expected_state(task, source)
    diff = diff_dumps(expected, final_dump)
    missing = missing_outputs(task.get("outputs", []), said_texts)
    return Score(passed=not diff and not missing, db_match=not diff, missing_outputs=missing, diff=diff)


def pass_hat_k(successes_per_task: list[tuple[int, int]], k: int) -> float:
    """pass^k: the mean over tasks of C(c, k) / C(n, k), the chance that k trials drawn from the n run
    all pass (c of them passed)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    if not successes_per_task:
        raise ValueError("no tasks")
    total = 0.0
    for c, n in successes_per_task:
        if n < k:
            raise ValueError(f"{n} trials cannot give pass^{k}")
        if not 0 <= c <= n:
            raise ValueError(f"{c} successes out of {n} trials")
        total += comb(c, k) / comb(n, k)
    return total / len(successes_per_task)
