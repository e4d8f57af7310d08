"""Reading a task's instruction into the simulated customer's agenda.

    parse(task, backend) -> ParsedTask | Unparsed

The instruction is: an identity sentence ("Your name is X Y and your email is E" / "... zip code
is Z"; several emails are all kept, in order), a persona ("You are calm, direct."), then the
requests. The request text is cut into segments where a template segment starts ("For #W...,",
"Cancel order #W...", "Return #W... via", "Ask the balance of"); a segment that the template reads
exactly is parsed by `template.py` (questions by `question_template.py`), any other by the general
rules of `freeform.py`. Out-of-scope asks (unsubscribe, a coupon, a price match, troubleshooting) are
looked for in the whole request text.

Parsing never raises: an instruction it cannot read comes back as `Unparsed(reason)`, so eval
reports list it instead of dropping it.
"""

from __future__ import annotations

import re

from pydantic import Field, ValidationError

from procall.tools.backend.store import RetailBackend

from .agenda import Agenda, Identity, Model, OutOfScopeAsk
from .customer import Customer, ParseError
from .freeform import parse_free
from .lexicon import INSIST, OUT_OF_SCOPE, has, normalize
from .question_template import parse_question
from .template import parse_segment, split_segments

NAME = re.compile(r"^\s*Your name is (?P<first>[A-Za-z'-]+) (?P<last>[A-Za-z'-]+)")
PERSONA = re.compile(r"\bYou(?: are|'re) (?P<traits>[^.]*)\.\s*")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ZIP = re.compile(r"\bzip(?: code)? is (\d{5})\b")


class ParsedTask(Model):
    task_id: str
    agenda: Agenda
    free_segments: list[str] = Field(default_factory=list, description="Segments read by the free-form rules.")

    def expected_actions(self) -> list[dict]:
        return self.agenda.expected_actions()


class Unparsed(Model):
    task_id: str
    reason: str


def parse(task: dict, backend: RetailBackend) -> ParsedTask | Unparsed:
    task_id = str(task.get("id", "?"))
    try:
        return _parse(task, backend)
    except ParseError as exc:
        return Unparsed(task_id=task_id, reason=str(exc))
    except ValidationError as exc:  # e.g. an address without a city, an exchange with no item
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return Unparsed(task_id=task_id, reason=f"incomplete {exc.title}: {where}: {first['msg']}")
    except Exception as exc:  # noqa: BLE001 - odd text must not stop an eval run: report it with the task
        return Unparsed(task_id=task_id, reason=f"parser failure: {type(exc).__name__}: {exc}")


def _parse(task: dict, backend: RetailBackend) -> ParsedTask:
    identity, persona, body = split_header(task["instruction"])
    customer = Customer.load(backend, task["user_id"])
    requests, free = [], []
    for segment in split_segments(body):
        request = parse_segment(segment, customer)
        if request is None:
            request = parse_question(segment, customer, requests[-1] if requests else None)
        if request is not None:
            requests.append(request)
        else:
            requests.extend(parse_free(segment, customer))
            free.append(segment.strip())
    if not requests:
        raise ParseError("no request found")
    agenda = Agenda(user_id=task["user_id"], identity=identity, persona=persona,
                    out_of_scope_first=out_of_scope_asks(body), requests=requests)
    return ParsedTask(task_id=str(task["id"]), agenda=agenda, free_segments=free)


def split_header(instruction: str) -> tuple[Identity, str, str]:
    """(identity, persona, request text). The identity part runs from the name to the persona sentence."""
    name = NAME.match(instruction)
    if name is None:
        raise ParseError("no 'Your name is <first> <last>' at the start")
    persona = PERSONA.search(instruction, name.end())
    if persona is None:
        raise ParseError("no persona sentence ('You are ...') after the identity")
    identity_text = instruction[name.end():persona.start()]
    zip_code = ZIP.search(identity_text)
    identity = Identity(first_name=name["first"], last_name=name["last"], emails=EMAIL.findall(identity_text),
                        zip=zip_code.group(1) if zip_code else None)
    if not identity.emails and identity.zip is None:
        raise ParseError("the identity gives neither an email nor a zip code")
    return identity, persona["traits"].strip(), instruction[persona.end():]


def out_of_scope_asks(body: str) -> list[OutOfScopeAsk]:
    text = normalize(body)
    insist = has(INSIST, text)
    return [OutOfScopeAsk(kind=kind, insist=insist) for kind, pattern in OUT_OF_SCOPE.items() if has(pattern, text)]
