//! The identity service under test: a private nats-server, a temporary data folder, and the
//! service in-process or as a child process, with helpers to log in and verify tokens.

use std::time::Duration;

use bikestore_auth::{KeyPair, KeyRing, VerifiedAccess};
use bikestore_contracts::identity::{
    CreateStaff, Login, LoginReply, Password, PublicKeys, Refresh, RefreshToken, Role,
};
use bikestore_contracts::{ServiceName, StaffId, StoreId, Subjects, WireError};
use bikestore_identity::IdentityConfig;
use bikestore_runtime::CommonConfig;
use bikestore_runtime::call::Caller;
use bikestore_testkit::{ChildProcess, InProcess, NatsServer};
use tempfile::TempDir;

pub const READY: Duration = bikestore_testkit::SERVICE_READY;

/// Throttling as tests use it: two free failures, then 300 ms doubling, locked after four.
pub const FREE_ATTEMPTS: u32 = 2;
pub const BASE_DELAY: Duration = Duration::from_millis(300);
pub const LOCK_AFTER: u32 = 4;

/// nats-server + data folder + a caller.
pub struct Stack {
    pub nats: NatsServer,
    pub data: TempDir,
    pub client: async_nats::Client,
    pub caller: Caller,
    pub subjects: Subjects,
}

impl Stack {
    pub async fn new() -> anyhow::Result<Stack> {
        let nats = NatsServer::start().await?;
        let client = nats.client().await?;
        let subjects = Subjects::default();
        Ok(Stack {
            caller: Caller::new(client.clone(), subjects.clone()),
            client,
            subjects,
            nats,
            data: tempfile::tempdir()?,
        })
    }

    /// The configuration a test service gets: quick throttling, everything under the temp
    /// folder.
    pub fn config(&self) -> IdentityConfig {
        let mut config = IdentityConfig::new(CommonConfig::new(self.nats.url(), self.data.path()));
        config.login_free_attempts = FREE_ATTEMPTS;
        config.login_base_delay = BASE_DELAY;
        config.login_lock_after = LOCK_AFTER;
        config.login_lock = Duration::from_secs(60);
        config
    }

    pub async fn start_in_process(&self, config: IdentityConfig) -> anyhow::Result<InProcess> {
        InProcess::start(&self.client, ServiceName::Identity.as_str(), |shutdown| {
            bikestore_identity::run(config, shutdown)
        })
        .await
    }

    /// A stack with one in-process identity service using the test configuration.
    pub async fn with_service() -> anyhow::Result<(Stack, InProcess)> {
        let stack = Stack::new().await?;
        let service = stack.start_in_process(stack.config()).await?;
        Ok((stack, service))
    }

    /// Starts the real `bikestore-identity` binary as a child process.
    pub fn spawn_process(
        &self,
        name: &str,
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<ChildProcess> {
        ChildProcess::service(
            "bikestore-identity",
            &self.nats.url(),
            self.data.path(),
            name,
            extra_env,
        )
    }

    /// Creates a member with `password`.
    pub async fn staff(
        &self,
        username: &str,
        role: Role,
        store: Option<i64>,
        password: &str,
    ) -> anyhow::Result<StaffId> {
        let saved = self
            .caller
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
        &self,
        username: &str,
        password: &str,
    ) -> Result<(LoginReply, KeyPair), WireError> {
        let session = KeyPair::generate().unwrap();
        let reply = self
            .caller
            .call(&Login {
                username: username.into(),
                password: Password::from(password),
                session_public_key: session.public_key().to_base64url(),
            })
            .await?;
        Ok((reply, session))
    }

    /// Trades a refresh token for new tokens with a new session key.
    pub async fn refresh(&self, token: &RefreshToken) -> Result<LoginReply, WireError> {
        let session = KeyPair::generate().unwrap();
        self.caller
            .call(&Refresh {
                refresh_token: token.clone(),
                session_public_key: session.public_key().to_base64url(),
            })
            .await
    }

    /// The key ring built from what `public_keys` answers now.
    pub async fn key_ring(&self) -> anyhow::Result<KeyRing> {
        let keys = self.caller.call(&PublicKeys {}).await?;
        Ok(KeyRing::from_public_keys(&keys)?)
    }

    /// Verifies an access token against the published keys at `now_ms`.
    pub async fn verify(
        &self,
        reply: &LoginReply,
        now_ms: i64,
    ) -> anyhow::Result<Result<VerifiedAccess, bikestore_auth::AuthError>> {
        let ring = self.key_ring().await?;
        Ok(ring.verify_access_token(reply.access_token.expose(), now_ms))
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    bikestore_runtime::now_ms()
}
