-- Orders schema, version 3: the same CHECKs, written as comparisons. An IN list of three or
-- more values compiles into a temporary table that every insert and update of the column built
-- anew (see `bikestore_storage::schema_check`). The rows on disk do not change, so the tables'
-- text is rewritten in place, as SQLite's documentation allows for such a change ("Making Other
-- Kinds Of Table Schema Changes"); RESET makes this connection read its schema again.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql,
    'CHECK (status IN (''pending'', ''processing'', ''rejected'', ''completed'', ''cancelled''))',
    'CHECK (status = ''pending'' OR status = ''processing'' OR status = ''rejected'' OR status = ''completed'' OR status = ''cancelled'')')
WHERE type = 'table' AND name = 'orders';
UPDATE sqlite_schema
SET sql = replace(sql,
    'CHECK (status IN (''authorized'', ''captured'', ''voided'', ''refunded'', ''declined''))',
    'CHECK (status = ''authorized'' OR status = ''captured'' OR status = ''voided'' OR status = ''refunded'' OR status = ''declined'')')
WHERE type = 'table' AND name = 'payments';
UPDATE sqlite_schema
SET sql = replace(sql,
    'CHECK (kind IN (''authorize'', ''decline'', ''capture'', ''void'', ''refund''))',
    'CHECK (kind = ''authorize'' OR kind = ''decline'' OR kind = ''capture'' OR kind = ''void'' OR kind = ''refund'')')
WHERE type = 'table' AND name = 'payment_operations';
PRAGMA writable_schema = RESET;
