"""Store databases on disk: created on first use from a data folder (or the embedded demo data).

Several processes may start on one home at once, so a store is never built under its real name and
never deleted while it may be in use: it is built in a file of its own (unique name), closed, and
only then given the real name. `open_store` does that only if no store exists yet (under a file lock,
and with a link that fails rather than replace one that appeared meanwhile); `create_store` replaces
an old store on purpose (a fresh store for a demo run, a test, an eval base).
"""

from __future__ import annotations

import os
import uuid
from importlib.resources import as_file, files
from pathlib import Path

from .database import Database, setup_lock
from .loader import load_folder
from .store import RetailBackend


def demo_data_folder():
    return files("procall.tools.backend").joinpath("demo_data")


def _build(path: Path, data: str | Path | None) -> Path:
    """A complete store in a new file next to `path` (a name no other process uses); returns that file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f"{path.name}.building-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    db = Database(building)
    try:
        if data is None:
            with as_file(demo_data_folder()) as folder:
                load_folder(db, folder)
        else:
            load_folder(db, data)
        db.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        db.close()
        _remove(building)
        raise
    db.close()  # the last connection: SQLite folds the WAL into the file, which is now complete
    for suffix in ("-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    return building


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def create_store(path: str | Path, data: str | Path | None = None) -> RetailBackend:
    """A new store database at `path`, filled from `data` (default: the demo data). Replaces any old one,
    so only for a store nobody else is using."""
    path = Path(path)
    building = _build(path, data)
    # The old store's WAL must not be replayed into the new file.
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    building.replace(path)  # atomic: readers see the old file or the complete new one
    return RetailBackend(Database(path))


def open_store(path: str | Path, data: str | Path | None = None) -> RetailBackend:
    """The store at `path`, created first if it does not exist yet (safe with other processes doing
    the same: one builds it, the others wait for it and open it)."""
    path = Path(path)
    if not path.exists():
        with setup_lock(path):
            if not path.exists():
                building = _build(path, data)
                try:
                    os.link(building, path)  # takes the name only if it is still free; never replaces
                except FileExistsError:
                    pass  # a process that ignores the lock made it first: use theirs
                finally:
                    building.unlink()
    return RetailBackend(Database(path))
