//! What the gateway hears from identity: `staff_changed` drops the member's cached status at once
//! and `signing_key_rotated` fetches the public keys again.
//!
//! Both are followed on the events' subjects with plain subscriptions: the gateway needs only
//! changes from now on, and a change missed during a disconnect is covered by the staff cache's
//! short time to live and by fetching keys on an unknown key ID.

use std::sync::Arc;

use bikestore_codec::ContentType;
use bikestore_contracts::identity::{SigningKeyRotated, StaffChanged};
use bikestore_runtime::{RuntimeError, Shutdown};
use futures::StreamExt;
use tracing::{debug, warn};

use crate::Gateway;

/// Subscribes to identity's events; call before serving so no change after start is missed.
pub async fn subscribe(
    gateway: &Gateway,
) -> Result<(async_nats::Subscriber, async_nats::Subscriber), RuntimeError> {
    let staff = gateway
        .client
        .subscribe(gateway.subjects.event_of::<StaffChanged>())
        .await
        .map_err(|error| RuntimeError::nats("subscribe to staff changes", error))?;
    let keys = gateway
        .client
        .subscribe(gateway.subjects.event_of::<SigningKeyRotated>())
        .await
        .map_err(|error| RuntimeError::nats("subscribe to key rotations", error))?;
    Ok((staff, keys))
}

/// Applies identity's events until shutdown.
pub async fn run(
    gateway: Arc<Gateway>,
    mut staff: async_nats::Subscriber,
    mut keys: async_nats::Subscriber,
    mut shutdown: Shutdown,
) {
    loop {
        tokio::select! {
            Some(message) = staff.next() => {
                match bikestore_codec::decode::<StaffChanged>(ContentType::Json, None, &message.payload, usize::MAX) {
                    Ok(change) => {
                        debug!(staff_id = %change.staff_id, "staff changed; forgetting the cached status");
                        gateway.staff.forget(change.staff_id);
                    }
                    Err(error) => warn!(error = %error, "unreadable staff_changed event"),
                }
            }
            Some(_) = keys.next() => {
                if let Err(error) = gateway.keys.refresh().await {
                    warn!(error = %error, "could not fetch the public keys after a rotation");
                }
            }
            _ = shutdown.wait() => break,
            else => break,
        }
    }
}
