//! `list_staff`: staff by username, optionally of one store and with the deactivated.

use bikestore_contracts::identity::{ListStaff, StaffPage};
use bikestore_runtime::Ctx;
use rusqlite::params;

use crate::error::IdentityError;
use crate::store::staff::{STAFF_COLUMNS, from_row};
use crate::{Identity, domain};

/// One page of the members matching the filters.
pub async fn handle(ctx: Ctx<Identity>, request: ListStaff) -> Result<StaffPage, IdentityError> {
    let (limit, offset) = domain::page(&request.page)?;
    let store_id = request.store_id.map(|store| store.0);
    let include_inactive = request.include_inactive;
    ctx.db
        .query(move |connection| {
            let filter = "(?1 IS NULL OR store_id = ?1) AND (?2 OR active = 1)";
            let total: i64 = connection
                .prepare_cached(&format!("SELECT COUNT(*) FROM staff WHERE {filter}"))?
                .query_row(params![store_id, include_inactive], |row| row.get(0))?;
            let staff = connection
                .prepare_cached(&format!(
                    "SELECT {STAFF_COLUMNS} FROM staff WHERE {filter}
                     ORDER BY username LIMIT ?3 OFFSET ?4"
                ))?
                .query_map(params![store_id, include_inactive, limit, offset], from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(StaffPage {
                staff,
                total: u64::try_from(total).unwrap_or(0),
            })
        })
        .await
}
