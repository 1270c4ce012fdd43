//! Writing one round in one transaction: the per-round tables with `COPY`, built on a blocking
//! thread while PostgreSQL writes the tables built before them (`rows`), then the players and the
//! round's own row, which lists the round as pending for the totals (`totals`).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};

use super::StoreError;
use super::copy::CopyRows;
use super::rows;
use super::totals;
use crate::format::{Header, Round};
use crate::metrics::{MetricParams, RoundMetrics, RoundSummary};
use crate::names;

/// A parsed round ready to be stored.
pub struct StoredRound<'a> {
    pub file_name: &'a str,
    pub file_bytes: i64,
    pub played_at: DateTime<Utc>,
    pub round: Arc<Round>,
}

/// What storing a round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A new round, with its id.
    Imported { round_id: i64 },
    /// The same content was stored before (under this or another name).
    AlreadyImported { round_id: i64 },
}

impl ImportOutcome {
    pub fn round_id(self) -> i64 {
        match self {
            ImportOutcome::Imported { round_id } | ImportOutcome::AlreadyImported { round_id } => {
                round_id
            }
        }
    }
}

/// The transaction a round is stored in, with the id the round will have: begun while the file
/// is still being parsed.
pub struct RoundTx {
    tx: Transaction<'static, Postgres>,
    round_id: i64,
}

/// Begins the transaction of a round to store with [`store_round`].
pub async fn begin_round(pool: &PgPool) -> Result<RoundTx, StoreError> {
    let mut tx = pool.begin().await?;
    // The pool plans every statement with its values (store::connect), which is right for the
    // reads but would re-plan the statements below on every import.
    // An import lost to a crash before its commit reached the disk is still in the folder and
    // not in the import log, so the next scan imports it again: no need to wait for the flush.
    sqlx::raw_sql("SET LOCAL plan_cache_mode = auto; SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    // The per-round tables have no foreign key (migrations/0004), so the round's row can come
    // last, once the metrics it summarises are known.
    let round_id: i64 = sqlx::query_scalar("SELECT nextval('rounds_id_seq')")
        .fetch_one(&mut *tx)
        .await?;
    Ok(RoundTx { tx, round_id })
}

/// Stores a round and its metrics in the transaction `began` by [`begin_round`], committed
/// when everything is written. The same content again (any file name) stores nothing and
/// reports the existing round: the round's row, written last, has the content hash as a unique
/// key. Two tasks storing the same content at once store it once (the second waits on that key,
/// then sees the first's row). A repeat is rare (the scanner skips the files its log knows), so
/// it is recognised only there, once the rest is written and then rolled back.
///
/// The metrics (with `params`) and the file's SHA-256 (`content_hash`) are computed on the
/// blocking thread that builds the rows: the metrics in two steps between the tables (see
/// `rows::build`), the hash once all are built, while PostgreSQL writes the last ones. That
/// thread also prepares the last statement (the round's row and the player directory), then
/// frees the round and its metrics (~2 ms of CPU for a 24-player round) while that statement
/// runs.
///
/// The round is added to the monthly and yearly totals later, with others (`totals`): by this
/// call, after the commit, when it makes [`totals::BATCH`] rounds pending.
pub async fn store_round(
    pool: &PgPool,
    began: RoundTx,
    r: StoredRound<'_>,
    content_hash: impl FnOnce() -> [u8; 32] + Send + 'static,
    params: MetricParams,
) -> Result<ImportOutcome, StoreError> {
    let RoundTx { mut tx, round_id } = began;
    let StoredRound {
        file_name,
        file_bytes,
        played_at,
        round,
    } = r;
    // Each table is written as soon as it is built. Dropping the receiver (an error below)
    // stops the builder at its next table.
    let (sender, mut built) = tokio::sync::mpsc::unbounded_channel::<CopyRows>();
    let (finish, finished) = tokio::sync::oneshot::channel();
    // Detached: its result comes through `finished`, whose sender a panic drops.
    drop(tokio::task::spawn_blocking(move || {
        let built = rows::build(round_id, &round, &params, |rows| sender.send(rows).is_ok());
        drop(sender);
        let last = built.map(|built| {
            built.map(|metrics| LastStatement {
                // Hashed last: PostgreSQL is still writing the last tables then, and this core
                // would be idle.
                round: RoundRow::new(&round, &metrics, content_hash()),
                players: PlayerDirectory::of(&round),
            })
        });
        // The round and its metrics are freed after this, beside the last statement.
        let _ = finish.send(last);
    }));
    while let Some(rows) = built.recv().await {
        rows.send(&mut tx).await?;
    }
    let stopped = || StoreError::Corrupt("building the round's rows stopped".into());
    let last = finished
        .await
        .map_err(|_| stopped())??
        .ok_or_else(stopped)?;
    let stored = StoredRow {
        round_id,
        file_name,
        file_bytes,
        played_at,
    };
    let Some(pending) = insert_round_row(&mut tx, &stored, &last).await? else {
        tx.rollback().await?;
        let id = existing(pool, &last.round.sha256)
            .await?
            .ok_or_else(|| StoreError::Corrupt("round vanished after a conflict".into()))?;
        return Ok(ImportOutcome::AlreadyImported { round_id: id });
    };
    tx.commit().await?;
    if pending >= totals::BATCH {
        // The round is stored and counts in every query whether or not this succeeds; the next
        // batch takes the rounds left pending.
        if let Err(e) = totals::add_pending(pool).await {
            tracing::warn!(error = %e, "adding pending rounds to the totals failed");
        }
    }
    Ok(ImportOutcome::Imported { round_id })
}

/// The round stored with this content, if any.
pub async fn existing(pool: &PgPool, sha: &[u8; 32]) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM rounds WHERE content_sha256 = $1")
            .bind(&sha[..])
            .fetch_optional(pool)
            .await?,
    )
}

