//! Objective play (`/objectives`, the `objectives` heatmap): the reads behind the objective
//! sections that a single figure does not cover.

use sqlx::{PgPool, QueryBuilder, Row};

use super::heatmaps::HeatPointRow;
use super::scope::Scope;
use crate::metrics::{OBJECTIVE_TALLIES, ObjectiveTally};
use crate::store::StoreError;

/// A player's objective tallies in scope.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectiveRow {
    pub guid: String,
    pub name: Vec<u8>,
    /// Rounds played that recorded objective actions.
    pub rounds: i64,
    /// The totals of [`OBJECTIVE_TALLIES`], in its order.
    pub tallies: Vec<f64>,
}

/// The players with the highest `by` total in scope (then GUID), people only unless bots
/// count, with all their tallies.
pub async fn objective_board(
    pool: &PgPool,
    scope: &Scope,
    by: &ObjectiveTally,
    limit: i64,
) -> Result<Vec<ObjectiveRow>, StoreError> {
    let sums: Vec<String> = OBJECTIVE_TALLIES
        .iter()
        .enumerate()
        .map(|(i, t)| format!("sum(x.{})::float8 AS t{i}", t.column))
        .collect();
    let by_index = OBJECTIVE_TALLIES
        .iter()
        .position(|t| t.key == by.key)
        .unwrap_or(0);
    let mut q = QueryBuilder::new(format!(
        "SELECT s.*, marked_name(p.name, s.guid) AS name
         FROM (SELECT x.guid, sum(x.ob_rounds)::int8 AS rounds, {}
               FROM ",
        sums.join(", ")
    ));
    scope.push_player_figures(&mut q, None);
    q.push(format!(
        " GROUP BY x.guid) s LEFT JOIN players p ON p.guid = s.guid
          WHERE s.t{by_index} > 0{people}
          ORDER BY s.t{by_index} DESC, s.guid LIMIT ",
        people = scope.people_only("s.guid"),
    ));
    q.push_bind(limit);
    let rows = q.build().fetch_all(pool).await?;
    rows.into_iter()
        .map(|r| {
            let tallies = (0..OBJECTIVE_TALLIES.len())
                .map(|i| r.try_get::<f64, _>(format!("t{i}").as_str()))
                .collect::<Result<Vec<f64>, _>>()?;
            Ok(ObjectiveRow {
                guid: r.try_get("guid")?,
                name: r.try_get("name")?,
                rounds: r.try_get("rounds")?,
                tallies,
            })
        })
        .collect()
}

/// Where objective actions happened (weight 1 each, the actor's team) and where the kills that
/// cleared the way for objective runs were (the killer's team, which is the run's) on a map in
/// scope, binned as the kill heatmaps are; of one player's actions and clearing kills when
/// `player` is given.
pub async fn objective_heat(
    pool: &PgPool,
    scope: &Scope,
    player: Option<&str>,
) -> Result<Vec<HeatPointRow>, StoreError> {
    use crate::heat::KILL_BIN;
    let mut q = QueryBuilder::new(format!(
        "SELECT (x * {KILL_BIN} + {h})::float8 AS x, (y * {KILL_BIN} + {h})::float8 AS y,
                count(*)::int8 AS weight, nullif(team, 0) AS team FROM (
             SELECT floor(u.x / {KILL_BIN})::int4 AS x, floor(u.y / {KILL_BIN})::int4 AS y,
                    u.team, u.guid
             FROM round_objective_events o JOIN rounds r ON r.id = o.round_id,
                  unnest(o.x, o.y, o.team, o.guid) AS u(x, y, team, guid)
             WHERE true",
        h = KILL_BIN / 2.0
    ));
    scope.push_filters(&mut q);
    q.push(format!(
        " UNION ALL
             SELECT floor(u.x / {KILL_BIN})::int4, floor(u.y / {KILL_BIN})::int4,
                    o.team[u.run + 1], u.guid
             FROM round_objective_runs o JOIN rounds r ON r.id = o.round_id,
                  unnest(o.clear_run, o.clear_x, o.clear_y, o.clear_guid) AS u(run, x, y, guid)
             WHERE true"
    ));
    scope.push_filters(&mut q);
    q.push(") c WHERE true");
    if let Some(guid) = player {
        q.push(" AND c.guid = ").push_bind(guid.to_string());
    }
    q.push(" GROUP BY c.x, c.y, c.team ORDER BY 1, 2, 4");
    Ok(q.build_query_as().fetch_all(pool).await?)
}
