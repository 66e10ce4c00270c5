//! The bad-input suite every endpoint must survive, shared by every service's tests.
//!
//! For one request type it sends: random bytes as postcard and as JSON, a truncated postcard
//! body, an unknown schema version, an unreadable schema-version header, an unknown content
//! type, a JSON body with an unknown field, and a body over the size limit. Each must be
//! answered with a typed error of the right code and a message, and afterwards the endpoint
//! must still answer a good request.

use std::time::Duration;

use anyhow::{Context, bail, ensure};
use async_nats::HeaderMap;
use bikestore_codec::ContentType;
use bikestore_contracts::{ErrorCode, Request, Subjects, WireError, headers};

const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// One bad request and the code it must get (`None`: any typed answer will do).
struct Case {
    name: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
    expected: Option<ErrorCode>,
}

/// Runs the suite against `R`'s endpoint; `good` is a valid request used to build the bad ones
/// and sent last to prove the endpoint still serves.
pub async fn assert_survives_bad_input<R: Request>(
    client: &async_nats::Client,
    subjects: &Subjects,
    good: &R,
    max_request_bytes: usize,
) -> anyhow::Result<()> {
    let subject = subjects.request::<R>();
    let postcard = bikestore_codec::encode(ContentType::Postcard, good)?;
    let json = bikestore_codec::encode(ContentType::Json, good)?;
    let json_content = || {
        vec![(
            headers::CONTENT_TYPE,
            ContentType::Json.header_value().to_owned(),
        )]
    };
    let mut cases = vec![
        Case {
            name: "random bytes as postcard",
            body: pseudo_random_bytes(97, postcard.len() as u64 + 1),
            headers: vec![],
            expected: None,
        },
        Case {
            name: "random bytes as JSON",
            body: pseudo_random_bytes(61, 7),
            headers: json_content(),
            expected: Some(ErrorCode::Invalid),
        },
        Case {
            name: "an unknown schema version",
            body: postcard.clone(),
            headers: vec![(
                headers::SCHEMA_VERSION,
                (R::SCHEMA_VERSION + 98).to_string(),
            )],
            expected: Some(ErrorCode::Invalid),
        },
        Case {
            name: "an unreadable schema version",
            body: postcard.clone(),
            headers: vec![(headers::SCHEMA_VERSION, "one".to_owned())],
            expected: Some(ErrorCode::Invalid),
        },
        Case {
            name: "an unknown content type",
            body: postcard.clone(),
            headers: vec![(headers::CONTENT_TYPE, "text/xml".to_owned())],
            expected: Some(ErrorCode::Invalid),
        },
        Case {
            name: "a body over the size limit",
            body: vec![b' '; max_request_bytes + 1],
            headers: json_content(),
            expected: Some(ErrorCode::TooLarge),
        },
    ];
    if !postcard.is_empty() {
        cases.push(Case {
            name: "truncated postcard",
            body: postcard[..postcard.len() - 1].to_vec(),
            headers: vec![],
            expected: Some(ErrorCode::Invalid),
        });
    }
    if let Some(with_unknown_field) = add_unknown_field(&json) {
        cases.push(Case {
            name: "an unknown JSON field",
            body: with_unknown_field,
            headers: json_content(),
            expected: Some(ErrorCode::Invalid),
        });
    }
    for case in cases {
        let answer = send(client, &subject, &case.headers, case.body)
            .await
            .with_context(|| format!("{subject} with {}", case.name))?;
        let Err(error) = answer else {
            ensure!(case.expected.is_none(), "{subject} accepted {}", case.name);
            continue;
        };
        ensure!(
            !error.message.is_empty(),
            "{subject}: {} got an error without a message",
            case.name
        );
        if let Some(expected) = case.expected {
            ensure!(
                error.code == expected,
                "{subject}: {} got {} ({}), expected {expected}",
                case.name,
                error.code,
                error.message
            );
        }
    }
    let answer = send(client, &subject, &[], postcard).await?;
    if let Err(error) = answer
        && matches!(
            error.code,
            ErrorCode::Internal | ErrorCode::Unavailable | ErrorCode::Timeout
        )
    {
        bail!("{subject} failed a good request after bad ones: {error}");
    }
    Ok(())
}

/// Sends a raw request; `Ok(Ok(()))` for a good reply, `Ok(Err(..))` for a typed error.
async fn send(
    client: &async_nats::Client,
    subject: &str,
    extra_headers: &[(&'static str, String)],
    body: Vec<u8>,
) -> anyhow::Result<Result<(), WireError>> {
    let mut request_headers = HeaderMap::new();
    for (name, value) in extra_headers {
        request_headers.insert(*name, value.as_str());
    }
    let request = async_nats::Request::new()
        .headers(request_headers)
        .payload(body.into())
        .timeout(Some(REPLY_TIMEOUT));
    let reply = client
        .send_request(subject.to_owned(), request)
        .await
        .map_err(|error| anyhow::anyhow!("no answer: {error}"))?;
    let is_error = reply
        .headers
        .as_ref()
        .and_then(|map| map.get(headers::NATS_SERVICE_ERROR))
        .is_some();
    if !is_error {
        return Ok(Ok(()));
    }
    let content_type = reply
        .headers
        .as_ref()
        .and_then(|map| map.get(headers::CONTENT_TYPE))
        .map(|value| value.as_str());
    let content_type =
        ContentType::from_header(content_type).map_err(|error| anyhow::anyhow!("{error}"))?;
    let error = bikestore_codec::decode_error(content_type, &reply.payload);
    ensure!(
        error.code != ErrorCode::Internal || !error.message.contains("could not read"),
        "the error body is unreadable"
    );
    Ok(Err(error))
}

fn add_unknown_field(json: &[u8]) -> Option<Vec<u8>> {
    let mut value: serde_json::Value = serde_json::from_slice(json).ok()?;
    value
        .as_object_mut()?
        .insert("unexpected_field".to_owned(), serde_json::Value::Bool(true));
    serde_json::to_vec(&value).ok()
}

/// Deterministic noise, so a failure can be reproduced.
fn pseudo_random_bytes(length: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}
