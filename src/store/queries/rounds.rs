//! Rounds: one round's headline figures and post, the maps played, deleting a round.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

use crate::store::StoreError;

/// Deletes a round; the rounds trigger removes its rows and subtracts it from the totals.
pub async fn delete_round(pool: &PgPool, round_id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM rounds WHERE id = $1")
        .bind(round_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct RoundHeadline {
    pub id: i64,
    pub file_name: String,
    pub map: String,
    pub round_number: i16,
    pub played_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub engagement_count: i32,
    pub crossfire_count: i32,
    pub escape_count: i32,
    pub kill_count: i32,
    pub player_count: i32,
    pub support_mean_pct: Option<f64>,
    /// 1 Axis, 2 Allies, 0 nobody; `None` when the round's file did not say.
    pub winner: Option<i16>,
    /// The label of the game server it was played on.
    pub server: String,
}

pub(super) const ROUND_COLUMNS: &str = "id, file_name, map, round_number, played_at, duration_ms, \
    engagement_count, crossfire_count, escape_count, kill_count, player_count, support_mean_pct, \
    winner, server";

pub async fn round(pool: &PgPool, round_id: i64) -> Result<Option<RoundHeadline>, StoreError> {
    let sql = format!("SELECT {ROUND_COLUMNS} FROM rounds WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(round_id)
        .fetch_optional(pool)
        .await?)
}

/// A player's figure in one round (for the summary's top lists).
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct PlayerFigure {
    pub guid: String,
    pub name: Vec<u8>,
    pub value: i64,
}

/// The round's best duo: the pair with the most crossfire kills, then crossfires.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct DuoFigures {
    pub guid_a: String,
    pub guid_b: String,
    pub name_a: Vec<u8>,
    pub name_b: Vec<u8>,
    pub crossfires: i64,
    pub crossfire_kills: i64,
    pub rounds_together: i64,
    pub combined_damage: i64,
}

/// Everything the post-round summary shows.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundPost {
    pub round: RoundHeadline,
    pub best_duo: Option<DuoFigures>,
    pub top_damage: Vec<PlayerFigure>,
    pub top_escapes: Vec<PlayerFigure>,
    /// Most revives given (at least one), when the round recorded revives.
    pub top_medic: Option<PlayerFigure>,
    /// Best bullet accuracy among players with at least [`ACCURATE_MIN_SHOTS`] shots:
    /// (player, hits, shots).
    pub most_accurate: Option<(PlayerFigure, i64)>,
    /// Victims' death positions with the killer's team (1 axis, 2 allies).
    pub kills: Vec<(f32, f32, Option<i16>)>,
    /// The round's objective actions in time order; `None` when it did not record them.
    pub objectives: Option<Vec<ObjectiveMoment>>,
}

/// One objective action of a round, for the summary's timeline.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ObjectiveMoment {
    pub time_ms: i32,
    /// The file's word (`dynamite_plant`, ...).
    pub action: String,
    pub name: Vec<u8>,
    /// 1 Axis, 2 Allies.
    pub team: i16,
    pub track_name: Vec<u8>,
}

/// Bullet shots a player needs in a round to be its most accurate.
pub const ACCURATE_MIN_SHOTS: i64 = 50;

