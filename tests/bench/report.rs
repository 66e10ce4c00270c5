//! Results: the markdown table printed and saved, the JSON file saved beside it (both named by
//! the run's UTC time), and the comparison with an earlier run's JSON.
//!
//! The JSON is built as a `serde_json::Value` rather than derived: only contracts types derive
//! `Serialize`, and this file is a report, not a wire promise.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use bikestore_contracts::calendar::CalendarTime;
use serde_json::{Value, json};

use crate::cli::{Settings, Until};
use crate::connect::ConnectCost;
use crate::driver::Measurement;
use crate::floor::Row;
use crate::gateway_latency::{self, GatewayLatency};
use crate::orders::Outcomes;
use crate::steps::Breakdown;

/// The JSON layout's version, bumped when a field changes meaning.
const FORMAT_VERSION: u64 = 1;

/// Everything one run measured.
pub struct Report<'a> {
    pub settings: &'a Settings,
    /// Seconds since the Unix epoch when the run started.
    pub started_at: u64,
    pub nats_version: String,
    pub private_server: bool,
    pub steps_per_saga: usize,
    pub primitives: Vec<Row>,
    /// The query straight and through the gateway, by concurrency; empty unless
    /// `--through-gateway`.
    pub gateway_latency: Vec<GatewayLatency>,
    /// What the auth callout adds to a console's connect; `None` unless `--through-gateway`.
    pub connect_cost: Option<ConnectCost>,
    pub floor_saga: Measurement,
    pub place_order: Measurement,
    /// CPU time of the measured floor sagas (this process, plus nats-server when private).
    pub floor_cpu: Option<Duration>,
    /// CPU time of the measured place-order sagas, counted the same way.
    pub place_order_cpu: Option<Duration>,
    /// Whether nats-server's CPU time is in the two above.
    pub cpu_counts_nats: bool,
    pub outcomes: Outcomes,
    pub breakdown: Breakdown,
}

