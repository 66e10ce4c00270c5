//! Names of the NATS headers Bikestore reads and writes.

/// `application/json` or `application/postcard`; postcard when absent.
pub const CONTENT_TYPE: &str = "Content-Type";
/// The schema version of the message in the body; the current one when absent.
pub const SCHEMA_VERSION: &str = "Bikestore-Schema";
/// A caller-chosen key that makes a command apply at most once.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// The saga a request belongs to.
pub const SAGA_ID: &str = "Bikestore-Saga-Id";
/// The saga step a request performs.
pub const SAGA_STEP: &str = "Bikestore-Saga-Step";
/// W3C trace context.
pub const TRACEPARENT: &str = "traceparent";
/// JetStream's de-duplication header.
pub const NATS_MSG_ID: &str = "Nats-Msg-Id";
/// On a replayed dead letter: the stream sequence of the original message.
pub const REPLAY_OF: &str = "Bikestore-Replay-Of";
/// Set by the NATS service framework on an error reply: a short status text.
pub const NATS_SERVICE_ERROR: &str = "Nats-Service-Error";
/// Set by the NATS service framework on an error reply: a numeric code.
pub const NATS_SERVICE_ERROR_CODE: &str = "Nats-Service-Error-Code";

/// The content type value for JSON bodies.
pub const CONTENT_TYPE_JSON: &str = "application/json";
/// The content type value for postcard bodies.
pub const CONTENT_TYPE_POSTCARD: &str = "application/postcard";
