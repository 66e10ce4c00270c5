//! The identity service under test: a [`System`] from the harness with identity's test
//! configuration, and helpers to create staff, log in and verify tokens.

use std::time::Duration;

use bikestore_auth::{KeyPair, KeyRing, VerifiedAccess, sign_refresh};
use bikestore_contracts::identity::{
    CreateStaff, Login, LoginReply, Password, PublicKeys, Refresh, RefreshToken, Role,
};
use bikestore_contracts::{ServiceName, StaffId, StoreId, WireError};
use bikestore_harness::{Configs, System};

pub const READY: Duration = bikestore_testkit::SERVICE_READY;

/// Throttling as tests use it: two free failures, then 300 ms doubling, locked after four.
pub const FREE_ATTEMPTS: u32 = 2;
pub const BASE_DELAY: Duration = Duration::from_millis(300);
pub const LOCK_AFTER: u32 = 4;

/// The identity configuration tests start with: quick throttling.
fn quick_throttling(configs: &mut Configs) {
    let config = &mut configs.identity;
    config.login_free_attempts = FREE_ATTEMPTS;
    config.login_base_delay = BASE_DELAY;
    config.login_lock_after = LOCK_AFTER;
    config.login_lock = Duration::from_secs(60);
}

/// nats-server and a data folder, identity configured but not started.
pub async fn without_service() -> anyhow::Result<System> {
    System::builder().configure(quick_throttling).start().await
}

/// A system running identity alone, in this process.
pub async fn with_service() -> anyhow::Result<System> {
    let mut system = without_service().await?;
    system.start_service(ServiceName::Identity).await?;
    Ok(system)
}

/// A system running identity alone, configured further by `adjust`.
pub async fn with_service_configured(
    adjust: impl FnOnce(&mut Configs) + 'static,
) -> anyhow::Result<System> {
    let mut system = System::builder()
        .configure(quick_throttling)
        .configure(adjust)
        .start()
        .await?;
    system.start_service(ServiceName::Identity).await?;
    Ok(system)
}

/// Creates a member with `password`.
pub async fn staff(
    system: &System,
    username: &str,
    role: Role,
    store: Option<i64>,
    password: &str,
) -> anyhow::Result<StaffId> {
    let saved = system
        .as_gateway()
        .call(&CreateStaff {
            username: username.into(),
            name: format!("Test {username}"),
            email: format!("{username}@bikes.shop"),
            role,
            store_id: store.map(StoreId),
            password: Password::from(password),
        })
        .await?;
    Ok(saved.staff_id)
}

/// Logs in with a new session key.
pub async fn login(
    system: &System,
    username: &str,
    password: &str,
) -> Result<(LoginReply, KeyPair), WireError> {
    let session = KeyPair::generate().unwrap();
    let reply = system
        .caller()
        .call(&Login {
            username: username.into(),
            password: Password::from(password),
            session_public_key: session.public_key().to_base64url(),
        })
        .await?;
    Ok((reply, session))
}

/// Trades a refresh token for new tokens on a new session key, proved by `bound`, the key its
/// family is bound to; answers the new key with the tokens.
pub async fn refresh(
    system: &System,
    token: &RefreshToken,
    bound: &KeyPair,
) -> Result<(LoginReply, KeyPair), WireError> {
    let next = KeyPair::generate().unwrap();
    let reply = refresh_signed(system, token, bound, &next).await?;
    Ok((reply, next))
}

/// Trades a refresh token for new tokens bound to `next`, with a proof signed by `signer`.
pub async fn refresh_signed(
    system: &System,
    token: &RefreshToken,
    signer: &KeyPair,
    next: &KeyPair,
) -> Result<LoginReply, WireError> {
    let session_public_key = next.public_key().to_base64url();
    let session_proof = sign_refresh(signer, token.expose(), &session_public_key);
    system
        .caller()
        .call(&Refresh {
            refresh_token: token.clone(),
            session_public_key,
            session_proof,
        })
        .await
}

/// The key ring built from what `public_keys` answers now.
pub async fn key_ring(system: &System) -> anyhow::Result<KeyRing> {
    let keys = system.caller().call(&PublicKeys {}).await?;
    Ok(KeyRing::from_public_keys(&keys)?)
}

/// Verifies an access token against the published keys at `now_ms`.
pub async fn verify(
    system: &System,
    reply: &LoginReply,
    now_ms: i64,
) -> anyhow::Result<Result<VerifiedAccess, bikestore_auth::AuthError>> {
    let ring = key_ring(system).await?;
    Ok(ring.verify_access_token(reply.access_token.expose(), now_ms))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    bikestore_runtime::now_ms()
}