impl Report<'_> {
    /// Place order's throughput as a fraction of the floor saga's.
    pub fn throughput_ratio(&self) -> f64 {
        self.place_order.rate() / self.floor_saga.rate().max(f64::MIN_POSITIVE)
    }

    /// Place order's latency quantile as a multiple of the floor saga's.
    pub fn latency_ratio(&self, quantile: f64) -> f64 {
        self.place_order.quantile_ms(quantile)
            / self.floor_saga.quantile_ms(quantile).max(f64::MIN_POSITIVE)
    }

    /// CPU milliseconds per floor saga and per place-order saga.
    pub fn cpu_per_saga_ms(&self) -> Option<(f64, f64)> {
        let per_saga = |cpu: Option<Duration>, measurement: &Measurement| {
            cpu.map(|cpu| cpu.as_secs_f64() * 1000.0 / measurement.operations.max(1) as f64)
        };
        Some((
            per_saga(self.floor_cpu, &self.floor_saga)?,
            per_saga(self.place_order_cpu, &self.place_order)?,
        ))
    }

    /// How the orders went: `direct` to the intake, or `gateway`, signed.
    fn route(&self) -> &'static str {
        if self.settings.through_gateway {
            "gateway"
        } else {
            "direct"
        }
    }

    /// The report as JSON.
    pub fn to_json(&self) -> Value {
        let settings = self.settings;
        let (duration_s, count) = match settings.until {
            Until::Elapsed(duration) => (Some(duration.as_secs_f64()), None),
            Until::Count(count) => (None, Some(count)),
        };
        let outcomes = &self.outcomes;
        json!({
            "benchmark": "place_order",
            "format": FORMAT_VERSION,
            "started_at": timestamp(self.started_at),
            "profile": settings.profile.name(),
            "nats_nodes": settings.nats_nodes,
            "route": self.route(),
            "concurrency": settings.concurrency,
            "scale": settings.scale,
            "duration_s": duration_s,
            "count": count,
            "decline_share": settings.decline_share,
            "short_stock_share": settings.short_stock_share,
            "cpus": std::thread::available_parallelism().map(usize::from).unwrap_or(1),
            "nats_server": self.nats_version,
            "private_server": self.private_server,
            "steps_per_saga": self.steps_per_saga,
            "primitives": self.primitives.iter().map(|row| {
                let mut value = measurement_json(&row.measurement);
                value["name"] = json!(row.name);
                value["concurrency"] = json!(row.concurrency);
                value
            }).collect::<Vec<_>>(),
            "gateway_latency": (!self.gateway_latency.is_empty())
                .then(|| gateway_latency::to_json(&self.gateway_latency, &self.primitives, measurement_json)),
            "console_connect": self.connect_cost.as_ref().map(ConnectCost::to_json),
            "floor_saga": measurement_json(&self.floor_saga),
            "place_order": measurement_json(&self.place_order),
            "ratios": {
                "throughput": self.throughput_ratio(),
                "p50": self.latency_ratio(0.5),
                "p99": self.latency_ratio(0.99),
                "cpu_per_saga": self.cpu_per_saga_ms().map(|(floor, place_order)| place_order / floor.max(f64::MIN_POSITIVE)),
            },
            "cpu_ms_per_saga": {
                "floor_saga": self.cpu_per_saga_ms().map(|(floor, _)| floor),
                "place_order": self.cpu_per_saga_ms().map(|(_, place_order)| place_order),
                "counts_nats_server": self.cpu_counts_nats,
            },
            "outcomes": {
                "completed": outcomes.completed,
                "failed": outcomes.failed,
                "stuck": outcomes.stuck,
                "timeouts": outcomes.timeouts,
                "errors": outcomes.errors,
                "unexpected": outcomes.unexpected,
                "declined_cards": outcomes.declines,
                "short_of_stock": outcomes.short_stock,
            },
            "records": {
                "terminal": self.breakdown.terminal,
                "unfinished": self.breakdown.unfinished,
                "missing": self.breakdown.missing,
                "mean_bytes": self.breakdown.record_bytes,
            },
            "steps": self.breakdown.rows.iter().map(|row| json!({
                "step": row.name,
                "count": row.count,
                "mean_ms": row.mean_ms,
                "p50_ms": row.p50_ms,
                "p99_ms": row.p99_ms,
            })).collect::<Vec<_>>(),
        })
    }

    /// The report as markdown: settings, the main table, ratios, outcomes, step breakdown.
    pub fn to_markdown(&self) -> String {
        let settings = self.settings;
        let mut text = String::new();
        let run = match settings.until {
            Until::Elapsed(duration) => format!("{:.0} s per saga phase", duration.as_secs_f64()),
            Until::Count(count) => format!("{count} sagas per saga phase"),
        };
        let _ = writeln!(
            text,
            "Profile `{}`, {}, orders {}, concurrency {}, {run}, scale {}, {:.0}% declined cards, {:.0}% short of stock; nats-server {} ({}), {} CPUs, {}.",
            settings.profile.name(),
            match settings.nats_nodes {
                1 => "one nats-server".to_owned(),
                nodes => format!("a {nodes}-node cluster (three replicas)"),
            },
            if settings.through_gateway {
                "signed through the gateway by logged-in staff"
            } else {
                "straight to the orchestrator's intake"
            },
            settings.concurrency,
            settings.scale,
            settings.decline_share * 100.0,
            settings.short_stock_share * 100.0,
            self.nats_version,
            if self.private_server {
                "private"
            } else {
                "attached"
            },
            std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(1),
            timestamp(self.started_at),
        );
        text.push('\n');
        text.push_str("| measurement | concurrency | per second | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |\n");
        text.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for row in &self.primitives {
            table_row(&mut text, &row.name, row.concurrency, &row.measurement);
        }
        for (name, concurrency, measurement) in gateway_latency::table_rows(&self.gateway_latency) {
            table_row(&mut text, &name, concurrency, measurement);
        }
        table_row(
            &mut text,
            &format!(
                "**floor saga**: 1 KV create + {} × (request + SQLite commit + KV CAS)",
                self.steps_per_saga
            ),
            settings.concurrency,
            &self.floor_saga,
        );
        table_row(
            &mut text,
            &format!(
                "**place-order saga** ({} steps), intake to terminal state{}",
                self.steps_per_saga,
                if settings.through_gateway {
                    ", signed through the gateway"
                } else {
                    ""
                }
            ),
            settings.concurrency,
            &self.place_order,
        );
        text.push('\n');
        let _ = writeln!(
            text,
            "Place order against the floor saga: throughput **{:.0}%** (aim ≥ 50%), p50 **{:.2}×**, p99 **{:.2}×** (aim ≤ 3×).",
            self.throughput_ratio() * 100.0,
            self.latency_ratio(0.5),
            self.latency_ratio(0.99),
        );
        if !self.gateway_latency.is_empty() {
            let _ = writeln!(
                text,
                "{}",
                gateway_latency::summary(&self.gateway_latency, &self.primitives)
            );
        }
        if let Some(connect_cost) = &self.connect_cost {
            let _ = writeln!(text, "{}", connect_cost.summary());
        }
        if let Some((floor, place_order)) = self.cpu_per_saga_ms() {
            let _ = writeln!(
                text,
                "CPU per saga ({}): floor saga {floor:.2} ms, place order {place_order:.2} ms, **{:.2}×** the floor's.",
                if self.cpu_counts_nats {
                    "this process, with every service, plus nats-server"
                } else {
                    "this process, with every service; the attached nats-server is not counted"
                },
                place_order / floor.max(f64::MIN_POSITIVE),
            );
        }
        let outcomes = &self.outcomes;
        let _ = writeln!(
            text,
            "Outcomes of {} sagas: {} completed, {} failed ({} declined cards and {} short of stock were meant to), {} stuck, {} timeouts, {} errors, {} unexpected; records: {} terminal, {} unfinished, {} missing, {:.0} bytes on average.",
            self.place_order.operations,
            outcomes.completed,
            outcomes.failed,
            outcomes.declines,
            outcomes.short_stock,
            outcomes.stuck,
            outcomes.timeouts,
            outcomes.errors,
            outcomes.unexpected,
            self.breakdown.terminal,
            self.breakdown.unfinished,
            self.breakdown.missing,
            self.breakdown.record_bytes,
        );
        text.push('\n');
        text.push_str(
            "| step, from the saga records (ms resolution) | count | mean ms | p50 ms | p99 ms |\n",
        );
        text.push_str("|---|---:|---:|---:|---:|\n");
        for row in &self.breakdown.rows {
            let _ = writeln!(
                text,
                "| {} | {} | {:.2} | {:.0} | {:.0} |",
                row.name, row.count, row.mean_ms, row.p50_ms, row.p99_ms
            );
        }
        text
    }
}

