//! The NATS users' passwords of one test server: fresh random ones, written to credentials
//! files (`user:password`, mode 0600 in a 0700 folder) as `just up` writes them; and the
//! account nkey the server trusts to sign auth callout answers, as identity keeps it.

use std::fs::{File, OpenOptions};
use std::path::Path;

use anyhow::Context;

/// The users `nats/users.conf` defines (the service users, `ops`, and each database replica's
/// Litestream user); the server refuses to start unless each has a password. Consoles have
/// none: the auth callout authorizes them.
pub const NATS_USERS: [&str; 11] = [
    "identity",
    "inventory",
    "orders",
    "notifications",
    "orchestrator",
    "gateway",
    "ops",
    "identity_replica",
    "inventory_replica",
    "orders_replica",
    "notifications_replica",
];

/// Writes a credentials file `<dir>/<user>.creds` (mode 0600, in a 0700 folder) with a fresh
/// random password for each of [`NATS_USERS`], and answers the passwords.
pub(crate) fn write_credentials(dir: &Path) -> anyhow::Result<Vec<(&'static str, String)>> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    NATS_USERS
        .into_iter()
        .map(|user| {
            let password = random_password()?;
            let path = dir.join(format!("{user}.creds"));
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            writeln!(file, "{user}:{password}")
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok((user, password))
        })
        .collect()
}

/// The auth callout issuer of one test server.
#[derive(Debug)]
pub(crate) struct CalloutIssuer {
    /// Its seed (`SA...`), in a file of mode 0600.
    pub seed_file: std::path::PathBuf,
    /// Its public key (`A...`), for the server's `auth_callout.issuer`.
    pub public_key: String,
}

/// Makes a fresh issuer account nkey and writes its seed to `<dir>/callout-issuer.nk`.
pub(crate) fn write_callout_issuer(dir: &Path) -> anyhow::Result<CalloutIssuer> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    let issuer = nkeys::KeyPair::new_account();
    let seed_file = dir.join("callout-issuer.nk");
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&seed_file)
        .with_context(|| format!("cannot create {}", seed_file.display()))?;
    let seed = issuer.seed().context("cannot encode the issuer seed")?;
    writeln!(file, "{seed}").with_context(|| format!("cannot write {}", seed_file.display()))?;
    Ok(CalloutIssuer {
        seed_file,
        public_key: issuer.public_key(),
    })
}

/// 32 random letters and digits, the first a letter: nats-server reads an environment
/// variable's value as a configuration value, so a password of digits would become a number.
pub(crate) fn random_password() -> anyhow::Result<String> {
    use std::io::Read;

    const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 32];
    File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .context("cannot read /dev/urandom")?;
    Ok(bytes
        .iter()
        .enumerate()
        .map(|(index, byte)| {
            let alphabet = if index == 0 { LETTERS } else { ALPHANUMERIC };
            char::from(alphabet[usize::from(*byte) % alphabet.len()])
        })
        .collect())
}
