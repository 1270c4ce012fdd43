//! Adding a new round's heatmap cells to the monthly and yearly totals (`heat_totals`,
//! migrations/0003_rollups.sql).
//!
//! The SQL function `rollup_heat` can do the same from the stored rows (it does for deletions and
//! for databases from before the totals), but merging a month's and a year's cell arrays in SQL
//! costs ~15 ms per import; here the four rows are locked, merged in memory and written back.
//! Both bin the same way: the store tests compare the totals with the per-round rows after
//! imports (this path) and deletions (the SQL path).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use sqlx::{Postgres, QueryBuilder, Transaction};

use super::StoreError;
use super::codec::Cell;
use super::codec::team_code;
use super::queries::KILL_BIN;
use super::rows::killer_team;
use crate::format::{Outcome, Round};
use crate::metrics::death_position;

/// A cell of `heat_totals`: position and killer / victim team (0 = none; movement has 0, 0).
type HeatKey = (i32, i32, i16, i16);

/// One round's cells of both kinds.
pub struct RoundHeat {
    /// Kind 1: deaths with the killer's and the victim's team.
    deaths: BTreeMap<HeatKey, i32>,
    /// Kind 2: all players' presence.
    presence: BTreeMap<HeatKey, i32>,
}

impl RoundHeat {
    pub fn of(round: &Round, presence: &[Cell]) -> RoundHeat {
        let mut deaths = BTreeMap::new();
        for e in &round.engagements {
            if e.outcome != Outcome::Killed {
                continue;
            }
            // Stored as `real` and binned in single precision, as the SQL does.
            let p = death_position(e);
            let bin = |v: f64| ((v as f32) / KILL_BIN as f32).floor() as i32;
            let killer = killer_team(e).unwrap_or(0);
            let key = (bin(p.x), bin(p.y), killer, team_code(e.target_team));
            *deaths.entry(key).or_insert(0) += 1;
        }
        let presence = presence
            .iter()
            .map(|&((x, y), n)| ((x, y, 0, 0), n as i32))
            .collect();
        RoundHeat { deaths, presence }
    }

    fn kinds(&self) -> [(i16, &BTreeMap<HeatKey, i32>); 2] {
        [(1, &self.deaths), (2, &self.presence)]
    }
}

/// The month and the year (UTC) a round played at `t` counts in, as `(months, bucket)`.
fn periods(t: DateTime<Utc>) -> [(i16, DateTime<Utc>); 2] {
    let start = |y: i32, m: u32| Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(t);
    [(1, start(t.year(), t.month())), (12, start(t.year(), 1))]
}

/// Adds the round's cells to the totals of its month and year on `map`.
pub async fn add(
    tx: &mut Transaction<'_, Postgres>,
    map: &str,
    played_at: DateTime<Utc>,
    cells: &RoundHeat,
) -> Result<(), StoreError> {
    let periods = periods(played_at);
    let keys: Vec<(i16, DateTime<Utc>, i16)> = periods
        .iter()
        .flat_map(|&(months, bucket)| cells.kinds().map(|(kind, _)| (months, bucket, kind)))
        .collect();
    // Rows must exist to be locked; created and then locked in key order, like rollup_heat.
    sqlx::query(
        "INSERT INTO heat_totals (months, bucket, map, kind, cell_x, cell_y, killer_team,
             target_team, n)
         SELECT m, b, $4, k, '{}', '{}', '{}', '{}', '{}'
         FROM UNNEST($1::int2[], $2::timestamptz[], $3::int2[]) AS u(m, b, k)
         ORDER BY 1, 2, 4
         ON CONFLICT (months, bucket, map, kind) DO NOTHING",
    )
    .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.2).collect::<Vec<_>>())
    .bind(map)
    .execute(&mut **tx)
    .await?;
    type Row = (
        i16,
        DateTime<Utc>,
        i16,
        Vec<i32>,
        Vec<i32>,
        Vec<i16>,
        Vec<i16>,
        Vec<i32>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT months, bucket, kind, cell_x, cell_y, killer_team, target_team, n
         FROM heat_totals
         WHERE map = $1 AND (months, bucket, kind) IN
             (SELECT * FROM UNNEST($2::int2[], $3::timestamptz[], $4::int2[]))
         ORDER BY months, bucket, kind
         FOR UPDATE",
    )
    .bind(map)
    .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.2).collect::<Vec<_>>())
    .fetch_all(&mut **tx)
    .await?;
    // Every row merged in memory, then written back in one statement.
    let mut merged_rows = Vec::with_capacity(rows.len());
    for (months, bucket, kind, xs, ys, kts, tts, ns) in rows {
        let Some((_, new)) = cells.kinds().into_iter().find(|(k, _)| *k == kind) else {
            continue;
        };
        if xs.len() != ns.len() || ys.len() != ns.len() || kts.len() != ns.len() {
            return Err(StoreError::Corrupt(format!(
                "heat_totals {map} {bucket} kind {kind}: arrays of different lengths"
            )));
        }
        let mut merged: BTreeMap<HeatKey, i32> = new.clone();
        for i in 0..ns.len() {
            *merged.entry((xs[i], ys[i], kts[i], tts[i])).or_insert(0) += ns[i];
        }
        merged.retain(|_, n| *n != 0);
        merged_rows.push((months, bucket, kind, merged));
    }
    if merged_rows.is_empty() {
        return Ok(());
    }
    let mut written = QueryBuilder::<Postgres>::new(
        "UPDATE heat_totals t SET cell_x = v.cx, cell_y = v.cy, killer_team = v.kt,
             target_team = v.tt, n = v.n
         FROM (",
    );
    written.push_values(&merged_rows, |mut v, (months, bucket, kind, merged)| {
        v.push_bind(*months)
            .push_bind(*bucket)
            .push_bind(*kind)
            .push_bind(merged.keys().map(|k| k.0).collect::<Vec<_>>())
            .push_bind(merged.keys().map(|k| k.1).collect::<Vec<_>>())
            .push_bind(merged.keys().map(|k| k.2).collect::<Vec<_>>())
            .push_bind(merged.keys().map(|k| k.3).collect::<Vec<_>>())
            .push_bind(merged.values().copied().collect::<Vec<_>>());
    });
    written
        .push(
            ") AS v(months, bucket, kind, cx, cy, kt, tt, n)
             WHERE t.months = v.months AND t.bucket = v.bucket AND t.kind = v.kind AND t.map = ",
        )
        .push_bind(map);
    written.build().execute(&mut **tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_counts_in_its_utc_month_and_year() {
        let t = Utc.with_ymd_and_hms(2025, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(
            periods(t),
            [
                (1, Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap()),
                (12, Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap())
            ]
        );
    }
}
