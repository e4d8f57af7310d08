"""Typed answers without a model: when the active process asked for an email, a zip code, a yes or
no, an order id or one of a numbered list, and the customer's short reply is exactly such a value,
it is read by the typed extractors and the model is not called.

A model is for what only a model can read; "yes", "2" or "#W1234567" are not that. Anything longer
or less certain still goes to the model. Three readings go a little further, each only when every
word of the message is accounted for (so nothing in it could say more):

- a goodbye with nothing pending ("No, that will be all. Have a good day."): a no or a thanks, read
  by the confirmation gate's grammar, plus sign-off words and nothing else;
- identity facts in their usual frame ("My name is Mia Silva and my zip code is 95173."): the values
  the extractors found, plus the words that frame them and nothing else;
- a one-slip typo of an offered choice or of an ordinal ("The firrst one.", "Use PyaPal.") is mended
  before the short answer is read, when exactly one offered word is that close.
"""

from __future__ import annotations

import re

from ...state.commands import Goodbye, SetSlot, Understanding
from ..confirmation_gate import HEDGE, read_reply
from .base import ActiveQuestion, UnderstandingRequest
from .local.extractors import bare_yes_no
from .local.understander import TEXT_KINDS, LocalUnderstander

TYPED_KINDS = {"yes_no", "email", "zip", "identity", "person_name", "order_id", "choice", "payment_method", "reason"}
IDENTITY = {"email", "first_name", "last_name", "zip"}
IDENTITY_KINDS = ("identity", "email", "zip", "person_name")
MAX_WORDS = 6
# A goodbye or identity facts in their frame are read whole, word by word; still, a long message is the model's.
MAX_FRAMED_WORDS = 16
# Words that close a conversation, besides what the confirmation gate already reads as politeness or as a no
# ("that will be all", "have a good day", "bye"). None of them asks, changes or refuses anything.
SIGN_OFF = frozenset({
    "bye", "goodbye", "byebye", "cya", "have", "nice", "lovely", "wonderful", "day", "evening", "night", "weekend",
    "afternoon", "morning", "take", "care", "will", "be", "all", "that'll", "thatll", "need", "needed", "needs",
    "help", "helping", "helpful", "appreciate", "appreciated", "your", "yours", "much", "else", "anything",
    "nothing", "today", "for", "now", "a", "good", "great", "one", "you", "too", "again", "there", "i'm", "im",
    "was", "were", "what", "wanted", "bit", "you've", "been", "very", "kind",
})
# Words around identity facts in their usual frame ("my name is …, my zip code is …").
IDENTITY_FRAME = frozenset({
    "my", "name", "names", "full", "first", "last", "surname", "is", "are", "and", "zip", "zipcode", "postal",
    "code", "email", "e", "mail", "address", "i", "i'm", "im", "am", "it's", "its", "it", "this", "here", "hi",
    "hello", "hey", "the", "please", "thanks", "thank", "you", "sure", "ok", "okay", "yes", "of", "as", "with",
    "under", "that", "s",
})
WORDS = re.compile(r"[a-z0-9']+")
# Typos are mended only in answers picking from a list, in words of at least MEND_MIN letters, towards the
# ordinals that pick by position (not "one" .. "nine": "there" is "three" with two letters swapped) and the
# offered choices' own words.
MENDED_KINDS = {"choice", "payment_method", "reason", "order_id"}
MENDED_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
MEND_MIN = 5
NOT_TYPOS = frozenset({"forth"})  # a word in its own right, one letter short of "fourth"


def typed_answer(local: LocalUnderstander, request: UnderstandingRequest) -> Understanding | None:
    """The local reading, if it is a typed answer to the pending question and nothing else; else None.
    With nothing pending, a plain goodbye ("no, that's all, thanks") counts as one: the answer to
    "anything else?"."""
    question = request.question
    if question is None and request.active_process is None:
        return _goodbye(local, request)
    if question is None or question.kind not in TYPED_KINDS:
        return None
    if question.kind in IDENTITY_KINDS and len(request.text.split()) > MAX_WORDS:
        return _framed_identity(local, request)
    if len(request.text.split()) > MAX_WORDS:
        return None
    mended = _mended(request.text, question)
    if mended != request.text:
        request = request.model_copy(update={"text": mended})
    result = local.understand(request)
    if question.kind == "yes_no" and _hedged(request.text):
        return None
    if question.kind == "yes_no" and bare_yes_no(request.text) is not None:
        # Nothing but the answer: the local reading's guesses for other slots (made in case a
        # confirmation carries a change) have nothing to read, so they need no model either.
        answer = [c for c in result.commands if isinstance(c, SetSlot) and c.slot == question.slot]
        return result.model_copy(update={"commands": answer}) if answer else None
    allowed = IDENTITY if question.kind in IDENTITY_KINDS else {question.slot}
    commands = result.commands
    if not commands or not all(isinstance(c, SetSlot) and c.slot in allowed for c in commands):
        return None
    if question.kind in TEXT_KINDS and any(c.value == request.text for c in commands):
        return None  # free text passed on as it is: a value only a reader can make sense of
    return result


