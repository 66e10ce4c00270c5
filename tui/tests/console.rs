//! The console end to end, driven under tmux like a person at a keyboard.
//!
//! A private nats-server that refuses anonymous clients, the demo data, and every service with
//! the gateway in this process (each as its own NATS user); the real `bikestore` binary runs in
//! a tmux session on a private tmux socket, as the `console` NATS user, with a temporary session
//! file. Keys go in with `tmux send-keys`; every assertion reads the screen with
//! `tmux capture-pane`, waiting with testkit's `eventually`, never with a sleep.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use bikestore_testkit::eventually;
use tempfile::TempDir;

// The command line's tests start the same stack; this binary uses a part of their support.
#[allow(dead_code)]
#[path = "cli/support.rs"]
mod support;

use support::Stack;

/// How long one thing may take to show on screen; a saga ends well within it.
const SCREEN_DEADLINE: Duration = Duration::from_secs(30);
/// The terminal size: wide enough that product names are not cut.
const COLUMNS: u16 = 160;
const ROWS: u16 = 48;
/// The products pane is the left 55% of the form.
const PRODUCTS_PANE_COLUMNS: usize = 88;

/// The console in a tmux session on a private socket, killed with its server on drop.
struct Console {
    socket: String,
    home: TempDir,
    session_file: PathBuf,
}

impl Console {
    /// Starts `bikestore` (no subcommand: the console) in a detached tmux session. After the
    /// console exits, the pane prints its exit code and waits, so the test can read it.
    fn start(stack: &Stack, name: &str) -> anyhow::Result<Console> {
        let home = tempfile::tempdir()?;
        let session_file: PathBuf = home.path().join("session.json");
        let socket = format!("bikestore-{name}-{}", std::process::id());
        let binary = env!("CARGO_BIN_EXE_bikestore");
        let script = format!(
            "env -i HOME={home} TERM=xterm-256color NO_COLOR=1 BIKESTORE_NATS_URL={url} \
             {binary} --session-file {session}; \
             echo \"console exited with $?\"; exec cat",
            home = shell_quote(&home.path().display().to_string()),
            url = shell_quote(&stack.nats().url()),
            binary = shell_quote(binary),
            session = shell_quote(&session_file.display().to_string()),
        );
        let console = Console {
            socket,
            home,
            session_file,
        };
        console.tmux(&[
            "new-session",
            "-d",
            "-s",
            "console",
            "-x",
            &COLUMNS.to_string(),
            "-y",
            &ROWS.to_string(),
            "sh",
            "-c",
            &script,
        ])?;
        Ok(console)
    }

