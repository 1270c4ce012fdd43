//! Read queries behind every command, and the import log.
//!
//! Lifetime figures are sums over per-round rows (joined to `rounds` for the map and period
//! filters); averages are sums divided by counts, so they are exact across rounds.

use std::path::Path;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder};

use super::StoreError;
use crate::heat::{HeatKind, KILL_BIN, PRESENCE_CELL};
use crate::import::{ImportError, ImportReport};
use crate::store::ImportOutcome;

/// A file that failed this many times is quarantined: kept in the log with its error and not
/// retried automatically.
pub const QUARANTINE_AFTER: i32 = 3;

// ---------------------------------------------------------------------------------------------
// Import log

/// Records one import attempt of `path`.
pub async fn record_attempt(
    pool: &PgPool,
    path: &Path,
    file_name: &str,
    file_size: i64,
    result: &Result<ImportReport, ImportError>,
) -> Result<(), StoreError> {
    let (status, round_id, error): (&str, Option<i64>, Option<String>) = match result {
        Ok(r) => match r.outcome {
            ImportOutcome::Imported { round_id } => ("imported", Some(round_id), None),
            ImportOutcome::AlreadyImported { round_id } => ("duplicate", Some(round_id), None),
        },
        Err(e) => ("failed", None, Some(e.to_string())),
    };
    sqlx::query(
        "INSERT INTO import_log (path, file_name, status, round_id, error, attempts, file_size,
             last_attempt)
         VALUES ($1, $2, $3, $4, $5, 1, $6, now())
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
             last_attempt = now()",
    )
    .bind(path.to_string_lossy().as_ref())
    .bind(file_name)
    .bind(status)
    .bind(round_id)
    .bind(error)
    .bind(file_size)
    .bind(QUARANTINE_AFTER)
    .execute(pool)
    .await?;
    Ok(())
}

/// One row of the import log.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct LogEntry {
    pub path: String,
    pub file_name: String,
    pub status: String,
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

// ---------------------------------------------------------------------------------------------
// Status

#[derive(Debug, Clone, Default, FromRow, PartialEq, Eq)]
pub struct DbCounts {
    pub rounds: i64,
    pub engagements: i64,
    pub lives: i64,
    pub players: i64,
}

pub async fn db_counts(pool: &PgPool) -> Result<DbCounts, StoreError> {
    // From the rounds' headline figures and the yearly totals with the rounds not in them yet:
    // counting the per-round tables themselves takes seconds on ten years of rounds.
    Ok(sqlx::query_as(
        "WITH pending AS (
             SELECT f.guid, f.lives, f.life_rounds FROM player_round_totals f
             WHERE f.round_id = ANY (ARRAY(SELECT round_id FROM totals_pending)))
         SELECT (SELECT count(*) FROM rounds) AS rounds,
                (SELECT coalesce(sum(engagement_count), 0)::int8 FROM rounds) AS engagements,
                (SELECT coalesce(sum(lives), 0)::int8 FROM player_totals WHERE months = 12)
                    + (SELECT coalesce(sum(lives), 0)::int8 FROM pending) AS lives,
                (SELECT count(DISTINCT guid) FROM (
                     SELECT guid FROM player_totals WHERE months = 12 AND life_rounds > 0
                     UNION ALL
                     SELECT guid FROM pending WHERE life_rounds > 0) g) AS players",
    )
    .fetch_one(pool)
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

/// Deletes a round and, through the cascade, every row derived from it.
pub async fn delete_round(pool: &PgPool, round_id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM rounds WHERE id = $1")
        .bind(round_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

// ---------------------------------------------------------------------------------------------
// Filters

/// The map and period a query covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub map: Option<String>,
    /// Only rounds played in the last N days (relative to `now`).
    pub days: Option<i64>,
    pub now: Option<DateTime<Utc>>,
}

/// How a period is read: whole years and whole months from the totals
/// (migrations/0003_rollups.sql), and the per-round rows of the part of a month where the
/// period starts. Buckets are UTC calendar periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// Rounds played at or after this instant count (`None`: all rounds).
    pub since: Option<DateTime<Utc>>,
    /// The first month bucket at or after `since`: rounds in `[since, month_from)` are read
    /// from their per-round rows.
    pub month_from: Option<DateTime<Utc>>,
    /// The first year bucket at or after `since`: month totals are read in
    /// `[month_from, year_from)`, year totals from `year_from` on.
    pub year_from: Option<DateTime<Utc>>,
}

impl Periods {
    pub fn since(since: Option<DateTime<Utc>>) -> Periods {
        let Some(since) = since else {
            return Periods {
                since: None,
                month_from: None,
                year_from: None,
            };
        };
        let month_start = |y: i32, m: u32| {
            Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0)
                .single()
                .unwrap_or(since)
        };
        let (y, m) = (since.year(), since.month());
        let this_month = month_start(y, m);
        let month_from = if this_month == since {
            since
        } else if m == 12 {
            month_start(y + 1, 1)
        } else {
            month_start(y, m + 1)
        };
        let this_year = month_start(y, 1);
        let year_from = if this_year == since {
            since
        } else {
            month_start(y + 1, 1)
        };
        Periods {
            since: Some(since),
            month_from: Some(month_from),
            year_from: Some(year_from),
        }
    }
}

