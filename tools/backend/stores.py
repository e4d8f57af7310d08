"""Store databases on disk: created on first use from a data folder (or the embedded demo data)."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from .database import Database
from .loader import load_folder
from .store import RetailBackend


def demo_data_folder():
    return files("procall.tools.backend").joinpath("demo_data")


def create_store(path: str | Path, data: str | Path | None = None) -> RetailBackend:
    """A new store database at `path`, filled from `data` (default: the demo data). Replaces any old one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(path.name + ".building")
    for target in (building, path):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    db = Database(building)
    try:
        if data is None:
            with as_file(demo_data_folder()) as folder:
                load_folder(db, folder)
        else:
            load_folder(db, data)
        db.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    # Only a complete store gets the real name, so a failed load never leaves a half-filled one behind.
    building.replace(path)
    for suffix in ("-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    return RetailBackend(Database(path))


def open_store(path: str | Path, data: str | Path | None = None) -> RetailBackend:
    """The store at `path`, created first if it does not exist yet."""
    path = Path(path)
    if not path.exists():
        return create_store(path, data)
    return RetailBackend(Database(path))
