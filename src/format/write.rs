//! [`Round`] → round file text, in the V4 layout our tracker writes (header, sections with their
//! column comments, `# END` last when the round has it).

use std::io::Write as _;

use super::model::*;

const ENGAGEMENT_COLUMNS: &str = "id;start_time;end_time;duration;target_guid;target_name;target_team;outcome;total_damage;killer_guid;killer_name;num_attackers;is_crossfire;crossfire_delay;crossfire_participants;start_x;start_y;start_z;end_x;end_y;end_z;distance_traveled;positions;attackers";
const TRACK_COLUMNS: &str =
    "guid;name;team;class;spawn_time;death_time;first_move_time;death_type;samples;path";
const KILL_COLUMNS: &str = "grid_x;grid_y;axis_kills;allies_kills";
const MOVEMENT_COLUMNS: &str = "grid_x;grid_y;traversal;combat;escape";
const OBJECTIVE_COLUMNS: &str =
    "guid;name;team;objective;avg_distance;time_within_radius_ms;samples";
const REACTION_COLUMNS: &str = "engagement_id;target_guid;target_name;target_team;target_class;outcome;num_attackers;return_fire_ms;dodge_reaction_ms;support_reaction_ms;start_time;end_time;duration";

const REVIVE_COLUMNS: &str = "time;medic_guid;medic_name;revived_guid;revived_name;x;y;z;distance_to_enemy;nearest_enemy_guid;under_fire";
const KILL_OUTCOME_COLUMNS: &str = "kill_time;victim_guid;victim_name;killer_guid;killer_name;kill_mod;outcome;outcome_time;delta_ms;effective_denied_ms;gibber_guid;gibber_name;reviver_guid;reviver_name";
const WEAPON_ACCURACY_COLUMNS: &str =
    "player_guid;player_name;team;weapon_id;shots_fired;hits;kills;headshots";
const HIT_REGION_COLUMNS: &str =
    "time;attacker_guid;attacker_name;victim_guid;victim_name;weapon;region;damage";
const OBJECTIVE_EVENT_COLUMNS: &str = "event_time;event_type;player_guid;player_name;player_team;track_name;player_x;player_y;player_z";
const CARRIER_COLUMNS: &str = "carrier_guid;carrier_name;carrier_team;flag_team;pickup_time;drop_time;duration_ms;outcome;carry_distance;beeline_distance;efficiency;path_samples;pickup_x;pickup_y;pickup_z;drop_x;drop_y;drop_z;killer_guid;killer_name";
const CARRIER_RETURN_COLUMNS: &str = "return_time;returner_guid;returner_name;returner_team;flag_team;original_carrier_guid;drop_time;return_delay_ms;drop_x;drop_y;drop_z";
const ESCORT_COLUMNS: &str = "player_guid;player_name;player_team;vehicle_name;mounted_time_ms;proximity_time_ms;total_escort_distance;credit_distance;samples";
const SPAWN_TIMING_COLUMNS: &str = "killer_guid;killer_name;killer_team;victim_guid;victim_name;victim_team;kill_time;enemy_spawn_interval;time_to_next_spawn;spawn_timing_score;killer_reinf;victim_reinf";

/// Writes `round` as a round file. Names are sanitised the way the tracker does it (`; | ,` and
/// tabs become `_`, newlines are dropped), so any `Round` produces a file that parses.
/// Skipped sections are not written: their rows were never kept.
pub fn write(round: &Round) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * 1024);
    write_into(round, &mut out);
    out
}

