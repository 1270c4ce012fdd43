//! A round's replay as one compact binary: a JSON header (players, lives, deaths, crossfires,
//! escapes, objective actions, the map's frame) and every life's positions every
//! [`STEP_MS`], quantised to [`QUANTUM`] units and delta-coded in one byte per axis.
//!
//! Layout: the bytes `PXR1`, the header's length (u32, little-endian), the header (UTF-8
//! JSON), then per life in the header's order its first position as two i16 (x, y in quanta,
//! little-endian) and per further sample two i8 deltas; a delta pair whose x is −128 is
//! followed by the position as two i16 (a jump the deltas cannot reach). A 64-player, 30-minute
//! round is ~1.2 MB this way, where JSON numbers would be ~4 MB. Hand-written because the gain
//! comes from the layout (fixed steps, byte deltas), which no general serialisation format does.

use std::collections::HashMap;

use serde::Serialize;

use super::frame::Frame;
use crate::format::TrackSample;
use crate::names::clean_name;
use crate::store::queries::{ReplayRows, RoundHeadline};

/// Time between two positions of a life.
pub const STEP_MS: i64 = 200;
/// World units per step of a quantised position.
pub const QUANTUM: f64 = 4.0;
pub const MAGIC: &[u8; 4] = b"PXR1";
/// The marker of a position written in full instead of as deltas.
const JUMP: i8 = i8::MIN;

#[derive(Serialize)]
struct Header<'a> {
    version: u32,
    round: RoundInfo<'a>,
    step_ms: i64,
    quantum: f64,
    frame: &'a Frame,
    players: Vec<PlayerInfo>,
    /// `[player, team, spawn_ms, samples]`.
    lives: Vec<[i64; 4]>,
    /// `[t, x, y, victim, killer or -1]`.
    deaths: Vec<[i64; 5]>,
    /// `[t, x, y, target, participants…]`.
    crossfires: Vec<Vec<i64>>,
    /// `[t, x, y, player]`.
    escapes: Vec<[i64; 4]>,
    objectives: Vec<ObjectiveInfo>,
}

#[derive(Serialize)]
struct RoundInfo<'a> {
    id: i64,
    map: &'a str,
    round_number: i16,
    duration_ms: i64,
    played_at: String,
    winner: Option<i16>,
}

#[derive(Serialize)]
struct PlayerInfo {
    guid: String,
    name: String,
    team: i16,
}

#[derive(Serialize)]
struct ObjectiveInfo {
    t: i64,
    x: i64,
    y: i64,
    /// The actor's player index, or −1.
    player: i64,
    team: i16,
    action: String,
    name: String,
}

/// A life's positions every [`STEP_MS`] from `spawn_ms` to its last sample: at each step the
/// last sample at or before it (the first sample before the path starts).
pub fn resample(path: &[TrackSample], spawn_ms: i64) -> Vec<(f64, f64)> {
    let Some(last) = path.last() else {
        return Vec::new();
    };
    let steps = ((last.time - spawn_ms).max(0) / STEP_MS) as usize + 1;
    let mut out = Vec::with_capacity(steps);
    let mut i = 0;
    for k in 0..steps {
        let t = spawn_ms + k as i64 * STEP_MS;
        while i + 1 < path.len() && path[i + 1].time <= t {
            i += 1;
        }
        out.push((path[i].pos.x, path[i].pos.y));
    }
    out
}

fn quantise(v: f64) -> i16 {
    (v / QUANTUM)
        .round()
        .clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
}

fn put_position(out: &mut Vec<u8>, x: i16, y: i16) {
    out.extend_from_slice(&x.to_le_bytes());
    out.extend_from_slice(&y.to_le_bytes());
}

