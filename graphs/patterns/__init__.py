"""Conversation repair as ordinary processes (pattern frames): continue an interrupted
process, clarify between processes, offer a person. Cancel, correction, small talk and
out-of-scope need no turn of their own and are applied directly (`nodes/apply.py`)."""
