//! Starting one service of a system, in this process or as a child process, and stopping it.

use anyhow::Context;
use bikestore_contracts::ServiceName;
use bikestore_testkit::{ChildProcess, InProcess};

use crate::Configs;

/// One running service instance.
pub enum Running {
    /// Its `run` in this process.
    InProcess(InProcess),
    /// Its binary in a child process.
    Process(Box<ChildProcess>),
}

impl Running {
    /// Stops it as SIGTERM would and waits until it has drained; fails if it failed.
    pub async fn stop(self) -> anyhow::Result<()> {
        match self {
            Running::InProcess(service) => service.stop().await,
            Running::Process(mut process) => {
                let status = process.terminate().await?;
                anyhow::ensure!(
                    status.success(),
                    "exited with {status}; its log:\n{}",
                    process.read_log()
                );
                Ok(())
            }
        }
    }

    /// Ends it at once, as a crash would.
    pub async fn kill(self) -> anyhow::Result<()> {
        match self {
            Running::InProcess(service) => {
                service.abort().await;
                Ok(())
            }
            Running::Process(mut process) => process.kill_hard().await.map(drop),
        }
    }
}

/// Starts `service` with its configuration in `configs` and waits until it is ready.
pub(crate) async fn start_in_process(
    client: &async_nats::Client,
    configs: &Configs,
    service: ServiceName,
) -> anyhow::Result<Running> {
    let name = service.as_str();
    let started = match service {
        ServiceName::Identity => {
            let config = configs.identity.clone();
            InProcess::start(client, name, |shutdown| {
                bikestore_identity::run(config, shutdown)
            })
            .await
        }
        ServiceName::Inventory => {
            let config = configs.inventory.clone();
            InProcess::start(client, name, |shutdown| {
                bikestore_inventory::run(config, shutdown)
            })
            .await
        }
        ServiceName::Orders => {
            let config = configs.orders.clone();
            InProcess::start(client, name, |shutdown| {
                bikestore_orders::run(config, shutdown)
            })
            .await
        }
        ServiceName::Notifications => {
            let config = configs.notifications.clone();
            InProcess::start(client, name, |shutdown| {
                bikestore_notifications::run(config, shutdown)
            })
            .await
        }
        ServiceName::Orchestrator => {
            let config = configs.orchestrator.clone();
            InProcess::start(client, name, |shutdown| {
                bikestore_orchestrator::run(config, shutdown)
            })
            .await
        }
        ServiceName::Gateway => {
            let config = configs.gateway.clone();
            InProcess::start(client, name, |shutdown| {
                bikestore_gateway::run(config, shutdown)
            })
            .await
        }
    };
    started
        .map(Running::InProcess)
        .with_context(|| format!("start {service} in process"))
}
