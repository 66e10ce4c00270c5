//! [`files_under`]: what a test's processes wrote to disk, for checks that no secret was
//! written anywhere.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Every file below `folder`, at any depth.
pub fn files_under(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut pending = vec![folder.to_path_buf()];
    let mut files = Vec::new();
    while let Some(folder) = pending.pop() {
        let entries =
            std::fs::read_dir(&folder).with_context(|| format!("list {}", folder.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("list {}", folder.display()))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    Ok(files)
}
