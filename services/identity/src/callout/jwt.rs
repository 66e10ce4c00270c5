//! The NATS JWTs of auth callout: reading the server's authorization request, and writing the
//! user claims and the authorization response the callout answers with.
//!
//! A NATS JWT is `header.payload.signature`, each part base64url without padding; the header
//! names the `ed25519-nkey` algorithm and the signature is Ed25519 over `header.payload` by the
//! issuer's nkey. The claim names follow nats-io/jwt v2 (`nats.pub.allow`, `nats.user_nkey`,
//! ...). Signing and verifying go through `nkeys`; only the JSON and base64 are written here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// The only header NATS JWTs carry.
const HEADER: &str = r#"{"typ":"JWT","alg":"ed25519-nkey"}"#;

/// The JWT format version nats-server 2.10 reads.
const VERSION: u32 = 2;

/// The longest authorization request read; the server's are about a kilobyte (more with TLS
/// certificates).
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Why a request could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts of JSON, or not an authorization request.
    #[error("malformed authorization request: {0}")]
    Malformed(&'static str),
    /// The signature does not verify with the issuer the claims name.
    #[error("the authorization request's signature does not verify")]
    BadSignature,
    /// The request's own expiry has passed.
    #[error("the authorization request has expired")]
    Expired,
    /// The issuer key could not sign.
    #[error("could not sign: {0}")]
    Signing(String),
}

/// The server the request came from.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServerId {
    /// The server's ID: the response's audience.
    #[serde(default)]
    pub id: String,
    /// Its name, for the log.
    #[serde(default)]
    pub name: String,
}

/// Who is connecting.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientInformation {
    /// The nonce the server sent this client, which a client with an nkey signed.
    #[serde(default)]
    pub nonce: String,
    /// Its address, for the log.
    #[serde(default)]
    pub host: String,
}

/// What the client sent in its CONNECT.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConnectOptions {
    /// The client's public nkey.
    #[serde(default)]
    pub nkey: String,
    /// Its signature over the nonce, base64url.
    #[serde(default)]
    pub sig: String,
    /// The token it presents: a console's access token once logged in.
    #[serde(default)]
    pub auth_token: String,
}

/// The body of an authorization request.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthorizationRequest {
    /// The server asking.
    pub server_id: ServerId,
    /// The nkey the server made for this connection: the subject of the user JWT.
    pub user_nkey: String,
    /// Who is connecting.
    #[serde(default)]
    pub client_info: ClientInformation,
    /// What they sent.
    #[serde(default)]
    pub connect_opts: ConnectOptions,
    #[serde(rename = "type", default)]
    claim_type: String,
}

#[derive(Deserialize)]
struct RequestClaims {
    iss: String,
    #[serde(default)]
    exp: i64,
    nats: AuthorizationRequest,
}

/// Reads and verifies an authorization request: signed by the server key it names (the
/// `$SYS.REQ.USER.AUTH` subject is the server's to publish, so the signature guards the bytes,
/// and a server key proves the sender is a server) and not expired at `now_s`.
pub fn read_request(text: &[u8], now_s: i64) -> Result<AuthorizationRequest, JwtError> {
    if text.len() > MAX_REQUEST_BYTES {
        return Err(JwtError::Malformed("too large"));
    }
    let text = std::str::from_utf8(text).map_err(|_| JwtError::Malformed("not text"))?;
    let mut parts = text.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed("not three parts"));
    };
    let payload_bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| JwtError::Malformed("payload is not base64url"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| JwtError::Malformed("signature is not base64url"))?;
    let claims: RequestClaims = serde_json::from_slice(&payload_bytes)
        .map_err(|_| JwtError::Malformed("payload is not an authorization request"))?;
    let issuer =
        nkeys::KeyPair::from_public_key(&claims.iss).map_err(|_| JwtError::BadSignature)?;
    if issuer.key_pair_type() != nkeys::KeyPairType::Server {
        return Err(JwtError::BadSignature);
    }
    let signed = format!("{header}.{payload}");
    issuer
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| JwtError::BadSignature)?;
    if claims.nats.claim_type != "authorization_request" {
        return Err(JwtError::Malformed("not an authorization request"));
    }
    if claims.exp != 0 && claims.exp < now_s {
        return Err(JwtError::Expired);
    }
    Ok(claims.nats)
}

/// Subjects one direction of a user's permissions allows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Allow {
    /// The subjects (wildcards allowed).
    pub allow: Vec<String>,
}

