"""The command schema a language model answers in, and its reading back into `Understanding`.

`state/commands.py` stays the typed boundary; this is only the wire shape sent to the model. The
pydantic schema of `Understanding` costs about 970 prompt tokens on every call (titles, defaults,
a discriminated union, descriptions repeating the rules); this one is flat and bare: each command
is one object with a `kind` and the fields of that kind, and what each kind means is said once,
in the prompt's rules. So a model may fill fields its kind does not have, or send nulls: reading
back keeps only the fields of the command's kind, then validates into the typed command.
"""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from ...state.commands import Command, StartProcess, Understanding

TOOL_NAME = "Understanding"  # the function the model must call (a model that answers by name finds it)

# kind -> command class, from the union itself, so a new command kind reaches the schema
COMMANDS: dict[str, type[BaseModel]] = {cls.model_fields["kind"].default: cls
                                        for cls in get_args(get_args(Command)[0])}

# In OpenAI's function format, which both tool calling and a json_schema response format accept
FUNCTION: dict[str, Any] = {
    "name": TOOL_NAME,  # no description: the prompt's rules say what each command means
    "parameters": {"type": "object", "required": ["commands"], "properties": {"commands": {
        "type": "array", "items": {"type": "object", "required": ["kind"], "properties": {
            "kind": {"enum": list(COMMANDS)},
            "process": {"type": "string"},
            "slots": {"type": "object"},
            "slot": {"type": "string"},
            "value": {},
            "extend": {"type": "boolean"},
            "options": {"type": "array", "items": {"type": "string"}},
            "request": {"type": "string"},
        }}}}},
}
TOOL: dict[str, Any] = {"type": "function", "function": FUNCTION}


class UnreadableCommands(ValueError):
    """The model's answer is not a list of known commands."""


def read(args: Any) -> Understanding:
    """The model's tool-call arguments as typed commands. Fields another kind has, and nulls, are
    dropped; `slots` may be an object (`{"order_id": "#W1"}`, as the schema says) or a list of
    `{name, value}` (the typed shape)."""
    if not isinstance(args, dict) or not isinstance(args.get("commands", []), list):
        raise UnreadableCommands(f"expected {{'commands': [...]}}, got {args!r:.200}")
    commands = []
    for raw in args.get("commands", []):
        cls = COMMANDS.get(raw.get("kind")) if isinstance(raw, dict) else None
        if cls is None:
            raise UnreadableCommands(f"not a known command: {raw!r:.200}")
        fields = {k: v for k, v in raw.items() if k in cls.model_fields and v is not None}
        if isinstance(fields.get("slots"), dict):
            fields["slots"] = [{"name": k, "value": v} for k, v in fields["slots"].items() if v is not None]
        try:
            commands.append(cls.model_validate(fields))
        except ValidationError as exc:
            raise UnreadableCommands(f"{raw!r:.200}: {exc}") from exc
    return Understanding(commands=commands)


def written(understanding: Understanding) -> dict[str, Any]:
    """Typed commands in the schema's shape: what a model following the schema sends (for scripted
    and fake models)."""
    commands = []
    for command in understanding.commands:
        out: dict[str, Any] = command.model_dump(mode="json", exclude_defaults=True)
        out["kind"] = command.kind
        names = [s.name for s in command.slots] if isinstance(command, StartProcess) else []
        if names and len(set(names)) == len(names):  # the object form cannot hold a slot twice
            out["slots"] = {s.name: s.value for s in command.slots}
        commands.append(out)
    return {"commands": commands}

