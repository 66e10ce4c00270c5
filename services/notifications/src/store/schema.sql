-- Notifications schema, version 1. Later versions are new files, never edits of this one.

-- One row per source event that made notifications; its primary key is what makes a redelivered
-- or replayed event a no-op. It commits in the same transaction as the notifications.
CREATE TABLE processed_events (
    event_id        TEXT    PRIMARY KEY,
    subject         TEXT    NOT NULL,
    stream_sequence INTEGER,
    processed_at    INTEGER NOT NULL
) WITHOUT ROWID;

-- The rendered notifications. status, attempts and last_error summarise the deliveries below
-- (failed if any channel failed, delivered once every channel delivered) so the list query
-- can filter and page on them.
CREATE TABLE notifications (
    notification_id INTEGER PRIMARY KEY,
    event_id        TEXT    NOT NULL REFERENCES processed_events (event_id),
    kind            TEXT    NOT NULL,
    audience        TEXT    NOT NULL CHECK (audience IN ('customer', 'store')),
    customer_id     INTEGER,
    store_id        INTEGER,
    text            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX notifications_by_event ON notifications (event_id);
CREATE INDEX notifications_by_customer ON notifications (customer_id, notification_id);
CREATE INDEX notifications_by_store ON notifications (store_id, notification_id);
CREATE INDEX notifications_by_status ON notifications (status, notification_id);

-- Delivery state per (notification, channel): each channel delivers a notification once.
CREATE TABLE deliveries (
    notification_id INTEGER NOT NULL REFERENCES notifications (notification_id),
    channel         TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      TEXT,
    next_attempt_at INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (notification_id, channel)
) WITHOUT ROWID;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, notification_id) WHERE status = 'pending';
