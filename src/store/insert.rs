//! Writing one round: every table in one transaction, each table in one `UNNEST` statement.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};

use super::StoreError;
use super::codec::{Cell, encode_cells, encode_positions, encode_track_path};
use super::heat;
use crate::format::{Engagement, Outcome, Round, Team};
use crate::metrics::{RoundMetrics, death_position};
use crate::names;

/// Grid of the presence cells that movement heatmaps are smoothed from (units).
pub const PRESENCE_CELL: f64 = 128.0;

/// A parsed round ready to be stored.
pub struct StoredRound<'a> {
    pub file_name: &'a str,
    pub sha256: [u8; 32],
    pub file_bytes: i64,
    pub played_at: DateTime<Utc>,
    pub round: &'a Round,
}

/// What storing a round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A new round, with its id.
    Imported { round_id: i64 },
    /// The same content was stored before (under this or another name).
    AlreadyImported { round_id: i64 },
}

impl ImportOutcome {
    pub fn round_id(self) -> i64 {
        match self {
            ImportOutcome::Imported { round_id } | ImportOutcome::AlreadyImported { round_id } => {
                round_id
            }
        }
    }
}

pub(crate) fn team_code(t: Team) -> i16 {
    match t {
        Team::Axis => 1,
        Team::Allies => 2,
    }
}

/// Stores a round and its metrics in one transaction. The same content again (any file name)
/// stores nothing and reports the existing round; two tasks storing the same content at once
/// store it once (the second waits on the unique content hash, then sees the first's row).
///
/// `metrics` is awaited only once the round's own rows are written, so that the metrics can be
/// derived on another thread meanwhile (see `import::import_bytes`).
pub async fn store_round(
    pool: &PgPool,
    r: &StoredRound<'_>,
    metrics: impl Future<Output = Result<RoundMetrics, StoreError>>,
) -> Result<ImportOutcome, StoreError> {
    if let Some(id) = existing(pool, &r.sha256).await? {
        return Ok(ImportOutcome::AlreadyImported { round_id: id });
    }
    let mut tx = pool.begin().await?;
    // The pool plans every statement with its values (store::connect), which is right for the
    // reads but would re-plan the statements below on every import.
    // An import lost to a crash before its commit reached the disk is still in the folder and
    // not in the import log, so the next scan imports it again: no need to wait for the flush.
    sqlx::raw_sql("SET LOCAL plan_cache_mode = auto; SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    // The per-round tables have no foreign key (migrations/0004), so the round's row can come
    // last, once the metrics it summarises are known.
    let round_id: i64 = sqlx::query_scalar("SELECT nextval('rounds_id_seq')")
        .fetch_one(&mut *tx)
        .await?;
    insert_engagements(&mut tx, round_id, r.round).await?;
    let presence = insert_presence(&mut tx, round_id, r.round).await?;
    insert_cells(&mut tx, round_id, r.round).await?;
    insert_optional_sections(&mut tx, round_id, r.round).await?;
    let m = metrics.await?;
    insert_players(&mut tx, round_id, r, &m).await?;
    insert_lives(&mut tx, round_id, r.round, &m).await?;
    insert_derived(&mut tx, round_id, &m).await?;
    if !insert_round_row(&mut tx, round_id, r, &m).await? {
        tx.rollback().await?;
        let id = existing(pool, &r.sha256)
            .await?
            .ok_or_else(|| StoreError::Corrupt("round vanished after a conflict".into()))?;
        return Ok(ImportOutcome::AlreadyImported { round_id: id });
    }
    // The monthly and yearly totals (migrations/0003_rollups.sql); the heatmap cells merged
    // here rather than by rollup_heat.
    sqlx::query("SELECT rollup_figures(ARRAY[$1], 1)")
        .bind(round_id)
        .execute(&mut *tx)
        .await?;
    let cells = heat::RoundHeat::of(r.round, &presence);
    heat::add(&mut tx, &r.round.header.map, r.played_at, &cells).await?;
    tx.commit().await?;
    Ok(ImportOutcome::Imported { round_id })
}

async fn existing(pool: &PgPool, sha: &[u8; 32]) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM rounds WHERE content_sha256 = $1")
            .bind(&sha[..])
            .fetch_optional(pool)
            .await?,
    )
}

