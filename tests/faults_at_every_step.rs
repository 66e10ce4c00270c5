//! Faults at every step of the three sagas, and the end state each leaves.
//!
//! Every step of place order, cancel order and transfer stock meets each fault: its
//! participant refuses it for a business reason (or, where the step has none, answers
//! `unavailable`), crashes right after committing it and before replying (the participant runs
//! as its real binary and is started again), or commits it and replies too late for the
//! orchestrator's step timeout, once with retries left (the retry is answered from the inbox)
//! and once without (the step is uncertain: the engine asks again and compensates). Each case
//! runs on its own system and checks what a customer and a shop would see at the end: the
//! order's status, the payments of the order (nothing held or taken on a failed saga, taken
//! once on a completed one), the stock on hand and reserved, and the notifications, each once.

#[path = "faults/cases.rs"]
mod cases;
#[path = "faults/checks.rs"]
mod checks;
#[path = "faults/world.rs"]
mod world;

use cases::{Fault, Saga};

/// Runs every case of `saga` meeting `fault`, a few at a time.
async fn matrix(saga: Saga, fault: Fault) -> anyhow::Result<()> {
    let failures = world::run_all(cases::of(saga, fault)).await;
    anyhow::ensure!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_order_refused_at_every_step() -> anyhow::Result<()> {
    matrix(Saga::PlaceOrder, Fault::Refusal).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_order_participant_crashing_at_every_step() -> anyhow::Result<()> {
    matrix(Saga::PlaceOrder, Fault::Crash).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_order_late_reply_retried_at_every_step() -> anyhow::Result<()> {
    matrix(Saga::PlaceOrder, Fault::LateRetried).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_order_late_reply_uncertain_at_every_step() -> anyhow::Result<()> {
    matrix(Saga::PlaceOrder, Fault::LateOnce).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_order_refused_at_every_step() -> anyhow::Result<()> {
    matrix(Saga::CancelOrder, Fault::Refusal).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_order_participant_crashing_at_every_step() -> anyhow::Result<()> {
    matrix(Saga::CancelOrder, Fault::Crash).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_order_late_reply_retried_at_every_step() -> anyhow::Result<()> {
    matrix(Saga::CancelOrder, Fault::LateRetried).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_order_late_reply_uncertain_at_every_step() -> anyhow::Result<()> {
    matrix(Saga::CancelOrder, Fault::LateOnce).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_stock_refused_at_every_step() -> anyhow::Result<()> {
    matrix(Saga::TransferStock, Fault::Refusal).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_stock_participant_crashing_at_every_step() -> anyhow::Result<()> {
    matrix(Saga::TransferStock, Fault::Crash).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_stock_late_reply_retried_at_every_step() -> anyhow::Result<()> {
    matrix(Saga::TransferStock, Fault::LateRetried).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_stock_late_reply_uncertain_at_every_step() -> anyhow::Result<()> {
    matrix(Saga::TransferStock, Fault::LateOnce).await
}
