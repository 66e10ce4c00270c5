//! Tidy checks over the whole repository: every Rust file starts with a `//!` module doc, and
//! no subject, stream or protocol-subject string appears outside `shared/contracts`.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository root")
        .to_path_buf()
}

fn rust_files() -> Vec<PathBuf> {
    let root = repository_root();
    let mut pending: Vec<PathBuf> = ["shared", "services", "tui", "tests"]
        .iter()
        .map(|folder| root.join(folder))
        .filter(|folder| folder.exists())
        .collect();
    let mut files = Vec::new();
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    pending.push(path);
                }
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(repository_root())
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let missing: Vec<String> = rust_files()
        .into_iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            let first = text.lines().find(|line| !line.trim().is_empty());
            !first.is_some_and(|line| line.starts_with("//!"))
        })
        .map(|path| relative(&path))
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! module doc: {missing:#?}"
    );
}

#[test]
fn subject_strings_live_only_in_contracts() {
    let forbidden = [
        "\"bikestore.",
        "\"$SRV",
        "\"$JS.",
        ".svc.",
        ".evt.",
        ".api.",
    ];
    let offenders: Vec<String> = rust_files()
        .into_iter()
        .filter(|path| !relative(path).starts_with("shared/contracts/"))
        .filter(|path| !relative(path).ends_with("tests/tidy.rs"))
        .flat_map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = relative(&path);
            text.lines()
                .enumerate()
                .filter(|(_, line)| !line.trim_start().starts_with("//"))
                .filter(|(_, line)| {
                    forbidden
                        .iter()
                        .any(|pattern| line.contains(pattern) && line.contains('"'))
                })
                .map(|(index, line)| format!("{name}:{}: {}", index + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "subject strings outside shared/contracts: {offenders:#?}"
    );
}
