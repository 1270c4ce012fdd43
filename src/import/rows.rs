//! A round's rows, table by table, in binary COPY format: plain functions of the parsed round and
//! its metrics. The importer builds them on a blocking thread and hands each table over as soon
//! as it is built, so that PostgreSQL writes one table while the next is being built
//! (`pipeline`).

use std::collections::BTreeMap;

use crate::format::{Engagement, Outcome, Round};
use crate::heat::{HeatCell, KILL_BIN, PRESENCE_CELL};
use crate::metrics::{
    ClearingKill, LifeProfile, MetricParams, PlayerSums, RoundMetrics, StagedMetrics, SumValue,
    TradeEvent, death_position, player_sums, round_teams, weapon_uses,
};
use crate::store::StoreError;
use crate::store::codec::{
    Cell, encode_attackers_into, encode_cells, encode_positions_into, encode_track_path_into,
    team_code,
};
use crate::store::copy::CopyRows;

/// The killer's team, from the attackers; `None` when unknown.
pub fn killer_team(e: &Engagement) -> Option<i16> {
    let killer = e.killer_guid.as_deref()?;
    e.attackers
        .iter()
        .find(|a| a.guid == killer)
        .map(|a| team_code(a.team))
}

/// The round's deaths by [`HeatCell`], as `rollup_heat` bins them from the stored engagements:
/// the position as stored (`real`), binned in single precision.
pub fn death_cells(round: &Round) -> BTreeMap<HeatCell, i32> {
    let mut cells = BTreeMap::new();
    for e in &round.engagements {
        if e.outcome != Outcome::Killed {
            continue;
        }
        let p = death_position(e);
        let bin = |v: f64| ((v as f32) / KILL_BIN as f32).floor() as i32;
        let killer = killer_team(e).unwrap_or(0);
        *cells
            .entry((bin(p.x), bin(p.y), killer, team_code(e.target_team)))
            .or_insert(0) += 1;
    }
    cells
}

/// Builds every per-round table of `round` (stored as `round_id`), handing each to `emit` in
/// writing order, and derives the round's metrics (on this thread) in between: the lives' once
/// the tables that need only the file are handed over, the rest once the lives' rows are.
/// Stops early, returning `None`, when `emit` returns false (the writer has given up).
pub fn build(
    round_id: i64,
    round: &Round,
    params: &MetricParams,
    mut emit: impl FnMut(CopyRows) -> bool,
) -> Result<Option<RoundMetrics>, StoreError> {
    // Each table is handed over as soon as it is built.
    macro_rules! hand_over {
        ($($rows:expr),+ $(,)?) => {
            $(if !emit($rows) {
                return Ok(None);
            })+
        };
    }
    // The first table is the quickest to build and takes PostgreSQL long enough to write that
    // the next is ready by then.
    hand_over!(
        reaction_rows(round_id, round)?,
        engagement_rows(round_id, round)?,
        objective_rows(round_id, round)?,
        kill_cell_rows(round_id, round)?,
        movement_cell_rows(round_id, round)?,
    );
    let [presence, round_presence] = presence_rows(round_id, round)?;
    hand_over!(presence, round_presence);
    // The lives' rows, the largest, go as soon as their profiles are derived; PostgreSQL writes
    // them while the rest is derived.
    let staged = StagedMetrics::lives_first(round, params);
    hand_over!(life_rows(round_id, round, staged.lives())?);
    let metrics = staged.finish();
    hand_over!(
        round_player_rows(round_id, round, &metrics)?,
        pair_rows(round_id, &metrics)?,
        teamplay_rows(round_id, &metrics)?,
        trade_event_rows(round_id, &metrics)?,
        player_trade_rows(round_id, &metrics)?,
        support_rows(round_id, &metrics)?,
        player_round_total_rows(round_id, round, &metrics)?,
        revive_rows(round_id, round)?,
        kill_outcome_rows(round_id, round)?,
        spawn_timing_rows(round_id, round)?,
        weapon_rows(round_id, round)?,
        objective_event_rows(round_id, round)?,
        carry_rows(round_id, round)?,
        carrier_return_rows(round_id, round)?,
        escort_rows(round_id, round)?,
        objective_run_rows(round_id, &metrics)?,
    );
    Ok(Some(metrics))
}