/// What a connection may do, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// A name for the connection in the server's log and monitoring.
    pub name: String,
    /// Subjects it may publish to.
    pub publish: Vec<String>,
    /// Subjects it may subscribe to.
    pub subscribe: Vec<String>,
    /// When the server closes the connection, in seconds since the Unix epoch.
    pub expires_s: Option<i64>,
}

#[derive(Serialize)]
struct UserClaims<'a> {
    jti: String,
    iat: i64,
    iss: &'a str,
    name: &'a str,
    sub: &'a str,
    aud: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    nats: User,
}

#[derive(Serialize)]
struct User {
    #[serde(rename = "pub")]
    publish: Allow,
    #[serde(rename = "sub")]
    subscribe: Allow,
    // Zero would mean none at all: -1 is "no limit".
    subs: i64,
    data: i64,
    payload: i64,
    #[serde(rename = "type")]
    claim_type: &'static str,
    version: u32,
}

#[derive(Serialize)]
struct ResponseClaims<'a> {
    jti: String,
    iat: i64,
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    nats: AuthorizationResponse,
}

#[derive(Serialize)]
struct AuthorizationResponse {
    #[serde(skip_serializing_if = "String::is_empty")]
    jwt: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    error: String,
    #[serde(rename = "type")]
    claim_type: &'static str,
    version: u32,
}

/// The global account of a server configured without accounts, where every user lives.
pub const GLOBAL_ACCOUNT: &str = "$G";

/// The response granting `grant` to the connection `request` asks about, signed by `issuer`.
pub fn allow(
    issuer: &nkeys::KeyPair,
    request: &AuthorizationRequest,
    grant: &Grant,
    now_s: i64,
) -> Result<String, JwtError> {
    let issuer_key = issuer.public_key();
    let user = UserClaims {
        jti: claim_id()?,
        iat: now_s,
        iss: &issuer_key,
        name: &grant.name,
        sub: &request.user_nkey,
        aud: GLOBAL_ACCOUNT,
        exp: grant.expires_s,
        nats: User {
            publish: Allow {
                allow: grant.publish.clone(),
            },
            subscribe: Allow {
                allow: grant.subscribe.clone(),
            },
            subs: -1,
            data: -1,
            payload: -1,
            claim_type: "user",
            version: VERSION,
        },
    };
    let jwt = sign(issuer, &user)?;
    respond(issuer, request, jwt, String::new(), now_s)
}

/// The response refusing the connection `request` asks about, with `reason` for the server's
/// log.
pub fn refuse(
    issuer: &nkeys::KeyPair,
    request: &AuthorizationRequest,
    reason: &str,
    now_s: i64,
) -> Result<String, JwtError> {
    respond(issuer, request, String::new(), reason.to_owned(), now_s)
}

fn respond(
    issuer: &nkeys::KeyPair,
    request: &AuthorizationRequest,
    jwt: String,
    error: String,
    now_s: i64,
) -> Result<String, JwtError> {
    let issuer_key = issuer.public_key();
    let response = ResponseClaims {
        jti: claim_id()?,
        iat: now_s,
        iss: &issuer_key,
        sub: &request.user_nkey,
        aud: &request.server_id.id,
        nats: AuthorizationResponse {
            jwt,
            error,
            claim_type: "authorization_response",
            version: VERSION,
        },
    };
    sign(issuer, &response)
}

