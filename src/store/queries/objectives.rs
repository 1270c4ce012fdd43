//! Objective play (`/objectives`, the `objectives` heatmap): the reads behind the objective
//! sections that a single figure does not cover.

use sqlx::{PgPool, QueryBuilder, Row};

use super::heatmaps::HeatPointRow;
use super::scope::Scope;
use crate::heat::KILL_BIN;
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
/// scope, binned as the kill heatmaps are. Everyone's read the totals of whole months and years
/// (kind 3) and the per-round rows of the rest; one player's read the rounds they played.
pub async fn objective_heat(
    pool: &PgPool,
    scope: &Scope,
    player: Option<&str>,
) -> Result<Vec<HeatPointRow>, StoreError> {
    let p = scope.periods();
    let mut q = QueryBuilder::new(format!(
        "SELECT (x * {KILL_BIN} + {h})::float8 AS x, (y * {KILL_BIN} + {h})::float8 AS y,
                sum(n)::int8 AS weight, nullif(team, 0) AS team FROM (",
        h = KILL_BIN / 2.0
    ));
    match player {
        Some(guid) => {
            q.push(
                "WITH ids AS MATERIALIZED (
                     SELECT r.id FROM rounds r
                     WHERE r.id IN (SELECT round_id FROM round_players WHERE guid = ",
            )
            .push_bind(guid.to_string())
            .push(")");
            scope.push_filters(&mut q);
            q.push(format!(
                ") SELECT floor(u.x::float8 / {KILL_BIN})::int AS x,
                          floor(u.y::float8 / {KILL_BIN})::int AS y, u.team, 1 AS n
                   FROM round_objective_events o, unnest(o.x, o.y, o.team, o.guid)
                       AS u(x, y, team, guid)
                   WHERE o.round_id IN (SELECT id FROM ids) AND u.guid = "
            ))
            .push_bind(guid.to_string());
            q.push(format!(
                " UNION ALL
                  SELECT floor(u.x::float8 / {KILL_BIN})::int, floor(u.y::float8 / {KILL_BIN})::int,
                         o.team[u.run + 1], 1
                  FROM round_objective_runs o,
                      unnest(o.clear_run, o.clear_x, o.clear_y, o.clear_guid) AS u(run, x, y, guid)
                  WHERE o.round_id IN (SELECT id FROM ids) AND u.guid = "
            ))
            .push_bind(guid.to_string());
        }
        None => {
            q.push(
                "SELECT c.x, c.y, c.team, c.n FROM objective_cells(ARRAY(
                     SELECT r.id FROM rounds r WHERE true",
            );
            scope.push_raw_filters(&mut q, &p);
            q.push(
                ")) c
                 UNION ALL SELECT u.x, u.y, u.team, u.n FROM heat_totals t,
                     unnest(t.cell_x, t.cell_y, t.killer_team, t.n) AS u(x, y, team, n)
                 WHERE t.kind = 3",
            );
            scope.push_totals_filters(&mut q, &p);
        }
    }
    q.push(") c GROUP BY c.x, c.y, c.team HAVING sum(n) > 0 ORDER BY 1, 2, 4");
    Ok(q.build_query_as().fetch_all(pool).await?)
}
