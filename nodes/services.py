"""What nodes need from outside the graph, injected when the graphs are built."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.runnables import RunnableConfig

from ..state.conversation import ConversationState
from ..state.frames import Frame
from ..tools.gateway.context import CallContext, Role
from ..tools.gateway.gateway import Gateway


@dataclass
class Services:
    gateway: Gateway
    role: Role = "customer"

    def context(self, state: ConversationState, config: RunnableConfig | None, frame: Frame | None = None,
                step: str | None = None, confirmed: bool = False) -> CallContext:
        configurable = (config or {}).get("configurable", {})
        customer = state.get("customer")
        return CallContext(
            conversation_id=str(configurable.get("thread_id", "no-thread")),
            customer_id=customer.user_id if customer else None,
            role=self.role,
            process=frame.process if frame else None,
            frame_id=frame.frame_id if frame else None,
            step=step,
            confirmed=confirmed,
        )
