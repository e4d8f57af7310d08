"""What a customer types, made safe to keep and to repeat: plain text, and bounded.

Customer text is repeated in replies (an address in a confirmation, a name) and stored (the
conversation's checkpoints, the hand-off summary, an address written to the store). So markup is
stripped where a message enters the conversation, and a message longer than what understanding
reads is cut there, with a note of its length: every checkpoint stores the whole message history,
so an uncut 50,000-character message would be stored again at every step of every later turn.
"""

from __future__ import annotations

import re

MAX_MESSAGE_CHARS = 2000  # what understanding reads of a message; the rest is stored as a note of its length

# A script or style element (its content is code, not words), a tag, a comment, a doctype or a
# processing instruction: anything a browser would read as markup (with the spaces before it, so
# removing it leaves no stray space before a comma); tags in a row go as one.
_ELEMENT = r"<(script|style)\b[^>]*>.*?(?:</\3\s*>|\Z)|<!--.*?(?:-->|\Z)|<[A-Za-z/!?][^<>]*>"
_MARKUP = re.compile(rf"(?<![ \t])([ \t]*)((?:{_ELEMENT})+)", re.DOTALL | re.IGNORECASE)
# What is left of a tag that was never closed ("<img src=x onerror=..."): drop its "<" so no HTML
# parser can start an element there. A "<" before a space or digit ("a < b", "<3") is kept.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_CUT_NOTE = re.compile(r" \[… message cut: ([\d,]+) characters\]\Z")


def _gap(match: re.Match[str]) -> str:
    """What a removed tag leaves: a space where it separated two words ("Mia<br>Castillo")."""
    text, start, end = match.string, match.start(), match.end()
    after = text[end:end + 1]
    if not after or after.isspace() or after in ",.;:!?)]}'\"":
        return ""
    return " " if match.group(1) or (start > 0 and not text[start - 1].isspace()) else ""


def plain_text(text: str) -> str:
    """The text without markup: tags are removed (their words, not their attributes, stay), so
    `<b>Paris</b>` is `Paris`; `<img src=x onerror=alert(1)>` and `<script>...</script>` are nothing."""
    if "<" not in text:
        return text
    return _TAG_OPEN.sub("", _MARKUP.sub(_gap, text))


def cut_note(length: int) -> str:
    return f" [… message cut: {length:,} characters]"


def customer_message(text: str) -> str:
    """A customer's message as the conversation keeps it: cut to what is read, with a note of the
    length it had, and plain text. A message cut before (by `Assistant.send`) keeps its note. It is
    cut before markup is stripped, so stripping never works on more than what is kept."""
    note = _CUT_NOTE.search(text)
    if note is not None and note.start() <= MAX_MESSAGE_CHARS:
        return plain_text(text[:note.start()]).strip() + note.group(0)
    length = len(text)
    kept = text[:MAX_MESSAGE_CHARS]
    if "<" in kept:
        kept = plain_text(kept).strip()
    return kept + cut_note(length) if length > MAX_MESSAGE_CHARS else kept
