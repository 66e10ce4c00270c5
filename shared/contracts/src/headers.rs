//! Names of the NATS headers Bikestore reads and writes.

/// `Bearer <access token>` on a request to the gateway.
pub const AUTHORIZATION: &str = "Authorization";
/// The request's signing time, milliseconds since the Unix epoch, on a request to the gateway.
pub const REQUEST_TIMESTAMP: &str = "Bikestore-Timestamp";
/// A single-use random value of the request, on a request to the gateway.
pub const REQUEST_NONCE: &str = "Bikestore-Nonce";
/// The session key's signature over the request's canonical bytes (base64url).
pub const REQUEST_SIGNATURE: &str = "Bikestore-Signature";
/// Set by the gateway on a forwarded request: the caller's staff ID.
pub const CALLER_STAFF_ID: &str = "Bikestore-Caller-Staff";
/// Set by the gateway on a forwarded request: the caller's role.
pub const CALLER_ROLE: &str = "Bikestore-Caller-Role";
/// Set by the gateway on a forwarded request: the caller's store, if any.
pub const CALLER_STORE_ID: &str = "Bikestore-Caller-Store";
/// Caller assertion, set by the gateway on what it forwards to identity's asserted operations:
/// the internal subject it was sent to.
pub const ASSERTION_SUBJECT: &str = "Bikestore-Assertion-Subject";
/// Caller assertion: the SHA-256 of the body (base64url).
pub const ASSERTION_BODY_SHA256: &str = "Bikestore-Assertion-Body-Sha256";
/// Caller assertion: when it stops counting, milliseconds since the Unix epoch.
pub const ASSERTION_EXPIRES: &str = "Bikestore-Assertion-Expires";
/// Caller assertion: the gateway key's signature over it and the caller's staff ID (base64url).
pub const ASSERTION_SIGNATURE: &str = "Bikestore-Assertion-Signature";

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
/// On a command's reply, `true` or `false`: whether the participant answered from its inbox,
/// with the reply it recorded for this idempotency key before, rather than doing the work now.
/// A saga driver that takes over from a record that may be behind learns from it where the
/// last driver got to.
pub const REPLAYED: &str = "Bikestore-Replayed";
/// W3C trace context.
pub const TRACEPARENT: &str = "traceparent";
/// JetStream's de-duplication header.
pub const NATS_MSG_ID: &str = "Nats-Msg-Id";
/// On a message of a KV bucket's stream: what it does to its key (`PUT`, `DEL`, `PURGE`);
/// a value when absent.
pub const KV_OPERATION: &str = "KV-Operation";
/// The `KV-Operation` of a message that holds a value.
pub const KV_OPERATION_PUT: &str = "PUT";
/// On a saga's watch item, which versions before the index's takeover check queued beside
/// every saga an intake drove: when the lease of the driver it watches runs out, in
/// milliseconds since the Unix epoch; the item is not worth reading the record for before then.
pub const WATCH_UNTIL: &str = "Bikestore-Watch-Until";
/// On an event the outbox relay published: the `sequence` its outbox row had in the database of
/// the service that made it. Sequences only grow, so a restore can tell which events in a stream
/// are newer than the backup copy of that database (their sequence is above the highest the copy
/// ever assigned) and delete them: they describe changes the restored database does not hold.
pub const OUTBOX_SEQUENCE: &str = "Bikestore-Outbox-Sequence";
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
