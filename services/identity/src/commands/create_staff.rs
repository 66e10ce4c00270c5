//! `create_staff`: adds a member of staff with a first password.

use bikestore_contracts::StaffId;
use bikestore_contracts::identity::{CreateStaff, StaffChange, StaffChanged, StaffSaved};
use bikestore_runtime::Ctx;
use rusqlite::params;
use tracing::instrument;

use crate::error::IdentityError;
use crate::store::staff::username_taken;
use crate::{Identity, domain, password};

/// Validates, hashes the password off the runtime, and inserts; a taken username is a
/// conflict.
#[instrument(skip_all, fields(role = %request.role))]
pub async fn handle(ctx: Ctx<Identity>, request: CreateStaff) -> Result<StaffSaved, IdentityError> {
    let username = domain::username(&request.username)?;
    let name = domain::name(&request.name)?;
    let email = domain::email(&request.email)?;
    let store_id = domain::role_and_store(request.role, request.store_id)?;
    domain::new_password("password", &request.password)?;
    let role = request.role;
    let password_hash = password::hash(request.password).await?;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            let now_ms = transaction.now_ms();
            connection
                .prepare_cached(
                    "INSERT INTO staff (username, name, email, role, store_id, active, password_hash,
                         created_at_ms, updated_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?7)",
                )?
                .execute(params![
                    username,
                    name,
                    email,
                    role.as_str(),
                    store_id.map(|store| store.0),
                    password_hash,
                    now_ms
                ])
                .map_err(|error| IdentityError::on_duplicate(error, || username_taken(&username)))?;
            let staff_id = StaffId(connection.last_insert_rowid());
            transaction.emit(&StaffChanged {
                staff_id,
                change: StaffChange::Created,
                role,
                store_id,
                active: true,
                at_ms: now_ms,
            })?;
            Ok(StaffSaved { staff_id })
        })
        .await
}
