-- Inventory schema, version 1. Later versions are new files, never edits of this one.

CREATE TABLE stores (
    store_id INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE COLLATE NOCASE,
    phone    TEXT NOT NULL DEFAULT '',
    email    TEXT NOT NULL DEFAULT '',
    street   TEXT NOT NULL DEFAULT '',
    city     TEXT NOT NULL DEFAULT '',
    state    TEXT NOT NULL DEFAULT '',
    zip_code TEXT NOT NULL DEFAULT ''
);

CREATE TABLE brands (
    brand_id INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE categories (
    category_id INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE products (
    product_id  INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    brand_id    INTEGER NOT NULL REFERENCES brands (brand_id),
    category_id INTEGER NOT NULL REFERENCES categories (category_id),
    model_year  INTEGER NOT NULL,
    list_price  INTEGER NOT NULL CHECK (list_price >= 0)
);
CREATE INDEX products_by_brand ON products (brand_id);
CREATE INDEX products_by_category ON products (category_id);
CREATE INDEX products_by_price ON products (list_price);

-- The checks make an oversell impossible even if a rule above them were wrong.
CREATE TABLE stocks (
    store_id   INTEGER NOT NULL REFERENCES stores (store_id),
    product_id INTEGER NOT NULL REFERENCES products (product_id),
    on_hand    INTEGER NOT NULL CHECK (on_hand >= 0),
    reserved   INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
    PRIMARY KEY (store_id, product_id)
) WITHOUT ROWID;
CREATE INDEX stocks_by_product ON stocks (product_id);

CREATE TABLE reservations (
    reservation_id TEXT    PRIMARY KEY,
    store_id       INTEGER NOT NULL REFERENCES stores (store_id),
    status         TEXT    NOT NULL CHECK (status IN ('held', 'committed', 'released', 'expired', 'returned')),
    expires_at     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX reservations_held_by_expiry ON reservations (expires_at) WHERE status = 'held';

CREATE TABLE reservation_lines (
    reservation_id TEXT    NOT NULL REFERENCES reservations (reservation_id),
    product_id     INTEGER NOT NULL REFERENCES products (product_id),
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (reservation_id, product_id)
) WITHOUT ROWID;

CREATE TABLE stock_movements (
    movement_id    INTEGER PRIMARY KEY,
    store_id       INTEGER NOT NULL,
    product_id     INTEGER NOT NULL,
    on_hand_delta  INTEGER NOT NULL,
    reserved_delta INTEGER NOT NULL,
    reason         TEXT    NOT NULL,
    note           TEXT,
    reservation_id TEXT,
    created_at     INTEGER NOT NULL
);
