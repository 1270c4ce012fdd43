//! A seeded random match on the simulated server: N players for S seconds with realistic
//! movement, fights with real weapon and MOD numbers, crossfires, escapes, team kills, falls,
//! `/kill`, revives, gibs, tap-outs, respawn waves, a disconnect mid-fight (and a reconnect), a
//! team switch, bots, a spectator and names with colour codes and separators. Players fire at
//! their weapon's real rate, bullets land in head, arms, body or legs, grenades splash. The map
//! has objectives: dynamite planted, defused and exploding, constructibles built and destroyed,
//! MG42 repairs, a spawn flag captured back and forth, two items stolen, carried, dropped,
//! secured, returned by touch or after 30 s, and a tank escorted by players near it, on its MG
//! or riding it. The server's `truth` holds what really happened.

use crate::sim::{EngineVersion, FlagAt, Mode, Server, c, grenade, loadout};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What to play.
#[derive(Clone, Copy, Debug)]
pub struct MatchConfig {
    pub players: usize,
    pub seconds: i64,
    pub seed: u64,
    pub version: EngineVersion,
    /// Measure the tracker's CPU time per frame (for the benchmark).
    pub measure: bool,
}

struct Bot {
    target: Option<usize>,
    downed_at: Option<i64>,
    down_fate: u8,
    /// Round time of the next shot the weapon allows.
    next_shot: i64,
    next_grenade: i64,
}

/// Where a bullet that hits lands (HR_*): mostly body, some heads.
fn region(rng: &mut StdRng) -> usize {
    match rng.random_range(0..100) {
        0..=13 => c::HR_HEAD,
        14..=31 => c::HR_ARMS,
        32..=79 => c::HR_BODY,
        _ => c::HR_LEGS,
    }
}

/// One shot of `cn` at `v` with its main weapon: a hit with the weapon's odds, in some region;
/// a headshot does double damage (at least 50), as `G_DamageExt` does.
fn shoot(s: &mut Server, rng: &mut StdRng, cn: usize, v: usize) {
    let (class, team) = {
        let w = s.world.borrow();
        (w.clients[cn].player_type, w.clients[cn].team)
    };
    let spec = loadout(class, team);
    s.weapon_fire(cn);
    let odds = if spec.fire_ms >= 400 { 0.45 } else { 0.3 };
    if rng.random_bool(odds) {
        let r = region(rng);
        let mut dmg = rng.random_range(spec.damage.clone());
        if r == c::HR_HEAD {
            dmg = (dmg * 2).max(50);
        }
        s.damage_region(v, cn as i64, dmg, spec.mod_, r);
    }
}

/// A grenade thrown at `v`: it may hurt `v` and other living enemies near it (no hit region).
fn throw_grenade(s: &mut Server, rng: &mut StdRng, cn: usize, v: usize, n: usize) {
    let team = s.world.borrow().clients[cn].team;
    let spec = grenade(team);
    s.weapon_fire_with(cn, spec.wp);
    let at = s.world.borrow().clients[v].ps.origin;
    let near: Vec<usize> = (0..n)
        .filter(|&o| {
            let w = s.world.borrow();
            let cl = &w.clients[o];
            cl.is_alive()
                && cl.team != team
                && (cl.ps.origin[0] - at[0]).hypot(cl.ps.origin[1] - at[1]) < 350.0
        })
        .collect();
    for o in near {
        if rng.random_bool(0.6) {
            let dmg = rng.random_range(spec.damage.clone());
            s.damage_region(o, cn as i64, dmg, spec.mod_, c::HR_BODY);
        }
    }
}