impl Periods {
    /// The instants `[since, month_from)` whose rounds are read from their per-round rows.
    pub fn raw_range(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        match (self.since, self.month_from) {
            (Some(since), Some(month_from)) if since < month_from => Some((since, month_from)),
            _ => None,
        }
    }
}

impl Scope {
    pub fn all() -> Self {
        Scope::default()
    }

    fn since(&self) -> Option<DateTime<Utc>> {
        self.days
            .map(|d| self.now.unwrap_or_else(Utc::now) - Duration::days(d))
    }

    pub fn periods(&self) -> Periods {
        Periods::since(self.since())
    }

    /// Appends ` AND r.map = … AND r.played_at >= …` for a query that joins `rounds r`.
    fn push_filters(&self, q: &mut QueryBuilder<Postgres>) {
        if let Some(map) = &self.map {
            q.push(" AND r.map = ").push_bind(map.clone());
        }
        if let Some(since) = self.since() {
            q.push(" AND r.played_at >= ").push_bind(since);
        }
    }

    /// Appends the filters of the totals rows (alias `t`) that lie inside the scope.
    fn push_totals_filters(&self, q: &mut QueryBuilder<Postgres>, p: &Periods) {
        if let Some(map) = &self.map {
            q.push(" AND t.map = ").push_bind(map.clone());
        }
        match (p.month_from, p.year_from) {
            (Some(month_from), Some(year_from)) => {
                q.push(" AND (t.months = 12 AND t.bucket >= ")
                    .push_bind(year_from)
                    .push(" OR t.months = 1 AND t.bucket >= ")
                    .push_bind(month_from)
                    .push(" AND t.bucket < ")
                    .push_bind(year_from)
                    .push(")");
            }
            _ => {
                q.push(" AND t.months = 12");
            }
        }
    }

    /// Appends the filters of the rounds (alias `r`) read from their per-round rows rather than
    /// from the totals: those played in the part of a month where the period starts, and those
    /// in scope that are not in the totals yet (`totals_pending`, see store::totals).
    fn push_raw_filters(&self, q: &mut QueryBuilder<Postgres>, p: &Periods) {
        if let Some(map) = &self.map {
            q.push(" AND r.map = ").push_bind(map.clone());
        }
        // The pending rounds as an array, which the rounds' key can look up; `IN (SELECT …)`
        // under an OR would be checked against every round.
        q.push(" AND (r.id = ANY (ARRAY(SELECT round_id FROM totals_pending))");
        if let Some(month_from) = p.month_from {
            q.push(" AND r.played_at >= ").push_bind(month_from);
        }
        if let Some((since, month_from)) = p.raw_range() {
            q.push(" OR r.played_at >= ")
                .push_bind(since)
                .push(" AND r.played_at < ")
                .push_bind(month_from);
        }
        q.push(")");
    }

