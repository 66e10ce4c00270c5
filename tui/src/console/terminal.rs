//! The terminal: raw mode and the alternate screen while the console runs, and always the
//! user's terminal back afterwards, on a normal exit, an error, Ctrl-C or a panic.
//!
//! Input is read on one thread of its own (crossterm's reads block), which forwards keys and
//! resizes to the loop's channel and stops when told or when the loop is gone.

use std::io::{self, Stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self as terminal_event, Event as TerminalEvent};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use tokio::sync::mpsc::Sender;

use super::event::Event;

/// How long the input thread waits for a key before checking whether it should stop.
const INPUT_POLL: Duration = Duration::from_millis(100);

/// The console's terminal; dropping it gives the user's terminal back.
pub struct TerminalGuard {
    /// What the screens draw on.
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    /// Switches to raw mode and the alternate screen, with a panic hook that switches back
    /// before the panic message prints (so it is readable).
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut stdout = io::stdout();
        if let Err(error) = execute!(stdout, EnterAlternateScreen) {
            restore();
            return Err(error);
        }
        match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(mut terminal) => {
                let _ = terminal.hide_cursor();
                Ok(TerminalGuard { terminal })
            }
            Err(error) => {
                restore();
                Err(error)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = self.terminal.show_cursor();
        restore();
    }
}

/// Leaves raw mode and the alternate screen. Safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// The thread reading terminal input.
pub struct InputReader {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl InputReader {
    /// Starts reading keys and resizes into `events`.
    pub fn start(events: Sender<Event>) -> io::Result<InputReader> {
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("console-input".to_owned())
            .spawn(move || read_input(&events, &stop_flag))?;
        Ok(InputReader {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for InputReader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // The thread checks the flag at least every INPUT_POLL, so this wait is short.
            let _ = thread.join();
        }
    }
}

fn read_input(events: &Sender<Event>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match terminal_event::poll(INPUT_POLL) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(_) => return,
        }
        let event = match terminal_event::read() {
            Ok(TerminalEvent::Key(key)) => Event::Key(key),
            Ok(TerminalEvent::Resize(_, _)) => Event::Resize,
            Ok(_) => continue,
            Err(_) => return,
        };
        if events.blocking_send(event).is_err() {
            return;
        }
    }
}
