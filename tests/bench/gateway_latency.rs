//! The gateway's added latency (`--through-gateway`): one cheap query, inventory's
//! `list_stores`, timed straight on its `svc` subject and signed through the gateway on its `api`
//! subject, at concurrency 1 and at the run's concurrency, in the same run. The signed time
//! includes the client's own signing, as a console pays it too.
//!
//! It also times one request's Ed25519 signature alone (the console signing, the gateway
//! verifying): with one more trip through nats-server (half the same run's bare request/reply)
//! that is the least any signed hop can add, and the summary shows how much more was measured.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use bikestore_auth::{KeyPair, sign_request, verify_request};

use bikestore_contracts::Request as _;
use bikestore_contracts::inventory::ListStores;
use bikestore_runtime::call::Caller;
use serde_json::{Value, json};

use crate::cli::Until;
use crate::driver::{self, Measurement};
use crate::floor::{self, Row};
use crate::front::Staff;

/// The aim of issue 7: the gateway adds at most this at p50.
const AIM_P50_MS: f64 = 0.2;
/// The query timed, as the table names it.
const QUERY: &str = "inventory list_stores";

/// The query both ways at one concurrency.
pub struct GatewayLatency {
    pub concurrency: usize,
    pub direct: Measurement,
    pub signed: Measurement,
    pub signature: SignatureCost,
}

/// One request's signature on this machine, in milliseconds of one core.
#[derive(Debug, Clone, Copy)]
pub struct SignatureCost {
    /// The console signing it.
    pub sign_ms: f64,
    /// The gateway verifying it.
    pub verify_ms: f64,
}

/// How many signatures are timed for the mean.
const SIGNATURES_TIMED: u32 = 2_000;

impl SignatureCost {
    /// Times signing and verifying a `list_stores` request on the calling thread.
    fn measure() -> anyhow::Result<SignatureCost> {
        let session = KeyPair::generate()?;
        let public = session.public_key();
        let subject = &bikestore_contracts::Subjects::default()
            .api(ListStores::SERVICE, ListStores::OPERATION);
        let body = b"{}";
        let now = bikestore_runtime::now_ms();
        let started = Instant::now();
        let mut signatures = Vec::with_capacity(SIGNATURES_TIMED as usize);
        for _ in 0..SIGNATURES_TIMED {
            signatures.push(sign_request(&session, subject, now, body)?);
        }
        let signing = started.elapsed();
        let started = Instant::now();
        for signature in &signatures {
            verify_request(&public, subject, body, signature, now)?;
        }
        let verifying = started.elapsed();
        let per_signature =
            |total: Duration| total.as_secs_f64() * 1e3 / f64::from(SIGNATURES_TIMED);
        Ok(SignatureCost {
            sign_ms: per_signature(signing),
            verify_ms: per_signature(verifying),
        })
    }
}

impl GatewayLatency {
    /// How much longer a signed call takes at `quantile`, in milliseconds.
    pub fn added_ms(&self, quantile: f64) -> f64 {
        self.signed.quantile_ms(quantile) - self.direct.quantile_ms(quantile)
    }
}

/// Times the query both ways at each concurrency, each for `duration` after a short untimed
/// warm-up (the gateway's first signed call fetches identity's keys and the member's status).
pub async fn measure(
    caller: &Caller,
    staff: &Staff,
    concurrencies: &[usize],
    duration: Duration,
) -> anyhow::Result<Vec<GatewayLatency>> {
    let signature = SignatureCost::measure()?;
    let mut pairs = Vec::new();
    for &concurrency in concurrencies {
        let warm_up = Until::Count((concurrency as u64 * 4).max(32));
        direct(caller, concurrency, warm_up).await?;
        let direct_measurement = direct(caller, concurrency, Until::Elapsed(duration)).await?;
        signed(staff, concurrency, warm_up).await?;
        let signed_measurement = signed(staff, concurrency, Until::Elapsed(duration)).await?;
        pairs.push(GatewayLatency {
            concurrency,
            direct: direct_measurement,
            signed: signed_measurement,
            signature,
        });
    }
    Ok(pairs)
}

async fn direct(caller: &Caller, concurrency: usize, until: Until) -> anyhow::Result<Measurement> {
    let caller = caller.clone();
    let (measurement, _) = driver::drive(
        &format!("{QUERY}, direct"),
        concurrency,
        until,
        move |_, _| {
            let caller = caller.clone();
            async move {
                caller.call(&ListStores {}).await?;
                Ok(())
            }
        },
    )
    .await?;
    Ok(measurement)
}

