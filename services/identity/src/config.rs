//! The identity service's configuration.

use std::path::PathBuf;
use std::time::Duration;

use bikestore_contracts::ServiceName;
use bikestore_runtime::CommonConfig;
use bikestore_runtime::config::parse_millis;

/// Environment variable for [`IdentityConfig::access_token_ttl`].
pub const ENV_ACCESS_TOKEN_TTL_MS: &str = "BIKESTORE_IDENTITY_ACCESS_TOKEN_TTL_MS";
/// Environment variable for [`IdentityConfig::refresh_token_ttl`].
pub const ENV_REFRESH_TOKEN_TTL_MS: &str = "BIKESTORE_IDENTITY_REFRESH_TOKEN_TTL_MS";
/// Environment variable for [`IdentityConfig::refresh_retry_grace`].
pub const ENV_REFRESH_RETRY_GRACE_MS: &str = "BIKESTORE_IDENTITY_REFRESH_RETRY_GRACE_MS";
/// Environment variable for [`IdentityConfig::login_free_attempts`].
pub const ENV_LOGIN_FREE_ATTEMPTS: &str = "BIKESTORE_IDENTITY_LOGIN_FREE_ATTEMPTS";
/// Environment variable for [`IdentityConfig::login_base_delay`].
pub const ENV_LOGIN_BASE_DELAY_MS: &str = "BIKESTORE_IDENTITY_LOGIN_BASE_DELAY_MS";
/// Environment variable for [`IdentityConfig::login_lock_after`].
pub const ENV_LOGIN_LOCK_AFTER: &str = "BIKESTORE_IDENTITY_LOGIN_LOCK_AFTER";
/// Environment variable for [`IdentityConfig::callout_issuer_key`].
pub const ENV_CALLOUT_ISSUER_KEY: &str = "BIKESTORE_IDENTITY_CALLOUT_ISSUER_KEY";
/// Environment variable for [`IdentityConfig::login_lock`].
pub const ENV_LOGIN_LOCK_MS: &str = "BIKESTORE_IDENTITY_LOGIN_LOCK_MS";

/// Environment variable for [`IdentityConfig::gateway_key`].
pub const ENV_GATEWAY_KEY: &str = "BIKESTORE_IDENTITY_GATEWAY_KEY";

/// How long after a refresh its retry is honoured by default: a console whose refresh reply was
/// lost (a network cut, identity or nats-server killed after the commit) presents the spent
/// token again, with its session key's proof, within a few seconds; a minute covers a restart of
/// identity or nats-server while keeping short the window in which a spent token still counts.
/// The default of `--refresh-retry-grace-ms` must stay equal to it.
pub const REFRESH_RETRY_GRACE: Duration = Duration::from_secs(60);

/// Flags and environment of `bikestore-identity`.
#[derive(Debug, Clone, clap::Args)]
pub struct IdentityConfig {
    /// Settings every service shares.
    #[command(flatten)]
    pub common: CommonConfig,
    /// Milliseconds an access token is valid.
    #[arg(long = "access-token-ttl-ms", env = ENV_ACCESS_TOKEN_TTL_MS, value_parser = parse_millis, default_value = "900000")]
    pub access_token_ttl: Duration,
    /// Milliseconds a refresh token may wait to be used.
    #[arg(long = "refresh-token-ttl-ms", env = ENV_REFRESH_TOKEN_TTL_MS, value_parser = parse_millis, default_value = "43200000")]
    pub refresh_token_ttl: Duration,
    /// Milliseconds after a refresh during which the same refresh, presented again with its
    /// session key's proof, counts as a retry of a lost reply rather than a copied token (see
    /// [`REFRESH_RETRY_GRACE`]); 0 treats every spent token presented again as copied.
    #[arg(long = "refresh-retry-grace-ms", env = ENV_REFRESH_RETRY_GRACE_MS, value_parser = parse_millis, default_value = "60000")]
    pub refresh_retry_grace: Duration,
    /// Failed logins of one username answered at once before each further try must wait.
    #[arg(long, env = ENV_LOGIN_FREE_ATTEMPTS, default_value_t = 3)]
    pub login_free_attempts: u32,
    /// Milliseconds the first throttled try waits; each further failure doubles it.
    #[arg(long = "login-base-delay-ms", env = ENV_LOGIN_BASE_DELAY_MS, value_parser = parse_millis, default_value = "1000")]
    pub login_base_delay: Duration,
    /// Failed logins of one username after which it is locked.
    #[arg(long, env = ENV_LOGIN_LOCK_AFTER, default_value_t = 8)]
    pub login_lock_after: u32,
    /// Milliseconds a locked username stays locked.
    #[arg(long = "login-lock-ms", env = ENV_LOGIN_LOCK_MS, value_parser = parse_millis, default_value = "900000")]
    pub login_lock: Duration,
    /// The file of the account nkey that signs the auth callout's user JWTs (nats-server's
    /// `auth_callout.issuer` is its public key); `<data>/identity/callout-issuer.nk` by default.
    #[arg(long, env = ENV_CALLOUT_ISSUER_KEY)]
    pub callout_issuer_key: Option<std::path::PathBuf>,
    /// The gateway's public caller-assertion key file, read when the first staff-administration
    /// request or logout arrives (and again when one does not verify), so the gateway may start
    /// later [default: <data-dir>/gateway/assertion.pub, where the gateway writes it].
    #[arg(long = "gateway-key", env = ENV_GATEWAY_KEY)]
    pub gateway_key: Option<PathBuf>,
}

impl IdentityConfig {
    /// A configuration with every default, for tests.
    pub fn new(common: CommonConfig) -> IdentityConfig {
        IdentityConfig {
            common,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(12 * 3600),
            refresh_retry_grace: REFRESH_RETRY_GRACE,
            login_free_attempts: 3,
            login_base_delay: Duration::from_secs(1),
            login_lock_after: 8,
            login_lock: Duration::from_secs(15 * 60),
            callout_issuer_key: None,
            gateway_key: None,
        }
    }

    /// Where the gateway's public caller-assertion key is: as configured, or where the gateway
    /// writes it under the data folder.
    pub fn gateway_key_path(&self) -> PathBuf {
        self.gateway_key.clone().unwrap_or_else(|| {
            self.common
                .data_dir
                .join(ServiceName::Gateway.as_str())
                .join(bikestore_auth::GATEWAY_PUBLIC_KEY_FILE)
        })
    }
}

impl IdentityConfig {
    /// Where the callout issuer key is.
    pub fn callout_issuer_path(&self) -> std::path::PathBuf {
        self.callout_issuer_key
            .clone()
            .unwrap_or_else(|| crate::callout::issuer::default_path(&self.common.data_dir))
    }
}
