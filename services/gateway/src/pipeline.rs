//! One public request, start to end: find its rule, authenticate, authorize, rate-limit,
//! forward, relay the reply, audit.
//!
//! The order is chosen so the cheap checks run first and nothing is remembered for a request
//! that has not proved who sent it: token, then rate limit, then the request signature, then the
//! nonce, then the member's current status, then whether the token's session ended, then the
//! table's roles, then its store scope (`scope`), which may ask a service who owns an ID, then the sales
//! policy (discount limits, the seller is the caller). A
//! public operation passes its connection's rate budget, then its username's or refresh
//! token's, then its operation's (see `rate`).
//!
//! Audited: every command, every refusal for being unauthorized, forbidden or rate-limited (a
//! run of rate-limited refusals by one bucket once), and every read of customer data, which is
//! forwarded rather than handed over so its rows can be counted (see `audit`).

use async_nats::client::RequestErrorKind;
use async_nats::{HeaderMap, HeaderName};
use bikestore_auth::{RequestSignature, VerifiedAccess, verify_request};
use bikestore_codec::ContentType;
use bikestore_contracts::gateway::AuditRecord;
use bikestore_contracts::message::OperationKind;
use bikestore_contracts::{ErrorCode, WireError, headers};
use bikestore_runtime::config::Fault;
use bikestore_runtime::{ServiceError, header_name};
use tracing::{debug, info, warn};

use crate::Gateway;
use crate::error::GatewayError;
use crate::facts::RequestFacts;
use crate::policy;
use crate::rate::connection_of;
use crate::replay::ReplayRefusal;
use crate::staff::StaffStatus;
use crate::table::{self, Access, Rule};
use crate::{audit, forward, public, scope};

/// Where NATS clients receive replies; the only subjects the gateway answers to.
const INBOX_PREFIX: &str = "_INBOX.";

/// The `Authorization` scheme the gateway accepts.
const BEARER: &str = "Bearer ";

/// Who the caller proved to be.
pub struct Caller {
    /// The verified token.
    pub access: VerifiedAccess,
    /// Their status now.
    pub status: StaffStatus,
    /// The body to forward instead of the caller's, when the gateway forced a list to the
    /// caller's store.
    pub body: Option<bytes::Bytes>,
}