/// Plays a whole match: warmup, the live round, intermission, the next map (which flushes the
/// file). Returns the server with its ground truth and files.
pub fn play(cfg: MatchConfig) -> Server {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut s = Server::new(cfg.version, 64, &Server::tracker_path());
    objective_map(&mut s);
    s.load_map("supply");
    let n = cfg.players.min(63);
    for cn in 0..n {
        let team = if cn % 2 == 0 {
            c::TEAM_AXIS
        } else {
            c::TEAM_ALLIES
        };
        let class = rng.random_range(0..5);
        let bot = cn % 5 == 4;
        let name = match cn % 4 {
            0 => format!("^{}Player{cn}", cn % 10),
            1 => format!("p{cn};with|odd,chars"),
            2 => format!("Plain {cn}"),
            _ => format!("^^7x^3{cn}"),
        };
        s.connect(cn, &name, team, class, bot);
    }
    // A spectator that follows somebody (its playerstate mirrors theirs).
    s.connect(n, "Spectator", c::TEAM_SPECTATOR, 0, false);
    // Warmup fights: must not be recorded.
    // Warmup fights (shots, hits with regions, kills): must not be counted.
    for _ in 0..40 {
        s.frame();
        let a = rng.random_range(0..n);
        let v = rng.random_range(0..n);
        if a != v && s.world.borrow().clients[a].is_alive() {
            for _ in 0..3 {
                shoot(&mut s, &mut rng, a, v);
            }
        }
    }
    // Warmup objective play: must not be recorded either.
    if n >= 2 {
        s.plant_dynamite(1, MAIN_GATE);
        s.pickup_flag(1, 0);
        s.frame();
        s.drop_objective(1);
        s.build(0, MG_NEST, 300.0);
        s.repair_mg42(0);
        s.capture_checkpoint(0, FORWARD_BUNKER);
    }
    s.run_for(1000);
    s.measure = cfg.measure;
    s.go_live();
    let mut director = Director::new(n);

    let mut bots: Vec<Bot> = (0..64)
        .map(|_| Bot {
            target: None,
            downed_at: None,
            down_fate: 0,
            next_shot: 0,
            next_grenade: 0,
        })
        .collect();
    let end = cfg.seconds * 1000;
    let disconnect_at = end * 2 / 5;
    let switch_at = end * 3 / 5;
    let mut disconnected: Option<(usize, i64)> = None;
    let mut switched = false;
    let mut frame = 0u64;
    // Respawn waves are the server's own (limbo times and reinforcement seeds).
    while s.round_time() < end {
        s.frame();
        frame += 1;
        let t = s.round_time();
        // Movement: every player re-plans about once a second.
        for cn in 0..n {
            let alive = s.world.borrow().clients[cn].is_alive();
            if !alive || !rng.random_bool(0.05) || director.scripted[cn] {
                continue;
            }
            let pos = s.world.borrow().clients[cn].ps.origin;
            let mode = match rng.random_range(0..20) {
                0..=8 => Mode::Run,
                9..=12 => Mode::Sprint,
                13..=14 => Mode::Crouch,
                15 => Mode::Prone,
                _ => Mode::Still,
            };
            let heading = if pos[0].abs() > 3000.0 || pos[1].abs() > 3000.0 {
                (-pos[1]).atan2(-pos[0]).to_degrees() + rng.random_range(-30.0..30.0)
            } else {
                rng.random_range(-180.0..180.0)
            };
            s.set_motion(cn, mode, heading);
        }
        // Combat, every frame.
        #[allow(clippy::needless_range_loop)] // cn indexes bots and the server's clients
        for cn in 0..n {
            let (alive, team, class) = {
                let w = s.world.borrow();
                let cl = &w.clients[cn];
                (cl.is_alive(), cl.team, cl.player_type)
            };
            if !alive {
                bots[cn].target = None;
                continue;
            }
            let target_ok = bots[cn].target.is_some_and(|v| {
                let w = s.world.borrow();
                w.clients[v].is_alive() && w.clients[v].team != team
            });
            if !target_ok {
                bots[cn].target = None;
            }
            if bots[cn].target.is_none() {
                if frame % 4 == (cn % 4) as u64 && rng.random_bool(0.08) {
                    let pos = s.world.borrow().clients[cn].ps.origin;
                    let enemies: Vec<usize> = (0..n)
                        .filter(|&v| {
                            let w = s.world.borrow();
                            let o = &w.clients[v];
                            o.is_alive()
                                && o.team != team
                                && (o.ps.origin[0] - pos[0]).hypot(o.ps.origin[1] - pos[1]) < 2500.0
                        })
                        .collect();
                    if !enemies.is_empty() {
                        bots[cn].target = Some(enemies[rng.random_range(0..enemies.len())]);
                    }
                }
                continue;
            }
            // Lose the target sometimes (the target may escape).
            if rng.random_bool(0.01) {
                bots[cn].target = None;
                continue;
            }
            // Automatic fire at the weapon's rate while engaged, now and then a grenade.
            if t >= bots[cn].next_shot {
                let Some(v) = bots[cn].target else { continue };
                let spec = loadout(class, team);
                if t >= bots[cn].next_grenade && rng.random_bool(0.02) {
                    throw_grenade(&mut s, &mut rng, cn, v, n);
                    bots[cn].next_grenade = t + grenade(team).fire_ms;
                    bots[cn].next_shot = t + grenade(team).fire_ms;
                } else {
                    shoot(&mut s, &mut rng, cn, v);
                    bots[cn].next_shot = t + spec.fire_ms;
                }
            }
        }
        // Rare events.
        if rng.random_bool(0.004) {
            // Friendly fire: a bullet in a team mate (the engine counts its region too) or a
            // team kill with a grenade.
            let a = rng.random_range(0..n);
            let team = s.world.borrow().clients[a].team;
            let mates: Vec<usize> = (0..n)
                .filter(|&v| {
                    let w = s.world.borrow();
                    v != a && w.clients[v].is_alive() && w.clients[v].team == team
                })
                .collect();
            if s.world.borrow().clients[a].is_alive() && !mates.is_empty() {
                let v = mates[rng.random_range(0..mates.len())];
                if rng.random_bool(0.5) {
                    let (class, team) = {
                        let w = s.world.borrow();
                        (w.clients[a].player_type, w.clients[a].team)
                    };
                    s.weapon_fire(a);
                    let r = region(&mut rng);
                    s.damage_region(v, a as i64, 5, loadout(class, team).mod_, r);
                } else {
                    s.damage(v, a as i64, 150, c::MOD_GRENADE_PINEAPPLE);
                }
            }
        }
        if rng.random_bool(0.0015) {
            // A panzerfaust: enough damage to gib at death.
            let a = rng.random_range(0..n);
            let (alive, team) = {
                let w = s.world.borrow();
                (w.clients[a].is_alive(), w.clients[a].team)
            };
            let victim = (0..n).find(|&v| {
                let w = s.world.borrow();
                w.clients[v].is_alive() && w.clients[v].team != team
            });
            if let (true, Some(v)) = (alive, victim) {
                s.weapon_fire_with(a, c::WP_PANZERFAUST);
                s.damage(v, a as i64, 300, c::MOD_PANZERFAUST);
            }
        }
        if rng.random_bool(0.003) {
            let v = rng.random_range(0..n);
            if s.world.borrow().clients[v].is_alive() {
                let dmg = rng.random_range(10..130);
                s.damage(v, c::ENTITYNUM_WORLD, dmg, c::MOD_FALLING);
            }
        }
        if rng.random_bool(0.001) {
            let v = rng.random_range(0..n);
            s.kill_cmd(v);
        }
        if rng.random_bool(0.001) {
            let v = rng.random_range(0..n);
            if s.world.borrow().clients[v].is_alive() {
                s.ents_trigger(200);
                s.damage(v, 200, 40, c::MOD_TRIGGER_HURT);
            }
        }
        // Downed players: revive, gib or tap out.
        #[allow(clippy::needless_range_loop)] // cn indexes bots and the server's clients
        for cn in 0..n {
            let downed = s.world.borrow().clients[cn].is_downed();
            if !downed {
                bots[cn].downed_at = None;
                continue;
            }
            let since = match bots[cn].downed_at {
                None => {
                    bots[cn].downed_at = Some(t);
                    bots[cn].down_fate = rng.random_range(0..10);
                    continue;
                }
                Some(d) => t - d,
            };
            let fate = bots[cn].down_fate;
            if fate < 4 && since >= 2000 + fate as i64 * 500 {
                let team = s.world.borrow().clients[cn].team;
                let medic = (0..n).find(|&m| {
                    let w = s.world.borrow();
                    m != cn
                        && w.clients[m].is_alive()
                        && w.clients[m].team == team
                        && w.clients[m].player_type == 1
                });
                match medic {
                    Some(m) => s.revive(cn, m),
                    None => s.tap_out(cn),
                }
            } else if (4..6).contains(&fate) && since >= 1500 {
                let team = s.world.borrow().clients[cn].team;
                let enemy = (0..n).find(|&m| {
                    let w = s.world.borrow();
                    w.clients[m].is_alive() && w.clients[m].team != team
                });
                match enemy {
                    Some(e) => {
                        let (class, team) = {
                            let w = s.world.borrow();
                            (w.clients[e].player_type, w.clients[e].team)
                        };
                        // Shots at the body until it is destroyed.
                        let spec = loadout(class, team);
                        s.weapon_fire(e);
                        s.damage(cn, e as i64, 200, spec.mod_);
                    }
                    None => s.tap_out(cn),
                }
            } else if since >= 3000 + fate as i64 * 400 {
                s.tap_out(cn);
            }
        }
        // A disconnect in the middle of a fight, and the reconnect 20 s later.
        if disconnected.is_none() && t >= disconnect_at {
            // A living target of a living shooter (either may have gone down this frame).
            let alive = |s: &Server, i: usize| s.world.borrow().clients[i].is_alive();
            let pair = (0..n).find_map(|v| {
                let hitter = (0..n).find(|&h| bots[h].target == Some(v) && alive(&s, h))?;
                alive(&s, v).then_some((v, hitter))
            });
            if let Some((v, hitter)) = pair {
                let spec = loadout(1, s.world.borrow().clients[hitter].team);
                s.damage(v, hitter as i64, 5, spec.mod_);
                s.disconnect(v);
                for b in bots.iter_mut() {
                    if b.target == Some(v) {
                        b.target = None;
                    }
                }
                disconnected = Some((v, t));
            }
        }
        // The reconnect, 20 s later, with the same identity.
        if let Some((v, at)) = disconnected
            && at > 0
            && t >= at + 20_000
        {
            reconnect(&mut s, v);
            disconnected = Some((v, 0));
        }
        director.step(&mut s, &mut rng, n, t, end);
        if !switched
            && t >= switch_at
            && let Some(v) = (0..n).find(|&v| s.world.borrow().clients[v].is_alive())
        {
            let team = s.world.borrow().clients[v].team;
            s.switch_team(v, 3 - team);
            switched = true;
        }
    }
    s.end_round();
    // Intermission: the file is built and written over these frames.
    s.run_for(5000);
    s.measure = false;
    s.load_map("next");
    s
}

