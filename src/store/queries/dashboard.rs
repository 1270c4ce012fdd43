//! The web dashboard's reads that no command has: the headline sums of a scope, the engagement
//! timeline and the rounds list. Each is bounded by the scope and a limit.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder};

use super::rounds::{ROUND_COLUMNS, RoundHeadline};
use super::scope::Scope;
use crate::store::StoreError;

/// The headline sums of the rounds in scope (of one player's rounds when given).
#[derive(Debug, Clone, Default, FromRow, PartialEq)]
pub struct Overview {
    pub rounds: i64,
    pub engagements: i64,
    pub kills: i64,
    pub crossfires: i64,
    pub escapes: i64,
    /// The mean over rounds of each round's mean support uptime.
    pub support_mean_pct: Option<f64>,
    pub first_played: Option<DateTime<Utc>>,
    pub last_played: Option<DateTime<Utc>>,
}

/// Appends the scope's filters and, with `player`, "the rounds they played" to a query on
/// `rounds r`.
fn push_round_filters(q: &mut QueryBuilder<Postgres>, scope: &Scope, player: Option<&str>) {
    scope.push_filters(q);
    if let Some(guid) = player {
        q.push(" AND EXISTS (SELECT 1 FROM round_players p WHERE p.round_id = r.id AND p.guid = ")
            .push_bind(guid.to_string())
            .push(")");
    }
}

pub async fn overview(
    pool: &PgPool,
    scope: &Scope,
    player: Option<&str>,
) -> Result<Overview, StoreError> {
    let mut q = QueryBuilder::new(
        "SELECT count(*)::int8 AS rounds,
                coalesce(sum(r.engagement_count), 0)::int8 AS engagements,
                coalesce(sum(r.kill_count), 0)::int8 AS kills,
                coalesce(sum(r.crossfire_count), 0)::int8 AS crossfires,
                coalesce(sum(r.escape_count), 0)::int8 AS escapes,
                avg(r.support_mean_pct) AS support_mean_pct,
                min(r.played_at) AS first_played, max(r.played_at) AS last_played
         FROM rounds r WHERE true",
    );
    push_round_filters(&mut q, scope, player);
    Ok(q.build_query_as().fetch_one(pool).await?)
}

/// When the first and the last round in scope were played (of one player's rounds when given);
/// `None` without rounds. Both ends come from the played-at indexes.
pub async fn played_span(
    pool: &PgPool,
    scope: &Scope,
    player: Option<&str>,
) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, StoreError> {
    let mut q =
        QueryBuilder::new("SELECT min(r.played_at), max(r.played_at) FROM rounds r WHERE true");
    push_round_filters(&mut q, scope, player);
    let (first, last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
        q.build_query_as().fetch_one(pool).await?;
    Ok(first.zip(last))
}

/// Players counted in scope (people only unless bots count), from the totals.
pub async fn player_count(pool: &PgPool, scope: &Scope) -> Result<i64, StoreError> {
    let mut q = QueryBuilder::new("SELECT count(*)::int8 FROM (SELECT x.guid FROM ");
    scope.push_player_figures(&mut q, None);
    q.push(format!(
        " GROUP BY x.guid HAVING sum(x.life_rounds) > 0) g WHERE true{}",
        scope.people_only("g.guid")
    ));
    Ok(q.build_query_scalar().fetch_one(pool).await?)
}

/// The width of a timeline's buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Hour,
    Day,
    Week,
    Month,
}

impl Bucket {
    /// Hours for up to two days, days for up to three months, weeks for up to two years,
    /// months beyond: at most ~120 bars for any period.
    pub fn for_days(days: Option<i64>) -> Bucket {
        match days {
            Some(d) if d <= 2 => Bucket::Hour,
            Some(d) if d <= 92 => Bucket::Day,
            Some(d) if d <= 730 => Bucket::Week,
            _ => Bucket::Month,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Hour => "hour",
            Bucket::Day => "day",
            Bucket::Week => "week",
            Bucket::Month => "month",
        }
    }
}

/// One bar of the engagement timeline.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct TimelinePoint {
    pub start: DateTime<Utc>,
    pub rounds: i64,
    pub engagements: i64,
    pub kills: i64,
    pub crossfires: i64,
    pub escapes: i64,
}

/// Most bars a timeline returns (the newest).
pub const TIMELINE_MAX: i64 = 400;

/// Engagements per bucket of the rounds in scope, oldest first.
pub async fn timeline(
    pool: &PgPool,
    scope: &Scope,
    player: Option<&str>,
    bucket: Bucket,
) -> Result<Vec<TimelinePoint>, StoreError> {
    let mut q = QueryBuilder::new(format!(
        "SELECT * FROM (SELECT date_trunc('{}', r.played_at, 'UTC') AS start,
                count(*)::int8 AS rounds,
                sum(r.engagement_count)::int8 AS engagements, sum(r.kill_count)::int8 AS kills,
                sum(r.crossfire_count)::int8 AS crossfires, sum(r.escape_count)::int8 AS escapes
         FROM rounds r WHERE true",
        bucket.as_str()
    ));
    push_round_filters(&mut q, scope, player);
    q.push(" GROUP BY 1 ORDER BY 1 DESC LIMIT ")
        .push_bind(TIMELINE_MAX)
        .push(") t ORDER BY start");
    Ok(q.build_query_as().fetch_all(pool).await?)
}

/// The latest rounds in scope (of one player's rounds when given), newest first.
pub async fn recent_rounds(
    pool: &PgPool,
    scope: &Scope,
    player: Option<&str>,
    limit: i64,
) -> Result<Vec<RoundHeadline>, StoreError> {
    let columns: Vec<String> = ROUND_COLUMNS
        .split(", ")
        .map(|c| format!("r.{}", c.trim()))
        .collect();
    let mut q = QueryBuilder::new(format!(
        "SELECT {} FROM rounds r WHERE true",
        columns.join(", ")
    ));
    push_round_filters(&mut q, scope, player);
    q.push(" ORDER BY r.played_at DESC, r.id DESC LIMIT ")
        .push_bind(limit);
    Ok(q.build_query_as().fetch_all(pool).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_keep_a_timeline_short() {
        let of = |d| Bucket::for_days(d).as_str();
        assert_eq!(
            [
                of(Some(1)),
                of(Some(2)),
                of(Some(3)),
                of(Some(92)),
                of(Some(93))
            ],
            ["hour", "hour", "day", "day", "week"]
        );
        assert_eq!(
            [of(Some(730)), of(Some(731)), of(None)],
            ["week", "month", "month"]
        );
    }
}
