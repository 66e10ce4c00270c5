//! Identity's queries: the closed list of read-only endpoints.
//!
//! Each reads through a read-only connection and never writes or publishes.

mod get_staff;
mod list_staff;
mod public_keys;
mod staff_names;

use bikestore_runtime::{RuntimeError, ServiceHost};

use crate::Identity;

/// Registers every query endpoint.
pub async fn register(host: &mut ServiceHost<Identity>) -> Result<(), RuntimeError> {
    host.endpoint(get_staff::handle).await?;
    host.endpoint(list_staff::handle).await?;
    host.endpoint(public_keys::handle).await?;
    host.endpoint(staff_names::handle).await?;
    Ok(())
}
