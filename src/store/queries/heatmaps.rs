//! The points of a heatmap in a scope.

use sqlx::{FromRow, PgPool, QueryBuilder};

use super::scope::Scope;
use crate::heat::{HeatKind, KILL_BIN, PRESENCE_CELL};
use crate::store::StoreError;

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
        (HeatKind::Objectives, _) => super::objective_heat(pool, scope, player).await?,
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
        let cells = crate::store::codec::decode_cells(blob)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
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
