//! Losing a service's machine: the orders process is killed with its Litestream and its data
//! folder deleted, the database is rebuilt from its replica in the NATS object store (as
//! `just restore-db orders` does on another machine), and the restarted service answers every
//! order it acknowledged before the last replication, while the orchestrator finishes the saga
//! that was in flight. Everything is real: nats-server with the project's users (Litestream
//! connects as `orders_replica`, which may touch only its own bucket), the orders binary, the
//! litestream binary.
//!
//! The saga is held in flight deterministically: the orders process first runs with the
//! operation of the saga's last step (`confirm_order`, orders' `change_order_status`) failing as
//! unavailable, so the saga keeps retrying it, and its order is paid for and replicated before
//! the machine goes.
#![allow(clippy::unwrap_used)]

#[path = "support/shop.rs"]
mod shop;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use bikestore_contracts::Request;
use bikestore_contracts::orders::{ChangeOrderStatus, GetOrder, Order, OrderStatus};
use bikestore_contracts::sagas::{
    GetSaga, SagaId, SagaPayload, SagaRecord, SagaStarted, SagaState,
};
use bikestore_contracts::{OrderId, ServiceName, StaffId};
use bikestore_harness::System;
use bikestore_runtime::call::CallOptions;
use bikestore_runtime::config::ENV_FAULT;
use bikestore_runtime::replica::{ENV_REPLICA_PASSWORD, ReplicaSettings, litestream_config};
use bikestore_testkit::{ChildProcess, eventually, litestream_binary};
use shop::Shop;

const WAIT: Duration = Duration::from_secs(20);
/// The place-order saga's steps before its last, `confirm_order`, which asks orders to
/// `change_order_status` and is the one held in flight.
const STEPS_BEFORE_HELD: u32 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_orders_database_is_restored_from_its_replica_and_the_saga_in_flight_finishes()
-> anyhow::Result<()> {
    let litestream = match litestream_binary() {
        Ok(binary) => binary,
        // CI installs litestream (`.ci/run`), so there a missing binary is a failure.
        Err(error) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: {error:#}");
            return Ok(());
        }
        Err(error) => return Err(error),
    };
    let mut system = System::builder()
        .secured()
        .services(&[ServiceName::Inventory, ServiceName::Orchestrator])
        .configure(|configs| {
            // Orders is away for a few seconds; the saga waits for it rather than giving up.
            configs.orchestrator.max_attempts = 1_000;
            configs.orchestrator.max_backoff = Duration::from_millis(300);
        })
        .start()
        .await?;
    system.start_process(ServiceName::Orders, &[]).await?;
    let database = system.common(ServiceName::Orders).database_path("orders");
    let replica = Replica::new(&system, &litestream, &database)?;
    let mut replicating = replica.replicate("before")?;

    let shop = Shop::open(system.caller(), "Replicated", 10).await?;
    let mut acknowledged = Vec::new();
    for number in 0..3 {
        let placed = place(&system, &shop, &format!("paid-{number}"), Some(15_000)).await?;
        anyhow::ensure!(placed.state == SagaState::Completed, "{placed:?}");
        acknowledged.push(
            placed
                .order_id
                .context("a completed saga names its order")?,
        );
    }

    // The saga in flight: held at its last step until orders comes back without the fault.
    system.stop_service(ServiceName::Orders).await?;
    let failing = format!("fail_operation={}", ChangeOrderStatus::OPERATION);
    system
        .start_process(ServiceName::Orders, &[(ENV_FAULT, failing.as_str())])
        .await?;
    let in_flight = place(&system, &shop, "in-flight", None).await?;
    let held = eventually("the saga to be held at its last step", WAIT, async || {
        let record = saga_record(&system, &in_flight.saga_id).await?;
        (record.state == SagaState::Running && record.completed_steps == STEPS_BEFORE_HELD)
            .then_some(record)
    })
    .await?;
    let held_order = match &held.payload {
        SagaPayload::PlaceOrder(saga) => saga.order_id,
        _ => None,
    };
    acknowledged.push(held_order.context("the held saga created its order")?);
    let mut answered = Vec::new();
    for order_id in &acknowledged {
        answered.push(get_order(&system, *order_id).await?);
    }

    // Everything acknowledged is in the replica once a restore of it shows what the live
    // database holds (the in-flight order paid for, the others confirmed).
    replica
        .wait_until_it_holds("every acknowledged order", &database)
        .await?;

    // The machine is lost: the service and its Litestream die, its data folder goes.
    system.kill_service(ServiceName::Orders).await?;
    replicating.kill_hard().await?;
    let folder = database.parent().context("the database has a folder")?;
    std::fs::remove_dir_all(folder).with_context(|| format!("delete {}", folder.display()))?;

    let started = Instant::now();
    replica.restore(&database).await?;
    eprintln!("restored the orders database in {:?}", started.elapsed());
    let _replicating_again = replica.replicate("after")?;
    system.start_process(ServiceName::Orders, &[]).await?;

    for (order_id, before) in acknowledged.iter().zip(&answered) {
        let mut after = get_order(&system, *order_id).await?;
        // The saga in flight may already have confirmed its order again (its retry of the last
        // step can reach the restarted service first); everything else about it is unchanged.
        if Some(*order_id) == held_order
            && after.status == OrderStatus::Processing
            && after.history.starts_with(&before.history)
        {
            after.status = before.status;
            after.history.truncate(before.history.len());
        }
        anyhow::ensure!(
            &after == before,
            "order {order_id}: {before:?} became {after:?}"
        );
    }
    let finished = eventually("the saga in flight to finish", WAIT, async || {
        let record = saga_record(&system, &in_flight.saga_id).await?;
        record.state.is_terminal().then_some(record)
    })
    .await?;
    anyhow::ensure!(
        finished.state == SagaState::Completed,
        "the saga in flight ended {:?}: {:?}",
        finished.state,
        finished.error
    );

    // Replication goes on from the restored database: the saga's last change reaches the
    // replica too.
    replica
        .wait_until_it_holds("the saga's last change", &database)
        .await?;
    system.stop().await
}

