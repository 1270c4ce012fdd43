//! Movement profile per life (`metrics.md`, "Per life").

use crate::format::{DeathType, Name, PlayerClass, PlayerTrack, Round, Stance, Team, TrackSample};

use super::{MetricParams, RoundView, sorted_path};

/// The movement figures of one life (a row of PLAYER_TRACKS).
#[derive(Debug, Clone, PartialEq)]
pub struct LifeProfile {
    /// Index of the life in `Round::tracks`.
    pub track_index: usize,
    pub guid: String,
    /// The name this life was recorded under.
    pub name: Name,
    pub team: Team,
    pub class: PlayerClass,
    pub spawn_time: i64,
    /// `death_time`, or the round end for a life alive at the end.
    pub end_time: i64,
    /// **alive duration** = `end_time − spawn_time` (never negative).
    pub alive_ms: i64,
    /// **distance**: sum of 3D distances between consecutive path samples (in time order).
    pub distance: f64,
    /// **average speed** = distance / alive duration, units per second; 0 for a zero-length life.
    pub avg_speed: f64,
    /// **peak speed** = the largest sample speed; 0 without samples.
    pub peak_speed: f64,
    /// **sprint %**: share of samples with sprint, 0–100 (0 without samples). Likewise stances.
    pub sprint_pct: f64,
    pub standing_pct: f64,
    pub crouched_pct: f64,
    pub prone_pct: f64,
    /// **spawn reaction** = first_move_time − spawn_time. When the file gives no first_move_time,
    /// the first sample faster than [`MetricParams::first_move_speed`] is used; none when the life
    /// never moved. A first move before the spawn (a broken row) counts as none.
    pub time_to_first_move_ms: Option<i64>,
    /// Number of path samples (the path, not the `samples` column).
    pub samples: i64,
    /// Whether the life ended by dying ([`DeathType::is_death`]).
    pub died: bool,
    pub death_type: DeathType,
}

/// The profile of one life; `round_end_ms` closes a life that is alive at the end.
pub fn life_profile(
    track_index: usize,
    track: &PlayerTrack,
    round_end_ms: i64,
    params: &MetricParams,
) -> LifeProfile {
    profile(
        track_index,
        track,
        &sorted_path(track),
        round_end_ms,
        params,
    )
}

/// [`life_profile`] given the track's path in time order.
fn profile(
    track_index: usize,
    track: &PlayerTrack,
    path: &[TrackSample],
    round_end_ms: i64,
    params: &MetricParams,
) -> LifeProfile {
    let end_time = track.death_time.unwrap_or(round_end_ms);
    let alive_ms = (end_time - track.spawn_time).max(0);
    let distance: f64 = path.windows(2).map(|w| w[0].pos.distance(&w[1].pos)).sum();
    let avg_speed = if alive_ms > 0 {
        distance * 1000.0 / alive_ms as f64
    } else {
        0.0
    };
    // One pass for the rest, in path order.
    let mut peak_speed: f64 = 0.0;
    let mut sprinting = 0;
    let mut stances = [0usize; 3];
    let mut first_fast: Option<i64> = None;
    for s in path {
        peak_speed = peak_speed.max(s.speed);
        sprinting += usize::from(s.sprint);
        stances[s.stance as usize] += 1;
        if first_fast.is_none() && s.speed > params.first_move_speed {
            first_fast = Some(s.time);
        }
    }
    let n = path.len();
    let pct = |count: usize| {
        if n == 0 {
            0.0
        } else {
            count as f64 * 100.0 / n as f64
        }
    };
    let stance = |st: Stance| pct(stances[st as usize]);
    let first_move = track.first_move_time.or(first_fast);
    LifeProfile {
        track_index,
        guid: track.guid.clone(),
        name: track.name.clone(),
        team: track.team,
        class: track.class,
        spawn_time: track.spawn_time,
        end_time,
        alive_ms,
        distance,
        avg_speed,
        peak_speed,
        sprint_pct: pct(sprinting),
        standing_pct: stance(Stance::Standing),
        crouched_pct: stance(Stance::Crouched),
        prone_pct: stance(Stance::Prone),
        time_to_first_move_ms: first_move.map(|t| t - track.spawn_time).filter(|&d| d >= 0),
        samples: n as i64,
        died: track.death_type.is_death(),
        death_type: track.death_type,
    }
}

/// The profile of every life of the round, by track index.
pub fn life_profiles(round: &Round, params: &MetricParams) -> Vec<LifeProfile> {
    life_profiles_in(&RoundView::new(round), params)
}

