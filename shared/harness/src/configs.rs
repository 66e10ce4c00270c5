//! [`Configs`]: every service's configuration for one system, built from the system's
//! nats-server and data folder.

use std::path::{Path, PathBuf};

use bikestore_contracts::ServiceName;
use bikestore_gateway::GatewayConfig;
use bikestore_identity::IdentityConfig;
use bikestore_inventory::InventoryConfig;
use bikestore_notifications::NotificationsConfig;
use bikestore_orchestrator::OrchestratorConfig;
use bikestore_orders::OrdersConfig;
use bikestore_runtime::CommonConfig;

/// The configuration each service starts with; a test changes fields before start
/// ([`crate::SystemBuilder::configure`]) or before starting a service again
/// ([`crate::System::configs_mut`]).
#[derive(Debug, Clone)]
pub struct Configs {
    /// Identity's.
    pub identity: IdentityConfig,
    /// Inventory's.
    pub inventory: InventoryConfig,
    /// Orders'.
    pub orders: OrdersConfig,
    /// Notifications'.
    pub notifications: NotificationsConfig,
    /// The orchestrator's.
    pub orchestrator: OrchestratorConfig,
    /// The gateway's.
    pub gateway: GatewayConfig,
}

impl Configs {
    /// Every default, on the nats-server at `nats_url` with data under `data_dir`; each
    /// service as the NATS user whose credentials file `credentials_of` names (anonymous for
    /// `None`).
    pub fn new(
        nats_url: &str,
        data_dir: &Path,
        credentials_of: impl Fn(ServiceName) -> Option<PathBuf>,
    ) -> Configs {
        let common_of = |service: ServiceName| {
            let mut common = CommonConfig::new(nats_url, data_dir);
            common.nats_credentials = credentials_of(service);
            common
        };
        Configs {
            identity: IdentityConfig::new(common_of(ServiceName::Identity)),
            inventory: InventoryConfig::new(common_of(ServiceName::Inventory)),
            orders: OrdersConfig::new(common_of(ServiceName::Orders)),
            notifications: NotificationsConfig::new(common_of(ServiceName::Notifications)),
            orchestrator: OrchestratorConfig::new(common_of(ServiceName::Orchestrator)),
            gateway: GatewayConfig::new(common_of(ServiceName::Gateway)),
        }
    }

    /// The shared part of `service`'s configuration.
    pub fn common(&self, service: ServiceName) -> &CommonConfig {
        match service {
            ServiceName::Identity => &self.identity.common,
            ServiceName::Inventory => &self.inventory.common,
            ServiceName::Orders => &self.orders.common,
            ServiceName::Notifications => &self.notifications.common,
            ServiceName::Orchestrator => &self.orchestrator.common,
            ServiceName::Gateway => &self.gateway.common,
        }
    }

    /// The shared part of every service's configuration, to change them all at once (the
    /// durability profile, say).
    pub fn every_common(&mut self) -> [&mut CommonConfig; 6] {
        [
            &mut self.identity.common,
            &mut self.inventory.common,
            &mut self.orders.common,
            &mut self.notifications.common,
            &mut self.orchestrator.common,
            &mut self.gateway.common,
        ]
    }
}