fn engagement_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "engagements",
        &[
            "round_id",
            "ord",
            "engagement_id",
            "start_ms",
            "end_ms",
            "duration_ms",
            "target_guid",
            "target_name",
            "target_team",
            "outcome",
            "total_damage",
            "killer_guid",
            "killer_name",
            "killer_team",
            "num_attackers",
            "is_crossfire",
            "crossfire_delay_ms",
            "crossfire_participants",
            "start_x",
            "start_y",
            "start_z",
            "end_x",
            "end_y",
            "end_z",
            "death_x",
            "death_y",
            "distance_traveled",
            "positions",
            "attackers",
        ],
    );
    // About the size of the rows, so that the buffer is not copied as it grows.
    rows.reserve(
        round
            .engagements
            .iter()
            .map(|e| 320 + 8 * e.positions.len() + 85 * e.attackers.len())
            .sum(),
    );
    for (ord, e) in round.engagements.iter().enumerate() {
        let death = (e.outcome == Outcome::Killed).then(|| death_position(e));
        rows.row()?
            .put(round_id)?
            .put(ord as i32)?
            .put(e.id as i32)?
            .put(e.start_time as i32)?
            .put(e.end_time as i32)?
            .put(e.duration as i32)?
            .put(e.target_guid.as_str())?
            .put(e.target_name.as_bytes())?
            .put(team_code(e.target_team))?
            .put(e.outcome.as_str())?
            .put(e.total_damage as i32)?
            .put(e.killer_guid.as_deref())?
            .put(e.killer_name.as_ref().map(|n| n.as_bytes()))?
            .put(killer_team(e))?
            .put(e.num_attackers as i16)?
            .put(e.is_crossfire)?
            .put(e.crossfire_delay.map(|d| d as i32))?
            .put(&e.crossfire_participants)?
            .put(e.start.x as f32)?
            .put(e.start.y as f32)?
            .put(e.start.z as f32)?
            .put(e.end.x as f32)?
            .put(e.end.y as f32)?
            .put(e.end.z as f32)?
            .put(death.map(|p| p.x as f32))?
            .put(death.map(|p| p.y as f32))?
            .put(e.distance_traveled as f32)?
            .put_bytes_with(|out| encode_positions_into(out, &e.positions))?
            .put_bytes_with(|out| encode_attackers_into(out, &e.attackers))?;
    }
    Ok(rows)
}

/// One field of every item: a column of a table stored as one row of parallel arrays.
fn column<'a, X, T>(items: &'a [X], field: impl Fn(&'a X) -> T) -> Vec<T> {
    items.iter().map(field).collect()
}

/// The reaction metrics, as one row of parallel arrays in file order; none
/// when the file has no such section.
fn reaction_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "round_reactions",
        &[
            "round_id",
            "engagement_id",
            "target_guid",
            "target_team",
            "target_class",
            "outcome",
            "num_attackers",
            "return_fire_ms",
            "dodge_reaction_ms",
            "support_reaction_ms",
        ],
    );
    if let Some(rs) = &round.reactions {
        let ms = |v: Option<i64>| v.map(|v| v as i32);
        rows.row()?
            .put(round_id)?
            .put(column(rs, |x| x.engagement_id as i32))?
            .put(column(rs, |x| x.target_guid.as_str()))?
            .put(column(rs, |x| team_code(x.target_team)))?
            .put(column(rs, |x| x.target_class.as_str()))?
            .put(column(rs, |x| x.outcome.as_str()))?
            .put(column(rs, |x| x.num_attackers as i16))?
            .put(column(rs, |x| ms(x.return_fire_ms)))?
            .put(column(rs, |x| ms(x.dodge_reaction_ms)))?
            .put(column(rs, |x| ms(x.support_reaction_ms)))?;
    }
    Ok(rows)
}

/// The revives, as one row of parallel arrays in file order; none when not recorded.
fn revive_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "round_revives",
        &[
            "round_id",
            "time_ms",
            "medic_guid",
            "revived_guid",
            "x",
            "y",
            "z",
            "distance_to_enemy",
            "nearest_enemy_guid",
            "under_fire",
        ],
    );
    if let Some(rs) = round.revives.as_deref().filter(|r| !r.is_empty()) {
        rows.row()?
            .put(round_id)?
            .put(column(rs, |x| x.time as i32))?
            .put(column(rs, |x| x.medic_guid.as_str()))?
            .put(column(rs, |x| x.revived_guid.as_str()))?
            .put(column(rs, |x| x.pos.x as f32))?
            .put(column(rs, |x| x.pos.y as f32))?
            .put(column(rs, |x| x.pos.z as f32))?
            .put(column(rs, |x| x.distance_to_enemy.map(|d| d as f32)))?
            .put(column(rs, |x| x.nearest_enemy_guid.as_deref()))?
            .put(column(rs, |x| x.under_fire))?;
    }
    Ok(rows)
}

