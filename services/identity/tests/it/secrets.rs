//! No password or token is ever written down: after a real `bikestore-identity` process served
//! logins (good, wrong and throttled), refreshes, a reuse, a password reset, a rotation and a
//! logout at debug log level, no file under its data folder (database, WAL, JSON log files,
//! captured stdout and stderr) holds a password, an access token or a refresh token, and no
//! file but its own key file holds a private signing key.

use std::path::PathBuf;

use bikestore_codec::ContentType;
use bikestore_contracts::ServiceName;
use bikestore_contracts::identity::{
    CreateStaff, Logout, Password, ResetPassword, Role, RotateSigningKey,
};
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::wait_for_service;

use crate::support::{READY, login, refresh, without_service};

/// Passwords nothing else in a log could spell by chance.
const FIRST_PASSWORD: &str = "Quokka-Saffron-7731";
const SECOND_PASSWORD: &str = "Marzipan-Tundra-4409";
const WRONG_PASSWORD: &str = "Lantern-Pelican-9182";

#[tokio::test]
async fn no_file_holds_a_password_or_a_token() -> anyhow::Result<()> {
    let system = without_service().await?;
    let mut process = system.spawn_process(
        ServiceName::Identity,
        &[
            ("RUST_LOG", "debug"),
            ("BIKESTORE_IDENTITY_LOGIN_FREE_ATTEMPTS", "1"),
        ],
    )?;
    wait_for_service(system.client(), ServiceName::Identity.as_str(), READY).await?;
    let json = CallOptions {
        content_type: ContentType::Json,
        idempotency_key: Some("create-nia".into()),
        ..CallOptions::default()
    };
    let create = CreateStaff {
        username: "nia.flores".into(),
        name: "Nia Flores".into(),
        email: "nia.flores@bikes.shop".into(),
        role: Role::Sales,
        store_id: Some(bikestore_contracts::StoreId(1)),
        password: Password::from(FIRST_PASSWORD),
    };
    let staff_id = system
        .as_gateway()
        .call_with(&create, &json)
        .await?
        .staff_id;

    let mut access_tokens = Vec::new();
    let mut refresh_tokens = Vec::new();
    let (first, first_key) = login(&system, "nia.flores", FIRST_PASSWORD).await?;
    let (second, _) = refresh(&system, &first.refresh_token, &first_key).await?;
    // A reuse revokes the family; the error says nothing more.
    assert!(
        refresh(&system, &first.refresh_token, &first_key)
            .await
            .is_err()
    );
    access_tokens.extend([first.access_token.clone(), second.access_token.clone()]);
    refresh_tokens.extend([first.refresh_token.clone(), second.refresh_token.clone()]);

    assert!(login(&system, "nia.flores", WRONG_PASSWORD).await.is_err());
    // Throttled now: even the right password is refused, and logged as refused.
    assert!(login(&system, "nia.flores", FIRST_PASSWORD).await.is_err());
    let reset = ResetPassword {
        staff_id,
        new_password: Password::from(SECOND_PASSWORD),
    };
    system
        .as_gateway()
        .call_with(&reset, &CallOptions::idempotent("reset-nia"))
        .await?;
    system.as_gateway().call(&RotateSigningKey {}).await?;
    let (third, _) = login(&system, "nia.flores", SECOND_PASSWORD).await?;
    access_tokens.push(third.access_token.clone());
    refresh_tokens.push(third.refresh_token.clone());
    system
        .as_gateway()
        .call_with(
            &Logout {
                refresh_token: third.refresh_token.clone(),
            },
            &CallOptions::idempotent("logout-nia"),
        )
        .await?;
    // A graceful stop flushes the log writer, so every line it was given is on disk.
    let status = process.terminate().await?;
    assert!(status.success(), "the service stopped cleanly: {status}");

    let files = bikestore_testkit::files_under(system.data_dir())?;
    let logs = files
        .iter()
        .filter(|path| path.starts_with(system.data_dir().join("logs")))
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect::<String>();
    assert!(
        logs.contains("logged in") && logs.contains("login throttled") && logs.contains("DEBUG"),
        "the logs are at debug level and cover the logins"
    );
    let key_files: Vec<&PathBuf> = files
        .iter()
        .filter(|path| path.extension().is_some_and(|extension| extension == "key"))
        .collect();
    // Beside the gateway's caller-assertion key, which the harness made in the data folder.
    let signing_key_folder = bikestore_identity::key_folder(&system.configs().identity);
    let signing_keys = key_files
        .iter()
        .filter(|path| path.starts_with(&signing_key_folder))
        .count();
    assert_eq!(signing_keys, 2, "the current and the previous signing key");
    let private_keys: Vec<String> = key_files
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap().trim().to_owned())
        .collect();
    assert!(
        files
            .iter()
            .any(|path| path.to_string_lossy().ends_with(".db")),
        "the database files are searched too"
    );
    for path in &files {
        let text = String::from_utf8_lossy(&std::fs::read(path)?).into_owned();
        let name = path.display();
        for password in [FIRST_PASSWORD, SECOND_PASSWORD, WRONG_PASSWORD] {
            assert!(!text.contains(password), "{name} holds a password");
        }
        for token in &access_tokens {
            assert!(
                !text.contains(token.expose()),
                "{name} holds an access token"
            );
            // Not even the signature part alone.
            let tail = &token.expose()[token.expose().len() - 40..];
            assert!(!text.contains(tail), "{name} holds part of an access token");
        }
        for token in &refresh_tokens {
            assert!(
                !text.contains(token.expose()),
                "{name} holds a refresh token"
            );
        }
        if !key_files.contains(&path) {
            for private_key in &private_keys {
                assert!(
                    !text.contains(private_key.as_str()),
                    "{name} holds a private key"
                );
            }
        }
    }
    Ok(())
}
