//! The wire contracts of Bikestore: the one place that says what crosses NATS.
//!
//! It owns every request, reply and event type (each with its schema version), the subject
//! builders, the header, stream and bucket names, the typed IDs and money, and the stable
//! [`ErrorCode`]s of the wire error. It knows nothing of NATS, SQLite or tokio: it is plain data
//! that every other crate agrees on. Beside the data sit two pure helpers that every crate
//! shares for the same reason: [`calendar`] (dates, over `time`) and [`backoff`] (how long a
//! retry loop waits).
//!
//! Types here are append-only: postcard encodes fields and variants by position, so a field is
//! never reordered or removed; a breaking change is a new schema version.
#![warn(missing_docs)]

pub mod backoff;
pub mod calendar;
pub mod database_replicas;
pub mod error;
pub mod gateway;
pub mod headers;
pub mod health;
pub mod identity;
pub mod ids;
pub mod inventory;
pub mod message;
pub mod notifications;
pub mod orders;
pub mod sagas;
pub mod servers;
pub mod subjects;
pub mod trace_context;

pub use error::{ErrorCode, WireError};
pub use ids::{
    BrandId, CategoryId, Cents, CustomerId, NotificationId, OrderId, PaymentId, ProductId,
    ReservationId, StaffId, StoreId,
};
pub use message::{Event, Message, Request};
pub use subjects::{ServiceName, Subjects};