/// How each enemy kill's victim ended, one row of parallel arrays; none when not recorded.
fn kill_outcome_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "round_kill_outcomes",
        &[
            "round_id",
            "kill_time",
            "victim_guid",
            "victim_team",
            "killer_guid",
            "kill_mod",
            "outcome",
            "outcome_time",
            "denied_ms",
            "gibber_guid",
            "reviver_guid",
        ],
    );
    if let Some(ks) = round.kill_outcomes.as_deref().filter(|k| !k.is_empty()) {
        let teams = round_teams(round);
        rows.row()?
            .put(round_id)?
            .put(column(ks, |x| x.kill_time as i32))?
            .put(column(ks, |x| x.victim_guid.as_str()))?
            .put(column(ks, |x| {
                teams
                    .get(x.victim_guid.as_str())
                    .map_or(0, |t| team_code(*t))
            }))?
            .put(column(ks, |x| x.killer_guid.as_str()))?
            .put(column(ks, |x| x.kill_mod as i16))?
            .put(column(ks, |x| x.outcome.as_str()))?
            .put(column(ks, |x| x.outcome_time as i32))?
            .put(column(ks, |x| x.effective_denied_ms.map(|v| v as i32)))?
            .put(column(ks, |x| x.gibber_guid.as_deref()))?
            .put(column(ks, |x| x.reviver_guid.as_deref()))?;
    }
    Ok(rows)
}

/// Each enemy kill against the victim team's wave, one row of parallel arrays; none when not
/// recorded.
fn spawn_timing_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "round_spawn_timings",
        &[
            "round_id",
            "killer_guid",
            "victim_guid",
            "victim_team",
            "kill_time",
            "interval_ms",
            "to_next_ms",
            "score",
        ],
    );
    if let Some(ts) = round.spawn_timing.as_deref().filter(|t| !t.is_empty()) {
        rows.row()?
            .put(round_id)?
            .put(column(ts, |x| x.killer_guid.as_str()))?
            .put(column(ts, |x| x.victim_guid.as_str()))?
            .put(column(ts, |x| team_code(x.victim_team)))?
            .put(column(ts, |x| x.kill_time as i32))?
            .put(column(ts, |x| x.enemy_spawn_interval.map(|v| v as i32)))?
            .put(column(ts, |x| x.time_to_next_spawn.map(|v| v as i32)))?
            .put(column(ts, |x| x.spawn_timing_score))?;
    }
    Ok(rows)
}

/// The objective actions, one row of parallel arrays in file order; none when not recorded.
fn objective_event_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "round_objective_events",
        &[
            "round_id",
            "time_ms",
            "action",
            "guid",
            "team",
            "track_name",
            "x",
            "y",
            "z",
        ],
    );
    if let Some(es) = round.objective_events.as_deref().filter(|e| !e.is_empty()) {
        rows.row()?
            .put(round_id)?
            .put(column(es, |x| x.time as i32))?
            .put(column(es, |x| x.action.as_str()))?
            .put(column(es, |x| x.player_guid.as_str()))?
            .put(column(es, |x| team_code(x.player_team)))?
            .put(column(es, |x| x.track_name.as_bytes()))?
            .put(column(es, |x| x.pos.x as f32))?
            .put(column(es, |x| x.pos.y as f32))?
            .put(column(es, |x| x.pos.z as f32))?;
    }
    Ok(rows)
}

/// The carries of objective items, one row of parallel arrays in file order.
fn carry_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "round_carries",
        &[
            "round_id",
            "carrier_guid",
            "carrier_team",
            "flag_team",
            "pickup_ms",
            "drop_ms",
            "outcome",
            "carry_distance",
            "beeline_distance",
            "pickup_x",
            "pickup_y",
            "drop_x",
            "drop_y",
            "killer_guid",
        ],
    );
    if let Some(cs) = round.carries.as_deref().filter(|c| !c.is_empty()) {
        rows.row()?
            .put(round_id)?
            .put(column(cs, |x| x.carrier_guid.as_str()))?
            .put(column(cs, |x| team_code(x.carrier_team)))?
            .put(column(cs, |x| team_code(x.flag_team)))?
            .put(column(cs, |x| x.pickup_time as i32))?
            .put(column(cs, |x| x.drop_time as i32))?
            .put(column(cs, |x| x.outcome.as_str()))?
            .put(column(cs, |x| x.carry_distance as f32))?
            .put(column(cs, |x| x.beeline_distance as f32))?
            .put(column(cs, |x| x.pickup_pos.x as f32))?
            .put(column(cs, |x| x.pickup_pos.y as f32))?
            .put(column(cs, |x| x.drop_pos.x as f32))?
            .put(column(cs, |x| x.drop_pos.y as f32))?
            .put(column(cs, |x| x.killer_guid.as_deref()))?;
    }
    Ok(rows)
}

