"""The confirmation gate: is the customer's reply, in their own words, an explicit yes?

Nothing changes without the customer's explicit yes to exactly that change. Whatever understood
the message (the local classifier or a language model) only *proposes* an answer; this module
reads the customer's words and decides, deterministically. A write runs only when both agree.

The reading is a small grammar over the words of the reply, not a list of accepted sentences:

- a **yes** is made only of assent ("yes", "go ahead", "sounds good"), politeness ("please",
  "thanks") and words that restate the action being confirmed ("cancel it", "return them") where
  those words are in the details that were listed. Anything else in the reply (a condition, a
  question, a change, a hedge, another value) means the reply says more than yes: it is *unclear*
  and the assistant asks again after acting on the rest;
- a **no** is any negation whose last word of polarity is negative ("absolutely not", "ok wait,
  no", "perfect, but no", "yes... no"); negation followed by assent ("no, yes") is unclear;
- a question ("yes?", "can you confirm the amount"), a hedge ("not sure", "let me think"),
  a condition ("sure, but first ...") or sarcasm ("yeah right") is never a yes.

Typos of the strong assent words ("yse", "okya", "proceeed") are forgiven by edit distance;
typos never turn a word into a yes when it is as close to a negation.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz.distance import OSA

from .yes_no import as_bool

Answer = Literal["yes", "no", "unclear"]
Reason = Literal["assent", "negation", "question", "hedge", "sarcasm", "content", "mixed", "empty", "exclusion"]

# Words that say yes on their own (at least one must be there for a yes).
ASSENT = frozenset({
    "yes", "yeah", "yea", "yep", "yup", "ya", "yah", "yeh", "ye", "y", "yas", "aye", "ok", "okay", "k", "kk", "okie",
    "oki", "okey", "sure", "alright", "allright", "correct", "confirm", "confirmed", "confirming", "proceed",
    "absolutely", "definitely", "certainly", "affirmative", "perfect", "great", "fine", "good", "agreed", "agree",
    "indeed", "exactly", "lgtm", "sgtm", "deal", "please", "excellent", "awesome", "cool", "lovely", "wonderful",
    "works", "approved", "approve", "accepted", "accept", "totally", "gladly",
    # idioms, joined below before the words are read
    "go_ahead", "do_it", "go_for_it", "of_course", "by_all_means", "that_is_right", "no_problem", "sounds_good",
    "looks_good", "will_do", "why_not", "go_on",
})
# Strong assent words whose typos are forgiven (short or common words are not: "yet" is no "yes").
TYPO_TARGETS = ("yes", "yeah", "okay", "sure", "proceed", "confirm", "correct", "please", "absolutely",
                "definitely", "perfect", "alright", "certainly")
# Words that may stand around an assent without adding anything to it.
FILLER = frozenset({
    "i", "im", "i'm", "id", "i'd", "am", "we", "we're", "that", "that's", "thats", "this", "is", "it", "it's", "its",
    "all", "so", "then", "now", "just", "very", "much", "really", "thanks", "thank", "you", "thx", "ty", "cheers",
    "a", "an", "the", "well", "oh", "sir", "maam", "ma'am", "mate", "for", "me", "to", "on", "with", "and", "would",
    "like", "want", "be", "happy", "glad", "by", "sounds", "looks", "seems", "right", "please",
    "pls", "plz", "thankyou", "tysm", "lot", "lots", "great", "good", "one", "everything", "let's", "lets", "let",
    "us", "go", "ahead", "do", "done", "yes", "sure", "ok", "hi", "hey", "plan", "my", "can",
    "more", "all's", "alls", "set", "ready", "fine", "as", "said", "listed", "described", "above", "shown",
    "only", "those", "these", "both",  # "yes, that's the only one", "just those": no more than what was listed
    "nice", "wow", "yay", "phew",  # "oh nice, yes please go ahead": a reaction around the yes, never one alone
})
# Words that restate the change being confirmed: allowed in a yes only when the listed details hold them
# ("yes, cancel it" for a cancellation; "yes, change the address" at a payment confirmation is not a yes).
RESTATE = frozenset({
    "cancel", "cancellation", "return", "returns", "exchange", "exchanges", "change", "changes", "modify",
    "modification", "update", "refund", "refunds", "switch", "swap", "replace", "send", "ship", "pay", "payment",
    "order", "orders", "item", "items", "address", "process", "submit", "finish", "complete", "apply", "them",
    "those", "these", "both", "it", "that", "details", "request",
})
NEGATION = frozenset({
    "no", "nope", "nah", "naw", "not", "never", "negative", "dont", "don't", "nothing", "abort", "nevermind",
    "no_way", "rather_not", "forget_it", "scratch_that", "hell_no", "do_not", "stop", "wrong", "incorrect",
    "changed_my_mind",
})
# Words that hold the answer back: not a yes, not (on their own) a no.
HEDGE = frozenset({
    "wait", "hold", "hang", "moment", "sec", "second", "minute", "think", "check", "later", "first", "maybe",
    "perhaps", "probably", "possibly", "guess", "suppose", "hmm", "hm", "um", "umm", "uh", "er", "erm", "idk",
    "dunno", "unsure", "not_sure", "not_yet", "sure_sure", "kind_of", "sort_of", "let_me", "i_think", "if", "unless",
    "but", "though", "although", "however", "except", "provided", "assuming", "once", "after", "before", "when",
    "actually", "instead", "rather", "on_second_thought",
})
SARCASM = frozenset({"yeah_right", "as_if", "you_wish", "in_your_dreams", "like_hell", "sure_you_will",
                     "sure_jan", "whatever"})
# Words that may stand around a no without adding anything to it ("okay, no, actually don't").
NO_FILLER = FILLER | HEDGE | ASSENT | frozenset({"keep", "it", "thanks", "leave", "change", "anything", "now",
                                                  "today", "i'll", "ill", "need", "needed", "to", "do", "that",
                                                  "as", "is", "way", "want", "go", "ahead", "mind", "order"})
# Assent that softens a refusal rather than reversing it: "no, that's okay", "nah, I'm good".
SOFT_ASSENT = frozenset({"ok", "okay", "k", "kk", "okie", "oki", "okey", "fine", "alright", "good", "great", "cool",
                         "perfect", "no_problem", "lovely", "awesome"})
QUESTION_OPENERS = frozenset({"what", "when", "where", "why", "how", "which", "who", "whose", "can", "could",
                              "would", "will", "is", "are", "does", "did", "should", "shall", "may", "am", "was",
                              "do_you", "do_i", "do_we", "have", "has", "isnt", "isn't", "arent", "aren't"})
# Multi-word expressions read as one word (longest first), so that "no problem" is assent and
# "not sure" a hedge, not a negation.
IDIOMS: tuple[tuple[str, str], ...] = tuple(sorted((
    ("go ahead", "go_ahead"), ("all right", "alright"), ("sure thing", "sure"), ("do it", "do_it"),
    ("go for it", "go_for_it"), ("of course", "of_course"),
    ("by all means", "by_all_means"), ("that's right", "that_is_right"), ("thats right", "that_is_right"),
    ("that is right", "that_is_right"), ("that's correct", "that_is_right"), ("no problem", "no_problem"),
    ("not a problem", "no_problem"), ("no worries", "no_problem"), ("no prob", "no_problem"),
    ("don't mind", "no_problem"), ("dont mind", "no_problem"), ("do not mind", "no_problem"),
    ("sounds good", "sounds_good"), ("sounds great", "sounds_good"), ("looks good", "looks_good"),
    ("looks great", "looks_good"), ("will do", "will_do"), ("why not", "why_not"), ("no way", "no_way"),
    ("rather not", "rather_not"), ("forget it", "forget_it"), ("scratch that", "scratch_that"),
    ("changed my mind", "changed_my_mind"), ("change my mind", "changed_my_mind"), ("go on", "go_on"),
    ("hell no", "hell_no"), ("do not", "do_not"), ("not sure", "not_sure"),
    ("not yet", "not_yet"), ("sure sure", "sure_sure"), ("kind of", "kind_of"), ("sort of", "sort_of"),
    ("let me", "let_me"), ("i think", "i_think"), ("on second thought", "on_second_thought"),
    ("yeah right", "yeah_right"), ("as if", "as_if"), ("you wish", "you_wish"), ("in your dreams", "in_your_dreams"),
    ("like hell", "like_hell"), ("sure you will", "sure_you_will"), ("sure jan", "sure_jan"), ("do you", "do_you"),
    ("do i", "do_i"), ("do we", "do_we"), ("never mind", "nevermind"),
), key=lambda pair: -len(pair[0])))
EMOJI = {"👍": " yes ", "👌": " ok ", "✅": " yes ", "🙏": " please ", "👎": " no ", "❌": " no ", "🚫": " no "}
# isn't, won't, shouldn't, with or without the apostrophe ("want" and "meant" are not among them)
NEGATIVE_CONTRACTION = re.compile(r"^(?:is|was|are|were|does|did|have|has|had|ca|could|would|should|wo|must|"
                                  r"need|might|ai)n'?t$")
WORD = re.compile(r"[a-z0-9#_']+")
REPEATS = re.compile(r"([a-z])\1{2,}")
ORDER_IDS = re.compile(r"#?W(\d{7})\b")


@dataclass(frozen=True)
class Reading:
    """What the customer's words say to a yes/no question."""
    answer: Answer
    reason: Reason
    bare: bool = False      # nothing in the reply but the answer (and politeness): no model needed to read it
    assent: bool = False    # it holds a word of assent (a yes that may say more: "yes, and use paypal")
    only_answer: bool = False  # nothing but yes/no words and politeness ("no thanks"; not "my order isn't right")
    unknown: tuple[str, ...] = ()  # the words that are neither assent, politeness nor restatement

    @property
    def is_yes(self) -> bool:
        return self.answer == "yes"


