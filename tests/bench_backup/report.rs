//! The results: the summary table for the README, each part's size, the restore's steps, and
//! the orders lost; saved as markdown and JSON under `target/bench-results/`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use bikestore_backup::Manifest;
use bikestore_backup::manifest::Part;

use crate::cli::Settings;
use crate::load::Outcomes;
use crate::recovery::{Kept, RestoreTimes};

/// Everything a run measured.
pub struct Report<'a> {
    pub settings: &'a Settings,
    pub started_at: u64,
    pub day: Outcomes,
    pub day_time: Duration,
    pub manifest: &'a Manifest,
    pub backup_time: Duration,
    pub restore: RestoreTimes,
    pub kept: Kept,
}

impl Report<'_> {
    fn saga_records(&self) -> u64 {
        self.manifest
            .parts
            .iter()
            .map(|part| match part {
                Part::Sagas { records, .. } => *records,
                _ => 0,
            })
            .sum()
    }

    fn backup_bytes(&self) -> u64 {
        self.manifest.parts.iter().map(part_bytes).sum()
    }

    /// The README's table, then the details.
    pub fn to_markdown(&self) -> String {
        let (settings, times) = (self.settings, &self.restore);
        let mut text = String::new();
        let _ = writeln!(
            text,
            "Backup and restore, scale {}, {} orders, {} nats-server node(s), {} cores\n",
            settings.scale,
            settings.orders,
            settings.nats_nodes,
            std::thread::available_parallelism().map_or(0, usize::from)
        );
        text.push_str("| scale | orders | saga records | backup size | backup | verify | restore (files + nats) | services up, every saga ended | total RTO |\n");
        text.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            settings.scale,
            settings.orders,
            self.saga_records(),
            mebibytes(self.backup_bytes()),
            seconds(self.backup_time),
            seconds(times.verify),
            seconds(times.files + times.into_nats),
            seconds(times.sagas_ended),
            seconds(times.recovery_time()),
        );
        text.push_str("| part | size |\n|---|---:|\n");
        for part in &self.manifest.parts {
            let _ = writeln!(
                text,
                "| {} | {} |",
                part.name(),
                mebibytes(part_bytes(part))
            );
        }
        let _ = writeln!(
            text,
            "\nThe day: {} orders in {} ({:.0}/s): {} completed, {} failed (declined card), {} other.",
            settings.orders,
            seconds(self.day_time),
            settings.orders as f64 / self.day_time.as_secs_f64().max(f64::MIN_POSITIVE),
            self.day.completed,
            self.day.failed,
            self.day.other
        );
        let _ = writeln!(
            text,
            "Restore steps: verify {}, files {}, nats-server start {}, streams and records {}, services up {}, every saga ended {} and notifications caught up {} after the services started.",
            seconds(times.verify),
            seconds(times.files),
            seconds(times.nats_start),
            seconds(times.into_nats),
            seconds(times.services_up),
            seconds(times.sagas_ended),
            seconds(times.notifications_caught_up)
        );
        let _ = writeln!(
            text,
            "Orders the {} sellers saw completed while the backup was taken: {}, of which {} came back (the rest were acknowledged after the backup's databases were copied).",
            settings.sellers, self.kept.acknowledged_during_backup, self.kept.restored
        );
        text
    }

    fn to_json(&self) -> serde_json::Value {
        let times = &self.restore;
        serde_json::json!({
            "benchmark": "backup_restore",
            "started_at": self.started_at,
            "scale": self.settings.scale,
            "orders": self.settings.orders,
            "concurrency": self.settings.concurrency,
            "sellers": self.settings.sellers,
            "nats_nodes": self.settings.nats_nodes,
            "day": {
                "seconds": self.day_time.as_secs_f64(),
                "completed": self.day.completed,
                "failed": self.day.failed,
                "other": self.day.other,
            },
            "saga_records": self.saga_records(),
            "backup_bytes": self.backup_bytes(),
            "parts": self.manifest.parts.iter()
                .map(|part| serde_json::json!({"part": part.name(), "bytes": part_bytes(part)}))
                .collect::<Vec<_>>(),
            "backup_seconds": self.backup_time.as_secs_f64(),
            "verify_seconds": times.verify.as_secs_f64(),
            "restore_files_seconds": times.files.as_secs_f64(),
            "nats_start_seconds": times.nats_start.as_secs_f64(),
            "restore_into_nats_seconds": times.into_nats.as_secs_f64(),
            "services_up_seconds": times.services_up.as_secs_f64(),
            "sagas_ended_seconds": times.sagas_ended.as_secs_f64(),
            "notifications_caught_up_seconds": times.notifications_caught_up.as_secs_f64(),
            "recovery_time_seconds": times.recovery_time().as_secs_f64(),
            "acknowledged_during_backup": self.kept.acknowledged_during_backup,
            "restored_of_those": self.kept.restored,
        })
    }
}

/// Writes the report as `backup_restore-scale<N>-<time>.{md,json}` into `dir`.
pub fn save(report: &Report<'_>, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stem = format!(
        "backup_restore-scale{}-nodes{}-{}",
        report.settings.scale, report.settings.nats_nodes, report.started_at
    );
    let markdown_path = dir.join(format!("{stem}.md"));
    let json_path = dir.join(format!("{stem}.json"));
    std::fs::write(&markdown_path, report.to_markdown())
        .with_context(|| format!("cannot write {}", markdown_path.display()))?;
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&report.to_json())? + "\n",
    )
    .with_context(|| format!("cannot write {}", json_path.display()))?;
    Ok((markdown_path, json_path))
}

fn part_bytes(part: &Part) -> u64 {
    part.files().iter().map(|file| file.bytes).sum()
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

fn mebibytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
