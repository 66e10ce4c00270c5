//! Identity's commands: the closed list of endpoints that change state.
//!
//! Staff administration runs through the single writer via
//! [`ServiceDb::command`](bikestore_runtime::ServiceDb), so an idempotency key makes it apply
//! once and its `staff_changed` event commits with it. `login` and `refresh` hand out tokens,
//! so they write through `ServiceDb::transact` instead: the inbox would keep their reply, and
//! with it a usable token, in the database.

mod change_staff_role;
mod create_staff;
mod deactivate_staff;
mod login;
mod logout;
mod refresh;
mod reset_password;
mod rotate_signing_key;

use bikestore_runtime::{RuntimeError, ServiceHost};

use crate::Identity;

/// Registers every command endpoint.
pub async fn register(host: &mut ServiceHost<Identity>) -> Result<(), RuntimeError> {
    host.endpoint(login::handle).await?;
    host.endpoint(refresh::handle).await?;
    host.endpoint(logout::handle).await?;
    host.endpoint(create_staff::handle).await?;
    host.endpoint(deactivate_staff::handle).await?;
    host.endpoint(reset_password::handle).await?;
    host.endpoint(change_staff_role::handle).await?;
    host.endpoint(rotate_signing_key::handle).await?;
    Ok(())
}