    /// Appends `(… ) x`: the player figures in scope, one row per total row or per-round row
    /// (`guid` and the columns of [`PLAYER_TOTAL_COLUMNS`]), of one player when `guid` is given.
    fn push_player_figures(&self, q: &mut QueryBuilder<Postgres>, guid: Option<&str>) {
        let p = self.periods();
        let cols = |alias: &str| {
            PLAYER_TOTAL_COLUMNS
                .iter()
                .map(|c| format!("{alias}.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        q.push(format!(
            "(SELECT t.guid, {} FROM player_totals t WHERE true",
            cols("t")
        ));
        if let Some(g) = guid {
            q.push(" AND t.guid = ").push_bind(g.to_string());
        }
        self.push_totals_filters(q, &p);
        q.push(format!(
            " UNION ALL SELECT f.guid, {} FROM player_round_totals f
              JOIN rounds r ON r.id = f.round_id WHERE true",
            cols("f")
        ));
        if let Some(g) = guid {
            q.push(" AND f.guid = ").push_bind(g.to_string());
        }
        self.push_raw_filters(q, &p);
        q.push(") x");
    }
}

impl Scope {
    /// Appends `(… ) x`: the pair figures in scope (`guid_a`, `guid_b`, `rounds`, `together`,
    /// `crossfires`, `crossfire_kills`, `combined_damage`), one row per total or per-round row,
    /// of the pairs with `guid` when given.
    fn push_pair_figures(&self, q: &mut QueryBuilder<Postgres>, guid: Option<&str>) {
        let p = self.periods();
        let with = |q: &mut QueryBuilder<Postgres>, alias: &str| {
            if let Some(g) = guid {
                q.push(format!(" AND ({alias}.guid_a = "))
                    .push_bind(g.to_string())
                    .push(format!(" OR {alias}.guid_b = "))
                    .push_bind(g.to_string())
                    .push(")");
            }
        };
        q.push(
            "(SELECT t.guid_a, t.guid_b, t.rounds, t.together, t.crossfires, t.crossfire_kills,
                     t.combined_damage
              FROM pair_totals t WHERE true",
        );
        with(q, "t");
        self.push_totals_filters(q, &p);
        q.push(
            " UNION ALL SELECT s.guid_a, s.guid_b, 1, s.together::int4, s.crossfires::int8,
                     s.crossfire_kills::int8, s.combined_damage::int8
              FROM pair_stats s JOIN rounds r ON r.id = s.round_id WHERE true",
        );
        with(q, "s");
        self.push_raw_filters(q, &p);
        q.push(") x");
    }
}

/// The summed columns of `player_totals` and `player_round_totals`.
pub(super) const PLAYER_TOTAL_COLUMNS: &[&str] = &[
    "life_rounds",
    "lives",
    "distance",
    "alive_ms",
    "sprint_weighted",
    "samples",
    "first_move_sum_ms",
    "first_move_count",
    "tp_rounds",
    "kills",
    "deaths",
    "damage_dealt",
    "crossfire_participations",
    "crossfire_kills",
    "solo_kills",
    "times_targeted",
    "times_focused",
    "focus_escapes",
    "escapes",
    "damage_taken",
    "engagement_duration_sum_ms",
    "tr_rounds",
    "trades_made",
    "deaths_traded",
    "isolation_deaths",
    "su_rounds",
    "su_samples",
    "su_supported",
    "return_fire_sum_ms",
    "return_fire_count",
    "dodge_sum_ms",
    "dodge_count",
];

// ---------------------------------------------------------------------------------------------
// Rounds

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct RoundRow {
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
}

const ROUND_COLUMNS: &str = "id, file_name, map, round_number, played_at, duration_ms, \
    engagement_count, crossfire_count, escape_count, kill_count, player_count, support_mean_pct";

pub async fn round(pool: &PgPool, round_id: i64) -> Result<Option<RoundRow>, StoreError> {
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
pub struct DuoRow {
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
pub struct RoundSummaryData {
    pub round: RoundRow,
    pub best_duo: Option<DuoRow>,
    pub top_damage: Vec<PlayerFigure>,
    pub top_escapes: Vec<PlayerFigure>,
    /// Victims' death positions with the killer's team (1 axis, 2 allies).
    pub kills: Vec<(f32, f32, Option<i16>)>,
}

pub async fn round_summary(
    pool: &PgPool,
    round_id: i64,
) -> Result<Option<RoundSummaryData>, StoreError> {
    let Some(round) = round(pool, round_id).await? else {
        return Ok(None);
    };
    let top = |column: &'static str| {
        let sql = format!(
            "SELECT t.guid, coalesce(p.name, ''::bytea) AS name, t.{column}::int8 AS value
             FROM player_teamplay t
             LEFT JOIN round_players p ON p.round_id = t.round_id AND p.guid = t.guid
             WHERE t.round_id = $1 AND t.{column} > 0
             ORDER BY t.{column} DESC, t.guid LIMIT 3"
        );
        sqlx::query_as::<_, PlayerFigure>(sqlx::AssertSqlSafe(sql))
            .bind(round_id)
            .fetch_all(pool)
    };
    let top_damage = top("damage_dealt").await?;
    let top_escapes = top("escapes").await?;
    let best_duo = sqlx::query_as(
        "SELECT s.guid_a, s.guid_b, coalesce(a.name, ''::bytea) AS name_a,
                coalesce(b.name, ''::bytea) AS name_b, s.crossfires::int8 AS crossfires,
                s.crossfire_kills::int8 AS crossfire_kills, 1::int8 AS rounds_together,
                s.combined_damage::int8 AS combined_damage
         FROM pair_stats s
         LEFT JOIN round_players a ON a.round_id = s.round_id AND a.guid = s.guid_a
         LEFT JOIN round_players b ON b.round_id = s.round_id AND b.guid = s.guid_b
         WHERE s.round_id = $1 AND s.crossfires > 0
         ORDER BY s.crossfire_kills DESC, s.crossfires DESC, s.guid_a, s.guid_b LIMIT 1",
    )
    .bind(round_id)
    .fetch_optional(pool)
    .await?;
    let kills = sqlx::query_as::<_, (f32, f32, Option<i16>)>(
        "SELECT death_x, death_y, killer_team FROM engagements
         WHERE round_id = $1 AND death_x IS NOT NULL ORDER BY ord",
    )
    .bind(round_id)
    .fetch_all(pool)
    .await?;
    Ok(Some(RoundSummaryData {
        round,
        best_duo,
        top_damage,
        top_escapes,
        kills,
    }))
}

// ---------------------------------------------------------------------------------------------
// Best duos and partners

/// Pairs ranked by crossfire kills, then crossfires, among pairs with at least
/// `min_crossfires` crossfires in scope.
pub async fn best_duos(
    pool: &PgPool,
    scope: &Scope,
    min_crossfires: i64,
    limit: i64,
) -> Result<Vec<DuoRow>, StoreError> {
    let mut q = QueryBuilder::new(
        "SELECT s.guid_a, s.guid_b, coalesce(pa.name, ''::bytea) AS name_a,
                coalesce(pb.name, ''::bytea) AS name_b, s.crossfires, s.crossfire_kills,
                s.rounds_together, s.combined_damage
         FROM (SELECT guid_a, guid_b, sum(crossfires)::int8 AS crossfires,
                      sum(crossfire_kills)::int8 AS crossfire_kills,
                      sum(together)::int8 AS rounds_together,
                      sum(combined_damage)::int8 AS combined_damage
               FROM ",
    );
    scope.push_pair_figures(&mut q, None);
    q.push(" GROUP BY guid_a, guid_b HAVING sum(crossfires) >= ")
        .push_bind(min_crossfires)
        .push(
            ") s LEFT JOIN players pa ON pa.guid = s.guid_a LEFT JOIN players pb ON pb.guid = s.guid_b
             ORDER BY s.crossfire_kills DESC, s.crossfires DESC, s.guid_a, s.guid_b LIMIT ",
        )
        .push_bind(limit);
    Ok(q.build_query_as().fetch_all(pool).await?)
}

/// A player's crossfire partners, most crossfires first (`name_a`/`guid_a` is the partner).
pub async fn crossfire_partners(
    pool: &PgPool,
    guid: &str,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<DuoRow>, StoreError> {
    let mut q = QueryBuilder::new("SELECT s.partner AS guid_a, ");
    q.push_bind(guid.to_string()).push(
        "::text AS guid_b, coalesce(pp.name, ''::bytea) AS name_a, coalesce(me.name, ''::bytea) AS name_b,
                s.crossfires, s.crossfire_kills, s.rounds_together, s.combined_damage
         FROM (SELECT CASE WHEN guid_a = ",
    );
    q.push_bind(guid.to_string()).push(
        " THEN guid_b ELSE guid_a END AS partner,
                      sum(crossfires)::int8 AS crossfires, sum(crossfire_kills)::int8 AS crossfire_kills,
                      sum(together)::int8 AS rounds_together,
                      sum(combined_damage)::int8 AS combined_damage
               FROM ",
    );
    scope.push_pair_figures(&mut q, Some(guid));
    q.push(
        " GROUP BY 1 HAVING sum(crossfires) > 0) s
         LEFT JOIN players pp ON pp.guid = s.partner LEFT JOIN players me ON me.guid = ",
    )
    .push_bind(guid.to_string())
    .push(" ORDER BY s.crossfires DESC, s.crossfire_kills DESC, s.partner LIMIT ")
    .push_bind(limit);
    Ok(q.build_query_as().fetch_all(pool).await?)
}

// ---------------------------------------------------------------------------------------------
// Heatmaps

/// A weighted point of a heatmap, in world units.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct HeatPointRow {
    pub x: f64,
    pub y: f64,
    pub weight: i64,
    /// 1 axis, 2 allies; `None` for movement.
    pub team: Option<i16>,
}

/// The points of a heatmap and how many rounds they come from.
///
/// All players' heatmaps read the totals of whole months and years and the per-round rows of the
/// rest; one player's read that player's per-round rows.
pub async fn heatmap(
    pool: &PgPool,
    kind: HeatKind,
    scope: &Scope,
    player: Option<&str>,
) -> Result<(Vec<HeatPointRow>, i64), StoreError> {
    let points = match (kind, player) {
        (HeatKind::Movement, Some(guid)) => player_presence(pool, scope, guid).await?,
        (HeatKind::Movement, None) => {
            let p = scope.periods();
            let mut q = QueryBuilder::new(
                "SELECT x, y, sum(n)::int8 AS n FROM (
                     SELECT u.x, u.y, u.n FROM heat_totals t,
                         unnest(t.cell_x, t.cell_y, t.n) AS u(x, y, n)
                     WHERE t.kind = 2",
            );
            scope.push_totals_filters(&mut q, &p);
            q.push(
                " UNION ALL SELECT u.x, u.y, u.n::int8 FROM round_presence c
                  JOIN rounds r ON r.id = c.round_id,
                  unnest(c.cell_x, c.cell_y, c.samples) AS u(x, y, n) WHERE true",
            );
            scope.push_raw_filters(&mut q, &p);
            q.push(") x GROUP BY 1, 2 HAVING sum(n) > 0 ORDER BY 1, 2");
            let cells: Vec<(i32, i32, i64)> = q.build_query_as().fetch_all(pool).await?;
            cells
                .into_iter()
                .map(|(x, y, n)| presence_point(x, y, n))
                .collect()
        }
        (HeatKind::Kills | HeatKind::Deaths, _) => {
            let (team, who) = if kind == HeatKind::Kills {
                ("killer_team", "killer_guid")
            } else {
                ("target_team", "target_guid")
            };
            let p = scope.periods();
            let mut q = QueryBuilder::new(format!(
                "SELECT (x * {KILL_BIN} + {h})::float8 AS x, (y * {KILL_BIN} + {h})::float8 AS y,
                        sum(n)::int8 AS weight, nullif(team, 0) AS team FROM (
                     SELECT floor(e.death_x / {KILL_BIN})::int4 AS x,
                            floor(e.death_y / {KILL_BIN})::int4 AS y,
                            coalesce(e.{team}, 0)::int2 AS team, 1::int8 AS n
                     FROM engagements e JOIN rounds r ON r.id = e.round_id
                     WHERE e.death_x IS NOT NULL",
                h = KILL_BIN / 2.0
            ));
            match player {
                Some(guid) => {
                    q.push(format!(" AND e.{who} = "))
                        .push_bind(guid.to_string());
                    scope.push_filters(&mut q);
                }
                None => {
                    scope.push_raw_filters(&mut q, &p);
                    q.push(format!(
                        " UNION ALL SELECT u.x, u.y, u.{team}, u.n FROM heat_totals t,
                              unnest(t.cell_x, t.cell_y, t.killer_team, t.target_team, t.n)
                                  AS u(x, y, killer_team, target_team, n)
                          WHERE t.kind = 1"
                    ));
                    scope.push_totals_filters(&mut q, &p);
                }
            }
            q.push(") c GROUP BY c.x, c.y, c.team HAVING sum(n) > 0 ORDER BY 1, 2, 4");
            q.build_query_as().fetch_all(pool).await?
        }
    };
    let count = rounds_in_scope(pool, scope, player).await?;
    Ok((points, count))
}

/// A presence cell as a heat point at the cell's centre.
fn presence_point(x: i32, y: i32, weight: i64) -> HeatPointRow {
    let cell = PRESENCE_CELL;
    HeatPointRow {
        x: f64::from(x) * cell + cell / 2.0,
        y: f64::from(y) * cell + cell / 2.0,
        weight,
        team: None,
    }
}

/// One player's presence cells in scope, summed from their per-round blobs.
async fn player_presence(
    pool: &PgPool,
    scope: &Scope,
    guid: &str,
) -> Result<Vec<HeatPointRow>, StoreError> {
    let mut q = QueryBuilder::new(
        "SELECT c.cells FROM presence c JOIN rounds r ON r.id = c.round_id WHERE c.guid = ",
    );
    q.push_bind(guid.to_string());
    scope.push_filters(&mut q);
    let blobs: Vec<Vec<u8>> = q.build_query_scalar().fetch_all(pool).await?;
    let mut sum: std::collections::BTreeMap<(i32, i32), i64> = Default::default();
    for blob in &blobs {
        let cells =
            super::codec::decode_cells(blob).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        for ((x, y), n) in cells {
            *sum.entry((x, y)).or_default() += i64::from(n);
        }
    }
    Ok(sum
        .into_iter()
        .map(|((x, y), n)| presence_point(x, y, n))
        .collect())
}

/// Rounds in scope (with `player` in them, when given).
async fn rounds_in_scope(
    pool: &PgPool,
    scope: &Scope,
    player: Option<&str>,
) -> Result<i64, StoreError> {
    let mut rounds = QueryBuilder::new("SELECT count(*) FROM rounds r WHERE true");
    scope.push_filters(&mut rounds);
    if let Some(guid) = player {
        rounds
            .push(
                " AND EXISTS (SELECT 1 FROM round_players p WHERE p.round_id = r.id AND p.guid = ",
            )
            .push_bind(guid.to_string())
            .push(")");
    }
    Ok(rounds.build_query_scalar().fetch_one(pool).await?)
}

// ---------------------------------------------------------------------------------------------
// Leaderboards

/// What a leaderboard ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeaderboardMetric {
    Distance,
    Sprint,
    SpawnReaction,
    Survival,
    CrossfireKills,
    Trades,
    SupportUptime,
    EscapeRate,
    DamageTaken,
}

/// How a leaderboard metric is computed and shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricSpec {
    pub title: &'static str,
    pub unit: &'static str,
    pub lower_is_better: bool,
    /// Minimum samples (see `sample_label`) a player needs to be ranked.
    pub min_samples: i64,
    pub sample_label: &'static str,
    /// The value and sample expressions over the summed player figures.
    value: &'static str,
    samples: &'static str,
}

impl LeaderboardMetric {
    pub const ALL: [LeaderboardMetric; 9] = [
        LeaderboardMetric::Distance,
        LeaderboardMetric::Sprint,
        LeaderboardMetric::SpawnReaction,
        LeaderboardMetric::Survival,
        LeaderboardMetric::CrossfireKills,
        LeaderboardMetric::Trades,
        LeaderboardMetric::SupportUptime,
        LeaderboardMetric::EscapeRate,
        LeaderboardMetric::DamageTaken,
    ];

    pub fn spec(self) -> MetricSpec {
        use LeaderboardMetric::*;
        // (title, unit, lower is better, value, samples, minimum samples, sample label); value
        // and samples are expressions over the summed player figures.
        let (title, unit, lower_is_better, value, samples, min_samples, sample_label) = match self {
            Distance => (
                "Distance travelled per life",
                "u",
                false,
                "sum(distance) / nullif(sum(lives), 0)",
                "sum(lives)",
                10,
                "lives",
            ),
            Sprint => (
                "Time sprinting",
                "%",
                false,
                "sum(sprint_weighted) / nullif(sum(samples), 0)",
                "sum(lives)",
                10,
                "lives",
            ),
            SpawnReaction => (
                "Spawn reaction (time to first move)",
                "ms",
                true,
                "sum(first_move_sum_ms)::float8 / nullif(sum(first_move_count), 0)",
                "sum(first_move_count)",
                10,
                "spawns",
            ),
            Survival => (
                "Survival time per life",
                "s",
                false,
                "sum(alive_ms) / 1000.0 / nullif(sum(lives), 0)",
                "sum(lives)",
                10,
                "lives",
            ),
            CrossfireKills => (
                "Crossfire kills per round",
                "",
                false,
                "sum(crossfire_kills)::float8 / nullif(sum(tp_rounds), 0)",
                "sum(tp_rounds)",
                3,
                "rounds",
            ),
            Trades => (
                "Trade kills per round",
                "",
                false,
                "sum(trades_made)::float8 / nullif(sum(tr_rounds), 0)",
                "sum(tr_rounds)",
                3,
                "rounds",
            ),
            SupportUptime => (
                "Support uptime",
                "%",
                false,
                "100.0 * sum(su_supported) / nullif(sum(su_samples), 0)",
                "sum(su_rounds)",
                3,
                "rounds",
            ),
            EscapeRate => (
                "Escape rate",
                "%",
                false,
                "100.0 * sum(escapes) / nullif(sum(times_targeted), 0)",
                "sum(times_targeted)",
                20,
                "fights",
            ),
            DamageTaken => (
                "Damage taken per round",
                "hp",
                false,
                "sum(damage_taken)::float8 / nullif(sum(tp_rounds), 0)",
                "sum(tp_rounds)",
                3,
                "rounds",
            ),
        };
        MetricSpec {
            title,
            unit,
            lower_is_better,
            min_samples,
            sample_label,
            value,
            samples,
        }
    }
}

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct LeaderRow {
    pub guid: String,
    pub name: Vec<u8>,
    pub value: f64,
    pub samples: i64,
}

/// Players ranked by `metric` in scope, best first, among those with at least the metric's
/// minimum samples.
pub async fn leaderboard(
    pool: &PgPool,
    metric: LeaderboardMetric,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<LeaderRow>, StoreError> {
    let spec = metric.spec();
    let mut q = QueryBuilder::new(format!(
        "SELECT s.guid, coalesce(p.name, ''::bytea) AS name, s.value, s.samples FROM (
             SELECT x.guid, ({value})::float8 AS value, ({samples})::int8 AS samples FROM ",
        value = spec.value,
        samples = spec.samples,
    ));
    scope.push_player_figures(&mut q, None);
    q.push(format!(
        " GROUP BY x.guid) s LEFT JOIN players p ON p.guid = s.guid
          WHERE s.value IS NOT NULL AND s.samples >= {min}
          ORDER BY s.value {order}, s.samples DESC, s.guid LIMIT ",
        min = spec.min_samples,
        order = if spec.lower_is_better { "ASC" } else { "DESC" }
    ));
    q.push_bind(limit);
    Ok(q.build_query_as().fetch_all(pool).await?)
}

// ---------------------------------------------------------------------------------------------
// Players

#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct PlayerRow {
    pub guid: String,
    pub name: Vec<u8>,
    pub display_name: String,
}

/// Players whose cleaned name contains `partial` (case-insensitive) or whose GUID starts with
/// it, most recently seen first.
pub async fn find_players(
    pool: &PgPool,
    partial: &str,
    limit: i64,
) -> Result<Vec<PlayerRow>, StoreError> {
    let key = crate::names::match_key(partial.as_bytes());
    let like = format!(
        "%{}%",
        key.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let guid_prefix = format!("{}%", partial.trim().to_uppercase().replace('%', ""));
    Ok(sqlx::query_as(
        "SELECT guid, name, display_name FROM players
         WHERE match_key LIKE $1 OR upper(guid) LIKE $2
         ORDER BY (match_key = $3) DESC, (match_key LIKE $4) DESC, last_seen DESC, guid LIMIT $5",
    )
    .bind(like)
    .bind(guid_prefix)
    .bind(&key)
    .bind(format!("{}%", key.replace('%', "")))
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

pub async fn player(pool: &PgPool, guid: &str) -> Result<Option<PlayerRow>, StoreError> {
    Ok(
        sqlx::query_as("SELECT guid, name, display_name FROM players WHERE guid = $1")
            .bind(guid)
            .fetch_optional(pool)
            .await?,
    )
}

/// Every player's display name (for closest-match suggestions).
pub async fn all_player_names(pool: &PgPool) -> Result<Vec<PlayerRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT guid, name, display_name FROM players ORDER BY last_seen DESC LIMIT 5000",
    )
    .fetch_all(pool)
    .await?)
}

/// Maps with rounds, most rounds first.
pub async fn maps(pool: &PgPool) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT map, count(*)::int8 FROM rounds GROUP BY map ORDER BY count(*) DESC, map",
    )
    .fetch_all(pool)
    .await?)
}