/// What the post of round `round_id` shows; `None` when there is no such round.
/// Bots are among the highlights only when `bots` is true.
pub async fn round_post(
    pool: &PgPool,
    round_id: i64,
    bots: bool,
) -> Result<Option<RoundPost>, StoreError> {
    let Some(round) = round(pool, round_id).await? else {
        return Ok(None);
    };
    let scope = super::Scope {
        bots,
        ..super::Scope::all()
    };
    let people = |column: &str| scope.people_only(column);
    let top = |column: &'static str| {
        let sql = format!(
            "SELECT t.guid, marked_name(p.name, t.guid) AS name, t.{column}::int8 AS value
             FROM player_teamplay t
             LEFT JOIN round_players p ON p.round_id = t.round_id AND p.guid = t.guid
             WHERE t.round_id = $1 AND t.{column} > 0{}
             ORDER BY t.{column} DESC, t.guid LIMIT 3",
            people("t.guid")
        );
        sqlx::query_as::<_, PlayerFigure>(sqlx::AssertSqlSafe(sql))
            .bind(round_id)
            .fetch_all(pool)
    };
    let top_damage = top("damage_dealt").await?;
    let top_escapes = top("escapes").await?;
    let best_duo_sql = format!(
        "SELECT s.guid_a, s.guid_b, marked_name(a.name, s.guid_a) AS name_a,
                marked_name(b.name, s.guid_b) AS name_b, s.crossfires::int8 AS crossfires,
                s.crossfire_kills::int8 AS crossfire_kills, 1::int8 AS rounds_together,
                s.combined_damage::int8 AS combined_damage
         FROM pair_stats s
         LEFT JOIN round_players a ON a.round_id = s.round_id AND a.guid = s.guid_a
         LEFT JOIN round_players b ON b.round_id = s.round_id AND b.guid = s.guid_b
         WHERE s.round_id = $1 AND s.crossfires > 0{}{}
         ORDER BY s.crossfire_kills DESC, s.crossfires DESC, s.guid_a, s.guid_b LIMIT 1",
        people("s.guid_a"),
        people("s.guid_b")
    );
    let best_duo = sqlx::query_as(sqlx::AssertSqlSafe(best_duo_sql))
        .bind(round_id)
        .fetch_optional(pool)
        .await?;
    let top_medic = sqlx::query_as::<_, PlayerFigure>(sqlx::AssertSqlSafe(format!(
        "SELECT t.guid, marked_name(p.name, t.guid) AS name, t.revives_given::int8 AS value
         FROM player_round_totals t
         LEFT JOIN players p ON p.guid = t.guid
         WHERE t.round_id = $1 AND t.revives_given > 0{}
         ORDER BY t.revives_given DESC, t.revives_under_fire DESC, t.guid LIMIT 1",
        people("t.guid")
    )))
    .bind(round_id)
    .fetch_optional(pool)
    .await?;
    let most_accurate =
        sqlx::query_as::<_, (String, Vec<u8>, i64, i64)>(sqlx::AssertSqlSafe(format!(
            "SELECT t.guid, marked_name(p.name, t.guid), t.hits, t.shots
             FROM player_round_totals t
             LEFT JOIN players p ON p.guid = t.guid
             WHERE t.round_id = $1 AND t.shots >= {ACCURATE_MIN_SHOTS}{}
             ORDER BY t.hits::float8 / t.shots DESC, t.shots DESC, t.guid LIMIT 1",
            people("t.guid")
        )))
        .bind(round_id)
        .fetch_optional(pool)
        .await?
        .map(|(guid, name, hits, shots)| {
            (
                PlayerFigure {
                    guid,
                    name,
                    value: hits,
                },
                shots,
            )
        });
    let kills = sqlx::query_as::<_, (f32, f32, Option<i16>)>(
        "SELECT death_x, death_y, killer_team FROM engagements
         WHERE round_id = $1 AND death_x IS NOT NULL ORDER BY ord",
    )
    .bind(round_id)
    .fetch_all(pool)
    .await?;
    let objectives = objective_moments(pool, round_id).await?;
    Ok(Some(RoundPost {
        round,
        best_duo,
        top_damage,
        top_escapes,
        top_medic,
        most_accurate,
        kills,
        objectives,
    }))
}