def _normalise(text: str) -> str:
    for emoji, word in EMOJI.items():
        text = text.replace(emoji, word)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = text.lower().replace("`", "'").replace("\u2019", "'")
    text = REPEATS.sub(r"\1\1", text)  # "yesss" -> "yess", "noooo" -> "noo" (fixed below by typo reading)
    return text


def _join_idioms(words: list[str]) -> list[str]:
    joined = " " + " ".join(words) + " "
    for phrase, token in IDIOMS:
        joined = joined.replace(f" {phrase} ", f" {token} ")
        joined = joined.replace(f" {phrase} ", f" {token} ")  # overlapping repeats ("no no")
    return joined.split()


def _words(text: str) -> list[str]:
    return list(_read_words(text))


@lru_cache(maxsize=2048)
def _read_words(text: str) -> tuple[str, ...]:
    # Idioms as written first ("sure thing", "will do"), then typos mended word by word and idioms read
    # again, so "Suonds good, go ahhead" reads as "sounds good, go_ahead". Cached: the gate and understanding
    # read the same reply several times in a turn.
    words = _join_idioms(WORD.findall(text))
    return tuple(_join_idioms([w if "_" in w else _fix_typo(w) for w in words]))


@lru_cache(maxsize=4096)
def _fix_typo(word: str) -> str:
    """A misspelt word of the grammar ("yse", "okya", "yess", "suonds", "ahhead"), unless it is as close to a
    negation or to another word: a typo is mended only when one reading clearly fits."""
    if word in KNOWN or len(word) < 2:
        return word
    single = re.sub(r"(.)\1", r"\1", word)  # "okk", "yess", "noo", "ahhead"
    if single in KNOWN:
        return single
    if len(word) < 3 or not word.isalpha():
        return word
    if len(word) == 3:  # three letters: only a swap of a strong assent ("yse"); "yet" is not "yes"
        return next((t for t in TYPO_TARGETS if len(t) == 3 and sorted(t) == sorted(word)), word)
    distance = {t: OSA.distance(word, t) for t in TYPO_CANDIDATES}
    best = min(distance, key=lambda t: (distance[t], t not in TYPO_TARGETS))
    limit = 1 if len(best) <= 7 else 2  # "leave" is not "please"; "definately" is "definitely"
    if distance[best] > limit:
        return word
    rivals = [t for t, d in distance.items() if d == distance[best] and t != best]
    near_no = any(OSA.distance(word, n) <= distance[best] for n in ("no", "not", "nope", "dont", "nah"))
    if best in ASSENT and (near_no or any(t in NEGATION or t in HEDGE for t in rivals)):
        return word
    return best


