-- Notifications schema, version 3: the same CHECKs, written as comparisons. An IN list of three or
-- more values compiles into a temporary table that every insert and update of the column built
-- anew (see `bikestore_storage::schema_check`). The rows on disk do not change, so the tables'
-- text is rewritten in place, as SQLite's documentation allows for such a change ("Making Other
-- Kinds Of Table Schema Changes"); RESET makes this connection read its schema again.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql,
    'CHECK (status IN (''pending'', ''delivered'', ''failed''))',
    'CHECK (status = ''pending'' OR status = ''delivered'' OR status = ''failed'')')
WHERE type = 'table' AND name = 'notifications';
UPDATE sqlite_schema
SET sql = replace(sql,
    'CHECK (status IN (''pending'', ''delivered'', ''failed''))',
    'CHECK (status = ''pending'' OR status = ''delivered'' OR status = ''failed'')')
WHERE type = 'table' AND name = 'deliveries';
PRAGMA writable_schema = RESET;