// ---------------------------------------------------------------------------------------------
// The objective game of the random map

/// Entity numbers of the random map's objectives.
pub const COMMAND_POST: usize = 100;
pub const MG_NEST: usize = 101;
pub const MAIN_GATE: usize = 110;
pub const FORWARD_BUNKER: usize = 120;
pub const TANK: usize = 130;
pub const DOCUMENTS: usize = 140;
pub const RADIO: usize = 141;
const TANK_START: [f64; 3] = [-1500.0, 0.0, 0.0];
const TANK_END_X: f64 = 1500.0;
const TANK_SPEED: f64 = 60.0;

/// The objectives of the random map: two constructibles, a dynamite objective, a spawn flag, a
/// tank and two items (the Axis documents, carried by the Allies to their truck, and the Allied
/// radio). The Axis defend.
pub fn objective_map(s: &mut Server) {
    s.add_constructible(
        COMMAND_POST,
        "the Command Post",
        c::TEAM_ALLIES,
        [1200.0, -800.0, 0.0],
    );
    s.add_constructible(
        MG_NEST,
        "the Axis MG Nest",
        c::TEAM_AXIS,
        [-1200.0, 800.0, 0.0],
    );
    s.add_objective_info(MAIN_GATE, "the Main Gate", [0.0, -1500.0, 0.0]);
    s.add_checkpoint(FORWARD_BUNKER, "the Forward Bunker", [0.0, 1500.0, 0.0]);
    s.add_mover(TANK, "tank", TANK_START);
    s.add_flag(
        DOCUMENTS,
        c::PW_REDFLAG,
        "the Secret Documents",
        [-2600.0, 600.0, 0.0],
    );
    s.add_flag(
        RADIO,
        c::PW_BLUEFLAG,
        "the Allied Radio",
        [2600.0, -1200.0, 0.0],
    );
    s.defender = Some(c::TEAM_AXIS);
}