async fn signed(staff: &Staff, concurrency: usize, until: Until) -> anyhow::Result<Measurement> {
    let staff = staff.clone();
    let (measurement, _) = driver::drive(
        &format!("{QUERY}, through the gateway"),
        concurrency,
        until,
        move |worker, _| {
            // Each worker keeps to one session, as each console has its own.
            let session = staff.any(worker).clone();
            async move {
                session.call(&ListStores {}).await?;
                Ok(())
            }
        },
    )
    .await?;
    Ok(measurement)
}

/// The rows for the main table: `(name, concurrency, measurement)`.
pub fn table_rows(pairs: &[GatewayLatency]) -> Vec<(String, usize, &Measurement)> {
    pairs
        .iter()
        .flat_map(|pair| {
            [
                (
                    format!("{QUERY}, direct on its svc subject"),
                    pair.concurrency,
                    &pair.direct,
                ),
                (
                    format!("{QUERY}, signed through the gateway"),
                    pair.concurrency,
                    &pair.signed,
                ),
            ]
        })
        .collect()
}

/// The least any signed hop adds on this machine, in milliseconds: the signature made and
/// checked, and one more trip through nats-server (half a bare request/reply's p50 at
/// concurrency 1, from the same run's `primitives`).
fn signed_hop_floor_ms(pairs: &[GatewayLatency], primitives: &[Row]) -> Option<f64> {
    let signature = pairs.first()?.signature;
    let round_trip = primitives
        .iter()
        .find(|row| row.name == floor::REQUEST_REPLY && row.concurrency == 1)?;
    Some(signature.sign_ms + signature.verify_ms + round_trip.measurement.quantile_ms(0.5) / 2.0)
}

/// One markdown line: what the gateway adds at each concurrency, against the aim and against
/// the least any signed hop can add here.
pub fn summary(pairs: &[GatewayLatency], primitives: &[Row]) -> String {
    let mut text = format!("Gateway's added latency on {QUERY} (signed minus direct): ");
    for (position, pair) in pairs.iter().enumerate() {
        let _ = write!(
            text,
            "{}concurrency {}: p50 **{:+.2} ms**, p99 {:+.2} ms",
            if position == 0 { "" } else { "; " },
            pair.concurrency,
            pair.added_ms(0.5),
            pair.added_ms(0.99),
        );
    }
    let _ = write!(text, " (aim: at most {AIM_P50_MS} ms at p50).");
    if let Some(pair) = pairs.first() {
        let cost = pair.signature;
        let _ = write!(
            text,
            " One request's Ed25519 signature costs {:.3} ms (the console signs: {:.3}, the \
             gateway verifies: {:.3}).",
            cost.sign_ms + cost.verify_ms,
            cost.sign_ms,
            cost.verify_ms,
        );
        if let Some(floor_ms) = signed_hop_floor_ms(pairs, primitives) {
            let _ = write!(
                text,
                " With one more trip through nats-server (half a bare request/reply) the least \
                 any signed hop adds here is **{floor_ms:.2} ms**; all else (bookkeeping and task \
                 wake-ups in the console and the gateway) adds {:+.2} ms at concurrency {}.",
                pair.added_ms(0.5) - floor_ms,
                pair.concurrency,
            );
        }
    }
    text
}

/// The pairs as JSON, each measurement as `measurement_json` makes it.
pub fn to_json(
    pairs: &[GatewayLatency],
    primitives: &[Row],
    measurement_json: fn(&Measurement) -> Value,
) -> Value {
    json!({
        "query": QUERY,
        "aim_added_p50_ms": AIM_P50_MS,
        "by_concurrency": pairs.iter().map(|pair| json!({
            "concurrency": pair.concurrency,
            "direct": measurement_json(&pair.direct),
            "signed": measurement_json(&pair.signed),
            "added_p50_ms": pair.added_ms(0.5),
            "added_p99_ms": pair.added_ms(0.99),
        })).collect::<Vec<_>>(),
        "signature_ms": pairs.first().map(|pair| json!({
            "sign": pair.signature.sign_ms,
            "verify": pair.signature.verify_ms,
        })),
        "signed_hop_floor_ms": signed_hop_floor_ms(pairs, primitives),
    })
}
