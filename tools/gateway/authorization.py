"""Who may call what: the role matrix, ownership of records, identification and confirmation."""

from __future__ import annotations

from pydantic import BaseModel

from ..backend.store import RetailBackend
from .context import CallContext
from .policy import GatewayPolicy
from .registry import OWNERSHIP_FIELDS, ToolSpec
from .results import ToolError


def authorize(spec: ToolSpec, args: BaseModel, ctx: CallContext, policy: GatewayPolicy,
              backend: RetailBackend) -> ToolError | None:
    if ctx.role not in spec.roles:
        return ToolError(code="forbidden", message=f"role '{ctx.role}' may not call {spec.name}")
    if spec.is_write and not ctx.confirmed:
        return ToolError(code="confirmation_required",
                         message="list the details to the customer and get an explicit yes before this change")
    if ctx.role in policy.ownership_exempt_roles:
        return None
    owned = {f: getattr(args, f) for f in OWNERSHIP_FIELDS if getattr(args, f, None) is not None}
    if not owned:
        return None
    if ctx.customer_id is None:
        return ToolError(code="identification_required",
                         message="identify the customer (email, or name and zip code) before this request")
    return _check_ownership(owned, ctx.customer_id, backend)


def screen_lookup(spec: ToolSpec, output: BaseModel | None, error: ToolError | None, ctx: CallContext,
                  policy: GatewayPolicy) -> ToolError | None:
    """A user-id look-up by a speaker-only role identifies the speaker and nobody else.

    Before the conversation has a customer, the answer identifies them (the process then binds the
    conversation to that account). Once it has one, only that customer's own id comes back: another
    customer's id, or no account at all, is one and the same refusal, so the caller learns neither
    someone else's id nor whether an address or a name has an account. Returns the refusal, or None."""
    rule = policy.speaker_lookups
    if spec.name not in rule.tools or ctx.role not in rule.roles or ctx.customer_id is None:
        return None
    if error is not None and error.code != "not_found":
        return None  # the system failed; that is reported as it is
    if error is None and getattr(output, "user_id", None) == ctx.customer_id:
        return None
    return ToolError(code="not_owner", field="user_id",
                     message="this conversation is for the identified customer only; other accounts are not "
                             "looked up")


def _check_ownership(owned: dict[str, str], customer: str, backend: RetailBackend) -> ToolError | None:
    # One answer for "not yours" and "does not exist", so nobody learns about other customers' records.
    checks = {
        "user_id": lambda v: v == customer,
        "order_id": lambda v: backend.order_owner(v) == customer,
        "payment_method_id": lambda v: customer in backend.payment_method_owner(v),
        "tracking_id": lambda v: backend.tracking_owner(v) == customer,
    }
    for field, value in owned.items():
        if not checks[field](value):
            noun = field.removesuffix("_id").replace("_", " ")
            article = "an" if noun[0] in "aeiou" else "a"
            return ToolError(code="not_owner", field=field,
                             message=f"{value} is not {article} {noun} of the identified customer")
    return None
