"""procall: process calling for customer service on LangGraph.

The public names are imported on first use (PEP 562), not with the package: every
`procall.x` import runs this file first, and `procall --help` or `procall.config` must not pay
for LangGraph and the whole assistant.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .assistant import Assistant, ConversationView, Reply
    from .config import Settings

__all__ = ["Assistant", "ConversationView", "Reply", "Settings"]

_HOMES = {"Assistant": ".assistant", "ConversationView": ".assistant", "Reply": ".assistant", "Settings": ".config"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'procall' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value  # looked up once; later accesses skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
