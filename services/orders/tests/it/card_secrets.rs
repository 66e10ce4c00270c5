//! No card number or CVC is ever written down: after a real `bikestore-orders` process served
//! every test card at debug log level, by card and by token, no file under its data folder
//! (database, WAL, JSON log files, captured stdout and stderr) holds one, and no log holds a
//! card token.

use std::path::PathBuf;

use bikestore_codec::ContentType;
use bikestore_contracts::orders::{
    AuthorizePayment, AuthorizeWithToken, CapturePayment, Card, Payment, RefundPayment,
    TokenizeCard,
};
use bikestore_contracts::{Cents, ErrorCode, Request, ServiceName};
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::wait_for_service;

use bikestore_harness::System;

use crate::support::{
    APPROVES, DECLINES, FLAKY, INSUFFICIENT_FUNDS, NEVER_ANSWERS, READY, new_order, without_service,
};

/// CVCs with a leading zero, so no port, pid, amount or timestamp in a log reads as one.
const CVCS: [&str; 5] = ["0427", "0815", "0913", "0358", "0662"];

fn card(number: &str, cvc: &str) -> Card {
    Card {
        number: number.into(),
        expiry_month: 11,
        expiry_year: 2034,
        cvc: cvc.into(),
        holder: "Genoveva Baldwin".into(),
    }
}

/// Runs of ASCII letters and digits: a CVC leaks as one whole token (`"cvc":"0427"`), while
/// the same digits inside a longer number do not count.
fn tokens(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|byte| !byte.is_ascii_alphanumeric())
        .filter(|token| !token.is_empty())
}

/// Authorizes with three tries (so the flaky card gets through as well); an approved payment
/// is then captured and partly refunded. Answers the authorization's outcome.
async fn settle<R>(
    system: &System,
    request: &R,
    options: &CallOptions,
    capture_and_refund: bool,
) -> anyhow::Result<Result<(), ErrorCode>>
where
    R: Request<Reply = Payment>,
{
    let mut outcome = system.caller().call_with(request, options).await;
    for _ in 0..2 {
        if outcome.is_ok() {
            break;
        }
        outcome = system.caller().call_with(request, options).await;
    }
    if let Ok(payment) = &outcome
        && capture_and_refund
    {
        let capture = CapturePayment {
            payment_id: payment.payment_id,
            amount: Cents(2_300),
        };
        system.caller().call_with(&capture, options).await?;
        let refund = RefundPayment {
            payment_id: payment.payment_id,
            amount: Cents(300),
        };
        system.caller().call_with(&refund, options).await?;
    }
    Ok(outcome.map(|_| ()).map_err(|error| error.code))
}

#[tokio::test]
async fn no_file_holds_a_card_number_or_cvc_after_every_test_card() -> anyhow::Result<()> {
    let system = without_service().await?;
    let mut process = system.spawn_process(
        ServiceName::Orders,
        &[
            ("RUST_LOG", "debug"),
            ("BIKESTORE_ORDERS_PROVIDER_TIMEOUT_MS", "300"),
        ],
    )?;
    wait_for_service(system.client(), ServiceName::Orders.as_str(), READY).await?;
    let order = new_order(&system).await?;
    let token_order = new_order(&system).await?;
    let numbers = [APPROVES, DECLINES, INSUFFICIENT_FUNDS, NEVER_ANSWERS, FLAKY];
    let mut codes = Vec::new();
    let mut token_codes = Vec::new();
    let mut card_tokens = Vec::new();
    for (index, (number, cvc)) in numbers.into_iter().zip(CVCS).enumerate() {
        let format = if index % 2 == 0 {
            ContentType::Postcard
        } else {
            ContentType::Json
        };
        let options = CallOptions {
            idempotency_key: Some(format!("card-{index}")),
            content_type: format,
            ..CallOptions::default()
        };
        let request = AuthorizePayment {
            order_id: order.order_id,
            amount: Cents(2_300),
            card: card(number, cvc),
        };
        codes.push(settle(&system, &request, &options, number == APPROVES).await?);

        let tokenize = TokenizeCard {
            card: card(number, cvc),
        };
        let card_token = system.caller().call_with(&tokenize, &options).await?.token;
        let request = AuthorizeWithToken {
            order_id: token_order.order_id,
            amount: Cents(2_300),
            card_token: card_token.clone(),
        };
        let options = CallOptions {
            idempotency_key: Some(format!("token-{index}")),
            ..options
        };
        token_codes.push(settle(&system, &request, &options, number == APPROVES).await?);
        card_tokens.push(card_token);
    }
    let expected = vec![
        Ok(()),
        Err(ErrorCode::PaymentDeclined),
        Err(ErrorCode::PaymentDeclined),
        Err(ErrorCode::Timeout),
        Ok(()),
    ];
    assert_eq!(codes, expected);
    assert_eq!(token_codes, expected, "a token pays as its card does");
    // A graceful stop flushes the log writer, so every line it was given is on disk.
    let status = process.terminate().await?;
    assert!(status.success(), "the service stopped cleanly: {status}");

    let files = bikestore_testkit::files_under(system.data_dir())?;
    let logs: Vec<&PathBuf> = files
        .iter()
        .filter(|path| path.starts_with(system.data_dir().join("logs")))
        .collect();
    assert!(!logs.is_empty(), "the service wrote log files");
    let all_logs: Vec<u8> = logs
        .iter()
        .flat_map(|path| std::fs::read(path).unwrap())
        .collect();
    let all_logs = String::from_utf8_lossy(&all_logs);
    assert!(
        all_logs.contains("authorize_payment")
            && all_logs.contains("authorize_with_token")
            && all_logs.contains("DEBUG"),
        "the logs are at debug level and cover the payments"
    );
    assert!(
        files
            .iter()
            .any(|path| path.to_string_lossy().ends_with("-wal")
                || path.to_string_lossy().ends_with(".db")),
        "the database files are searched too"
    );
    for path in &files {
        let bytes = std::fs::read(path)?;
        let text = String::from_utf8_lossy(&bytes);
        for number in numbers {
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            assert!(
                !text.contains(&digits) && !text.contains(number),
                "{} holds card number {number}",
                path.display()
            );
        }
        for cvc in CVCS {
            assert!(
                !tokens(&bytes).any(|token| token == cvc.as_bytes()),
                "{} holds CVC {cvc}",
                path.display()
            );
        }
        // A field, named as JSON, a log line or a debug print would name it; not any "cvc" in
        // the bytes, which random IDs (ULIDs use C and V) spell now and then.
        let lower = text.to_ascii_lowercase();
        assert!(
            !["\"cvc\"", "cvc=", "cvc:"]
                .iter()
                .any(|field| lower.contains(field)),
            "{} mentions a CVC field",
            path.display()
        );
        // A token pays like a card: the database may keep one (a recorded reply), no log may.
        let name = path.to_string_lossy();
        let is_database = name.contains(".db");
        for card_token in &card_tokens {
            assert!(
                is_database || !text.contains(card_token.as_str()),
                "{} holds a card token",
                path.display()
            );
        }
    }
    Ok(())
}
