-- Identity schema, version 4: the same CHECKs, written as comparisons. An IN list of three or
-- more values compiles into a temporary table that every insert and update of the column built
-- anew (see `bikestore_storage::schema_check`). The rows on disk do not change, so the tables'
-- text is rewritten in place, as SQLite's documentation allows for such a change ("Making Other
-- Kinds Of Table Schema Changes"); RESET makes this connection read its schema again.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql,
    'CHECK (role IN (''admin'', ''manager'', ''sales''))',
    'CHECK (role = ''admin'' OR role = ''manager'' OR role = ''sales'')')
WHERE type = 'table' AND name = 'staff';
PRAGMA writable_schema = RESET;