/// Serves one message from the public subjects.
pub async fn serve(gateway: &Gateway, message: async_nats::Message) {
    // The reply subject is the caller's to choose; answering anything but an inbox would let a
    // caller make the gateway (or a service) publish to internal subjects.
    let Some(reply_to) = message
        .reply
        .clone()
        .filter(|reply| reply.starts_with(INBOX_PREFIX))
    else {
        debug!("public request without an inbox to answer; ignored");
        return;
    };
    let header = |name: HeaderName| {
        message
            .headers
            .as_ref()
            .and_then(|map| map.get(name))
            .map(|value| value.as_str())
    };
    let content_type = ContentType::from_header(header(header_name::CONTENT_TYPE));
    let Ok(content_type) = content_type else {
        let refusal = WireError::new(ErrorCode::Invalid, "unknown content type");
        respond_error(gateway, reply_to, ContentType::Json, &refusal).await;
        return;
    };
    let target = gateway.subjects.parse_api(message.subject.as_str());
    let rule = target
        .as_ref()
        .and_then(|target| table::lookup(target.service, &target.operation));
    let Some(rule) = rule else {
        crate::metrics::refused(&GatewayError::NoSuchOperation);
        let refusal = GatewayError::NoSuchOperation.to_wire();
        respond_error(gateway, reply_to, content_type, &refusal).await;
        return;
    };
    let mut answered = crate::metrics::Answered::start(rule.operation);
    if gateway
        .fault
        .as_ref()
        .is_some_and(|fault| fault.fails(rule.operation))
    {
        warn!(
            operation = rule.operation,
            "fault injection: answering unavailable"
        );
        let refusal = Fault::refusal(rule.operation);
        answered.finish(Some(refusal.code));
        respond_error(gateway, reply_to, content_type, &refusal).await;
        return;
    }
    let mut record = AuditRecord {
        at_ms: 0,
        staff_id: None,
        role: None,
        service: rule.service.as_str().to_owned(),
        operation: rule.operation.to_owned(),
        store_id: None,
        error: None,
        idempotency_key: header(header_name::IDEMPOTENCY_KEY)
            .filter(|key| forward::header_value_ok(key))
            .map(str::to_owned),
        target_ids: Default::default(),
        reason: None,
        username: None,
        rows: None,
    };
    let reads_customers = audit::reads_customers(rule);
    let mut refusal_audit = RefusalAudit::AsUsual;
    let outcome = match admit(gateway, rule, &message, content_type, &mut record).await {
        Ok(caller)
            if rule.kind == OperationKind::Query
                && !reads_customers
                && gateway.presence.is_present(rule.service) =>
        {
            // Queries other than customer reads are audited only when refused, so the service may
            // answer an admitted one's inbox itself.
            let handed_over = forward::hand_over(
                gateway,
                rule,
                &message,
                content_type,
                caller.as_ref(),
                reply_to.clone(),
            )
            .await;
            if let Err(refusal) = handed_over {
                answered.finish(Some(refusal.code));
                respond_error(gateway, reply_to, content_type, &refusal).await;
            }
            return;
        }
        Ok(caller) => {
            forward::forward(gateway, rule, &message, content_type, caller.as_ref()).await
        }
        Err(error) => {
            let refusal = error.to_wire();
            info!(
                operation = rule.operation,
                service = %rule.service,
                code = %refusal.code,
                reason = %refusal.message,
                "request refused"
            );
            refusal_audit = note_refusal(&error, &mut record);
            crate::metrics::refused(&error);
            Err(refusal)
        }
    };
    record.error = match outcome {
        Ok(reply) => {
            let carried = forward::carried_error(&reply);
            // A service's own refusal (identity's of a wrong password or a locked username) is
            // audited with its message, which services never make from what the caller sent.
            if let Some(refusal) = carried.as_ref().filter(|refusal| refused(refusal.code)) {
                record.reason = Some(refusal.message.clone());
            }
            let error = carried.map(|refusal| refusal.code);
            info!(
                operation = rule.operation,
                service = %rule.service,
                code = error.map(|code| code.to_string()),
                "request forwarded and answered"
            );
            answered.finish(error);
            if let Some((staff_id, role)) = public::logged_in(rule, &reply) {
                record.staff_id = Some(staff_id);
                record.role = Some(role);
            }
            if reads_customers {
                record.rows = audit::rows_answered(rule, &reply);
            }
            let relayed = match reply.headers {
                Some(reply_headers) => {
                    gateway
                        .client
                        .publish_with_headers(reply_to, reply_headers, reply.payload)
                        .await
                }
                None => gateway.client.publish(reply_to, reply.payload).await,
            };
            if let Err(relay_error) = relayed {
                info!(error = %relay_error, "could not relay a reply");
            }
            error
        }
        Err(refusal) => {
            answered.finish(Some(refusal.code));
            respond_error(gateway, reply_to, content_type, &refusal).await;
            Some(refusal.code)
        }
    };
    let audited = match refusal_audit {
        RefusalAudit::Always => true,
        RefusalAudit::Quiet => false,
        RefusalAudit::AsUsual => rule.kind == OperationKind::Command || reads_customers,
    };
    if audited {
        record.at_ms = bikestore_runtime::now_ms();
        crate::audit::write(&gateway.jetstream, &gateway.subjects, &record).await;
    }
}

