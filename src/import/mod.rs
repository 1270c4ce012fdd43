//! Importing round files: read, parse, derive, build the rows and write them ([`pipeline`]),
//! and record every attempt in the import log that the scanner and `/proximity_status` read.

pub mod identity;
mod pipeline;
pub mod rederive;

pub use pipeline::RoundCounts;
mod record;
pub mod rows;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use sqlx::PgPool;
use thiserror::Error;

use crate::format::{Header, ParseError, SkippedSection};
use crate::metrics::MetricParams;
use crate::servers::DEFAULT_LABEL;
use crate::store::StoreError;
use crate::store::import_log::{self, Attempt, ImportStatus};

/// The longest an import may take before the database counts as unavailable: a server that
/// vanished without closing its connections would otherwise keep the import waiting for as long
/// as TCP does.
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(120);

/// What importing a file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A new round, with its id.
    Imported { round_id: i64 },
    /// Stored as `round_id` in place of round `previous`, for the reason `why`.
    Replaced {
        round_id: i64,
        previous: i64,
        why: Replacement,
    },
    /// The same round was stored before (from this or another file).
    AlreadyImported { round_id: i64 },
}

/// Why a file replaced a stored round (`identity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replacement {
    /// More of the round: a finished file after a partial one, or a longer partial one.
    MoreOfTheRound,
    /// The same round read again, for sections or figures ([`FIGURES_VERSION`]) the stored one
    /// lacked.
    ReadAgain,
}

/// The version of the figures the importer derives. A round stored with an older version is
/// read again from its file ([`rederive`]); raise it when a figure is added or changes meaning.
pub const FIGURES_VERSION: i16 = 1;

impl ImportOutcome {
    pub fn round_id(self) -> i64 {
        match self {
            ImportOutcome::Imported { round_id }
            | ImportOutcome::Replaced { round_id, .. }
            | ImportOutcome::AlreadyImported { round_id } => round_id,
        }
    }
}

/// What importing one file did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub file_name: String,
    pub outcome: ImportOutcome,
    pub map: Option<String>,
    pub round_number: Option<u8>,
    /// Sections the parser skipped (name and row count); empty for a repeat.
    pub skipped: Vec<SkippedSection>,
    /// What the import noticed and kept rather than refused.
    pub notes: Vec<String>,
    /// The BLAKE3 hash of the file's bytes: its fingerprint in the import log.
    pub file_digest: [u8; 32],
    /// What the round holds; `None` for a repeat.
    pub counts: Option<RoundCounts>,
    pub elapsed: Duration,
}

impl ImportReport {
    /// One line for logs and replies.
    pub fn describe(&self) -> String {
        let what = || {
            let counts = self.counts.map_or(String::new(), |c| {
                format!(
                    ": {} players, {} lives, {} fights, {} kills",
                    c.players, c.lives, c.fights, c.kills
                )
            });
            format!(
                "{} round {}{counts}",
                self.map.as_deref().unwrap_or("?"),
                self.round_number.unwrap_or(0)
            )
        };
        let mut s = match self.outcome {
            ImportOutcome::AlreadyImported { round_id } => {
                format!("{}: already imported (round #{round_id})", self.file_name)
            }
            ImportOutcome::Imported { round_id } => {
                format!(
                    "{}: imported as round #{round_id} ({})",
                    self.file_name,
                    what()
                )
            }
            ImportOutcome::Replaced {
                round_id,
                previous,
                why: Replacement::MoreOfTheRound,
            } => format!(
                "{}: imported as round #{round_id} ({}), replacing the partial round #{previous}",
                self.file_name,
                what()
            ),
            ImportOutcome::Replaced {
                round_id,
                previous,
                why: Replacement::ReadAgain,
            } => format!(
                "{}: read again as round #{round_id} ({}), replacing round #{previous}, which \
                 lacked sections or figures of this version",
                self.file_name,
                what()
            ),
        };
        if !self.skipped.is_empty() {
            let list: Vec<String> = self
                .skipped
                .iter()
                .map(|s| match s.rows {
                    1 => format!("{} (1 row)", s.name),
                    n => format!("{} ({n} rows)", s.name),
                })
                .collect();
            s.push_str(&format!("; skipped sections: {}", list.join(", ")));
        }
        for note in &self.notes {
            s.push_str("; note: ");
            s.push_str(note);
        }
        s
    }
}

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {source}")]
    Parse { file: String, source: ParseError },
    #[error("{file}: {source}")]
    Store { file: String, source: StoreError },
}

