//! Whether a backup can be honoured by this build, checked in full before anything is
//! written: every part present once, in a safe order, every file whole, every database sound
//! and at a schema this build knows. Every problem found is reported, not just the first.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use bikestore_contracts::Subjects;
use bikestore_contracts::sagas::SagaRecord;

use crate::error::BackupError;
use crate::manifest::{FORMAT, FileSum, Manifest, Part, resolve, sum_file};
use crate::plan;

/// Reads `dir`'s manifest and checks the whole backup against it and against this build;
/// answers the manifest, or [`BackupError::Refused`] with every reason.
pub fn verify(dir: &Path, subjects: &Subjects) -> Result<Manifest, BackupError> {
    let manifest = Manifest::read(dir)?;
    let mut problems = Vec::new();
    if manifest.format != FORMAT {
        problems.push(format!(
            "its manifest format is {}; this build reads format {FORMAT}",
            manifest.format
        ));
    }
    if manifest.subject_prefix != subjects.prefix() {
        problems.push(format!(
            "it was taken under subject prefix {:?}, not this deployment's {:?}",
            manifest.subject_prefix,
            subjects.prefix()
        ));
    }
    check_parts(&manifest, subjects, &mut problems);
    check_order(&manifest, &mut problems);
    for part in &manifest.parts {
        for file in part.files() {
            check_file(dir, &part.name(), file, &mut problems);
        }
    }
    // The contents are read only from files that are whole.
    if problems.is_empty() {
        for part in &manifest.parts {
            check_content(dir, part, &mut problems);
        }
    }
    if problems.is_empty() {
        Ok(manifest)
    } else {
        Err(BackupError::Refused(problems))
    }
}

/// Every part this build restores is there once, and nothing else.
fn check_parts(manifest: &Manifest, subjects: &Subjects, problems: &mut Vec<String>) {
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    expected.insert("sagas".to_owned(), 0);
    expected.insert("keys".to_owned(), 0);
    for service in plan::DATABASE_ORDER {
        expected.insert(format!("{service} database"), 0);
    }
    for stream in plan::streams(subjects) {
        expected.insert(format!("stream {stream}"), 0);
    }
    for part in &manifest.parts {
        match expected.get_mut(&part.name()) {
            Some(count) => *count += 1,
            None => problems.push(format!(
                "it holds a part this build does not restore: {}",
                part.name()
            )),
        }
    }
    for (name, count) in expected {
        match count {
            0 => problems.push(format!("the {name} part is missing")),
            1 => {}
            _ => problems.push(format!("the {name} part is there {count} times")),
        }
    }
}

/// The parts were taken in an order that makes a restore safe (see [`crate::plan`]).
fn check_order(manifest: &Manifest, problems: &mut Vec<String>) {
    let position = |wanted: &dyn Fn(&Part) -> bool| manifest.parts.iter().position(wanted);
    let last_position = |wanted: &dyn Fn(&Part) -> bool| manifest.parts.iter().rposition(wanted);
    let sagas = position(&|part| matches!(part, Part::Sagas { .. }));
    let first_database = position(&|part| matches!(part, Part::Database { .. }));
    let last_database = last_position(&|part| matches!(part, Part::Database { .. }));
    let identity =
        position(&|part| matches!(part, Part::Database { service, .. } if service == "identity"));
    let keys = position(&|part| matches!(part, Part::Keys { .. }));
    let first_stream = position(&|part| matches!(part, Part::Stream { .. }));
    let mut unsafe_order = |earlier: Option<usize>, later: Option<usize>, why: &str| {
        if let (Some(earlier), Some(later)) = (earlier, later)
            && earlier > later
        {
            problems.push(format!("its parts are in an unsafe order: {why}"));
        }
    };
    unsafe_order(
        sagas,
        first_database,
        "the saga records must be taken before any database (a saga newer than its participants would count on steps nobody remembers)",
    );
    unsafe_order(
        identity,
        keys,
        "the keys must be taken after identity's database, so every key it names has its file",
    );
    unsafe_order(
        last_database,
        first_stream,
        "the streams must be taken after every database, so every event a database counts as published is in them",
    );
    for (consumer, producers) in plan::CONSUMES {
        let consumer_at = position(
            &|part| matches!(part, Part::Database { service, .. } if service == consumer.as_str()),
        );
        for producer in producers {
            let producer_at = position(
                &|part| matches!(part, Part::Database { service, .. } if service == producer.as_str()),
            );
            unsafe_order(
                consumer_at,
                producer_at,
                &format!(
                    "the {consumer} database consumes {producer}'s events and must be copied before it"
                ),
            );
        }
    }
}

