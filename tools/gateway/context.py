"""Who is calling, for whom, and from where: carried by every gateway call."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Role = Literal["customer", "agent", "admin"]


class CallContext(BaseModel):
    model_config = ConfigDict(frozen=True)

    conversation_id: str
    customer_id: str | None = None  # the identified customer; None until identification succeeds
    role: Role = "customer"
    process: str | None = None
    frame_id: str | None = None
    step: str | None = None
    # Set by a process only after its confirmation step got an explicit yes for exactly this write.
    confirmed: bool = False

    def at(self, *, process: str | None = None, frame_id: str | None = None, step: str | None = None,
           confirmed: bool | None = None) -> CallContext:
        update = {k: v for k, v in dict(process=process, frame_id=frame_id, step=step, confirmed=confirmed).items()
                  if v is not None}
        return self.model_copy(update=update)
