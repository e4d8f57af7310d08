"""procall: process calling for customer service on LangGraph."""

from .assistant import Assistant, ConversationView, Reply
from .config import Settings

__all__ = ["Assistant", "ConversationView", "Reply", "Settings"]
