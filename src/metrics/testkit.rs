//! Small builders for hand-made rounds in the metrics tests.

use crate::format::{
    Attacker, Banner, DeathType, Engagement, Header, Name, Outcome, PathEvent, PlayerClass,
    PlayerTrack, Round, Stance, Team, TrackSample, Vec3,
};

pub fn round() -> Round {
    Round::new(Header::new(Banner::V6, "supply", 1))
}

/// A standing, non-sprinting, motionless sample at `(x, y, 0)`.
pub fn sample(time: i64, x: f64, y: f64) -> TrackSample {
    TrackSample {
        time,
        pos: Vec3::new(x, y, 0.0),
        health: 100,
        speed: 0.0,
        weapon: 3,
        stance: Stance::Standing,
        sprint: false,
        event: PathEvent::Sample,
    }
}

/// A life named after its GUID; killed at `death` if given, else alive at the round end.
pub fn track(
    guid: &str,
    team: Team,
    spawn: i64,
    death: Option<i64>,
    path: &[(i64, f64, f64)],
) -> PlayerTrack {
    PlayerTrack {
        guid: guid.to_string(),
        name: Name::from(guid),
        team,
        class: PlayerClass::Soldier,
        spawn_time: spawn,
        death_time: death,
        first_move_time: None,
        death_type: if death.is_some() {
            DeathType::Killed
        } else {
            DeathType::RoundEnd
        },
        samples: path.len() as i64,
        path: path.iter().map(|&(t, x, y)| sample(t, x, y)).collect(),
    }
}

/// An engagement without attackers, positions at the origin.
pub fn engagement(
    id: i64,
    target: &str,
    team: Team,
    start: i64,
    end: i64,
    outcome: Outcome,
) -> Engagement {
    Engagement {
        id,
        start_time: start,
        end_time: end,
        duration: end - start,
        target_guid: target.to_string(),
        target_name: Name::from(target),
        target_team: team,
        outcome,
        total_damage: 0,
        killer_guid: None,
        killer_name: None,
        num_attackers: 0,
        is_crossfire: false,
        crossfire_delay: None,
        crossfire_participants: Vec::new(),
        start: Vec3::default(),
        end: Vec3::default(),
        distance_traveled: 0.0,
        positions: Vec::new(),
        attackers: Vec::new(),
    }
}

pub fn attacker(
    guid: &str,
    team: Team,
    damage: i64,
    first_hit: i64,
    last_hit: i64,
    got_kill: bool,
) -> Attacker {
    Attacker {
        guid: guid.to_string(),
        name: Name::from(guid),
        team,
        damage,
        hits: 1,
        first_hit,
        last_hit,
        got_kill,
        weapons: Vec::new(),
    }
}

/// Sets the attackers, `num_attackers`, `total_damage` and (for a kill) the killer from the
/// attacker with `got_kill`.
pub fn with_attackers(mut e: Engagement, attackers: Vec<Attacker>) -> Engagement {
    e.num_attackers = attackers.len() as i64;
    e.total_damage = attackers.iter().map(|a| a.damage).sum();
    if e.outcome == Outcome::Killed
        && let Some(k) = attackers.iter().find(|a| a.got_kill)
    {
        e.killer_guid = Some(k.guid.clone());
        e.killer_name = Some(k.name.clone());
    }
    e.attackers = attackers;
    e
}

/// Marks an engagement as a crossfire of `participants` with the given delay.
pub fn crossfire(mut e: Engagement, participants: &[&str], delay: i64) -> Engagement {
    e.is_crossfire = true;
    e.crossfire_delay = Some(delay);
    e.crossfire_participants = participants.iter().map(|s| s.to_string()).collect();
    e
}

/// A small deterministic generator for randomised tests.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A round of `players` players (alternating teams) with awkward lives: overlapping lives of one
/// player, open-ended and empty lives, lives that end before they start, paths out of time
/// order or with repeated times, samples exactly at, just inside and just outside 600 and 800
/// units of each other or walking about, on a 100 ms clock with jitter. Kills by the other team
/// with attackers.
pub fn random_round(rng: &mut Lcg, players: usize) -> Round {
    const SPOTS: [f64; 9] = [
        0.0,
        360.0,
        480.0,
        600.0,
        599.999_999_999_999_9,
        600.000_000_000_000_1,
        800.0,
        1500.0,
        -640.0,
    ];
    let mut r = round();
    for p in 0..players {
        let team = if p.is_multiple_of(2) {
            Team::Axis
        } else {
            Team::Allies
        };
        let guid = format!("p{p:02}");
        let mut spawn = rng.below(3000) as i64;
        for _ in 0..1 + rng.below(4) {
            let length = rng.pick(&[0, 100, 2000, 6000, 15_000]);
            let death = match rng.below(6) {
                0 => None,
                1 => Some(spawn - 100),
                _ => Some(spawn + length),
            };
            let n = if rng.below(8) == 0 { 0 } else { rng.below(60) };
            let mut time = spawn + rng.pick(&[-300, 0, 0, 50]);
            // Jumping between spots, or walking from one.
            let walk = rng.below(2) == 0;
            let (mut x, mut y) = (rng.pick(&SPOTS), rng.pick(&SPOTS));
            let path: Vec<(i64, f64, f64)> = (0..n)
                .map(|_| {
                    time += rng.pick(&[0, 100, 100, 100, 200, 1400, 1500, 1501]);
                    if walk {
                        x += rng.pick(&[-120.0, 0.0, 60.0, 120.0]);
                        y += rng.pick(&[-120.0, 0.0, 60.0, 120.0]);
                    } else {
                        (x, y) = (rng.pick(&SPOTS), rng.pick(&SPOTS));
                    }
                    (time, x, y)
                })
                .collect();
            let mut t = track(&guid, team, spawn, death, &path);
            if rng.below(5) == 0 {
                let k = t.path.len();
                if k > 2 {
                    t.path.swap(0, k / 2);
                }
            }
            r.tracks.push(t);
            // The next life may overlap this one.
            spawn += length + rng.pick(&[-1000, 0, 300, 5000]);
        }
    }
    for id in 0..(players as i64 * 3) {
        let victim = rng.below(players as u64) as usize;
        let killer = rng.below(players as u64) as usize;
        let team = |p: usize| {
            if p.is_multiple_of(2) {
                Team::Axis
            } else {
                Team::Allies
            }
        };
        let end = rng.below(40_000) as i64;
        let outcome = rng.pick(&[Outcome::Killed, Outcome::Killed, Outcome::Escaped]);
        let mut e = with_attackers(
            engagement(
                id,
                &format!("p{victim:02}"),
                team(victim),
                end - 900,
                end,
                outcome,
            ),
            vec![
                attacker(
                    &format!("p{killer:02}"),
                    team(killer),
                    60,
                    end - 800,
                    end,
                    true,
                ),
                attacker(
                    &format!("p{:02}", (killer + 2) % players),
                    team(killer),
                    30,
                    end - 500,
                    end - rng.below(400) as i64,
                    false,
                ),
            ],
        );
        e.end = Vec3::new(rng.pick(&SPOTS), rng.pick(&SPOTS), 0.0);
        r.engagements.push(e);
    }
    r
}