/// Everything before forwarding: the caller for signed operations, `None` for public ones.
async fn admit(
    gateway: &Gateway,
    rule: &Rule,
    message: &async_nats::Message,
    content_type: ContentType,
    record: &mut AuditRecord,
) -> Result<Option<Caller>, GatewayError> {
    let header = |name: &'static str| {
        message
            .headers
            .as_ref()
            // Built from the static name, the lookup copies nothing to the heap.
            .and_then(|map| map.get(HeaderName::from_static(name)))
            .map(|value| value.as_str())
            .ok_or(GatewayError::Unsigned { header: name })
    };
    if rule.access == Access::Public {
        let reply_to = message.reply.as_ref().map_or("", |reply| reply.as_str());
        gateway
            .rate
            .admit_connection(connection_of(reply_to))
            .map_err(GatewayError::RateLimited)?;
        // An unreadable version header names nothing here; the service refuses the request.
        let version = request_version(message).unwrap_or(None);
        let facts = public::read(
            rule,
            content_type,
            version,
            &message.payload,
            gateway.max_request_bytes,
        );
        record.username = facts.username;
        gateway
            .rate
            .admit_public(facts.budget_key, rule.operation)
            .map_err(GatewayError::RateLimited)?;
        return Ok(None);
    }
    let now_ms = bikestore_runtime::now_ms();
    let token =
        header(headers::AUTHORIZATION)?
            .strip_prefix(BEARER)
            .ok_or(GatewayError::Unsigned {
                header: headers::AUTHORIZATION,
            })?;
    let access = gateway.keys.verify(token.trim(), now_ms).await?;
    let staff_id = access.claims.staff_id;
    record.staff_id = Some(staff_id);
    record.role = Some(access.claims.role);
    gateway
        .rate
        .admit_staff(staff_id)
        .map_err(GatewayError::RateLimited)?;
    let timestamp_ms = header(headers::REQUEST_TIMESTAMP)?
        .trim()
        .parse::<i64>()
        .map_err(|_| GatewayError::Unsigned {
            header: headers::REQUEST_TIMESTAMP,
        })?;
    let session_public_key = access.session_key.to_base64url();
    let signature = RequestSignature {
        session_public_key: session_public_key.clone(),
        timestamp_ms,
        nonce: header(headers::REQUEST_NONCE)?.to_owned(),
        signature: header(headers::REQUEST_SIGNATURE)?.to_owned(),
    };
    verify_request(
        &access.session_key,
        message.subject.as_str(),
        &message.payload,
        &signature,
        now_ms,
    )
    .map_err(GatewayError::Credentials)?;
    gateway
        .replay
        .check_and_record(&session_public_key, &signature.nonce, timestamp_ms, now_ms)
        .map_err(|refusal| match refusal {
            ReplayRefusal::Replayed => GatewayError::Replayed,
            ReplayRefusal::Full => GatewayError::Overloaded,
        })?;
    let status = gateway.staff.status(staff_id).await?;
    if !status.active {
        return Err(GatewayError::Inactive);
    }
    if gateway.ended_sessions.has_ended(&access.claims.session_id) {
        return Err(GatewayError::SessionEnded);
    }
    record.role = Some(status.role);
    // The facts are read before the role check, so a refusal's audit record names its targets.
    let facts = match rule.facts {
        Some(read_facts) => {
            let version = request_version(message).map_err(GatewayError::Unreadable)?;
            let facts = read_facts(
                content_type,
                version,
                &message.payload,
                gateway.max_request_bytes,
            )
            .map_err(GatewayError::Unreadable)?;
            record.store_id = facts.store;
            record.target_ids = facts.targets.clone();
            facts
        }
        None => RequestFacts::default(),
    };
    table::allows(rule, status.role).map_err(|reason| GatewayError::Forbidden { reason })?;
    let version = request_version(message).map_err(GatewayError::Unreadable)?;
    let body = scope::Body {
        content_type,
        version,
        bytes: &message.payload,
        max_bytes: gateway.max_request_bytes,
    };
    let narrowed = scope::admit(&gateway.owners, rule, &status, &facts, &body).await?;
    if narrowed.is_some() {
        // The audit record names the store the list was forced to.
        record.store_id = status.store_id;
    }
    if audit::reads_customers(rule) {
        record.target_ids = audit::customer_read(
            rule,
            content_type,
            version,
            &message.payload,
            gateway.max_request_bytes,
        );
    }
    let sale = policy::Sale {
        staff_id: access.claims.staff_id,
        role: status.role,
        body: &body,
    };
    policy::check(&gateway.discount_limits, rule, &sale)?;
    Ok(Some(Caller {
        access,
        status,
        body: narrowed.map(bytes::Bytes::from),
    }))
}

