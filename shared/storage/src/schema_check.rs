//! A check of a service's schema for constraints that cost a temporary table on every write.
//!
//! SQLite compiles `x IN (a, b, c)` with three or more values into a temporary B-tree that the
//! statement builds each time it runs, so a `CHECK (status IN (...))` opened and closed one (a
//! pager, a page cache, a few allocations) on every insert and on every update of that column:
//! with `INSERT ... SELECT` from a table into itself, which does the same, about 4% of the
//! benchmark process. The same check written as comparisons (`status = 'a' OR status = 'b' OR
//! ...`) costs none. Each service's tests run this over its migrated schema.

use rusqlite::Connection;

/// The tables of the schema `migrations` make (applied in order to an empty in-memory
/// database) whose insert program builds a temporary table, in name order; empty when none
/// does.
pub fn migrated_tables_whose_inserts_build_temporary_tables(
    migrations: &[&str],
) -> rusqlite::Result<Vec<String>> {
    let connection = Connection::open_in_memory()?;
    for migration in migrations {
        connection.execute_batch(migration)?;
    }
    inserts_that_build_temporary_tables(&connection)
}

/// The tables of `connection`'s main database whose insert program builds a temporary table
/// (`OpenEphemeral`), in name order; empty when none does.
fn inserts_that_build_temporary_tables(connection: &Connection) -> rusqlite::Result<Vec<String>> {
    let tables = connection
        .prepare(
            "SELECT name FROM sqlite_schema
             WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )?
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut found = Vec::new();
    for table in tables {
        // EXPLAIN only compiles: no row is written, and no constraint is tried.
        let sql = format!(
            "EXPLAIN INSERT INTO \"{}\" DEFAULT VALUES",
            table.replace('"', "\"\"")
        );
        let builds_one = connection
            .prepare(&sql)?
            .query_map([], |row| row.get::<_, String>(1))?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .iter()
            .any(|opcode| opcode == "OpenEphemeral");
        if builds_one {
            found.push(table);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_with_an_in_list_of_three_is_found_and_the_same_check_as_comparisons_is_not()
    -> rusqlite::Result<()> {
        let found = migrated_tables_whose_inserts_build_temporary_tables(&[
            "CREATE TABLE listed (status TEXT CHECK (status IN ('a', 'b', 'c')));
             CREATE TABLE compared (status TEXT CHECK (status = 'a' OR status = 'b' OR status = 'c'));",
            "CREATE TABLE \"two values\" (flag INTEGER CHECK (flag IN (0, 1)));",
        ])?;
        assert_eq!(found, vec!["listed".to_owned()]);
        Ok(())
    }
}