fn write_into(round: &Round, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail.
    let h = &round.header;
    let _ = writeln!(out, "# {}", h.banner.as_str());
    let _ = writeln!(out, "# map={}", h.map);
    let _ = writeln!(out, "# round={}", h.round);
    let _ = writeln!(out, "# crossfire_window={}", h.crossfire_window_ms);
    let _ = writeln!(out, "# escape_time={}", h.escape_time_ms);
    let _ = writeln!(out, "# escape_distance={}", h.escape_distance);
    let _ = writeln!(
        out,
        "# position_sample_interval={}",
        h.position_sample_interval_ms
    );
    let _ = writeln!(out, "# round_start_unix={}", h.round_start_unix);
    let _ = writeln!(out, "# round_end_unix={}", h.round_end_unix);
    if let Some(v) = &h.tracker_version_full {
        let _ = writeln!(out, "# tracker_version_full={v}");
    }
    if let Some(t) = h.test_mode {
        let _ = writeln!(out, "# test_mode={}", u8::from(t));
    }
    if let Some(v) = h.axis_spawn_interval_ms {
        let _ = writeln!(out, "# axis_spawn_interval={v}");
    }
    if let Some(v) = h.allies_spawn_interval_ms {
        let _ = writeln!(out, "# allies_spawn_interval={v}");
    }
    match h.winner {
        Some(Winner::Team(t)) => {
            let _ = writeln!(out, "# winner={t}");
        }
        Some(Winner::Nobody) => out.extend_from_slice(b"# winner=\n"),
        None => {}
    }
    if let Some(t) = h.defender {
        let _ = writeln!(out, "# defender={t}");
    }
    if let Some(v) = h.time_set_ms {
        let _ = writeln!(out, "# time_set={v}");
    }
    if !h.capabilities.is_empty() {
        let caps: Vec<String> = h
            .capabilities
            .iter()
            .map(|(name, on)| format!("{name}:{}", u8::from(*on)))
            .collect();
        let _ = writeln!(out, "# capabilities={}", caps.join(","));
    }
    for (k, v) in &h.extra {
        let _ = writeln!(out, "# {k}={v}");
    }

    section(out, "ENGAGEMENTS", ENGAGEMENT_COLUMNS);
    for e in &round.engagements {
        write_engagement(out, e);
    }
    section(out, "PLAYER_TRACKS", TRACK_COLUMNS);
    for t in &round.tracks {
        write_track(out, t);
    }
    section(out, "KILL_HEATMAP", KILL_COLUMNS);
    for c in &round.kill_heatmap {
        let _ = writeln!(
            out,
            "{};{};{};{}",
            c.grid_x, c.grid_y, c.axis_kills, c.allies_kills
        );
    }
    section(out, "MOVEMENT_HEATMAP", MOVEMENT_COLUMNS);
    for c in &round.movement_heatmap {
        let _ = writeln!(
            out,
            "{};{};{};{};{}",
            c.grid_x, c.grid_y, c.traversal, c.combat, c.escape
        );
    }
    if let Some(rows) = &round.objective_focus {
        section(out, "OBJECTIVE_FOCUS", OBJECTIVE_COLUMNS);
        for o in rows {
            let _ = write!(out, "{};", o.guid);
            name(out, &o.name);
            let _ = write!(out, ";{};", o.team);
            name(out, &o.objective);
            let _ = writeln!(
                out,
                ";{:.1};{};{}",
                o.avg_distance, o.time_within_radius_ms, o.samples
            );
        }
    }
    if let Some(rows) = &round.reactions {
        section(out, "REACTION_METRICS", REACTION_COLUMNS);
        for r in rows {
            let _ = write!(out, "{};{};", r.engagement_id, r.target_guid);
            name(out, &r.target_name);
            let _ = writeln!(
                out,
                ";{};{};{};{};{};{};{};{};{};{}",
                r.target_team,
                r.target_class,
                r.outcome,
                r.num_attackers,
                opt(r.return_fire_ms),
                opt(r.dodge_reaction_ms),
                opt(r.support_reaction_ms),
                r.start_time,
                r.end_time,
                r.duration
            );
        }
    }
    write_game_sections(round, out);
    write_objective_sections(round, out);
    if round.has_end_marker {
        out.extend_from_slice(b"\n# END\n");
    }
}

