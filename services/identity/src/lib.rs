//! The identity service: staff accounts, logins, refresh tokens and the keys that sign access
//! tokens.
//!
//! Layout: [`commands`] and [`queries`] hold one module per endpoint; `domain` the validation
//! rules; `throttle` the login throttling policy; `password` argon2id hashing (always in
//! `spawn_blocking`); `keys` the private signing-key files; `gateway_assertion` the check of the
//! gateway's caller assertion; `sessions` the tokens a login or refresh hands out; `store` the
//! schema and shared SQL; [`seed`] the demo staff. Events (`staff_changed`,
//! `signing_key_rotated`, `sessions_ended`) go to the outbox with the change and are relayed to
//! the `<PREFIX>_IDENTITY_EVENTS` stream.
//!
//! Who may call the staff-administration commands is decided by the gateway; identity takes
//! them, key rotation and logout only with the gateway's signed caller assertion
//! (`gateway_assertion`), so no other process that reaches identity's subjects can ask for
//! them. Passwords and tokens are never logged and never stored: only argon2id hashes of
//! passwords and SHA-256 digests of refresh tokens are.

pub mod callout;
pub mod commands;
pub mod config;
mod domain;
mod error;
mod gateway_assertion;
mod keys;
mod password;
pub mod queries;
pub mod seed;
mod sessions;
mod store;
mod throttle;

use std::sync::Arc;
use std::time::Duration;

use bikestore_contracts::ServiceName;
use bikestore_contracts::identity::SigningKeyRotated;
use bikestore_runtime::application::{self, Application};
use bikestore_runtime::{RuntimeError, ServiceDb, Shutdown};
use bikestore_storage::Database;
use tracing::info;

pub use config::IdentityConfig;
pub use error::IdentityError;
/// The folder under identity's data folder that holds the private signing keys, one file each.
pub use keys::KEY_FOLDER as SIGNING_KEY_FOLDER;
pub use keys::KEY_FOLDER;
pub use password::{
    ITERATIONS as ARGON2_ITERATIONS, LANES as ARGON2_LANES, MEMORY_KIB as ARGON2_MEMORY_KIB,
};

/// The schema version this service's database is at once migrated: the number of its
/// migrations, which `PRAGMA user_version` counts as they apply. A restore refuses a backup copy
/// newer than this: only a later version of the service knows that schema.
pub const SCHEMA_VERSION: u32 = store::MIGRATIONS.len() as u32;

use gateway_assertion::GatewayKey;
use keys::KeyFiles;
use store::{refresh_tokens, signing_keys};
use throttle::ThrottlePolicy;

/// The state every handler shares.
pub struct Identity {
    /// The database, with inbox and outbox.
    pub db: Arc<ServiceDb>,
    subjects: bikestore_contracts::Subjects,
    keys: KeyFiles,
    policy: ThrottlePolicy,
    access_token_ttl_ms: i64,
    refresh_token_ttl_ms: i64,
    refresh_retry_grace_ms: i64,
    decoy_hash: String,
    gateway_key: GatewayKey,
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Opens the identity database at the configured place, migrating it.
pub async fn open_database(config: &IdentityConfig) -> Result<Database, RuntimeError> {
    application::open_database(&config.common, ServiceName::Identity, store::MIGRATIONS).await
}

/// Where the private signing keys live.
pub fn key_folder(config: &IdentityConfig) -> std::path::PathBuf {
    config
        .common
        .data_dir
        .join(ServiceName::Identity.as_str())
        .join(KEY_FOLDER)
}

fn startup_error(error: IdentityError) -> RuntimeError {
    RuntimeError::Config(format!(
        "identity start-up: {}",
        bikestore_runtime::error_chain(&error)
    ))
}

/// Makes sure a current signing key exists (creating the first one), forgets expired keys and
/// their files, and prunes expired refresh-token families.
async fn prepare_keys(identity: &Identity) -> Result<(), IdentityError> {
    let current = identity.db.query(signing_keys::current).await?;
    match current {
        Some(kid) => {
            identity.keys.load(&kid).await?;
        }
        None => {
            let pair = identity.keys.create().await?;
            let kid = pair.key_id().0;
            let public = pair.public_key().to_base64();
            let created = identity
                .db
                .transact(move |transaction| {
                    let connection = transaction.connection();
                    // Another replica may have made the first key meanwhile.
                    if signing_keys::current(connection)?.is_some() {
                        return Ok::<_, IdentityError>(false);
                    }
                    let now_ms = transaction.now_ms();
                    signing_keys::replace_current(connection, &kid, &public, now_ms, now_ms)?;
                    transaction.emit(&SigningKeyRotated {
                        kid: kid.clone(),
                        previous_kid: None,
                        previous_not_after_ms: None,
                        at_ms: now_ms,
                    })?;
                    Ok(true)
                })
                .await?;
            if created {
                info!(kid = %pair.key_id(), "created the first signing key");
            } else {
                identity.keys.remove(vec![pair.key_id().0]).await?;
            }
        }
    }
    let expired = identity
        .db
        .transact(|transaction| {
            let now_ms = transaction.now_ms();
            refresh_tokens::prune(transaction.connection(), now_ms)?;
            signing_keys::prune(transaction.connection(), now_ms)
        })
        .await?;
    identity.keys.remove(expired).await
}

/// Runs the service until `shutdown`: serves every endpoint and relays the outbox; then drains
/// in-flight requests and flushes the outbox.
pub async fn run(config: IdentityConfig, shutdown: Shutdown) -> Result<(), RuntimeError> {
    let mut app = Application::build(ServiceName::Identity, &config.common, shutdown).await?;
    let db = app.open_database(store::MIGRATIONS).await?;
    app.ensure_event_streams(&[ServiceName::Identity]).await?;
    let issuer = callout::issuer::load_or_create(config.callout_issuer_path())
        .await
        .map_err(startup_error)?;
    let identity = Arc::new(Identity {
        db,
        subjects: app.subjects().clone(),
        keys: KeyFiles::new(key_folder(&config)),
        policy: ThrottlePolicy::from_config(&config),
        access_token_ttl_ms: millis(config.access_token_ttl),
        refresh_token_ttl_ms: millis(config.refresh_token_ttl),
        refresh_retry_grace_ms: millis(config.refresh_retry_grace),
        decoy_hash: password::decoy_hash().await.map_err(startup_error)?,
        gateway_key: GatewayKey::new(config.gateway_key_path()),
    });
    prepare_keys(&identity).await.map_err(startup_error)?;
    let access_token_ttl_ms = identity.access_token_ttl_ms;
    let mut host = app
        .host(
            "Staff, logins, tokens and signing keys",
            Arc::clone(&identity),
        )
        .await?;
    commands::register(&mut host).await?;
    queries::register(&mut host).await?;
    let callout_requests = app
        .client()
        .queue_subscribe(
            bikestore_contracts::Subjects::auth_callout(),
            ServiceName::Identity.as_str().to_owned(),
        )
        .await
        .map_err(|error| RuntimeError::nats("subscribe to auth callout requests", error))?;
    app.spawn(callout::serve(
        Arc::clone(&identity),
        Arc::new(issuer),
        app.client().clone(),
        callout_requests,
        app.shutdown(),
    ));
    info!(access_token_ttl_ms, "identity service ready");
    app.serve(host).await
}