/// Where each item's carriers take it (index = flag index).
const DELIVER: [[f64; 3]; 2] = [[-1000.0, 2600.0, 0.0], [1000.0, -2800.0, 0.0]];

#[derive(Default)]
struct Director {
    /// (planter, target, explodes at, defused instead)
    dynamite: Option<(usize, usize, i64, bool)>,
    next_dynamite: i64,
    builders: [Option<usize>; 2],
    next_capture: i64,
    escorts: Vec<usize>,
    /// (who, until)
    mounted: Option<(usize, i64)>,
    boarded: Option<(usize, i64)>,
    next_ride: i64,
    carrier_left: Option<(usize, i64)>,
    forced_end_carry: bool,
    /// Players the director moves this frame (carriers, escorts).
    pub scripted: Vec<bool>,
}

fn dist2(a: [f64; 3], b: [f64; 3]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

fn alive_of(s: &Server, n: usize, team: i64, class: Option<i64>) -> Vec<usize> {
    let w = s.world.borrow();
    (0..n)
        .filter(|&i| {
            let cl = &w.clients[i];
            cl.is_alive()
                && cl.team == team
                && cl.tank_link.is_none()
                && cl.ground_entity == c::ENTITYNUM_WORLD
                && class.is_none_or(|k| cl.player_type == k)
        })
        .collect()
}

fn pick(rng: &mut StdRng, v: &[usize]) -> Option<usize> {
    (!v.is_empty()).then(|| v[rng.random_range(0..v.len())])
}

/// An engineer of `team` if one is alive, else anybody alive of it.
fn engineer(s: &Server, rng: &mut StdRng, n: usize, team: i64, busy: &[bool]) -> Option<usize> {
    let free = |v: Vec<usize>| -> Vec<usize> { v.into_iter().filter(|&i| !busy[i]).collect() };
    let e = free(alive_of(s, n, team, Some(2)));
    pick(rng, &e).or_else(|| pick(rng, &free(alive_of(s, n, team, None))))
}

impl Director {
    fn new(n: usize) -> Self {
        // The first three Allies escort the tank.
        let escorts = (0..n).filter(|cn| cn % 2 == 1).take(3).collect();
        Director {
            next_dynamite: 10_000,
            next_capture: 20_000,
            next_ride: 15_000,
            escorts,
            scripted: vec![false; 64],
            ..Director::default()
        }
    }

    /// Who the director moves from now on (the random walk leaves them alone).
    fn mark(&mut self, s: &Server) {
        for x in self.scripted.iter_mut() {
            *x = false;
        }
        for f in &s.flags {
            if let FlagAt::Carried(cn) = f.at {
                self.scripted[cn] = true;
            }
        }
        for &e in &self.escorts {
            self.scripted[e] = true;
        }
    }

    fn step(&mut self, s: &mut Server, rng: &mut StdRng, n: usize, t: i64, end: i64) {
        self.mark(s);
        self.items(s, rng, n, t, end);
        self.dynamite(s, rng, n, t);
        self.building(s, rng, n);
        self.capture(s, rng, n, t);
        self.escort(s, rng, t);
        self.mark(s);
    }

    fn items(&mut self, s: &mut Server, rng: &mut StdRng, n: usize, t: i64, end: i64) {
        let tank = s.world.borrow().ents[&TANK].origin;
        // An item is carried when the round ends.
        let carried = s.flags.iter().any(|f| matches!(f.at, FlagAt::Carried(_)));
        let force = !carried && !self.forced_end_carry && t >= end - 600;
        for (i, goal) in DELIVER.into_iter().enumerate().take(s.flags.len()) {
            let f = s.flags[i].clone();
            let enemy = 3 - f.owner;
            match f.at {
                FlagAt::Carried(cn) => {
                    let pos = s.world.borrow().clients[cn].ps.origin;
                    if dist2(pos, goal) < 150.0 {
                        s.secure_flag(cn);
                        s.set_winner(Some(enemy));
                    } else if t < end - 3000 && rng.random_bool(0.0015) {
                        s.drop_objective(cn);
                    } else {
                        let heading = (goal[1] - pos[1]).atan2(goal[0] - pos[0]).to_degrees();
                        s.set_motion(cn, Mode::Sprint, heading);
                    }
                }
                FlagAt::Dropped { ent, .. } => {
                    let at = s.world.borrow().ents[&ent].origin;
                    // Teleports stay away from the tank (the tracker looks at players near it
                    // from their last position sample).
                    if dist2(at, tank) < 1200.0 {
                        continue;
                    }
                    if force {
                        let them: Vec<usize> = alive_of(s, n, enemy, None)
                            .into_iter()
                            .filter(|&p| !self.scripted[p])
                            .collect();
                        if let Some(p) = pick(rng, &them) {
                            s.place(p, at);
                            s.pickup_flag(p, i);
                            self.forced_end_carry = true;
                        }
                    } else if rng.random_bool(0.0015) {
                        let own: Vec<usize> = alive_of(s, n, f.owner, None)
                            .into_iter()
                            .filter(|&p| !self.scripted[p])
                            .collect();
                        if let Some(p) = pick(rng, &own) {
                            s.place(p, at);
                            s.return_flag(p, i);
                        }
                    } else if rng.random_bool(0.001) {
                        let them: Vec<usize> = alive_of(s, n, enemy, None)
                            .into_iter()
                            .filter(|&p| !self.scripted[p])
                            .collect();
                        if let Some(p) = pick(rng, &them) {
                            s.place(p, at);
                            s.pickup_flag(p, i);
                        }
                    }
                }
                FlagAt::Home => {
                    let force = force && !self.forced_end_carry;
                    if force || (t < end - 3000 && rng.random_bool(0.003)) {
                        let them: Vec<usize> = alive_of(s, n, enemy, None)
                            .into_iter()
                            .filter(|&p| !self.scripted[p])
                            .collect();
                        if let Some(p) = pick(rng, &them) {
                            let home = s.world.borrow().ents[&f.home].origin;
                            s.place(p, home);
                            s.pickup_flag(p, i);
                            self.forced_end_carry |= force;
                        }
                    }
                }
            }
        }
        // A carrier leaves the server (and comes back 15 s later).
        match self.carrier_left {
            None if t >= end * 7 / 10 => {
                let carrier = s.flags.iter().find_map(|f| match f.at {
                    FlagAt::Carried(cn) => Some(cn),
                    _ => None,
                });
                if let Some(cn) = carrier {
                    s.disconnect(cn);
                    self.carrier_left = Some((cn, t));
                }
            }
            Some((cn, at)) if at > 0 && t >= at + 15_000 => {
                reconnect(s, cn);
                self.carrier_left = Some((cn, 0));
            }
            _ => {}
        }
    }

    fn dynamite(&mut self, s: &mut Server, rng: &mut StdRng, n: usize, t: i64) {
        match self.dynamite {
            None if t >= self.next_dynamite => {
                // The Axis blow up the Allied Command Post when it stands, else the Allies the gate.
                let cp_built = s.world.borrow().ents[&COMMAND_POST].angles2[1] >= 1.0;
                let (team, target) = if cp_built && rng.random_bool(0.7) {
                    (c::TEAM_AXIS, COMMAND_POST)
                } else {
                    (c::TEAM_ALLIES, MAIN_GATE)
                };
                if let Some(p) = engineer(s, rng, n, team, &self.scripted) {
                    s.plant_dynamite(p, target);
                    let at = t + rng.random_range(3000..8000);
                    self.dynamite = Some((p, target, at, rng.random_bool(0.4)));
                }
                self.next_dynamite = t + rng.random_range(15_000..30_000);
            }
            Some((p, target, at, defuse)) if t >= at => {
                self.dynamite = None;
                let team = s.world.borrow().clients[p].team;
                if defuse {
                    if let Some(d) = engineer(s, rng, n, 3 - team, &self.scripted) {
                        s.defuse_dynamite(d, target);
                    }
                } else if s.world.borrow().clients[p].is_alive() {
                    // The armer's position is read at the explosion: only while alive (a
                    // limbo player's playerstate is someone else's).
                    s.explode_dynamite(p, target);
                }
            }
            _ => {}
        }
    }

    fn building(&mut self, s: &mut Server, rng: &mut StdRng, n: usize) {
        for (k, (ent, team)) in [(COMMAND_POST, c::TEAM_ALLIES), (MG_NEST, c::TEAM_AXIS)]
            .into_iter()
            .enumerate()
        {
            let built = s.world.borrow().ents[&ent].angles2[1] >= 1.0;
            match self.builders[k] {
                Some(b) => {
                    let ok = s.world.borrow().clients[b].is_alive();
                    if !ok || built {
                        self.builders[k] = None;
                    } else {
                        s.build(b, ent, 4.0);
                    }
                }
                None if !built && rng.random_bool(0.004) => {
                    self.builders[k] = engineer(s, rng, n, team, &self.scripted);
                }
                None if built && rng.random_bool(0.003) => {
                    // Enemy fire on a standing constructible (the nest falls to it).
                    if let Some(a) = pick(rng, &alive_of(s, n, 3 - team, None)) {
                        let dmg = rng.random_range(80..200);
                        s.damage_entity(ent, a as i64, dmg, c::MOD_GRENADE_LAUNCHER);
                    }
                }
                _ => {}
            }
        }
        if rng.random_bool(0.001) {
            let team = if rng.random_bool(0.5) {
                c::TEAM_AXIS
            } else {
                c::TEAM_ALLIES
            };
            if let Some(e) = engineer(s, rng, n, team, &self.scripted) {
                s.repair_mg42(e);
            }
        }
    }

    fn capture(&mut self, s: &mut Server, rng: &mut StdRng, n: usize, t: i64) {
        if t < self.next_capture {
            return;
        }
        self.next_capture = t + rng.random_range(30_000..60_000);
        let owner = s.world.borrow().ents[&FORWARD_BUNKER].count;
        let team = if owner == c::TEAM_AXIS {
            c::TEAM_ALLIES
        } else {
            c::TEAM_AXIS
        };
        let them: Vec<usize> = alive_of(s, n, team, None)
            .into_iter()
            .filter(|&p| !self.scripted[p])
            .collect();
        if let Some(p) = pick(rng, &them) {
            let at = s.world.borrow().ents[&FORWARD_BUNKER].origin;
            s.place(p, at);
            s.set_motion(p, Mode::Still, 0.0);
            s.capture_checkpoint(p, FORWARD_BUNKER);
        }
    }

    fn escort(&mut self, s: &mut Server, rng: &mut StdRng, t: i64) {
        let tank = s.world.borrow().ents[&TANK].origin;
        // Off the MG or the truck bed when the time is up.
        for slot in [&mut self.mounted, &mut self.boarded] {
            if let Some((cn, until)) = *slot {
                let on = {
                    let w = s.world.borrow();
                    w.clients[cn].tank_link.is_some() || w.clients[cn].ground_entity == TANK as i64
                };
                if !on || t >= until {
                    s.leave_vehicle(cn);
                    *slot = None;
                }
            }
        }
        for &e in &self.escorts.clone() {
            let (alive, pos, riding) = {
                let w = s.world.borrow();
                let cl = &w.clients[e];
                (
                    cl.is_alive(),
                    cl.ps.origin,
                    cl.tank_link.is_some() || cl.ground_entity != c::ENTITYNUM_WORLD,
                )
            };
            if !alive || riding {
                continue;
            }
            let d = dist2(pos, tank);
            if t >= self.next_ride && d < 250.0 {
                if self.mounted.is_none() && rng.random_bool(0.5) {
                    s.mount_tank(e, TANK);
                    self.mounted = Some((e, t + rng.random_range(5000..15_000)));
                    self.next_ride = t + rng.random_range(10_000..25_000);
                    continue;
                } else if self.boarded.is_none() {
                    s.board(e, TANK);
                    self.boarded = Some((e, t + rng.random_range(5000..15_000)));
                    self.next_ride = t + rng.random_range(10_000..25_000);
                    continue;
                }
            }
            if d > 300.0 {
                let heading = (tank[1] - pos[1]).atan2(tank[0] - pos[0]).to_degrees();
                s.set_motion(e, Mode::Run, heading);
            } else {
                s.set_motion(e, Mode::Still, 0.0);
            }
        }
        // The tank rolls while an Ally is close to it or on it, up to the end of its path.
        let (escorted, riders) = {
            let w = s.world.borrow();
            let near = w.clients.iter().any(|cl| {
                cl.is_alive() && cl.team == c::TEAM_ALLIES && dist2(cl.ps.origin, tank) <= 500.0
            });
            (near, self.mounted.is_some() || self.boarded.is_some())
        };
        let v = if (escorted || riders) && tank[0] < TANK_END_X {
            [TANK_SPEED, 0.0, 0.0]
        } else {
            [0.0; 3]
        };
        s.set_mover_velocity(TANK, v);
    }
}

/// Connects `cn` again with the name and GUID it had, on its side of the match.
fn reconnect(s: &mut Server, cn: usize) {
    let (name, guid) = {
        let w = s.world.borrow();
        (w.clients[cn].name.clone(), w.clients[cn].guid.clone())
    };
    let team = if cn.is_multiple_of(2) {
        c::TEAM_AXIS
    } else {
        c::TEAM_ALLIES
    };
    s.connect_with_guid(cn, &name, &guid, team, 0, false);
}