/// The Discord account ↔ GUID links of `/link`.
pub async fn link_player(pool: &PgPool, discord_user: u64, guid: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO discord_links (discord_user_id, guid) VALUES ($1, $2)
         ON CONFLICT (discord_user_id) DO UPDATE SET guid = EXCLUDED.guid, linked_at = now()",
    )
    .bind(discord_user as i64)
    .bind(guid)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn linked_guid(pool: &PgPool, discord_user: u64) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT guid FROM discord_links WHERE discord_user_id = $1")
            .bind(discord_user as i64)
            .fetch_optional(pool)
            .await?,
    )
}

/// One player's figures in scope, each with the median over all players with data.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ProfileRow {
    pub rounds: i64,
    pub lives: i64,
    pub distance_per_life: Option<f64>,
    pub avg_speed: Option<f64>,
    pub sprint_pct: Option<f64>,
    pub spawn_reaction_ms: Option<f64>,
    pub survival_s: Option<f64>,
    pub crossfire_participations: i64,
    pub crossfire_kills: i64,
    pub solo_kills: i64,
    pub kills: i64,
    pub deaths: i64,
    pub times_targeted: i64,
    pub escapes: i64,
    pub escape_rate_pct: Option<f64>,
    pub damage_taken: i64,
    pub trades_made: i64,
    pub deaths_traded: i64,
    pub isolation_deaths: i64,
    pub support_uptime_pct: Option<f64>,
}

