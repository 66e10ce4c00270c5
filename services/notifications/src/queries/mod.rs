//! The notifications' queries: the closed list of read-only endpoints.
//!
//! Each reads through a read-only connection and never writes or publishes.

mod list_notifications;

use bikestore_runtime::{RuntimeError, ServiceHost};

use crate::Notifications;

/// Registers every query endpoint.
pub async fn register(host: &mut ServiceHost<Notifications>) -> Result<(), RuntimeError> {
    host.endpoint(list_notifications::handle).await?;
    Ok(())
}