/// The file is where the manifest says, with the size and checksum it says.
fn check_file(dir: &Path, part: &str, file: &FileSum, problems: &mut Vec<String>) {
    if resolve(dir, &file.path).is_none() {
        problems.push(format!(
            "{part}: file {:?} is not a path inside the backup",
            file.path
        ));
        return;
    }
    match sum_file(dir, &file.path) {
        Err(BackupError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            problems.push(format!("{part}: file {} is missing", file.path));
        }
        Err(error) => problems.push(format!("{part}: {error}")),
        Ok(found) if found.bytes != file.bytes => problems.push(format!(
            "{part}: file {} has {} bytes, the manifest says {}: damaged",
            file.path, found.bytes, file.bytes
        )),
        Ok(found) if found.sha256 != file.sha256 => problems.push(format!(
            "{part}: file {} does not match its checksum: damaged",
            file.path
        )),
        Ok(_) => {}
    }
}

/// A database copy is sound and at a schema this build knows; the saga records decode.
fn check_content(dir: &Path, part: &Part, problems: &mut Vec<String>) {
    match part {
        Part::Database {
            service,
            file,
            schema_version,
            outbox_sequence,
            ..
        } => {
            let known = plan::database_service(service).and_then(plan::schema_version);
            if let Some(known) = known
                && *schema_version > known
            {
                problems.push(format!(
                    "the {service} database is at schema version {schema_version}, newer than this build's {known}: restore it with the build that took it ({})",
                    "see the manifest's bikestore_version"
                ));
                return;
            }
            match bikestore_storage::inspect_database(&dir.join(&file.path)) {
                Err(error) => problems.push(format!("the {service} database: {error}")),
                Ok(copy)
                    if copy.schema_version != *schema_version
                        || copy.outbox_sequence != *outbox_sequence =>
                {
                    problems.push(format!(
                        "the {service} database is at schema {} with outbox sequence {}, the manifest says {schema_version} and {outbox_sequence}",
                        copy.schema_version, copy.outbox_sequence
                    ));
                }
                Ok(_) => {}
            }
        }
        Part::Sagas { file, records, .. } => match read_records(&dir.join(&file.path)) {
            Ok(found) if found.len() as u64 == *records => {}
            Ok(found) => problems.push(format!(
                "the saga records file holds {} records, the manifest says {records}",
                found.len()
            )),
            Err(error) => problems.push(format!("the saga records: {error}")),
        },
        Part::Stream { stream, config, .. } => {
            if config["name"].as_str() != Some(stream.as_str()) {
                problems.push(format!(
                    "stream {stream}: its configuration names another stream"
                ));
            }
        }
        Part::Keys { .. } => {}
    }
}

/// The saga records of a backup's file, one JSON record per line.
pub fn read_records(path: &Path) -> Result<Vec<SagaRecord>, BackupError> {
    let file = std::fs::File::open(path).map_err(|error| BackupError::io(path, error))?;
    let mut records = Vec::new();
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|error| BackupError::io(path, error))?;
        let record = serde_json::from_str(&line).map_err(|error| {
            BackupError::Unusable(format!(
                "{} line {}: not a saga record: {error}",
                path.display(),
                index + 1
            ))
        })?;
        records.push(record);
    }
    Ok(records)
}
