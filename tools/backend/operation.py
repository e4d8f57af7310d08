"""An operation of the store: a typed function marked read or write, in one backend system.

The decorator only records what the function is; the gateway (`tools/gateway`) decides
who may call it, when, and how often.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

System = Literal["users", "orders", "products", "shipping", "support"]
Kind = Literal["read", "write"]


@dataclass(frozen=True)
class Operation:
    name: str
    kind: Kind
    system: System
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    function: Callable[[sqlite3.Connection, BaseModel], BaseModel]
    description: str

    def __call__(self, conn: sqlite3.Connection, args: BaseModel) -> BaseModel:
        return self.function(conn, args)


OPERATIONS: dict[str, Operation] = {}


def operation(kind: Kind, system: System):
    """Register `fn(conn, args: InputModel) -> OutputModel` as a backend operation."""

    def register(fn):
        hints = fn.__annotations__
        op = Operation(
            name=fn.__name__,
            kind=kind,
            system=system,
            input_model=_resolve(fn, hints["args"]),
            output_model=_resolve(fn, hints["return"]),
            function=fn,
            description=(fn.__doc__ or "").strip(),
        )
        OPERATIONS[op.name] = op
        return fn

    return register


def _resolve(fn, hint):
    if isinstance(hint, str):  # postponed annotations
        return eval(hint, fn.__globals__)  # noqa: S307 - names from our own module
    return hint