/// The import's last statement: the round's row and the player directory, prepared on the
/// builder thread.
struct LastStatement {
    round: RoundRow,
    players: PlayerDirectory,
}

/// What the round's row says of the round and its metrics.
struct RoundRow {
    sha256: [u8; 32],
    header: Header,
    has_end_marker: bool,
    capabilities: serde_json::Value,
    params: serde_json::Value,
    skipped: serde_json::Value,
    summary: RoundSummary,
    /// The deaths, for the batch that adds the round to the heatmap totals.
    deaths: BTreeMap<crate::heat::HeatCell, i32>,
}

impl RoundRow {
    fn new(round: &Round, m: &RoundMetrics, sha256: [u8; 32]) -> RoundRow {
        let h = &round.header;
        RoundRow {
            sha256,
            header: h.clone(),
            has_end_marker: round.has_end_marker,
            capabilities: serde_json::Value::Object(
                h.capabilities
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect(),
            ),
            params: json!({
                "tracker": {
                    "crossfire_window_ms": h.crossfire_window_ms,
                    "escape_time_ms": h.escape_time_ms,
                    "escape_distance": h.escape_distance,
                    "position_sample_interval_ms": h.position_sample_interval_ms,
                    "axis_spawn_interval_ms": h.axis_spawn_interval_ms,
                    "allies_spawn_interval_ms": h.allies_spawn_interval_ms,
                    "test_mode": h.test_mode,
                },
                "metrics": m.params,
            }),
            skipped: round
                .skipped
                .iter()
                .map(|s| json!({"name": s.name, "rows": s.rows}))
                .collect(),
            summary: m.summary.clone(),
            deaths: rows::death_cells(round),
        }
    }
}

/// The player directory's entries from a round: every GUID with its latest name, as columns.
struct PlayerDirectory {
    guids: Vec<String>,
    names: Vec<Vec<u8>>,
    display_names: Vec<String>,
    match_keys: Vec<String>,
}

impl PlayerDirectory {
    fn of(round: &Round) -> PlayerDirectory {
        // Players seen only in engagements (no track) still get a directory entry; a life's name
        // wins over an engagement's.
        let mut latest: BTreeMap<&str, &[u8]> = BTreeMap::new();
        for e in &round.engagements {
            latest.insert(&e.target_guid, e.target_name.as_bytes());
            for a in &e.attackers {
                latest.insert(&a.guid, a.name.as_bytes());
            }
        }
        for track in &round.tracks {
            latest.insert(&track.guid, track.name.as_bytes());
        }
        let mut d = PlayerDirectory {
            guids: Vec::new(),
            names: Vec::new(),
            display_names: Vec::new(),
            match_keys: Vec::new(),
        };
        for (guid, name) in latest {
            // Names that are empty (other trackers' bug) are skipped, so that a good name is
            // never overwritten.
            let display = names::clean_name(name);
            if display.is_empty() {
                continue;
            }
            d.guids.push(guid.to_string());
            d.names.push(name.to_vec());
            d.match_keys.push(names::match_key(name));
            d.display_names.push(display);
        }
        d
    }
}

