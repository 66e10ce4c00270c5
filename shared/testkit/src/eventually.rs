//! [`eventually`]: the one polling helper tests may use.
//!
//! Tests should await an event (a message, a reply, a process exit) instead. Polling is only for
//! state that announces nothing, such as a file appearing or a port closing, and it always has a
//! deadline. It uses tokio's clock, so it also works under paused time.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::time::{Instant, sleep, timeout};

/// The first pause between attempts; it doubles after every attempt.
const FIRST_DELAY: Duration = Duration::from_millis(5);
/// The longest pause between attempts.
const MAX_DELAY: Duration = Duration::from_millis(100);
/// The least time one attempt gets, even when the deadline is nearly spent.
const MIN_ATTEMPT: Duration = Duration::from_millis(100);

/// What one attempt of an [`eventually`] check returns.
///
/// `Option<T>`: `Some` is done, `None` means try again. `anyhow::Result<Option<T>>` additionally
/// lets a check give up at once with `Err`, for failures that waiting cannot fix.
pub trait Check {
    /// The value the check produces once it passes.
    type Output;

    /// `Ok(Some(value))` when done, `Ok(None)` to try again, `Err` to give up.
    fn into_result(self) -> anyhow::Result<Option<Self::Output>>;
}

impl<T> Check for Option<T> {
    type Output = T;

    fn into_result(self) -> anyhow::Result<Option<T>> {
        Ok(self)
    }
}

impl<T> Check for anyhow::Result<Option<T>> {
    type Output = T;

    fn into_result(self) -> anyhow::Result<Option<T>> {
        self
    }
}

/// Runs `check` until it returns a value, pausing 5 ms after the first attempt and doubling up to
/// 100 ms, and fails naming `what` once `deadline` has passed.
///
/// An attempt still running at the deadline is abandoned (it gets at least 100 ms), so this returns
/// close to the deadline even when a check hangs. A check returning `Err` stops the wait at once.
///
/// ```no_run
/// # async fn demo(path: &std::path::Path) -> anyhow::Result<()> {
/// use std::time::Duration;
/// let text = bikestore_testkit::eventually("the pid file", Duration::from_secs(5), async || {
///     std::fs::read_to_string(path).ok()
/// })
/// .await?;
/// # Ok(())
/// # }
/// ```
pub async fn eventually<F, C>(
    what: &str,
    deadline: Duration,
    mut check: F,
) -> anyhow::Result<C::Output>
where
    F: AsyncFnMut() -> C,
    C: Check,
{
    let end = Instant::now() + deadline;
    let mut delay = FIRST_DELAY;
    loop {
        let remaining = end.saturating_duration_since(Instant::now());
        if let Ok(outcome) = timeout(remaining.max(MIN_ATTEMPT), check()).await
            && let Some(value) = outcome
                .into_result()
                .with_context(|| format!("gave up waiting for {what}"))?
        {
            return Ok(value);
        }
        let now = Instant::now();
        if now >= end {
            bail!("timed out after {deadline:?} waiting for {what}");
        }
        sleep(delay.min(end - now)).await;
        delay = (delay * 2).min(MAX_DELAY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn returns_the_first_value() {
        let mut attempts = 0;
        let value = eventually("the third attempt", Duration::from_secs(1), async || {
            attempts += 1;
            (attempts == 3).then_some(attempts)
        })
        .await;
        assert_eq!(value.ok(), Some(3));
    }

    #[tokio::test(start_paused = true)]
    async fn backs_off_from_5ms_doubling_to_100ms() {
        let start = Instant::now();
        let mut attempts = 0;
        eventually("the eighth attempt", Duration::from_secs(10), async || {
            attempts += 1;
            (attempts == 8).then_some(())
        })
        .await
        .expect("eighth attempt passes");
        // Pauses: 5 + 10 + 20 + 40 + 80 + 100 + 100.
        assert_eq!(start.elapsed(), Duration::from_millis(355));
    }

    #[tokio::test(start_paused = true)]
    async fn fails_naming_what_after_the_deadline() {
        let start = Instant::now();
        let error = eventually(
            "the moon to turn blue",
            Duration::from_secs(2),
            async || None::<()>,
        )
        .await
        .expect_err("never passes");
        assert!(
            error.to_string().contains("the moon to turn blue"),
            "{error}"
        );
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_stops_the_wait_at_once() {
        let start = Instant::now();
        let error = eventually("a broken check", Duration::from_secs(2), async || {
            Err::<Option<()>, _>(anyhow::anyhow!("cannot work"))
        })
        .await
        .expect_err("gives up");
        assert!(format!("{error:#}").contains("cannot work"), "{error:#}");
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn abandons_a_hung_attempt_at_the_deadline() {
        let start = Instant::now();
        let result = eventually("a hung check", Duration::from_secs(1), async || {
            std::future::pending::<Option<()>>().await
        })
        .await;
        assert!(result.is_err());
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
