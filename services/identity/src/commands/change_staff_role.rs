//! `change_staff_role`: another role, another store, or both.

use bikestore_contracts::identity::{ChangeStaffRole, StaffChange, StaffChanged, StaffSaved};
use bikestore_runtime::Ctx;
use rusqlite::params;
use tracing::instrument;

use crate::error::IdentityError;
use crate::store::staff;
use crate::{Identity, domain};

/// Applies the given fields over the current ones and checks the result (managers and sales
/// need a store). Tokens already issued keep their old role until they expire, within the
/// access-token lifetime; the `staff_changed` event lets the gateway act sooner.
#[instrument(skip_all, fields(staff_id = %request.staff_id))]
pub async fn handle(
    ctx: Ctx<Identity>,
    request: ChangeStaffRole,
) -> Result<StaffSaved, IdentityError> {
    if request.role.is_none() && request.store_id.is_none() {
        return Err(IdentityError::invalid(
            "role",
            "give a new role, a new store, or both",
        ));
    }
    if let Some(store_id) = request.store_id {
        domain::role_and_store(bikestore_contracts::identity::Role::Admin, Some(store_id))?;
    }
    let staff_id = request.staff_id;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            let now_ms = transaction.now_ms();
            let member = staff::get(connection, staff_id)?;
            let role = request.role.unwrap_or(member.role);
            let store_id = domain::role_and_store(role, request.store_id.or(member.store_id))?;
            connection
                .prepare_cached(
                    "UPDATE staff SET role = ?2, store_id = ?3, updated_at_ms = ?4 WHERE staff_id = ?1",
                )?
                .execute(params![
                    staff_id.0,
                    role.as_str(),
                    store_id.map(|store| store.0),
                    now_ms
                ])?;
            transaction.emit(&StaffChanged {
                staff_id,
                change: StaffChange::RoleChanged,
                role,
                store_id,
                active: member.active,
                at_ms: now_ms,
            })?;
            Ok(StaffSaved { staff_id })
        })
        .await
}
