//! The TLS profile (`nats/server-tls.conf`, `nats/server-tls-verify.conf`): a client that does
//! not speak TLS, or does not trust the deployment's authority, is refused; services (in this
//! process and as binaries) and consoles connect with the authority named; under client
//! verification, a client without a certificate is refused too.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use bikestore_contracts::ServiceName;
use bikestore_contracts::inventory::ListStores;
use bikestore_harness::System;
use bikestore_testkit::{NatsOptions, NatsTls};

const PLAIN_TEXT_PATIENCE: Duration = Duration::from_secs(5);

fn tls(mode: NatsTls) -> NatsOptions {
    NatsOptions {
        tls: Some(mode),
        ..NatsOptions::default()
    }
}

/// Speaks plain-text NATS to `port` (CONNECT then PING): answers the first line after the
/// server's greeting, or `None` when the server closes the connection instead.
fn plain_text_ping(port: u16) -> anyhow::Result<(String, Option<String>)> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(PLAIN_TEXT_PATIENCE))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut greeting = String::new();
    reader.read_line(&mut greeting)?;
    (&stream).write_all(b"CONNECT {\"verbose\":false}\r\nPING\r\n")?;
    let mut answer = String::new();
    let answered = match reader.read_line(&mut answer) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(answer),
    };
    Ok((greeting, answered))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_text_client_is_refused_and_services_connect_over_tls() -> anyhow::Result<()> {
    let system = System::builder()
        .nats_options(tls(NatsTls::Server))
        .services(&[ServiceName::Inventory])
        .start()
        .await?;
    // Inventory (in this process, told the authority) answers over TLS.
    let stores = system.caller().call(&ListStores {}).await?;
    assert!(stores.stores.is_empty());

    let port = system.nats().port();
    let (greeting, answer) = tokio::task::spawn_blocking(move || plain_text_ping(port)).await??;
    assert!(greeting.contains("\"tls_required\":true"), "{greeting}");
    assert!(
        !answer.as_deref().unwrap_or_default().starts_with("PONG"),
        "a plain-text client was served: {answer:?}"
    );
    // A client that does not trust the deployment's authority gets no connection either.
    let untrusting = async_nats::ConnectOptions::new()
        .require_tls(true)
        .connection_timeout(Duration::from_secs(2))
        .connect(system.nats().url())
        .await;
    assert!(
        untrusting.is_err(),
        "a client trusting no authority connected"
    );
    system.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_client_verification_only_clients_with_a_certificate_connect() -> anyhow::Result<()> {
    let mut system = System::builder()
        .nats_options(tls(NatsTls::VerifyClients))
        .services(&[ServiceName::Identity])
        .start()
        .await?;
    // A service binary, given the files through its environment, and a console (identity's
    // auth callout authorizes it).
    system.start_process(ServiceName::Inventory, &[]).await?;
    let console = system.console_client().await?;
    console.nats().flush().await?;
    let stores = system.caller().call(&ListStores {}).await?;
    assert!(stores.stores.is_empty());

    let ca = system
        .nats()
        .tls()
        .map(|files| files.ca.clone())
        .ok_or_else(|| anyhow::anyhow!("the server runs no TLS profile"))?;
    let without_certificate = async_nats::ConnectOptions::new()
        .add_root_certificates(ca)
        .require_tls(true)
        .connection_timeout(Duration::from_secs(2))
        .connect(system.nats().url())
        .await;
    let refused = match without_certificate {
        Err(_) => true,
        // The handshake may complete before the server checks; then the first round trip fails.
        Ok(client) => client.flush().await.is_err(),
    };
    assert!(refused, "a client without a certificate was served");
    system.stop().await
}