/// Each player's profile figures from the summed player figures `x` (players with a life).
const PROFILE_COLUMNS: &str = "
    x.guid, sum(life_rounds)::int8 AS rounds, sum(lives)::int8 AS lives,
    (sum(distance) / nullif(sum(lives), 0))::float8 AS distance_per_life,
    (sum(distance) / nullif(sum(alive_ms) / 1000.0, 0))::float8 AS avg_speed,
    (sum(sprint_weighted) / nullif(sum(samples), 0))::float8 AS sprint_pct,
    (sum(first_move_sum_ms)::float8 / nullif(sum(first_move_count), 0)) AS spawn_reaction_ms,
    (sum(alive_ms) / 1000.0 / nullif(sum(lives), 0))::float8 AS survival_s,
    sum(crossfire_participations)::int8 AS crossfire_participations,
    sum(crossfire_kills)::int8 AS crossfire_kills, sum(solo_kills)::int8 AS solo_kills,
    sum(kills)::int8 AS kills, sum(deaths)::int8 AS deaths,
    sum(times_targeted)::int8 AS times_targeted, sum(escapes)::int8 AS escapes,
    (100.0 * sum(escapes) / nullif(sum(times_targeted), 0))::float8 AS escape_rate_pct,
    sum(damage_taken)::int8 AS damage_taken, sum(trades_made)::int8 AS trades_made,
    sum(deaths_traded)::int8 AS deaths_traded, sum(isolation_deaths)::int8 AS isolation_deaths,
    (100.0 * sum(su_supported) / nullif(sum(su_samples), 0))::float8 AS support_uptime_pct";