KNOWN = frozenset(w for w in ASSENT | FILLER | NEGATION | HEDGE | RESTATE if "_" not in w)
# Never mended into a negation ("about" is not "abort"): a misspelt no stays unknown, which is never a yes.
TYPO_CANDIDATES = tuple(sorted({w for w in KNOWN if len(w) >= 4 and w not in NEGATION} | set(TYPO_TARGETS)))


def _grounded(word: str, details: str | None) -> bool:
    """Is a restating word ("cancel", "return") about the change that was listed?"""
    if details is None:
        return True
    if word in ("it", "that", "them", "those", "these", "both", "details", "request"):
        return True
    stem = word[:5]
    return any(d[:5] == stem for d in WORD.findall(details.lower()) if len(d) >= 4)


@lru_cache(maxsize=1024)
def read_reply(text: str, details: str | None = None) -> Reading:
    """Read a reply to a yes/no question. `details` is what was asked (the listed change), so that
    words restating it are recognised as part of a yes."""
    normalised = _normalise(text)
    words = _words(normalised)
    if not words:
        return Reading("unclear", "empty")
    if any(w in SARCASM for w in words):
        return Reading("unclear", "sarcasm")
    # A negated assent ("not correct", "never fine") is a negation: it takes the negator's polarity.
    words = [f"not_{w}" if w in ASSENT and i and _negator(words[i - 1]) and words[i - 1] not in INTERJECTIONS
             else w for i, w in enumerate(words)]  # ("no, go ahead" is an interjection, then a yes: mixed)
    if any(w in ASSENT for w in words) and any(
            w == "not" and i + 1 < len(words) and words[i + 1] in EXCLUDED_THING for i, w in enumerate(words)):
        # "yes actually, but not the backpack - the tea kettle": a thing left out after an assent; neither a
        # plain yes (the details change) nor a no (the customer wants to go on): asked again or read for the change
        return Reading("unclear", "exclusion", assent=True)
    polar = [w for w in words if _negator(w) or w in ASSENT]
    negative = [w for w in polar if _negator(w)]
    if "?" in text and text.rsplit("?", 1)[1].strip(" .!,;"):
        # "it goes back on the gift card? ok, that's fine. yes please go ahead": asked, then decided; a plain yes
        # after the last question is the answer (a question after the yes still never is one). Not when the
        # question asks for something else ("can you do it without the backpack? yes"): the yes may be to that.
        asked, decided = text.rsplit("?", 1)
        after = read_reply(decided, details)
        if after.is_yes and not any((w in HEDGE and w not in THINKING_ALOUD) or _negator(w) or w in MODIFYING
                                    for w in _words(_normalise(asked))):
            return after
    if "?" in normalised or words[0] in QUESTION_OPENERS:
        # A question is never an answer ("yes?", "can you confirm the amount"), unless it only
        # refuses ("no? no.") — then nothing changes either way.
        if negative and len(negative) == len(polar) and all(w in negative or w in NO_FILLER for w in words):
            return Reading("no", "negation")
        return Reading("unclear", "question")
    if negative:
        last_no = max(i for i, w in enumerate(polar) if w in negative)
        if any(w not in SOFT_ASSENT for w in polar[last_no + 1:]):
            return Reading("unclear", "mixed")  # "no wait, yes": ask again ("no, that's okay" is a polite no)
        rest = tuple(w for w in words if w not in negative and w not in NO_FILLER)
        only = all(w in negative or w in FILLER or w in ASSENT for w in words) and not any(
            w in RESTATE and w not in FILLER for w in words)
        return Reading("no", "negation", bare=not rest, unknown=rest, only_answer=only)
    # Thinking aloud before a firm decision ("hmm ok... yes, go ahead") holds nothing back: the decision follows it.
    # Any other hedge, thinking aloud after the assent ("yes... hmm") and before only a soft one ("hmm ok") do.
    firm = any(w in ASSENT and w not in SOFT_ASSENT for w in words)
    first_assent = next((i for i, w in enumerate(words) if w in ASSENT), -1) if firm else -1
    hedges = [w for i, w in enumerate(words) if w in HEDGE and not (w in THINKING_ALOUD and i < first_assent)]
    if hedges:
        return Reading("unclear", "hedge")
    if not any(w in ASSENT for w in words):
        return Reading("unclear", "content", unknown=tuple(w for w in words if w not in FILLER))
    unknown = tuple(w for i, w in enumerate(words) if w not in ASSENT and w not in FILLER
                    and not (w in THINKING_ALOUD and i < first_assent)
                    and not (w in RESTATE and _grounded(w, details)) and not _listed_id(w, details))
    if unknown:
        return Reading("unclear", "content", assent=True, unknown=unknown)
    return Reading("yes", "assent", bare=True, assent=True)


