//! [`TlsFiles`]: a throwaway certificate authority, a server certificate for 127.0.0.1 and a
//! client certificate, made with `openssl` for a test's nats-server run with its TLS profile.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The certificates and keys of one TLS test server, all PEM files in one folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate authority that signed both certificates.
    pub ca: PathBuf,
    /// The server's certificate (for 127.0.0.1 and localhost).
    pub server_cert: PathBuf,
    /// Its private key.
    pub server_key: PathBuf,
    /// A client certificate, for a server that verifies clients.
    pub client_cert: PathBuf,
    /// Its private key.
    pub client_key: PathBuf,
}

impl TlsFiles {
    /// Makes a certificate authority and the two certificates it signs, valid for a day, in
    /// `dir`.
    pub fn create(dir: &Path) -> anyhow::Result<TlsFiles> {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        let file = |name: &str| dir.join(name);
        let files = TlsFiles {
            ca: file("ca.pem"),
            server_cert: file("server.pem"),
            server_key: file("server.key"),
            client_cert: file("client.pem"),
            client_key: file("client.key"),
        };
        let ca_key = file("ca.key");
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=Bikestore test CA",
            ],
            &[("-keyout", &ca_key), ("-out", &files.ca)],
        )?;
        let extensions = file("server.ext");
        std::fs::write(&extensions, "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
            .context("write the server certificate's extensions")?;
        sign(
            &files,
            &ca_key,
            "server",
            &files.server_cert,
            &files.server_key,
            Some(&extensions),
        )?;
        let client_extensions = file("client.ext");
        std::fs::write(&client_extensions, "extendedKeyUsage=clientAuth\n")
            .context("write the client certificate's extensions")?;
        sign(
            &files,
            &ca_key,
            "client",
            &files.client_cert,
            &files.client_key,
            Some(&client_extensions),
        )?;
        Ok(files)
    }
}

/// Makes a key and a certificate named `name`, signed by the test authority.
fn sign(
    files: &TlsFiles,
    ca_key: &Path,
    name: &str,
    cert: &Path,
    key: &Path,
    extensions: Option<&Path>,
) -> anyhow::Result<()> {
    let request = cert.with_extension("csr");
    let subject = format!("/CN=bikestore-test-{name}");
    openssl(
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            &subject,
        ],
        &[("-keyout", key), ("-out", &request)],
    )?;
    let mut paths = vec![
        ("-in", request.as_path()),
        ("-CA", files.ca.as_path()),
        ("-CAkey", ca_key),
        ("-out", cert),
    ];
    if let Some(extensions) = extensions {
        paths.push(("-extfile", extensions));
    }
    openssl(&["x509", "-req", "-days", "1", "-CAcreateserial"], &paths)
}

/// Runs `openssl` with `args` and then each flag with its path.
fn openssl(args: &[&str], paths: &[(&str, &Path)]) -> anyhow::Result<()> {
    let mut command = Command::new("openssl");
    command.args(args);
    for (flag, path) in paths {
        command.arg(flag).arg(path);
    }
    let output = command
        .output()
        .context("run openssl (tests of the TLS profile make their certificates with it)")?;
    if !output.status.success() {
        bail!(
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
