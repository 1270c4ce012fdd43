//! Seeded synthetic rounds: the bundled samples, the demo, the benchmarks and the 10-year
//! database generator are made with it.
//!
//! It plays a simple but consistent match on the 200 ms sampling clock: players run between
//! waypoints (run 256, sprint 352, crouch 80, prone 30 u/s), shoot the nearest enemy in range,
//! die and respawn on their team's wave; fights become engagements with crossfires, escapes and
//! timeouts by the tracker's rules, and every kill ends exactly one life. The output is a
//! [`Round`], written with [`crate::format::write`] like the tracker's files.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::format::*;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    pub map: String,
    pub round: u8,
    pub players: usize,
    pub duration_s: u32,
    pub seed: u64,
    pub start_unix: i64,
}

impl SynthOptions {
    pub fn new(map: &str, round: u8, players: usize, duration_s: u32, seed: u64) -> Self {
        SynthOptions {
            map: map.to_string(),
            round,
            players,
            duration_s,
            seed,
            // Rounds of different seeds are different rounds, so they start at different times.
            start_unix: 1_768_070_000 + (seed % 1_000_000) as i64 * 3_600,
        }
    }
}

const STEP_MS: i64 = 200;

/// The bundled samples (`assets/samples`): a stopwatch pair on two maps and single rounds on
/// two more, twelve players for five minutes each, an evening of play one round apart.
pub fn sample_set() -> Vec<(String, SynthOptions)> {
    let plan: [(&str, u8); 6] = [
        ("supply", 1),
        ("supply", 2),
        ("sw_goldrush_te", 1),
        ("sw_goldrush_te", 2),
        ("etl_adlernest", 1),
        ("frostbite", 1),
    ];
    plan.iter()
        .enumerate()
        .map(|(i, (map, round))| {
            let mut opts = SynthOptions::new(map, *round, 12, 300, 100 + i as u64);
            opts.start_unix = 1_768_070_000 + i as i64 * 400;
            let stamp = chrono::DateTime::from_timestamp(opts.start_unix + 300, 0)
                .map(|t| t.format("%Y-%m-%d-%H%M%S").to_string())
                .unwrap_or_default();
            (format!("{stamp}-{map}-round-{round}_engagements.txt"), opts)
        })
        .collect()
}
const NAMES: &[&str] = &[
    "^1Red^7Baron",
    "^4Blue^7Moon",
    "Sniper^3Wolf",
    "^2Panzer^7Kid",
    "Medic!",
    "^5Ice^7Man",
    "Bazooka Joe",
    "^6Viper",
    "Ghost",
    "^3Lucky^1Strike",
    "Rambo",
    "^7Shadow",
    "Nomad",
    "^1Ace",
    "Falcon",
    "^2Tank",
    "Spectre",
    "^4Echo",
    "Hawkeye",
    "^5Blitz",
    "Razor",
    "^6Storm",
    "Fury",
    "^3Maverick",
    "Jester",
    "^1Raven",
    "Cobra",
    "^2Bandit",
    "Titan",
    "^4Phantom",
    "Reaper",
    "^5Hunter",
];

struct Player {
    guid: String,
    name: Name,
    team: Team,
    class: PlayerClass,
    pos: Vec3,
    waypoint: Vec3,
    health: i64,
    alive: bool,
    respawn_at: i64,
    life: Option<usize>,
    move_after: i64,
    weapon: i64,
    stance: Stance,
    sprint: bool,
    speed: f64,
}

struct OpenFight {
    id: i64,
    start: i64,
    start_pos: Vec3,
    last_hit: i64,
    last_hit_pos: Vec3,
    positions: Vec<EngagementPoint>,
    attackers: BTreeMap<usize, Attacker>,
    order: Vec<usize>,
    damage: i64,
}

struct Hit {
    time: i64,
    attacker: usize,
    target: usize,
}

