//! [`InProcess`]: a service's `run` function running inside the test process, stopped through
//! its shutdown signal as SIGTERM would stop the binary.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use bikestore_runtime::Shutdown;
use bikestore_runtime::shutdown::ShutdownTrigger;
use tokio::task::JoinHandle;

use crate::wait_for_service;

/// How long a service gets to answer its first ping.
pub const SERVICE_READY: Duration = Duration::from_secs(20);

/// A service running in this process.
pub struct InProcess {
    trigger: ShutdownTrigger,
    task: JoinHandle<anyhow::Result<()>>,
}

impl InProcess {
    /// Starts `run` with a fresh shutdown signal and waits until `service_name` answers
    /// `$SRV.PING` on `client`'s server.
    pub async fn start<F, Fut, E>(
        client: &async_nats::Client,
        service_name: &str,
        run: F,
    ) -> anyhow::Result<InProcess>
    where
        F: FnOnce(Shutdown) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::error::Error + Send + Sync + 'static,
    {
        let (trigger, shutdown) = Shutdown::new();
        let future = run(shutdown);
        let task = tokio::spawn(async move { future.await.map_err(anyhow::Error::new) });
        wait_for_service(client, service_name, SERVICE_READY).await?;
        Ok(InProcess { trigger, task })
    }

    /// Ends `run` at once, as a crash would end the binary: its task is aborted mid-flight,
    /// with no drain and no flush.
    pub async fn abort(self) {
        self.task.abort();
        let _ = self.task.await;
    }

    /// Triggers shutdown and waits for `run` to return, failing if it failed.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.trigger.trigger();
        self.task.await.context("the service task panicked")?
    }
}
