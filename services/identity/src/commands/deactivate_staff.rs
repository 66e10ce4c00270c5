//! `deactivate_staff`: stops a member from logging in and ends their sessions.

use bikestore_contracts::identity::{DeactivateStaff, StaffChange, StaffChanged, StaffSaved};
use bikestore_runtime::Ctx;
use rusqlite::params;
use tracing::instrument;

use crate::error::IdentityError;
use crate::store::{refresh_tokens, staff};
use crate::{Identity, sessions};

/// Marks the member inactive and revokes every refresh token of theirs; deactivating an
/// inactive member changes nothing and says so with no event.
#[instrument(skip_all, fields(staff_id = %request.staff_id))]
pub async fn handle(
    ctx: Ctx<Identity>,
    request: DeactivateStaff,
) -> Result<StaffSaved, IdentityError> {
    let staff_id = request.staff_id;
    let access_token_ttl_ms = ctx.access_token_ttl_ms;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            let now_ms = transaction.now_ms();
            let member = staff::get(connection, staff_id)?;
            let ended = refresh_tokens::revoke_staff(connection, staff_id, now_ms)?;
            sessions::end_sessions(transaction, staff_id, ended, access_token_ttl_ms)?;
            if member.active {
                connection
                    .prepare_cached(
                        "UPDATE staff SET active = 0, updated_at_ms = ?2 WHERE staff_id = ?1",
                    )?
                    .execute(params![staff_id.0, now_ms])?;
                transaction.emit(&StaffChanged {
                    staff_id,
                    change: StaffChange::Deactivated,
                    role: member.role,
                    store_id: member.store_id,
                    active: false,
                    at_ms: now_ms,
                })?;
            }
            Ok(StaffSaved { staff_id })
        })
        .await
}
