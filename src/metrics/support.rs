//! Support uptime (`metrics.md`, "Support uptime").

use std::collections::BTreeMap;

use crate::format::{Name, Round, Team};

use super::{Life, MetricParams, Roster};

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
/// Cost: for each sample, the teammate lives that overlap its life, one binary search each,
/// stopping at the first supporting teammate.
pub fn support_uptime(round: &Round, params: &MetricParams) -> Support {
    let roster = Roster::new(&round.tracks, &round.engagements);
    let lives: Vec<Life> = round.tracks.iter().map(Life::new).collect();
    let mut counts: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for life in &lives {
        let (Some(first), Some(last)) = (life.path.first(), life.path.last()) else {
            continue;
        };
        let me = life.track;
        let candidates: Vec<&Life> = lives
            .iter()
            .filter(|o| {
                o.track.team == me.team
                    && o.track.guid != me.guid
                    && o.track.spawn_time <= last.time
                    && o.track.death_time.is_none_or(|d| d > first.time)
            })
            .collect();
        let supported = life
            .path
            .iter()
            .filter(|s| {
                candidates.iter().any(|o| {
                    o.alive_at(s.time)
                        && o.nearest(s.time, params.support_sample_window_ms)
                            .is_some_and(|n| n.pos.distance_2d(&s.pos) <= params.support_radius)
                })
            })
            .count();
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