/// Appends a life's positions in the layout of the module's documentation.
fn put_track(out: &mut Vec<u8>, positions: &[(f64, f64)]) {
    let mut prev: Option<(i16, i16)> = None;
    for &(x, y) in positions {
        let (qx, qy) = (quantise(x), quantise(y));
        match prev {
            None => put_position(out, qx, qy),
            Some((px, py)) => {
                let (dx, dy) = (i32::from(qx) - i32::from(px), i32::from(qy) - i32::from(py));
                match (i8::try_from(dx), i8::try_from(dy)) {
                    (Ok(dx), Ok(dy)) if dx != JUMP => out.extend_from_slice(&[dx as u8, dy as u8]),
                    _ => {
                        out.extend_from_slice(&[JUMP as u8, 0]);
                        put_position(out, qx, qy);
                    }
                }
            }
        }
        prev = Some((qx, qy));
    }
}

/// Decodes the tracks written by [`encode`] for lives of the given sample counts (the tests'
/// and the bench's check of the layout; the page has its own decoder in JavaScript).
pub fn decode_tracks(mut bytes: &[u8], counts: &[usize]) -> Option<Vec<Vec<(f64, f64)>>> {
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, rest) = bytes.split_at_checked(n)?;
        bytes = rest;
        Some(head)
    };
    let mut out = Vec::with_capacity(counts.len());
    for &n in counts {
        let mut life = Vec::with_capacity(n);
        let (mut x, mut y) = (0i16, 0i16);
        for k in 0..n {
            let full = if k == 0 {
                true
            } else {
                let d = take(2)?;
                if d[0] as i8 == JUMP {
                    true
                } else {
                    x = x.wrapping_add(i16::from(d[0] as i8));
                    y = y.wrapping_add(i16::from(d[1] as i8));
                    false
                }
            };
            if full {
                let p = take(4)?;
                x = i16::from_le_bytes([p[0], p[1]]);
                y = i16::from_le_bytes([p[2], p[3]]);
            }
            life.push((f64::from(x) * QUANTUM, f64::from(y) * QUANTUM));
        }
        out.push(life);
    }
    Some(out)
}

/// Splits a replay into its header (parsed) and its tracks.
pub fn split(bytes: &[u8]) -> Option<(serde_json::Value, &[u8])> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (len, rest) = rest.split_at_checked(4)?;
    let len = u32::from_le_bytes(len.try_into().ok()?) as usize;
    let (header, tracks) = rest.split_at_checked(len)?;
    Some((serde_json::from_slice(header).ok()?, tracks))
}

