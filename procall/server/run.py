"""Starting the server: one process, or N uvicorn workers sharing one home or one Postgres database."""

from __future__ import annotations

import os

from ..config import Settings


def prepare(settings: Settings) -> None:
    """Create what the instances share (store, tables) once, before any worker starts: workers
    starting together would otherwise race to create them."""
    from ..runtime import open_backend, prepare_shared
    from .service import open_records

    open_backend(settings).close()
    prepare_shared(settings)
    open_records(settings).close()


def export(settings: Settings) -> None:
    """Workers build their app from the environment: pass the settings given on the command line on."""
    for name in ("home", "data", "nlu", "model", "database_url"):
        value = getattr(settings, name)
        if value is not None:
            os.environ[f"PROCALL_{name.upper()}"] = str(value)


def serve(settings: Settings, host: str, port: int, workers: int, log_level: str = "warning") -> None:
    import uvicorn

    prepare(settings)
    if workers <= 1:
        from .app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
        return
    export(settings)
    uvicorn.run("procall.server.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level=log_level)
