//! What makes a type a message: its name, its schema version, and for requests the reply.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ids::StoreId;
use crate::subjects::ServiceName;

/// A type that crosses the wire, with the schema version of its current shape.
pub trait Message: Serialize + DeserializeOwned + Send + 'static {
    /// The snake_case name of the message, used in error messages and logs.
    const NAME: &'static str;
    /// The schema version of this shape. A body with another version is refused, never misread.
    const SCHEMA_VERSION: u16;
}

/// A request to a service operation, answered by [`Request::Reply`] or a
/// [`WireError`](crate::WireError).
pub trait Request: Message {
    /// The reply on success.
    type Reply: Message;
    /// The service that serves the operation.
    const SERVICE: ServiceName;
    /// The snake_case operation name, the last token of its subject.
    const OPERATION: &'static str;
    /// Whether the operation changes state (a command) or only reads it (a query).
    const KIND: OperationKind;
}

/// Commands change state through the service's single writer; queries only read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// Changes state; may carry an idempotency key.
    Command,
    /// Reads state; never writes or publishes.
    Query,
}

/// An event a service publishes to its JetStream stream.
pub trait Event: Message {
    /// The service that publishes it.
    const SERVICE: ServiceName;
    /// The past-tense event name, the last token of its subject (or the one before the store).
    const EVENT: &'static str;
    /// Whether the event is about one store, which its subject then names last
    /// (`<prefix>.evt.<service>.<event>.<store>`): a consumer or a console can then take one
    /// store's events without reading every store's.
    const PER_STORE: bool = false;

    /// The store the event is about, for an event [`Event::PER_STORE`]; `None` otherwise.
    fn store_id(&self) -> Option<StoreId> {
        None
    }
}

/// Declares a message and, with `command`, `query` or `event`, what it is. An event about one
/// store names the field path of its store after `per store`, so its subject carries the store:
/// `message!(event StockLow, Inventory."stock_low" per store level.store_id, v 1)`.
#[macro_export]
macro_rules! message {
    ($type:ty, $name:literal, v $version:literal) => {
        impl $crate::Message for $type {
            const NAME: &'static str = $name;
            const SCHEMA_VERSION: u16 = $version;
        }
    };
    (command $type:ty => $reply:ty, $service:ident.$operation:literal, v $version:literal) => {
        $crate::message!($type, $operation, v $version);
        impl $crate::Request for $type {
            type Reply = $reply;
            const SERVICE: $crate::ServiceName = $crate::ServiceName::$service;
            const OPERATION: &'static str = $operation;
            const KIND: $crate::message::OperationKind = $crate::message::OperationKind::Command;
        }
    };
    (query $type:ty => $reply:ty, $service:ident.$operation:literal, v $version:literal) => {
        $crate::message!($type, $operation, v $version);
        impl $crate::Request for $type {
            type Reply = $reply;
            const SERVICE: $crate::ServiceName = $crate::ServiceName::$service;
            const OPERATION: &'static str = $operation;
            const KIND: $crate::message::OperationKind = $crate::message::OperationKind::Query;
        }
    };
    (event $type:ty, $service:ident.$event:literal, v $version:literal) => {
        $crate::message!($type, $event, v $version);
        impl $crate::Event for $type {
            const SERVICE: $crate::ServiceName = $crate::ServiceName::$service;
            const EVENT: &'static str = $event;
        }
    };
    (
        event $type:ty, $service:ident.$event:literal per store $($store:ident).+,
        v $version:literal
    ) => {
        $crate::message!($type, $event, v $version);
        impl $crate::Event for $type {
            const SERVICE: $crate::ServiceName = $crate::ServiceName::$service;
            const EVENT: &'static str = $event;
            const PER_STORE: bool = true;
            fn store_id(&self) -> Option<$crate::StoreId> {
                Some(self.$($store).+)
            }
        }
    };
}
