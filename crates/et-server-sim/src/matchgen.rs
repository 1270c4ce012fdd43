//! A seeded random match on the simulated server: N players for S seconds with realistic
//! movement, fights with real weapon and MOD numbers, crossfires, escapes, team kills, falls,
//! `/kill`, revives, gibs, tap-outs, respawn waves, a disconnect mid-fight (and a reconnect), a
//! team switch, bots, a spectator and names with colour codes and separators. Players fire at
//! their weapon's real rate, bullets land in head, arms, body or legs, grenades splash. The
//! server's `truth` holds what really happened.

use crate::sim::{EngineVersion, Mode, Server, c, grenade, loadout};
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
    s.run_for(1000);
    s.measure = cfg.measure;
    s.go_live();

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
            if !alive || !rng.random_bool(0.05) {
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
            let victim = (0..n).find(|&v| bots.iter().any(|b| b.target == Some(v)));
            if let Some(v) = victim {
                let hitter = bots.iter().position(|b| b.target == Some(v)).unwrap();
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
            let (name, guid) = {
                let w = s.world.borrow();
                (w.clients[v].name.clone(), w.clients[v].guid.clone())
            };
            let team = if v % 2 == 0 {
                c::TEAM_AXIS
            } else {
                c::TEAM_ALLIES
            };
            s.connect_with_guid(v, &name, &guid, team, 0, false);
            disconnected = Some((v, 0));
        }
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
