//! The interactive staff console: a ratatui application over the client library.
//!
//! One event loop on the console's own tokio runtime: terminal input (its own thread), ticks,
//! signals and the worker's answers all arrive as [`event::Event`]s; [`app::App::update`] turns
//! each into new state and [`event::Command`]s; the [`worker`] runs the commands on tasks and
//! answers over the same channel; [`screens`] draw the state. So the screen never waits on the
//! network, and every state change is a pure function that tests drive without a terminal.
//!
//! Layout: `app` (state and keys, per screen), `event` (the events and commands), `keys` (the
//! key table behind the hint bar and `?` help), `screens` (drawing, per screen), `worker` (NATS
//! through `bikestore_client`, live feeds), `terminal` (raw mode, restore, input thread),
//! `theme` (styles, `NO_COLOR`), `format` (money, dates). The console holds no domain rule and
//! builds no subject: the gateway decides what a role may do, `contracts` names the subjects.

pub mod app;
#[cfg(test)]
mod demo;
pub mod event;
pub mod format;
pub mod keys;
pub mod screens;
pub mod terminal;
pub mod theme;
pub mod worker;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bikestore_contracts::Subjects;
use tokio::sync::mpsc;

use app::App;
use event::Event;
use terminal::{InputReader, TerminalGuard};
use theme::Theme;
use worker::Worker;

/// How often the screen redraws with nothing else happening (spinners, the clock).
const TICK: Duration = Duration::from_millis(200);
/// How many events may wait for the loop; senders wait when it is full.
const EVENT_QUEUE: usize = 256;

/// Where the console connects and keeps its session.
#[derive(Debug, Clone)]
pub struct Options {
    /// The NATS server's URL.
    pub nats_url: String,
    /// The console NATS user's credentials file (`user:password`), when the server requires one.
    pub nats_credentials: Option<PathBuf>,
    /// TLS to nats-server, when it runs its TLS profile.
    pub nats_tls: bikestore_client::TlsFiles,
    /// The deployment's subjects.
    pub subjects: Subjects,
    /// The session file shared with the CLI's `login`.
    pub session_file: PathBuf,
    /// `NO_COLOR` as the process found it: set and not empty turns colours off.
    pub no_color: Option<std::ffi::OsString>,
    /// The offset from UTC of the store's clocks: times show, and the dashboard's day starts, at
    /// it. The local one as `main.rs` found it before any thread started, else UTC.
    pub utc_offset: time::UtcOffset,
}

/// Runs the console until the user quits. It owns the terminal and its own async runtime.
pub fn run(options: Options) -> anyhow::Result<()> {
    let theme = Theme::from_no_color(options.no_color.as_deref());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut guard = TerminalGuard::enter()?;
    let result = runtime.block_on(event_loop(&mut guard, &options, theme));
    drop(guard);
    // Tasks still waiting on NATS are not worth waiting for once the screen is gone.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}

async fn event_loop(
    guard: &mut TerminalGuard,
    options: &Options,
    theme: Theme,
) -> anyhow::Result<()> {
    let (sender, mut receiver) = mpsc::channel(EVENT_QUEUE);
    let _input = InputReader::start(sender.clone())?;
    let mut worker = Worker::start(options, sender.clone());
    let mut app = App::new(theme, now_ms()).with_utc_offset(options.utc_offset);
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    loop {
        guard.terminal.draw(|frame| screens::render(&app, frame))?;
        let event = tokio::select! {
            Some(event) = receiver.recv() => event,
            _ = ticks.tick() => Event::Tick { now_ms: now_ms() },
            _ = &mut interrupt => Event::Interrupt,
        };
        for command in app.update(event) {
            worker.execute(command);
        }
        if app.quit {
            break;
        }
    }
    worker.save_session().await;
    worker.shutdown();
    Ok(())
}

/// The wall clock in milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
