//! Support uptime (`metrics.md`, "Support uptime").

use std::collections::BTreeMap;

use crate::format::{Name, Round, Team};

use super::{Life, MetricParams, Roster, nearest_sample};

/// One player's support uptime in one round: the share of their path samples (all lives) at
/// which at least one teammate (another GUID with a life of the sample's life's team, living at
/// the sample time) has a nearest sample within `support_sample_window_ms` that is within
/// `support_radius` (2D).
#[derive(Debug, Clone, PartialEq)]
pub struct SupportUptime {
    pub guid: String,
    /// Latest seen name and team.
    pub name: Name,
    pub team: Team,
    pub samples: i64,
    pub supported_samples: i64,
    /// `100 × supported_samples / samples`.
    pub pct: f64,
}

/// Support uptime of every player with at least one path sample (by GUID), and the round-level
/// figure: the mean of their percentages (`None` when no player has a sample).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Support {
    pub players: Vec<SupportUptime>,
    pub mean_pct: Option<f64>,
}

/// Support uptime of every player of the round.
///
/// Cost: for each sample, the teammate lives that overlap its life, each with a cursor that only
/// moves forward, stopping at the first supporting teammate: linear in the samples times the
/// number of overlapping teammate lives.
pub fn support_uptime(round: &Round, params: &MetricParams) -> Support {
    let roster = Roster::new(&round.tracks, &round.engagements);
    let lives: Vec<Life> = round.tracks.iter().map(Life::new).collect();
    let mut counts: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for life in &lives {
        let (Some(first), Some(last)) = (life.path.first(), life.path.last()) else {
            continue;
        };
        let me = life.track;
        // One cursor per overlapping teammate life: this life's samples come in time order, so
        // each teammate's nearest sample only moves forward (amortised O(1) per check).
        let mut candidates: Vec<(&Life, usize)> = lives
            .iter()
            .filter(|o| {
                o.track.team == me.team
                    && o.track.guid != me.guid
                    && o.track.spawn_time <= last.time
                    && o.track.death_time.is_none_or(|d| d > first.time)
            })
            .map(|o| (o, 0))
            .collect();
        let window = params.support_sample_window_ms;
        let mut supported = 0usize;
        for s in life.path.iter() {
            let hit = candidates.iter_mut().any(|(o, cursor)| {
                if !o.alive_at(s.time) {
                    return false;
                }
                let path = &o.path;
                while *cursor < path.len() && path[*cursor].time < s.time {
                    *cursor += 1;
                }
                // path[cursor - 1] is the last sample before t, path[cursor] the first at or
                // after it: the same pair `nearest_sample` finds by binary search.
                let lo = cursor.saturating_sub(1);
                let hi = (*cursor + 1).min(path.len());
                nearest_sample(&path[lo..hi], s.time, window)
                    .is_some_and(|n| n.pos.distance_2d(&s.pos) <= params.support_radius)
            });
            supported += usize::from(hit);
        }
        let c = counts.entry(&me.guid).or_default();
        c.0 += life.path.len() as i64;
        c.1 += supported as i64;
    }
    let players: Vec<SupportUptime> = roster
        .players()
        .into_iter()
        .filter_map(|p| {
            let &(samples, supported) = counts.get(p.guid.as_str())?;
            Some(SupportUptime {
                guid: p.guid,
                name: p.name,
                team: p.team,
                samples,
                supported_samples: supported,
                pct: supported as f64 * 100.0 / samples as f64,
            })
        })
        .collect();
    let mean_pct = (!players.is_empty())
        .then(|| players.iter().map(|p| p.pct).sum::<f64>() / players.len() as f64);
    Support { players, mean_pct }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    const EPS: f64 = 1e-9;

    fn support_round() -> Round {
        let mut r = round();
        r.tracks = vec![
            track(
                "a",
                Team::Axis,
                0,
                None,
                &[
                    (0, 0.0, 0.0),
                    (1000, 0.0, 0.0),
                    (2000, 0.0, 0.0),
                    (3000, 0.0, 0.0),
                ],
            ),
            // b is 500, 601 and 100 away from a, and dead from 2500 on.
            track(
                "b",
                Team::Axis,
                0,
                Some(2500),
                &[(0, 500.0, 0.0), (1000, 601.0, 0.0), (2000, 100.0, 0.0)],
            ),
            // d spawns at 2600 next to a.
            track(
                "d",
                Team::Axis,
                2600,
                None,
                &[(2600, 0.0, 0.0), (3000, 0.0, 0.0)],
            ),
            // c is alone on its team (on a's spot, but an enemy).
            track("c", Team::Allies, 0, None, &[(1000, 0.0, 0.0)]),
            // e has a life without samples.
            track("e", Team::Axis, 0, None, &[]),
        ];
        r
    }

    #[test]
    fn uptime_has_hand_computed_figures() {
        let s = support_uptime(&support_round(), &MetricParams::default());
        let rows: Vec<(&str, i64, i64)> = s
            .players
            .iter()
            .map(|p| (p.guid.as_str(), p.samples, p.supported_samples))
            .collect();
        // a: 0 (b, 500) yes; 1000 (b, 601) no; 2000 (b, 100) yes; 3000 (b dead, d at 0) yes.
        // b: 0 yes; 1000 no; 2000 yes. c: no teammate. d: 2600 (a's 3000 sample) yes; 3000 yes.
        assert_eq!(rows, [("a", 4, 3), ("b", 3, 2), ("c", 1, 0), ("d", 2, 2)]);
        assert_eq!(s.players[0].pct, 75.0);
        assert!((s.players[1].pct - 200.0 / 3.0).abs() < EPS);
        assert_eq!(s.players[2].pct, 0.0);
        assert_eq!(s.players[3].pct, 100.0);
        let mean = (75.0 + 200.0 / 3.0 + 0.0 + 100.0) / 4.0;
        assert!((s.mean_pct.unwrap() - mean).abs() < EPS);
        assert_eq!(s.players[0].team, Team::Axis);
    }

    #[test]
    fn a_dead_teammate_does_not_support_even_with_a_sample_in_the_window() {
        let mut r = support_round();
        r.tracks.retain(|t| t.guid != "d");
        let s = support_uptime(&r, &MetricParams::default());
        assert_eq!(
            (s.players[0].guid.as_str(), s.players[0].supported_samples),
            ("a", 2)
        );
    }

    #[test]
    fn the_teammate_sample_window_is_inclusive() {
        let mut r = round();
        r.tracks
            .push(track("a", Team::Axis, 0, None, &[(5000, 0.0, 0.0)]));
        r.tracks
            .push(track("b", Team::Axis, 0, None, &[(6500, 600.0, 0.0)]));
        let s = support_uptime(&r, &MetricParams::default());
        assert_eq!(
            (
                s.players[0].supported_samples,
                s.players[1].supported_samples
            ),
            (1, 1)
        );
        r.tracks[1].path[0].time = 6501;
        let s = support_uptime(&r, &MetricParams::default());
        assert_eq!(
            (
                s.players[0].supported_samples,
                s.players[1].supported_samples
            ),
            (0, 0)
        );
    }

    #[test]
    fn no_samples_means_no_rows_and_no_mean() {
        let mut r = round();
        r.tracks.push(track("e", Team::Axis, 0, None, &[]));
        assert_eq!(
            support_uptime(&r, &MetricParams::default()),
            Support::default()
        );
    }
}
