//! `reset_password`: a new password for a member, ending their sessions and any login lock.

use bikestore_contracts::identity::{ResetPassword, StaffChange, StaffChanged, StaffSaved};
use bikestore_runtime::Ctx;
use rusqlite::params;
use tracing::instrument;

use crate::error::IdentityError;
use crate::store::{login_attempts, refresh_tokens, staff};
use crate::{Identity, domain, password, sessions};

/// Hashes the new password off the runtime, stores it, revokes the member's refresh tokens and
/// clears their failed logins.
#[instrument(skip_all, fields(staff_id = %request.staff_id))]
pub async fn handle(
    ctx: Ctx<Identity>,
    request: ResetPassword,
) -> Result<StaffSaved, IdentityError> {
    domain::new_password("new_password", &request.new_password)?;
    let staff_id = request.staff_id;
    let access_token_ttl_ms = ctx.access_token_ttl_ms;
    let password_hash = password::hash(request.new_password).await?;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            let now_ms = transaction.now_ms();
            let member = staff::get(connection, staff_id)?;
            connection
                .prepare_cached(
                    "UPDATE staff SET password_hash = ?2, updated_at_ms = ?3 WHERE staff_id = ?1",
                )?
                .execute(params![staff_id.0, password_hash, now_ms])?;
            let ended = refresh_tokens::revoke_staff(connection, staff_id, now_ms)?;
            sessions::end_sessions(transaction, staff_id, ended, access_token_ttl_ms)?;
            login_attempts::clear(connection, &member.username)?;
            transaction.emit(&StaffChanged {
                staff_id,
                change: StaffChange::PasswordReset,
                role: member.role,
                store_id: member.store_id,
                active: member.active,
                at_ms: now_ms,
            })?;
            Ok(StaffSaved { staff_id })
        })
        .await
}