/// Writes the round's row; false when a round with the same content exists.
async fn insert_round_row(
    tx: &mut Transaction<'_, Postgres>,
    round_id: i64,
    r: &StoredRound<'_>,
    m: &RoundMetrics,
) -> Result<bool, StoreError> {
    let h = &r.round.header;
    let s = &m.summary;
    let params = json!({
        "tracker": {
            "crossfire_window_ms": h.crossfire_window_ms,
            "escape_time_ms": h.escape_time_ms,
            "escape_distance": h.escape_distance,
            "position_sample_interval_ms": h.position_sample_interval_ms,
            "axis_spawn_interval_ms": h.axis_spawn_interval_ms,
            "allies_spawn_interval_ms": h.allies_spawn_interval_ms,
            "test_mode": h.test_mode,
        },
        "metrics": m.params,
    });
    let capabilities: serde_json::Map<String, serde_json::Value> = h
        .capabilities
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let skipped: Vec<_> = r
        .round
        .skipped
        .iter()
        .map(|s| json!({"name": s.name, "rows": s.rows}))
        .collect();
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO rounds (id, content_sha256, file_name, map, round_number, start_unix,
             end_unix, played_at, duration_ms, banner, tracker_version, capabilities, params,
             skipped_sections, has_end_marker, file_bytes, engagement_count, crossfire_count,
             escape_count, kill_count, player_count, support_mean_pct)
         VALUES ($22,$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)
         ON CONFLICT (content_sha256) DO NOTHING
         RETURNING id",
    )
    .bind(&r.sha256[..])
    .bind(r.file_name)
    .bind(&h.map)
    .bind(i16::from(h.round))
    .bind(h.round_start_unix)
    .bind(h.round_end_unix)
    .bind(r.played_at)
    .bind(s.duration_ms)
    .bind(h.banner.as_str())
    .bind(&h.tracker_version_full)
    .bind(serde_json::Value::Object(capabilities))
    .bind(params)
    .bind(serde_json::Value::Array(skipped))
    .bind(r.round.has_end_marker)
    .bind(r.file_bytes)
    .bind(s.engagements as i32)
    .bind(s.crossfires as i32)
    .bind(s.escapes as i32)
    .bind(s.kills as i32)
    .bind(s.players as i32)
    .bind(s.support_mean_pct)
    .bind(round_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id.is_some())
}

