"""The store's operations, one module per backend system. Importing this package registers them."""

from . import orders, products, shipping, support, users  # noqa: F401
