//! Adding stored rounds to the monthly and yearly totals (`player_totals`, `pair_totals`,
//! `heat_totals`, `weapon_totals`) in batches. Each round counts in its server's rows and in the
//! rows of all servers together ([`ALL_SERVERS`]), as the view `round_scopes` says.
//!
//! An import lists its round in `totals_pending` instead of adding it to the
//! totals itself: the queries read a pending round from its per-round rows, so it counts in
//! every figure at once. Once [`BATCH`] rounds are pending, the import that saw it adds them
//! all in one transaction. The same players play most rounds of a month, so a batch upserts
//! about the rows one round would, and the heatmap rows are rewritten once per batch instead
//! of once per round.
//!
//! The player and pair figures are added by the SQL function `rollup_totals`. The heatmap cells
//! (the deaths listed with each round by the importer, `import::rows::death_cells`, and the
//! presence of `round_presence`) are merged here, in memory: the SQL function `rollup_heat` does
//! the same from the same rows (it does for deletions), but its array merges cost more. The
//! store tests compare the two after imports and deletions.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder, Transaction};

use super::StoreError;
use crate::heat::HeatCell;

/// The scope of the total rows that count every server's rounds (beside each server's own
/// rows): not a server label, which cannot hold `*`.
pub const ALL_SERVERS: &str = "*";

/// How many pending rounds make an import add them to the totals.
pub const BATCH: i64 = 16;

/// The most rounds added in one transaction.
const MAX_BATCH: i64 = 256;

