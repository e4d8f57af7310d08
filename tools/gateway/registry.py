"""The tool registry: every backend operation as a named, versioned tool with its contract.

A tool is what callers see; the operation is what the backend runs. The registry adds what
the gateway needs to call it safely (version, timeout, retry safety) and the permission
matrix from the policy file, and exports the contracts as OpenAI / LangChain tool schemas
(the ReAct baseline is given exactly these).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..backend import operations as _operations  # noqa: F401  (registers the operations)
from ..backend.operation import OPERATIONS, Kind, System
from .policy import GatewayPolicy

# Contract versions: bump when a tool's input or output model changes shape.
VERSIONS: dict[str, str] = {name: "1.0" for name in OPERATIONS}

# Fields that name a record owned by a customer, checked against the identified customer.
OWNERSHIP_FIELDS = ("order_id", "payment_method_id", "user_id", "tracking_id")


@dataclass(frozen=True)
class ToolSpec:
    name: str
    version: str
    description: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    kind: Kind
    system: System
    roles: tuple[str, ...]
    timeout_s: float
    # Writes are retry-safe because the gateway gives each one an idempotency key.
    retry_safe: bool = True

    @property
    def is_write(self) -> bool:
        return self.kind == "write"

    def parameters_schema(self) -> dict[str, Any]:
        schema = self.input_model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return schema

    def openai_schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters_schema()},
        }


class ToolRegistry:
    def __init__(self, policy: GatewayPolicy):
        self.policy = policy
        self._tools: dict[str, ToolSpec] = {}
        for name, op in OPERATIONS.items():
            self.register(ToolSpec(
                name=name,
                version=VERSIONS.get(name, "1.0"),
                description=op.description,
                input_model=op.input_model,
                output_model=op.output_model,
                kind=op.kind,
                system=op.system,
                roles=tuple(policy.permissions.get(name, ())),
                timeout_s=policy.limits.write_timeout_s if op.kind == "write" else policy.limits.read_timeout_s,
            ))

    def register(self, spec: ToolSpec) -> None:
        self._tools[spec.name] = spec

    def get(self, name: str) -> ToolSpec | None:
        return self._tools.get(name)

    def list(self) -> list[ToolSpec]:
        return sorted(self._tools.values(), key=lambda t: t.name)

    def openai_schemas(self, names: list[str] | None = None) -> list[dict[str, Any]]:
        return [t.openai_schema() for t in self.list() if names is None or t.name in names]
