//! The import log: one row per path, with the outcome of its latest attempt, that the scanner
//! reads to skip files it has seen and `/proximity_status` counts.

use std::path::Path;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

use super::StoreError;

/// The outcome of a path's latest import attempt, as the `status` column holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportStatus {
    /// Stored as a new round.
    Imported,
    /// The same round was stored before (from another file, or an earlier version of this one).
    Duplicate,
    /// Refused or not stored; retried with backoff.
    Failed,
    /// Failed [`QUARANTINE_AFTER`] times: kept with its error, not retried automatically.
    Quarantined,
}

impl ImportStatus {
    pub const ALL: [ImportStatus; 4] = [
        ImportStatus::Imported,
        ImportStatus::Duplicate,
        ImportStatus::Failed,
        ImportStatus::Quarantined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Imported => "imported",
            ImportStatus::Duplicate => "duplicate",
            ImportStatus::Failed => "failed",
            ImportStatus::Quarantined => "quarantined",
        }
    }

    /// Whether the file's round is in the database.
    pub fn is_stored(self) -> bool {
        matches!(self, ImportStatus::Imported | ImportStatus::Duplicate)
    }
}

impl std::fmt::Display for ImportStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for ImportStatus {
    type Error = StoreError;

    fn try_from(s: String) -> Result<Self, StoreError> {
        ImportStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown import status {s:?}")))
    }
}

/// One attempt to import a file, as the log records it.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub file_name: &'a str,
    pub file_size: i64,
    /// The file's fingerprint, when the attempt read it whole.
    pub file_digest: Option<[u8; 32]>,
    /// [`ImportStatus::Imported`], [`ImportStatus::Duplicate`] or [`ImportStatus::Failed`]: the
    /// log makes a repeated failure quarantined.
    pub status: ImportStatus,
    pub round_id: Option<i64>,
    pub error: Option<&'a str>,
    /// What the import noticed and kept rather than refused.
    pub notes: &'a [String],
}

/// A file that failed this many times is quarantined: kept in the log with its error and not
/// retried automatically.
pub const QUARANTINE_AFTER: i32 = 3;

/// Records one import attempt of `path`.
pub async fn record_attempt(
    pool: &PgPool,
    path: &Path,
    attempt: &Attempt<'_>,
) -> Result<(), StoreError> {
    let error = attempt.error.map(crate::error_text::storable);
    let notes: Vec<String> = attempt
        .notes
        .iter()
        .map(|n| crate::error_text::storable(n))
        .collect();
    sqlx::query(
        "INSERT INTO import_log (path, file_name, status, round_id, error, attempts, file_size,
             file_digest, notes, last_attempt)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $8, $9, now())
         ON CONFLICT (path) DO UPDATE SET
             status = CASE WHEN EXCLUDED.status = 'failed' AND import_log.attempts + 1 >= $7
                               THEN 'quarantined'
                           -- Reading an imported file again does not make it a duplicate.
                           WHEN EXCLUDED.status = 'duplicate' AND import_log.status = 'imported'
                                AND import_log.round_id = EXCLUDED.round_id
                               THEN 'imported'
                           ELSE EXCLUDED.status END,
             round_id = EXCLUDED.round_id, error = EXCLUDED.error,
             attempts = import_log.attempts + 1, file_size = EXCLUDED.file_size,
             file_digest = EXCLUDED.file_digest, notes = EXCLUDED.notes,
             last_attempt = now()",
    )
    .bind(path.to_string_lossy().as_ref())
    .bind(attempt.file_name)
    .bind(attempt.status.as_str())
    .bind(attempt.round_id)
    .bind(error)
    .bind(attempt.file_size)
    .bind(QUARANTINE_AFTER)
    .bind(attempt.file_digest.as_ref().map(|h| &h[..]))
    .bind(notes)
    .execute(pool)
    .await?;
    Ok(())
}

/// One row of the import log.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct LogEntry {
    pub path: String,
    pub file_name: String,
    #[sqlx(try_from = "String")]
    pub status: ImportStatus,
    pub round_id: Option<i64>,
    pub error: Option<String>,
    pub attempts: i32,
    pub file_size: Option<i64>,
    pub last_attempt: DateTime<Utc>,
}

/// The import log entry of every path.
pub async fn import_log(pool: &PgPool) -> Result<Vec<LogEntry>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT path, file_name, status, round_id, error, attempts, file_size, last_attempt
         FROM import_log ORDER BY path",
    )
    .fetch_all(pool)
    .await?)
}

/// The most recent failures, newest first.
pub async fn last_errors(pool: &PgPool, limit: i64) -> Result<Vec<LogEntry>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT path, file_name, status, round_id, error, attempts, file_size, last_attempt
         FROM import_log WHERE status IN ('failed', 'quarantined')
         ORDER BY last_attempt DESC, path LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

#[derive(Debug, Clone, Default, FromRow, PartialEq, Eq)]
pub struct ImportCounts {
    pub seen: i64,
    pub imported: i64,
    pub duplicate: i64,
    pub failed: i64,
    pub quarantined: i64,
}

pub async fn import_counts(pool: &PgPool) -> Result<ImportCounts, StoreError> {
    Ok(sqlx::query_as(
        "SELECT count(*) AS seen,
                count(*) FILTER (WHERE status = 'imported') AS imported,
                count(*) FILTER (WHERE status = 'duplicate') AS duplicate,
                count(*) FILTER (WHERE status = 'failed') AS failed,
                count(*) FILTER (WHERE status = 'quarantined') AS quarantined
         FROM import_log",
    )
    .fetch_one(pool)
    .await?)
}

/// What the scanner needs to know about a path in the import log to skip it without reading
/// it: its status, attempts and the size and modification time of the file when last read.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct FileState {
    pub path: String,
    #[sqlx(try_from = "String")]
    pub status: ImportStatus,
    pub attempts: i32,
    pub file_size: Option<i64>,
    pub file_mtime: Option<DateTime<Utc>>,
    pub last_attempt: DateTime<Utc>,
}

/// The scanner's view of the whole import log, in one query.
pub async fn file_states(pool: &PgPool) -> Result<Vec<FileState>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT path, status, attempts, file_size, file_mtime, last_attempt FROM import_log",
    )
    .fetch_all(pool)
    .await?)
}

/// Stores the modification time of the file read by the last attempt on `path` (written after
/// [`record_attempt`]) and returns the entry as it now stands (`None` if `path` has no entry).
pub async fn set_file_mtime(
    pool: &PgPool,
    path: &Path,
    mtime: DateTime<Utc>,
) -> Result<Option<FileState>, StoreError> {
    Ok(sqlx::query_as(
        "UPDATE import_log SET file_mtime = $2 WHERE path = $1
         RETURNING path, status, attempts, file_size, file_mtime, last_attempt",
    )
    .bind(path.to_string_lossy().as_ref())
    .bind(mtime)
    .fetch_optional(pool)
    .await?)
}