/// One player's profile in scope, and the server's medians (over players with at least one
/// life in scope). `None` when the player has no life in scope.
pub async fn player_profile(
    pool: &PgPool,
    guid: &str,
    scope: &Scope,
) -> Result<Option<(ProfileRow, ProfileRow)>, StoreError> {
    let ints = [
        "rounds",
        "lives",
        "crossfire_participations",
        "crossfire_kills",
        "solo_kills",
        "kills",
        "deaths",
        "times_targeted",
        "escapes",
        "damage_taken",
        "trades_made",
        "deaths_traded",
        "isolation_deaths",
    ];
    let floats = [
        "distance_per_life",
        "avg_speed",
        "sprint_pct",
        "spawn_reaction_ms",
        "survival_s",
        "escape_rate_pct",
        "support_uptime_pct",
    ];
    let per_player = MedianQuery {
        columns: PROFILE_COLUMNS,
        having: "sum(life_rounds) > 0",
        ints: &ints,
        floats: &floats,
    };
    per_player.fetch(pool, scope, guid).await
}

/// A player's figures and each figure's median over all players, in one query: the figures of
/// every player in scope are summed once, the player's row and the medians read from them.
struct MedianQuery<'a> {
    /// Per-player select list over the summed player figures `x` (with `x.guid`).
    columns: &'a str,
    /// Which players count.
    having: &'a str,
    /// Output columns: integer figures (their median rounded) and real ones.
    ints: &'a [&'a str],
    floats: &'a [&'a str],
}