/// The returns of dropped items, one row of parallel arrays in file order; a timeout return
/// has no returner (NULL).
fn carrier_return_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "round_carrier_returns",
        &[
            "round_id",
            "return_ms",
            "returner_guid",
            "flag_team",
            "original_carrier_guid",
            "drop_ms",
            "drop_x",
            "drop_y",
        ],
    );
    if let Some(rs) = round.carrier_returns.as_deref().filter(|r| !r.is_empty()) {
        rows.row()?
            .put(round_id)?
            .put(column(rs, |x| x.return_time as i32))?
            .put(column(rs, |x| x.returner.as_ref().map(|w| w.guid.as_str())))?
            .put(column(rs, |x| team_code(x.flag_team)))?
            .put(column(rs, |x| x.original_carrier_guid.as_deref()))?
            .put(column(rs, |x| x.drop_time.map(|v| v as i32)))?
            .put(column(rs, |x| x.drop_pos.map(|p| p.x as f32)))?
            .put(column(rs, |x| x.drop_pos.map(|p| p.y as f32)))?;
    }
    Ok(rows)
}

/// Each player's escort of each vehicle, one row of parallel arrays in file order.
fn escort_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "round_escorts",
        &[
            "round_id",
            "guid",
            "team",
            "vehicle_name",
            "mounted_ms",
            "proximity_ms",
            "escort_distance",
            "credit_distance",
        ],
    );
    if let Some(es) = round.escorts.as_deref().filter(|e| !e.is_empty()) {
        rows.row()?
            .put(round_id)?
            .put(column(es, |x| x.player_guid.as_str()))?
            .put(column(es, |x| team_code(x.player_team)))?
            .put(column(es, |x| x.vehicle_name.as_bytes()))?
            .put(column(es, |x| x.mounted_time_ms as i32))?
            .put(column(es, |x| x.proximity_time_ms as i32))?
            .put(column(es, |x| x.total_escort_distance as f32))?
            .put(column(es, |x| x.credit_distance as f32))?;
    }
    Ok(rows)
}

/// The objective runs, one row of parallel arrays in the order of OBJECTIVE_EVENTS, with their
/// clearing kills flattened after them (`clear_run` indexes the run); none without runs.
fn objective_run_rows(round_id: i64, m: &RoundMetrics) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "round_objective_runs",
        &[
            "round_id",
            "event_index",
            "guid",
            "team",
            "time_ms",
            "approach_ms",
            "path_length",
            "beeline",
            "efficiency",
            "clear_run",
            "clear_guid",
            "clear_ms",
            "clear_x",
            "clear_y",
        ],
    );
    let runs = &m.objective_runs;
    if !runs.is_empty() {
        let clears: Vec<(i32, &ClearingKill)> = runs
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.clears.iter().map(move |k| (i as i32, k)))
            .collect();
        rows.row()?
            .put(round_id)?
            .put(column(runs, |x| x.event_index as i32))?
            .put(column(runs, |x| x.guid.as_str()))?
            .put(column(runs, |x| team_code(x.team)))?
            .put(column(runs, |x| x.time as i32))?
            .put(column(runs, |x| x.approach_ms.map(|v| v as i32)))?
            .put(column(runs, |x| x.path_length as f32))?
            .put(column(runs, |x| x.beeline as f32))?
            .put(column(runs, |x| x.efficiency().map(|v| v as f32)))?
            .put(column(&clears, |x| x.0))?
            .put(column(&clears, |x| x.1.killer_guid.as_str()))?
            .put(column(&clears, |x| x.1.time as i32))?
            .put(column(&clears, |x| x.1.pos.x as f32))?
            .put(column(&clears, |x| x.1.pos.y as f32))?;
    }
    Ok(rows)
}

/// Each player's use of each weapon (`metrics::weapon_uses`).
fn weapon_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "round_weapons",
        &[
            "round_id",
            "guid",
            "weapon",
            "shots",
            "hits",
            "kills",
            "headshots",
            "head",
            "arms",
            "body",
            "legs",
        ],
    );
    for u in weapon_uses(round) {
        let row = rows
            .row()?
            .put(round_id)?
            .put(u.guid.as_str())?
            .put(u.weapon as i16)?
            .put(u.shots as i32)?
            .put(u.hits as i32)?
            .put(u.kills as i32)?
            .put(u.headshots as i32)?;
        for n in u.regions {
            row.put(n as i32)?;
        }
    }
    Ok(rows)
}

fn objective_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "objective_focus",
        &[
            "round_id",
            "ord",
            "guid",
            "team",
            "objective",
            "avg_distance",
            "time_within_radius_ms",
            "samples",
        ],
    );
    for (ord, x) in round.objective_focus.iter().flatten().enumerate() {
        rows.row()?
            .put(round_id)?
            .put(ord as i32)?
            .put(x.guid.as_str())?
            .put(team_code(x.team))?
            .put(x.objective.as_bytes())?
            .put(x.avg_distance as f32)?
            .put(x.time_within_radius_ms as i32)?
            .put(x.samples as i32)?;
    }
    Ok(rows)
}

