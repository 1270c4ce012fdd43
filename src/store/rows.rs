//! A round's rows, table by table, in binary COPY format: plain functions of the parsed round and
//! its metrics. The importer builds them on a blocking thread and hands each table over as soon
//! as it is built, so that PostgreSQL writes one table while the next is being built
//! (`insert::store_round`).

use std::collections::BTreeMap;

use super::StoreError;
use super::codec::{Cell, encode_attackers, encode_cells, encode_positions, encode_track_path};
use super::copy::CopyRows;
use super::heat::RoundHeat;
use super::insert::{killer_team, team_code};
use crate::format::{Outcome, Round};
use crate::metrics::{RoundMetrics, death_position};

/// Grid of the presence cells that movement heatmaps are smoothed from (units).
pub const PRESENCE_CELL: f64 = 128.0;

/// What the importer needs besides the tables, once they are all built.
pub struct Built {
    pub metrics: RoundMetrics,
    pub heat: RoundHeat,
}

/// Builds every per-round table of `round` (stored as `round_id`), handing each to `emit` in
/// writing order; the metrics are derived by `derive` in between, once the tables that need only
/// the file are handed over. Stops early, returning `None`, when `emit` returns false (the
/// writer has given up).
pub fn build(
    round_id: i64,
    round: &Round,
    derive: impl FnOnce(&Round) -> RoundMetrics,
    mut emit: impl FnMut(CopyRows) -> bool,
) -> Result<Option<Built>, StoreError> {
    // Each table is handed over as soon as it is built.
    macro_rules! hand_over {
        ($($rows:expr),+ $(,)?) => {
            $(if !emit($rows) {
                return Ok(None);
            })+
        };
    }
    hand_over!(
        engagement_rows(round_id, round)?,
        reaction_rows(round_id, round)?,
        objective_rows(round_id, round)?,
        kill_cell_rows(round_id, round)?,
        movement_cell_rows(round_id, round)?,
    );
    let ([presence, round_presence], all_players) = presence_rows(round_id, round)?;
    hand_over!(presence, round_presence);
    let metrics = derive(round);
    hand_over!(
        round_player_rows(round_id, round, &metrics)?,
        life_rows(round_id, round, &metrics)?,
        pair_rows(round_id, &metrics)?,
        teamplay_rows(round_id, &metrics)?,
        trade_event_rows(round_id, &metrics)?,
        player_trade_rows(round_id, &metrics)?,
        support_rows(round_id, &metrics)?,
    );
    let heat = RoundHeat::of(round, &all_players);
    Ok(Some(Built { metrics, heat }))
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
            .put(encode_positions(&e.positions))?
            .put(encode_attackers(&e.attackers))?;
    }
    Ok(rows)
}

fn reaction_rows(round_id: i64, round: &Round) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "reactions",
        &[
            "round_id",
            "ord",
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
    for (ord, x) in round.reactions.iter().flatten().enumerate() {
        rows.row()?
            .put(round_id)?
            .put(ord as i32)?
            .put(x.engagement_id as i32)?
            .put(x.target_guid.as_str())?
            .put(team_code(x.target_team))?
            .put(x.target_class.as_str())?
            .put(x.outcome.as_str())?
            .put(x.num_attackers as i16)?
            .put(x.return_fire_ms.map(|v| v as i32))?
            .put(x.dodge_reaction_ms.map(|v| v as i32))?
            .put(x.support_reaction_ms.map(|v| v as i32))?;
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
fn presence_rows(round_id: i64, round: &Round) -> Result<([CopyRows; 2], Vec<Cell>), StoreError> {
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
    let mut players = CopyRows::new("presence", &["round_id", "guid", "cells", "samples"]);
    for mine in visits.chunk_by(|a, b| a.0 == b.0) {
        players
            .row()?
            .put(round_id)?
            .put(guids[mine[0].0 as usize])?
            .put(encode_cells(&count_runs(mine.iter().map(|v| (v.1, v.2)))))?
            .put(mine.len() as i32)?;
    }
    let mut everyone: Vec<(i32, i32)> = visits.iter().map(|v| (v.1, v.2)).collect();
    everyone.sort_unstable();
    let all = count_runs(everyone.into_iter());
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
    Ok(([players, together], all))
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

fn life_rows(round_id: i64, round: &Round, m: &RoundMetrics) -> Result<CopyRows, StoreError> {
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
    for l in &m.lives {
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
            .put(encode_track_path(&t.path))?;
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

fn trade_event_rows(round_id: i64, m: &RoundMetrics) -> Result<CopyRows, StoreError> {
    let mut rows = CopyRows::new(
        "trade_events",
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
            "attempt_guids",
            "succeeded",
            "trader_guid",
            "trade_delay_ms",
            "isolated",
            "nearest_teammate_guid",
            "nearest_teammate_distance",
        ],
    );
    for e in &m.trades.events {
        rows.row()?
            .put(round_id)?
            .put(e.engagement_id as i32)?
            .put(e.victim_guid.as_str())?
            .put(e.killer_guid.as_str())?
            .put(e.death_time as i32)?
            .put(e.death_x as f32)?
            .put(e.death_y as f32)?
            .put(e.opportunities as i32)?
            .put(&e.opportunity_guids)?
            .put(e.attempted)?
            .put(&e.attempt_guids)?
            .put(e.succeeded)?
            .put(e.trader_guid.as_deref())?
            .put(e.trade_delay_ms.map(|d| d as i32))?
            .put(e.isolated)?
            .put(e.nearest_teammate_guid.as_deref())?
            .put(e.nearest_teammate_distance.map(|d| d as f32))?;
    }
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
