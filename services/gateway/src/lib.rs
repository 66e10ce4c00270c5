//! The gateway: the only service on `<prefix>.api.>`, the front door every console request
//! passes.
//!
//! For each request it finds the operation in the authorization [`table`], verifies the access
//! token against identity's public keys (`keys`) and the request signature made with the
//! token's session key, refuses a nonce seen within the window (`replay`), rate-limits the member
//! (and public operations per connection, username or refresh token, and operation: `rate`,
//! reading what they name with `public`), checks the member is still active (`staff`), checks
//! role against the table and store scope as the table declares it (`scope`, over what `facts`
//! reads from the body, asking a service who owns a named ID), applies the sales policy that
//! needs the verified caller (`policy`: each role's discount limit, the seller is the caller),
//! and
//! forwards to `<prefix>.svc.<service>.<operation>` (`forward`): a command's reply comes
//! back through the gateway, which relays it and writes the command, allowed or refused, to the
//! audit stream (`audit`); a query names the caller's inbox as its reply subject, so the service
//! answers the caller straight, while the service is known to answer (`presence`). What it
//! forwards to identity's staff administration and logout carries its signed caller
//! assertion (`assertion`). `pipeline` runs these steps in order; `events` follows identity's
//! staff and key events; `metrics` counts requests, refusals and rate-limit hits.
//!
//! It registers a NATS micro service named `gateway` whose only endpoint is the runtime's
//! `ready`, so `$SRV.PING.gateway` answers; the public subjects are served by a plain
//! queue-group subscription. It must not hold business rules of the services it fronts (beyond
//! those only the caller's verified identity can decide, in `policy`), and it never logs or
//! audits a request body, token or signature.

pub mod assertion;
mod audit;
pub mod config;
mod error;
mod events;
pub mod facts;
mod forward;
mod keys;
mod metrics;
mod pipeline;
pub mod policy;
mod presence;
mod public;
pub mod rate;
mod replay;
mod scope;
mod sessions;
mod staff;
pub mod table;

use std::sync::Arc;
use std::time::Duration;

use bikestore_contracts::{ServiceName, Subjects};
use bikestore_runtime::application::Application;
use bikestore_runtime::call::Caller;
use bikestore_runtime::config::Fault;
use bikestore_runtime::{RuntimeError, Shutdown};
use futures::StreamExt;
use tokio::task::JoinSet;
use tracing::{Instrument, info, warn};

pub use config::GatewayConfig;
pub use error::GatewayError;

/// The queue group every gateway instance serves the public subjects in.
const QUEUE_GROUP: &str = "gateway";

/// How long shutdown waits for requests already taken.
const DRAIN_PATIENCE: Duration = Duration::from_secs(2);

/// How many requests one instance serves at once; more wait in the subscription.
const MAX_IN_FLIGHT: usize = 4096;

/// What every request shares.
pub struct Gateway {
    client: async_nats::Client,
    jetstream: async_nats::jetstream::Context,
    subjects: Subjects,
    keys: keys::KeyCache,
    staff: staff::StaffCache,
    replay: replay::ReplayCache,
    rate: rate::RateLimits,
    presence: presence::Presence,
    forward_timeout: Duration,
    max_request_bytes: usize,
    /// Fault injection: a `fail_operation` fault answers that public operation `unavailable`.
    fault: Option<Fault>,
    /// Sessions whose access tokens are refused before they expire.
    ended_sessions: sessions::EndedSessions,
    /// Signs the caller assertions identity requires.
    assertion_key: bikestore_auth::KeyPair,
    /// The owning stores of the orders, sagas and payments requests name.
    owners: scope::Owners,
    /// The largest discount each role may give.
    discount_limits: policy::DiscountLimits,
}

/// Runs the gateway until `shutdown`, then drains the requests it already took.
pub async fn run(config: GatewayConfig, shutdown: Shutdown) -> Result<(), RuntimeError> {
    let assertion_key = assertion::load_or_create(&config.assertion_key_path()).await?;
    let mut app = Application::build(ServiceName::Gateway, &config.common, shutdown).await?;
    let subjects = app.subjects().clone();
    let client = app.client().clone();
    let jetstream = app.jetstream().clone();
    audit::ensure_stream(&jetstream, &subjects, config.common.js_replicas).await?;
    let caller = Caller::new(client.clone(), subjects.clone());
    let gateway = Arc::new(Gateway {
        client: client.clone(),
        jetstream,
        subjects: subjects.clone(),
        keys: keys::KeyCache::new(caller.clone(), config.key_refresh_interval),
        staff: staff::StaffCache::new(caller.clone(), config.staff_cache_ttl),
        owners: scope::Owners::new(caller, config.forward_timeout),
        replay: replay::ReplayCache::new(config.replay_capacity),
        rate: config.rate_limits(),
        presence: presence::Presence::new(),
        forward_timeout: config.forward_timeout,
        max_request_bytes: config.common.max_request_bytes,
        fault: config.common.fault.clone(),
        ended_sessions: sessions::EndedSessions::new(),
        assertion_key,
        discount_limits: config.discount_limits,
    });
    let identity_events = events::subscribe(&gateway).await?;
    sessions::catch_up(
        app.jetstream(),
        &subjects,
        &gateway.ended_sessions,
        config.ended_sessions_lookback,
    )
    .await;
    if let Err(error) = gateway.keys.refresh().await {
        // Identity may start after the gateway; the first token then fetches the keys.
        warn!(error = %error, "no public keys at start; fetching them on first use");
    }
    let host = app
        .host(
            "The signed front door: authenticates, authorizes, forwards and audits",
            Arc::clone(&gateway),
        )
        .await?;
    let public = client
        .queue_subscribe(subjects.api_all(), QUEUE_GROUP.to_owned())
        .await
        .map_err(|error| RuntimeError::nats("subscribe to the public subjects", error))?;
    app.spawn(events::run(
        Arc::clone(&gateway),
        identity_events,
        app.shutdown(),
    ));
    app.spawn(presence::watch(
        Arc::clone(&gateway),
        config.presence_interval,
        app.shutdown(),
    ));
    app.spawn(serve_public(gateway, public, app.shutdown()));
    info!(api = %subjects.api_all(), "gateway ready");
    app.serve(host).await
}

async fn serve_public(
    gateway: Arc<Gateway>,
    mut public: async_nats::Subscriber,
    mut shutdown: Shutdown,
) {
    let mut in_flight = JoinSet::new();
    let spawn = |in_flight: &mut JoinSet<()>, message: async_nats::Message| {
        let gateway = Arc::clone(&gateway);
        // One span per public request, continuing the console's trace (or starting one), so
        // every service the request reaches logs under the same trace ID.
        let span = tracing::info_span!("public_request", subject = %message.subject);
        bikestore_runtime::trace::continue_from_headers(&span, message.headers.as_ref());
        in_flight.spawn(async move { pipeline::serve(&gateway, message).await }.instrument(span));
    };
    loop {
        tokio::select! {
            message = public.next(), if in_flight.len() < MAX_IN_FLIGHT => match message {
                Some(message) => spawn(&mut in_flight, message),
                None => break,
            },
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            _ = shutdown.wait() => {
                // Stop taking requests, but serve those the server already delivered.
                let _ = public.unsubscribe().await;
                while let Ok(Some(message)) = tokio::time::timeout(DRAIN_PATIENCE, public.next()).await {
                    spawn(&mut in_flight, message);
                }
                break;
            }
        }
    }
    while in_flight.join_next().await.is_some() {}
}
