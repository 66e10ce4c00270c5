//! The stack under test: a private nats-server with identity, inventory and the gateway
//! in-process, and an admin member of staff made directly through identity.

use std::time::Duration;

use bikestore_client::Client;
use bikestore_contracts::identity::{CreateStaff, Password, Role};
use bikestore_contracts::{ServiceName, Subjects};
use bikestore_gateway::GatewayConfig;
use bikestore_identity::IdentityConfig;
use bikestore_runtime::CommonConfig;
use bikestore_runtime::call::Caller;
use bikestore_testkit::{InProcess, NatsOptions, NatsServer};
use tempfile::TempDir;

/// The admin every stack gets.
pub const ADMIN: &str = "ada";
/// The admin's password.
pub const ADMIN_PASSWORD: &str = "pw-ada-correct-horse";

/// nats-server + data folder + the three services + a client.
pub struct Stack {
    pub _nats: NatsServer,
    pub _data: TempDir,
    pub client: Client,
    pub services: Vec<InProcess>,
}

impl Stack {
    /// The stack with default settings.
    pub async fn start() -> anyhow::Result<Stack> {
        Stack::start_with_token_ttl(Duration::from_secs(15 * 60)).await
    }

    /// The stack with identity issuing access tokens valid for `ttl`.
    pub async fn start_with_token_ttl(ttl: Duration) -> anyhow::Result<Stack> {
        Stack::start_services(ttl, false).await
    }

    /// The stack as `just up` runs it: nats-server refuses anonymous clients, each service
    /// connects as its own NATS user, and `client` as the console user from its credentials file.
    pub async fn start_secured() -> anyhow::Result<Stack> {
        Stack::start_services(Duration::from_secs(15 * 60), true).await
    }

    async fn start_services(ttl: Duration, secured: bool) -> anyhow::Result<Stack> {
        let nats = if secured {
            NatsServer::start_secured(NatsOptions::default()).await?
        } else {
            NatsServer::start().await?
        };
        let nats_client = nats.client().await?;
        let subjects = Subjects::default();
        let data = tempfile::tempdir()?;
        let common = CommonConfig::new(nats.url(), data.path());
        let common_of = |service: ServiceName| {
            let mut common = common.clone();
            if secured {
                common.nats_credentials = Some(nats.credentials(service.as_str()));
            }
            common
        };
        let mut identity_config = IdentityConfig::new(common_of(ServiceName::Identity));
        identity_config.access_token_ttl = ttl;
        let inventory_config =
            bikestore_inventory::InventoryConfig::new(common_of(ServiceName::Inventory));
        let gateway_config = GatewayConfig::new(common_of(ServiceName::Gateway));
        let identity = InProcess::start(&nats_client, ServiceName::Identity.as_str(), |shutdown| {
            bikestore_identity::run(identity_config, shutdown)
        })
        .await?;
        let inventory =
            InProcess::start(&nats_client, ServiceName::Inventory.as_str(), |shutdown| {
                bikestore_inventory::run(inventory_config, shutdown)
            })
            .await?;
        let gateway = InProcess::start(&nats_client, ServiceName::Gateway.as_str(), |shutdown| {
            bikestore_gateway::run(gateway_config, shutdown)
        })
        .await?;
        let caller = Caller::new(nats_client.clone(), subjects.clone());
        caller
            .call(&CreateStaff {
                username: ADMIN.into(),
                name: "Ada Admin".into(),
                email: "ada@bikes.shop".into(),
                role: Role::Admin,
                store_id: None,
                password: Password::from(ADMIN_PASSWORD),
            })
            .await?;
        let client = if secured {
            let console = nats.credentials("console");
            Client::connect_with_credentials(&nats.url(), Some(&console), subjects).await?
        } else {
            Client::new(nats_client, subjects)
        };
        Ok(Stack {
            _nats: nats,
            _data: data,
            client,
            services: vec![gateway, inventory, identity],
        })
    }

    /// Stops every service, the gateway first.
    pub async fn stop(self) -> anyhow::Result<()> {
        for service in self.services {
            service.stop().await?;
        }
        Ok(())
    }
}
