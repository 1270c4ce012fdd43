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
use crate::format::Round;
use crate::metrics::{MetricParams, RoundMetrics};
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
/// `rows::build`), the hash once all are built, while PostgreSQL writes the last ones.
///
/// The round is added to the monthly and yearly totals later, with others (`totals`): by this
/// call, after the commit, when it makes [`totals::BATCH`] rounds pending.
pub async fn store_round(
    pool: &PgPool,
    began: RoundTx,
    r: &StoredRound<'_>,
    content_hash: impl FnOnce() -> [u8; 32] + Send + 'static,
    params: MetricParams,
) -> Result<ImportOutcome, StoreError> {
    let RoundTx { mut tx, round_id } = began;
    // Each table is written as soon as it is built. Dropping the receiver (an error below)
    // stops the builder at its next table.
    let (sender, mut built) = tokio::sync::mpsc::unbounded_channel::<CopyRows>();
    let builder = tokio::task::spawn_blocking({
        let round = Arc::clone(&r.round);
        move || {
            let built = rows::build(round_id, &round, &params, |rows| sender.send(rows).is_ok());
            // Hashed last: PostgreSQL is still writing the last tables then, and this core
            // would be idle.
            built.map(|built| built.map(|built| (built, content_hash())))
        }
    });
    while let Some(rows) = built.recv().await {
        rows.send(&mut tx).await?;
    }
    let (metrics, sha) = builder
        .await
        .map_err(|e| StoreError::Corrupt(format!("building the round's rows stopped: {e}")))??
        .ok_or_else(|| StoreError::Corrupt("building the round's rows stopped".into()))?;
    insert_players(&mut tx, r).await?;
    let Some(pending) = insert_round_row(&mut tx, round_id, r, &sha, &metrics).await? else {
        tx.rollback().await?;
        let id = existing(pool, &sha)
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

/// Writes the round's row and lists the round as pending for the totals, with its deaths'
/// heatmap cells; returns how many rounds are pending then, or `None` when a round with the same
/// content exists.
async fn insert_round_row(
    tx: &mut Transaction<'_, Postgres>,
    round_id: i64,
    r: &StoredRound<'_>,
    sha256: &[u8; 32],
    m: &RoundMetrics,
) -> Result<Option<i64>, StoreError> {
    let h = &r.round.header;
    let s = &m.summary;
    let params = json!({
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
    });
    let capabilities: serde_json::Map<String, serde_json::Value> = h
        .capabilities
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let skipped: Vec<_> = r
        .round
        .skipped
        .iter()
        .map(|s| json!({"name": s.name, "rows": s.rows}))
        .collect();
    // The deaths go with the round's listing, for the batch that adds it to the heatmap totals.
    let deaths = rows::death_cells(&r.round);
    // The count is read in the statement's snapshot, without the round it lists.
    let (listed, pending_before): (Option<i64>, i64) = sqlx::query_as(
        "WITH stored AS (
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
    .bind(r.file_name)
    .bind(&h.map)
    .bind(i16::from(h.round))
    .bind(h.round_start_unix)
    .bind(h.round_end_unix)
    .bind(r.played_at)
    .bind(s.duration_ms)
    .bind(h.banner.as_str())
    .bind(&h.tracker_version_full)
    .bind(serde_json::Value::Object(capabilities))
    .bind(params)
    .bind(serde_json::Value::Array(skipped))
    .bind(r.round.has_end_marker)
    .bind(r.file_bytes)
    .bind(s.engagements as i32)
    .bind(s.crossfires as i32)
    .bind(s.escapes as i32)
    .bind(s.kills as i32)
    .bind(s.players as i32)
    .bind(s.support_mean_pct)
    .bind(round_id)
    .bind(deaths.keys().map(|c| c.0).collect::<Vec<i32>>())
    .bind(deaths.keys().map(|c| c.1).collect::<Vec<i32>>())
    .bind(deaths.keys().map(|c| c.2).collect::<Vec<i16>>())
    .bind(deaths.keys().map(|c| c.3).collect::<Vec<i16>>())
    .bind(deaths.values().copied().collect::<Vec<i32>>())
    .fetch_one(&mut **tx)
    .await?;
    Ok(listed.map(|_| pending_before + 1))
}

/// The player directory: every GUID of the round with its latest name.
async fn insert_players(
    tx: &mut Transaction<'_, Postgres>,
    r: &StoredRound<'_>,
) -> Result<(), StoreError> {
    let round = &r.round;
    // Players seen only in engagements (no track) still get a directory entry; a life's name
    // wins over an engagement's.
    let mut directory: BTreeMap<&str, &[u8]> = BTreeMap::new();
    for e in &round.engagements {
        directory.insert(&e.target_guid, e.target_name.as_bytes());
        for a in &e.attackers {
            directory.insert(&a.guid, a.name.as_bytes());
        }
    }
    for track in &round.tracks {
        directory.insert(&track.guid, track.name.as_bytes());
    }
    // Skip names that are empty (other trackers' bug) so a good name is never overwritten.
    let entries: Vec<(&str, &[u8])> = directory
        .into_iter()
        .filter(|(_, n)| !names::clean_name(n).is_empty())
        .collect();
    let d_guids: Vec<&str> = entries.iter().map(|e| e.0).collect();
    let d_names: Vec<&[u8]> = entries.iter().map(|e| e.1).collect();
    let d_display: Vec<String> = entries.iter().map(|e| names::clean_name(e.1)).collect();
    let d_keys: Vec<String> = entries.iter().map(|e| names::match_key(e.1)).collect();
    sqlx::query(
        "INSERT INTO players (guid, name, display_name, match_key, last_seen)
         SELECT g, n, d, k, $5 FROM UNNEST($1::text[], $2::bytea[], $3::text[], $4::text[]) AS t(g, n, d, k)
         ON CONFLICT (guid) DO UPDATE SET name = EXCLUDED.name, display_name = EXCLUDED.display_name,
             match_key = EXCLUDED.match_key, last_seen = EXCLUDED.last_seen
         WHERE players.last_seen <= EXCLUDED.last_seen",
    )
    .bind(&d_guids)
    .bind(&d_names)
    .bind(&d_display)
    .bind(&d_keys)
    .bind(r.played_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