/// The schema version the request's header names, if any.
fn request_version(
    message: &async_nats::Message,
) -> Result<Option<u16>, bikestore_codec::CodecError> {
    bikestore_codec::schema_version_from_header(
        message
            .headers
            .as_ref()
            .and_then(|map| map.get(header_name::SCHEMA_VERSION))
            .map(|value| value.as_str()),
    )
}

/// Whether `code` refuses the caller (rather than failing the request), which is audited.
fn refused(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Unauthorized | ErrorCode::Forbidden | ErrorCode::RateLimited
    )
}

/// Whether a request is audited, as far as its refusal decides.
enum RefusalAudit {
    /// Audited whatever the operation: refused as unauthorized, forbidden, or the first of a
    /// run of rate-limited refusals by one bucket.
    Always,
    /// Not audited: a later refusal of such a run, so a flood writes one record, not thousands.
    Quiet,
    /// As the operation is: not refused by the gateway, or refused for a malformed request.
    AsUsual,
}

/// Notes in `record` why the gateway refused, and whether that makes the request audited.
fn note_refusal(error: &GatewayError, record: &mut AuditRecord) -> RefusalAudit {
    match error {
        GatewayError::RateLimited(refused) => {
            record.reason = Some(refused.limit.reason().to_owned());
            if refused.first_in_run {
                RefusalAudit::Always
            } else {
                RefusalAudit::Quiet
            }
        }
        other => {
            record.reason = Some(other.to_string());
            if refused(other.code()) {
                RefusalAudit::Always
            } else {
                RefusalAudit::AsUsual
            }
        }
    }
}

/// Answers `reply_to` with `refusal` in the caller's format, as the services answer errors.
async fn respond_error(
    gateway: &Gateway,
    reply_to: async_nats::Subject,
    content_type: ContentType,
    refusal: &WireError,
) {
    let mut reply_headers = HeaderMap::new();
    reply_headers.insert(header_name::CONTENT_TYPE, content_type.header_value());
    reply_headers.insert(header_name::NATS_SERVICE_ERROR, refusal.message.as_str());
    reply_headers.insert(
        header_name::NATS_SERVICE_ERROR_CODE,
        refusal.code.status().to_string().as_str(),
    );
    let body = bikestore_codec::encode_error(content_type, refusal);
    if let Err(error) = gateway
        .client
        .publish_with_headers(reply_to, reply_headers, body.into())
        .await
    {
        info!(error = %error, "could not send a refusal");
    }
}

/// The wire error for a forwarded request that failed in transport.
pub fn transport_error(error: &async_nats::RequestError, operation: &str) -> WireError {
    match error.kind() {
        RequestErrorKind::NoResponders => WireError::new(
            ErrorCode::Unavailable,
            format!("no service answers {operation}"),
        ),
        RequestErrorKind::TimedOut => WireError::new(
            ErrorCode::Timeout,
            format!("{operation} did not answer in time"),
        ),
        RequestErrorKind::MaxPayloadExceeded => WireError::new(
            ErrorCode::TooLarge,
            "the request is larger than the server accepts",
        ),
        RequestErrorKind::InvalidSubject | RequestErrorKind::Other => WireError::new(
            ErrorCode::Unavailable,
            format!("{operation} could not be reached"),
        ),
    }
}
