"""Read-only questions: answered from the store, by deterministic code, at any point of a conversation.

Understanding only recognises that a question was asked (and keeps its words); each module here reads
the words, loads what it needs through the gateway at the moment it answers, and says a template. A
question asked in the middle of a process is answered and the process asks its pending question again
(`ProcessSpec.question`; see `nodes/settle.py`).
"""
