//! What the gateway hears from identity: `staff_changed` drops the member's cached status at once,
//! `signing_key_rotated` fetches the public keys again, and `sessions_ended` makes the ended
//! sessions' access tokens refused (`sessions`).
//!
//! All are followed on the events' subjects with plain subscriptions: the gateway needs only
//! changes from now on, and a change missed during a disconnect is covered by the staff cache's
//! short time to live, by fetching keys on an unknown key ID, and for ended sessions by the
//! catch-up from identity's event stream at start.

use std::sync::Arc;

use bikestore_codec::ContentType;
use bikestore_contracts::identity::{SessionsEnded, SigningKeyRotated, StaffChanged};
use bikestore_runtime::{RuntimeError, Shutdown};
use futures::StreamExt;
use tracing::{debug, warn};

use crate::Gateway;

/// The subscriptions to identity's events.
pub struct IdentityEvents {
    staff: async_nats::Subscriber,
    keys: async_nats::Subscriber,
    sessions: async_nats::Subscriber,
}

/// Subscribes to identity's events; call before serving so no change after start is missed.
pub async fn subscribe(gateway: &Gateway) -> Result<IdentityEvents, RuntimeError> {
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
    let sessions = gateway
        .client
        .subscribe(gateway.subjects.event_of::<SessionsEnded>())
        .await
        .map_err(|error| RuntimeError::nats("subscribe to ended sessions", error))?;
    Ok(IdentityEvents {
        staff,
        keys,
        sessions,
    })
}

/// Applies identity's events until shutdown.
pub async fn run(gateway: Arc<Gateway>, events: IdentityEvents, mut shutdown: Shutdown) {
    let IdentityEvents {
        mut staff,
        mut keys,
        mut sessions,
    } = events;
    loop {
        tokio::select! {
            Some(message) = sessions.next() => {
                if let Some(event) = crate::sessions::decode(&message.payload) {
                    debug!(staff_id = %event.staff_id, sessions = event.session_ids.len(), "sessions ended");
                    gateway.ended_sessions.apply(&event, bikestore_runtime::now_ms());
                }
            }
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