impl ImportError {
    /// Whether the database could not be reached (or went away during the import).
    pub fn is_database_unavailable(&self) -> bool {
        matches!(self, ImportError::Store { source, .. } if source.is_unavailable())
    }

    /// Whether trying again later may succeed (the database was unreachable, the file could
    /// not be read), as opposed to a file that is bad.
    pub fn is_transient(&self) -> bool {
        match self {
            ImportError::Store { source, .. } => source.is_unavailable(),
            ImportError::Read { .. } => true,
            ImportError::Parse { .. } => false,
        }
    }
}

/// The BLAKE3 hash of a file's bytes: the file's fingerprint in the import log (BLAKE3, like the
/// round's digest, because both are on every import's path).
pub fn file_digest_of(bytes: &[u8]) -> [u8; 32] {
    blake3::hash(bytes).into()
}

/// When a round was played: the header's end, else its start, else the file name's timestamp
/// (`YYYY-MM-DD-HHMMSS-…`, read as UTC), else `fallback`.
pub fn played_at(header: &Header, file_name: &str, fallback: DateTime<Utc>) -> DateTime<Utc> {
    let from_unix = |s: i64| (s > 0).then(|| Utc.timestamp_opt(s, 0).single()).flatten();
    from_unix(header.round_end_unix)
        .or_else(|| from_unix(header.round_start_unix))
        .or_else(|| {
            let stamp = file_name.get(..17)?;
            NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d-%H%M%S")
                .ok()
                .map(|n| n.and_utc())
        })
        .unwrap_or(fallback)
}

/// Imports one file's bytes as a round of the server [`DEFAULT_LABEL`]. `complete` accepts a
/// file without `# END` (another tracker's file that has stopped growing).
pub async fn import_bytes(
    pool: &PgPool,
    file_name: &str,
    bytes: impl Into<Bytes>,
    complete: bool,
    params: &MetricParams,
) -> Result<ImportReport, ImportError> {
    import_bytes_from(pool, DEFAULT_LABEL, file_name, bytes, complete, params).await
}

/// Imports one file's bytes as a round of the game server labelled `server`. A round stored
/// before (same content) stays the round it is, with the label it was stored with.
pub async fn import_bytes_from(
    pool: &PgPool,
    server: &str,
    file_name: &str,
    bytes: impl Into<Bytes>,
    complete: bool,
    params: &MetricParams,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let run = pipeline::run(pool, server, file_name, bytes.into(), complete, params);
    let stored = tokio::time::timeout(IMPORT_TIMEOUT, run)
        .await
        .map_err(|_| ImportError::Store {
            file: file_name.to_string(),
            source: StoreError::Unavailable(format!(
                "no answer from the database within {} s",
                IMPORT_TIMEOUT.as_secs()
            )),
        })??;
    Ok(ImportReport {
        file_name: file_name.to_string(),
        outcome: stored.outcome,
        map: stored.map,
        round_number: stored.round_number,
        skipped: stored.skipped,
        notes: stored.notes,
        file_digest: stored.file_digest,
        counts: stored.counts,
        elapsed: started.elapsed(),
    })
}

