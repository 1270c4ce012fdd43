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
