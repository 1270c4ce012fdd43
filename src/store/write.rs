//! Writing one round in one transaction: its per-round tables with binary `COPY`
//! ([`RoundTx::copy`]), then its row and its players in one statement
//! ([`RoundTx::insert_round`]), which also lists the round as pending for the totals (`totals`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Transaction};

use super::StoreError;
use super::copy::CopyRows;
use crate::heat::HeatCell;

/// The transaction a round is written in, with the id the round will have.
pub struct RoundTx {
    tx: Transaction<'static, Postgres>,
    round_id: i64,
}

/// Begins the transaction of a round.
pub async fn begin_round(pool: &PgPool) -> Result<RoundTx, StoreError> {
    let mut tx = pool.begin().await?;
    // The pool plans every statement with its values (store::connect), which is right for the
    // reads but would re-plan these statements on every import. A commit lost to a crash before
    // it reached the disk leaves the file unlogged, so the next scan imports it again.
    sqlx::raw_sql("SET LOCAL plan_cache_mode = auto; SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    // The per-round tables have no foreign key, so the round's row can come last, once the
    // metrics it summarises are known.
    let round_id: i64 = sqlx::query_scalar("SELECT nextval('rounds_id_seq')")
        .fetch_one(&mut *tx)
        .await?;
    Ok(RoundTx { tx, round_id })
}

/// The stored round that a round with this digest and key is (see `import::identity`): the
/// one with the same digest, else the one with the same key.
pub async fn existing(
    pool: &PgPool,
    digest: &[u8; 32],
    key: Option<(&str, i16, i64)>,
) -> Result<Option<i64>, StoreError> {
    Ok(versions(pool, digest, key, "").await?.map(|v| v.0))
}

/// The round stored from the file with this digest, according to the import log.
pub async fn stored_from_file(
    pool: &PgPool,
    file_digest: &[u8; 32],
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT round_id FROM import_log WHERE file_digest = $1 AND round_id IS NOT NULL
         ORDER BY last_attempt DESC LIMIT 1",
    )
    .bind(&file_digest[..])
    .fetch_optional(pool)
    .await?)
}

/// A stored round found by digest or key: id, same digest, end marker, duration, recorded
/// sections, figures version.
type Version = (i64, bool, bool, i64, i16, i16);

async fn versions<'e>(
    conn: impl sqlx::PgExecutor<'e>,
    digest: &[u8; 32],
    key: Option<(&str, i16, i64)>,
    lock: &str,
) -> Result<Option<Version>, StoreError> {
    let (map, round, start) = key.unwrap_or(("", 0, 0));
    let sql = format!(
        "SELECT id, played_digest = $1, has_end_marker, duration_ms, recorded, figures_version
         FROM rounds
         WHERE played_digest = $1 OR (map = $2 AND round_number = $3 AND start_unix = $4
                                      AND start_unix > 0)
         ORDER BY played_digest = $1 DESC LIMIT 1 {lock}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&digest[..])
        .bind(map)
        .bind(round)
        .bind(start)
        .fetch_optional(conn)
        .await?)
}

/// What the round's row says of the round: the file, the header and the headline figures.
pub struct RoundRecord {
    /// The digest of what was played (`format::canonical_digest`).
    pub played_digest: [u8; 32],
    /// The label of the game server the file came from (`servers`).
    pub server: String,
    pub file_name: String,
    pub file_bytes: i64,
    pub played_at: DateTime<Utc>,
    pub map: String,
    pub round_number: i16,
    pub start_unix: i64,
    pub end_unix: i64,
    pub duration_ms: i64,
    pub banner: &'static str,
    pub tracker_version: Option<String>,
    pub capabilities: serde_json::Value,
    pub params: serde_json::Value,
    pub skipped: serde_json::Value,
    pub has_end_marker: bool,
    /// The sections of the rest of the game the round recorded (`Round::recorded_mask`).
    pub recorded: i16,
    /// The round's result from the header: 1 Axis, 2 Allies, 0 nobody; `None` when unsaid.
    pub winner: Option<i16>,
    pub defender: Option<i16>,
    pub time_set_ms: Option<i32>,
    pub engagements: i32,
    pub crossfires: i32,
    pub escapes: i32,
    pub kills: i32,
    pub players: i32,
    pub support_mean_pct: Option<f64>,
    /// The deaths, for the batch that adds the round to the heatmap totals.
    pub deaths: BTreeMap<HeatCell, i32>,
    /// The round's entries of the player directory.
    pub directory: PlayerDirectory,
}

/// Entries of the player directory (`players`): each GUID with its latest name, as columns.
#[derive(Debug, Default)]
pub struct PlayerDirectory {
    pub guids: Vec<String>,
    pub names: Vec<Vec<u8>>,
    pub display_names: Vec<String>,
    pub match_keys: Vec<String>,
}

/// A stored round that the round being written takes the place of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Superseded {
    pub round_id: i64,
    /// The same round read again (the same digest), rather than more of it.
    pub same_round: bool,
}

/// A stored round that the round being written may be, as `import::identity` weighs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredVersion {
    pub round_id: i64,
    pub same_digest: bool,
    pub has_end_marker: bool,
    pub duration_ms: i64,
    /// Its `recorded` sections.
    pub recorded: i16,
    /// The version of the importer's figures its rows come from (`import::FIGURES_VERSION`).
    pub figures_version: i16,
}

impl RoundTx {
    /// The id the round is written under.
    pub fn round_id(&self) -> i64 {
        self.round_id
    }

