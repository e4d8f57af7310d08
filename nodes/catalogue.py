"""The catalogue of processes the assistant knows: what understanding chooses from and what the
command processor needs to know about each process's steps."""

from __future__ import annotations

from dataclasses import dataclass, field

from .process_spec import ProcessSpec


@dataclass(frozen=True)
class ProcessEntry:
    spec: ProcessSpec
    steps: tuple[str, ...]                      # in the order the process declares them
    slot_steps: dict[str, str] = field(default_factory=dict)  # slot -> the step that collects it


@dataclass(frozen=True)
class Catalogue:
    entries: tuple[ProcessEntry, ...]

    def get(self, name: str) -> ProcessEntry | None:
        return next((e for e in self.entries if e.spec.name == name), None)

    def spec(self, name: str) -> ProcessSpec:
        entry = self.get(name)
        if entry is None:
            raise KeyError(name)
        return entry.spec

    @property
    def requests(self) -> list[ProcessSpec]:
        """Processes a customer can ask for (not the repair patterns)."""
        return [e.spec for e in self.entries if not e.spec.pattern]

    @property
    def names(self) -> list[str]:
        return [e.spec.name for e in self.entries]

    def resume_step(self, process: str, slot: str, current: str | None) -> str | None:
        """Where a process continues after `slot` was corrected: the earlier of its collect step and `current`."""
        entry = self.get(process)
        if entry is None or slot not in entry.slot_steps:
            return current
        owner = entry.slot_steps[slot]
        if current is None or current not in entry.steps:
            return owner
        return owner if entry.steps.index(owner) < entry.steps.index(current) else current
