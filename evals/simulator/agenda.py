"""The simulated customer's agenda: who they are, what they want, in which order, and how they behave.

An agenda is parsed from a task's instruction (`parse.py`). It names things the way a customer
would (product names, options, "my PayPal") and also carries the resolved ids, so that
`Agenda.expected_actions()` can compile it into the backend writes it implies. Comparing those
with the task's gold `actions` is the check that the parser understood the instruction.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

CancelReason = Literal["no longer needed", "ordered by mistake"]
QuestionTopic = Literal["tracking", "variant_count", "gift_card_balance", "orders_total", "return_refund",
                        "change_difference", "cheapest_price", "cancel_refund"]
OutOfScopeKind = Literal["unsubscribe", "coupon", "price_match", "troubleshoot"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Identity(Model):
    """How the customer proves who they are: email(s), or name + zip. Emails are tried in order."""

    first_name: str
    last_name: str
    emails: list[str] = Field(default_factory=list)
    zip: str | None = None

    @property
    def method(self) -> Literal["email", "name_zip"]:
        return "email" if self.emails else "name_zip"

    @property
    def email(self) -> str | None:
        return self.emails[0] if self.emails else None


class Address(Model):
    address1: str
    address2: str = ""
    city: str
    country: str
    state: str
    zip: str


class OrderHint(Model):
    """How a customer who does not know the order id refers to the order."""

    id_suffix: str | None = Field(default=None, description="'the order number ends in 66'")
    products: list[str] = Field(default_factory=list, description="'the tea kettle order'")


class ItemRef(Model):
    """An item of an order as the customer names it, plus the item id it resolves to."""

    product: str
    options: dict[str, str] | None = Field(
        default=None, description="Current options; set when needed to tell two items of the same product apart.")
    item_id: str


class ItemChange(Model):
    """One item to become another variant of the same product."""

    item: ItemRef
    wanted: dict[str, str] = Field(default_factory=dict, description="Only the options that change; {} = same item.")
    new_item_id: str | None = Field(description="None only when the change is declined and no such variant exists.")
    flexible: list[str] = Field(default_factory=list, description="Options the customer does not care about.")
    cheapest: bool = Field(default=False, description="'whichever is cheaper' among the flexible options")
    undecided: list[str] = Field(default_factory=list, description="Options the customer first asks about.")
    asked_as: str | None = Field(default=None, description="Their words for the new item when not an option value.")


class Request(Model):
    order_id: str
    order_hint: OrderHint | None = Field(default=None, description="Set when the customer does not know the id.")


class PaysDifference(Model):
    """Payment of a refund or price difference: what the customer asks for, else the order's own method."""

    payment_method_id: str | None = Field(default=None, description="None: the instruction names no method.")
    payment_words: str | None = Field(default=None, description="How they say it: 'paypal', 'website credit', ...")
    payment_rather_than: str | None = Field(default=None, description="'prefer paypal over gift card'")
    payment_undecided: bool = Field(default=False, description="First asks which methods are possible.")
    order_payment_method_id: str = Field(description="The order's method at that point (accepted if asked).")

    @property
    def pays_with(self) -> str:
        return self.payment_method_id or self.order_payment_method_id


class Cancel(Request):
    kind: Literal["cancel"] = "cancel"
    reason: CancelReason


class Return(Request, PaysDifference):
    kind: Literal["return"] = "return"
    items: list[ItemRef] = Field(min_length=1)
    add_at_confirmation: list[ItemRef] = Field(
        default_factory=list, description="Items the customer adds when the agent asks to confirm.")


class _ItemsChange(Request, PaysDifference):
    changes: list[ItemChange] = Field(min_length=1)
    first_choice: list[ItemChange] = Field(
        default_factory=list, description="Asked for first; switched to `changes` once the agent says it's available.")
    decline_at_confirmation: bool = Field(default=False, description="Changes their mind and says no at the end.")
    ask_options: bool = Field(default=False, description="Asks what options are available before choosing.")

    def write_kwargs(self) -> dict:
        return {"order_id": self.order_id, "item_ids": [c.item.item_id for c in self.changes],
                "new_item_ids": [c.new_item_id for c in self.changes], "payment_method_id": self.pays_with}


class Exchange(_ItemsChange):
    """Items of a delivered order."""

    kind: Literal["exchange"] = "exchange"


class ModifyItems(_ItemsChange):
    """Items of a pending order (customers often say 'exchange' for this too)."""

    kind: Literal["modify_items"] = "modify_items"


class ChangeOrderAddress(Request):
    kind: Literal["change_order_address"] = "change_order_address"
    address: Address
    same_as_order: str | None = Field(default=None, description="The order whose address they want.")


class ChangeOrderPayment(Request):
    kind: Literal["change_order_payment"] = "change_order_payment"
    payment_method_id: str


