-- Orders schema, version 1. Later versions are new files, never edits of this one.

CREATE TABLE customers (
    customer_id INTEGER PRIMARY KEY,
    first_name  TEXT NOT NULL,
    last_name   TEXT NOT NULL,
    email       TEXT NOT NULL,
    -- The e-mail folded to lower case: unique, so one address never names two customers.
    email_key   TEXT NOT NULL UNIQUE,
    phone       TEXT NOT NULL DEFAULT '',
    street      TEXT NOT NULL DEFAULT '',
    city        TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL DEFAULT '',
    zip_code    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX customers_by_name ON customers (last_name, first_name, customer_id);

CREATE TABLE orders (
    order_id      INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers (customer_id),
    store_id      INTEGER NOT NULL,
    staff_id      INTEGER NOT NULL,
    status        TEXT    NOT NULL
        CHECK (status IN ('pending', 'processing', 'rejected', 'completed', 'cancelled')),
    ordered_at    INTEGER NOT NULL,
    required_date TEXT,
    shipped_at    INTEGER,
    gross         INTEGER NOT NULL CHECK (gross >= 0),
    discount      INTEGER NOT NULL CHECK (discount >= 0),
    total         INTEGER NOT NULL CHECK (total >= 0 AND total = gross - discount)
);
CREATE INDEX orders_by_time ON orders (ordered_at, order_id);
CREATE INDEX orders_by_store ON orders (store_id, ordered_at);
CREATE INDEX orders_by_customer ON orders (customer_id, ordered_at);
CREATE INDEX orders_by_status ON orders (status, ordered_at);

CREATE TABLE order_items (
    order_id         INTEGER NOT NULL REFERENCES orders (order_id),
    line_number      INTEGER NOT NULL,
    product_id       INTEGER NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    list_price       INTEGER NOT NULL CHECK (list_price >= 0),
    discount_percent INTEGER NOT NULL CHECK (discount_percent BETWEEN 0 AND 100),
    total            INTEGER NOT NULL CHECK (total >= 0),
    PRIMARY KEY (order_id, line_number),
    UNIQUE (order_id, product_id)
) WITHOUT ROWID;

CREATE TABLE order_status_history (
    order_id    INTEGER NOT NULL REFERENCES orders (order_id),
    step        INTEGER NOT NULL,
    from_status TEXT,
    to_status   TEXT    NOT NULL,
    reason      TEXT,
    at_ms       INTEGER NOT NULL,
    PRIMARY KEY (order_id, step)
) WITHOUT ROWID;

-- Only brand, last four digits and expiry of a card are kept; never its number or CVC.
CREATE TABLE payments (
    payment_id         INTEGER PRIMARY KEY,
    order_id           INTEGER NOT NULL REFERENCES orders (order_id),
    status             TEXT    NOT NULL
        CHECK (status IN ('authorized', 'captured', 'voided', 'refunded', 'declined')),
    authorized         INTEGER NOT NULL CHECK (authorized >= 0),
    captured           INTEGER NOT NULL DEFAULT 0 CHECK (captured >= 0 AND captured <= authorized),
    refunded           INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= captured),
    card_brand         TEXT    NOT NULL,
    card_last_four     TEXT    NOT NULL CHECK (length(card_last_four) <= 4),
    card_expiry_month  INTEGER NOT NULL,
    card_expiry_year   INTEGER NOT NULL,
    provider_reference TEXT    NOT NULL,
    decline_reason     TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX payments_by_order ON payments (order_id);

CREATE TABLE payment_operations (
    operation_id       INTEGER PRIMARY KEY,
    payment_id         INTEGER NOT NULL REFERENCES payments (payment_id),
    kind               TEXT    NOT NULL CHECK (kind IN ('authorize', 'decline', 'capture', 'void', 'refund')),
    amount             INTEGER NOT NULL CHECK (amount >= 0),
    provider_reference TEXT    NOT NULL,
    at_ms              INTEGER NOT NULL
);
CREATE INDEX payment_operations_by_payment ON payment_operations (payment_id);
