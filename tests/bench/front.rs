//! The front door for `--through-gateway`: the gateway configured for a load test and the
//! logged-in demo staff whose sessions sign every request.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use bikestore_client::Session;
use bikestore_contracts::StoreId;
use bikestore_contracts::identity::Role;
use bikestore_gateway::GatewayConfig;
use bikestore_harness::System;

use crate::orders;

/// Requests per second, and burst, each member of staff may send through the benchmark's
/// gateway. The default (50 per second per member) protects a real deployment from one runaway
/// console; a load test sends thousands per second from a few members, and would measure the
/// limiter's refusals instead of the system.
const RATE_PER_MEMBER: u32 = 1_000_000;

/// Configures the gateway for a load test: the defaults, except the rate limit (see
/// [`RATE_PER_MEMBER`]) and a forward timeout as long as an order's caller waits, so the gateway
/// never cuts a waiting place order short of what the direct route allows.
pub fn configure_gateway(config: &mut GatewayConfig) {
    config.rate_per_second = RATE_PER_MEMBER;
    config.rate_burst = RATE_PER_MEMBER;
    config.forward_timeout = orders::ANSWER_TIMEOUT;
}

/// The logged-in demo staff: the admin and the sales members of each store.
#[derive(Clone)]
pub struct Staff {
    admin: Session,
    sales_by_store: Arc<HashMap<StoreId, Vec<Session>>>,
    /// Every session, for calls that any member may make.
    everyone: Arc<Vec<Session>>,
}

impl Staff {
    /// Logs in the admin and every sales member of the demo staff, each with its own session
    /// on its own console connection (a console connection presents one member's token).
    pub async fn log_in(system: &System) -> anyhow::Result<Staff> {
        let logins: Vec<_> = bikestore_identity::seed::demo_logins()
            .into_iter()
            .filter(|login| matches!(login.role, Role::Admin | Role::Sales))
            .collect();
        let sessions = futures::future::try_join_all(logins.iter().map(|login| async move {
            system
                .console_client()
                .await?
                .login(&login.username, login.password.expose())
                .await
                .with_context(|| format!("log in as {}", login.username))
        }))
        .await?;
        let mut admin = None;
        let mut sales_by_store: HashMap<StoreId, Vec<Session>> = HashMap::new();
        for session in &sessions {
            let member = session.whoami();
            match (member.role, member.store_id) {
                (Role::Admin, _) => admin = Some(session.clone()),
                (_, Some(store_id)) => sales_by_store
                    .entry(store_id)
                    .or_default()
                    .push(session.clone()),
                (_, None) => {}
            }
        }
        Ok(Staff {
            admin: admin.context("the demo staff has no admin")?,
            sales_by_store: Arc::new(sales_by_store),
            everyone: Arc::new(sessions),
        })
    }

    /// Who places order `index` at `store_id`: one of that store's sales members, taking
    /// turns, as the gateway lets sales act only on their own store; the admin for a store
    /// without demo staff.
    pub fn for_store(&self, store_id: StoreId, index: u64) -> &Session {
        match self.sales_by_store.get(&store_id) {
            Some(sales) if !sales.is_empty() => &sales[(index % sales.len() as u64) as usize],
            _ => &self.admin,
        }
    }

    /// Some logged-in member, taking turns by `index`.
    pub fn any(&self, index: usize) -> &Session {
        &self.everyone[index % self.everyone.len()]
    }
}
