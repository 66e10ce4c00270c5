//! A console's refresh whose reply is lost after identity committed it: the client asks again
//! with the same refresh token, identity takes it for a retry (within its grace, the lost
//! reply's token unused) and the console's session goes on.
//!
//! The loss is made deterministic: with identity stopped, a stand-in subscribed to identity's
//! refresh endpoint catches the gateway's forward of the console's refresh; identity is started
//! again and the test hands it the caught request itself, discarding the reply (the refresh is
//! committed, the console never hears of it); the gateway answers the console `timeout`.

use std::time::Duration;

use anyhow::Context;
use bikestore_contracts::identity::Refresh;
use bikestore_contracts::{Request, ServiceName};
use bikestore_harness::System;
use futures::StreamExt;

/// How long the gateway waits for identity before answering the console `timeout`: long
/// enough for identity to start again and commit the caught refresh meanwhile.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the test waits for any one step.
const PATIENCE: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_refresh_whose_reply_is_lost_is_retried_and_the_session_goes_on() -> anyhow::Result<()> {
    let mut system = System::builder()
        .seeded()
        .services(&[ServiceName::Identity, ServiceName::Gateway])
        .configure(|configs| configs.gateway.forward_timeout = FORWARD_TIMEOUT)
        .start()
        .await?;
    let session = system.console("admin").await?;
    let before = session.to_saved().await;

    system.stop_service(ServiceName::Identity).await?;
    let refresh_subject = system
        .subjects()
        .svc(ServiceName::Identity, Refresh::OPERATION);
    let mut stand_in = system.client().subscribe(refresh_subject).await?;
    system.client().flush().await?;
    let refreshing = tokio::spawn({
        let session = session.clone();
        async move { session.refresh().await }
    });
    let caught = tokio::time::timeout(PATIENCE, stand_in.next())
        .await
        .context("the gateway forwards the console's refresh")?
        .context("the stand-in's subscription ended")?;

    system.start_service(ServiceName::Identity).await?;
    let headers = caught.headers.clone().unwrap_or_default();
    // Identity commits the refresh; its reply is lost.
    let lost_reply = tokio::time::timeout(
        PATIENCE,
        system.client().request_with_headers(
            caught.subject.clone(),
            headers,
            caught.payload.clone(),
        ),
    )
    .await
    .context("identity answers the caught refresh")??;
    assert!(
        lost_reply.headers.as_ref().is_none_or(|headers| {
            headers
                .get(bikestore_contracts::headers::NATS_SERVICE_ERROR)
                .is_none()
        }),
        "identity refreshed the session: {lost_reply:?}"
    );
    stand_in.unsubscribe().await?;
    system.client().flush().await?;

    // The gateway answers the console `timeout`; it asks again with the same refresh token.
    tokio::time::timeout(PATIENCE, refreshing)
        .await
        .context("the console's refresh ends")???;
    let after = session.to_saved().await;
    assert_ne!(after.refresh_token, before.refresh_token);
    // The session goes on: its new refresh token works.
    session.refresh().await?;
    system.stop().await
}