/// Generates one round.
pub fn synth_round(opts: &SynthOptions) -> Round {
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let (min_x, max_x, min_y, max_y) = bounds(&opts.map);
    let (w, h) = (max_x - min_x, max_y - min_y);
    let inner = |rng: &mut StdRng, fx: (f64, f64)| {
        Vec3::new(
            round1(min_x + w * rng.random_range(fx.0..fx.1)),
            round1(min_y + h * rng.random_range(0.15..0.85)),
            rng.random_range(0.0..256.0f64).round(),
        )
    };

    let mut players: Vec<Player> = (0..opts.players)
        .map(|i| {
            let team = if i % 2 == 0 { Team::Axis } else { Team::Allies };
            // The same players every round, so that lifetime figures accumulate.
            let guid = format!(
                "{:016X}{:016X}",
                0x5EED_0000_u64 + i as u64,
                (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            );
            let guid = if i == opts.players - 1 && opts.players > 8 {
                format!("OMNIBOT{:02}", i)
            } else {
                guid
            };
            Player {
                guid,
                name: Name::from(NAMES[i % NAMES.len()]),
                team,
                class: PlayerClass::ALL[i % PlayerClass::ALL.len()],
                pos: Vec3::default(),
                waypoint: Vec3::default(),
                health: 0,
                alive: false,
                respawn_at: 0,
                life: None,
                move_after: 0,
                weapon: if team == Team::Axis { 3 } else { 8 },
                stance: Stance::Standing,
                sprint: false,
                speed: 0.0,
            }
        })
        .collect();

    let mut round = Round::new(Header::new(Banner::V4, opts.map.clone(), opts.round));
    let h = &mut round.header;
    h.round_start_unix = opts.start_unix;
    h.round_end_unix = opts.start_unix + i64::from(opts.duration_s);
    h.tracker_version_full = Some(format!("proximity-synth {}", env!("CARGO_PKG_VERSION")));
    h.axis_spawn_interval_ms = Some(30_000);
    h.allies_spawn_interval_ms = Some(20_000);
    h.capabilities = vec![
        ("engagements".into(), true),
        ("tracks".into(), true),
        ("heatmaps".into(), true),
        ("reactions".into(), true),
        ("objective_focus".into(), false),
    ];
    h.capabilities.extend(
        GameSection::ALL
            .iter()
            .map(|s| (s.capability().to_string(), true)),
    );

    let end = i64::from(opts.duration_s) * 1000;
    let mut fights: BTreeMap<usize, OpenFight> = BTreeMap::new();
    let mut next_id = 1;
    let mut hits: Vec<Hit> = Vec::new();
    let mut movement: BTreeMap<(i64, i64), MovementCell> = BTreeMap::new();
    let cell = |p: &Vec3| ((p.x / 512.0).floor() as i64, (p.y / 512.0).floor() as i64);

    let mut t = 0;
    while t <= end {
        // Spawns.
        for p in players.iter_mut() {
            if !p.alive && p.respawn_at <= t {
                let side = if p.team == Team::Axis {
                    (0.1, 0.3)
                } else {
                    (0.7, 0.9)
                };
                p.pos = inner(&mut rng, side);
                p.waypoint = inner(&mut rng, (0.3, 0.7));
                p.health = if p.class == PlayerClass::Medic {
                    110
                } else {
                    100
                };
                p.alive = true;
                p.move_after = t + rng.random_range(200..2000);
                p.stance = Stance::Standing;
                p.sprint = false;
                p.speed = 0.0;
                round.tracks.push(PlayerTrack {
                    guid: p.guid.clone(),
                    name: p.name.clone(),
                    team: p.team,
                    class: p.class,
                    spawn_time: t,
                    death_time: None,
                    first_move_time: None,
                    death_type: DeathType::RoundEnd,
                    samples: 0,
                    path: Vec::new(),
                });
                p.life = Some(round.tracks.len() - 1);
                push_sample(&mut round.tracks, p, t, PathEvent::Spawn);
            }
        }

        // Movement.
        for p in players.iter_mut().filter(|p| p.alive) {
            if t < p.move_after {
                p.speed = 0.0;
                continue;
            }
            let roll: f64 = rng.random();
            (p.stance, p.sprint, p.speed) = if roll < 0.03 {
                (Stance::Prone, false, 30.0)
            } else if roll < 0.12 {
                (Stance::Crouched, false, 80.0)
            } else if roll < 0.40 {
                (Stance::Standing, true, 352.0)
            } else {
                (Stance::Standing, false, 256.0)
            };
            let step = p.speed * STEP_MS as f64 / 1000.0;
            let d = p.pos.distance_2d(&p.waypoint);
            if d <= step {
                p.pos = Vec3::new(p.waypoint.x, p.waypoint.y, p.pos.z);
                p.waypoint = inner(&mut rng, (0.15, 0.85));
            } else {
                p.pos.x += (p.waypoint.x - p.pos.x) / d * step;
                p.pos.y += (p.waypoint.y - p.pos.y) / d * step;
            }
            p.pos = Vec3::new(round1(p.pos.x), round1(p.pos.y), p.pos.z);
            if let Some(life) = p.life {
                let track = &mut round.tracks[life];
                if track.first_move_time.is_none() && p.speed > 10.0 {
                    track.first_move_time = Some(t);
                }
            }
            if p.health < 100 {
                p.health += 1;
            }
            movement
                .entry(cell(&p.pos))
                .or_insert_with(|| empty_cell(cell(&p.pos)))
                .traversal += 1;
        }

        // Shooting: each living player may hit the nearest enemy within range.
        for a in 0..players.len() {
            if !players[a].alive || rng.random::<f64>() > 0.09 {
                continue;
            }
            let target = (0..players.len())
                .filter(|&v| players[v].alive && players[v].team != players[a].team)
                .map(|v| (v, players[a].pos.distance_2d(&players[v].pos)))
                .filter(|(_, d)| *d < 1400.0)
                .min_by(|x, y| x.1.total_cmp(&y.1));
            let Some((v, _)) = target else { continue };
            let weapon = match rng.random_range(0..10) {
                0 => {
                    if players[a].team == Team::Axis {
                        23
                    } else {
                        24
                    }
                }
                1 => 7,
                _ => players[a].weapon,
            };
            let damage = rng.random_range(8..36);
            hits.push(Hit {
                time: t,
                attacker: a,
                target: v,
            });
            let target_pos = players[v].pos;
            let fight = fights.entry(v).or_insert_with(|| {
                let f = OpenFight {
                    id: next_id,
                    start: t,
                    start_pos: target_pos,
                    last_hit: t,
                    last_hit_pos: target_pos,
                    positions: vec![EngagementPoint {
                        time: t,
                        pos: target_pos,
                        event: PositionEvent::Start,
                    }],
                    attackers: BTreeMap::new(),
                    order: Vec::new(),
                    damage: 0,
                };
                next_id += 1;
                f
            });
            fight.last_hit = t;
            fight.last_hit_pos = target_pos;
            fight.damage += damage;
            fight.positions.push(EngagementPoint {
                time: t,
                pos: target_pos,
                event: PositionEvent::Hit,
            });
            movement
                .entry(cell(&target_pos))
                .or_insert_with(|| empty_cell(cell(&target_pos)))
                .combat += 1;
            if !fight.attackers.contains_key(&a) {
                fight.order.push(a);
            }
            let pa = &players[a];
            let entry = fight.attackers.entry(a).or_insert_with(|| Attacker {
                guid: pa.guid.clone(),
                name: pa.name.clone(),
                team: pa.team,
                damage: 0,
                hits: 0,
                first_hit: t,
                last_hit: t,
                got_kill: false,
                weapons: Vec::new(),
            });
            entry.damage += damage;
            entry.hits += 1;
            entry.last_hit = t;
            match entry.weapons.iter_mut().find(|(w, _)| *w == weapon) {
                Some((_, n)) => *n += 1,
                None => entry.weapons.push((weapon, 1)),
            }
            players[v].health -= damage;
            if players[v].health <= 0 {
                entry.got_kill = true;
                let fight = fights.remove(&v).expect("fight exists");
                let killer = a;
                close_fight(
                    &mut round,
                    &players,
                    v,
                    fight,
                    Outcome::Killed,
                    Some(killer),
                    t,
                    target_pos,
                    &opts.map,
                );
                let p = &mut players[v];
                p.alive = false;
                let interval = if p.team == Team::Axis { 30_000 } else { 20_000 };
                p.respawn_at = ((t + 5000) / interval + 1) * interval;
                push_sample(&mut round.tracks, p, t, PathEvent::End(DeathType::Killed));
                if let Some(life) = p.life.take() {
                    round.tracks[life].death_time = Some(t.max(1));
                    round.tracks[life].death_type = DeathType::Killed;
                }
            }
        }

        // Fights that went quiet: escape or timeout.
        let quiet: Vec<usize> = fights
            .iter()
            .filter(|(_, f)| t - f.last_hit >= 5000)
            .map(|(v, _)| *v)
            .collect();
        for v in quiet {
            let f = &fights[&v];
            let moved = players[v].pos.distance(&f.last_hit_pos);
            if moved >= 300.0 {
                let f = fights.remove(&v).expect("listed");
                let pos = players[v].pos;
                movement
                    .entry(cell(&pos))
                    .or_insert_with(|| empty_cell(cell(&pos)))
                    .escape += 1;
                close_fight(
                    &mut round,
                    &players,
                    v,
                    f,
                    Outcome::Escaped,
                    None,
                    t,
                    pos,
                    &opts.map,
                );
            } else if t - f.last_hit >= 15_000 {
                let f = fights.remove(&v).expect("listed");
                let pos = players[v].pos;
                close_fight(
                    &mut round,
                    &players,
                    v,
                    f,
                    Outcome::Timeout,
                    None,
                    t,
                    pos,
                    &opts.map,
                );
            }
        }
        for (v, f) in fights.iter_mut() {
            if (t - f.start) % 1000 == 0 && t != f.start && t != f.last_hit {
                f.positions.push(EngagementPoint {
                    time: t,
                    pos: players[*v].pos,
                    event: PositionEvent::Sample,
                });
            }
        }

        // Samples.
        for p in players.iter().filter(|p| p.alive) {
            if round.tracks[p.life.expect("alive")]
                .path
                .last()
                .is_some_and(|s| s.time == t)
            {
                continue;
            }
            push_sample(&mut round.tracks, p, t, PathEvent::Sample);
        }
        t += STEP_MS;
    }

    // Round end: open fights and lives end with it.
    let open: Vec<(usize, OpenFight)> = std::mem::take(&mut fights).into_iter().collect();
    for (v, f) in open {
        let pos = players[v].pos;
        close_fight(
            &mut round,
            &players,
            v,
            f,
            Outcome::RoundEnd,
            None,
            end,
            pos,
            &opts.map,
        );
    }
    for p in players.iter().filter(|p| p.alive) {
        let track = &mut round.tracks[p.life.expect("alive")];
        if let Some(last) = track.path.last_mut() {
            last.event = PathEvent::End(DeathType::RoundEnd);
        }
    }
    for track in &mut round.tracks {
        track.samples = track.path.len() as i64;
    }

    // Heatmaps from what happened.
    let mut kills: BTreeMap<(i64, i64), KillCell> = BTreeMap::new();
    for e in round
        .engagements
        .iter()
        .filter(|e| e.outcome == Outcome::Killed)
    {
        let c = cell(&e.end);
        let k = kills.entry(c).or_insert(KillCell {
            grid_x: c.0,
            grid_y: c.1,
            axis_kills: 0,
            allies_kills: 0,
        });
        match e.target_team {
            Team::Allies => k.axis_kills += 1,
            Team::Axis => k.allies_kills += 1,
        }
    }
    round.kill_heatmap = kills.into_values().collect();
    round.movement_heatmap = movement.into_values().collect();
    round.reactions = Some(reactions(&round, &players, &hits));
    game_sections(&mut round, opts.seed, end);
    objective_sections(&mut round, opts.seed, end);
    round
}

/// The objective game, played by the round's living players where they stand: a plant every
/// minute or so, defused or blown; a construction; documents carried and secured, dropped and
/// returned; a vehicle escorted. Drawn from a generator of its own, like [`game_sections`].
fn objective_sections(round: &mut Round, seed: u64, end: i64) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0B1E_C71F_u64);
    let names: Vec<String> = crate::maps::map_info(&round.header.map)
        .map(|m| m.objectives.iter().map(|o| o.name.clone()).collect())
        .filter(|n: &Vec<String>| !n.is_empty())
        .unwrap_or_else(|| vec!["the Main Gate".into(), "the Command Post".into()]);
    // A living player of `team` at `t`, with where they are.
    let living = |team: Team, t: i64, pick: usize| {
        let alive: Vec<_> = round
            .tracks
            .iter()
            .filter(|l| l.team == team && l.spawn_time <= t && l.death_time.is_none_or(|d| d > t))
            .collect();
        let l = alive.get(pick % alive.len().max(1))?;
        let at = l
            .path
            .iter()
            .rev()
            .find(|p| p.time <= t)
            .or(l.path.first())?;
        Some((l.guid.clone(), l.name.clone(), at.pos))
    };
    let mut events = Vec::new();
    let mut carries = Vec::new();
    let mut returns = Vec::new();
    let mut t = rng.random_range(20_000..60_000);
    let mut n = 0usize;
    while t + 40_000 < end {
        let track = Name::new(names[n % names.len()].as_bytes());
        let event = |action, team, t, pick: usize| {
            living(team, t, pick).map(|(guid, name, pos)| ObjectiveEvent {
                time: t,
                action,
                player_guid: guid,
                player_name: name,
                player_team: team,
                track_name: track.clone(),
                pos,
            })
        };
        let pick = rng.random_range(0..64usize);
        match n % 3 {
            0 => {
                events.extend(event(ObjectiveAction::DynamitePlant, Team::Axis, t, pick));
                let late = if rng.random_bool(0.5) {
                    event(
                        ObjectiveAction::DynamiteDefuse,
                        Team::Allies,
                        t + 12_000,
                        pick,
                    )
                } else {
                    event(
                        ObjectiveAction::ObjectiveDestroyed,
                        Team::Axis,
                        t + 30_000,
                        pick,
                    )
                };
                events.extend(late);
            }
            1 => events.extend(event(ObjectiveAction::Constructed, Team::Allies, t, pick)),
            _ => {
                if let Some((guid, name, from)) = living(Team::Axis, t, pick) {
                    let secured = rng.random_bool(0.5);
                    let carry_ms = rng.random_range(4_000..20_000);
                    let drop = t + carry_ms;
                    let beeline = rng.random_range(100.0..900.0_f64).round();
                    let path = (beeline * rng.random_range(1.0..1.6_f64)).round();
                    let to = Vec3::new(from.x + beeline, from.y, from.z);
                    carries.push(Carry {
                        carrier_guid: guid.clone(),
                        carrier_name: name.clone(),
                        carrier_team: Team::Axis,
                        flag_team: Team::Allies,
                        pickup_time: t,
                        drop_time: drop,
                        duration_ms: carry_ms,
                        outcome: if secured {
                            CarryOutcome::Secured
                        } else {
                            CarryOutcome::Dropped
                        },
                        carry_distance: path,
                        beeline_distance: beeline,
                        efficiency: (beeline / path * 1000.0).round() / 1000.0,
                        path_samples: carry_ms / 50 + 2,
                        pickup_pos: from,
                        drop_pos: to,
                        killer_guid: None,
                        killer_name: None,
                    });
                    if secured {
                        events.push(ObjectiveEvent {
                            time: drop,
                            action: ObjectiveAction::ObjectiveSecured,
                            player_guid: guid,
                            player_name: name,
                            player_team: Team::Axis,
                            track_name: Name::new("the Documents"),
                            pos: to,
                        });
                    } else {
                        let back = drop + rng.random_range(2_000..30_000);
                        returns.push(CarrierReturn {
                            return_time: back,
                            returner: living(Team::Allies, back, pick).map(|(guid, name, _)| {
                                Returner {
                                    guid,
                                    name,
                                    team: Team::Allies,
                                }
                            }),
                            flag_team: Team::Allies,
                            original_carrier_guid: Some(guid),
                            drop_time: Some(drop),
                            return_delay_ms: Some(back - drop),
                            drop_pos: Some(to),
                        });
                    }
                }
            }
        }
        n += 1;
        t += rng.random_range(50_000..110_000);
    }
    events.sort_by_key(|e| e.time);
    let escorts = round
        .tracks
        .iter()
        .filter(|l| l.team == Team::Allies)
        .take(2)
        .map(|l| {
            let near = rng.random_range(10_000..60_000);
            let escort = (f64::from(near as i32) * 0.05).round();
            EscortCredit {
                player_guid: l.guid.clone(),
                player_name: l.name.clone(),
                player_team: l.team,
                vehicle_name: Name::new("tank"),
                mounted_time_ms: near / 4,
                proximity_time_ms: near,
                total_escort_distance: escort,
                credit_distance: (escort * 0.6).round(),
                samples: near / 200,
            }
        })
        .collect();
    round.objective_events = Some(events);
    round.carries = Some(carries);
    round.carrier_returns = Some(returns);
    round.escorts = Some(escorts);
    round.header.winner = Some(Winner::Team(Team::ALL[(seed % 2) as usize]));
    round.header.time_set_ms = Some(end);
}

