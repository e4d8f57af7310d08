"""The gateway's policy file, typed."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from .context import Role


class AggregationRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    systems: list[str] = Field(min_length=2)
    reason: str = "these systems' data may not be combined without a review"


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_attempts: int = Field(default=3, ge=1, le=3)
    backoff_base_ms: float = 20
    read_timeout_s: float = 2.0
    write_timeout_s: float = 5.0
    max_result_chars: int = 4000
    max_parallel_reads: int = 8


class CircuitBreakerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    failure_threshold: int = 5
    cooldown_s: float = 30


class SpeakerLookups(BaseModel):
    """Look-ups that turn an email, or a name and zip code, into a user id: for `roles`, they only
    identify the speaker (see authorization.screen_lookup)."""
    model_config = ConfigDict(extra="forbid")
    tools: list[str] = ["find_user_id_by_email", "find_user_id_by_name_zip"]
    roles: list[Role] = ["customer"]


class GatewayPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    permissions: dict[str, list[Role]]
    ownership_exempt_roles: list[Role] = ["admin"]
    speaker_lookups: SpeakerLookups = SpeakerLookups()
    aggregation_rules: list[AggregationRule] = []
    limits: Limits = Limits()
    circuit_breaker: CircuitBreakerSettings = CircuitBreakerSettings()

    @classmethod
    def load(cls, path: str | Path | None = None) -> GatewayPolicy:
        text = Path(path).read_text() if path else files("procall.tools.gateway").joinpath("policy.yaml").read_text()
        return cls.model_validate(yaml.safe_load(text))