fn kill_cell_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    // Other trackers write hash order and may repeat a cell: sum duplicates.
    let mut kills: BTreeMap<(i32, i32), (i32, i32)> = BTreeMap::new();
    for c in &round.kill_heatmap {
        let e = kills.entry((c.grid_x as i32, c.grid_y as i32)).or_default();
        e.0 += c.axis_kills as i32;
        e.1 += c.allies_kills as i32;
    }
    let mut rows = CopyRows::new(
        "kill_cells",
        &["round_id", "grid_x", "grid_y", "axis_kills", "allies_kills"],
    );
    for ((x, y), (axis, allies)) in kills {
        rows.row()?
            .put(round_id)?
            .put(x)?
            .put(y)?
            .put(axis)?
            .put(allies)?;
    }
    Ok(rows)
}

fn movement_cell_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    let mut moves: BTreeMap<(i32, i32), (i32, i32, i32)> = BTreeMap::new();
    for c in &round.movement_heatmap {
        let e = moves.entry((c.grid_x as i32, c.grid_y as i32)).or_default();
        e.0 += c.traversal as i32;
        e.1 += c.combat as i32;
        e.2 += c.escape as i32;
    }
    let mut rows = CopyRows::new(
        "movement_cells",
        &[
            "round_id",
            "grid_x",
            "grid_y",
            "traversal",
            "combat",
            "escape",
        ],
    );
    for ((x, y), (traversal, combat, escape)) in moves {
        rows.row()?
            .put(round_id)?
            .put(x)?
            .put(y)?
            .put(traversal)?
            .put(combat)?
            .put(escape)?;
    }
    Ok(rows)
}

/// Presence: path samples per player, and for all players, on a 128-unit grid. Returns the
/// `presence` and `round_presence` rows, and the all-players cells, sorted.
fn presence_rows(round_id: i64, round: &Round) -> Result<[CopyRows; 2], StoreError> {
    // A cell coordinate (clamped to ±10^6) plus 2^20 takes 21 bits, so that a player and a
    // cell pack into one u64 key that sorts like (player, x, y).
    let cell = |v: f64| {
        // floor(v / 128) clamped to ±10^6, without libm's `floor` (see codec's `rounded`).
        let q = (v / PRESENCE_CELL).clamp(-2e6, 2e6);
        let whole = q as i64;
        let floor = if whole as f64 > q { whole - 1 } else { whole };
        (floor.clamp(-1_000_000, 1_000_000) + (1 << 20)) as u64
    };
    let unpack = |key: u64| {
        let coord = |bits: u64| (bits & ((1 << 21) - 1)) as i32 - (1 << 20);
        (coord(key >> 21), coord(key))
    };
    let mut guids: Vec<&str> = round.tracks.iter().map(|t| t.guid.as_str()).collect();
    guids.sort_unstable();
    guids.dedup();
    // Consecutive samples mostly stay in one cell: count runs along each path first, then sort
    // the runs, which are far fewer than the samples.
    let mut visits: Vec<(u64, u32)> = Vec::new();
    for t in &round.tracks {
        let player = guids.binary_search(&t.guid.as_str()).unwrap_or(0) as u64;
        for s in &t.path {
            let key = (player << 42) | (cell(s.pos.x) << 21) | cell(s.pos.y);
            match visits.last_mut() {
                Some((last, n)) if *last == key => *n += 1,
                _ => visits.push((key, 1)),
            }
        }
    }
    visits.sort_unstable_by_key(|v| v.0);
    let visits = sum_runs(visits);
    // One row per player with samples.
    let mut players = CopyRows::new("presence", &["round_id", "guid", "cells", "samples"]);
    let mut everyone: Vec<(u64, u32)> = Vec::with_capacity(visits.len());
    for mine in visits.chunk_by(|a, b| a.0 >> 42 == b.0 >> 42) {
        let cells: Vec<Cell> = mine.iter().map(|&(key, n)| (unpack(key), n)).collect();
        players
            .row()?
            .put(round_id)?
            .put(guids[(mine[0].0 >> 42) as usize])?
            .put(encode_cells(&cells))?
            .put(mine.iter().map(|v| v.1 as i32).sum::<i32>())?;
        everyone.extend(mine.iter().map(|&(key, n)| (key & ((1 << 42) - 1), n)));
    }
    everyone.sort_unstable_by_key(|v| v.0);
    let all: Vec<Cell> = sum_runs(everyone)
        .into_iter()
        .map(|(key, n)| (unpack(key), n))
        .collect();
    // All players together, as arrays the movement totals are summed from in SQL.
    let mut together = CopyRows::new(
        "round_presence",
        &["round_id", "cell_x", "cell_y", "samples"],
    );
    together
        .row()?
        .put(round_id)?
        .put(all.iter().map(|c| c.0.0).collect::<Vec<i32>>())?
        .put(all.iter().map(|c| c.0.1).collect::<Vec<i32>>())?
        .put(all.iter().map(|c| c.1 as i32).collect::<Vec<i32>>())?;
    Ok([players, together])
}

