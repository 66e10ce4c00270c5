//! Identity's commands: the closed list of endpoints that change state.
//!
//! Staff administration runs through the single writer via
//! [`ServiceDb::command`](bikestore_runtime::ServiceDb), so an idempotency key makes it apply
//! once and its `staff_changed` event commits with it. `login` and `refresh` hand out tokens,
//! so they write through `ServiceDb::transact` instead: the inbox would keep their reply, and
//! with it a usable token, in the database.
//!
//! The operations in `contracts::identity::ASSERTED_OPERATIONS` pass the gateway's caller
//! assertion first (`gateway_assertion::admit`); login and refresh are the gateway's public
//! operations and need none.

mod change_staff_role;
mod create_staff;
mod deactivate_staff;
mod login;
mod logout;
mod refresh;
mod reset_password;
mod rotate_signing_key;
mod unlock_username;

use bikestore_runtime::{RuntimeError, ServiceHost};

use crate::Identity;
use crate::gateway_assertion::admit;

pub use unlock_username::unlock_in;

/// Registers every command endpoint.
pub async fn register(host: &mut ServiceHost<Identity>) -> Result<(), RuntimeError> {
    host.endpoint(login::handle).await?;
    host.endpoint(refresh::handle).await?;
    host.gated_endpoint(admit, logout::handle).await?;
    host.gated_endpoint(admit, create_staff::handle).await?;
    host.gated_endpoint(admit, deactivate_staff::handle).await?;
    host.gated_endpoint(admit, reset_password::handle).await?;
    host.gated_endpoint(admit, change_staff_role::handle)
        .await?;
    host.gated_endpoint(admit, rotate_signing_key::handle)
        .await?;
    host.gated_endpoint(admit, unlock_username::handle).await?;
    Ok(())
}