pub(crate) fn life_profiles_in(ctx: &RoundView, params: &MetricParams) -> Vec<LifeProfile> {
    let end = ctx.round.end_time();
    ctx.lives
        .iter()
        .enumerate()
        .map(|(i, life)| profile(i, life.track, &life.path, end, params))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    const EPS: f64 = 1e-9;

    #[test]
    fn a_walked_life_has_hand_computed_figures() {
        // 3-4-5 triangles: (0,0,0) → (3,4,0) → (3,4,12) = 5 + 12 = 17 units over 2000 ms.
        let mut t = track(
            "a",
            Team::Axis,
            1000,
            Some(3000),
            &[(1000, 0.0, 0.0), (2000, 3.0, 4.0), (3000, 3.0, 4.0)],
        );
        t.path[2].pos.z = 12.0;
        t.path[0].speed = 0.0;
        t.path[1].speed = 250.0;
        t.path[2].speed = 180.5;
        t.path[1].sprint = true;
        t.path[1].stance = Stance::Crouched;
        t.path[2].stance = Stance::Prone;
        t.first_move_time = Some(1400);
        let p = life_profile(7, &t, 99_999, &MetricParams::default());
        assert_eq!(p.track_index, 7);
        assert_eq!(p.end_time, 3000);
        assert_eq!(p.alive_ms, 2000);
        assert!((p.distance - 17.0).abs() < EPS);
        assert!((p.avg_speed - 8.5).abs() < EPS);
        assert_eq!(p.peak_speed, 250.0);
        assert!((p.sprint_pct - 100.0 / 3.0).abs() < EPS);
        assert!((p.standing_pct - 100.0 / 3.0).abs() < EPS);
        assert!((p.crouched_pct - 100.0 / 3.0).abs() < EPS);
        assert!((p.prone_pct - 100.0 / 3.0).abs() < EPS);
        assert_eq!(p.time_to_first_move_ms, Some(400));
        assert_eq!(p.samples, 3);
        assert!(p.died);
    }

    #[test]
    fn a_life_alive_at_the_end_runs_to_the_round_end() {
        let t = track(
            "a",
            Team::Allies,
            500,
            None,
            &[(500, 0.0, 0.0), (1500, 100.0, 0.0)],
        );
        let p = life_profile(0, &t, 4500, &MetricParams::default());
        assert_eq!(p.end_time, 4500);
        assert_eq!(p.alive_ms, 4000);
        assert_eq!(p.distance, 100.0);
        assert_eq!(p.avg_speed, 25.0);
        assert!(!p.died);
        assert_eq!(p.death_type, DeathType::RoundEnd);
    }

    #[test]
    fn a_life_of_one_sample_has_no_distance_and_full_shares() {
        let mut t = track("a", Team::Axis, 1000, Some(1000), &[(1000, 10.0, 10.0)]);
        t.path[0].sprint = true;
        t.path[0].speed = 5.0;
        let p = life_profile(0, &t, 9000, &MetricParams::default());
        assert_eq!(p.alive_ms, 0);
        assert_eq!(p.distance, 0.0);
        assert_eq!(p.avg_speed, 0.0); // zero-length life: no division by zero
        assert_eq!(p.peak_speed, 5.0);
        assert_eq!(p.sprint_pct, 100.0);
        assert_eq!(p.standing_pct, 100.0);
        assert_eq!(p.time_to_first_move_ms, None); // 5 u/s is not a move
        assert_eq!(p.samples, 1);
    }

    #[test]
    fn a_life_without_samples_has_zero_shares() {
        let t = track("a", Team::Axis, 0, None, &[]);
        let p = life_profile(0, &t, 2000, &MetricParams::default());
        assert_eq!(
            (p.samples, p.sprint_pct, p.standing_pct, p.peak_speed),
            (0, 0.0, 0.0, 0.0)
        );
        assert_eq!(p.alive_ms, 2000);
    }

    #[test]
    fn first_move_falls_back_to_the_first_fast_sample_and_rejects_pre_spawn_values() {
        let mut t = track(
            "a",
            Team::Axis,
            1000,
            None,
            &[(1000, 0.0, 0.0), (1200, 0.0, 0.0), (1400, 0.0, 0.0)],
        );
        t.path[1].speed = 10.0; // not faster than 10
        t.path[2].speed = 10.5;
        let params = MetricParams::default();
        assert_eq!(
            life_profile(0, &t, 2000, &params).time_to_first_move_ms,
            Some(400)
        );
        t.first_move_time = Some(1100); // the file's value wins
        assert_eq!(
            life_profile(0, &t, 2000, &params).time_to_first_move_ms,
            Some(100)
        );
        t.first_move_time = Some(900);
        assert_eq!(
            life_profile(0, &t, 2000, &params).time_to_first_move_ms,
            None
        );
    }

    #[test]
    fn the_distance_follows_time_order_and_profiles_use_the_round_end() {
        let mut r = round();
        let mut t = track(
            "a",
            Team::Axis,
            0,
            None,
            &[(0, 0.0, 0.0), (200, 10.0, 0.0), (400, 0.0, 0.0)],
        );
        t.path.swap(1, 2); // written out of order: 0, 400, 200
        r.tracks.push(track("b", Team::Axis, 0, Some(6000), &[]));
        r.tracks.push(t);
        let p = life_profiles(&r, &MetricParams::default());
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].track_index, 1);
        assert_eq!(p[1].distance, 20.0);
        assert_eq!(p[1].alive_ms, 6000); // round end = latest death
    }
}
