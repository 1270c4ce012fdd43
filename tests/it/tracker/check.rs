//! A strict reader of the round file for the tests: every line of every section must have the
//! exact field count and field syntax of `round_file_format.md`, or reading fails.

use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub time: i64,
    pub pos: [f64; 3],
    pub event: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Attacker {
    pub guid: String,
    pub name: String,
    pub team: String,
    pub damage: i64,
    pub hits: i64,
    pub first_hit: i64,
    pub last_hit: i64,
    pub got_kill: bool,
    pub weapons: Vec<(i64, i64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Eng {
    pub id: i64,
    pub start: i64,
    pub end: i64,
    pub duration: i64,
    pub target_guid: String,
    pub target_name: String,
    pub target_team: String,
    pub outcome: String,
    pub total_damage: i64,
    pub killer_guid: String,
    pub killer_name: String,
    pub num_attackers: i64,
    pub is_crossfire: bool,
    pub crossfire_delay: Option<i64>,
    pub participants: Vec<String>,
    pub start_pos: [f64; 3],
    pub end_pos: [f64; 3],
    pub distance: f64,
    pub positions: Vec<Point>,
    pub attackers: Vec<Attacker>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub time: i64,
    pub pos: [f64; 3],
    pub health: i64,
    pub speed: f64,
    pub weapon: i64,
    pub stance: i64,
    pub sprint: bool,
    pub event: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Track {
    pub guid: String,
    pub name: String,
    pub team: String,
    pub class: String,
    pub spawn: i64,
    pub death: i64,
    pub first_move: Option<i64>,
    pub death_type: String,
    pub samples: i64,
    pub path: Vec<Sample>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Reaction {
    pub id: i64,
    pub target_guid: String,
    pub outcome: String,
    pub num_attackers: i64,
    pub return_fire: Option<i64>,
    pub dodge: Option<i64>,
    pub support: Option<i64>,
    pub start: i64,
    pub end: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReviveRow {
    pub time: i64,
    pub medic_guid: String,
    pub medic_name: String,
    pub revived_guid: String,
    pub pos: [f64; 3],
    pub distance_to_enemy: Option<f64>,
    pub nearest_enemy_guid: String,
    pub under_fire: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeRow {
    pub kill_time: i64,
    pub victim_guid: String,
    pub killer_guid: String,
    pub kill_mod: i64,
    pub outcome: String,
    pub outcome_time: i64,
    pub delta_ms: i64,
    pub effective_denied_ms: i64,
    pub gibber_guid: String,
    pub reviver_guid: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AccuracyRow {
    pub guid: String,
    pub team: String,
    pub weapon: i64,
    pub shots: i64,
    pub hits: i64,
    pub kills: i64,
    pub headshots: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RegionRow {
    pub time: i64,
    pub attacker_guid: String,
    pub victim_guid: String,
    pub weapon: i64,
    pub region: i64,
    pub damage: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TimingRow {
    pub killer_guid: String,
    pub killer_team: String,
    pub victim_guid: String,
    pub victim_team: String,
    pub kill_time: i64,
    pub interval: Option<i64>,
    pub time_to_next: Option<i64>,
    pub score: Option<f64>,
    pub killer_reinf: Option<f64>,
    pub victim_reinf: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveRow {
    pub time: i64,
    pub kind: String,
    pub guid: String,
    pub name: String,
    pub team: String,
    pub track: String,
    pub pos: [f64; 3],
}

#[derive(Clone, Debug, PartialEq)]
pub struct CarryRow {
    pub carrier_guid: String,
    pub carrier_team: String,
    pub flag_team: String,
    pub pickup_time: i64,
    pub drop_time: i64,
    pub outcome: String,
    pub carry_distance: f64,
    pub beeline: f64,
    pub efficiency: f64,
    pub samples: i64,
    pub pickup_pos: [f64; 3],
    pub drop_pos: [f64; 3],
    pub killer_guid: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReturnRow {
    pub time: i64,
    pub returner_guid: String,
    pub returner_team: String,
    pub flag_team: String,
    pub carrier_guid: String,
    pub drop_time: Option<i64>,
    pub delay: Option<i64>,
    pub drop_pos: Option<[f64; 3]>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EscortRow {
    pub guid: String,
    pub team: String,
    pub vehicle: String,
    pub mounted_ms: i64,
    pub proximity_ms: i64,
    pub escort: f64,
    pub credit: f64,
    pub samples: i64,
}

/// A round file read strictly.
#[derive(Clone, Debug, Default)]
pub struct RoundFile {
    pub banner: String,
    pub header: HashMap<String, String>,
    pub engagements: Vec<Eng>,
    pub tracks: Vec<Track>,
    pub kill_heatmap: Vec<[i64; 4]>,
    pub movement_heatmap: Vec<[i64; 5]>,
    pub reactions: Vec<Reaction>,
    pub revives: Vec<ReviveRow>,
    pub outcomes: Vec<OutcomeRow>,
    pub accuracy: Vec<AccuracyRow>,
    pub regions: Vec<RegionRow>,
    pub timing: Vec<TimingRow>,
    pub objectives: Vec<ObjectiveRow>,
    pub carries: Vec<CarryRow>,
    pub returns: Vec<ReturnRow>,
    pub escorts: Vec<EscortRow>,
    pub sections: Vec<String>,
}

impl RoundFile {
    pub fn engagement_by_target(&self, guid: &str) -> Vec<&Eng> {
        self.engagements
            .iter()
            .filter(|e| e.target_guid == guid)
            .collect()
    }

    pub fn tracks_of(&self, guid: &str) -> Vec<&Track> {
        self.tracks.iter().filter(|t| t.guid == guid).collect()
    }
}

fn int(s: &str, what: &str) -> Result<i64, String> {
    s.parse::<i64>()
        .map_err(|_| format!("{what}: not an integer: {s:?}"))
}

fn opt_int(s: &str, what: &str) -> Result<Option<i64>, String> {
    if s.is_empty() {
        Ok(None)
    } else {
        int(s, what).map(Some)
    }
}

fn float(s: &str, what: &str) -> Result<f64, String> {
    let v = s
        .parse::<f64>()
        .map_err(|_| format!("{what}: not a number: {s:?}"))?;
    if !v.is_finite() {
        return Err(format!("{what}: not finite: {s:?}"));
    }
    Ok(v)
}

fn coord(s: &str, what: &str) -> Result<f64, String> {
    // One decimal, as the format says.
    let dot = s
        .find('.')
        .ok_or_else(|| format!("{what}: no decimal: {s:?}"))?;
    if s.len() - dot - 1 != 1 {
        return Err(format!("{what}: not one decimal: {s:?}"));
    }
    float(s, what)
}

fn bit(s: &str, what: &str) -> Result<bool, String> {
    match s {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(format!("{what}: not 0/1: {s:?}")),
    }
}

fn one_of(s: &str, words: &[&str], what: &str) -> Result<String, String> {
    if words.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!("{what}: unexpected {s:?}"))
    }
}

fn name(s: &str, what: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err(format!("{what}: empty name"));
    }
    if s.contains([';', '|', ',', '\t', '\n']) {
        return Err(format!("{what}: forbidden character in {s:?}"));
    }
    Ok(s.to_string())
}

const TEAMS: &[&str] = &["AXIS", "ALLIES"];
const OUTCOMES: &[&str] = &[
    "killed",
    "escaped",
    "timeout",
    "round_end",
    "disconnect",
    "shutdown",
    "unknown",
];
const DEATH_TYPES: &[&str] = &[
    "killed",
    "selfkill",
    "fallen",
    "world",
    "teamkill",
    "round_end",
    "disconnect",
    "shutdown",
    "unknown",
];

fn parse_eng(line: &str) -> Result<Eng, String> {
    let f: Vec<&str> = line.splitn(24, ';').collect();
    if f.len() != 24 {
        return Err(format!("ENGAGEMENTS: {} fields", f.len()));
    }
    let positions = f[22]
        .split('|')
        .map(|p| {
            let v: Vec<&str> = p.split(',').collect();
            if v.len() != 5 {
                return Err(format!("position {p:?}: {} values", v.len()));
            }
            Ok(Point {
                time: int(v[0], "pos time")?,
                pos: [coord(v[1], "x")?, coord(v[2], "y")?, coord(v[3], "z")?],
                event: one_of(
                    v[4],
                    &["start", "hit", "sample", "death", "escape"],
                    "pos event",
                )?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let attackers = f[23]
        .split('|')
        .map(|a| {
            let v: Vec<&str> = a.split(',').collect();
            if v.len() != 9 {
                return Err(format!("attacker {a:?}: {} values", v.len()));
            }
            let mut weapons = Vec::new();
            if !v[8].ends_with(';') {
                return Err(format!("weapons {:?} must end with ';'", v[8]));
            }
            for w in v[8].split(';').filter(|w| !w.is_empty()) {
                let (id, n) = w.split_once(':').ok_or(format!("weapon {w:?}"))?;
                weapons.push((int(id, "weapon id")?, int(n, "weapon count")?));
            }
            Ok(Attacker {
                guid: v[0].to_string(),
                name: name(v[1], "attacker name")?,
                team: one_of(v[2], TEAMS, "attacker team")?,
                damage: int(v[3], "damage")?,
                hits: int(v[4], "hits")?,
                first_hit: int(v[5], "first_hit")?,
                last_hit: int(v[6], "last_hit")?,
                got_kill: bit(v[7], "got_kill")?,
                weapons,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let e = Eng {
        id: int(f[0], "id")?,
        start: int(f[1], "start")?,
        end: int(f[2], "end")?,
        duration: int(f[3], "duration")?,
        target_guid: f[4].to_string(),
        target_name: name(f[5], "target name")?,
        target_team: one_of(f[6], TEAMS, "target team")?,
        outcome: one_of(f[7], OUTCOMES, "outcome")?,
        total_damage: int(f[8], "total_damage")?,
        killer_guid: f[9].to_string(),
        killer_name: f[10].to_string(),
        num_attackers: int(f[11], "num_attackers")?,
        is_crossfire: bit(f[12], "is_crossfire")?,
        crossfire_delay: opt_int(f[13], "crossfire_delay")?,
        participants: if f[14].is_empty() {
            Vec::new()
        } else {
            f[14].split(',').map(str::to_string).collect()
        },
        start_pos: [
            coord(f[15], "sx")?,
            coord(f[16], "sy")?,
            coord(f[17], "sz")?,
        ],
        end_pos: [
            coord(f[18], "ex")?,
            coord(f[19], "ey")?,
            coord(f[20], "ez")?,
        ],
        distance: coord(f[21], "distance")?,
        positions,
        attackers,
    };
    if e.duration != e.end - e.start {
        return Err(format!("duration {} != end - start", e.duration));
    }
    if e.num_attackers != e.attackers.len() as i64 {
        return Err("num_attackers != attackers".into());
    }
    if e.target_guid.is_empty() {
        return Err("empty target guid".into());
    }
    if e.outcome != "killed" && !e.killer_guid.is_empty() {
        return Err("killer set on a non-kill".into());
    }
    Ok(e)
}

fn parse_track(line: &str) -> Result<Track, String> {
    let f: Vec<&str> = line.split(';').collect();
    if f.len() != 10 {
        return Err(format!("PLAYER_TRACKS: {} fields", f.len()));
    }
    let path = f[9]
        .split('|')
        .map(|p| {
            let v: Vec<&str> = p.split(',').collect();
            if v.len() != 10 {
                return Err(format!("sample {p:?}: {} values", v.len()));
            }
            let mut events = vec!["spawn", "sample", "revived"];
            events.extend_from_slice(DEATH_TYPES);
            Ok(Sample {
                time: int(v[0], "t")?,
                pos: [coord(v[1], "x")?, coord(v[2], "y")?, coord(v[3], "z")?],
                health: int(v[4], "health")?,
                speed: float(v[5], "speed")?,
                weapon: int(v[6], "weapon")?,
                stance: int(v[7], "stance").and_then(|s| {
                    if (0..=2).contains(&s) {
                        Ok(s)
                    } else {
                        Err(format!("stance {s}"))
                    }
                })?,
                sprint: bit(v[8], "sprint")?,
                event: one_of(v[9], &events, "path event")?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let t = Track {
        guid: f[0].to_string(),
        name: name(f[1], "track name")?,
        team: one_of(f[2], TEAMS, "team")?,
        class: one_of(
            f[3],
            &["SOLDIER", "MEDIC", "ENGINEER", "FIELDOPS", "COVERTOPS"],
            "class",
        )?,
        spawn: int(f[4], "spawn")?,
        death: int(f[5], "death")?,
        first_move: opt_int(f[6], "first_move")?,
        death_type: one_of(f[7], DEATH_TYPES, "death_type")?,
        samples: int(f[8], "samples")?,
        path,
    };
    if t.samples != t.path.len() as i64 {
        return Err("samples != path length".into());
    }
    if t.guid.is_empty() {
        return Err("empty guid".into());
    }
    Ok(t)
}

fn ints<const N: usize>(line: &str, what: &str) -> Result<[i64; N], String> {
    let f: Vec<&str> = line.split(';').collect();
    if f.len() != N {
        return Err(format!("{what}: {} fields", f.len()));
    }
    let mut out = [0; N];
    for (o, s) in out.iter_mut().zip(f) {
        *o = int(s, what)?;
    }
    Ok(out)
}

fn parse_reaction(line: &str) -> Result<Reaction, String> {
    let f: Vec<&str> = line.split(';').collect();
    if f.len() != 13 {
        return Err(format!("REACTION_METRICS: {} fields", f.len()));
    }
    one_of(f[3], TEAMS, "reaction team")?;
    name(f[2], "reaction target name")?;
    let r = Reaction {
        id: int(f[0], "id")?,
        target_guid: f[1].to_string(),
        outcome: one_of(f[5], OUTCOMES, "reaction outcome")?,
        num_attackers: int(f[6], "num_attackers")?,
        return_fire: opt_int(f[7], "return_fire")?,
        dodge: opt_int(f[8], "dodge")?,
        support: opt_int(f[9], "support")?,
        start: int(f[10], "start")?,
        end: int(f[11], "end")?,
    };
    if int(f[12], "duration")? != r.end - r.start {
        return Err("reaction duration".into());
    }
    Ok(r)
}

fn fields<'a>(line: &'a str, n: usize, what: &str) -> Result<Vec<&'a str>, String> {
    let f: Vec<&str> = line.split(';').collect();
    if f.len() != n {
        return Err(format!("{what}: {} fields", f.len()));
    }
    Ok(f)
}

fn guid(s: &str, what: &str) -> Result<String, String> {
    if s.is_empty() || s.contains([';', '|', ',', ' ']) {
        return Err(format!("{what}: bad guid {s:?}"));
    }
    Ok(s.to_string())
}

/// An optional number with exactly `decimals` decimals.
fn opt_fixed(s: &str, decimals: usize, what: &str) -> Result<Option<f64>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    let dot = s
        .find('.')
        .ok_or_else(|| format!("{what}: no decimal: {s:?}"))?;
    if s.len() - dot - 1 != decimals {
        return Err(format!("{what}: not {decimals} decimals: {s:?}"));
    }
    float(s, what).map(Some)
}

fn parse_revive(line: &str) -> Result<ReviveRow, String> {
    let f = fields(line, 11, "REVIVES")?;
    name(f[4], "revived name")?;
    let medic_name = if f[1].is_empty() {
        String::new()
    } else {
        name(f[2], "medic name")?
    };
    let distance = opt_fixed(f[8], 1, "distance_to_enemy")?;
    if distance.is_some() == f[9].is_empty() {
        return Err("distance and nearest enemy must come together".into());
    }
    Ok(ReviveRow {
        time: int(f[0], "time")?,
        medic_guid: f[1].to_string(),
        medic_name,
        revived_guid: guid(f[3], "revived guid")?,
        pos: [coord(f[5], "x")?, coord(f[6], "y")?, coord(f[7], "z")?],
        distance_to_enemy: distance,
        nearest_enemy_guid: f[9].to_string(),
        under_fire: bit(f[10], "under_fire")?,
    })
}

fn parse_outcome(line: &str) -> Result<OutcomeRow, String> {
    let f = fields(line, 14, "KILL_OUTCOME")?;
    name(f[2], "victim name")?;
    name(f[4], "killer name")?;
    let r = OutcomeRow {
        kill_time: int(f[0], "kill_time")?,
        victim_guid: guid(f[1], "victim guid")?,
        killer_guid: guid(f[3], "killer guid")?,
        kill_mod: int(f[5], "kill_mod")?,
        outcome: one_of(
            f[6],
            &["gibbed", "revived", "tapped_out", "round_end"],
            "outcome",
        )?,
        outcome_time: int(f[7], "outcome_time")?,
        delta_ms: int(f[8], "delta_ms")?,
        effective_denied_ms: int(f[9], "effective_denied_ms")?,
        gibber_guid: f[10].to_string(),
        reviver_guid: f[12].to_string(),
    };
    if r.delta_ms != r.outcome_time - r.kill_time || r.delta_ms < 0 {
        return Err("delta_ms != outcome_time - kill_time".into());
    }
    if r.effective_denied_ms < r.delta_ms {
        return Err("denied shorter than the time down".into());
    }
    if (r.outcome == "revived") == r.reviver_guid.is_empty()
        || (r.outcome != "gibbed" && !r.gibber_guid.is_empty())
        || f[11].is_empty() != r.gibber_guid.is_empty()
        || f[13].is_empty() != r.reviver_guid.is_empty()
    {
        return Err("gibber/reviver do not fit the outcome".into());
    }
    Ok(r)
}

fn parse_accuracy(line: &str) -> Result<AccuracyRow, String> {
    let f = fields(line, 8, "WEAPON_ACCURACY")?;
    name(f[1], "player name")?;
    let r = AccuracyRow {
        guid: guid(f[0], "player guid")?,
        team: one_of(f[2], TEAMS, "team")?,
        weapon: int(f[3], "weapon_id")?,
        shots: int(f[4], "shots")?,
        hits: int(f[5], "hits")?,
        kills: int(f[6], "kills")?,
        headshots: int(f[7], "headshots")?,
    };
    if r.shots < 0 || r.hits < 0 || r.kills < 0 || r.headshots < 0 || r.headshots > r.hits {
        return Err("bad counts".into());
    }
    if r.shots + r.hits + r.kills == 0 {
        return Err("row without shots, hits or kills".into());
    }
    Ok(r)
}

fn parse_region(line: &str) -> Result<RegionRow, String> {
    let f = fields(line, 8, "HIT_REGIONS")?;
    name(f[2], "attacker name")?;
    name(f[4], "victim name")?;
    let r = RegionRow {
        time: int(f[0], "time")?,
        attacker_guid: guid(f[1], "attacker guid")?,
        victim_guid: guid(f[3], "victim guid")?,
        weapon: int(f[5], "weapon")?,
        region: int(f[6], "region")?,
        damage: int(f[7], "damage")?,
    };
    if !(0..=3).contains(&r.region) {
        return Err(format!("region {}", r.region));
    }
    Ok(r)
}

fn parse_timing(line: &str) -> Result<TimingRow, String> {
    let f = fields(line, 12, "SPAWN_TIMING")?;
    name(f[1], "killer name")?;
    name(f[4], "victim name")?;
    let r = TimingRow {
        killer_guid: guid(f[0], "killer guid")?,
        killer_team: one_of(f[2], TEAMS, "killer team")?,
        victim_guid: guid(f[3], "victim guid")?,
        victim_team: one_of(f[5], TEAMS, "victim team")?,
        kill_time: int(f[6], "kill_time")?,
        interval: opt_int(f[7], "enemy_spawn_interval")?,
        time_to_next: opt_int(f[8], "time_to_next_spawn")?,
        score: opt_fixed(f[9], 3, "spawn_timing_score")?,
        killer_reinf: opt_fixed(f[10], 1, "killer_reinf")?,
        victim_reinf: opt_fixed(f[11], 1, "victim_reinf")?,
    };
    if r.interval.is_none() && (r.time_to_next.is_some() || r.score.is_some()) {
        return Err("wave fields without an interval".into());
    }
    if let (Some(l), Some(n), Some(sc)) = (r.interval, r.time_to_next, r.score)
        && (l <= 0 || !(1..=l).contains(&n) || (sc - n as f64 / l as f64).abs() > 0.00051)
    {
        return Err("score != time_to_next / interval".into());
    }
    Ok(r)
}

fn pos3(f: &[&str], what: &str) -> Result<[f64; 3], String> {
    Ok([coord(f[0], what)?, coord(f[1], what)?, coord(f[2], what)?])
}

/// A name field that may be empty (an objective without a name) but never holds a separator.
fn text(s: &str, what: &str) -> Result<String, String> {
    if s.contains([';', '|', ',', '\t', '\n']) {
        return Err(format!("{what}: forbidden character in {s:?}"));
    }
    Ok(s.to_string())
}

const OBJECTIVE_KINDS: &[&str] = &[
    "dynamite_plant",
    "dynamite_defuse",
    "objective_destroyed",
    "constructed",
    "repaired",
    "checkpoint_captured",
    "objective_secured",
];

fn parse_objective(line: &str) -> Result<ObjectiveRow, String> {
    let f = fields(line, 9, "OBJECTIVE_EVENTS")?;
    let r = ObjectiveRow {
        time: int(f[0], "event_time")?,
        kind: one_of(f[1], OBJECTIVE_KINDS, "event_type")?,
        guid: guid(f[2], "player guid")?,
        name: name(f[3], "player name")?,
        team: one_of(f[4], TEAMS, "player team")?,
        track: text(f[5], "track_name")?,
        pos: pos3(&f[6..9], "player position")?,
    };
    if r.track.is_empty() != (r.kind == "repaired") {
        return Err("only a repair has no objective name".into());
    }
    Ok(r)
}

fn parse_carry(line: &str) -> Result<CarryRow, String> {
    let f = fields(line, 20, "CARRIER_EVENTS")?;
    name(f[1], "carrier name")?;
    let r = CarryRow {
        carrier_guid: guid(f[0], "carrier guid")?,
        carrier_team: one_of(f[2], TEAMS, "carrier team")?,
        flag_team: one_of(f[3], TEAMS, "flag team")?,
        pickup_time: int(f[4], "pickup_time")?,
        drop_time: int(f[5], "drop_time")?,
        outcome: one_of(
            f[7],
            &["secured", "dropped", "killed", "round_end", "disconnected"],
            "outcome",
        )?,
        carry_distance: coord(f[8], "carry_distance")?,
        beeline: coord(f[9], "beeline_distance")?,
        efficiency: opt_fixed(f[10], 3, "efficiency")?.ok_or("efficiency missing")?,
        samples: int(f[11], "path_samples")?,
        pickup_pos: pos3(&f[12..15], "pickup position")?,
        drop_pos: pos3(&f[15..18], "drop position")?,
        killer_guid: f[18].to_string(),
    };
    if r.carrier_team == r.flag_team {
        return Err("a team carries its own item".into());
    }
    if int(f[6], "duration_ms")? != r.drop_time - r.pickup_time || r.drop_time < r.pickup_time {
        return Err("duration != drop - pickup".into());
    }
    if r.carry_distance < 0.0 || r.beeline > r.carry_distance + 0.1 {
        return Err("beeline longer than the path".into());
    }
    if !(0.0..=1.0).contains(&r.efficiency) || r.samples < 2 {
        return Err("efficiency or samples out of range".into());
    }
    if (!r.killer_guid.is_empty() && r.outcome != "killed")
        || f[19].is_empty() != r.killer_guid.is_empty()
    {
        return Err("killer without a kill".into());
    }
    if !r.killer_guid.is_empty() {
        guid(&r.killer_guid, "killer guid")?;
        name(f[19], "killer name")?;
    }
    Ok(r)
}

fn parse_return(line: &str) -> Result<ReturnRow, String> {
    let f = fields(line, 11, "CARRIER_RETURNS")?;
    let returner = !f[1].is_empty();
    if returner {
        guid(f[1], "returner guid")?;
        name(f[2], "returner name")?;
        one_of(f[3], TEAMS, "returner team")?;
    } else if !f[2].is_empty() || !f[3].is_empty() {
        return Err("returner fields partly empty".into());
    }
    let dropped = !f[5].is_empty();
    let r = ReturnRow {
        time: int(f[0], "return_time")?,
        returner_guid: f[1].to_string(),
        returner_team: f[3].to_string(),
        flag_team: one_of(f[4], TEAMS, "flag team")?,
        carrier_guid: f[5].to_string(),
        drop_time: opt_int(f[6], "drop_time")?,
        delay: opt_int(f[7], "return_delay_ms")?,
        drop_pos: if f[8].is_empty() {
            None
        } else {
            Some(pos3(&f[8..11], "drop position")?)
        },
    };
    if dropped {
        guid(f[5], "original carrier guid")?;
    }
    if r.drop_time.is_some() != dropped
        || r.delay.is_some() != dropped
        || r.drop_pos.is_some() != dropped
    {
        return Err("drop fields partly empty".into());
    }
    if let (Some(d), Some(delay)) = (r.drop_time, r.delay)
        && (delay != r.time - d || delay < 0)
    {
        return Err("delay != return - drop".into());
    }
    if returner && r.returner_team != r.flag_team {
        return Err("returned by the other team".into());
    }
    Ok(r)
}

fn parse_escort(line: &str) -> Result<EscortRow, String> {
    let f = fields(line, 9, "ESCORT_CREDIT")?;
    name(f[1], "player name")?;
    let r = EscortRow {
        guid: guid(f[0], "player guid")?,
        team: one_of(f[2], TEAMS, "player team")?,
        vehicle: text(f[3], "vehicle_name")?,
        mounted_ms: int(f[4], "mounted_time_ms")?,
        proximity_ms: int(f[5], "proximity_time_ms")?,
        escort: coord(f[6], "total_escort_distance")?,
        credit: coord(f[7], "credit_distance")?,
        samples: int(f[8], "samples")?,
    };
    if r.mounted_ms < 0 || r.proximity_ms < 0 || r.mounted_ms + r.proximity_ms == 0 {
        return Err("no escort time".into());
    }
    if r.credit < 0.0 || r.credit > r.escort + 0.1 || r.samples <= 0 {
        return Err("credit or samples out of range".into());
    }
    Ok(r)
}

/// Reads a whole file strictly. The last line must be `# END`.
pub fn read(bytes: &[u8]) -> Result<RoundFile, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    if !text.ends_with("\n# END\n") {
        return Err("file does not end with # END".into());
    }
    let mut rf = RoundFile::default();
    let mut lines = text.lines().enumerate().peekable();
    let (_, first) = lines.next().ok_or("empty file")?;
    rf.banner = first
        .strip_prefix("# ")
        .filter(|b| b.starts_with("PROXIMITY_TRACKER_V"))
        .ok_or(format!("bad banner {first:?}"))?
        .to_string();
    // Header.
    while let Some((_, l)) = lines.peek() {
        if l.is_empty() {
            break;
        }
        let (k, v) = l
            .strip_prefix("# ")
            .and_then(|kv| kv.split_once('='))
            .ok_or(format!("bad header line {l:?}"))?;
        rf.header.insert(k.to_string(), v.to_string());
        lines.next();
    }
    for k in [
        "map",
        "round",
        "crossfire_window",
        "escape_time",
        "escape_distance",
        "position_sample_interval",
        "round_start_unix",
        "round_end_unix",
        "capabilities",
    ] {
        if !rf.header.contains_key(k) {
            return Err(format!("header key {k} missing"));
        }
    }
    let mut section = String::new();
    let mut in_columns = false;
    let mut ended = false;
    for (n, l) in lines {
        let ctx = |e: String| format!("line {}: {e}: {l:?}", n + 1);
        if ended {
            return Err(ctx("text after # END".into()));
        }
        if l.is_empty() {
            section.clear();
            continue;
        }
        if section.is_empty() {
            let name = l
                .strip_prefix("# ")
                .ok_or_else(|| ctx("section name expected".into()))?;
            if name == "END" {
                ended = true;
                continue;
            }
            section = name.to_string();
            rf.sections.push(section.clone());
            in_columns = true;
            continue;
        }
        if in_columns && l.starts_with("# ") {
            continue;
        }
        in_columns = false;
        match section.as_str() {
            "ENGAGEMENTS" => rf.engagements.push(parse_eng(l).map_err(ctx)?),
            "PLAYER_TRACKS" => rf.tracks.push(parse_track(l).map_err(ctx)?),
            "KILL_HEATMAP" => rf
                .kill_heatmap
                .push(ints::<4>(l, "KILL_HEATMAP").map_err(ctx)?),
            "MOVEMENT_HEATMAP" => rf
                .movement_heatmap
                .push(ints::<5>(l, "MOVEMENT_HEATMAP").map_err(ctx)?),
            "REACTION_METRICS" => rf.reactions.push(parse_reaction(l).map_err(ctx)?),
            "REVIVES" => rf.revives.push(parse_revive(l).map_err(ctx)?),
            "KILL_OUTCOME" => rf.outcomes.push(parse_outcome(l).map_err(ctx)?),
            "WEAPON_ACCURACY" => rf.accuracy.push(parse_accuracy(l).map_err(ctx)?),
            "HIT_REGIONS" => rf.regions.push(parse_region(l).map_err(ctx)?),
            "SPAWN_TIMING" => rf.timing.push(parse_timing(l).map_err(ctx)?),
            "OBJECTIVE_EVENTS" => rf.objectives.push(parse_objective(l).map_err(ctx)?),
            "CARRIER_EVENTS" => rf.carries.push(parse_carry(l).map_err(ctx)?),
            "CARRIER_RETURNS" => rf.returns.push(parse_return(l).map_err(ctx)?),
            "ESCORT_CREDIT" => rf.escorts.push(parse_escort(l).map_err(ctx)?),
            other => return Err(ctx(format!("unexpected section {other}"))),
        }
    }
    if !ended {
        return Err("no # END".into());
    }
    // The round's result: time set always, winner and defender when the game said.
    int(
        rf.header
            .get("time_set")
            .ok_or("header key time_set missing")?,
        "time_set",
    )?;
    if let Some(w) = rf.header.get("winner") {
        one_of(w, &["AXIS", "ALLIES", ""], "winner")?;
    }
    if let Some(d) = rf.header.get("defender") {
        one_of(d, TEAMS, "defender")?;
    }
    // Every round declares and writes the nine sections, even when nothing happened.
    for (sec, cap) in [
        ("REVIVES", "revives"),
        ("KILL_OUTCOME", "kill_outcome"),
        ("WEAPON_ACCURACY", "weapon_accuracy"),
        ("HIT_REGIONS", "hit_regions"),
        ("SPAWN_TIMING", "spawn_timing"),
        ("OBJECTIVE_EVENTS", "objective_events"),
        ("CARRIER_EVENTS", "carrier_events"),
        ("CARRIER_RETURNS", "carrier_returns"),
        ("ESCORT_CREDIT", "escort_credit"),
    ] {
        if !rf.sections.iter().any(|s| s == sec) {
            return Err(format!("section {sec} missing"));
        }
        if !rf.header["capabilities"]
            .split(',')
            .any(|c| c == format!("{cap}:1"))
        {
            return Err(format!("capability {cap}:1 missing"));
        }
    }
    Ok(rf)
}

/// The typed objective sections say what the strict reader read, row by row.
fn cross_check_objectives(r: &proximity::format::Round, rf: &RoundFile) {
    use proximity::format::Winner;
    let events = r.objective_events.as_ref().expect("OBJECTIVE_EVENTS");
    assert_eq!(events.len(), rf.objectives.len());
    for (a, b) in events.iter().zip(&rf.objectives) {
        assert_eq!(
            (a.time, a.action.as_str(), a.player_guid.as_str()),
            (b.time, b.kind.as_str(), b.guid.as_str())
        );
        assert_eq!(a.player_team.as_str(), b.team);
        assert_eq!(a.track_name.as_bytes(), b.track.as_bytes());
        assert_eq!([a.pos.x, a.pos.y, a.pos.z], b.pos);
    }
    let carries = r.carries.as_ref().expect("CARRIER_EVENTS");
    assert_eq!(carries.len(), rf.carries.len());
    for (a, b) in carries.iter().zip(&rf.carries) {
        assert_eq!(
            (
                a.carrier_guid.as_str(),
                a.pickup_time,
                a.drop_time,
                a.outcome.as_str()
            ),
            (
                b.carrier_guid.as_str(),
                b.pickup_time,
                b.drop_time,
                b.outcome.as_str()
            )
        );
        assert_eq!(
            (a.carrier_team.as_str(), a.flag_team.as_str()),
            (b.carrier_team.as_str(), b.flag_team.as_str())
        );
        assert_eq!(
            (
                a.carry_distance,
                a.beeline_distance,
                a.efficiency,
                a.path_samples
            ),
            (b.carry_distance, b.beeline, b.efficiency, b.samples)
        );
        assert_eq!(a.killer_guid.as_deref().unwrap_or(""), b.killer_guid);
    }
    let returns = r.carrier_returns.as_ref().expect("CARRIER_RETURNS");
    assert_eq!(returns.len(), rf.returns.len());
    for (a, b) in returns.iter().zip(&rf.returns) {
        assert_eq!(a.return_time, b.time);
        assert_eq!(
            a.returner.as_ref().map_or("", |w| w.guid.as_str()),
            b.returner_guid
        );
        assert_eq!(
            a.original_carrier_guid.as_deref().unwrap_or(""),
            b.carrier_guid
        );
        assert_eq!((a.drop_time, a.return_delay_ms), (b.drop_time, b.delay));
        assert_eq!(a.drop_pos.map(|p| [p.x, p.y, p.z]), b.drop_pos);
    }
    let escorts = r.escorts.as_ref().expect("ESCORT_CREDIT");
    assert_eq!(escorts.len(), rf.escorts.len());
    for (a, b) in escorts.iter().zip(&rf.escorts) {
        assert_eq!(
            (a.player_guid.as_str(), a.vehicle_name.as_bytes()),
            (b.guid.as_str(), b.vehicle.as_bytes())
        );
        assert_eq!(
            (a.mounted_time_ms, a.proximity_time_ms, a.samples),
            (b.mounted_ms, b.proximity_ms, b.samples)
        );
        assert_eq!(
            (a.total_escort_distance, a.credit_distance),
            (b.escort, b.credit)
        );
    }
    let winner = r.header.winner.map(|w| match w {
        Winner::Team(t) => t.as_str().to_string(),
        Winner::Nobody => String::new(),
    });
    assert_eq!(
        winner.as_deref(),
        rf.header.get("winner").map(String::as_str)
    );
    assert_eq!(
        r.header.time_set_ms.map(|v| v.to_string()).as_deref(),
        rf.header.get("time_set").map(String::as_str)
    );
}

/// Parses `bytes` with the crate's parser and asserts that its typed round says exactly what
/// the strict reader read: ids, times, outcomes, killers, targets, attackers, tracks, path events,
/// heatmaps and reactions. Returns the typed round.
pub fn cross_check(bytes: &[u8], rf: &RoundFile) -> proximity::format::Round {
    use proximity::format::{Banner, parse};
    let r = parse(bytes).unwrap_or_else(|e| panic!("proximity::format::parse: {e}"));
    assert!(r.has_end_marker);
    assert_eq!(r.header.banner, Banner::V4);
    assert_eq!(r.header.map, rf.header["map"]);
    assert_eq!(r.header.round.to_string(), rf.header["round"]);
    assert_eq!(
        r.skipped,
        Vec::new(),
        "our tracker writes only sections the reader knows"
    );
    cross_check_objectives(&r, rf);
    assert_eq!(r.engagements.len(), rf.engagements.len());
    for (a, b) in r.engagements.iter().zip(&rf.engagements) {
        assert_eq!(
            (a.id, a.start_time, a.end_time, a.duration),
            (b.id, b.start, b.end, b.duration)
        );
        assert_eq!(a.outcome.as_str(), b.outcome);
        assert_eq!(a.target_guid, b.target_guid);
        assert_eq!(a.target_name.as_bytes(), b.target_name.as_bytes());
        assert_eq!(a.target_team.as_str(), b.target_team);
        assert_eq!(a.killer_guid.as_deref().unwrap_or(""), b.killer_guid);
        assert_eq!(
            a.killer_name.as_ref().map(|n| n.as_bytes()).unwrap_or(b""),
            b.killer_name.as_bytes()
        );
        assert_eq!(
            (
                a.total_damage,
                a.num_attackers,
                a.is_crossfire,
                a.crossfire_delay
            ),
            (
                b.total_damage,
                b.num_attackers,
                b.is_crossfire,
                b.crossfire_delay
            )
        );
        assert_eq!(a.crossfire_participants, b.participants);
        assert_eq!(a.positions.len(), b.positions.len());
        for (p, q) in a.positions.iter().zip(&b.positions) {
            assert_eq!((p.time, p.event.as_str()), (q.time, q.event.as_str()));
        }
        assert_eq!(a.attackers.len(), b.attackers.len());
        for (x, y) in a.attackers.iter().zip(&b.attackers) {
            assert_eq!(x.guid, y.guid);
            assert_eq!(
                (x.damage, x.hits, x.first_hit, x.last_hit, x.got_kill),
                (y.damage, y.hits, y.first_hit, y.last_hit, y.got_kill)
            );
            assert_eq!(x.weapons, y.weapons);
        }
    }
    assert_eq!(r.tracks.len(), rf.tracks.len());
    for (a, b) in r.tracks.iter().zip(&rf.tracks) {
        assert_eq!(a.guid, b.guid);
        assert_eq!(a.name.as_bytes(), b.name.as_bytes());
        assert_eq!(
            (a.team.as_str(), a.class.as_str()),
            (b.team.as_str(), b.class.as_str())
        );
        assert_eq!(a.spawn_time, b.spawn);
        assert_eq!(a.death_time.unwrap_or(0), b.death);
        assert_eq!(a.first_move_time, b.first_move);
        assert_eq!(a.death_type.as_str(), b.death_type);
        assert_eq!(a.path.len(), b.path.len());
        for (p, q) in a.path.iter().zip(&b.path) {
            assert_eq!(
                (
                    p.time,
                    p.health,
                    p.weapon,
                    p.stance as i64,
                    p.sprint,
                    p.event.as_str()
                ),
                (
                    q.time,
                    q.health,
                    q.weapon,
                    q.stance,
                    q.sprint,
                    q.event.as_str()
                )
            );
        }
    }
    let kills: Vec<[i64; 4]> = r
        .kill_heatmap
        .iter()
        .map(|c| [c.grid_x, c.grid_y, c.axis_kills, c.allies_kills])
        .collect();
    assert_eq!(kills, rf.kill_heatmap);
    let moves: Vec<[i64; 5]> = r
        .movement_heatmap
        .iter()
        .map(|c| [c.grid_x, c.grid_y, c.traversal, c.combat, c.escape])
        .collect();
    assert_eq!(moves, rf.movement_heatmap);
    let reactions = r.reactions.as_ref().expect("REACTION_METRICS section");
    assert_eq!(reactions.len(), rf.reactions.len());
    for (a, b) in reactions.iter().zip(&rf.reactions) {
        assert_eq!(
            (
                a.engagement_id,
                a.return_fire_ms,
                a.dodge_reaction_ms,
                a.support_reaction_ms
            ),
            (b.id, b.return_fire, b.dodge, b.support)
        );
        assert_eq!(a.outcome.as_str(), b.outcome);
    }
    let revives = r.revives.as_ref().expect("REVIVES section");
    assert_eq!(revives.len(), rf.revives.len());
    for (a, b) in revives.iter().zip(&rf.revives) {
        assert_eq!(
            (a.time, &a.medic_guid, &a.revived_guid, a.under_fire),
            (b.time, &b.medic_guid, &b.revived_guid, b.under_fire)
        );
        assert_eq!(a.medic_name.as_bytes(), b.medic_name.as_bytes());
        assert_eq!([a.pos.x, a.pos.y, a.pos.z], b.pos);
        assert_eq!(a.distance_to_enemy, b.distance_to_enemy);
        assert_eq!(
            a.nearest_enemy_guid.as_deref().unwrap_or(""),
            b.nearest_enemy_guid
        );
    }
    let outcomes = r.kill_outcomes.as_ref().expect("KILL_OUTCOME section");
    assert_eq!(outcomes.len(), rf.outcomes.len());
    for (a, b) in outcomes.iter().zip(&rf.outcomes) {
        assert_eq!(
            (a.kill_time, &a.victim_guid, &a.killer_guid, a.kill_mod),
            (b.kill_time, &b.victim_guid, &b.killer_guid, b.kill_mod)
        );
        assert_eq!(a.outcome.as_str(), b.outcome);
        assert_eq!(
            (a.outcome_time, a.delta_ms, a.effective_denied_ms),
            (b.outcome_time, b.delta_ms, Some(b.effective_denied_ms))
        );
        assert_eq!(a.gibber_guid.as_deref().unwrap_or(""), b.gibber_guid);
        assert_eq!(a.reviver_guid.as_deref().unwrap_or(""), b.reviver_guid);
    }
    let accuracy = r.weapon_accuracy.as_ref().expect("WEAPON_ACCURACY section");
    assert_eq!(accuracy.len(), rf.accuracy.len());
    for (a, b) in accuracy.iter().zip(&rf.accuracy) {
        assert_eq!(
            (&a.player_guid, a.team.as_str(), a.weapon),
            (&b.guid, b.team.as_str(), b.weapon)
        );
        assert_eq!(
            (a.shots_fired, a.hits, a.kills, a.headshots),
            (b.shots, b.hits, b.kills, b.headshots)
        );
    }
    let regions = r.hit_regions.as_ref().expect("HIT_REGIONS section");
    assert_eq!(regions.len(), rf.regions.len());
    for (a, b) in regions.iter().zip(&rf.regions) {
        assert_eq!(
            (
                a.time,
                &a.attacker_guid,
                &a.victim_guid,
                a.weapon,
                a.region as i64,
                a.damage
            ),
            (
                b.time,
                &b.attacker_guid,
                &b.victim_guid,
                b.weapon,
                b.region,
                b.damage
            )
        );
    }
    let timing = r.spawn_timing.as_ref().expect("SPAWN_TIMING section");
    assert_eq!(timing.len(), rf.timing.len());
    for (a, b) in timing.iter().zip(&rf.timing) {
        assert_eq!(
            (&a.killer_guid, &a.victim_guid, a.kill_time),
            (&b.killer_guid, &b.victim_guid, b.kill_time)
        );
        assert_eq!(
            (a.killer_team.as_str(), a.victim_team.as_str()),
            (b.killer_team.as_str(), b.victim_team.as_str())
        );
        assert_eq!(
            (a.enemy_spawn_interval, a.time_to_next_spawn),
            (b.interval, b.time_to_next)
        );
        assert_eq!(
            (a.spawn_timing_score, a.killer_reinf, a.victim_reinf),
            (b.score, b.killer_reinf, b.victim_reinf)
        );
    }
    r
}
