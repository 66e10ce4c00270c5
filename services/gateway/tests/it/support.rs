//! The gateway under test: identity, inventory and the gateway in-process (the harness's
//! system), and a small signing client (the client library replaces it later).

use std::time::Duration;

use anyhow::Context;
use async_nats::HeaderMap;
use bikestore_auth::{KeyPair, RequestSignature, sign_request};
use bikestore_codec::ContentType;
use bikestore_contracts::gateway::AuditRecord;
use bikestore_contracts::identity::{
    AccessToken, CreateStaff, Login, LoginReply, Password, RefreshToken, Role,
};
use bikestore_contracts::inventory::{CreateStore, StoreCreated};
use bikestore_contracts::{Request, ServiceName, StaffId, StoreId, Subjects, WireError, headers};
use bikestore_gateway::GatewayConfig;
use bikestore_harness::{System, SystemBuilder};
use bikestore_runtime::call::{Caller, decode_reply};
use bikestore_testkit::eventually;

pub const WAIT: Duration = Duration::from_secs(10);

/// A password every test member gets (distinct per member by suffix).
pub fn password_of(username: &str) -> String {
    format!("pw-{username}-correct-horse")
}

/// Identity, inventory and the gateway (the harness's system), and the operator's view of it.
pub struct Stack {
    pub system: System,
    pub client: async_nats::Client,
    /// Calls the services directly, as a trusted test does to set things up, with the gateway's
    /// caller assertion that identity's staff administration and logout require.
    pub caller: Caller,
    pub subjects: Subjects,
}

impl Stack {
    /// The stack with the default gateway configuration.
    pub async fn start() -> anyhow::Result<Stack> {
        Stack::start_with(|_| {}).await
    }

    /// The stack with a gateway configuration changed by `adjust`.
    pub async fn start_with(
        adjust: impl FnOnce(&mut GatewayConfig) + 'static,
    ) -> anyhow::Result<Stack> {
        Stack::start_from(
            System::builder().configure(|configs| adjust(&mut configs.gateway)),
            true,
        )
        .await
    }

    /// Identity and inventory only: the test runs the gateway itself.
    pub async fn start_without_gateway() -> anyhow::Result<Stack> {
        Stack::start_from(System::builder(), false).await
    }

    /// The stack as `just up` runs it: a nats-server that refuses anonymous clients, and each
    /// service connected as its own NATS user. `client` is the all-permitted `ops` user.
    pub async fn start_secured() -> anyhow::Result<Stack> {
        Stack::start_from(System::builder().secured(), true).await
    }

    async fn start_from(builder: SystemBuilder, with_gateway: bool) -> anyhow::Result<Stack> {
        let mut builder = builder.services(&[ServiceName::Identity, ServiceName::Inventory]);
        if with_gateway {
            builder = builder.services(&[ServiceName::Gateway]);
        }
        let system = builder.start().await?;
        Ok(Stack {
            client: system.client().clone(),
            caller: system.as_gateway().clone(),
            subjects: system.subjects().clone(),
            system,
        })
    }