def _goodbye(local: LocalUnderstander, request: UnderstandingRequest) -> Understanding | None:
    """A goodbye with nothing pending: the local reading is a goodbye and every word is a no, politeness or a
    sign-off. A question, a hedge, an assent that may start something ("yes, one more thing") or any other
    word ("no, cancel it", "bye, and send me the receipt") goes to the model."""
    text = request.text
    if "?" in text or len(text.split()) > MAX_FRAMED_WORDS:
        return None
    reading = read_reply(text)
    if reading.answer == "yes" or reading.reason not in ("negation", "content") or _hedged(text):
        return None
    if not set(reading.unknown) <= SIGN_OFF:
        return None
    result = local.understand(request)
    if len(result.commands) == 1 and isinstance(result.commands[0], Goodbye) and result.confidence >= 0.6:
        return result
    return None


def _hedged(text: str) -> bool:
    """A no said with a hedge ("no wait", "no, hold on"): the gate reads it as a no, and nothing is written
    on it; but the customer may be about to say more, so the model reads it."""
    return any(w in HEDGE for w in WORDS.findall(text.lower()))


def _framed_identity(local: LocalUnderstander, request: UnderstandingRequest) -> Understanding | None:
    """Identity facts said in their usual frame: what is left of the message without the values found is
    only the frame's words ("my name is … and my zip code is …"), no digit and no other word."""
    if len(request.text.split()) > MAX_FRAMED_WORDS or "?" in request.text:
        return None
    result = local.understand(request)
    commands = result.commands
    if not commands or not all(isinstance(c, SetSlot) and c.slot in IDENTITY for c in commands):
        return None
    rest = request.text.lower()
    for command in commands:
        value = str(command.value).lower()
        if not value or value in IDENTITY_FRAME or value not in rest:
            return None  # a value not said as it is, or a frame word taken for a name: not certain
        rest = rest.replace(value, " ", 1)
    words = WORDS.findall(rest)
    if any(w not in IDENTITY_FRAME for w in words):
        return None
    return result


def _mended(text: str, question: ActiveQuestion) -> str:
    """The text with a typo of an offered choice's word or of an ordinal mended ("firrst" -> "first",
    "PyaPal" -> "paypal"), when exactly one such word is that close; otherwise the text as it is."""
    if question.kind not in MENDED_KINDS or not question.choices:
        return text
    targets = set(MENDED_ORDINALS)
    for choice in question.choices:
        targets |= set(WORDS.findall(f"{choice.value} {choice.label}".lower().replace("_", " ")))
    targets = {t for t in targets if len(t) >= MEND_MIN and t.isalpha()}

    def mend(match: re.Match) -> str:
        word = match.group().lower()
        if len(word) < MEND_MIN or word in targets or word in NOT_TYPOS:
            return match.group()
        close = [t for t in targets if _slip(word, t)]
        return close[0] if len(close) == 1 else match.group()

    return re.sub(r"[A-Za-z]+", mend, text)


def _slip(word: str, target: str) -> bool:
    """Is `word` `target` with two neighbouring letters swapped, a letter doubled or a letter dropped?
    (Not a letter changed: that mostly makes another real word, "fifty" for "fifth".)"""
    if len(word) == len(target):
        diff = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        return len(diff) == 2 and diff[1] == diff[0] + 1 and word[diff[0]] == target[diff[1]] \
            and word[diff[1]] == target[diff[0]]
    if len(word) == len(target) + 1:
        return any(word[:i] + word[i + 1:] == target and word[i] in (word[i - 1:i] + word[i + 1:i + 2])
                   for i in range(len(word)))
    if len(word) + 1 == len(target):
        return any(target[:i] + target[i + 1:] == word for i in range(len(target)))
    return False