/// The rest of the game, from the fights that happened: how each killed player ended (a medic
/// teammate alive at the time may revive, else gibbed or tapped out before the next wave),
/// shots and hit regions behind each attacker's hits, and each kill against the victim team's
/// wave. Drawn from a generator of its own so the match above is the same with or without it.
fn game_sections(round: &mut Round, seed: u64, end: i64) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x006A_3E5E_C710_u64);
    let interval = |team: Team| if team == Team::Axis { 30_000 } else { 20_000 };
    let next_wave = |team: Team, t: i64| (t / interval(team) + 1) * interval(team);
    let spawn_after = |guid: &str, t: i64| {
        round
            .tracks
            .iter()
            .filter(|l| l.guid == guid && l.spawn_time > t)
            .map(|l| l.spawn_time)
            .min()
            .unwrap_or(end)
    };
    let living_medic = |team: Team, t: i64, not: &str| {
        round
            .tracks
            .iter()
            .find(|l| {
                l.team == team
                    && l.class == PlayerClass::Medic
                    && l.guid != not
                    && l.spawn_time <= t
                    && l.death_time.is_none_or(|d| d > t)
            })
            .map(|l| (l.guid.clone(), l.name.clone()))
    };
    let mut revives = Vec::new();
    let mut outcomes = Vec::new();
    let mut timings = Vec::new();
    for e in round
        .engagements
        .iter()
        .filter(|e| e.outcome == Outcome::Killed)
    {
        let (Some(killer_guid), Some(killer_name)) = (&e.killer_guid, &e.killer_name) else {
            continue;
        };
        let kill = e.end_time;
        let respawn = spawn_after(&e.target_guid, kill);
        let killer_team = e
            .attackers
            .iter()
            .find(|a| &a.guid == killer_guid)
            .map_or(Team::ALL[0], |a| a.team);
        let roll: f64 = rng.random();
        let medic = living_medic(e.target_team, kill, &e.target_guid);
        let at = (kill + rng.random_range(1_500..9_000))
            .min(respawn)
            .min(end);
        let (outcome, gibber, reviver) = match medic {
            Some(m) if roll < 0.35 && at < respawn => (KillFate::Revived, None, Some(m)),
            _ if roll < 0.65 => (
                KillFate::Gibbed,
                Some((killer_guid.clone(), killer_name.clone())),
                None,
            ),
            _ if respawn >= end => (KillFate::RoundEnd, None, None),
            _ => (KillFate::TappedOut, None, None),
        };
        let outcome_time = match outcome {
            KillFate::RoundEnd => end,
            KillFate::TappedOut => respawn,
            _ => at,
        };
        let denied = match outcome {
            KillFate::Revived => outcome_time - kill,
            _ => respawn - kill,
        };
        if let Some((medic_guid, medic_name)) = &reviver {
            revives.push(Revive {
                time: outcome_time,
                medic_guid: medic_guid.clone(),
                medic_name: medic_name.clone(),
                revived_guid: e.target_guid.clone(),
                revived_name: e.target_name.clone(),
                pos: e.end,
                distance_to_enemy: None,
                nearest_enemy_guid: None,
                under_fire: outcome_time - kill <= 3_000,
            });
        }
        outcomes.push(KillOutcome {
            kill_time: kill,
            victim_guid: e.target_guid.clone(),
            victim_name: e.target_name.clone(),
            killer_guid: killer_guid.clone(),
            killer_name: killer_name.clone(),
            kill_mod: 8,
            outcome,
            outcome_time,
            delta_ms: outcome_time - kill,
            effective_denied_ms: Some(denied),
            gibber_guid: gibber.as_ref().map(|g| g.0.clone()),
            gibber_name: gibber.map(|g| g.1),
            reviver_guid: reviver.as_ref().map(|r| r.0.clone()),
            reviver_name: reviver.map(|r| r.1),
        });
        let to_next = next_wave(e.target_team, kill) - kill;
        let tenths = |ms: i64| (ms as f64 / 100.0).round() / 10.0;
        timings.push(SpawnTiming {
            killer_guid: killer_guid.clone(),
            killer_name: killer_name.clone(),
            killer_team,
            victim_guid: e.target_guid.clone(),
            victim_name: e.target_name.clone(),
            victim_team: e.target_team,
            kill_time: kill,
            enemy_spawn_interval: Some(interval(e.target_team)),
            time_to_next_spawn: Some(to_next),
            spawn_timing_score: Some(
                (to_next as f64 / interval(e.target_team) as f64 * 1000.0).round() / 1000.0,
            ),
            killer_reinf: Some(tenths(next_wave(killer_team, kill) - kill)),
            victim_reinf: Some(tenths(to_next)),
        });
    }

    // Every hit of the fights, its region drawn (bullets only), and shots at each player's aim.
    let mut accuracy: BTreeMap<(String, i64), WeaponAccuracy> = BTreeMap::new();
    let mut regions = Vec::new();
    for e in &round.engagements {
        for a in &e.attackers {
            for &(weapon, n) in &a.weapons {
                let w =
                    accuracy
                        .entry((a.guid.clone(), weapon))
                        .or_insert_with(|| WeaponAccuracy {
                            player_guid: a.guid.clone(),
                            player_name: a.name.clone(),
                            team: a.team,
                            weapon,
                            shots_fired: 0,
                            hits: 0,
                            kills: 0,
                            headshots: 0,
                        });
                w.hits += n;
                if a.got_kill && a.weapons.first().map(|x| x.0) == Some(weapon) {
                    w.kills += 1;
                }
                if !is_bullet_weapon(weapon) {
                    continue;
                }
                for i in 0..n {
                    let region = match rng.random_range(0..20) {
                        0..=2 => HitRegion::Head,
                        3..=6 => HitRegion::Arms,
                        7..=15 => HitRegion::Body,
                        _ => HitRegion::Legs,
                    };
                    w.headshots += i64::from(region == HitRegion::Head);
                    let span = (a.last_hit - a.first_hit).max(0);
                    regions.push(HitRegionHit {
                        time: a.first_hit + span * i / n.max(1),
                        attacker_guid: a.guid.clone(),
                        attacker_name: a.name.clone(),
                        victim_guid: e.target_guid.clone(),
                        victim_name: e.target_name.clone(),
                        weapon,
                        region,
                        damage: (a.damage / a.hits.max(1)).max(1),
                    });
                }
            }
        }
    }
    let mut accuracy: Vec<WeaponAccuracy> = accuracy.into_values().collect();
    for w in &mut accuracy {
        let aim = rng.random_range(0.18..0.45);
        w.shots_fired = (w.hits as f64 / aim).ceil() as i64;
    }
    round.revives = Some(revives);
    round.kill_outcomes = Some(outcomes);
    round.weapon_accuracy = Some(accuracy);
    round.hit_regions = Some(regions);
    round.spawn_timing = Some(timings);
}

