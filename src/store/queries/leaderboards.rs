//! Players ranked: by any figure of [`FIGURES`](crate::metrics::FIGURES), and the escape artists.

use sqlx::{FromRow, PgPool, QueryBuilder};

use super::figure_sql;
use super::scope::Scope;
use crate::metrics::{Better, Figure};
use crate::store::StoreError;

/// A player's place on a leaderboard.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct RankedPlayer {
    pub guid: String,
    pub name: Vec<u8>,
    pub value: f64,
    pub samples: i64,
}

/// Players ranked by `figure` in scope, best first, among those with at least the figure's
/// minimum samples.
pub async fn leaderboard(
    pool: &PgPool,
    figure: &Figure,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<RankedPlayer>, StoreError> {
    let mut q = QueryBuilder::new(format!(
        "SELECT s.guid, marked_name(p.name, s.guid) AS name, s.value, s.samples FROM (
             SELECT x.guid, {value} AS value, sum({samples})::int8 AS samples FROM ",
        value = figure_sql(figure),
        samples = figure.samples,
    ));
    scope.push_player_figures(&mut q, None);
    q.push(format!(
        " GROUP BY x.guid) s LEFT JOIN players p ON p.guid = s.guid
          WHERE s.value IS NOT NULL AND s.samples >= {min}{people}
          ORDER BY s.value {order}, s.samples DESC, s.guid LIMIT ",
        min = figure.min_samples,
        people = scope.people_only("s.guid"),
        order = match figure.better {
            Better::Higher => "DESC",
            Better::Lower => "ASC",
        }
    ));
    q.push_bind(limit);
    Ok(q.build_query_as().fetch_all(pool).await?)
}

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
        "SELECT s.guid, marked_name(p.name, s.guid) AS name, s.escapes, s.times_targeted,
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
        .push(format!(
            ") s LEFT JOIN players p ON p.guid = s.guid WHERE true{}
             ORDER BY s.escapes DESC, s.times_targeted ASC, s.guid LIMIT ",
            scope.people_only("s.guid")
        ))
        .push_bind(limit);
    Ok(q.build_query_as().fetch_all(pool).await?)
}
