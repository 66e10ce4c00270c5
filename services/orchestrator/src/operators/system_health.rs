//! `system_health`: the system's health for an admin's console (the gateway lets only admins
//! call it): what the runtime's gatherer sees over NATS, with the saga counts read from the saga index.

use bikestore_contracts::health::{SystemHealth, SystemHealthReport};
use bikestore_runtime::{Ctx, error_chain, health};

use crate::Orchestrator;
use crate::error::OrchestratorError;

/// Gathers the report; a saga store that cannot be read is a problem in it, not a refusal, so
/// the rest still shows.
pub async fn handle(
    ctx: Ctx<Orchestrator>,
    _request: SystemHealth,
) -> Result<SystemHealthReport, OrchestratorError> {
    let mut report = health::gather(ctx.caller.client(), &ctx.subjects).await;
    let counts = match ctx.index.caught_up().await {
        Ok(()) => ctx.index.counts().await,
        Err(error) => Err(error),
    };
    match counts {
        Ok(counts) => report.sagas = Some(health::saga_counts(&counts)),
        Err(error) => {
            tracing::warn!(error = %error_chain(&error), "cannot read the sagas for system health");
            report
                .problems
                .push("the orchestrator cannot read the saga records".to_owned());
        }
    }
    Ok(report)
}