fn bounds(map: &str) -> (f64, f64, f64, f64) {
    match crate::maps::map_info(map) {
        Some(m) => (
            m.mins.0.min(m.maxs.0),
            m.mins.0.max(m.maxs.0),
            m.mins.1.min(m.maxs.1),
            m.mins.1.max(m.maxs.1),
        ),
        None => (-4096.0, 4096.0, -4096.0, 4096.0),
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn empty_cell(c: (i64, i64)) -> MovementCell {
    MovementCell {
        grid_x: c.0,
        grid_y: c.1,
        traversal: 0,
        combat: 0,
        escape: 0,
    }
}

fn push_sample(tracks: &mut [PlayerTrack], p: &Player, t: i64, event: PathEvent) {
    let Some(life) = p.life else { return };
    tracks[life].path.push(TrackSample {
        time: t,
        pos: p.pos,
        health: p.health,
        speed: p.speed,
        weapon: p.weapon,
        stance: p.stance,
        sprint: p.sprint,
        event,
    });
}

#[allow(clippy::too_many_arguments)]
fn close_fight(
    round: &mut Round,
    players: &[Player],
    target: usize,
    mut f: OpenFight,
    outcome: Outcome,
    killer: Option<usize>,
    t: i64,
    end: Vec3,
    _map: &str,
) {
    let event = match outcome {
        Outcome::Killed => PositionEvent::Death,
        Outcome::Escaped => PositionEvent::Escape,
        _ => PositionEvent::Sample,
    };
    if f.positions
        .last()
        .is_none_or(|p| p.time != t || event != PositionEvent::Sample)
    {
        f.positions.push(EngagementPoint {
            time: t,
            pos: end,
            event,
        });
    }
    let firsts: Vec<(i64, usize)> = f
        .order
        .iter()
        .map(|a| (f.attackers[a].first_hit, *a))
        .collect();
    let first_hit = firsts.first().map(|x| x.0).unwrap_or(f.start);
    let participants: Vec<usize> = firsts
        .iter()
        .filter(|(h, _)| *h - first_hit <= 1000)
        .map(|x| x.1)
        .collect();
    let is_crossfire = participants.len() >= 2;
    let distance: f64 = f
        .positions
        .windows(2)
        .map(|w| w[0].pos.distance(&w[1].pos))
        .sum();
    let p = &players[target];
    round.engagements.push(Engagement {
        id: f.id,
        start_time: f.start,
        end_time: t,
        duration: t - f.start,
        target_guid: p.guid.clone(),
        target_name: p.name.clone(),
        target_team: p.team,
        outcome,
        total_damage: f.damage,
        killer_guid: killer.map(|k| players[k].guid.clone()),
        killer_name: killer.map(|k| players[k].name.clone()),
        num_attackers: f.attackers.len() as i64,
        is_crossfire,
        crossfire_delay: is_crossfire.then(|| firsts[1].0 - firsts[0].0),
        crossfire_participants: if is_crossfire {
            participants
                .iter()
                .map(|a| players[*a].guid.clone())
                .collect()
        } else {
            Vec::new()
        },
        start: f.start_pos,
        end,
        distance_traveled: round1(distance),
        positions: f.positions,
        attackers: f.order.iter().map(|a| f.attackers[a].clone()).collect(),
    });
}

/// Reaction metrics from the hit log: return fire (the target hits one of its attackers),
/// support (a teammate of the target hits one of its attackers), within 5000 ms of the first
/// hit. Dodge reactions are not simulated.
fn reactions(round: &Round, players: &[Player], hits: &[Hit]) -> Vec<ReactionMetric> {
    let index: BTreeMap<&str, usize> = players
        .iter()
        .enumerate()
        .map(|(i, p)| (p.guid.as_str(), i))
        .collect();
    round
        .engagements
        .iter()
        .map(|e| {
            let target = index[e.target_guid.as_str()];
            let attackers: Vec<usize> =
                e.attackers.iter().map(|a| index[a.guid.as_str()]).collect();
            let first = e
                .attackers
                .iter()
                .map(|a| a.first_hit)
                .min()
                .unwrap_or(e.start_time);
            let window = |h: &&Hit| {
                h.time > first && h.time <= first + 5000 && attackers.contains(&h.target)
            };
            let return_fire = hits
                .iter()
                .filter(window)
                .find(|h| h.attacker == target)
                .map(|h| h.time - first);
            let support = hits
                .iter()
                .filter(window)
                .find(|h| h.attacker != target && players[h.attacker].team == players[target].team)
                .map(|h| h.time - first);
            ReactionMetric {
                engagement_id: e.id,
                target_guid: e.target_guid.clone(),
                target_name: e.target_name.clone(),
                target_team: e.target_team,
                target_class: players[target].class,
                outcome: e.outcome,
                num_attackers: e.num_attackers,
                return_fire_ms: return_fire,
                dodge_reaction_ms: None,
                support_reaction_ms: support,
                start_time: e.start_time,
                end_time: e.end_time,
                duration: e.duration,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_round_and_it_round_trips() {
        let opts = SynthOptions::new("supply", 1, 12, 120, 7);
        let a = synth_round(&opts);
        assert_eq!(a, synth_round(&opts));
        assert_eq!(parse(&write(&a)).unwrap(), a);
    }

    #[test]
    fn every_kill_ends_exactly_one_life() {
        let r = synth_round(&SynthOptions::new("goldrush", 2, 24, 300, 3));
        let kills = r
            .engagements
            .iter()
            .filter(|e| e.outcome == Outcome::Killed)
            .count();
        let deaths = r
            .tracks
            .iter()
            .filter(|t| t.death_type == DeathType::Killed)
            .count();
        assert!(kills > 20, "{kills} kills");
        assert_eq!(kills, deaths);
        assert!(r.engagements.iter().any(|e| e.is_crossfire));
        assert!(r.engagements.iter().any(|e| e.outcome == Outcome::Escaped));
        let killed_cells: i64 = r
            .kill_heatmap
            .iter()
            .map(|c| c.axis_kills + c.allies_kills)
            .sum();
        assert_eq!(killed_cells as usize, kills);
        // Every life is alive at the end or died once; every path is in time order.
        for t in &r.tracks {
            assert!(t.path.windows(2).all(|w| w[0].time < w[1].time));
            assert_eq!(t.samples as usize, t.path.len());
        }
    }
}
