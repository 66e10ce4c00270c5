//! The NATS users' passwords of one test server: fresh random ones, written to credentials
//! files (`user:password`, mode 0600 in a 0700 folder) as `just up` writes them.

use std::fs::{File, OpenOptions};
use std::path::Path;

use anyhow::Context;

use crate::nats::NATS_USERS;

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

/// 32 random letters and digits, the first a letter: nats-server reads an environment
/// variable's value as a configuration value, so a password of digits would become a number.
fn random_password() -> anyhow::Result<String> {
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
