//! Brands and categories: two tables of the same shape, an ID and a unique name.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::InventoryError;

/// A table of named things.
#[derive(Debug, Clone, Copy)]
pub enum NamedTable {
    /// `brands`
    Brands,
    /// `categories`
    Categories,
}

impl NamedTable {
    fn what(self) -> &'static str {
        match self {
            NamedTable::Brands => "brand",
            NamedTable::Categories => "category",
        }
    }

    fn sql(self, statement: Statement) -> &'static str {
        match (self, statement) {
            (NamedTable::Brands, Statement::Insert) => "INSERT INTO brands (name) VALUES (?1)",
            (NamedTable::Brands, Statement::Rename) => {
                "UPDATE brands SET name = ?2 WHERE brand_id = ?1"
            }
            (NamedTable::Brands, Statement::Delete) => "DELETE FROM brands WHERE brand_id = ?1",
            (NamedTable::Brands, Statement::InUse) => {
                "SELECT 1 FROM products WHERE brand_id = ?1 LIMIT 1"
            }
            (NamedTable::Brands, Statement::List) => {
                "SELECT brand_id, name FROM brands ORDER BY name"
            }
            (NamedTable::Categories, Statement::Insert) => {
                "INSERT INTO categories (name) VALUES (?1)"
            }
            (NamedTable::Categories, Statement::Rename) => {
                "UPDATE categories SET name = ?2 WHERE category_id = ?1"
            }
            (NamedTable::Categories, Statement::Delete) => {
                "DELETE FROM categories WHERE category_id = ?1"
            }
            (NamedTable::Categories, Statement::InUse) => {
                "SELECT 1 FROM products WHERE category_id = ?1 LIMIT 1"
            }
            (NamedTable::Categories, Statement::List) => {
                "SELECT category_id, name FROM categories ORDER BY name"
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Statement {
    Insert,
    Rename,
    Delete,
    InUse,
    List,
}

/// Adds a named thing; a taken name is a conflict.
pub fn insert(
    connection: &Connection,
    table: NamedTable,
    name: &str,
) -> Result<i64, InventoryError> {
    connection
        .prepare_cached(table.sql(Statement::Insert))?
        .execute(params![name])
        .map_err(|error| {
            InventoryError::on_duplicate(error, || {
                format!("{} {name:?} already exists", table.what())
            })
        })?;
    Ok(connection.last_insert_rowid())
}

/// Renames a named thing.
pub fn rename(
    connection: &Connection,
    table: NamedTable,
    id: i64,
    name: &str,
) -> Result<(), InventoryError> {
    let changed = connection
        .prepare_cached(table.sql(Statement::Rename))?
        .execute(params![id, name])
        .map_err(|error| {
            InventoryError::on_duplicate(error, || {
                format!("{} {name:?} already exists", table.what())
            })
        })?;
    if changed == 0 {
        return Err(InventoryError::not_found(table.what(), id));
    }
    Ok(())
}

/// Removes a named thing that no product uses.
pub fn delete(connection: &Connection, table: NamedTable, id: i64) -> Result<(), InventoryError> {
    let in_use = connection
        .prepare_cached(table.sql(Statement::InUse))?
        .query_row(params![id], |_| Ok(()))
        .optional()?
        .is_some();
    if in_use {
        return Err(InventoryError::conflict(format!(
            "{} {id} is used by products; move or delete them first",
            table.what()
        )));
    }
    let removed = connection
        .prepare_cached(table.sql(Statement::Delete))?
        .execute(params![id])?;
    if removed == 0 {
        return Err(InventoryError::not_found(table.what(), id));
    }
    Ok(())
}

/// Every named thing, by name.
pub fn list(
    connection: &Connection,
    table: NamedTable,
) -> Result<Vec<(i64, String)>, InventoryError> {
    let mut statement = connection.prepare_cached(table.sql(Statement::List))?;
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
