//! A seeded random match on the simulated server: N players for S seconds with realistic
//! movement, fights with real weapon and MOD numbers, crossfires, escapes, team kills, falls,
//! `/kill`, revives, gibs, tap-outs, respawn waves, a disconnect mid-fight (and a reconnect), a
//! team switch, bots, a spectator and names with colour codes and separators. The server's
//! `truth` holds what really happened.

use crate::sim::{EngineVersion, Mode, Server, c};
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

/// Weapons per class and team: (means of death, damage range).
fn weapon(class: i64, team: i64) -> (i64, std::ops::RangeInclusive<i64>) {
    match (class, team) {
        (2, 1) => (c::MOD_KAR98, 40..=70),
        (2, _) => (c::MOD_CARBINE, 30..=60),
        (4, _) => (c::MOD_STEN, 12..=18),
        (3, _) => (c::MOD_GARAND, 30..=50),
        (_, 1) => (c::MOD_MP40, 14..=20),
        _ => (c::MOD_THOMPSON, 14..=20),
    }
}

struct Bot {
    target: Option<usize>,
    downed_at: Option<i64>,
    down_fate: u8,
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
    for _ in 0..40 {
        s.frame();
        let a = rng.random_range(0..n);
        let v = rng.random_range(0..n);
        if a != v {
            s.damage(v, a as i64, 30, c::MOD_MP40);
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
        })
        .collect();
    let end = cfg.seconds * 1000;
    let disconnect_at = end * 2 / 5;
    let switch_at = end * 3 / 5;
    let mut disconnected: Option<(usize, i64)> = None;
    let mut switched = false;
    let mut next_wave = [30_000i64, 20_000i64];
    let mut frame = 0u64;
    while s.round_time() < end {
        s.frame();
        frame += 1;
        let t = s.round_time();
        // Respawn waves.
        for (i, team) in [c::TEAM_AXIS, c::TEAM_ALLIES].into_iter().enumerate() {
            if t >= next_wave[i] {
                next_wave[i] += if i == 0 { 30_000 } else { 20_000 };
                s.respawn_wave(team);
            }
        }
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
            if rng.random_bool(0.12) {
                let v = bots[cn].target.unwrap();
                let (m, range) = weapon(class, team);
                let dmg = rng.random_range(range);
                s.weapon_fire(cn);
                s.damage(v, cn as i64, dmg, m);
            }
        }
        // Rare events.
        if rng.random_bool(0.002) {
            // Team kill with a grenade.
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
                s.damage(v, a as i64, 150, c::MOD_GRENADE_PINEAPPLE);
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
                    Some(e) => s.damage(cn, e as i64, 200, c::MOD_MP40),
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
                let (m, _) = weapon(1, s.world.borrow().clients[hitter].team);
                s.damage(v, hitter as i64, 5, m);
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