    fn tmux(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .context("run tmux (is it installed?)")?;
        if !output.status.success() {
            bail!(
                "tmux {args:?} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs `bikestore <args>` (the command line) on the console's session file and answers
    /// its exit code.
    fn command_line(&self, stack: &Stack, args: &[&str]) -> anyhow::Result<i32> {
        let output = Command::new(env!("CARGO_BIN_EXE_bikestore"))
            .env_clear()
            .env("HOME", self.home.path())
            .arg("--nats-url")
            .arg(stack.nats().url())
            .arg("--session-file")
            .arg(&self.session_file)
            .args(args)
            .output()
            .context("run bikestore")?;
        Ok(output.status.code().unwrap_or(-1))
    }

    /// Types text as it is.
    fn type_text(&self, text: &str) -> anyhow::Result<()> {
        self.tmux(&["send-keys", "-t", "console", "-l", text])
            .map(drop)
    }

    /// Presses keys by tmux name: `Enter`, `Tab`, `Down`, `C-s`, `Escape`.
    fn press(&self, keys: &[&str]) -> anyhow::Result<()> {
        let mut args = vec!["send-keys", "-t", "console"];
        args.extend_from_slice(keys);
        self.tmux(&args).map(drop)
    }

    /// The screen as text.
    fn screen(&self) -> anyhow::Result<String> {
        self.tmux(&["capture-pane", "-p", "-t", "console"])
    }

    /// Waits until the screen shows every one of `texts`, and answers it.
    async fn wait_for(&self, texts: &[&str]) -> anyhow::Result<String> {
        let what = format!("the screen to show {texts:?}");
        eventually(&what, SCREEN_DEADLINE, async || {
            let screen = self.screen()?;
            let shown = texts.iter().all(|text| screen.contains(text));
            anyhow::Ok(shown.then_some(screen))
        })
        .await
        .with_context(|| format!("last screen:\n{}", self.screen().unwrap_or_default()))
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// A product row of the form's product list: its name and the store's available stock.
#[derive(Debug, Clone, PartialEq)]
struct ProductRow {
    name: String,
    available: Option<i64>,
}

/// Reads the product list off the screen: rows of the left pane with a price.
fn product_rows(screen: &str) -> Vec<ProductRow> {
    screen
        .lines()
        .map(|line| line.chars().take(PRODUCTS_PANE_COLUMNS).collect::<String>())
        .filter(|left| left.contains('$') && !left.contains("total"))
        .filter_map(|left| {
            let inner = left
                .trim_start_matches('│')
                .trim_end()
                .trim_end_matches('│');
            let (name, rest) = inner.split_once('$')?;
            let stock = rest.split_whitespace().last()?;
            let available = match stock {
                "none" => Some(0),
                number => number.parse().ok(),
            };
            Some(ProductRow {
                name: name.trim().to_owned(),
                available,
            })
        })
        .collect()
}

/// Searches the form's products for `text` and waits until the stock column is filled in.
async fn search_products(console: &Console, text: &str) -> anyhow::Result<Vec<ProductRow>> {
    console.type_text(text)?;
    console.press(&["Enter"])?;
    eventually("products with their stock", SCREEN_DEADLINE, async || {
        let rows = product_rows(&console.screen()?);
        let ready = !rows.is_empty() && rows.iter().all(|row| row.available.is_some());
        anyhow::Ok(ready.then_some(rows))
    })
    .await
}

/// Picks the first customer named Burks in a fresh form; the focus moves to the products.
async fn choose_customer(console: &Console) -> anyhow::Result<()> {
    console.wait_for(&["New order", "Find:"]).await?;
    console.type_text("burks")?;
    console.press(&["Enter"])?;
    console.wait_for(&["Burks ·"]).await?;
    console.press(&["Enter"])?;
    // The pane's title names the customer once one is chosen.
    console.wait_for(&["Customer: "]).await?;
    Ok(())
}

/// Adds the products at `indices` (ascending) of the list shown, one unit each.
fn add_products(console: &Console, indices: &[usize]) -> anyhow::Result<()> {
    let mut at = 0;
    for &index in indices {
        for _ in at..index {
            console.press(&["Down"])?;
        }
        at = index;
        console.press(&["Enter"])?;
    }
    Ok(())
}

/// Goes to the card pane, types a card and places the order.
fn pay_and_place(console: &Console, card: &str) -> anyhow::Result<()> {
    console.press(&["Tab", "Tab"])?;
    console.type_text(card)?;
    console.press(&["Enter"])?;
    console.type_text("12/30")?;
    console.press(&["Enter"])?;
    console.type_text("123")?;
    console.press(&["C-s"])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sales_member_places_an_order_live_and_a_declined_card_is_rejected_with_its_reason()
-> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let console = Console::start(&stack, "place-order")?;

    console.wait_for(&["log in", "connected"]).await?;
    console.type_text("sales1a")?;
    console.press(&["Tab"])?;
    console.type_text("sales1a-demo-1")?;
    console.press(&["Enter"])?;
    let dashboard = console
        .wait_for(&["sales1a · sales · Santa Cruz Bikes", "Today ·"])
        .await?;
    let tabs = dashboard.lines().next().unwrap_or_default();
    assert!(
        tabs.contains("Orders") && !tabs.contains("Sagas") && !tabs.contains("Staff"),
        "a sales member sees no operator screen: {tabs}"
    );

    console.type_text("2")?;
    console.wait_for(&["Orders · status: all"]).await?;
    console.type_text("n")?;
    choose_customer(&console).await?;
    let before = search_products(&console, "trek").await?;
    let in_stock: Vec<usize> = before
        .iter()
        .enumerate()
        .filter(|(_, row)| row.available.is_some_and(|available| available >= 2))
        .map(|(index, _)| index)
        .take(2)
        .collect();
    let [first, second] = in_stock[..] else {
        bail!("two Trek products with stock are needed: {before:?}");
    };
    add_products(&console, &[first, second])?;
    console.wait_for(&["Cart (2)"]).await?;
    pay_and_place(&console, "4242 4242 4242 4242")?;
    let placed = console
        .wait_for(&["Order placed: paid, stock taken.", "do confirm order"])
        .await?;
    assert!(
        placed.contains("✓ done"),
        "the steps show as done:\n{placed}"
    );

    // A new form reads the store's stock again: both products went down by one.
    console.type_text("n")?;
    choose_customer(&console).await?;
    let after = search_products(&console, "trek").await?;
    for index in [first, second] {
        let was = &before[index];
        let now = after
            .iter()
            .find(|row| row.name == was.name)
            .with_context(|| format!("{} is listed again", was.name))?;
        assert_eq!(
            now.available,
            was.available.map(|available| available - 1),
            "{} lost the unit sold",
            was.name
        );
    }

    // The same with a card the simulator declines: the saga undoes its steps and says why.
    add_products(&console, &[first])?;
    console.wait_for(&["Cart (1)"]).await?;
    pay_and_place(&console, "4000 0000 0000 0002")?;
    let rejected = console
        .wait_for(&["Order rejected.", "Reason:", "undo create order"])
        .await?;
    assert!(
        rejected.contains("declined"),
        "the reason names the decline:\n{rejected}"
    );

    // People and products by name: the list names the customer; the newest order (the
    // rejected one) opens with its seller, the member logged in, and its product by name.
    console.press(&["Escape"])?;
    console.wait_for(&["Orders · status: all", "Burks"]).await?;
    console.press(&["Enter"])?;
    let product_prefix: String = before[first].name.chars().take(12).collect();
    let opened = console
        .wait_for(&["Order #", "Burks (#", "taken by", &product_prefix])
        .await?;
    assert!(
        !opened.contains("taken by staff #"),
        "the seller is named:\n{opened}"
    );
    console.press(&["Escape"])?;
    console.wait_for(&["Orders · status: all"]).await?;
    console.type_text("q")?;
    console.wait_for(&["console exited with 0"]).await?;
    drop(console);
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_the_console_refreshes_are_saved_for_the_command_line() -> anyhow::Result<()> {
    // Tokens this short are refreshed before every call, and each refresh spends the refresh
    // token the session file held: the console must write the new one back.
    let stack = Stack::start_with_token_ttl(Duration::from_secs(30)).await?;
    let console = Console::start(&stack, "refresh")?;
    console.wait_for(&["log in", "connected"]).await?;
    console.type_text("sales1a")?;
    console.press(&["Tab"])?;
    console.type_text("sales1a-demo-1")?;
    console.press(&["Enter"])?;
    console
        .wait_for(&["sales1a · sales", "Today ·", "Orders  "])
        .await?;
    console.type_text("2")?;
    console.wait_for(&["Orders · status: all"]).await?;
    console.type_text("q")?;
    console.wait_for(&["console exited with 0"]).await?;

    let code = console.command_line(&stack, &["orders", "ls"])?;
    assert_eq!(
        code, 0,
        "the command line goes on with the console's session"
    );
    drop(console);
    stack.stop().await
}