fn measurement_json(measurement: &Measurement) -> Value {
    json!({
        "operations": measurement.operations,
        "seconds": measurement.elapsed.as_secs_f64(),
        "per_second": measurement.rate(),
        "mean_ms": measurement.latency.mean() / 1000.0,
        "p50_ms": measurement.quantile_ms(0.5),
        "p90_ms": measurement.quantile_ms(0.9),
        "p99_ms": measurement.quantile_ms(0.99),
        "p999_ms": measurement.quantile_ms(0.999),
        "max_ms": measurement.max_ms(),
    })
}

fn table_row(text: &mut String, name: &str, concurrency: usize, measurement: &Measurement) {
    let _ = writeln!(
        text,
        "| {name} | {concurrency} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
        measurement.rate(),
        measurement.quantile_ms(0.5),
        measurement.quantile_ms(0.9),
        measurement.quantile_ms(0.99),
        measurement.quantile_ms(0.999),
        measurement.max_ms(),
    );
}

/// Writes `<dir>/place_order-<profile>-<time>.json` and `.md`; returns their paths.
pub fn save(report: &Report<'_>, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stem = format!(
        "place_order-{}{}-{}",
        report.settings.profile.name(),
        if report.settings.through_gateway {
            "-gateway"
        } else {
            ""
        },
        file_stamp(report.started_at)
    );
    let json_path = dir.join(format!("{stem}.json"));
    let markdown_path = dir.join(format!("{stem}.md"));
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&report.to_json())? + "\n",
    )
    .with_context(|| format!("cannot write {}", json_path.display()))?;
    std::fs::write(&markdown_path, report.to_markdown())
        .with_context(|| format!("cannot write {}", markdown_path.display()))?;
    Ok((json_path, markdown_path))
}