/// REVIVES, KILL_OUTCOME, WEAPON_ACCURACY, HIT_REGIONS and SPAWN_TIMING, those the round holds.
fn write_game_sections(round: &Round, out: &mut Vec<u8>) {
    if let Some(rows) = &round.revives {
        section(out, "REVIVES", REVIVE_COLUMNS);
        for r in rows {
            let _ = write!(out, "{};{};", r.time, r.medic_guid);
            name(out, &r.medic_name);
            let _ = write!(out, ";{};", r.revived_guid);
            name(out, &r.revived_name);
            out.push(b';');
            vec3(out, &r.pos, ';');
            let _ = writeln!(
                out,
                ";{};{};{}",
                opt_tenths(r.distance_to_enemy),
                r.nearest_enemy_guid.as_deref().unwrap_or(""),
                u8::from(r.under_fire)
            );
        }
    }
    if let Some(rows) = &round.kill_outcomes {
        section(out, "KILL_OUTCOME", KILL_OUTCOME_COLUMNS);
        for k in rows {
            let _ = write!(out, "{};{};", k.kill_time, k.victim_guid);
            name(out, &k.victim_name);
            let _ = write!(out, ";{};", k.killer_guid);
            name(out, &k.killer_name);
            let _ = write!(
                out,
                ";{};{};{};{};{};{};",
                k.kill_mod,
                k.outcome,
                k.outcome_time,
                k.delta_ms,
                opt(k.effective_denied_ms),
                k.gibber_guid.as_deref().unwrap_or("")
            );
            if let Some(n) = &k.gibber_name {
                name(out, n);
            }
            let _ = write!(out, ";{};", k.reviver_guid.as_deref().unwrap_or(""));
            if let Some(n) = &k.reviver_name {
                name(out, n);
            }
            out.push(b'\n');
        }
    }
    if let Some(rows) = &round.weapon_accuracy {
        section(out, "WEAPON_ACCURACY", WEAPON_ACCURACY_COLUMNS);
        for w in rows {
            let _ = write!(out, "{};", w.player_guid);
            name(out, &w.player_name);
            let _ = writeln!(
                out,
                ";{};{};{};{};{};{}",
                w.team, w.weapon, w.shots_fired, w.hits, w.kills, w.headshots
            );
        }
    }
    if let Some(rows) = &round.hit_regions {
        section(out, "HIT_REGIONS", HIT_REGION_COLUMNS);
        for h in rows {
            let _ = write!(out, "{};{};", h.time, h.attacker_guid);
            name(out, &h.attacker_name);
            let _ = write!(out, ";{};", h.victim_guid);
            name(out, &h.victim_name);
            let _ = writeln!(out, ";{};{};{}", h.weapon, h.region as u8, h.damage);
        }
    }
    if let Some(rows) = &round.spawn_timing {
        section(out, "SPAWN_TIMING", SPAWN_TIMING_COLUMNS);
        for t in rows {
            let _ = write!(out, "{};", t.killer_guid);
            name(out, &t.killer_name);
            let _ = write!(out, ";{};{};", t.killer_team, t.victim_guid);
            name(out, &t.victim_name);
            let score = t
                .spawn_timing_score
                .map(|v| format!("{v:.3}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                ";{};{};{};{};{};{};{}",
                t.victim_team,
                t.kill_time,
                opt(t.enemy_spawn_interval),
                opt(t.time_to_next_spawn),
                score,
                opt_tenths(t.killer_reinf),
                opt_tenths(t.victim_reinf)
            );
        }
    }
}

/// OBJECTIVE_EVENTS, CARRIER_EVENTS, CARRIER_RETURNS and ESCORT_CREDIT, those the round holds.
fn write_objective_sections(round: &Round, out: &mut Vec<u8>) {
    if let Some(rows) = &round.objective_events {
        section(out, "OBJECTIVE_EVENTS", OBJECTIVE_EVENT_COLUMNS);
        for o in rows {
            let _ = write!(out, "{};{};{};", o.time, o.action, o.player_guid);
            name(out, &o.player_name);
            let _ = write!(out, ";{};", o.player_team);
            name(out, &o.track_name);
            out.push(b';');
            vec3(out, &o.pos, ';');
            out.push(b'\n');
        }
    }
    if let Some(rows) = &round.carries {
        section(out, "CARRIER_EVENTS", CARRIER_COLUMNS);
        for c in rows {
            let _ = write!(out, "{};", c.carrier_guid);
            name(out, &c.carrier_name);
            let _ = write!(
                out,
                ";{};{};{};{};{};{};{:.1};{:.1};{:.3};{};",
                c.carrier_team,
                c.flag_team,
                c.pickup_time,
                c.drop_time,
                c.duration_ms,
                c.outcome,
                c.carry_distance,
                c.beeline_distance,
                c.efficiency,
                c.path_samples
            );
            vec3(out, &c.pickup_pos, ';');
            out.push(b';');
            vec3(out, &c.drop_pos, ';');
            let _ = write!(out, ";{};", c.killer_guid.as_deref().unwrap_or(""));
            if let Some(n) = &c.killer_name {
                name(out, n);
            }
            out.push(b'\n');
        }
    }
    if let Some(rows) = &round.carrier_returns {
        section(out, "CARRIER_RETURNS", CARRIER_RETURN_COLUMNS);
        for r in rows {
            let _ = write!(out, "{};", r.return_time);
            match &r.returner {
                Some(who) => {
                    let _ = write!(out, "{};", who.guid);
                    name(out, &who.name);
                    let _ = write!(out, ";{}", who.team);
                }
                None => out.extend_from_slice(b";;"),
            }
            let _ = write!(
                out,
                ";{};{};{};{};",
                r.flag_team,
                r.original_carrier_guid.as_deref().unwrap_or(""),
                opt(r.drop_time),
                opt(r.return_delay_ms)
            );
            match &r.drop_pos {
                Some(p) => vec3(out, p, ';'),
                None => out.extend_from_slice(b";;"),
            }
            out.push(b'\n');
        }
    }
    if let Some(rows) = &round.escorts {
        section(out, "ESCORT_CREDIT", ESCORT_COLUMNS);
        for e in rows {
            let _ = write!(out, "{};", e.player_guid);
            name(out, &e.player_name);
            let _ = write!(out, ";{};", e.player_team);
            name(out, &e.vehicle_name);
            let _ = writeln!(
                out,
                ";{};{};{:.1};{:.1};{}",
                e.mounted_time_ms,
                e.proximity_time_ms,
                e.total_escort_distance,
                e.credit_distance,
                e.samples
            );
        }
    }
}

fn opt_tenths(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_default()
}

fn section(out: &mut Vec<u8>, name: &str, columns: &str) {
    let _ = write!(out, "\n# {name}\n# {columns}\n");
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Writes a name with the tracker's sanitising rules.
fn name(out: &mut Vec<u8>, name: &Name) {
    for &b in name.as_bytes().iter().take(256) {
        match b {
            b';' | b'|' | b',' | b'\t' => out.push(b'_'),
            b'\n' | b'\r' => {}
            other => out.push(other),
        }
    }
}

fn vec3(out: &mut Vec<u8>, v: &Vec3, sep: char) {
    let _ = write!(out, "{:.1}{sep}{:.1}{sep}{:.1}", v.x, v.y, v.z);
}

fn write_engagement(out: &mut Vec<u8>, e: &Engagement) {
    let _ = write!(
        out,
        "{};{};{};{};{};",
        e.id, e.start_time, e.end_time, e.duration, e.target_guid
    );
    name(out, &e.target_name);
    let _ = write!(
        out,
        ";{};{};{};{};",
        e.target_team,
        e.outcome,
        e.total_damage,
        e.killer_guid.as_deref().unwrap_or("")
    );
    if let Some(k) = &e.killer_name {
        name(out, k);
    }
    let _ = write!(
        out,
        ";{};{};{};{};",
        e.num_attackers,
        u8::from(e.is_crossfire),
        opt(e.crossfire_delay),
        e.crossfire_participants.join(",")
    );
    vec3(out, &e.start, ';');
    out.push(b';');
    vec3(out, &e.end, ';');
    let _ = write!(out, ";{:.1};", e.distance_traveled);
    for (i, p) in e.positions.iter().enumerate() {
        if i > 0 {
            out.push(b'|');
        }
        let _ = write!(out, "{},", p.time);
        vec3(out, &p.pos, ',');
        let _ = write!(out, ",{}", p.event);
    }
    out.push(b';');
    for (i, a) in e.attackers.iter().enumerate() {
        if i > 0 {
            out.push(b'|');
        }
        let _ = write!(out, "{},", a.guid);
        name(out, &a.name);
        let _ = write!(
            out,
            ",{},{},{},{},{},{},",
            a.team,
            a.damage,
            a.hits,
            a.first_hit,
            a.last_hit,
            u8::from(a.got_kill)
        );
        for (w, n) in &a.weapons {
            let _ = write!(out, "{w}:{n};");
        }
    }
    out.push(b'\n');
}

fn write_track(out: &mut Vec<u8>, t: &PlayerTrack) {
    let _ = write!(out, "{};", t.guid);
    name(out, &t.name);
    let _ = write!(
        out,
        ";{};{};{};{};{};{};{};",
        t.team,
        t.class,
        t.spawn_time,
        t.death_time.unwrap_or(0),
        opt(t.first_move_time),
        t.death_type,
        t.samples
    );
    for (i, s) in t.path.iter().enumerate() {
        if i > 0 {
            out.push(b'|');
        }
        let _ = write!(out, "{},", s.time);
        vec3(out, &s.pos, ',');
        let _ = write!(
            out,
            ",{},{:.1},{},{},{},{}",
            s.health,
            s.speed,
            s.weapon,
            s.stance as u8,
            u8::from(s.sprint),
            s.event.as_str()
        );
    }
    out.push(b'\n');
}
