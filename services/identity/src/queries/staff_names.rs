//! `staff_names`: members' display names by number, for screens naming who took an order.

use bikestore_contracts::identity::{MAX_STAFF_NAMES, StaffName, StaffNameList, StaffNames};
use bikestore_runtime::Ctx;
use rusqlite::params;

use crate::Identity;
use crate::error::IdentityError;

/// The names of the members asked about that exist, deactivated ones too, by number.
pub async fn handle(
    ctx: Ctx<Identity>,
    request: StaffNames,
) -> Result<StaffNameList, IdentityError> {
    let mut staff_ids: Vec<i64> = request.staff_ids.iter().map(|staff| staff.0).collect();
    if staff_ids.is_empty() || staff_ids.len() > MAX_STAFF_NAMES {
        return Err(IdentityError::invalid(
            "staff_ids",
            format!("name 1 to {MAX_STAFF_NAMES} members"),
        ));
    }
    staff_ids.sort_unstable();
    staff_ids.dedup();
    ctx.db
        .query(move |connection| {
            let mut statement = connection
                .prepare_cached("SELECT staff_id, name FROM staff WHERE staff_id = ?1")?;
            let mut names = Vec::with_capacity(staff_ids.len());
            for staff_id in staff_ids {
                let found = statement
                    .query_map(params![staff_id], |row| {
                        Ok(StaffName {
                            staff_id: bikestore_contracts::StaffId(row.get(0)?),
                            name: row.get(1)?,
                        })
                    })?
                    .next()
                    .transpose()?;
                names.extend(found);
            }
            Ok(StaffNameList { names })
        })
        .await
}