    /// Stops every service, the gateway first.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.system.stop().await
    }

    /// A new store, made directly through inventory.
    pub async fn store(&self) -> anyhow::Result<StoreId> {
        let created: StoreCreated = self
            .caller
            .call(&CreateStore {
                name: format!("Store {}", ulid::Ulid::new()),
                city: "Santa Cruz".into(),
                state: "CA".into(),
                ..CreateStore::default()
            })
            .await?;
        Ok(created.store_id)
    }

    /// A member of staff, made directly through identity, with [`password_of`] their username.
    pub async fn staff(
        &self,
        username: &str,
        role: Role,
        store_id: Option<StoreId>,
    ) -> anyhow::Result<StaffId> {
        let saved = self
            .caller
            .call(&CreateStaff {
                username: username.into(),
                name: format!("Test {username}"),
                email: format!("{username}@bikes.shop"),
                role,
                store_id,
                password: Password::from(password_of(username).as_str()),
            })
            .await?;
        Ok(saved.staff_id)
    }

    /// Logs in through the gateway (a public operation) with a new session key.
    pub async fn login(&self, username: &str) -> anyhow::Result<Session> {
        Ok(self.login_keeping_refresh(username).await?.0)
    }

    /// Logs in as [`Stack::login`] does, keeping the refresh token too (to log out with).
    pub async fn login_keeping_refresh(
        &self,
        username: &str,
    ) -> anyhow::Result<(Session, RefreshToken)> {
        let session_key = KeyPair::generate()?;
        let login = Login {
            username: username.into(),
            password: Password::from(password_of(username).as_str()),
            session_public_key: session_key.public_key().to_base64url(),
        };
        let body = bikestore_codec::encode(ContentType::Postcard, &login)?;
        let reply = self
            .client
            .request(
                self.subjects.api(ServiceName::Identity, "login"),
                body.into(),
            )
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        let reply: LoginReply = decode_reply(&reply)?;
        let session = Session {
            token: reply.access_token,
            staff_id: reply.staff.staff_id,
            session_key,
        };
        Ok((session, reply.refresh_token))
    }

    /// Sends `request` through the gateway as `session`, signed now, in `content_type`.
    pub async fn call<R: Request>(
        &self,
        session: &Session,
        request: &R,
        content_type: ContentType,
    ) -> Result<R::Reply, WireError> {
        let signed = session.sign(&self.subjects, request, content_type, now_ms());
        self.send(&signed).await
    }

    /// Sends an already signed (perhaps tampered) request and decodes its reply.
    pub async fn send<M: bikestore_contracts::Message>(
        &self,
        signed: &Signed,
    ) -> Result<M, WireError> {
        let reply = self.send_raw(signed).await;
        decode_reply(&reply)
    }

    /// Sends an already signed request and returns the raw reply.
    pub async fn send_raw(&self, signed: &Signed) -> async_nats::Message {
        self.client
            .request_with_headers(
                signed.subject.clone(),
                signed.headers.clone(),
                signed.body.clone().into(),
            )
            .await
            .expect("the gateway answers")
    }

    /// Sends an already signed request and returns the raw reply, or `None` when none comes
    /// within `timeout`.
    pub async fn send_raw_within(
        &self,
        signed: &Signed,
        timeout: Duration,
    ) -> Option<async_nats::Message> {
        let request = async_nats::Request::new()
            .headers(signed.headers.clone())
            .payload(signed.body.clone().into())
            .timeout(Some(timeout));
        self.client
            .send_request(signed.subject.clone(), request)
            .await
            .ok()
    }

    /// Every audit record so far.
    pub async fn audit_records(&self) -> anyhow::Result<Vec<AuditRecord>> {
        self.audit_payloads()
            .await?
            .iter()
            .map(|payload| {
                bikestore_codec::decode::<AuditRecord>(ContentType::Json, None, payload, usize::MAX)
                    .map_err(anyhow::Error::new)
            })
            .collect()
    }

    /// Every audit message's bytes so far, as stored.
    pub async fn audit_payloads(&self) -> anyhow::Result<Vec<bytes::Bytes>> {
        let jetstream = async_nats::jetstream::new(self.client.clone());
        let mut stream = jetstream
            .get_stream(self.subjects.audit_stream())
            .await
            .context("find the audit stream")?;
        let last = stream
            .info()
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?
            .state
            .last_sequence;
        let mut records = Vec::new();
        for sequence in 1..=last {
            let message = stream
                .get_raw_message(sequence)
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            records.push(message.payload);
        }
        Ok(records)
    }

    /// Waits until an audit record of `operation` with `error` exists, and answers it.
    pub async fn audited(
        &self,
        operation: &str,
        error: Option<bikestore_contracts::ErrorCode>,
    ) -> anyhow::Result<AuditRecord> {
        eventually("the audit record", WAIT, async || {
            let records = self.audit_records().await?;
            Ok(records
                .into_iter()
                .find(|record| record.operation == operation && record.error == error))
        })
        .await
    }
}