class ChangeDefaultAddress(Model):
    kind: Literal["change_default_address"] = "change_default_address"
    address: Address


class NoChange(Model):
    """Asks or complains about an order, then keeps everything: no write is expected."""

    kind: Literal["no_change"] = "no_change"
    order_id: str | None = None
    about: list[str] = Field(default_factory=list, description="Products the customer talks about.")
    ask_options: bool = False


class Question(Model):
    """Asks for a figure (a task's `outputs`): nothing is written. The customer is done with it once an
    answer to it was said (`hearing.answers`)."""

    kind: Literal["question"] = "question"
    topic: QuestionTopic
    order_ids: list[str] = Field(default_factory=list, description="The orders it is about, in order.")
    product: str | None = Field(default=None, description="The product a catalogue question is about.")
    items: list[ItemRef] = Field(default_factory=list, description="A return's items.")
    changes: list[ItemChange] = Field(default_factory=list, description="An exchange's or item change's changes.")
    payment_method_id: str | None = Field(default=None, description="The gift card whose balance is asked.")
    pending: bool = Field(default=False, description="A change of a pending order's items (not an exchange).")
    before_confirming: bool = Field(
        default=False, description="Asked when the request before it is to be confirmed, before saying yes.")


AnyRequest = Annotated[
    Cancel | Return | Exchange | ModifyItems | ChangeOrderAddress | ChangeOrderPayment | ChangeDefaultAddress
    | NoChange | Question,
    Field(discriminator="kind"),
]


class OutOfScopeAsk(Model):
    """Something the store cannot do, asked first; the customer gives up on it and moves on."""

    kind: OutOfScopeKind
    insist: bool = Field(default=False, description="Pushes back (e.g. asks for a supervisor) before giving up.")


class Agenda(Model):
    user_id: str = Field(description="The account the identity resolves to (needed to compile address writes).")
    identity: Identity
    persona: str = ""
    out_of_scope_first: list[OutOfScopeAsk] = Field(default_factory=list)
    requests: list[AnyRequest]

    def expected_actions(self) -> list[dict]:
        """The backend writes this agenda implies, as [{name, kwargs}] in the shape of a task's `actions`."""
        actions = []
        for request in self.requests:
            action = _compile(request, self.user_id)
            if action is not None:
                actions.append(action)
        return actions


def _compile(request, user_id: str) -> dict | None:
    match request:
        case Cancel():
            return _action("cancel_pending_order", order_id=request.order_id, reason=request.reason)
        case ChangeOrderAddress():
            return _action("modify_pending_order_address", order_id=request.order_id, **request.address.model_dump())
        case ChangeOrderPayment():
            return _action("modify_pending_order_payment", order_id=request.order_id,
                           payment_method_id=request.payment_method_id)
        case ChangeDefaultAddress():
            return _action("modify_user_address", user_id=user_id, **request.address.model_dump())
        case Return():
            items = request.items + request.add_at_confirmation
            return _action("return_delivered_order_items", order_id=request.order_id,
                           item_ids=[i.item_id for i in items], payment_method_id=request.pays_with)
        case Exchange() | ModifyItems():
            if request.decline_at_confirmation:
                return None
            name = "exchange_delivered_order_items" if request.kind == "exchange" else "modify_pending_order_items"
            return _action(name, **request.write_kwargs())
        case NoChange() | Question():
            return None
    raise TypeError(f"unknown request {request!r}")


def _action(name: str, **kwargs) -> dict:
    return {"name": name, "kwargs": kwargs}


# -- comparing with the gold -------------------------------------------------------------------


def writes_only(actions: list[dict], write_names: set[str]) -> list[dict]:
    return [a for a in actions if a["name"] in write_names]


def _as_multisets(action: dict) -> dict:
    """An action whose item lists are compared without order: returns as a multiset of ids, changes
    as a multiset of (old, new) pairs (the store sorts the ids it records anyway)."""
    kwargs = dict(action["kwargs"])
    if "new_item_ids" in kwargs:
        kwargs["item_ids"] = Counter(zip(kwargs.pop("item_ids"), kwargs.pop("new_item_ids"), strict=False))
    elif "item_ids" in kwargs:
        kwargs["item_ids"] = Counter(kwargs["item_ids"])
    return {"name": action["name"], "kwargs": kwargs}


def compare_actions(compiled: list[dict], gold: list[dict]) -> Literal["exact", "multiset", "differ"]:
    """'exact' when equal, 'multiset' when equal up to the order of item ids, else 'differ'."""
    if compiled == gold:
        return "exact"
    if len(compiled) == len(gold) and all(
            _as_multisets(c) == _as_multisets(g) for c, g in zip(compiled, gold, strict=True)):
        return "multiset"
    return "differ"
