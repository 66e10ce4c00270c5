-- Identity schema, version 1. Later versions are new files, never edits of this one.

CREATE TABLE staff (
    staff_id      INTEGER PRIMARY KEY,
    -- Folded to lower case, so one name never opens two accounts.
    username      TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'manager', 'sales')),
    store_id      INTEGER CHECK (store_id IS NULL OR store_id > 0),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    -- An argon2id PHC string; never the password.
    password_hash TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    CHECK (role = 'admin' OR store_id IS NOT NULL)
);
CREATE INDEX staff_by_store ON staff (store_id, username);

-- Refresh tokens, kept only as the SHA-256 of the token. Every token of one login shares its
-- family (the digest of the login's first token); reuse of a spent token revokes the family.
CREATE TABLE refresh_tokens (
    token_hash    TEXT    PRIMARY KEY,
    family        TEXT    NOT NULL,
    staff_id      INTEGER NOT NULL REFERENCES staff (staff_id),
    issued_at_ms  INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    spent_at_ms   INTEGER,
    revoked_at_ms INTEGER
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_by_staff ON refresh_tokens (staff_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at_ms);

-- Failed logins per username (known or not), for throttling.
CREATE TABLE login_attempts (
    username_key    TEXT    PRIMARY KEY,
    failures        INTEGER NOT NULL CHECK (failures >= 0),
    last_failure_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX login_attempts_by_time ON login_attempts (last_failure_ms);

-- The public halves of the signing keys; the private halves are files (mode 0600) under
-- <data>/identity/signing-keys/<kid>.key. One key is current (retired_at_ms IS NULL); a retired
-- key verifies until not_after_ms, when the last token it signed has expired.
CREATE TABLE signing_keys (
    kid           TEXT    PRIMARY KEY,
    public_key    TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    retired_at_ms INTEGER,
    not_after_ms  INTEGER,
    CHECK ((retired_at_ms IS NULL) = (not_after_ms IS NULL))
) WITHOUT ROWID;
CREATE UNIQUE INDEX one_current_signing_key ON signing_keys ((retired_at_ms IS NULL))
    WHERE retired_at_ms IS NULL;