/// A logged-in console session: the access token and the key that signs requests.
pub struct Session {
    pub token: AccessToken,
    pub staff_id: StaffId,
    pub session_key: KeyPair,
}

/// A request as it goes on the wire, open to tampering.
#[derive(Clone)]
pub struct Signed {
    pub subject: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub signature: RequestSignature,
}

impl Session {
    /// Encodes and signs `request` at `timestamp_ms`.
    pub fn sign<R: Request>(
        &self,
        subjects: &Subjects,
        request: &R,
        content_type: ContentType,
        timestamp_ms: i64,
    ) -> Signed {
        let body = bikestore_codec::encode(content_type, request).unwrap();
        let subject = subjects.api(R::SERVICE, R::OPERATION);
        self.sign_raw(subject, body, content_type, timestamp_ms)
    }

    /// Signs `body` for `subject` at `timestamp_ms` with this session's key and token.
    pub fn sign_raw(
        &self,
        subject: String,
        body: Vec<u8>,
        content_type: ContentType,
        timestamp_ms: i64,
    ) -> Signed {
        let signature = sign_request(&self.session_key, &subject, timestamp_ms, &body).unwrap();
        let mut map = HeaderMap::new();
        map.insert(headers::CONTENT_TYPE, content_type.header_value());
        map.insert(
            headers::AUTHORIZATION,
            format!("Bearer {}", self.token.expose()).as_str(),
        );
        map.insert(
            headers::REQUEST_TIMESTAMP,
            signature.timestamp_ms.to_string().as_str(),
        );
        map.insert(headers::REQUEST_NONCE, signature.nonce.as_str());
        map.insert(headers::REQUEST_SIGNATURE, signature.signature.as_str());
        Signed {
            subject,
            headers: map,
            body,
            signature,
        }
    }
}

impl Signed {
    /// The same request with one header replaced.
    pub fn with_header(&self, name: &str, value: &str) -> Signed {
        let mut copy = self.clone();
        copy.headers.insert(name, value);
        copy
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    bikestore_runtime::now_ms()
}

impl Stack {
    /// Identity's current private signing key, read from its key file, to forge tokens with.
    pub fn identity_key(&self) -> KeyPair {
        let folder = bikestore_identity::key_folder(&self.system.configs().identity);
        let mut files: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "one signing key: {files:?}");
        let text = std::fs::read_to_string(files.remove(0)).unwrap();
        KeyPair::from_secret_text(text.trim()).unwrap()
    }

    /// Waits until at least `count` audit records of `operation` end with `error`.
    pub async fn audited_count(
        &self,
        operation: &str,
        error: Option<bikestore_contracts::ErrorCode>,
        count: usize,
    ) -> anyhow::Result<Vec<AuditRecord>> {
        eventually("the audit records", WAIT, async || {
            let records: Vec<AuditRecord> = self
                .audit_records()
                .await?
                .into_iter()
                .filter(|record| record.operation == operation && record.error == error)
                .collect();
            Ok((records.len() >= count).then_some(records))
        })
        .await
    }
}

/// Claims for `session`'s member as identity would issue them, valid from `issued_at_ms` to
/// `expires_at_ms`.
pub fn claims_for(
    session: &Session,
    role: Role,
    store_id: Option<StoreId>,
    issued_at_ms: i64,
    expires_at_ms: i64,
) -> bikestore_contracts::identity::AccessClaims {
    bikestore_contracts::identity::AccessClaims {
        staff_id: session.staff_id,
        role,
        store_id,
        session_public_key: session.session_key.public_key().to_base64url(),
        issued_at_ms,
        expires_at_ms,
        session_id: String::new(),
    }
}