INTERJECTIONS = frozenset({"no", "nope", "nah", "naw"})
THINKING_ALOUD = frozenset({"hmm", "hm", "um", "umm", "uh", "er", "erm"})
# Words by which a question asks for another change than the one listed ("without the backpack", "also the lamp")
MODIFYING = frozenset({"without", "only", "just", "change", "swap", "switch", "add", "remove", "also", "too", "plus",
                       "other", "another", "different", "more", "less", "keep", "drop", "exclude", "replace"})

# Hedges that hold an answer back (not "first", "if", "but": those begin one), and the words that may stand
# around them when that is all the reply says ("hmm, not sure yet... let me think").
HESITATION = frozenset({"wait", "hold", "hang", "moment", "sec", "minute", "think", "later", "maybe", "perhaps", "hmm",
                        "hm", "um", "umm", "uh", "er", "erm", "idk", "dunno", "unsure", "not_sure", "not_yet",
                        "let_me"})
HESITATION_FILLER = frozenset({"yet", "still", "decide", "deciding", "thinking", "considering", "bit", "while", "few",
                               "over", "about", "give", "gimme", "need", "figure", "out", "what", "which", "want",
                               "one", "ones", "options", "option"})


def hesitates_only(text: str) -> bool:
    """Does the reply only hold the answer back ("hmm, not sure yet... let me think"), saying nothing else? Then
    it is no failed answer: the question waits."""
    words = _words(_normalise(text))
    return bool(words) and any(w in HESITATION for w in words) \
        and not any(w not in HESITATION and (w in ASSENT - FILLER or _negator(w)) for w in words) \
        and all(w in HESITATION or w in FILLER or w in HESITATION_FILLER for w in words)


EXCLUDED_THING = frozenset({"the", "my", "that", "this", "those", "these", "a", "an", "your", "item", "order", "both"})


def _negator(word: str) -> bool:
    return (word in NEGATION or (word.startswith("not_") and word[4:] in ASSENT)
            or bool(NEGATIVE_CONTRACTION.match(word)))


def _listed_id(word: str, details: str | None) -> bool:
    """An order id said back ("yes, cancel W1001002") that is the order listed (not digits of another id)."""
    digits = re.sub(r"\D", "", word)
    return details is not None and len(digits) == 7 and digits in ORDER_IDS.findall(details)


def settled_answer(proposed: object, text: str, details: str | None = None) -> bool | None:
    """The answer to record at a confirmation: True only for a yes in the customer's own words that
    understanding also read as yes; False for a no in their words, or a no proposed by understanding
    that the words don't contradict with a clear yes; otherwise None (ask again)."""
    reading = read_reply(text, details)
    wanted = as_bool(proposed)
    if reading.answer == "no":
        return False
    if reading.answer == "yes":
        return True if wanted is True else None
    if wanted is False and reading.reason == "content":
        return False  # understanding read a refusal in words the grammar doesn't know ("keep it as is")
    return None