impl MedianQuery<'_> {
    async fn fetch<R>(
        &self,
        pool: &PgPool,
        scope: &Scope,
        guid: &str,
    ) -> Result<Option<(R, R)>, StoreError>
    where
        R: for<'r> FromRow<'r, sqlx::postgres::PgRow>,
    {
        use sqlx::Row;
        let own: Vec<String> = self
            .ints
            .iter()
            .chain(self.floats)
            .map(|c| c.to_string())
            .collect();
        let medians: Vec<String> = self
            .ints
            .iter()
            .map(|c| format!("(percentile_cont(0.5) WITHIN GROUP (ORDER BY {c}))::int8"))
            .chain(
                self.floats
                    .iter()
                    .map(|c| format!("percentile_cont(0.5) WITHIN GROUP (ORDER BY {c})")),
            )
            .collect();
        let mut q = QueryBuilder::new(format!("WITH pp AS (SELECT {} FROM ", self.columns));
        scope.push_player_figures(&mut q, None);
        q.push(format!(
            " GROUP BY x.guid HAVING {}) SELECT 0 AS which, {} FROM pp WHERE guid = ",
            self.having,
            own.join(", ")
        ));
        q.push_bind(guid.to_string());
        q.push(format!(
            " UNION ALL SELECT 1, {} FROM pp ORDER BY which",
            medians.join(", ")
        ));
        let rows = q.build().fetch_all(pool).await?;
        let (Some(me), Some(median)) = (
            rows.iter().find(|r| r.get::<i32, _>("which") == 0),
            rows.iter().find(|r| r.get::<i32, _>("which") == 1),
        ) else {
            return Ok(None);
        };
        Ok(Some((R::from_row(me)?, R::from_row(median)?)))
    }
}

// ---------------------------------------------------------------------------------------------
// Scanner

