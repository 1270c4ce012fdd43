//! The import's schedule: parse → derive → build rows → write, overlapped on the two cores.
//!
//! The file is parsed off the async runtime while the round's transaction begins. A blocking
//! thread then builds the round's tables one by one (`rows::build`, which derives the metrics
//! between them) and hands each over as soon as it is built, so that PostgreSQL writes one table
//! while the next is built. Once the tables are built that thread hashes the file and prepares
//! the round's row, then frees the round and its metrics while the last statement runs.

use std::sync::Arc;

use bytes::Bytes;
use chrono::Utc;
use sqlx::PgPool;

use super::identity::{self, Verdict};
use super::record::{self, FileFacts, round_record};
use super::rows;
use super::{ImportError, ImportOutcome, Replacement, file_digest_of, played_at};
use crate::format::{self, ParseOptions, Round};
use crate::metrics::MetricParams;
use crate::store::copy::CopyRows;
use crate::store::write;
use crate::store::{StoreError, totals};

/// What the import learnt of a stored round, for its report.
pub struct Stored {
    pub outcome: ImportOutcome,
    pub map: Option<String>,
    pub round_number: Option<u8>,
    pub skipped: Vec<format::SkippedSection>,
    /// The BLAKE3 hash of the file's bytes.
    pub file_digest: [u8; 32],
    pub notes: Vec<String>,
    /// What the round holds; `None` for a repeat.
    pub counts: Option<RoundCounts>,
}

/// What a round file holds, for the line that reports its import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundCounts {
    pub players: usize,
    pub lives: usize,
    pub fights: usize,
    pub kills: usize,
}

impl RoundCounts {
    pub fn of(round: &format::Round) -> RoundCounts {
        let players: std::collections::BTreeSet<&str> =
            round.tracks.iter().map(|t| t.guid.as_str()).collect();
        RoundCounts {
            players: players.len(),
            lives: round.tracks.len(),
            fights: round.engagements.len(),
            kills: round
                .engagements
                .iter()
                .filter(|e| e.outcome == format::Outcome::Killed)
                .count(),
        }
    }
}

/// Parses and stores `bytes` as round file `file_name`.
pub async fn run(
    pool: &PgPool,
    server: &str,
    file_name: &str,
    bytes: Bytes,
    complete: bool,
    params: &MetricParams,
) -> Result<Stored, ImportError> {
    let store_err = |source| ImportError::Store {
        file: file_name.to_string(),
        source,
    };
    let parsed = tokio::task::spawn_blocking({
        let bytes = bytes.clone();
        move || {
            format::parse_with(
                &bytes,
                ParseOptions {
                    assume_complete: complete,
                },
            )
        }
    });
    let (began, parsed) = tokio::join!(write::begin_round(pool), parsed);
    let began = began.map_err(store_err)?;
    let file_bytes = bytes.len() as i64;
    // The hash owns the file's bytes from here: the builder frees them once hashed.
    let hash = move || file_digest_of(&bytes);
    let round = match parsed {
        Ok(Ok(round)) => round,
        // A file stored before is reported as such even if it does not parse now (say, a file
        // without `# END` imported as complete, then imported by hand).
        Ok(Err(source)) => {
            drop(began);
            let sha = tokio::task::spawn_blocking(hash)
                .await
                .map_err(|e| store_err(StoreError::Corrupt(format!("hashing stopped: {e}"))))?;
            return match write::stored_from_file(pool, &sha)
                .await
                .map_err(store_err)?
            {
                Some(round_id) => Ok(Stored {
                    outcome: ImportOutcome::AlreadyImported { round_id },
                    map: None,
                    round_number: None,
                    skipped: Vec::new(),
                    file_digest: sha,
                    notes: Vec::new(),
                    counts: None,
                }),
                None => Err(ImportError::Parse {
                    file: file_name.to_string(),
                    source,
                }),
            };
        }
        Err(e) => {
            return Err(store_err(StoreError::Corrupt(format!(
                "parser stopped: {e}"
            ))));
        }
    };
    let map = round.header.map.clone();
    let round_number = round.header.round;
    let skipped = round.skipped.clone();
    let counts = RoundCounts::of(&round);
    let file = FileFacts {
        server: server.to_string(),
        file_name: file_name.to_string(),
        file_bytes,
        played_at: played_at(&round.header, file_name, Utc::now()),
    };
    let written = write_round(pool, began, file, Arc::new(round), hash, params.clone())
        .await
        .map_err(store_err)?;
    Ok(Stored {
        outcome: written.outcome,
        map: Some(map),
        round_number: Some(round_number),
        skipped,
        file_digest: written.file_digest,
        notes: written.notes,
        counts: Some(counts),
    })
}