/// The objective actions of round `round_id` in time order (file order on a tie), `None` when
/// the round did not record OBJECTIVE_EVENTS.
pub async fn objective_moments(
    pool: &PgPool,
    round_id: i64,
) -> Result<Option<Vec<ObjectiveMoment>>, StoreError> {
    let recorded: Option<i16> = sqlx::query_scalar("SELECT recorded FROM rounds WHERE id = $1")
        .bind(round_id)
        .fetch_optional(pool)
        .await?;
    let bit = crate::format::GameSection::ObjectiveEvents.bit();
    if recorded.is_none_or(|r| r & bit == 0) {
        return Ok(None);
    }
    Ok(Some(
        sqlx::query_as(
            "SELECT e.t AS time_ms, e.a AS action, marked_name(p.name, e.g) AS name,
                    e.team, e.track AS track_name
             FROM round_objective_events o
             CROSS JOIN LATERAL unnest(o.time_ms, o.action, o.guid, o.team, o.track_name)
                 WITH ORDINALITY AS e(t, a, g, team, track, n)
             LEFT JOIN players p ON p.guid = e.g
             WHERE o.round_id = $1
             ORDER BY e.t, e.n",
        )
        .bind(round_id)
        .fetch_all(pool)
        .await?,
    ))
}

/// Maps with rounds, most rounds first.
pub async fn maps(pool: &PgPool) -> Result<Vec<(String, i64)>, StoreError> {
    maps_on(pool, None).await
}

/// The maps with rounds on the game server `server` (every server when `None`), with their
/// number of rounds, most played first.
pub async fn maps_on(
    pool: &PgPool,
    server: Option<&str>,
) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT map, count(*)::int8 FROM rounds WHERE $1::text IS NULL OR server = $1
         GROUP BY map ORDER BY count(*) DESC, map",
    )
    .bind(server)
    .fetch_all(pool)
    .await?)
}

/// Each game server's label with its number of rounds, most first.
pub async fn rounds_per_server(pool: &PgPool) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT server, count(*)::int8 FROM rounds GROUP BY server ORDER BY count(*) DESC, server",
    )
    .fetch_all(pool)
    .await?)
}

/// The latest round played (of the player `guid` when given, on `day` when given, UTC, on the
/// game server `server` when given).
pub async fn latest_round(
    pool: &PgPool,
    guid: Option<&str>,
    day: Option<chrono::NaiveDate>,
    server: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    let day_filter = "($2::date IS NULL OR r.played_at >= $2::date::timestamptz
                       AND r.played_at < ($2::date + 1)::timestamptz)
                      AND ($3::text IS NULL OR r.server = $3)";
    let sql = match guid {
        Some(_) => format!(
            "SELECT r.id FROM round_players p JOIN rounds r ON r.id = p.round_id
             WHERE p.guid = $1 AND {day_filter}
             ORDER BY r.played_at DESC, r.id DESC LIMIT 1"
        ),
        None => format!(
            "SELECT r.id FROM rounds r WHERE $1::text IS NULL AND {day_filter}
             ORDER BY r.played_at DESC, r.id DESC LIMIT 1"
        ),
    };
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(guid)
        .bind(day)
        .bind(server)
        .fetch_optional(pool)
        .await?)
}

/// A round whose figures come from an older importer than `version`, with the file it was
/// last imported from (when the import log has one).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StaleRound {
    pub round_id: i64,
    pub server: String,
    pub file_name: String,
    pub path: Option<String>,
}

/// The rounds whose figures are older than `version`, oldest stored first.
pub async fn stale_rounds(pool: &PgPool, version: i16) -> Result<Vec<StaleRound>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT r.id AS round_id, r.server, r.file_name,
                (SELECT l.path FROM import_log l WHERE l.round_id = r.id
                 ORDER BY l.status = 'imported' DESC, l.last_attempt DESC LIMIT 1) AS path
         FROM rounds r WHERE r.figures_version < $1 ORDER BY r.id",
    )
    .bind(version)
    .fetch_all(pool)
    .await?)
}

/// How many rounds have figures older than `version`.
pub async fn stale_round_count(pool: &PgPool, version: i16) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM rounds WHERE figures_version < $1")
            .bind(version)
            .fetch_one(pool)
            .await?,
    )
}