/// Adds up the counts of equal keys of a sequence sorted by key.
fn sum_runs(sorted: Vec<(u64, u32)>) -> Vec<(u64, u32)> {
    let mut out: Vec<(u64, u32)> = Vec::with_capacity(sorted.len());
    for (key, n) in sorted {
        match out.last_mut() {
            Some((last, total)) if *last == key => *total += n,
            _ => out.push((key, n)),
        }
    }
    out
}

/// Per-round players: every GUID with a life, with the latest name and team seen.
fn round_player_rows(
    round_id: i64,
    round: &Round,
    m: &RoundMetrics,
) -> Result<CopyRows, StoreError> {
    let mut by_guid: BTreeMap<&str, (&[u8], i16, i32, i64)> = BTreeMap::new();
    for (track, life) in round.tracks.iter().zip(&m.lives) {
        let entry = by_guid
            .entry(track.guid.as_str())
            .or_insert_with(|| (&[], 0, 0, 0));
        entry.0 = track.name.as_bytes();
        entry.1 = team_code(track.team);
        entry.2 += 1;
        entry.3 += life.alive_ms;
    }
    let mut rows = CopyRows::new(
        "round_players",
        &["round_id", "guid", "name", "team", "lives", "alive_ms"],
    );
    for (guid, (name, team, lives, alive_ms)) in by_guid {
        rows.row()?
            .put(round_id)?
            .put(guid)?
            .put(name)?
            .put(team)?
            .put(lives)?
            .put(alive_ms)?;
    }
    Ok(rows)
}

/// The lives' rows, with their paths encoded in place.
fn life_rows(round_id: i64, round: &Round, lives: &[LifeProfile]) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "lives",
        &[
            "round_id",
            "life_ord",
            "guid",
            "name",
            "team",
            "class",
            "spawn_ms",
            "death_ms",
            "first_move_ms",
            "death_type",
            "samples",
            "alive_ms",
            "distance",
            "avg_speed",
            "peak_speed",
            "sprint_pct",
            "standing_pct",
            "crouched_pct",
            "prone_pct",
            "time_to_first_move_ms",
            "died",
            "path",
        ],
    );
    // About the size of the rows (a path sample's encoding, see codec, and the rest of the
    // row), so that the buffer is not copied as it grows.
    rows.reserve(round.tracks.iter().map(|t| 200 + 6 * t.path.len()).sum());
    for l in lives {
        let Some(t) = round.tracks.get(l.track_index) else {
            continue;
        };
        rows.row()?
            .put(round_id)?
            .put(l.track_index as i32)?
            .put(t.guid.as_str())?
            .put(t.name.as_bytes())?
            .put(team_code(t.team))?
            .put(t.class.as_str())?
            .put(t.spawn_time as i32)?
            .put(t.death_time.map(|d| d as i32))?
            .put(t.first_move_time.map(|d| d as i32))?
            .put(t.death_type.as_str())?
            .put(t.path.len() as i32)?
            .put(l.alive_ms)?
            .put(l.distance)?
            .put(l.avg_speed)?
            .put(l.peak_speed)?
            .put(l.sprint_pct)?
            .put(l.standing_pct)?
            .put(l.crouched_pct)?
            .put(l.prone_pct)?
            .put(l.time_to_first_move_ms)?
            .put(l.died)?
            .put_bytes_with(|out| encode_track_path_into(out, &t.path))?;
    }
    Ok(rows)
}

fn pair_rows(round_id: i64, m: &RoundMetrics) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "pair_stats",
        &[
            "round_id",
            "guid_a",
            "guid_b",
            "crossfires",
            "crossfire_kills",
            "combined_damage",
            "delay_sum_ms",
            "delay_count",
            "together",
        ],
    );
    for p in &m.pairs {
        rows.row()?
            .put(round_id)?
            .put(p.guid_a.as_str())?
            .put(p.guid_b.as_str())?
            .put(p.crossfires as i32)?
            .put(p.crossfire_kills as i32)?
            .put(p.combined_damage as i32)?
            .put(p.delay_sum_ms)?
            .put(p.delay_count as i32)?
            .put(p.rounds_together > 0)?;
    }
    Ok(rows)
}

