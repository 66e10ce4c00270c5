//! The restore, timed step by step as an operator would live it after losing the machine:
//! verify the backup, write its files into an empty data folder, start a fresh nats-server,
//! restore the streams and saga records into it, start every service, and wait until every
//! saga has ended and notifications has read every event again.

use std::path::Path;
use std::time::{Duration, Instant};

use bikestore_backup::{Manifest, restore, verify};
use bikestore_contracts::orders::{GetOrder, OrderStatus};
use bikestore_contracts::sagas::SagaStats;
use bikestore_contracts::{ErrorCode, OrderId, ServiceName, Subjects};
use bikestore_harness::{START_ORDER, System};
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::{NatsOptions, eventually};

/// The longest a restored system may take to end its sagas or catch up.
const SETTLE: Duration = Duration::from_secs(30 * 60);

/// How long a count of the sagas by state may take.
const STATS_TIMEOUT: Duration = Duration::from_secs(30);

/// How long each step of the restore took.
#[derive(Debug, Clone, Copy, Default)]
pub struct RestoreTimes {
    /// Reading and hashing every file of the backup.
    pub verify: Duration,
    /// The databases and keys written into the empty data folder.
    pub files: Duration,
    /// A fresh nats-server (or 3-node cluster) started and answering.
    pub nats_start: Duration,
    /// The streams and saga records restored into it.
    pub into_nats: Duration,
    /// Every service started and ready.
    pub services_up: Duration,
    /// From the services' start until no saga is running or compensating.
    pub sagas_ended: Duration,
    /// From the services' start until notifications has no event left to read.
    pub notifications_caught_up: Duration,
}

impl RestoreTimes {
    /// What an operator waits for, from the backup in hand to a system whose every saga has
    /// ended: verify, files, nats-server, streams and records, services and sagas.
    pub fn recovery_time(&self) -> Duration {
        self.verify + self.files + self.nats_start + self.into_nats + self.sagas_ended
    }
}

/// What came back of the orders the sellers saw completed while the backup was taken.
#[derive(Debug, Clone, Copy, Default)]
pub struct Kept {
    pub acknowledged_during_backup: usize,
    pub restored: usize,
}

/// Restores the backup in `backup_dir` onto `nats_nodes` fresh nodes and times each step;
/// `during_backup` are orders acknowledged while it was taken, checked afterwards.
pub async fn restore_and_start(
    backup_dir: &Path,
    nats_nodes: usize,
    during_backup: &[OrderId],
) -> anyhow::Result<(RestoreTimes, Kept)> {
    let mut times = RestoreTimes::default();
    let data = tempfile::Builder::new()
        .prefix("bikestore-restored-")
        .tempdir()?;

    let began = Instant::now();
    let manifest: Manifest = {
        let backup_dir = backup_dir.to_owned();
        tokio::task::spawn_blocking(move || verify::verify(&backup_dir, &Subjects::default()))
            .await??
    };
    times.verify = began.elapsed();
    eprintln!("  verified in {:.1} s", times.verify.as_secs_f64());

    let began = Instant::now();
    {
        let (backup_dir, data_dir, manifest) = (
            backup_dir.to_owned(),
            data.path().to_owned(),
            manifest.clone(),
        );
        tokio::task::spawn_blocking(move || {
            restore::restore_files(&backup_dir, &manifest, &data_dir)
        })
        .await??;
    }
    times.files = began.elapsed();

    let began = Instant::now();
    let mut system = System::builder()
        .data_dir(data.path())
        .nats_options(NatsOptions {
            nodes: nats_nodes,
            ..NatsOptions::default()
        })
        .start()
        .await?;
    times.nats_start = began.elapsed();

    let began = Instant::now();
    restore::restore_into_nats(
        system.client(),
        system.subjects(),
        backup_dir,
        &manifest,
        nats_nodes,
    )
    .await?;
    times.into_nats = began.elapsed();
    eprintln!(
        "  restored files in {:.1} s and streams and records in {:.1} s; starting the services",
        times.files.as_secs_f64(),
        times.into_nats.as_secs_f64()
    );

    let began = Instant::now();
    for service in START_ORDER {
        system.start_service(service).await?;
    }
    times.services_up = began.elapsed();
    eventually("every saga to end", SETTLE, async || {
        // Counting tens of thousands of records while the orchestrator recovers them takes
        // longer than a call's default timeout; a call that times out is asked again.
        let options = CallOptions {
            timeout: Some(STATS_TIMEOUT),
            ..CallOptions::default()
        };
        let stats = match system
            .caller()
            .call_with(&SagaStats::default(), &options)
            .await
        {
            Ok(stats) => stats,
            Err(error) if error.code == ErrorCode::Timeout => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let unfinished: u64 = stats
            .counts
            .iter()
            .filter(|count| !count.state.is_terminal())
            .map(|count| count.count)
            .sum();
        anyhow::Ok((unfinished == 0).then_some(()))
    })
    .await?;
    times.sagas_ended = began.elapsed();
    eprintln!(
        "  every saga ended {:.1} s after the services started",
        times.sagas_ended.as_secs_f64()
    );
    eventually("notifications to catch up", SETTLE, async || {
        notifications_caught_up(&system).await
    })
    .await?;
    times.notifications_caught_up = began.elapsed();

    let mut kept = Kept {
        acknowledged_during_backup: during_backup.len(),
        restored: 0,
    };
    for order_id in during_backup {
        let order = system
            .caller()
            .call(&GetOrder {
                order_id: *order_id,
            })
            .await;
        if order.is_ok_and(|order| order.status == OrderStatus::Processing) {
            kept.restored += 1;
        }
    }
    system.stop().await?;
    Ok((times, kept))
}

/// Whether notifications' consumers of the orders and inventory event streams have nothing
/// left to deliver or waiting for an acknowledgement.
async fn notifications_caught_up(system: &System) -> anyhow::Result<Option<()>> {
    let jetstream = async_nats::jetstream::new(system.client().clone());
    for producer in [ServiceName::Orders, ServiceName::Inventory] {
        let stream = jetstream
            .get_stream(system.subjects().event_stream(producer))
            .await?;
        let info = stream
            .consumer_info(ServiceName::Notifications.as_str())
            .await?;
        if info.num_pending > 0 || info.num_ack_pending > 0 {
            return Ok(None);
        }
    }
    Ok(Some(()))
}