/// The replay of `round` from its rows, on `frame`.
pub fn encode(round: &RoundHeadline, rows: &ReplayRows, frame: &Frame) -> Vec<u8> {
    let mut players: Vec<PlayerInfo> = Vec::new();
    let mut index: HashMap<String, i64> = HashMap::new();
    let mut player_of = |guid: &str, name: &[u8], team: i16, players: &mut Vec<PlayerInfo>| {
        *index.entry(guid.to_string()).or_insert_with(|| {
            players.push(PlayerInfo {
                guid: guid.to_string(),
                name: clean_name(name),
                team,
            });
            players.len() as i64 - 1
        })
    };
    let mut lives = Vec::with_capacity(rows.lives.len());
    let mut tracks = Vec::new();
    for life in &rows.lives {
        let p = player_of(&life.guid, &life.name, life.team, &mut players);
        let positions = resample(&life.path, i64::from(life.spawn_ms));
        lives.push([
            p,
            i64::from(life.team),
            i64::from(life.spawn_ms),
            positions.len() as i64,
        ]);
        put_track(&mut tracks, &positions);
    }
    let mut known = |guid: &str, players: &mut Vec<PlayerInfo>| -> i64 {
        player_of(guid, guid.as_bytes(), 0, players)
    };
    let mut deaths = Vec::new();
    let mut crossfires = Vec::new();
    let mut escapes = Vec::new();
    for e in &rows.engagements {
        let (x, y) = (
            f64::from(e.end_x).round() as i64,
            f64::from(e.end_y).round() as i64,
        );
        let target = known(&e.target_guid, &mut players);
        if let (Some(dx), Some(dy)) = (e.death_x, e.death_y) {
            let killer = e
                .killer_guid
                .as_deref()
                .map_or(-1, |g| known(g, &mut players));
            deaths.push([
                i64::from(e.end_ms),
                f64::from(dx).round() as i64,
                f64::from(dy).round() as i64,
                target,
                killer,
            ]);
        }
        if e.is_crossfire {
            let mut row = vec![i64::from(e.end_ms), x, y, target];
            for g in &e.crossfire_participants {
                row.push(known(g, &mut players));
            }
            crossfires.push(row);
        }
        if e.outcome == "escaped" {
            escapes.push([i64::from(e.end_ms), x, y, target]);
        }
    }
    let objectives = rows
        .objectives
        .iter()
        .map(|o| ObjectiveInfo {
            t: i64::from(o.time_ms),
            x: f64::from(o.x).round() as i64,
            y: f64::from(o.y).round() as i64,
            player: o
                .guid
                .as_deref()
                .filter(|g| !g.is_empty())
                .map_or(-1, |g| known(g, &mut players)),
            team: o.team,
            action: o.action.clone(),
            name: clean_name(&o.track_name),
        })
        .collect();
    let header = Header {
        version: 1,
        round: RoundInfo {
            id: round.id,
            map: &round.map,
            round_number: round.round_number,
            duration_ms: round.duration_ms,
            played_at: round.played_at.to_rfc3339(),
            winner: round.winner,
        },
        step_ms: STEP_MS,
        quantum: QUANTUM,
        frame,
        players,
        lives,
        deaths,
        crossfires,
        escapes,
        objectives,
    };
    // Serialising plain structs of numbers and strings cannot fail.
    let json = serde_json::to_vec(&header).unwrap_or_default();
    let mut out = Vec::with_capacity(8 + json.len() + tracks.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&tracks);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{PathEvent, Stance, Vec3};

    fn sample(time: i64, x: f64, y: f64) -> TrackSample {
        TrackSample {
            time,
            pos: Vec3 { x, y, z: 0.0 },
            health: 100,
            speed: 0.0,
            weapon: 0,
            stance: Stance::Standing,
            sprint: false,
            event: PathEvent::Sample,
        }
    }

    #[test]
    fn resampling_holds_the_last_position_at_each_step() {
        let path = [
            sample(1000, 0.0, 0.0),
            sample(1200, 10.0, 0.0),
            sample(1500, 20.0, 5.0),
            sample(1900, 30.0, 5.0),
        ];
        assert_eq!(
            resample(&path, 1000),
            vec![
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 0.0),
                (20.0, 5.0),
                (20.0, 5.0)
            ]
        );
        assert_eq!(resample(&[], 0), Vec::<(f64, f64)>::new());
    }

    #[test]
    fn tracks_come_back_within_half_a_quantum_across_jumps() {
        let a = vec![
            (100.0, -50.0),
            (104.0, -46.0),
            (3000.0, -3000.0),
            (2998.0, -2990.0),
        ];
        let b = vec![(-7.0, 9.0)];
        let mut bytes = Vec::new();
        put_track(&mut bytes, &a);
        put_track(&mut bytes, &b);
        // 4 + 2 + (2 + 4) + 2 bytes, then 4.
        assert_eq!(bytes.len(), 18);
        let back = decode_tracks(&bytes, &[4, 1]).expect("decodes");
        for (want, got) in a.iter().chain(&b).zip(back.iter().flatten()) {
            assert!((want.0 - got.0).abs() <= QUANTUM / 2.0, "{want:?} {got:?}");
            assert!((want.1 - got.1).abs() <= QUANTUM / 2.0, "{want:?} {got:?}");
        }
        assert!(decode_tracks(&bytes, &[4, 2]).is_none(), "truncated input");
    }
}