/// The round's row as stored: its id and what the importer knows of the file.
struct StoredRow<'a> {
    round_id: i64,
    file_name: &'a str,
    file_bytes: i64,
    played_at: DateTime<Utc>,
}

/// Updates the player directory, writes the round's row and lists the round as pending for the
/// totals with its deaths, in one statement; returns how many rounds are pending then, or `None`
/// when a round with the same content exists (whose transaction the caller rolls back).
async fn insert_round_row(
    tx: &mut Transaction<'_, Postgres>,
    stored: &StoredRow<'_>,
    last: &LastStatement,
) -> Result<Option<i64>, StoreError> {
    let RoundRow {
        sha256,
        header: h,
        summary: s,
        deaths,
        ..
    } = &last.round;
    let d = &last.players;
    // A directory entry is updated only by a round played no earlier than the one that wrote
    // it. The count is read in the statement's snapshot, without the round it lists.
    let (listed, pending_before): (Option<i64>, i64) = sqlx::query_as(
        "WITH directory AS (
             INSERT INTO players (guid, name, display_name, match_key, last_seen)
             SELECT g, n, d, k, $7
             FROM UNNEST($28::text[], $29::bytea[], $30::text[], $31::text[]) AS t(g, n, d, k)
             ON CONFLICT (guid) DO UPDATE SET name = EXCLUDED.name,
                 display_name = EXCLUDED.display_name, match_key = EXCLUDED.match_key,
                 last_seen = EXCLUDED.last_seen
             WHERE players.last_seen <= EXCLUDED.last_seen),
         stored AS (
             INSERT INTO rounds (id, content_sha256, file_name, map, round_number, start_unix,
                 end_unix, played_at, duration_ms, banner, tracker_version, capabilities, params,
                 skipped_sections, has_end_marker, file_bytes, engagement_count, crossfire_count,
                 escape_count, kill_count, player_count, support_mean_pct)
             VALUES ($22,$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,
                     $21)
             ON CONFLICT (content_sha256) DO NOTHING
             RETURNING id),
         listed AS (
             INSERT INTO totals_pending (round_id, cell_x, cell_y, killer_team, target_team, n)
             SELECT id, $23, $24, $25, $26, $27 FROM stored
             RETURNING round_id)
         SELECT (SELECT round_id FROM listed), (SELECT count(*) FROM totals_pending)",
    )
    .bind(&sha256[..])
    .bind(stored.file_name)
    .bind(&h.map)
    .bind(i16::from(h.round))
    .bind(h.round_start_unix)
    .bind(h.round_end_unix)
    .bind(stored.played_at)
    .bind(s.duration_ms)
    .bind(h.banner.as_str())
    .bind(&h.tracker_version_full)
    .bind(&last.round.capabilities)
    .bind(&last.round.params)
    .bind(&last.round.skipped)
    .bind(last.round.has_end_marker)
    .bind(stored.file_bytes)
    .bind(s.engagements as i32)
    .bind(s.crossfires as i32)
    .bind(s.escapes as i32)
    .bind(s.kills as i32)
    .bind(s.players as i32)
    .bind(s.support_mean_pct)
    .bind(stored.round_id)
    .bind(deaths.keys().map(|c| c.0).collect::<Vec<i32>>())
    .bind(deaths.keys().map(|c| c.1).collect::<Vec<i32>>())
    .bind(deaths.keys().map(|c| c.2).collect::<Vec<i16>>())
    .bind(deaths.keys().map(|c| c.3).collect::<Vec<i16>>())
    .bind(deaths.values().copied().collect::<Vec<i32>>())
    .bind(&d.guids)
    .bind(&d.names)
    .bind(&d.display_names)
    .bind(&d.match_keys)
    .fetch_one(&mut **tx)
    .await?;
    Ok(listed.map(|_| pending_before + 1))
}
