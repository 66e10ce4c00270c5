//! The stack under test: identity, inventory and the gateway (the harness's system), and an
//! admin member of staff made directly through identity.

use std::time::Duration;

use bikestore_client::Client;
use bikestore_contracts::ServiceName;
use bikestore_contracts::identity::{CreateStaff, Password, Role};
use bikestore_harness::{System, SystemBuilder};

/// The admin every stack gets.
pub const ADMIN: &str = "ada";
/// The admin's password.
pub const ADMIN_PASSWORD: &str = "pw-ada-correct-horse";

/// The system and a console's client.
pub struct Stack {
    system: System,
    pub client: Client,
}

impl Stack {
    /// The stack with default settings.
    pub async fn start() -> anyhow::Result<Stack> {
        Stack::start_from(System::builder()).await
    }

    /// The stack with identity issuing access tokens valid for `ttl`.
    pub async fn start_with_token_ttl(ttl: Duration) -> anyhow::Result<Stack> {
        Stack::start_from(
            System::builder().configure(move |configs| configs.identity.access_token_ttl = ttl),
        )
        .await
    }

    /// The stack as `just up` runs it: nats-server refuses anonymous clients, each service
    /// connects as its own NATS user, and `client` as the console user from its credentials file.
    pub async fn start_secured() -> anyhow::Result<Stack> {
        Stack::start_from(System::builder().secured()).await
    }

    async fn start_from(builder: SystemBuilder) -> anyhow::Result<Stack> {
        let system = builder
            .services(&[
                ServiceName::Identity,
                ServiceName::Inventory,
                ServiceName::Gateway,
            ])
            .start()
            .await?;
        system
            .as_gateway()
            .call(&CreateStaff {
                username: ADMIN.into(),
                name: "Ada Admin".into(),
                email: "ada@bikes.shop".into(),
                role: Role::Admin,
                store_id: None,
                password: Password::from(ADMIN_PASSWORD),
            })
            .await?;
        let client = system.console_client().await?;
        Ok(Stack { system, client })
    }

    /// Stops every service, the gateway first.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.system.stop().await
    }
}