/// Imports one file from disk as a round of the server [`DEFAULT_LABEL`] and records the
/// attempt in the import log.
pub async fn import_path(
    pool: &PgPool,
    path: &Path,
    complete: bool,
    params: &MetricParams,
) -> Result<ImportReport, ImportError> {
    import_path_from(pool, DEFAULT_LABEL, path, complete, params).await
}

/// Imports one file from disk as a round of the game server labelled `server` and records the
/// attempt in the import log.
pub async fn import_path_from(
    pool: &PgPool,
    server: &str,
    path: &Path,
    complete: bool,
    params: &MetricParams,
) -> Result<ImportReport, ImportError> {
    let file_name = file_name_of(path);
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|source| ImportError::Read {
            file: file_name.clone(),
            source,
        })?;
    let size = bytes.len() as i64;
    let result = import_bytes_from(pool, server, &file_name, bytes, complete, params).await;
    let logged = record_attempt(pool, path, &file_name, size, &result).await;
    match (result, logged) {
        // A database outage during the import is the error to report, not the log write.
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(ImportError::Store {
            file: file_name,
            source: e,
        }),
        (Ok(report), Ok(())) => Ok(report),
    }
}

/// Records the attempt to import `path` (its `file_name` and `size`) that gave `result`.
pub async fn record_attempt(
    pool: &PgPool,
    path: &Path,
    file_name: &str,
    size: i64,
    result: &Result<ImportReport, ImportError>,
) -> Result<(), StoreError> {
    let error = result.as_ref().err().map(ToString::to_string);
    let (status, round_id) = match result {
        Ok(r) => match r.outcome {
            ImportOutcome::Imported { round_id } | ImportOutcome::Replaced { round_id, .. } => {
                (ImportStatus::Imported, Some(round_id))
            }
            ImportOutcome::AlreadyImported { round_id } => {
                (ImportStatus::Duplicate, Some(round_id))
            }
        },
        Err(_) => (ImportStatus::Failed, None),
    };
    let report = result.as_ref().ok();
    let attempt = Attempt {
        file_name,
        file_size: size,
        file_digest: report.map(|r| r.file_digest),
        status,
        round_id,
        error: error.as_deref(),
        notes: report.map_or(&[], |r| r.notes.as_slice()),
    };
    import_log::record_attempt(pool, path, &attempt).await
}

pub fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Whether a file in a watched folder looks like a round file (`…_engagements.txt`).
pub fn is_round_file_name(name: &str) -> bool {
    name.ends_with("_engagements.txt")
}

/// Expands files and folders into the round files to import: files are taken as given, folders
/// contribute their `…_engagements.txt` files (not recursively), sorted by name.
pub fn collect_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.is_file() && is_round_file_name(&file_name_of(f)))
                .collect();
            found.sort();
            out.extend(found);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: no such file or folder", p.display()),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Banner;

    #[test]
    fn played_at_prefers_header_then_file_name() {
        let fallback = Utc.timestamp_opt(1, 0).unwrap();
        let mut h = Header::new(Banner::V4, "supply", 1);
        let name = "2026-01-26-143022-supply-round-1_engagements.txt";
        assert_eq!(
            played_at(&h, name, fallback),
            Utc.with_ymd_and_hms(2026, 1, 26, 14, 30, 22).unwrap()
        );
        assert_eq!(played_at(&h, "x.txt", fallback), fallback);
        h.round_start_unix = 1_768_070_000;
        assert_eq!(played_at(&h, name, fallback).timestamp(), 1_768_070_000);
        h.round_end_unix = 1_768_070_720;
        assert_eq!(played_at(&h, name, fallback).timestamp(), 1_768_070_720);
    }

    #[test]
    fn round_file_names() {
        assert!(is_round_file_name(
            "2026-01-26-143022-supply-round-1_engagements.txt"
        ));
        assert!(!is_round_file_name(
            "2026-01-26-143022-supply-round-1_engagements.txt.tmp"
        ));
        assert!(!is_round_file_name("stats.txt"));
    }
}
