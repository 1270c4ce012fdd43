//! The round's own row and its player directory entries, from the parsed round and its metrics.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::rows::death_cells;
use crate::format::{Round, Winner};
use crate::metrics::RoundMetrics;
use crate::names;
use crate::store::codec::team_code;
use crate::store::write::{PlayerDirectory, RoundRecord};

/// What the import knows of the file besides its content.
pub struct FileFacts {
    /// The label of the game server the file came from.
    pub server: String,
    pub file_name: String,
    pub file_bytes: i64,
    pub played_at: DateTime<Utc>,
}

/// The round's row, with the digest of what was played.
pub fn round_record(
    file: FileFacts,
    round: &Round,
    m: &RoundMetrics,
    played_digest: [u8; 32],
) -> RoundRecord {
    let h = &round.header;
    let s = &m.summary;
    RoundRecord {
        played_digest,
        server: file.server,
        file_name: file.file_name,
        file_bytes: file.file_bytes,
        played_at: file.played_at,
        map: h.map.clone(),
        round_number: i16::from(h.round),
        start_unix: h.round_start_unix,
        end_unix: h.round_end_unix,
        duration_ms: s.duration_ms,
        banner: h.banner.as_str(),
        tracker_version: h.tracker_version_full.clone(),
        capabilities: serde_json::Value::Object(
            h.capabilities
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect(),
        ),
        params: json!({
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
        }),
        skipped: round
            .skipped
            .iter()
            .map(|s| json!({"name": s.name, "rows": s.rows}))
            .collect(),
        has_end_marker: round.has_end_marker,
        recorded: round.recorded_mask(),
        winner: h.winner.map(|w| match w {
            Winner::Team(t) => team_code(t),
            Winner::Nobody => 0,
        }),
        defender: h.defender.map(team_code),
        time_set_ms: h.time_set_ms.map(|v| v as i32),
        engagements: s.engagements as i32,
        crossfires: s.crossfires as i32,
        escapes: s.escapes as i32,
        kills: s.kills as i32,
        players: s.players as i32,
        support_mean_pct: s.support_mean_pct,
        deaths: death_cells(round),
        directory: directory(round),
    }
}

/// Every GUID of the round with its latest name. Players seen only in engagements (no life)
/// get an entry too; a life's name wins over an engagement's.
fn directory(round: &Round) -> PlayerDirectory {
    let mut latest: std::collections::BTreeMap<&str, &[u8]> = Default::default();
    for e in &round.engagements {
        latest.insert(&e.target_guid, e.target_name.as_bytes());
        for a in &e.attackers {
            latest.insert(&a.guid, a.name.as_bytes());
        }
    }
    for track in &round.tracks {
        latest.insert(&track.guid, track.name.as_bytes());
    }
    let mut d = PlayerDirectory::default();
    for (guid, name) in latest {
        // An empty name (another tracker's bug) never overwrites a good one.
        let display = names::clean_name(name);
        if display.is_empty() {
            continue;
        }
        d.guids.push(guid.to_string());
        d.names.push(name.to_vec());
        d.match_keys.push(names::match_key(name));
        d.display_names.push(display);
    }
    d
}

/// The header keys some trackers use for the number of players.
const PLAYER_COUNT_KEYS: [&str; 2] = ["players", "player_count"];

/// What the import noticed in `round` and kept rather than refused. A header's player count is
/// a summary that trackers count differently (connected, spectating or playing), while the rows
/// are what happened: the figures use the rows, and a count that disagrees is reported here, so
/// that a real round is never lost over a header.
pub fn notes(round: &Round, m: &RoundMetrics) -> Vec<String> {
    let mut notes = Vec::new();
    for (key, value) in &round.header.extra {
        if !PLAYER_COUNT_KEYS.contains(&key.as_str()) {
            continue;
        }
        let counted = m.summary.players;
        match value.trim().parse::<u64>() {
            Ok(said) if said == counted as u64 => {}
            Ok(said) => notes.push(format!(
                "header {key}={said} disagrees with the {counted} players in the rows; the rows \
                 are used"
            )),
            Err(_) => notes.push(format!(
                "header {key}={value:?} is not a count; the {counted} players in the rows are used"
            )),
        }
    }
    notes.extend(game_notes(round));
    notes
}

/// Oddities of the rest of the game that the format allows and the import keeps: weapon ids
/// this reader does not know (kept under their number), and revives naming a player who has
/// no other row in the round.
fn game_notes(round: &Round) -> Vec<String> {
    let mut notes = Vec::new();
    let mut unknown: std::collections::BTreeSet<i64> = Default::default();
    for w in round.weapon_accuracy.iter().flatten() {
        if !crate::format::is_known_weapon(w.weapon) {
            unknown.insert(w.weapon);
        }
    }
    for h in round.hit_regions.iter().flatten() {
        if !crate::format::is_known_weapon(h.weapon) {
            unknown.insert(h.weapon);
        }
    }
    if !unknown.is_empty() {
        let ids: Vec<String> = unknown.iter().map(i64::to_string).collect();
        notes.push(format!(
            "weapon ids {} are not ET:Legacy weapons this reader knows; their rows are kept under \
             their numbers",
            ids.join(", ")
        ));
    }
    let seen: std::collections::BTreeSet<&str> = round
        .tracks
        .iter()
        .map(|t| t.guid.as_str())
        .chain(round.engagements.iter().flat_map(|e| {
            std::iter::once(e.target_guid.as_str())
                .chain(e.attackers.iter().map(|a| a.guid.as_str()))
        }))
        .collect();
    for r in round.revives.iter().flatten() {
        for (role, guid) in [
            ("medic", &r.medic_guid),
            ("revived player", &r.revived_guid),
        ] {
            if !seen.contains(guid.as_str()) {
                notes.push(format!(
                    "REVIVES at {} ms names {role} {guid}, who has no life or fight in the round; \
                     the revive is kept",
                    r.time
                ));
            }
        }
    }
    notes
}