    /// The stored round with this digest, else with this key, locked until the transaction
    /// ends so that two imports of one round decide one after the other.
    pub async fn stored_version(
        &mut self,
        digest: &[u8; 32],
        key: Option<(&str, i16, i64)>,
    ) -> Result<Option<StoredVersion>, StoreError> {
        let found = versions(&mut *self.tx, digest, key, "FOR UPDATE").await?;
        Ok(found.map(
            |(round_id, same_digest, has_end_marker, duration_ms, recorded, figures_version)| {
                StoredVersion {
                    round_id,
                    same_digest,
                    has_end_marker,
                    duration_ms,
                    recorded,
                    figures_version,
                }
            },
        ))
    }

    /// Gives up the round: nothing it wrote is kept.
    pub async fn abandon(self) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// Writes one table's rows.
    pub async fn copy(&mut self, rows: CopyRows) -> Result<(), StoreError> {
        rows.send(&mut self.tx).await?;
        Ok(())
    }

    /// Updates the player directory, writes the round's row and lists the round as pending for
    /// the totals, in one statement; returns how many rounds are pending then, or `None`, with
    /// nothing written, when a round with the same digest or key is stored (two transactions
    /// writing one round at once: the second waits on the unique key, then finds the first's
    /// row). `replaces` is a stored round this one supersedes: it is deleted first (the rounds
    /// trigger subtracts it from the totals), and the files logged as it point to the new round;
    /// the new round keeps the label of the server the superseded one was first stored from.
    pub async fn insert_round(
        &mut self,
        r: &RoundRecord,
        replaces: Option<Superseded>,
    ) -> Result<Option<i64>, StoreError> {
        let mut superseded_files: Vec<String> = Vec::new();
        let mut server = r.server.clone();
        let mut posted: Option<DateTime<Utc>> = None;
        if let Some(Superseded {
            round_id: old,
            same_round,
        }) = replaces
        {
            superseded_files =
                sqlx::query_scalar("SELECT path FROM import_log WHERE round_id = $1")
                    .bind(old)
                    .fetch_all(&mut *self.tx)
                    .await?;
            let stored: Option<(String, Option<DateTime<Utc>>)> =
                sqlx::query_as("SELECT server, summary_posted_at FROM rounds WHERE id = $1")
                    .bind(old)
                    .fetch_optional(&mut *self.tx)
                    .await?;
            if let Some((first, posted_at)) = stored {
                server = first;
                // The same round read again was announced already; more of a round is news.
                posted = posted_at.filter(|_| same_round);
            }
            sqlx::query("DELETE FROM rounds WHERE id = $1")
                .bind(old)
                .execute(&mut *self.tx)
                .await?;
        }
        let d = &r.directory;
        // A directory entry is updated only by a round played no earlier than the one that
        // wrote it. The count is read in the statement's snapshot, without the round it lists.
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
                 INSERT INTO rounds (id, played_digest, file_name, map, round_number,
                     start_unix, end_unix, played_at, duration_ms, banner, tracker_version,
                     capabilities, params, skipped_sections, has_end_marker, file_bytes,
                     engagement_count, crossfire_count, escape_count, kill_count, player_count,
                     support_mean_pct, recorded, winner, defender, time_set_ms, server,
                     figures_version)
                 VALUES ($22,$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,
                         $20,$21,$32,$33,$34,$35,$36,$37)
                 ON CONFLICT DO NOTHING
                 RETURNING id),
             listed AS (
                 INSERT INTO totals_pending (round_id, cell_x, cell_y, killer_team, target_team,
                     n)
                 SELECT id, $23, $24, $25, $26, $27 FROM stored
                 RETURNING round_id)
             SELECT (SELECT round_id FROM listed), (SELECT count(*) FROM totals_pending)",
        )
        .bind(&r.played_digest[..])
        .bind(&r.file_name)
        .bind(&r.map)
        .bind(r.round_number)
        .bind(r.start_unix)
        .bind(r.end_unix)
        .bind(r.played_at)
        .bind(r.duration_ms)
        .bind(r.banner)
        .bind(&r.tracker_version)
        .bind(&r.capabilities)
        .bind(&r.params)
        .bind(&r.skipped)
        .bind(r.has_end_marker)
        .bind(r.file_bytes)
        .bind(r.engagements)
        .bind(r.crossfires)
        .bind(r.escapes)
        .bind(r.kills)
        .bind(r.players)
        .bind(r.support_mean_pct)
        .bind(self.round_id)
        .bind(r.deaths.keys().map(|c| c.0).collect::<Vec<i32>>())
        .bind(r.deaths.keys().map(|c| c.1).collect::<Vec<i32>>())
        .bind(r.deaths.keys().map(|c| c.2).collect::<Vec<i16>>())
        .bind(r.deaths.keys().map(|c| c.3).collect::<Vec<i16>>())
        .bind(r.deaths.values().copied().collect::<Vec<i32>>())
        .bind(&d.guids)
        .bind(&d.names)
        .bind(&d.display_names)
        .bind(&d.match_keys)
        .bind(r.recorded)
        .bind(r.winner)
        .bind(r.defender)
        .bind(r.time_set_ms)
        .bind(&server)
        .bind(crate::import::FIGURES_VERSION)
        .fetch_one(&mut *self.tx)
        .await?;
        if listed.is_none() {
            return Ok(None);
        }
        if posted.is_some() {
            sqlx::query("UPDATE rounds SET summary_posted_at = $2 WHERE id = $1")
                .bind(self.round_id)
                .bind(posted)
                .execute(&mut *self.tx)
                .await?;
        }
        if !superseded_files.is_empty() {
            sqlx::query("UPDATE import_log SET round_id = $1 WHERE path = ANY($2)")
                .bind(self.round_id)
                .bind(&superseded_files)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(Some(pending_before + 1))
    }

    /// Commits the round.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
