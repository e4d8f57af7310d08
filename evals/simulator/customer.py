"""What a customer knows of their own account, and the look-ups the parser makes in it.

A real customer knows their orders, the items in them and their payment methods, so the parser
may read those from the store to resolve "the black mouse" or "my PayPal" into ids. It never
reads other customers' data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from procall.tools.backend import records
from procall.tools.backend.models import Order, OrderItem, Product, User, Variant
from procall.tools.backend.store import RetailBackend

from .agenda import ItemRef


class ParseError(Exception):
    """The instruction cannot be read into an agenda; the message says why (reported as Unparsed)."""


@dataclass
class Customer:
    user: User
    orders: dict[str, Order]
    products: dict[str, Product] = field(default_factory=dict)  # product_id -> product, for their items
    # Each order's payment method as the agenda goes: a payment change earlier in the instruction
    # makes the new method the one a later "same as the order" refers to.
    payment_now: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, backend: RetailBackend, user_id: str) -> Customer:
        conn = backend.db.connection
        user = records.read_user(conn, user_id)
        if user is None:
            raise ParseError(f"user {user_id} not in the store")
        orders = {oid: records.read_order(conn, oid) for oid in user.orders}
        orders = {oid: o for oid, o in orders.items() if o is not None}
        product_ids = {item.product_id for o in orders.values() for item in o.items}
        products = {pid: records.read_product(conn, pid) for pid in sorted(product_ids)}
        return cls(user=user, orders=orders, products={k: v for k, v in products.items() if v is not None})

    # -- orders ------------------------------------------------------------------------------

    def order(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise ParseError(f"order {order_id} is not one of {self.user.user_id}'s orders")
        return order

    def product_names(self) -> list[str]:
        return sorted({p.name for p in self.products.values()})

    def product_of(self, item: OrderItem) -> Product:
        return self.products[item.product_id]

    # -- items -------------------------------------------------------------------------------

    def find_item(self, order: Order, product_name: str, options: dict[str, str] | None,
                  taken: list[int]) -> ItemRef:
        """The first item of `order` named `product_name` (with `options` if given) whose position is not
        in `taken` yet; its position is added to `taken` so a repeated name picks the next copy."""
        same_product = [i for i, it in enumerate(order.items) if it.name.lower() == product_name.lower()]
        if not same_product:
            raise ParseError(f"{order.order_id} has no {product_name}")
        matching = [i for i in same_product if options is None or order.items[i].options == options]
        free = [i for i in matching if i not in taken]
        if not free:
            what = f"{product_name} {options}" if options else product_name
            raise ParseError(f"{order.order_id} has no (further) {what}")
        taken.append(free[0])
        item = order.items[free[0]]
        return ItemRef(product=item.name, options=self._options_if_needed(order, item), item_id=item.item_id)

    @staticmethod
    def _options_if_needed(order: Order, item: OrderItem) -> dict[str, str] | None:
        """A customer names the options only when the order holds two different items of that product."""
        others = {it.item_id for it in order.items if it.product_id == item.product_id}
        return dict(item.options) if len(others) > 1 else None

    def item_at(self, order: Order, ref: ItemRef) -> OrderItem:
        return next(it for it in order.items if it.item_id == ref.item_id)

    # -- variants ----------------------------------------------------------------------------

    def variant_for(self, product: Product, current: dict[str, str], wanted: dict[str, str],
                    flexible: list[str] = (), cheapest: bool = False) -> Variant | None:
        """The product's variant with the current options overridden by `wanted`, options in `flexible`
        free. With free options (or `cheapest`) the cheapest available match wins; an exact match is
        returned even if unavailable (the agent will say so)."""
        target = {**current, **wanted}
        unknown = [k for k in wanted if k not in current]
        if unknown:
            raise ParseError(f"{product.name} has no option {unknown[0]!r}")
        matches = [v for v in product.variants.values()
                   if all(v.options.get(k) == val for k, val in target.items() if k not in flexible)]
        if not matches:
            return None
        if flexible or cheapest:
            available = [v for v in matches if v.available] or matches
            return min(available, key=lambda v: v.price)
        return next((v for v in matches if v.available), matches[0])

    # -- payment methods ---------------------------------------------------------------------

    def method_of_source(self, source: str) -> str:
        """The customer's method of a kind ('paypal', 'gift_card', 'credit_card'); the first if several."""
        ids = [m.id for m in self.user.payment_methods.values() if m.source == source]
        if not ids:
            raise ParseError(f"{self.user.user_id} has no {source.replace('_', ' ')}")
        return ids[0]

    def order_method(self, order: Order) -> str:
        """The order's payment method at this point of the agenda."""
        return self.payment_now.get(order.order_id) or order.payment_history[0].payment_method_id