/// The change from an earlier run's JSON to this run's, as a markdown table.
pub fn compare(previous_path: &Path, current: &Value) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(previous_path)
        .with_context(|| format!("cannot read {}", previous_path.display()))?;
    let previous: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a benchmark result", previous_path.display()))?;
    anyhow::ensure!(
        previous["benchmark"] == "place_order",
        "{} is not a place_order result",
        previous_path.display()
    );
    let metrics: [(&str, &str); 16] = [
        ("place order, sagas/s", "/place_order/per_second"),
        ("place order, p50 ms", "/place_order/p50_ms"),
        ("place order, p99 ms", "/place_order/p99_ms"),
        ("place order, max ms", "/place_order/max_ms"),
        ("floor saga, sagas/s", "/floor_saga/per_second"),
        ("floor saga, p50 ms", "/floor_saga/p50_ms"),
        ("floor saga, p99 ms", "/floor_saga/p99_ms"),
        ("throughput / floor", "/ratios/throughput"),
        ("p50 / floor", "/ratios/p50"),
        ("p99 / floor", "/ratios/p99"),
        ("CPU ms per floor saga", "/cpu_ms_per_saga/floor_saga"),
        ("CPU ms per place order", "/cpu_ms_per_saga/place_order"),
        ("CPU / floor", "/ratios/cpu_per_saga"),
        ("record bytes", "/records/mean_bytes"),
        (
            "gateway adds, p50 ms, concurrency 1",
            "/gateway_latency/by_concurrency/0/added_p50_ms",
        ),
        (
            "gateway adds, p50 ms, run's concurrency",
            "/gateway_latency/by_concurrency/1/added_p50_ms",
        ),
    ];
    let mut table = format!(
        "Against {} ({}, profile {}, {} nats-server node(s), route {}, concurrency {}):\n\n| metric | before | now | change |\n|---|---:|---:|---:|\n",
        previous_path.display(),
        previous["started_at"].as_str().unwrap_or("?"),
        previous["profile"].as_str().unwrap_or("?"),
        // Runs from before the cluster existed had one node.
        previous["nats_nodes"].as_u64().unwrap_or(1),
        // Runs from before the gateway existed went direct.
        previous["route"].as_str().unwrap_or("direct"),
        previous["concurrency"],
    );
    for (name, pointer) in metrics {
        let before = previous.pointer(pointer).and_then(Value::as_f64);
        let now = current.pointer(pointer).and_then(Value::as_f64);
        let change = match (before, now) {
            (Some(before), Some(now)) if before != 0.0 => {
                format!("{:+.1}%", (now - before) / before * 100.0)
            }
            _ => "n/a".to_owned(),
        };
        let show =
            |value: Option<f64>| value.map_or("n/a".to_owned(), |value| format!("{value:.2}"));
        let _ = writeln!(
            table,
            "| {name} | {} | {} | {change} |",
            show(before),
            show(now)
        );
    }
    Ok(table)
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
fn timestamp(seconds: u64) -> String {
    format!("{} UTC", utc_time(seconds))
}

/// `YYYYMMDDTHHMMSSZ`, for file names.
fn file_stamp(seconds: u64) -> String {
    let time = utc_time(seconds);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        time.year, time.month, time.day, time.hour, time.minute, time.second
    )
}

fn utc_time(seconds: u64) -> CalendarTime {
    CalendarTime::utc(i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX))
}
