-- The retail store, relational. Lists keep their order through a `position` column so a
-- record read back is the record that was written (the benchmark compares whole records).

CREATE TABLE IF NOT EXISTS users (
    user_id     TEXT PRIMARY KEY,
    first_name  TEXT NOT NULL,
    last_name   TEXT NOT NULL,
    email       TEXT NOT NULL,
    address1    TEXT NOT NULL,
    address2    TEXT NOT NULL,
    city        TEXT NOT NULL,
    country     TEXT NOT NULL,
    state       TEXT NOT NULL,
    zip         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS users_email ON users (lower(email));
CREATE INDEX IF NOT EXISTS users_name_zip ON users (lower(first_name), lower(last_name), zip);

CREATE TABLE IF NOT EXISTS payment_methods (
    payment_method_id TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (user_id),
    position    INTEGER NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('gift_card', 'paypal', 'credit_card')),
    brand       TEXT,
    last_four   TEXT,
    balance     REAL,
    PRIMARY KEY (user_id, payment_method_id)
);

CREATE TABLE IF NOT EXISTS user_orders (
    user_id     TEXT NOT NULL REFERENCES users (user_id),
    position    INTEGER NOT NULL,
    order_id    TEXT NOT NULL,
    PRIMARY KEY (user_id, position)
);

CREATE TABLE IF NOT EXISTS products (
    product_id  TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS variants (
    item_id     TEXT NOT NULL,
    product_id  TEXT NOT NULL REFERENCES products (product_id),
    position    INTEGER NOT NULL,
    options     TEXT NOT NULL,  -- JSON object, key order kept
    available   INTEGER NOT NULL,
    price       REAL NOT NULL,
    PRIMARY KEY (product_id, item_id)
);
CREATE INDEX IF NOT EXISTS variants_item ON variants (item_id);

CREATE TABLE IF NOT EXISTS orders (
    order_id    TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    position    INTEGER NOT NULL,
    status      TEXT NOT NULL,
    address1    TEXT NOT NULL,
    address2    TEXT NOT NULL,
    city        TEXT NOT NULL,
    country     TEXT NOT NULL,
    state       TEXT NOT NULL,
    zip         TEXT NOT NULL,
    cancel_reason               TEXT,
    return_items                TEXT,  -- JSON list
    return_payment_method_id    TEXT,
    exchange_items              TEXT,  -- JSON list
    exchange_new_items          TEXT,  -- JSON list
    exchange_payment_method_id  TEXT,
    exchange_price_difference   REAL
);
CREATE INDEX IF NOT EXISTS orders_user ON orders (user_id);

CREATE TABLE IF NOT EXISTS order_items (
    order_id    TEXT NOT NULL REFERENCES orders (order_id),
    position    INTEGER NOT NULL,
    item_id     TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    price       REAL NOT NULL,
    options     TEXT NOT NULL,
    PRIMARY KEY (order_id, position)
);

CREATE TABLE IF NOT EXISTS fulfillments (
    order_id    TEXT NOT NULL REFERENCES orders (order_id),
    position    INTEGER NOT NULL,
    tracking_ids TEXT NOT NULL,  -- JSON list
    item_ids    TEXT NOT NULL,   -- JSON list
    PRIMARY KEY (order_id, position)
);

CREATE TABLE IF NOT EXISTS payment_history (
    order_id    TEXT NOT NULL REFERENCES orders (order_id),
    position    INTEGER NOT NULL,
    transaction_type TEXT NOT NULL CHECK (transaction_type IN ('payment', 'refund')),
    amount      REAL NOT NULL,
    payment_method_id TEXT NOT NULL,
    PRIMARY KEY (order_id, position)
);

-- Logistics: what the missing-items process needs beyond the benchmark's schema.
CREATE TABLE IF NOT EXISTS shipments (
    tracking_id TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL,
    carrier     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('label_created', 'in_transit', 'delivered')),
    expected_date  TEXT,
    delivered_date TEXT,
    left_with   TEXT
);

CREATE TABLE IF NOT EXISTS stock (
    item_id     TEXT PRIMARY KEY,
    in_stock    INTEGER NOT NULL,
    restock_date TEXT
);

CREATE TABLE IF NOT EXISTS missing_item_claims (
    claim_id    TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL,
    item_ids    TEXT NOT NULL,  -- JSON list
    resolution  TEXT NOT NULL CHECK (resolution IN ('reship', 'refund', 'wait_for_restock')),
    restock_date TEXT,
    refund_amount REAL,
    refund_payment_method_id TEXT
);

-- Hand-offs to people (transfer_to_human_agents).
CREATE TABLE IF NOT EXISTS handoffs (
    handoff_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    summary     TEXT NOT NULL
);

-- Exactly-once writes: a key is stored in the same transaction as the write it guards.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key         TEXT PRIMARY KEY,
    operation   TEXT NOT NULL,
    result      TEXT NOT NULL,  -- JSON of the operation's output
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- Written with the write, in its transaction (see tools/backend/commit_gate.py): the id of this
    -- commit and its `ok` audit row, from which a start-up completes the audit log after a crash.
    write_id    TEXT,
    audit_row   TEXT
);

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