async fn insert_players(
    tx: &mut Transaction<'_, Postgres>,
    round_id: i64,
    r: &StoredRound<'_>,
    m: &RoundMetrics,
) -> Result<(), StoreError> {
    let round = r.round;
    // Per-round players: every GUID with a life, with the latest name and team seen.
    let mut by_guid: BTreeMap<&str, (Vec<u8>, i16, i32, i64)> = BTreeMap::new();
    for (track, life) in round.tracks.iter().zip(&m.lives) {
        let entry = by_guid
            .entry(track.guid.as_str())
            .or_insert_with(|| (Vec::new(), 0, 0, 0));
        entry.0 = track.name.0.clone();
        entry.1 = team_code(track.team);
        entry.2 += 1;
        entry.3 += life.alive_ms;
    }
    // Players seen only in engagements (no track) still get a directory entry.
    let mut directory: BTreeMap<&str, &[u8]> = BTreeMap::new();
    for e in &round.engagements {
        directory.insert(&e.target_guid, e.target_name.as_bytes());
        for a in &e.attackers {
            directory.insert(&a.guid, a.name.as_bytes());
        }
    }
    for (guid, (name, ..)) in &by_guid {
        directory.insert(guid, name);
    }

    let guids: Vec<&str> = by_guid.keys().copied().collect();
    let names: Vec<&[u8]> = by_guid.values().map(|v| v.0.as_slice()).collect();
    let teams: Vec<i16> = by_guid.values().map(|v| v.1).collect();
    let lives: Vec<i32> = by_guid.values().map(|v| v.2).collect();
    let alive: Vec<i64> = by_guid.values().map(|v| v.3).collect();
    sqlx::query(
        "INSERT INTO round_players (round_id, guid, name, team, lives, alive_ms)
         SELECT $1, * FROM UNNEST($2::text[], $3::bytea[], $4::int2[], $5::int4[], $6::int8[])",
    )
    .bind(round_id)
    .bind(&guids)
    .bind(&names)
    .bind(&teams)
    .bind(&lives)
    .bind(&alive)
    .execute(&mut **tx)
    .await?;

    // Skip names that are empty (other trackers' bug) so a good name is never overwritten.
    let entries: Vec<(&str, &[u8])> = directory
        .into_iter()
        .filter(|(_, n)| !names::clean_name(n).is_empty())
        .collect();
    let d_guids: Vec<&str> = entries.iter().map(|e| e.0).collect();
    let d_names: Vec<&[u8]> = entries.iter().map(|e| e.1).collect();
    let d_display: Vec<String> = entries.iter().map(|e| names::clean_name(e.1)).collect();
    let d_keys: Vec<String> = entries.iter().map(|e| names::match_key(e.1)).collect();
    sqlx::query(
        "INSERT INTO players (guid, name, display_name, match_key, last_seen)
         SELECT g, n, d, k, $5 FROM UNNEST($1::text[], $2::bytea[], $3::text[], $4::text[]) AS t(g, n, d, k)
         ON CONFLICT (guid) DO UPDATE SET name = EXCLUDED.name, display_name = EXCLUDED.display_name,
             match_key = EXCLUDED.match_key, last_seen = EXCLUDED.last_seen
         WHERE players.last_seen <= EXCLUDED.last_seen",
    )
    .bind(&d_guids)
    .bind(&d_names)
    .bind(&d_display)
    .bind(&d_keys)
    .bind(r.played_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The killer's team, from the attackers; `None` when unknown.
pub(crate) fn killer_team(e: &Engagement) -> Option<i16> {
    let killer = e.killer_guid.as_deref()?;
    e.attackers
        .iter()
        .find(|a| a.guid == killer)
        .map(|a| team_code(a.team))
}

async fn insert_engagements(
    tx: &mut Transaction<'_, Postgres>,
    round_id: i64,
    round: &Round,
) -> Result<(), StoreError> {
    let es = &round.engagements;
    let n = es.len();
    let ord: Vec<i32> = (0..n as i32).collect();
    let col = |f: &dyn Fn(&Engagement) -> i32| es.iter().map(f).collect::<Vec<i32>>();
    let real = |f: &dyn Fn(&Engagement) -> f32| es.iter().map(f).collect::<Vec<f32>>();
    let death: Vec<Option<(f32, f32)>> = es
        .iter()
        .map(|e| {
            (e.outcome == Outcome::Killed).then(|| {
                let p = death_position(e);
                (p.x as f32, p.y as f32)
            })
        })
        .collect();
    sqlx::query(
        "INSERT INTO engagements (round_id, ord, engagement_id, start_ms, end_ms, duration_ms,
             target_guid, target_name, target_team, outcome, total_damage, killer_guid, killer_name,
             killer_team, num_attackers, is_crossfire, crossfire_delay_ms, crossfire_participants,
             start_x, start_y, start_z, end_x, end_y, end_z, death_x, death_y, distance_traveled,
             positions)
         SELECT $1, o, eid, s, e, d, tg, tn, tt, oc, td, kg, kn, kt, na, cf, cd,
                string_to_array(cp, ','), sx, sy, sz, ex, ey, ez, dx, dy, dt, p
         FROM UNNEST($2::int4[], $3::int4[], $4::int4[], $5::int4[], $6::int4[], $7::text[],
                     $8::bytea[], $9::int2[], $10::text[], $11::int4[], $12::text[], $13::bytea[],
                     $14::int2[], $15::int2[], $16::bool[], $17::int4[], $18::text[], $19::float4[],
                     $20::float4[], $21::float4[], $22::float4[], $23::float4[], $24::float4[],
                     $25::float4[], $26::float4[], $27::float4[], $28::bytea[])
              AS t(o, eid, s, e, d, tg, tn, tt, oc, td, kg, kn, kt, na, cf, cd, cp, sx, sy, sz,
                   ex, ey, ez, dx, dy, dt, p)",
    )
    .bind(round_id)
    .bind(&ord)
    .bind(col(&|e| e.id as i32))
    .bind(col(&|e| e.start_time as i32))
    .bind(col(&|e| e.end_time as i32))
    .bind(col(&|e| e.duration as i32))
    .bind(
        es.iter()
            .map(|e| e.target_guid.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        es.iter()
            .map(|e| e.target_name.as_bytes())
            .collect::<Vec<_>>(),
    )
    .bind(
        es.iter()
            .map(|e| team_code(e.target_team))
            .collect::<Vec<_>>(),
    )
    .bind(es.iter().map(|e| e.outcome.as_str()).collect::<Vec<_>>())
    .bind(col(&|e| e.total_damage as i32))
    .bind(
        es.iter()
            .map(|e| e.killer_guid.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        es.iter()
            .map(|e| e.killer_name.as_ref().map(|n| n.as_bytes()))
            .collect::<Vec<_>>(),
    )
    .bind(es.iter().map(killer_team).collect::<Vec<_>>())
    .bind(
        es.iter()
            .map(|e| e.num_attackers as i16)
            .collect::<Vec<_>>(),
    )
    .bind(es.iter().map(|e| e.is_crossfire).collect::<Vec<_>>())
    .bind(
        es.iter()
            .map(|e| e.crossfire_delay.map(|d| d as i32))
            .collect::<Vec<_>>(),
    )
    .bind(
        es.iter()
            .map(|e| e.crossfire_participants.join(","))
            .collect::<Vec<_>>(),
    )
    .bind(real(&|e| e.start.x as f32))
    .bind(real(&|e| e.start.y as f32))
    .bind(real(&|e| e.start.z as f32))
    .bind(real(&|e| e.end.x as f32))
    .bind(real(&|e| e.end.y as f32))
    .bind(real(&|e| e.end.z as f32))
    .bind(death.iter().map(|d| d.map(|d| d.0)).collect::<Vec<_>>())
    .bind(death.iter().map(|d| d.map(|d| d.1)).collect::<Vec<_>>())
    .bind(real(&|e| e.distance_traveled as f32))
    .bind(
        es.iter()
            .map(|e| encode_positions(&e.positions))
            .collect::<Vec<_>>(),
    )
    .execute(&mut **tx)
    .await?;

    let mut a_ord = Vec::new();
    let mut a_idx = Vec::new();
    let mut a_guid = Vec::new();
    let mut a_name = Vec::new();
    let mut a_team = Vec::new();
    let mut a_damage = Vec::new();
    let mut a_hits = Vec::new();
    let mut a_first = Vec::new();
    let mut a_last = Vec::new();
    let mut a_kill = Vec::new();
    let mut a_weapons = Vec::new();
    for (i, e) in es.iter().enumerate() {
        for (j, a) in e.attackers.iter().enumerate() {
            a_ord.push(i as i32);
            a_idx.push(j as i16);
            a_guid.push(a.guid.as_str());
            a_name.push(a.name.as_bytes());
            a_team.push(team_code(a.team));
            a_damage.push(a.damage as i32);
            a_hits.push(a.hits as i32);
            a_first.push(a.first_hit as i32);
            a_last.push(a.last_hit as i32);
            a_kill.push(a.got_kill);
            a_weapons.push(
                a.weapons
                    .iter()
                    .map(|(w, c)| format!("{w},{c}"))
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
    }
    sqlx::query(
        "INSERT INTO engagement_attackers (round_id, ord, attacker_ord, guid, name, team, damage,
             hits, first_hit_ms, last_hit_ms, got_kill, weapons)
         SELECT $1, o, ao, g, n, t, d, h, f, l, k, string_to_array(w, ',')::int4[]
         FROM UNNEST($2::int4[], $3::int2[], $4::text[], $5::bytea[], $6::int2[], $7::int4[],
                     $8::int4[], $9::int4[], $10::int4[], $11::bool[], $12::text[])
              AS t(o, ao, g, n, t, d, h, f, l, k, w)",
    )
    .bind(round_id)
    .bind(&a_ord)
    .bind(&a_idx)
    .bind(&a_guid)
    .bind(&a_name)
    .bind(&a_team)
    .bind(&a_damage)
    .bind(&a_hits)
    .bind(&a_first)
    .bind(&a_last)
    .bind(&a_kill)
    .bind(&a_weapons)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_lives(
    tx: &mut Transaction<'_, Postgres>,
    round_id: i64,
    round: &Round,
    m: &RoundMetrics,
) -> Result<(), StoreError> {
    let tracks = &round.tracks;
    let lives = &m.lives;
    let pairs: Vec<_> = lives
        .iter()
        .filter_map(|l| tracks.get(l.track_index).map(|t| (t, l)))
        .collect();
    sqlx::query(
        "INSERT INTO lives (round_id, life_ord, guid, name, team, class, spawn_ms, death_ms,
             first_move_ms, death_type, samples, alive_ms, distance, avg_speed, peak_speed,
             sprint_pct, standing_pct, crouched_pct, prone_pct, time_to_first_move_ms, died, path)
         SELECT $1, * FROM UNNEST($2::int4[], $3::text[], $4::bytea[], $5::int2[], $6::text[],
             $7::int4[], $8::int4[], $9::int4[], $10::text[], $11::int4[], $12::int8[],
             $13::float8[], $14::float8[], $15::float8[], $16::float8[], $17::float8[],
             $18::float8[], $19::float8[], $20::int8[], $21::bool[], $22::bytea[])",
    )
    .bind(round_id)
    .bind(
        pairs
            .iter()
            .map(|(_, l)| l.track_index as i32)
            .collect::<Vec<_>>(),
    )
    .bind(
        pairs
            .iter()
            .map(|(t, _)| t.guid.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        pairs
            .iter()
            .map(|(t, _)| t.name.as_bytes())
            .collect::<Vec<_>>(),
    )
    .bind(
        pairs
            .iter()
            .map(|(t, _)| team_code(t.team))
            .collect::<Vec<_>>(),
    )
    .bind(
        pairs
            .iter()
            .map(|(t, _)| t.class.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        pairs
            .iter()
            .map(|(t, _)| t.spawn_time as i32)
            .collect::<Vec<_>>(),
    )
    .bind(
        pairs
            .iter()
            .map(|(t, _)| t.death_time.map(|d| d as i32))
            .collect::<Vec<_>>(),
    )
    .bind(
        pairs
            .iter()
            .map(|(t, _)| t.first_move_time.map(|d| d as i32))
            .collect::<Vec<_>>(),
    )
    .bind(
        pairs
            .iter()
            .map(|(t, _)| t.death_type.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        pairs
            .iter()
            .map(|(t, _)| t.path.len() as i32)
            .collect::<Vec<_>>(),
    )
    .bind(pairs.iter().map(|(_, l)| l.alive_ms).collect::<Vec<_>>())
    .bind(pairs.iter().map(|(_, l)| l.distance).collect::<Vec<_>>())
    .bind(pairs.iter().map(|(_, l)| l.avg_speed).collect::<Vec<_>>())
    .bind(pairs.iter().map(|(_, l)| l.peak_speed).collect::<Vec<_>>())
    .bind(pairs.iter().map(|(_, l)| l.sprint_pct).collect::<Vec<_>>())
    .bind(
        pairs
            .iter()
            .map(|(_, l)| l.standing_pct)
            .collect::<Vec<_>>(),
    )
    .bind(
        pairs
            .iter()
            .map(|(_, l)| l.crouched_pct)
            .collect::<Vec<_>>(),
    )
    .bind(pairs.iter().map(|(_, l)| l.prone_pct).collect::<Vec<_>>())
    .bind(
        pairs
            .iter()
            .map(|(_, l)| l.time_to_first_move_ms)
            .collect::<Vec<_>>(),
    )
    .bind(pairs.iter().map(|(_, l)| l.died).collect::<Vec<_>>())
    .bind(
        pairs
            .iter()
            .map(|(t, _)| encode_track_path(&t.path))
            .collect::<Vec<_>>(),
    )
    .execute(&mut **tx)
    .await?;

    Ok(())
}

/// Presence: path samples per player, and for all players, on a 128-unit grid. Returns the
/// all-players cells, sorted.
async fn insert_presence(
    tx: &mut Transaction<'_, Postgres>,
    round_id: i64,
    round: &Round,
) -> Result<Vec<Cell>, StoreError> {
    let cell = |v: f64| (v / PRESENCE_CELL).floor().clamp(-1e6, 1e6) as i32;
    // One (player, cell) per sample, sorted and counted: several times faster than a map
    // updated per sample (~67,000 samples in a 24-player round).
    let mut guids: Vec<&str> = round.tracks.iter().map(|t| t.guid.as_str()).collect();
    guids.sort_unstable();
    guids.dedup();
    let mut visits: Vec<(u32, i32, i32)> = Vec::new();
    for t in &round.tracks {
        let player = guids.binary_search(&t.guid.as_str()).unwrap_or(0) as u32;
        visits.extend(
            t.path
                .iter()
                .map(|s| (player, cell(s.pos.x), cell(s.pos.y))),
        );
    }
    visits.sort_unstable();
    // One row per player with samples.
    let mut with_samples = Vec::with_capacity(guids.len());
    let mut blobs = Vec::with_capacity(guids.len());
    let mut samples = Vec::with_capacity(guids.len());
    for mine in visits.chunk_by(|a, b| a.0 == b.0) {
        with_samples.push(guids[mine[0].0 as usize]);
        samples.push(mine.len() as i64);
        blobs.push(encode_cells(&count_runs(mine.iter().map(|v| (v.1, v.2)))));
    }
    sqlx::query(
        "INSERT INTO presence (round_id, guid, cells, samples)
         SELECT $1, g, c, s::int4 FROM UNNEST($2::text[], $3::bytea[], $4::int8[]) AS t(g, c, s)",
    )
    .bind(round_id)
    .bind(&with_samples)
    .bind(&blobs)
    .bind(&samples)
    .execute(&mut **tx)
    .await?;

    let mut everyone: Vec<(i32, i32)> = visits.iter().map(|v| (v.1, v.2)).collect();
    everyone.sort_unstable();
    let all = count_runs(everyone.into_iter());
    // All players together, as arrays the movement totals are summed from in SQL.
    sqlx::query(
        "INSERT INTO round_presence (round_id, cell_x, cell_y, samples) VALUES ($1, $2, $3, $4)",
    )
    .bind(round_id)
    .bind(all.iter().map(|c| c.0.0).collect::<Vec<i32>>())
    .bind(all.iter().map(|c| c.0.1).collect::<Vec<i32>>())
    .bind(all.iter().map(|c| c.1 as i32).collect::<Vec<i32>>())
    .execute(&mut **tx)
    .await?;
    Ok(all)
}

/// Counts the runs of equal cells of a sorted sequence.
fn count_runs(sorted: impl Iterator<Item = (i32, i32)>) -> Vec<Cell> {
    let mut out: Vec<Cell> = Vec::new();
    for c in sorted {
        match out.last_mut() {
            Some((last, n)) if *last == c => *n += 1,
            _ => out.push((c, 1)),
        }
    }
    out
}

async fn insert_cells(
    tx: &mut Transaction<'_, Postgres>,
    round_id: i64,
    round: &Round,
) -> Result<(), StoreError> {
    // Other trackers write hash order and may repeat a cell: sum duplicates.
    let mut kills: BTreeMap<(i32, i32), (i32, i32)> = BTreeMap::new();
    for c in &round.kill_heatmap {
        let e = kills.entry((c.grid_x as i32, c.grid_y as i32)).or_default();
        e.0 += c.axis_kills as i32;
        e.1 += c.allies_kills as i32;
    }
    sqlx::query(
        "INSERT INTO kill_cells (round_id, grid_x, grid_y, axis_kills, allies_kills)
         SELECT $1, * FROM UNNEST($2::int4[], $3::int4[], $4::int4[], $5::int4[])",
    )
    .bind(round_id)
    .bind(kills.keys().map(|k| k.0).collect::<Vec<_>>())
    .bind(kills.keys().map(|k| k.1).collect::<Vec<_>>())
    .bind(kills.values().map(|v| v.0).collect::<Vec<_>>())
    .bind(kills.values().map(|v| v.1).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;

    let mut moves: BTreeMap<(i32, i32), (i32, i32, i32)> = BTreeMap::new();
    for c in &round.movement_heatmap {
        let e = moves.entry((c.grid_x as i32, c.grid_y as i32)).or_default();
        e.0 += c.traversal as i32;
        e.1 += c.combat as i32;
        e.2 += c.escape as i32;
    }
    sqlx::query(
        "INSERT INTO movement_cells (round_id, grid_x, grid_y, traversal, combat, escape)
         SELECT $1, * FROM UNNEST($2::int4[], $3::int4[], $4::int4[], $5::int4[], $6::int4[])",
    )
    .bind(round_id)
    .bind(moves.keys().map(|k| k.0).collect::<Vec<_>>())
    .bind(moves.keys().map(|k| k.1).collect::<Vec<_>>())
    .bind(moves.values().map(|v| v.0).collect::<Vec<_>>())
    .bind(moves.values().map(|v| v.1).collect::<Vec<_>>())
    .bind(moves.values().map(|v| v.2).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_derived(
    tx: &mut Transaction<'_, Postgres>,
    round_id: i64,
    m: &RoundMetrics,
) -> Result<(), StoreError> {
    let p = &m.pairs;
    sqlx::query(
        "INSERT INTO pair_stats (round_id, guid_a, guid_b, crossfires, crossfire_kills,
             combined_damage, delay_sum_ms, delay_count, together)
         SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::int4[], $5::int4[], $6::int4[],
             $7::int8[], $8::int4[], $9::bool[])",
    )
    .bind(round_id)
    .bind(p.iter().map(|x| x.guid_a.as_str()).collect::<Vec<_>>())
    .bind(p.iter().map(|x| x.guid_b.as_str()).collect::<Vec<_>>())
    .bind(p.iter().map(|x| x.crossfires as i32).collect::<Vec<_>>())
    .bind(
        p.iter()
            .map(|x| x.crossfire_kills as i32)
            .collect::<Vec<_>>(),
    )
    .bind(
        p.iter()
            .map(|x| x.combined_damage as i32)
            .collect::<Vec<_>>(),
    )
    .bind(p.iter().map(|x| x.delay_sum_ms).collect::<Vec<_>>())
    .bind(p.iter().map(|x| x.delay_count as i32).collect::<Vec<_>>())
    .bind(p.iter().map(|x| x.rounds_together > 0).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;

    let t = &m.teamplay;
    let int = |f: &dyn Fn(&crate::metrics::PlayerTeamplay) -> i64| {
        t.iter().map(|x| f(x) as i32).collect::<Vec<i32>>()
    };
    sqlx::query(
        "INSERT INTO player_teamplay (round_id, guid, team, kills, deaths, damage_dealt,
             crossfire_participations, crossfire_kills, crossfire_damage, crossfire_delay_sum_ms,
             crossfire_delay_count, solo_kills, times_targeted, times_focused, focus_escapes,
             focus_deaths, solo_escapes, solo_deaths, escapes, engagement_duration_sum_ms,
             damage_taken)
         SELECT $1, * FROM UNNEST($2::text[], $3::int2[], $4::int4[], $5::int4[], $6::int4[],
             $7::int4[], $8::int4[], $9::int4[], $10::int8[], $11::int4[], $12::int4[],
             $13::int4[], $14::int4[], $15::int4[], $16::int4[], $17::int4[], $18::int4[],
             $19::int4[], $20::int8[], $21::int4[])",
    )
    .bind(round_id)
    .bind(t.iter().map(|x| x.guid.as_str()).collect::<Vec<_>>())
    .bind(t.iter().map(|x| team_code(x.team)).collect::<Vec<_>>())
    .bind(int(&|x| x.kills))
    .bind(int(&|x| x.deaths))
    .bind(int(&|x| x.damage_dealt))
    .bind(int(&|x| x.crossfire_participations))
    .bind(int(&|x| x.crossfire_kills))
    .bind(int(&|x| x.crossfire_damage))
    .bind(
        t.iter()
            .map(|x| x.crossfire_delay_sum_ms)
            .collect::<Vec<_>>(),
    )
    .bind(int(&|x| x.crossfire_delay_count))
    .bind(int(&|x| x.solo_kills))
    .bind(int(&|x| x.times_targeted))
    .bind(int(&|x| x.times_focused))
    .bind(int(&|x| x.focus_escapes))
    .bind(int(&|x| x.focus_deaths))
    .bind(int(&|x| x.solo_escapes))
    .bind(int(&|x| x.solo_deaths))
    .bind(int(&|x| x.escapes))
    .bind(
        t.iter()
            .map(|x| x.engagement_duration_sum_ms)
            .collect::<Vec<_>>(),
    )
    .bind(int(&|x| x.damage_taken))
    .execute(&mut **tx)
    .await?;

    let ev = &m.trades.events;
    sqlx::query(
        "INSERT INTO trade_events (round_id, engagement_id, victim_guid, killer_guid, death_ms,
             death_x, death_y, opportunities, opportunity_guids, attempted, attempt_guids,
             succeeded, trader_guid, trade_delay_ms, isolated, nearest_teammate_guid,
             nearest_teammate_distance)
         SELECT $1, eid, v, k, d, x, y, o, string_to_array(og, ','), a, string_to_array(ag, ','),
                s, tg, td, i, ng, nd
         FROM UNNEST($2::int4[], $3::text[], $4::text[], $5::int4[], $6::float4[], $7::float4[],
             $8::int4[], $9::text[], $10::bool[], $11::text[], $12::bool[], $13::text[],
             $14::int4[], $15::bool[], $16::text[], $17::float4[])
             AS t(eid, v, k, d, x, y, o, og, a, ag, s, tg, td, i, ng, nd)",
    )
    .bind(round_id)
    .bind(
        ev.iter()
            .map(|e| e.engagement_id as i32)
            .collect::<Vec<_>>(),
    )
    .bind(
        ev.iter()
            .map(|e| e.victim_guid.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        ev.iter()
            .map(|e| e.killer_guid.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(ev.iter().map(|e| e.death_time as i32).collect::<Vec<_>>())
    .bind(ev.iter().map(|e| e.death_x as f32).collect::<Vec<_>>())
    .bind(ev.iter().map(|e| e.death_y as f32).collect::<Vec<_>>())
    .bind(
        ev.iter()
            .map(|e| e.opportunities as i32)
            .collect::<Vec<_>>(),
    )
    .bind(
        ev.iter()
            .map(|e| e.opportunity_guids.join(","))
            .collect::<Vec<_>>(),
    )
    .bind(ev.iter().map(|e| e.attempted).collect::<Vec<_>>())
    .bind(
        ev.iter()
            .map(|e| e.attempt_guids.join(","))
            .collect::<Vec<_>>(),
    )
    .bind(ev.iter().map(|e| e.succeeded).collect::<Vec<_>>())
    .bind(
        ev.iter()
            .map(|e| e.trader_guid.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        ev.iter()
            .map(|e| e.trade_delay_ms.map(|d| d as i32))
            .collect::<Vec<_>>(),
    )
    .bind(ev.iter().map(|e| e.isolated).collect::<Vec<_>>())
    .bind(
        ev.iter()
            .map(|e| e.nearest_teammate_guid.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        ev.iter()
            .map(|e| e.nearest_teammate_distance.map(|d| d as f32))
            .collect::<Vec<_>>(),
    )
    .execute(&mut **tx)
    .await?;

    let pt = &m.trades.players;
    sqlx::query(
        "INSERT INTO player_trades (round_id, guid, deaths, deaths_traded, trades_made,
             trade_attempts, isolation_deaths, trade_opportunities, missed_trade_chances)
         SELECT $1, * FROM UNNEST($2::text[], $3::int4[], $4::int4[], $5::int4[], $6::int4[],
             $7::int4[], $8::int4[], $9::int4[])",
    )
    .bind(round_id)
    .bind(pt.iter().map(|x| x.guid.as_str()).collect::<Vec<_>>())
    .bind(pt.iter().map(|x| x.deaths as i32).collect::<Vec<_>>())
    .bind(
        pt.iter()
            .map(|x| x.deaths_traded as i32)
            .collect::<Vec<_>>(),
    )
    .bind(pt.iter().map(|x| x.trades_made as i32).collect::<Vec<_>>())
    .bind(
        pt.iter()
            .map(|x| x.trade_attempts as i32)
            .collect::<Vec<_>>(),
    )
    .bind(
        pt.iter()
            .map(|x| x.isolation_deaths as i32)
            .collect::<Vec<_>>(),
    )
    .bind(
        pt.iter()
            .map(|x| x.trade_opportunities as i32)
            .collect::<Vec<_>>(),
    )
    .bind(
        pt.iter()
            .map(|x| x.missed_trade_chances as i32)
            .collect::<Vec<_>>(),
    )
    .execute(&mut **tx)
    .await?;

    let sp = &m.support.players;
    sqlx::query(
        "INSERT INTO player_support (round_id, guid, samples, supported_samples)
         SELECT $1, * FROM UNNEST($2::text[], $3::int4[], $4::int4[])",
    )
    .bind(round_id)
    .bind(sp.iter().map(|x| x.guid.as_str()).collect::<Vec<_>>())
    .bind(sp.iter().map(|x| x.samples as i32).collect::<Vec<_>>())
    .bind(
        sp.iter()
            .map(|x| x.supported_samples as i32)
            .collect::<Vec<_>>(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_optional_sections(
    tx: &mut Transaction<'_, Postgres>,
    round_id: i64,
    round: &Round,
) -> Result<(), StoreError> {
    if let Some(rs) = &round.reactions {
        sqlx::query(
            "INSERT INTO reactions (round_id, ord, engagement_id, target_guid, target_team,
                 target_class, outcome, num_attackers, return_fire_ms, dodge_reaction_ms,
                 support_reaction_ms)
             SELECT $1, * FROM UNNEST($2::int4[], $3::int4[], $4::text[], $5::int2[], $6::text[],
                 $7::text[], $8::int2[], $9::int4[], $10::int4[], $11::int4[])",
        )
        .bind(round_id)
        .bind((0..rs.len() as i32).collect::<Vec<_>>())
        .bind(
            rs.iter()
                .map(|x| x.engagement_id as i32)
                .collect::<Vec<_>>(),
        )
        .bind(
            rs.iter()
                .map(|x| x.target_guid.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            rs.iter()
                .map(|x| team_code(x.target_team))
                .collect::<Vec<_>>(),
        )
        .bind(
            rs.iter()
                .map(|x| x.target_class.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(rs.iter().map(|x| x.outcome.as_str()).collect::<Vec<_>>())
        .bind(
            rs.iter()
                .map(|x| x.num_attackers as i16)
                .collect::<Vec<_>>(),
        )
        .bind(
            rs.iter()
                .map(|x| x.return_fire_ms.map(|v| v as i32))
                .collect::<Vec<_>>(),
        )
        .bind(
            rs.iter()
                .map(|x| x.dodge_reaction_ms.map(|v| v as i32))
                .collect::<Vec<_>>(),
        )
        .bind(
            rs.iter()
                .map(|x| x.support_reaction_ms.map(|v| v as i32))
                .collect::<Vec<_>>(),
        )
        .execute(&mut **tx)
        .await?;
    }
    if let Some(os) = &round.objective_focus {
        sqlx::query(
            "INSERT INTO objective_focus (round_id, ord, guid, team, objective, avg_distance,
                 time_within_radius_ms, samples)
             SELECT $1, * FROM UNNEST($2::int4[], $3::text[], $4::int2[], $5::bytea[],
                 $6::float4[], $7::int4[], $8::int4[])",
        )
        .bind(round_id)
        .bind((0..os.len() as i32).collect::<Vec<_>>())
        .bind(os.iter().map(|x| x.guid.as_str()).collect::<Vec<_>>())
        .bind(os.iter().map(|x| team_code(x.team)).collect::<Vec<_>>())
        .bind(
            os.iter()
                .map(|x| x.objective.as_bytes())
                .collect::<Vec<_>>(),
        )
        .bind(os.iter().map(|x| x.avg_distance as f32).collect::<Vec<_>>())
        .bind(
            os.iter()
                .map(|x| x.time_within_radius_ms as i32)
                .collect::<Vec<_>>(),
        )
        .bind(os.iter().map(|x| x.samples as i32).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
