//! What `/proximity_status` counts of the database.

use sqlx::{FromRow, PgPool};

use crate::store::StoreError;

#[derive(Debug, Clone, Default, FromRow, PartialEq, Eq)]
pub struct DbCounts {
    pub rounds: i64,
    pub engagements: i64,
    pub lives: i64,
    pub players: i64,
}

pub async fn db_counts(pool: &PgPool) -> Result<DbCounts, StoreError> {
    // From the rounds' headline figures and the yearly totals with the rounds not in them yet:
    // counting the per-round tables themselves grows with every round stored.
    Ok(sqlx::query_as(
        "WITH pending AS (
             SELECT f.guid, f.lives, f.life_rounds FROM player_round_totals f
             WHERE f.round_id = ANY (ARRAY(SELECT round_id FROM totals_pending))),
         years AS MATERIALIZED (
             SELECT guid, lives, life_rounds FROM player_totals
             WHERE months = 12 AND server = '*'),
         stored AS MATERIALIZED (
             SELECT count(*) AS rounds, coalesce(sum(engagement_count), 0)::int8 AS engagements
             FROM rounds)
         SELECT (SELECT rounds FROM stored) AS rounds,
                (SELECT engagements FROM stored) AS engagements,
                (SELECT coalesce(sum(lives), 0)::int8 FROM years)
                    + (SELECT coalesce(sum(lives), 0)::int8 FROM pending) AS lives,
                (SELECT count(DISTINCT guid) FROM (
                     SELECT guid FROM years WHERE life_rounds > 0
                     UNION ALL
                     SELECT guid FROM pending WHERE life_rounds > 0) g) AS players",
    )
    .fetch_one(pool)
    .await?)
}
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct TrackerVersion {
    pub banner: String,
    pub tracker_version: Option<String>,
    pub rounds: i64,
}

pub async fn tracker_versions(pool: &PgPool) -> Result<Vec<TrackerVersion>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT banner, tracker_version, count(*) AS rounds FROM rounds
         GROUP BY banner, tracker_version ORDER BY rounds DESC, banner, tracker_version",
    )
    .fetch_all(pool)
    .await?)
}