/// What the scanner needs to know about a path in the import log to skip it without reading
/// it: its status, attempts and the size and modification time of the file when last read.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct FileState {
    pub path: String,
    pub status: String,
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

// ---------------------------------------------------------------------------------------------
// Escape artists and engagement statistics (player commands)

/// A player's escapes: fights they were the target of and got away from.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct EscapeRow {
    pub guid: String,
    pub name: Vec<u8>,
    pub escapes: i64,
    pub times_targeted: i64,
    /// Escapes from fights with two or more attackers, and such fights.
    pub focus_escapes: i64,
    pub times_focused: i64,
}

impl EscapeRow {
    /// Escapes per fight, in percent.
    pub fn rate_pct(&self) -> f64 {
        if self.times_targeted > 0 {
            100.0 * self.escapes as f64 / self.times_targeted as f64
        } else {
            0.0
        }
    }
}

/// Players with the most escapes in scope (then the fewest fights, then GUID), among those
/// targeted at least `min_fights` times and with at least one escape.
pub async fn escape_artists(
    pool: &PgPool,
    scope: &Scope,
    min_fights: i64,
    limit: i64,
) -> Result<Vec<EscapeRow>, StoreError> {
    let mut q = QueryBuilder::new(
        "SELECT s.guid, coalesce(p.name, ''::bytea) AS name, s.escapes, s.times_targeted,
                s.focus_escapes, s.times_focused
         FROM (SELECT x.guid, sum(escapes)::int8 AS escapes,
                      sum(times_targeted)::int8 AS times_targeted,
                      sum(focus_escapes)::int8 AS focus_escapes,
                      sum(times_focused)::int8 AS times_focused
               FROM ",
    );
    scope.push_player_figures(&mut q, None);
    q.push(" GROUP BY x.guid HAVING sum(escapes) > 0 AND sum(times_targeted) >= ")
        .push_bind(min_fights)
        .push(
            ") s LEFT JOIN players p ON p.guid = s.guid
             ORDER BY s.escapes DESC, s.times_targeted ASC, s.guid LIMIT ",
        )
        .push_bind(limit);
    Ok(q.build_query_as().fetch_all(pool).await?)
}

/// A player's fights in scope (or, for the median row, each figure's median over players).
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct EngagementRow {
    pub rounds: i64,
    pub kills: i64,
    pub deaths: i64,
    pub times_targeted: i64,
    pub escapes: i64,
    pub crossfire_kills: i64,
    pub kills_per_round: Option<f64>,
    pub damage_dealt_per_round: Option<f64>,
    pub damage_taken_per_round: Option<f64>,
    pub escape_rate_pct: Option<f64>,
    /// Crossfire kills as a share of kills.
    pub crossfire_share_pct: Option<f64>,
    /// Average engagement length when targeted, in seconds.
    pub fight_length_s: Option<f64>,
    /// Averages of the reactions when targeted (ms).
    pub return_fire_ms: Option<f64>,
    pub dodge_reaction_ms: Option<f64>,
}

/// Each player's fight figures from the summed player figures `x` (players with a round of
/// teamplay figures).
const ENGAGEMENT_COLUMNS: &str = "
    x.guid, sum(tp_rounds)::int8 AS rounds, sum(kills)::int8 AS kills,
    sum(deaths)::int8 AS deaths, sum(times_targeted)::int8 AS times_targeted,
    sum(escapes)::int8 AS escapes, sum(crossfire_kills)::int8 AS crossfire_kills,
    (sum(kills)::float8 / nullif(sum(tp_rounds), 0)) AS kills_per_round,
    (sum(damage_dealt)::float8 / nullif(sum(tp_rounds), 0)) AS damage_dealt_per_round,
    (sum(damage_taken)::float8 / nullif(sum(tp_rounds), 0)) AS damage_taken_per_round,
    (100.0 * sum(escapes) / nullif(sum(times_targeted), 0))::float8 AS escape_rate_pct,
    (100.0 * sum(crossfire_kills) / nullif(sum(kills), 0))::float8 AS crossfire_share_pct,
    (sum(engagement_duration_sum_ms) / 1000.0 / nullif(sum(times_targeted), 0))::float8
        AS fight_length_s,
    (sum(return_fire_sum_ms)::float8 / nullif(sum(return_fire_count), 0)) AS return_fire_ms,
    (sum(dodge_sum_ms)::float8 / nullif(sum(dodge_count), 0)) AS dodge_reaction_ms";

/// One player's fights in scope and the median of each figure over all players with a round in
/// scope. `None` when the player has no round in scope.
pub async fn engagement_stats(
    pool: &PgPool,
    guid: &str,
    scope: &Scope,
) -> Result<Option<(EngagementRow, EngagementRow)>, StoreError> {
    MedianQuery {
        columns: ENGAGEMENT_COLUMNS,
        having: "sum(tp_rounds) > 0",
        ints: &[
            "rounds",
            "kills",
            "deaths",
            "times_targeted",
            "escapes",
            "crossfire_kills",
        ],
        floats: &[
            "kills_per_round",
            "damage_dealt_per_round",
            "damage_taken_per_round",
            "escape_rate_pct",
            "crossfire_share_pct",
            "fight_length_s",
            "return_fire_ms",
            "dodge_reaction_ms",
        ],
    }
    .fetch(pool, scope, guid)
    .await
}