fn sign(issuer: &nkeys::KeyPair, claims: &impl Serialize) -> Result<String, JwtError> {
    let payload =
        serde_json::to_vec(claims).map_err(|error| JwtError::Signing(error.to_string()))?;
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(HEADER),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = issuer
        .sign(signed.as_bytes())
        .map_err(|error| JwtError::Signing(error.to_string()))?;
    Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// A unique claim ID (nats-server does not check it, but tools show it).
fn claim_id() -> Result<String, JwtError> {
    let mut bytes = [0_u8; 16];
    bikestore_auth::fill_random(&mut bytes)
        .map_err(|error| JwtError::Signing(error.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An authorization request as nats-server writes one, signed by `server`.
    fn request_from(server: &nkeys::KeyPair, exp: i64, claim_type: &str) -> String {
        let claims = serde_json::json!({
            "iss": server.public_key(),
            "exp": exp,
            "nats": {
                "server_id": {"id": "NSERVERID", "name": "bikestore"},
                "user_nkey": "UCONNECTION",
                "client_info": {"nonce": "abc", "host": "127.0.0.1"},
                "connect_opts": {"nkey": "UCLIENT", "sig": "c2ln", "auth_token": "v4.public.x", "protocol": 1},
                "type": claim_type,
                "version": 2
            }
        });
        sign(server, &claims).expect("signs")
    }

    fn decode_payload(jwt: &str) -> serde_json::Value {
        let payload = jwt.split('.').nth(1).expect("payload");
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("json")
    }

    #[test]
    fn a_server_signed_request_reads_back_with_what_the_client_sent() {
        let server = nkeys::KeyPair::new_server();
        let request = read_request(
            request_from(&server, 2_000, "authorization_request").as_bytes(),
            1_000,
        )
        .expect("reads");
        assert_eq!(request.server_id.id, "NSERVERID");
        assert_eq!(request.user_nkey, "UCONNECTION");
        assert_eq!(request.client_info.nonce, "abc");
        assert_eq!(request.connect_opts.nkey, "UCLIENT");
        assert_eq!(request.connect_opts.auth_token, "v4.public.x");
    }

    #[test]
    fn forged_expired_and_foreign_requests_are_refused() {
        let server = nkeys::KeyPair::new_server();
        let good = request_from(&server, 2_000, "authorization_request");
        let (signed, _) = good.rsplit_once('.').expect("three parts");
        let other = request_from(&server, 3_000, "authorization_request");
        let (_, other_signature) = other.rsplit_once('.').expect("three parts");
        let forged = format!("{signed}.{other_signature}");
        assert_eq!(
            read_request(forged.as_bytes(), 1_000).err(),
            Some(JwtError::BadSignature)
        );
        assert_eq!(
            read_request(good.as_bytes(), 2_001).err(),
            Some(JwtError::Expired)
        );
        let by_a_user = request_from(&nkeys::KeyPair::new_user(), 2_000, "authorization_request");
        assert_eq!(
            read_request(by_a_user.as_bytes(), 1_000).err(),
            Some(JwtError::BadSignature)
        );
        let not_a_request = request_from(&server, 2_000, "user");
        assert!(matches!(
            read_request(not_a_request.as_bytes(), 1_000),
            Err(JwtError::Malformed(_))
        ));
        assert!(read_request(b"not.a.jwt", 1_000).is_err());
        assert!(read_request(b"", 1_000).is_err());
    }

    #[test]
    fn a_grant_is_a_user_jwt_for_the_connection_inside_a_response_for_the_server() {
        let server = nkeys::KeyPair::new_server();
        let request = read_request(
            request_from(&server, 2_000, "authorization_request").as_bytes(),
            1_000,
        )
        .expect("reads");
        let issuer = nkeys::KeyPair::new_account();
        let grant = Grant {
            name: "console sales1".to_owned(),
            publish: vec!["shop.orders.>".to_owned()],
            subscribe: vec!["_INBOX.console.U.>".to_owned()],
            expires_s: Some(1_900),
        };
        let response = allow(&issuer, &request, &grant, 1_000).expect("signs");
        let claims = decode_payload(&response);
        assert_eq!(claims["aud"], "NSERVERID");
        assert_eq!(claims["sub"], "UCONNECTION");
        assert_eq!(claims["iss"], issuer.public_key());
        assert_eq!(claims["nats"]["type"], "authorization_response");
        let user_jwt = claims["nats"]["jwt"].as_str().expect("a user JWT");
        let user = decode_payload(user_jwt);
        assert_eq!(user["sub"], "UCONNECTION");
        assert_eq!(user["aud"], GLOBAL_ACCOUNT);
        assert_eq!(user["exp"], 1_900);
        assert_eq!(user["nats"]["pub"]["allow"][0], "shop.orders.>");
        assert_eq!(user["nats"]["sub"]["allow"][0], "_INBOX.console.U.>");
        assert_eq!(user["nats"]["subs"], -1);
        let (signed, signature) = user_jwt.rsplit_once('.').expect("three parts");
        let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64");
        issuer
            .verify(signed.as_bytes(), &signature)
            .expect("signed by the issuer");

        let refusal = refuse(&issuer, &request, "no", 1_000).expect("signs");
        let claims = decode_payload(&refusal);
        assert_eq!(claims["nats"]["error"], "no");
        assert!(claims["nats"].get("jwt").is_none());
    }
}
