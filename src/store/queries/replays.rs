//! What a round's replay is made of: its lives with their paths, its engagements and its
//! objective actions, read by round (the raw tables' round index).

use sqlx::{FromRow, PgPool};

use crate::format::TrackSample;
use crate::store::StoreError;
use crate::store::codec::decode_track_path;

/// One life of a round, with its decoded path.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayLife {
    pub guid: String,
    /// The name with the bot mark, as the other reads return it.
    pub name: Vec<u8>,
    /// 1 Axis, 2 Allies.
    pub team: i16,
    pub class: String,
    pub spawn_ms: i32,
    pub death_ms: Option<i32>,
    pub path: Vec<TrackSample>,
}

/// One engagement of a round, as far as the replay shows it.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ReplayEngagement {
    pub start_ms: i32,
    pub end_ms: i32,
    pub target_guid: String,
    pub killer_guid: Option<String>,
    /// `killed`, `escaped`, … as written.
    pub outcome: String,
    pub is_crossfire: bool,
    pub crossfire_participants: Vec<String>,
    pub end_x: f32,
    pub end_y: f32,
    pub death_x: Option<f32>,
    pub death_y: Option<f32>,
}

/// One objective action of a round.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ReplayObjective {
    pub time_ms: i32,
    pub action: String,
    pub guid: Option<String>,
    pub team: i16,
    pub track_name: Vec<u8>,
    pub x: f32,
    pub y: f32,
}

/// Everything a round's replay shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayRows {
    pub lives: Vec<ReplayLife>,
    pub engagements: Vec<ReplayEngagement>,
    pub objectives: Vec<ReplayObjective>,
}

#[derive(FromRow)]
struct LifeRow {
    guid: String,
    name: Vec<u8>,
    team: i16,
    class: String,
    spawn_ms: i32,
    death_ms: Option<i32>,
    path: Vec<u8>,
}

/// The replay rows of round `round_id` (empty when it has none).
pub async fn replay_rows(pool: &PgPool, round_id: i64) -> Result<ReplayRows, StoreError> {
    let lives: Vec<LifeRow> = sqlx::query_as(
        "SELECT guid, marked_name(name, guid) AS name, team, class, spawn_ms, death_ms, path
         FROM lives WHERE round_id = $1 ORDER BY life_ord",
    )
    .bind(round_id)
    .fetch_all(pool)
    .await?;
    let lives = lives
        .into_iter()
        .map(|l| {
            // An empty value is a life stored without its path (as the bench database stores
            // them): no positions, not a corrupt row.
            let path = if l.path.is_empty() {
                Vec::new()
            } else {
                decode_track_path(&l.path).map_err(|e| StoreError::Corrupt(e.to_string()))?
            };
            Ok(ReplayLife {
                guid: l.guid,
                name: l.name,
                team: l.team,
                class: l.class,
                spawn_ms: l.spawn_ms,
                death_ms: l.death_ms,
                path,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let engagements = sqlx::query_as(
        "SELECT start_ms, end_ms, target_guid, killer_guid, outcome, is_crossfire,
                crossfire_participants, end_x, end_y, death_x, death_y
         FROM engagements WHERE round_id = $1 ORDER BY ord",
    )
    .bind(round_id)
    .fetch_all(pool)
    .await?;
    let objectives = sqlx::query_as(
        "SELECT e.t AS time_ms, e.a AS action, e.g AS guid, e.team, e.track AS track_name,
                e.x, e.y
         FROM round_objective_events o
         CROSS JOIN LATERAL unnest(o.time_ms, o.action, o.guid, o.team, o.track_name, o.x, o.y)
             WITH ORDINALITY AS e(t, a, g, team, track, x, y, n)
         WHERE o.round_id = $1
         ORDER BY e.t, e.n",
    )
    .bind(round_id)
    .fetch_all(pool)
    .await?;
    Ok(ReplayRows {
        lives,
        engagements,
        objectives,
    })
}
