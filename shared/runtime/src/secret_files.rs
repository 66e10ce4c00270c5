//! Files that hold a secret, such as a private key: created exclusively with mode 0600 in a
//! folder of mode 0700 and synced before they count; read with a warning when their mode lets
//! others read them.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Writes `secret` and a newline to a new file at `path` (its folder made as needed). A file
/// already there (made by another process, say) is never overwritten: the answer is then
/// `false`.
pub fn create(path: &Path, secret: &str) -> std::io::Result<bool> {
    if let Some(folder) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)?;
    }
    let opened = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    let mut file = match opened {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(error) => return Err(error),
    };
    let mut text = secret.to_owned();
    text.push('\n');
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(true)
}

/// Reads the secret file at `path`, warning in the log when others may read it too.
pub fn read(path: &Path) -> std::io::Result<String> {
    let metadata = std::fs::metadata(path)?;
    if metadata.permissions().mode() & 0o077 != 0 {
        tracing::warn!(path = %path.display(), "a secret file is readable by others; it should be mode 0600");
    }
    std::fs::read_to_string(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_file_is_private_made_once_and_reads_back() {
        let folder = tempfile::tempdir().expect("temp dir");
        let path = folder.path().join("keys").join("one.key");
        assert!(create(&path, "first").expect("creates"));
        assert!(
            !create(&path, "second").expect("answers"),
            "never overwritten"
        );
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let folder_mode = std::fs::metadata(path.parent().expect("folder"))
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(folder_mode & 0o777, 0o700);
        assert_eq!(read(&path).expect("reads"), "first\n");
    }
}