/// Adds up to [`MAX_BATCH`] pending rounds to the totals, in one transaction; returns how many.
/// Rounds claimed by another transaction doing the same are skipped, so two callers add
/// different rounds.
pub async fn add_pending(pool: &PgPool) -> Result<usize, StoreError> {
    let mut tx = pool.begin().await?;
    // As for an import (write::begin_round): a crash before the flush leaves the rounds
    // pending, to be added by the next batch.
    sqlx::raw_sql("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    let claimed: Vec<Claimed> = sqlx::query_as(
        "DELETE FROM totals_pending WHERE round_id IN (
             SELECT round_id FROM totals_pending ORDER BY round_id LIMIT $1
             FOR UPDATE SKIP LOCKED)
         RETURNING round_id, cell_x, cell_y, killer_team, target_team, n",
    )
    .bind(MAX_BATCH)
    .fetch_all(&mut *tx)
    .await?;
    if claimed.is_empty() {
        tx.rollback().await?;
        return Ok(0);
    }
    let ids: Vec<i64> = claimed.iter().map(|c| c.0).collect();
    sqlx::query("SELECT rollup_totals($1, 1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    let heat = batch_heat(&mut tx, claimed).await?;
    add_heat(&mut tx, heat).await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// Adds every pending round to the totals.
pub async fn add_all_pending(pool: &PgPool) -> Result<usize, StoreError> {
    let mut added = 0;
    loop {
        match add_pending(pool).await? {
            0 => return Ok(added),
            n => added += n,
        }
    }
}

/// A pending round's id and death cells (`import::rows::death_cells`) as parallel arrays.
type Claimed = (i64, Vec<i32>, Vec<i32>, Vec<i16>, Vec<i16>, Vec<i32>);

/// A row of `heat_totals`: map, server, months, bucket and kind (1 deaths, 2 presence, 3
/// objective play).
type TotalKey = (String, String, i16, DateTime<Utc>, i16);

/// Cells and their counts.
type Cells = HashMap<HeatCell, i32>;

/// The month and the year (UTC) a round played at `t` counts in, as `(months, bucket)`: the
/// buckets of the `round_periods` view.
fn periods(t: DateTime<Utc>) -> [(i16, DateTime<Utc>); 2] {
    let start = |y: i32, m: u32| Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(t);
    [(1, start(t.year(), t.month())), (12, start(t.year(), 1))]
}

fn same_lengths(lengths: &[usize]) -> bool {
    lengths.windows(2).all(|w| w[0] == w[1])
}

/// The claimed rounds' cells, summed per row of `heat_totals`: the deaths from their listing, the
/// presence from `round_presence`.
async fn batch_heat(
    tx: &mut Transaction<'_, Postgres>,
    claimed: Vec<Claimed>,
) -> Result<BTreeMap<TotalKey, Cells>, StoreError> {
    let ids: Vec<i64> = claimed.iter().map(|c| c.0).collect();
    // Map, server, played at, then the presence cells as parallel arrays (none for a round
    // without).
    type Presence = (
        i64,
        String,
        String,
        DateTime<Utc>,
        Option<Vec<i32>>,
        Option<Vec<i32>>,
        Option<Vec<i32>>,
    );
    let rounds: Vec<Presence> = sqlx::query_as(
        "SELECT r.id, r.map, r.server, r.played_at, c.cell_x, c.cell_y, c.samples
         FROM rounds r LEFT JOIN round_presence c ON c.round_id = r.id
         WHERE r.id = ANY ($1)",
    )
    .bind(&ids)
    .fetch_all(&mut **tx)
    .await?;
    // Summed per month first (one map, server and month per round), then months into years.
    let mut months: BTreeMap<(String, String, DateTime<Utc>, i16), Cells> = BTreeMap::new();
    let mut deaths: HashMap<i64, Claimed> = claimed.into_iter().map(|c| (c.0, c)).collect();
    let mut round_months: HashMap<i64, (String, String, DateTime<Utc>)> = HashMap::new();
    for (id, map, server, played_at, xs, ys, ns) in rounds {
        let [(_, month), _] = periods(played_at);
        round_months.insert(id, (map.clone(), server.clone(), month));
        if let Some((_, xs, ys, kts, tts, ns)) = deaths.remove(&id) {
            if !same_lengths(&[xs.len(), ys.len(), kts.len(), tts.len(), ns.len()]) {
                return Err(StoreError::Corrupt(format!(
                    "totals_pending of round {id}: arrays of different lengths"
                )));
            }
            let cells = months
                .entry((map.clone(), server.clone(), month, 1))
                .or_default();
            for i in 0..ns.len() {
                *cells.entry((xs[i], ys[i], kts[i], tts[i])).or_insert(0) += ns[i];
            }
        }
        let (xs, ys, ns) = (
            xs.unwrap_or_default(),
            ys.unwrap_or_default(),
            ns.unwrap_or_default(),
        );
        if !same_lengths(&[xs.len(), ys.len(), ns.len()]) {
            return Err(StoreError::Corrupt(format!(
                "round_presence of round {id}: arrays of different lengths"
            )));
        }
        let cells = months.entry((map, server, month, 2)).or_default();
        for i in 0..ns.len() {
            *cells.entry((xs[i], ys[i], 0, 0)).or_insert(0) += ns[i];
        }
    }
    // The objective heat (kind 3), binned by the same SQL function rollup_heat reads.
    let objective: Vec<(i64, i32, i32, i16, i32)> =
        sqlx::query_as("SELECT round_id, x, y, team, n FROM objective_cells($1)")
            .bind(&ids)
            .fetch_all(&mut **tx)
            .await?;
    for (id, x, y, team, n) in objective {
        let Some((map, server, month)) = round_months.get(&id) else {
            continue;
        };
        let cells = months
            .entry((map.clone(), server.clone(), *month, 3))
            .or_default();
        *cells.entry((x, y, team, 0)).or_insert(0) += n;
    }
    // Every server's cells count on all servers too.
    let mut all: BTreeMap<(String, String, DateTime<Utc>, i16), Cells> = BTreeMap::new();
    for ((map, _, month, kind), cells) in &months {
        let sum = all
            .entry((map.clone(), ALL_SERVERS.to_string(), *month, *kind))
            .or_default();
        for (&key, &n) in cells {
            *sum.entry(key).or_insert(0) += n;
        }
    }
    months.extend(all);
    let mut rows: BTreeMap<TotalKey, Cells> = BTreeMap::new();
    for ((map, server, month, kind), cells) in months {
        let [_, (_, year)] = periods(month);
        let year_cells = rows
            .entry((map.clone(), server.clone(), 12, year, kind))
            .or_default();
        for (&key, &n) in &cells {
            *year_cells.entry(key).or_insert(0) += n;
        }
        rows.insert((map, server, 1, month, kind), cells);
    }
    Ok(rows)
}

/// Adds cells to their rows of `heat_totals`.
async fn add_heat(
    tx: &mut Transaction<'_, Postgres>,
    heat: BTreeMap<TotalKey, Cells>,
) -> Result<(), StoreError> {
    if heat.is_empty() {
        return Ok(());
    }
    let keys: Vec<&TotalKey> = heat.keys().collect();
    let maps: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let servers: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
    let months: Vec<i16> = keys.iter().map(|k| k.2).collect();
    let buckets: Vec<DateTime<Utc>> = keys.iter().map(|k| k.3).collect();
    let kinds: Vec<i16> = keys.iter().map(|k| k.4).collect();
    // Rows must exist to be locked; created and then locked in key order, like rollup_heat.
    sqlx::query(
        "INSERT INTO heat_totals (months, bucket, map, server, kind, cell_x, cell_y, killer_team,
             target_team, n)
         SELECT m, b, map, s, k, '{}', '{}', '{}', '{}', '{}'
         FROM UNNEST($1::text[], $2::text[], $3::int2[], $4::timestamptz[], $5::int2[])
             AS u(map, s, m, b, k)
         ORDER BY m, b, map COLLATE \"C\", s COLLATE \"C\", k
         ON CONFLICT (months, bucket, map, server, kind) DO NOTHING",
    )
    .bind(&maps)
    .bind(&servers)
    .bind(&months)
    .bind(&buckets)
    .bind(&kinds)
    .execute(&mut **tx)
    .await?;
    type Row = (
        String,
        String,
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
        "SELECT map, server, months, bucket, kind, cell_x, cell_y, killer_team, target_team, n
         FROM heat_totals
         WHERE (map, server, months, bucket, kind) IN
             (SELECT * FROM UNNEST($1::text[], $2::text[], $3::int2[], $4::timestamptz[],
                                   $5::int2[]))
         ORDER BY months, bucket, map COLLATE \"C\", server COLLATE \"C\", kind
         FOR UPDATE",
    )
    .bind(&maps)
    .bind(&servers)
    .bind(&months)
    .bind(&buckets)
    .bind(&kinds)
    .fetch_all(&mut **tx)
    .await?;
    // Every row merged in memory (sorted by cell), then written back in one statement.
    let mut merged_rows = Vec::with_capacity(rows.len());
    for (map, server, months, bucket, kind, xs, ys, kts, tts, ns) in rows {
        let key = (map, server, months, bucket, kind);
        let Some(new) = heat.get(&key) else {
            continue;
        };
        if !same_lengths(&[xs.len(), ys.len(), kts.len(), tts.len(), ns.len()]) {
            return Err(StoreError::Corrupt(format!(
                "heat_totals {} {} {bucket} kind {kind}: arrays of different lengths",
                key.0, key.1
            )));
        }
        let mut merged: BTreeMap<HeatCell, i32> = new.iter().map(|(&k, &n)| (k, n)).collect();
        for i in 0..ns.len() {
            *merged.entry((xs[i], ys[i], kts[i], tts[i])).or_insert(0) += ns[i];
        }
        merged.retain(|_, n| *n != 0);
        merged_rows.push((key, merged));
    }
    if merged_rows.is_empty() {
        return Ok(());
    }
    let mut written = QueryBuilder::<Postgres>::new(
        "UPDATE heat_totals t SET cell_x = v.cx, cell_y = v.cy, killer_team = v.kt,
             target_team = v.tt, n = v.n
         FROM (",
    );
    written.push_values(
        &merged_rows,
        |mut v, ((map, server, months, bucket, kind), merged)| {
            v.push_bind(map.as_str())
                .push_bind(server.as_str())
                .push_bind(*months)
                .push_bind(*bucket)
                .push_bind(*kind)
                .push_bind(merged.keys().map(|k| k.0).collect::<Vec<_>>())
                .push_bind(merged.keys().map(|k| k.1).collect::<Vec<_>>())
                .push_bind(merged.keys().map(|k| k.2).collect::<Vec<_>>())
                .push_bind(merged.keys().map(|k| k.3).collect::<Vec<_>>())
                .push_bind(merged.values().copied().collect::<Vec<_>>());
        },
    );
    written.push(
        ") AS v(map, server, months, bucket, kind, cx, cy, kt, tt, n)
         WHERE t.map = v.map AND t.server = v.server AND t.months = v.months
           AND t.bucket = v.bucket AND t.kind = v.kind",
    );
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
