//! Delivery channels: where a rendered notification goes.
//!
//! Every channel implements [`Channel`]. The trait is object-safe (it returns a boxed future
//! rather than being an `async fn`) so that the service holds its channels as a list of
//! `Box<dyn Channel>`: a new channel (e-mail, SMS) is one new module and one line in `lib.rs`,
//! with no enum to extend and no match to update anywhere. The box costs one allocation per
//! delivery, which is nothing next to the IO each delivery does.
//!
//! Two channels ship: [`log_file`] (one line per notification in a rotating file) and [`live`]
//! (the store's live NATS subject, for consoles).

pub mod live;
pub mod log_file;

use std::time::Duration;

use bikestore_codec::CodecError;
use bikestore_contracts::notifications::Notification;
use futures::future::BoxFuture;

/// Why a delivery failed. The text is stored as the notification's last error and shown to
/// operators, so it never names a file path.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// Writing the notification log failed.
    #[error("the notification log could not be written")]
    LogFile(#[source] std::io::Error),
    /// The notification could not be encoded.
    #[error("the notification could not be encoded")]
    Encode(#[source] CodecError),
    /// NATS refused the message.
    #[error("NATS did not take the notification")]
    Nats(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The message went out with others whose confirmation failed.
    #[error("not confirmed, with the messages sent beside it")]
    Unconfirmed(#[source] std::sync::Arc<ChannelError>),
    /// The attempt took too long.
    #[error("no confirmation within {0:?}")]
    Timeout(Duration),
    /// The channel was switched to fail, for tests.
    #[error("fault injection: the channel is switched to fail")]
    FaultInjected,
    /// The blocking task doing the delivery died.
    #[error("the delivery task stopped before it finished")]
    TaskStopped,
}

/// Something that can deliver a notification.
pub trait Channel: Send + Sync {
    /// The channel's stable name, stored with each delivery.
    fn name(&self) -> &'static str;

    /// Whether this channel delivers `notification` at all; decided when it is recorded.
    fn accepts(&self, _notification: &Notification) -> bool {
        true
    }

    /// Delivers `notification` once; an `Err` is retried with backoff.
    fn deliver<'a>(
        &'a self,
        notification: &'a Notification,
    ) -> BoxFuture<'a, Result<(), ChannelError>>;

    /// Delivers each of `notifications` once, in order, answering one outcome for each: a
    /// channel overrides it where one round trip or one hand-off can serve many (one flush,
    /// one blocking task) instead of one per notification.
    fn deliver_all<'a>(
        &'a self,
        notifications: &'a [Notification],
    ) -> BoxFuture<'a, Vec<Result<(), ChannelError>>> {
        Box::pin(async move {
            let mut outcomes = Vec::with_capacity(notifications.len());
            for notification in notifications {
                outcomes.push(self.deliver(notification).await);
            }
            outcomes
        })
    }
}

/// The channels of this service.
pub struct Channels {
    channels: Vec<Box<dyn Channel>>,
}

impl Channels {
    /// The given channels; with `fail_channel`, the one of that name fails every delivery.
    pub fn new(
        channels: Vec<Box<dyn Channel>>,
        fail_channel: Option<&str>,
    ) -> Result<Channels, String> {
        let Some(failing) = fail_channel else {
            return Ok(Channels { channels });
        };
        if !channels.iter().any(|channel| channel.name() == failing) {
            let names: Vec<&str> = channels.iter().map(|channel| channel.name()).collect();
            return Err(format!(
                "no channel named {failing:?} to make fail; the channels are {names:?}"
            ));
        }
        let channels = channels
            .into_iter()
            .map(|channel| {
                if channel.name() == failing {
                    Box::new(Failing { inner: channel }) as Box<dyn Channel>
                } else {
                    channel
                }
            })
            .collect();
        Ok(Channels { channels })
    }

    /// Every channel's name.
    pub fn names(&self) -> Vec<&'static str> {
        self.channels.iter().map(|channel| channel.name()).collect()
    }

    /// The names of the channels that deliver `notification`.
    pub fn names_for(&self, notification: &Notification) -> Vec<&'static str> {
        self.channels
            .iter()
            .filter(|channel| channel.accepts(notification))
            .map(|channel| channel.name())
            .collect()
    }

    /// The channel named `name`.
    pub fn get(&self, name: &str) -> Option<&dyn Channel> {
        self.channels
            .iter()
            .find(|channel| channel.name() == name)
            .map(|channel| channel.as_ref())
    }
}

/// A channel whose every delivery fails: the fault switch for tests.
struct Failing {
    inner: Box<dyn Channel>,
}

impl Channel for Failing {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn accepts(&self, notification: &Notification) -> bool {
        self.inner.accepts(notification)
    }

    fn deliver<'a>(
        &'a self,
        _notification: &'a Notification,
    ) -> BoxFuture<'a, Result<(), ChannelError>> {
        Box::pin(async { Err(ChannelError::FaultInjected) })
    }
}