fn teamplay_rows(round_id: i64, m: &RoundMetrics) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "player_teamplay",
        &[
            "round_id",
            "guid",
            "team",
            "kills",
            "deaths",
            "damage_dealt",
            "crossfire_participations",
            "crossfire_kills",
            "crossfire_damage",
            "crossfire_delay_sum_ms",
            "crossfire_delay_count",
            "solo_kills",
            "times_targeted",
            "times_focused",
            "focus_escapes",
            "focus_deaths",
            "solo_escapes",
            "solo_deaths",
            "escapes",
            "engagement_duration_sum_ms",
            "damage_taken",
        ],
    );
    for x in &m.teamplay {
        rows.row()?
            .put(round_id)?
            .put(x.guid.as_str())?
            .put(team_code(x.team))?
            .put(x.kills as i32)?
            .put(x.deaths as i32)?
            .put(x.damage_dealt as i32)?
            .put(x.crossfire_participations as i32)?
            .put(x.crossfire_kills as i32)?
            .put(x.crossfire_damage as i32)?
            .put(x.crossfire_delay_sum_ms)?
            .put(x.crossfire_delay_count as i32)?
            .put(x.solo_kills as i32)?
            .put(x.times_targeted as i32)?
            .put(x.times_focused as i32)?
            .put(x.focus_escapes as i32)?
            .put(x.focus_deaths as i32)?
            .put(x.solo_escapes as i32)?
            .put(x.solo_deaths as i32)?
            .put(x.escapes as i32)?
            .put(x.engagement_duration_sum_ms)?
            .put(x.damage_taken as i32)?;
    }
    Ok(rows)
}

/// The trade events, as one row of parallel arrays in the order they were derived; none when the round has no kill. Each event's GUID lists are flattened, with their
/// lengths in `opportunities` and `attempts`.
fn trade_event_rows(round_id: i64, m: &RoundMetrics) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "round_trade_events",
        &[
            "round_id",
            "engagement_id",
            "victim_guid",
            "killer_guid",
            "death_ms",
            "death_x",
            "death_y",
            "opportunities",
            "opportunity_guids",
            "attempted",
            "attempts",
            "attempt_guids",
            "succeeded",
            "trader_guid",
            "trade_delay_ms",
            "isolated",
            "nearest_teammate_guid",
            "nearest_teammate_distance",
        ],
    );
    let events = &m.trades.events;
    if events.is_empty() {
        return Ok(rows);
    }
    let flat = |list: fn(&TradeEvent) -> &Vec<String>| -> Vec<&str> {
        events
            .iter()
            .flat_map(|e| list(e).iter().map(String::as_str))
            .collect()
    };
    rows.row()?
        .put(round_id)?
        .put(column(events, |e| e.engagement_id as i32))?
        .put(column(events, |e| e.victim_guid.as_str()))?
        .put(column(events, |e| e.killer_guid.as_str()))?
        .put(column(events, |e| e.death_time as i32))?
        .put(column(events, |e| e.death_x as f32))?
        .put(column(events, |e| e.death_y as f32))?
        .put(column(events, |e| e.opportunity_guids.len() as i32))?
        .put(flat(|e| &e.opportunity_guids))?
        .put(column(events, |e| e.attempted))?
        .put(column(events, |e| e.attempt_guids.len() as i32))?
        .put(flat(|e| &e.attempt_guids))?
        .put(column(events, |e| e.succeeded))?
        .put(column(events, |e| e.trader_guid.as_deref()))?
        .put(column(events, |e| e.trade_delay_ms.map(|d| d as i32)))?
        .put(column(events, |e| e.isolated))?
        .put(column(events, |e| e.nearest_teammate_guid.as_deref()))?
        .put(column(events, |e| {
            e.nearest_teammate_distance.map(|d| d as f32)
        }))?;
    Ok(rows)
}

fn player_trade_rows(round_id: i64, m: &RoundMetrics) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "player_trades",
        &[
            "round_id",
            "guid",
            "deaths",
            "deaths_traded",
            "trades_made",
            "trade_attempts",
            "isolation_deaths",
            "trade_opportunities",
            "missed_trade_chances",
        ],
    );
    for x in &m.trades.players {
        rows.row()?
            .put(round_id)?
            .put(x.guid.as_str())?
            .put(x.deaths as i32)?
            .put(x.deaths_traded as i32)?
            .put(x.trades_made as i32)?
            .put(x.trade_attempts as i32)?
            .put(x.isolation_deaths as i32)?
            .put(x.trade_opportunities as i32)?
            .put(x.missed_trade_chances as i32)?;
    }
    Ok(rows)
}