/// The orders database's replica: its Litestream configuration, and the password of the user
/// it replicates as.
struct Replica {
    litestream: PathBuf,
    config: PathBuf,
    password: String,
    logs: PathBuf,
    probe_dir: tempfile::TempDir,
}

impl Replica {
    fn new(system: &System, litestream: &Path, database: &Path) -> anyhow::Result<Replica> {
        let user = bikestore_contracts::database_replicas::replica_user(ServiceName::Orders);
        let credentials = system
            .credentials(&user)
            .context("a secured system has credentials")?;
        let line = std::fs::read_to_string(&credentials)?;
        let password = line
            .trim()
            .split_once(':')
            .map(|(_, password)| password.to_owned())
            .context("credentials are user:password")?;
        let yaml = litestream_config(&ReplicaSettings {
            service: ServiceName::Orders,
            database,
            nats_url: &system.nats_url(),
            subjects: system.subjects(),
            tls_ca: None,
        })?;
        // Outside the orders folder, which the lost machine takes with it.
        let config = system.data_dir().join("litestream-orders.yml");
        std::fs::write(&config, yaml)?;
        Ok(Replica {
            litestream: litestream.to_owned(),
            config,
            password,
            logs: system.data_dir().to_owned(),
            probe_dir: tempfile::tempdir()?,
        })
    }

    /// Starts `litestream replicate` (killed when the handle drops).
    fn replicate(&self, name: &str) -> anyhow::Result<ChildProcess> {
        let config = self.config.display().to_string();
        ChildProcess::spawn(
            &self.litestream,
            &["replicate", "-config", config.as_str()],
            &[(ENV_REPLICA_PASSWORD, self.password.as_str())],
            &self.logs.join(format!("litestream-{name}.out")),
        )
    }

    /// Rebuilds the database at `database` from the replica, as `just restore-db` does.
    async fn restore(&self, database: &Path) -> anyhow::Result<()> {
        self.run_restore(&[database.display().to_string()]).await
    }

    /// Restores the replica into a fresh file beside the test, to look into; `None` while the
    /// replica holds nothing yet.
    async fn restore_probe(&self) -> anyhow::Result<Option<PathBuf>> {
        let probe = self
            .probe_dir
            .path()
            .join(format!("{}.db", ulid::Ulid::new()));
        let database = self.config_database()?;
        let arguments = [
            "-if-replica-exists".to_owned(),
            "-o".to_owned(),
            probe.display().to_string(),
            database,
        ];
        self.run_restore(&arguments).await?;
        Ok(probe.exists().then_some(probe))
    }

    /// Waits until a restore of the replica shows the orders and payments `database` holds now
    /// (`what` names them for the failure).
    async fn wait_until_it_holds(&self, what: &str, database: &Path) -> anyhow::Result<()> {
        let live = orders_and_payments(database)?;
        eventually(&format!("the replica to hold {what}"), WAIT, async || {
            let Some(restored) = self.restore_probe().await? else {
                return Ok(None);
            };
            Ok::<_, anyhow::Error>((orders_and_payments(&restored)? == live).then_some(()))
        })
        .await
    }

    fn config_database(&self) -> anyhow::Result<String> {
        let yaml = std::fs::read_to_string(&self.config)?;
        yaml.lines()
            .find_map(|line| line.trim().strip_prefix("- path: "))
            .map(|path| path.trim_matches('"').to_owned())
            .context("the configuration names its database")
    }

    async fn run_restore(&self, arguments: &[String]) -> anyhow::Result<()> {
        let config = self.config.display().to_string();
        let output = tokio::process::Command::new(&self.litestream)
            .args(["restore", "-config", config.as_str()])
            .args(arguments)
            .env(ENV_REPLICA_PASSWORD, &self.password)
            .output()
            .await?;
        anyhow::ensure!(
            output.status.success(),
            "litestream restore {arguments:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(())
    }
}

/// Every order's status and every captured payment, read straight from an orders database.
fn orders_and_payments(database: &Path) -> anyhow::Result<Vec<(i64, String, Option<String>)>> {
    let connection = rusqlite::Connection::open_with_flags(
        database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let mut statement = connection.prepare(
        "SELECT orders.order_id, orders.status, payments.status FROM orders \
         LEFT JOIN payments ON payments.order_id = orders.order_id ORDER BY orders.order_id",
    )?;
    let rows = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The saga's record, or `None` while the orchestrator cannot say.
async fn saga_record(system: &System, saga_id: &SagaId) -> Option<SagaRecord> {
    let get = GetSaga {
        saga_id: saga_id.clone(),
    };
    system.caller().call(&get).await.ok()
}

async fn get_order(system: &System, order_id: OrderId) -> anyhow::Result<Order> {
    Ok(system.caller().call(&GetOrder { order_id }).await?)
}

/// Places an order for one product under idempotency key `key`, waiting `wait_ms` for the
/// saga to end (or only for it to start).
async fn place(
    system: &System,
    shop: &Shop,
    key: &str,
    wait_ms: Option<u64>,
) -> anyhow::Result<SagaStarted> {
    let place = shop.order(StaffId(1), 1, "4242 4242 4242 4242", wait_ms);
    let options = CallOptions {
        timeout: Some(WAIT),
        ..CallOptions::idempotent(key.to_owned())
    };
    Ok(system.caller().call_with(&place, &options).await?)
}
