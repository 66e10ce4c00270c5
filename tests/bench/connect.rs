//! What identity's auth callout adds to a console's connect (`--through-gateway`): connects timed
//! one after another as a NATS user with a password (checked by nats-server alone), as a console
//! not yet logged in (session key only) and as a logged-in console (session key and access
//! token, which the callout verifies against the database). A connect counts until the server's
//! first PONG, which it sends only once the connection is authorized.

use std::sync::Arc;
use std::time::Instant;

use bikestore_client::KeyPair;
use bikestore_contracts::identity::AccessToken;
use bikestore_contracts::subjects;
use bikestore_harness::System;
use hdrhistogram::Histogram;
use serde_json::{Value, json};

/// The aim: the callout adds at most this to a connect, at p50.
const AIM_ADDED_MS: f64 = 5.0;

/// Connect latency of each kind, in microseconds.
pub struct ConnectCost {
    pub password: Histogram<u64>,
    pub console: Histogram<u64>,
    pub logged_in: Histogram<u64>,
}

impl ConnectCost {
    /// Times `connects` connects of each kind against `system` (which runs identity and the
    /// gateway, seeded with the demo staff).
    pub async fn measure(system: &System, connects: u32) -> anyhow::Result<ConnectCost> {
        let url = system.nats_url();
        let ops = system.credentials(bikestore_harness::OPS_NATS_USER);
        let password = time(
            connects,
            || {
                let options = match &ops {
                    Some(path) => {
                        let (user, password) = bikestore_client::read_credentials(path)?;
                        async_nats::ConnectOptions::with_user_and_password(user, password)
                    }
                    None => async_nats::ConnectOptions::new(),
                };
                Ok(options)
            },
            &url,
        )
        .await?;
        let key = Arc::new(KeyPair::generate()?);
        let console = time(connects, || console_options(&key, None), &url).await?;
        let session = system.console("admin").await?;
        let saved = session.to_saved().await;
        let key = Arc::new(bikestore_client::Session::saved_key(&saved)?);
        let token = saved.access_token;
        let logged_in = time(connects, || console_options(&key, Some(&token)), &url).await?;
        Ok(ConnectCost {
            password,
            console,
            logged_in,
        })
    }

    fn added_p50_ms(&self) -> f64 {
        quantile_ms(&self.logged_in, 0.5) - quantile_ms(&self.password, 0.5)
    }

    /// The report's lines.
    pub fn summary(&self) -> String {
        format!(
            "Console connect (auth callout): password user p50 {:.2} ms, console before login p50 {:.2} ms, logged in p50 {:.2} ms / p99 {:.2} ms: the callout adds **{:.2} ms** at p50 (aim ≤ {AIM_ADDED_MS} ms).",
            quantile_ms(&self.password, 0.5),
            quantile_ms(&self.console, 0.5),
            quantile_ms(&self.logged_in, 0.5),
            quantile_ms(&self.logged_in, 0.99),
            self.added_p50_ms(),
        )
    }

    /// The report's JSON.
    pub fn to_json(&self) -> Value {
        let kind = |histogram: &Histogram<u64>| {
            json!({
                "p50_ms": quantile_ms(histogram, 0.5),
                "p99_ms": quantile_ms(histogram, 0.99),
                "connects": histogram.len(),
            })
        };
        json!({
            "password": kind(&self.password),
            "console": kind(&self.console),
            "logged_in": kind(&self.logged_in),
            "added_p50_ms": self.added_p50_ms(),
        })
    }
}

fn quantile_ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    histogram.value_at_quantile(quantile) as f64 / 1000.0
}

/// Options that connect as a console with `key`, presenting `token`.
fn console_options(
    key: &Arc<KeyPair>,
    token: Option<&AccessToken>,
) -> anyhow::Result<async_nats::ConnectOptions> {
    let nkey = key.nats_user_key()?;
    let signer = Arc::clone(key);
    let presented = token.map(|token| token.expose().to_owned());
    let sent_nkey = nkey.clone();
    Ok(
        async_nats::ConnectOptions::with_auth_callback(move |nonce| {
            let mut auth = async_nats::Auth::new();
            auth.nkey = Some(sent_nkey.clone());
            auth.signature = Some(signer.sign(&nonce).to_vec());
            auth.token = presented.clone();
            async move { Ok(auth) }
        })
        .custom_inbox_prefix(subjects::console_inbox_prefix(&nkey)),
    )
}

/// Connects `connects` times, one after another, with fresh `options`.
async fn time(
    connects: u32,
    options: impl Fn() -> anyhow::Result<async_nats::ConnectOptions>,
    url: &str,
) -> anyhow::Result<Histogram<u64>> {
    let mut latency = Histogram::new(3)?;
    for _ in 0..connects {
        let options = options()?;
        let started = Instant::now();
        let client = options.connect(url).await?;
        latency.record(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX))?;
        drop(client);
    }
    Ok(latency)
}
