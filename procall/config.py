"""All configuration in one place: every setting has a default and can be set from the
environment (PROCALL_<NAME>, or the usual OPENAI_* names for the model endpoint)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROCALL_", extra="ignore", populate_by_name=True)

    home: Path = Field(default=Path.home() / ".procall",
                       description="where conversations, the audit log and store databases are kept")
    data: Path | None = Field(default=None, description="a folder of store JSON files (benchmark shape); "
                                                       "unset: the embedded demo data")
    nlu: Literal["local", "llm"] = Field(default="local", description="how customer messages are understood")
    model: str = Field(default="gpt-4o-mini", description="model name for --nlu llm")
    openai_base_url: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_BASE_URL",
                                                                                    "PROCALL_OPENAI_BASE_URL"))
    openai_api_key: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_API_KEY",
                                                                                   "PROCALL_OPENAI_API_KEY"))
    llm_timeout_s: float = 20.0
    typed_answers_without_model: bool = Field(
        default=True, description="with --nlu llm, read a short typed answer to the pending question (yes/no, "
                                  "an email, a zip, an order id, a number from a list) without calling the model")
    llm_fallback_to_local: bool = Field(default=True, description="if the model endpoint fails, understand "
                                                                  "locally instead of failing the turn")
    role: Literal["customer", "agent", "admin"] = "customer"
    durability: Literal["sync", "async", "exit"] = Field(
        default="exit", description="when conversation checkpoints are written after the customer's message is "
                                    "saved: once at the end of the turn (exit: a crash repeats the rest of the turn, "
                                    "memoised steps and idempotent writes keep that safe), or after every step "
                                    "(sync/async: several times the cost of a turn)")
    gateway_policy: Path | None = Field(default=None, description="a gateway policy YAML (default: the packaged one)")
    cache_dir: Path | None = Field(default=None, description="where the trained intent classifier is cached "
                                                            "(default: <home>/cache)")
    # Serving (`procall serve`) and shared storage for several instances.
    database_url: str | None = Field(
        default=None, description="postgresql://user@host:port/db: keep conversations, the store, the audit log and "
                                  "idempotency records in Postgres so several instances share them (unset: SQLite "
                                  "files under home)")
    db_pool_size: int = Field(default=12, ge=2, description="Postgres connections per pool and process")
    server_token: str | None = Field(default=None, description="if set, the HTTP API requires "
                                                               "'Authorization: Bearer <token>'")
    max_message_chars: int = Field(default=2000, ge=1, description="longest customer message the API accepts")
    turn_wait_s: float = Field(default=30.0, gt=0, description="how long a message waits while the same "
                                                               "conversation's previous message is being answered")

    @property
    def checkpoints_path(self) -> Path:
        return self.home / "conversations.db"

    @property
    def model_cache(self) -> Path:
        return self.cache_dir or self.home / "cache"

    @property
    def audit_path(self) -> Path:
        return self.home / "audit.db"

    @property
    def store_path(self) -> Path:
        if self.data is None:
            return self.home / "stores" / "demo.db"
        source = str(Path(self.data).expanduser().resolve())
        digest = hashlib.sha256(source.encode()).hexdigest()[:10]
        return self.home / "stores" / f"{Path(source).name}-{digest}.db"