/// Each player's sums of the round (`metrics::player_sums`), the rows the monthly and yearly
/// totals are summed from.
fn player_round_total_rows(
    round_id: i64,
    round: &Round,
    m: &RoundMetrics,
) -> Result<CopyRows, StoreError> {
    let columns: Vec<&str> = ["round_id", "guid"]
        .into_iter()
        .chain(PlayerSums::COLUMNS.iter().copied())
        .collect();
    let mut rows = CopyRows::new("player_round_totals", &columns);
    for (guid, sums) in player_sums(round, m) {
        let row = rows.row()?.put(round_id)?.put(guid)?;
        for value in sums.values() {
            match value {
                SumValue::Int(v) => row.put(v)?,
                SumValue::Long(v) => row.put(v)?,
                SumValue::Real(v) => row.put(v)?,
            };
        }
    }
    Ok(rows)
}

fn support_rows(round_id: i64, m: &RoundMetrics) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "player_support",
        &["round_id", "guid", "samples", "supported_samples"],
    );
    for x in &m.support.players {
        rows.row()?
            .put(round_id)?
            .put(x.guid.as_str())?
            .put(x.samples as i32)?
            .put(x.supported_samples as i32)?;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{self, MetricParams};
    use crate::synth::{SynthOptions, synth_round};

    #[test]
    fn deaths_are_binned_with_the_killer_team_or_0_when_unknown() {
        let mut round = synth_round(&SynthOptions::new("supply", 1, 6, 120, 9));
        let killed: Vec<usize> = (0..round.engagements.len())
            .filter(|&i| round.engagements[i].outcome == Outcome::Killed)
            .collect();
        assert!(killed.len() > 2);
        let e = &mut round.engagements[killed[0]];
        e.killer_guid = None;
        e.positions.clear();
        e.end = crate::format::Vec3::new(-0.5, 127.9, 0.0);
        let cells = death_cells(&round);
        assert_eq!(cells.values().sum::<i32>() as usize, killed.len());
        let unknown: Vec<_> = cells.iter().filter(|(k, _)| k.2 == 0).collect();
        assert_eq!(
            unknown,
            [(
                &(
                    -1,
                    1,
                    0,
                    team_code(round.engagements[killed[0]].target_team)
                ),
                &1
            )]
        );
    }

    #[test]
    fn every_table_is_handed_over_once_in_writing_order_with_its_rows() {
        let round = synth_round(&SynthOptions::new("supply", 1, 6, 120, 9));
        let mut tables: Vec<(String, u64)> = Vec::new();
        let metrics = build(7, &round, &MetricParams::default(), |rows| {
            tables.push((rows.table().to_string(), rows.row_count()));
            true
        })
        .expect("builds")
        .expect("not stopped");
        assert_eq!(metrics, metrics::derive(&round, &MetricParams::default()));
        let names: Vec<&str> = tables.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "round_reactions",
                "engagements",
                "objective_focus",
                "kill_cells",
                "movement_cells",
                "presence",
                "round_presence",
                "lives",
                "round_players",
                "pair_stats",
                "player_teamplay",
                "round_trade_events",
                "player_trades",
                "player_support",
                "player_round_totals",
                "round_revives",
                "round_kill_outcomes",
                "round_spawn_timings",
                "round_weapons",
                "round_objective_events",
                "round_carries",
                "round_carrier_returns",
                "round_escorts",
                "round_objective_runs",
            ]
        );
        let rows = |name: &str| tables.iter().find(|t| t.0 == name).map(|t| t.1);
        let players = round
            .tracks
            .iter()
            .map(|t| t.guid.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64;
        assert_eq!(rows("engagements"), Some(round.engagements.len() as u64));
        assert_eq!(
            rows("round_reactions"),
            Some(u64::from(round.reactions.is_some()))
        );
        assert_eq!(rows("lives"), Some(round.tracks.len() as u64));
        assert_eq!(rows("round_players"), Some(players));
        assert_eq!(rows("presence"), Some(players));
        assert_eq!(rows("round_presence"), Some(1));
        assert_eq!(rows("pair_stats"), Some(metrics.pairs.len() as u64));
        assert_eq!(rows("round_trade_events"), Some(1));
        assert!(!metrics.trades.events.is_empty());
        assert!(rows("engagements") > Some(0) && players == 6);
    }

    #[test]
    fn a_writer_that_gives_up_stops_the_building() {
        let round = synth_round(&SynthOptions::new("supply", 1, 4, 60, 3));
        let mut handed = 0;
        let built = build(7, &round, &MetricParams::default(), |_| {
            handed += 1;
            handed < 2
        })
        .expect("no error");
        assert!(built.is_none());
        assert_eq!(handed, 2);
    }
}
