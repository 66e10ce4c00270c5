//! Tidy checks over the whole repository: every Rust file starts with a `//!` module doc, no
//! subject, stream or protocol-subject string appears outside `shared/contracts`, and no
//! non-test source file is longer than 500 lines (declared exceptions aside).
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
        "\"$SYS.",
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

/// The most lines a non-test source file may have before its trailing `#[cfg(test)]` module.
const MAX_SOURCE_LINES: usize = 500;

/// Files allowed past [`MAX_SOURCE_LINES`], each with the reason.
const LONG_FILE_EXCEPTIONS: [(&str, &str); 2] = [
    (
        "shared/contracts/src/inventory.rs",
        "a contracts table: every inventory message type, append-only by design",
    ),
    (
        "shared/contracts/src/orders.rs",
        "a contracts table: every orders message type, append-only by design",
    ),
];

/// Whether a file is test code: under a `tests` or `benches` folder, a `tests.rs` module, or a
/// module marked `#![cfg(test)]`.
fn is_test_code(relative_path: &str, text: &str) -> bool {
    relative_path
        .split('/')
        .any(|part| part == "tests" || part == "benches" || part == "tests.rs")
        || text.lines().any(|line| line.trim() == "#![cfg(test)]")
}

/// The lines of `text` before its trailing unit-test module, if any.
fn source_lines(text: &str) -> usize {
    text.lines()
        .take_while(|line| !line.starts_with("#[cfg(test)]"))
        .count()
}

#[test]
fn no_source_file_is_longer_than_the_limit() {
    let offenders: Vec<String> = rust_files()
        .into_iter()
        .filter_map(|path| {
            let name = relative(&path);
            let text = std::fs::read_to_string(&path).unwrap();
            let lines = source_lines(&text);
            let excepted = LONG_FILE_EXCEPTIONS
                .iter()
                .any(|(excepted, _)| *excepted == name);
            (lines > MAX_SOURCE_LINES && !excepted && !is_test_code(&name, &text))
                .then(|| format!("{name}: {lines} lines"))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "split these by concern (at most {MAX_SOURCE_LINES} lines before the tests): {offenders:#?}"
    );
}

#[test]
fn test_code_and_trailing_test_modules_are_told_apart() {
    assert!(is_test_code("services/orders/tests/it/support.rs", ""));
    assert!(is_test_code("tests/bench/stack.rs", ""));
    assert!(is_test_code("tui/src/console/app/tests.rs", ""));
    assert!(is_test_code(
        "tui/src/console/screens/snapshots.rs",
        "//! Snapshots.\n#![cfg(test)]\n"
    ));
    assert!(!is_test_code("services/orders/src/lib.rs", "//! Orders.\n"));
    assert_eq!(source_lines("a\nb\n#[cfg(test)]\nmod tests {\n}\n"), 2);
    assert_eq!(source_lines("a\nb\n"), 2);
}