/// What writing a round did, with what the builder thread found out on the way.
struct Written {
    outcome: ImportOutcome,
    file_digest: [u8; 32],
    notes: Vec<String>,
}

/// Builds and writes the round's rows in the transaction `began`, then decides which round the
/// file is (`identity`): a new round or a replacement is committed, a repeat rolled back. When
/// the round makes [`totals::BATCH`] rounds pending, adds them to the totals.
async fn write_round(
    pool: &PgPool,
    mut began: write::RoundTx,
    file: FileFacts,
    round: Arc<Round>,
    file_digest_of: impl FnOnce() -> [u8; 32] + Send + 'static,
    params: MetricParams,
) -> Result<Written, StoreError> {
    let round_id = began.round_id();
    // Dropping the receiver (an error below) stops the builder at its next table.
    let (sender, mut built) = tokio::sync::mpsc::unbounded_channel::<CopyRows>();
    let (finish, finished) = tokio::sync::oneshot::channel();
    // Detached: its result comes through `finished`, whose sender a panic drops.
    drop(tokio::task::spawn_blocking(move || {
        let built = rows::build(round_id, &round, &params, |rows| sender.send(rows).is_ok());
        drop(sender);
        // Hashed last, while PostgreSQL writes the last tables.
        let record = built.map(|built| {
            built.map(|metrics| {
                let played = format::canonical_digest(&round);
                (
                    round_record(file, &round, &metrics, played),
                    file_digest_of(),
                    record::notes(&round, &metrics),
                )
            })
        });
        // The round and its metrics are freed after this, beside the last statement.
        let _ = finish.send(record);
    }));
    while let Some(rows) = built.recv().await {
        began.copy(rows).await?;
    }
    let stopped = || StoreError::Corrupt("building the round's rows stopped".into());
    let (record, file_digest, notes) = finished
        .await
        .map_err(|_| stopped())??
        .ok_or_else(stopped)?;
    let key = identity::round_key(&record.map, record.round_number, record.start_unix);
    let mut replaced = None;
    let mut pending = began.insert_round(&record, None).await?;
    if pending.is_none() {
        // A round with this digest or key is stored: which, and whether this file is more of it.
        let stored = began.stored_version(&record.played_digest, key).await?;
        match identity::verdict(
            record.has_end_marker,
            record.duration_ms,
            record.recorded,
            stored,
        ) {
            Verdict::Replace(old) => {
                // The same digest: the same round read again, for what the stored one lacks.
                let again = stored.is_some_and(|s| s.same_digest);
                replaced = Some((
                    old,
                    if again {
                        Replacement::ReadAgain
                    } else {
                        Replacement::MoreOfTheRound
                    },
                ));
                pending = began
                    .insert_round(
                        &record,
                        Some(write::Superseded {
                            round_id: old,
                            same_round: again,
                        }),
                    )
                    .await?;
            }
            Verdict::Repeat(_) | Verdict::New => {}
        }
    }
    let outcome = match pending {
        None => {
            began.abandon().await?;
            let id = write::existing(pool, &record.played_digest, key)
                .await?
                .ok_or_else(|| StoreError::Corrupt("round vanished after a conflict".into()))?;
            ImportOutcome::AlreadyImported { round_id: id }
        }
        Some(pending) => {
            let round_id = began.round_id();
            began.commit().await?;
            if pending >= totals::BATCH {
                // The round counts in every query whether or not this succeeds; the next batch
                // takes the rounds left pending.
                if let Err(e) = totals::add_pending(pool).await {
                    tracing::warn!(error = %e, "adding pending rounds to the totals failed");
                }
            }
            match replaced {
                Some((previous, why)) => ImportOutcome::Replaced {
                    round_id,
                    previous,
                    why,
                },
                None => ImportOutcome::Imported { round_id },
            }
        }
    };
    Ok(Written {
        outcome,
        file_digest,
        notes,
    })
}
