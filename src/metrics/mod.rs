//! Every derived figure of one round (`reference/metrics.md`), computed from the parsed round
//! alone.
//!
//! Everything here is pure: no IO, no clock. [`derive`] computes all of it; the per-concept
//! functions ([`life_profiles`], [`pairs`], [`teamplay`], [`trades`], [`support_uptime`],
//! [`kill_heatmap`], [`summary`]) can be called on their own.
//!
//! A new per-player figure touches at most these places:
//! 1. `figures.rs`: a sum in `player_sums!` and how [`player_sums`] adds it up, and/or an entry of
//!    [`FIGURES`] (a ratio of sums: leaderboard, its choice and, listed in [`Card`], a card).
//! 2. the module here that derives it from the round, when no metric has it yet.
//! 3. a new migration adding the sum's column to `player_round_totals` and `player_totals`
//!    (`NOT NULL DEFAULT 0`; the SQL functions read the columns from the catalogue).
//! 4. tests: the figure against values computed from the raw rows (a new sum also goes into the
//!    reference view `tests/fixtures/player_round_figures.sql`).
//!
//! A figure that is a ratio of sums already kept touches only 1 and 4.
//!
//! Conventions shared by every module (decisions on what `metrics.md` leaves open):
//! - A player is a GUID. The name and team reported with it are the *latest seen* (see
//!   [`players`]).
//! - The round end is [`Round::end_time`] (the latest time any row mentions).
//! - A life (track) is *living* at `t` when `spawn_time <= t` and it has no `death_time` or
//!   `t < death_time`: someone who dies at the same millisecond is no longer living.
//! - The *nearest path sample within W ms* of `t` is the sample with the smallest `|time - t|`
//!   among those with `|time - t| <= W`; on a tie the earlier sample. Paths are searched by time
//!   (binary search), after sorting a copy if a path is not in time order.
//! - A victim's *death position* is the position of the engagement's last `death` point, or its
//!   `end` position when it has none (see [`death_position`]).
//! - Every output list has a deterministic order: lives by track index, players by GUID, pairs by
//!   `(guid_a, guid_b)`, trade events by `(death time, engagement id)`, cells by `(x, y)`.
//! - Rates and averages are stored as sums and counts where a lifetime figure has to be exact
//!   across rounds; percentages are 0–100.

mod figures;
mod game;
mod movement;
mod objectives;
mod pairs;
mod summary;
mod support;
mod teamplay;
mod trades;

pub use figures::{
    Better, CARD_ONLY_FIGURES, Card, FIGURES, Figure, PlayerSums, PlayerTotals, SumValue, Total,
    Widened, player_sums,
};
pub use game::{WeaponUse, round_teams, weapon_uses};
pub use movement::{LifeProfile, life_profile, life_profiles};
pub use objectives::{
    ClearingKill, OBJECTIVE_TALLIES, ObjectiveRun, ObjectiveTally, RUN_RADIUS, RUN_WINDOW_MS,
    TallyUnit, carrier_kills, objective_runs,
};
pub use pairs::{PairStats, crossfire_pairs, crossfire_participants, pairs};
pub use summary::{BestDuo, CellKills, PlayerAmount, RoundSummary, kill_heatmap, summary};
pub use support::{Support, SupportUptime, support_uptime};
pub use teamplay::{PlayerTeamplay, teamplay};
pub use trades::{PlayerTrades, TradeEvent, Trades, trades};

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::format::{
    Engagement, KillCell, Name, PlayerTrack, PositionEvent, Round, Team, TrackSample, Vec3,
};

/// The parameters of the derived metrics, with the defaults of `metrics.md`. The values used for
/// a round are stored with it; fields missing from a stored value take their default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricParams {
    /// Trade opportunity: a living teammate within this 2D distance of the death position (800).
    pub trade_radius: f64,
    /// Trade opportunity: the teammate's nearest path sample must be within this many ms of the
    /// death (1500).
    pub trade_sample_window_ms: i64,
    /// Trade attempt and success: within this many ms after the death (3000).
    pub trade_window_ms: i64,
    /// Isolation death: no opportunity and the nearest teammate farther than this (1200).
    pub isolation_radius: f64,
    /// Support uptime: a living teammate within this 2D distance (600).
    pub support_radius: f64,
    /// Support uptime: the teammate's nearest sample within this many ms (1500).
    pub support_sample_window_ms: i64,
    /// Best duo: minimum crossfires of a pair to be ranked (5).
    pub best_duo_min_crossfires: i64,
    /// Heatmap grid cell size in units (512).
    pub heatmap_cell: f64,
    /// First move: a sample faster than this (units/s) when the file gives no first_move_time
    /// (10, the tracker's threshold).
    pub first_move_speed: f64,
    /// Length of the round summary's top lists (5).
    pub top_n: usize,
}

impl Default for MetricParams {
    fn default() -> Self {
        MetricParams {
            trade_radius: 800.0,
            trade_sample_window_ms: 1500,
            trade_window_ms: 3000,
            isolation_radius: 1200.0,
            support_radius: 600.0,
            support_sample_window_ms: 1500,
            best_duo_min_crossfires: 5,
            heatmap_cell: 512.0,
            first_move_speed: 10.0,
            top_n: 5,
        }
    }
}

/// Everything derived from one round.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundMetrics {
    /// The parameters these figures were computed with.
    pub params: MetricParams,
    /// One profile per life, by track index.
    pub lives: Vec<LifeProfile>,
    /// Crossfire duos and same-team pairs, by `(guid_a, guid_b)`.
    pub pairs: Vec<PairStats>,
    /// One row per player, by GUID.
    pub teamplay: Vec<PlayerTeamplay>,
    /// Trade analysis of every kill.
    pub trades: Trades,
    /// Support uptime per player and the round mean.
    pub support: Support,
    /// Kill heatmap from the victims' death positions, by `(grid_x, grid_y)`.
    pub kill_cells: Vec<KillCell>,
    /// The round's headline figures.
    pub summary: RoundSummary,
    /// Objective runs, in the order of the round's OBJECTIVE_EVENTS.
    pub objective_runs: Vec<ObjectiveRun>,
}

/// Computes every derived figure of `round`.
pub fn derive(round: &Round, params: &MetricParams) -> RoundMetrics {
    derive_split(round, params, PARALLEL_MIN_SAMPLES)
}

/// [`derive`] on the calling thread only, in two steps: the lives' movement profiles first,
/// then the rest. For the importer, whose other core is busy writing the round's rows: it writes
/// the lives' rows, which need only the profiles, while it derives the rest.
pub struct StagedMetrics<'a> {
    ctx: RoundView<'a>,
    params: &'a MetricParams,
    lives: Vec<LifeProfile>,
}

impl<'a> StagedMetrics<'a> {
    /// Derives the movement profile of every life.
    pub fn lives_first(round: &'a Round, params: &'a MetricParams) -> Self {
        let ctx = RoundView::new(round);
        let lives = movement::life_profiles_in(&ctx, params);
        StagedMetrics { ctx, params, lives }
    }

    /// The movement profile of every life, as in [`RoundMetrics::lives`].
    pub fn lives(&self) -> &[LifeProfile] {
        &self.lives
    }

    /// Derives the rest.
    pub fn finish(self) -> RoundMetrics {
        let StagedMetrics { ctx, params, lives } = self;
        the_rest(&ctx, params, lives, || {
            support::support_uptime_in(&ctx, params)
        })
    }
}

/// Below this many path samples a second thread costs more than it saves.
const PARALLEL_MIN_SAMPLES: usize = 16_384;

/// [`derive`], computing the support uptime on a second thread when the round has at least
/// `parallel_min` path samples (the tests force both ways). The figures do not depend on it.
fn derive_split(round: &Round, params: &MetricParams, parallel_min: usize) -> RoundMetrics {
    let ctx = RoundView::new(round);
    let samples: usize = ctx.lives.iter().map(|l| l.times.len()).sum();
    std::thread::scope(|scope| {
        let support = (samples >= parallel_min)
            .then(|| {
                std::thread::Builder::new()
                    .name("round-metrics".into())
                    .spawn_scoped(scope, || support::support_uptime_in(&ctx, params))
                    .ok()
            })
            .flatten();
        let lives = movement::life_profiles_in(&ctx, params);
        the_rest(&ctx, params, lives, || match support {
            Some(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => support::support_uptime_in(&ctx, params),
        })
    })
}

/// Every figure besides the lives' profiles; `support` gives the support uptime.
fn the_rest(
    ctx: &RoundView,
    params: &MetricParams,
    lives: Vec<LifeProfile>,
    support: impl FnOnce() -> Support,
) -> RoundMetrics {
    let round = ctx.round;
    let pairs = pairs::pairs_in(ctx);
    let teamplay = teamplay::teamplay_in(ctx);
    let trades = trades::trades_in(ctx, params);
    let support = support();
    let kill_cells = kill_heatmap(round, params);
    let summary = summary(
        round,
        params,
        &pairs,
        &teamplay,
        &kill_cells,
        support.mean_pct,
    );
    RoundMetrics {
        params: params.clone(),
        lives,
        pairs,
        teamplay,
        trades,
        support,
        kill_cells,
        summary,
        objective_runs: objective_runs(round),
    }
}

/// A player of the round with the latest name and team seen.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerInfo {
    pub guid: String,
    pub name: Name,
    pub team: Team,
}

/// Every player of the round (anyone with a life, or who was a target or an attacker), by GUID.
///
/// *Latest seen*: each appearance has a time (a life: its spawn time; a target: the engagement's
/// start; an attacker: its first hit); the name and team of the latest appearance win, ties going
/// to the greater `(name bytes, team)` so that the row order of the file does not matter.
pub fn players(round: &Round) -> Vec<PlayerInfo> {
    Roster::new(&round.tracks, &round.engagements).players()
}

/// What several figures need, worked out once per round: the roster, and every life with its
/// path in time order and its player.
pub(crate) struct RoundView<'a> {
    pub(crate) round: &'a Round,
    pub(crate) roster: Roster<'a>,
    /// By track index.
    pub(crate) lives: Vec<Life<'a>>,
    /// The player of each life, as an index into `life_guids`: lives of the same GUID have the
    /// same index, and indices follow GUID order.
    pub(crate) life_players: Vec<usize>,
    /// The distinct GUIDs of the lives, sorted.
    pub(crate) life_guids: Vec<&'a str>,
    /// The lives by the time they are living.
    pub(crate) timeline: Timeline,
}

impl<'a> RoundView<'a> {
    pub(crate) fn new(round: &'a Round) -> Self {
        let mut life_guids: Vec<&str> = round.tracks.iter().map(|t| t.guid.as_str()).collect();
        life_guids.sort_unstable();
        life_guids.dedup();
        let life_players = round
            .tracks
            .iter()
            .map(|t| {
                // Always found: every track's GUID is in the list.
                life_guids
                    .binary_search(&t.guid.as_str())
                    .unwrap_or_else(|i| i)
            })
            .collect();
        let lives: Vec<Life> = round.tracks.iter().map(Life::new).collect();
        RoundView {
            round,
            roster: Roster::new(&round.tracks, &round.engagements),
            timeline: Timeline::new(&lives),
            lives,
            life_players,
            life_guids,
        }
    }

    /// The player index of `guid` if it has a life.
    pub(crate) fn life_player(&self, guid: &str) -> Option<usize> {
        self.life_guids.binary_search(&guid).ok()
    }
}

/// The lives by the time they are living, so that a query about a moment looks at the few lives
/// living around it instead of every life of the round.
///
/// Time is cut into buckets of `width` ms from `start` (the first and last buckets reach to
/// minus and plus infinity); each life is listed in every bucket its living span
/// `[spawn_time, death_time)` touches, in track order. Lives that are never living are not listed.
pub(crate) struct Timeline {
    start: i64,
    width: i64,
    /// Bucket `b` lists `lives[offsets[b]..offsets[b + 1]]`.
    offsets: Vec<usize>,
    lives: Vec<usize>,
}

impl Timeline {
    /// At most this many buckets, whatever the times.
    const MAX_BUCKETS: i128 = 1 << 16;

    pub(crate) fn new(lives: &[Life]) -> Self {
        // (index, first living ms, last living ms or None when open-ended)
        let spans: Vec<(usize, i64, Option<i64>)> = lives
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let (spawn, death) = (l.track.spawn_time, l.track.death_time);
                match death {
                    Some(d) if d <= spawn => None,
                    Some(d) => Some((i, spawn, Some(d - 1))),
                    None => Some((i, spawn, None)),
                }
            })
            .collect();
        let start = spans.iter().map(|s| s.1).min().unwrap_or(0);
        let end = spans
            .iter()
            .map(|s| s.2.unwrap_or(s.1))
            .max()
            .unwrap_or(start);
        // Buckets about as long as a life: a moment then meets about two lives per player.
        let span = |s: &(usize, i64, Option<i64>)| i128::from(s.2.unwrap_or(end)) - i128::from(s.1);
        let total: i128 = spans.iter().map(span).sum();
        let range = i128::from(end) - i128::from(start) + 1;
        let mut width = (total / (spans.len().max(1) as i128)).max(1);
        if range / width >= Self::MAX_BUCKETS {
            width = range / Self::MAX_BUCKETS + 1;
        }
        let width = i64::try_from(width).unwrap_or(i64::MAX);
        let buckets = usize::try_from(range / i128::from(width) + 1).unwrap_or(1);
        let mut timeline = Timeline {
            start,
            width,
            offsets: vec![0; buckets + 1],
            lives: Vec::new(),
        };
        let reach = |t: &Timeline, s: &(usize, i64, Option<i64>)| {
            (
                t.bucket(s.1),
                s.2.map_or(buckets - 1, |last| t.bucket(last)),
            )
        };
        for s in &spans {
            let (from, to) = reach(&timeline, s);
            for count in &mut timeline.offsets[from + 1..=to + 1] {
                *count += 1;
            }
        }
        for b in 0..buckets {
            timeline.offsets[b + 1] += timeline.offsets[b];
        }
        let mut fill = timeline.offsets.clone();
        timeline.lives = vec![0; timeline.offsets[buckets]];
        for s in &spans {
            let (from, to) = reach(&timeline, s);
            for slot in &mut fill[from..=to] {
                timeline.lives[*slot] = s.0;
                *slot += 1;
            }
        }
        timeline
    }

    fn bucket(&self, t: i64) -> usize {
        let last = self.offsets.len() - 2;
        let b = (i128::from(t) - i128::from(self.start)) / i128::from(self.width);
        usize::try_from(b.max(0)).map_or(last, |b| b.min(last))
    }

    /// The lives that may be living at `t` (all that are, and maybe more), in track order.
    pub(crate) fn around(&self, t: i64) -> &[usize] {
        let b = self.bucket(t);
        &self.lives[self.offsets[b]..self.offsets[b + 1]]
    }

    /// The lives that may be living at some moment of `from..=to` (all that are, and maybe
    /// more), each once, in track order.
    pub(crate) fn around_span(&self, from: i64, to: i64, out: &mut Vec<usize>) {
        out.clear();
        let (a, b) = (self.bucket(from), self.bucket(to));
        if a <= b {
            out.extend_from_slice(&self.lives[self.offsets[a]..self.offsets[b + 1]]);
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// The latest-seen name and team of every GUID.
pub(crate) struct Roster<'a> {
    seen: BTreeMap<&'a str, (i64, &'a Name, Team)>,
}

impl<'a> Roster<'a> {
    pub(crate) fn new(tracks: &'a [PlayerTrack], engagements: &'a [Engagement]) -> Self {
        let mut roster = Roster {
            seen: BTreeMap::new(),
        };
        for t in tracks {
            roster.see(&t.guid, t.spawn_time, &t.name, t.team);
        }
        for e in engagements {
            roster.see(&e.target_guid, e.start_time, &e.target_name, e.target_team);
            for a in &e.attackers {
                roster.see(&a.guid, a.first_hit, &a.name, a.team);
            }
        }
        roster
    }

    fn see(&mut self, guid: &'a str, time: i64, name: &'a Name, team: Team) {
        let new = (time, name, team);
        self.seen
            .entry(guid)
            .and_modify(|old| {
                if new > *old {
                    *old = new;
                }
            })
            .or_insert(new);
    }

    pub(crate) fn name(&self, guid: &str) -> Name {
        self.seen.get(guid).map(|s| s.1.clone()).unwrap_or_default()
    }

    pub(crate) fn players(&self) -> Vec<PlayerInfo> {
        self.seen
            .iter()
            .map(|(guid, (_, name, team))| PlayerInfo {
                guid: (*guid).to_string(),
                name: (*name).clone(),
                team: *team,
            })
            .collect()
    }
}

/// Where the victim of an engagement was when it ended: the last `death` point of its position
/// path, or its `end` position when the path has none.
pub fn death_position(e: &Engagement) -> Vec3 {
    e.positions
        .iter()
        .rev()
        .find(|p| p.event == PositionEvent::Death)
        .map_or(e.end, |p| p.pos)
}

/// The team of an engagement's killer: its attacker row's team, or else the target's opponent.
pub(crate) fn killer_team(e: &Engagement) -> Option<Team> {
    let killer = e.killer_guid.as_deref()?;
    Some(
        e.attackers
            .iter()
            .find(|a| a.guid == killer)
            .map_or_else(|| opponent(e.target_team), |a| a.team),
    )
}

pub(crate) fn opponent(team: Team) -> Team {
    match team {
        Team::Axis => Team::Allies,
        Team::Allies => Team::Axis,
    }
}

/// A life with its path in time order, for time queries.
pub(crate) struct Life<'a> {
    pub(crate) track: &'a PlayerTrack,
    pub(crate) path: Cow<'a, [TrackSample]>,
    /// The times of `path`, packed for searching.
    pub(crate) times: Vec<i64>,
}

impl<'a> Life<'a> {
    pub(crate) fn new(track: &'a PlayerTrack) -> Self {
        let path = sorted_path(track);
        let times = path.iter().map(|s| s.time).collect();
        Life { track, path, times }
    }

    /// Whether the life is living at `t` (see the module conventions).
    pub(crate) fn alive_at(&self, t: i64) -> bool {
        self.track.spawn_time <= t && self.track.death_time.is_none_or(|d| t < d)
    }

    /// The nearest sample within `window` ms of `t` (see the module conventions).
    pub(crate) fn nearest(&self, t: i64, window: i64) -> Option<&TrackSample> {
        nearest_around(&self.path, first_at_or_after(&self.times, t), t, window)
    }
}

/// `times.partition_point(|&x| x < t)` for sorted `times`: the index of the first time at or
/// after `t`. Paths are sampled at a steady pace, so the index is first guessed from where `t`
/// falls between the first and last times, and searched for only if the guess is wrong.
pub(crate) fn first_at_or_after(times: &[i64], t: i64) -> usize {
    let (Some(&lo), Some(&hi)) = (times.first(), times.last()) else {
        return 0;
    };
    if t <= lo {
        return 0;
    }
    if t > hi {
        return times.len();
    }
    // lo < t <= hi, so hi > lo and the guess is in 1..len.
    let span = i128::from(hi) - i128::from(lo);
    let guess = (i128::from(t) - i128::from(lo)) * (times.len() as i128 - 1) / span;
    let guess = usize::try_from(guess)
        .unwrap_or(0)
        .clamp(1, times.len() - 1);
    let fits = |i: usize| times[i - 1] < t && t <= times[i];
    if fits(guess) {
        guess
    } else if guess + 1 < times.len() && fits(guess + 1) {
        guess + 1
    } else {
        times.partition_point(|&x| x < t)
    }
}

/// A track's path in time order: the track's own when it is (the usual case), else a sorted
/// copy (a stable sort: samples of equal time keep their file order).
pub(crate) fn sorted_path(track: &PlayerTrack) -> Cow<'_, [TrackSample]> {
    if track.path.is_sorted_by_key(|s| s.time) {
        Cow::Borrowed(track.path.as_slice())
    } else {
        let mut p = track.path.clone();
        p.sort_by_key(|s| s.time);
        Cow::Owned(p)
    }
}

/// The sample of a time-sorted `path` nearest to `t` within `window` ms; on a tie the earlier.
/// The definition, for the tests: the code finds the index with [`first_at_or_after`] or a
/// cursor and calls [`nearest_around`].
#[cfg(test)]
pub(crate) fn nearest_sample(path: &[TrackSample], t: i64, window: i64) -> Option<&TrackSample> {
    nearest_around(path, path.partition_point(|s| s.time < t), t, window)
}

/// [`nearest_sample`] given `i`, the index of the first sample of `path` at or after `t`.
#[inline]
pub(crate) fn nearest_around(
    path: &[TrackSample],
    i: usize,
    t: i64,
    window: i64,
) -> Option<&TrackSample> {
    let before = i.checked_sub(1).and_then(|j| path.get(j));
    let after = path.get(i);
    let best = match (before, after) {
        (Some(b), Some(a)) => {
            if t - b.time <= a.time - t {
                b
            } else {
                a
            }
        }
        (Some(b), None) => b,
        (None, Some(a)) => a,
        (None, None) => return None,
    };
    ((best.time - t).abs() <= window).then_some(best)
}

#[cfg(test)]
pub(crate) mod testkit;

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;

    #[test]
    fn default_params_are_the_documented_ones() {
        let p = MetricParams::default();
        assert_eq!(p.trade_radius, 800.0);
        assert_eq!(p.trade_sample_window_ms, 1500);
        assert_eq!(p.trade_window_ms, 3000);
        assert_eq!(p.isolation_radius, 1200.0);
        assert_eq!(p.support_radius, 600.0);
        assert_eq!(p.support_sample_window_ms, 1500);
        assert_eq!(p.best_duo_min_crossfires, 5);
        assert_eq!(p.heatmap_cell, 512.0);
        assert_eq!(p.first_move_speed, 10.0);
    }

    #[test]
    fn params_round_trip_through_json_and_missing_fields_default() {
        let p = MetricParams {
            trade_radius: 700.0,
            ..MetricParams::default()
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<MetricParams>(&json).unwrap(), p);
        let partial: MetricParams = serde_json::from_str(r#"{"support_radius": 450.0}"#).unwrap();
        assert_eq!(partial.support_radius, 450.0);
        assert_eq!(partial.trade_radius, 800.0);
    }

    #[test]
    fn nearest_sample_picks_smallest_gap_earlier_on_tie_and_respects_window() {
        let path: Vec<TrackSample> = [0, 200, 400, 1000]
            .iter()
            .map(|&t| sample(t, 0.0, 0.0))
            .collect();
        assert_eq!(nearest_sample(&path, 250, 1500).unwrap().time, 200);
        assert_eq!(nearest_sample(&path, 300, 1500).unwrap().time, 200); // tie 200/400
        assert_eq!(nearest_sample(&path, 700, 1500).unwrap().time, 400); // tie 400/1000
        assert_eq!(nearest_sample(&path, 2500, 1500).unwrap().time, 1000);
        assert!(nearest_sample(&path, 2501, 1500).is_none());
        assert!(nearest_sample(&path, -1501, 1500).is_none());
        assert!(nearest_sample(&[], 0, 1500).is_none());
    }

    #[test]
    fn life_sorts_an_unsorted_path_and_alive_excludes_the_death_ms() {
        let mut t = track(
            "a",
            Team::Axis,
            100,
            Some(900),
            &[(500, 0.0, 0.0), (100, 1.0, 0.0)],
        );
        t.path.swap(0, 1);
        let life = Life::new(&t);
        assert_eq!(life.path[0].time, 100);
        assert!(!life.alive_at(99));
        assert!(life.alive_at(100));
        assert!(life.alive_at(899));
        assert!(!life.alive_at(900));
        let open = track("b", Team::Axis, 100, None, &[]);
        assert!(Life::new(&open).alive_at(1_000_000));
    }

    #[test]
    fn players_take_the_latest_seen_name_and_team() {
        let mut r = round();
        let mut t1 = track("g1", Team::Axis, 0, Some(5000), &[]);
        t1.name = Name::from("old");
        let mut t2 = track("g1", Team::Allies, 10_000, None, &[]);
        t2.name = Name::from("^1new");
        r.tracks = vec![t2, t1];
        let mut e = engagement(
            1,
            "g2",
            Team::Allies,
            3000,
            4000,
            crate::format::Outcome::Escaped,
        );
        e.attackers
            .push(attacker("g1", Team::Axis, 10, 3000, 3000, false));
        r.engagements.push(e);
        let p = players(&r);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].guid, "g1");
        assert_eq!(p[0].name, Name::from("^1new"));
        assert_eq!(p[0].team, Team::Allies);
        assert_eq!(p[1].guid, "g2");
    }

    /// A 24-player, 15-minute round: 4 lives per player of 225 s sampled every 200 ms (108 000
    /// samples), 300 engagements. Guards against quadratic work: the bound here is loose enough
    /// for a debug build and only catches an O(samples²) regression.
    #[test]
    fn a_full_round_derives_quickly() {
        let mut seed: u64 = 42;
        let mut rnd = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let mut r = round();
        for p in 0..24 {
            let team = if p % 2 == 0 { Team::Axis } else { Team::Allies };
            let guid = format!("{p:032X}");
            for life in 0..4i64 {
                let spawn = life * 225_000;
                let death = spawn + 224_800;
                let (mut x, mut y) = (rnd(4000) as f64, rnd(4000) as f64);
                let path: Vec<(i64, f64, f64)> = (0..1125)
                    .map(|i| {
                        x += rnd(61) as f64 - 30.0;
                        y += rnd(61) as f64 - 30.0;
                        (spawn + i * 200, x, y)
                    })
                    .collect();
                r.tracks.push(track(&guid, team, spawn, Some(death), &path));
            }
        }
        for id in 0..300 {
            let (v, k) = (rnd(12) * 2, rnd(12) * 2 + 1);
            let t = 1000 + id * 2990;
            let target = format!("{v:032X}");
            let killer = format!("{k:032X}");
            r.engagements.push(with_attackers(
                engagement(
                    id,
                    &target,
                    Team::Axis,
                    t - 800,
                    t,
                    crate::format::Outcome::Killed,
                ),
                vec![attacker(&killer, Team::Allies, 140, t - 800, t, true)],
            ));
        }
        let started = std::time::Instant::now();
        let m = derive(&r, &MetricParams::default());
        let elapsed = started.elapsed();
        assert_eq!(m.lives.len(), 96);
        assert_eq!(m.trades.events.len(), 300);
        assert_eq!(m.support.players.len(), 24);
        assert_eq!(
            m.support.players.iter().map(|p| p.samples).sum::<i64>(),
            108_000
        );
        assert!(elapsed.as_secs() < 30, "derive took {elapsed:?}");
    }

    #[test]
    fn the_guessed_search_is_the_binary_search() {
        let mut rng = Lcg(1);
        for n in 0..40 {
            let mut time = rng.pick(&[i64::MIN, -5000, 0, 1_000_000]);
            let times: Vec<i64> = (0..n)
                .map(|_| {
                    time =
                        time.saturating_add(rng.pick(&[0, 1, 200, 200, 200, 7000, i64::MAX / 4]));
                    time
                })
                .collect();
            let mut probes = vec![i64::MIN, i64::MAX, 0];
            for &t in &times {
                probes.extend([
                    t.saturating_sub(1),
                    t,
                    t.saturating_add(1),
                    t.saturating_add(100),
                ]);
            }
            for t in probes {
                assert_eq!(
                    first_at_or_after(&times, t),
                    times.partition_point(|&x| x < t),
                    "{times:?} {t}"
                );
            }
        }
    }

    #[test]
    fn the_timeline_lists_every_living_life() {
        let mut rng = Lcg(2);
        for i in 0..200 {
            let mut r = random_round(&mut rng, 1 + i % 12);
            if i % 10 == 0 {
                // Times at the ends of the clock.
                r.tracks[0].spawn_time = i64::MIN + 5;
                let last = r.tracks.len() - 1;
                r.tracks[last].death_time = Some(i64::MAX);
            }
            if i % 3 == 0 {
                // Lives of a few ms: buckets of a few ms, probes on their edges.
                for t in &mut r.tracks {
                    t.death_time = Some(t.spawn_time + rng.below(4) as i64);
                }
            }
            let lives: Vec<Life> = r.tracks.iter().map(Life::new).collect();
            let timeline = Timeline::new(&lives);
            let living = |l: &Life, from: i64, to: i64| {
                l.track.spawn_time <= to
                    && l.track
                        .death_time
                        .is_none_or(|d| d > from && d > l.track.spawn_time)
            };
            let mut probes: Vec<i64> = vec![i64::MIN, i64::MAX, 0, -1];
            for t in &r.tracks {
                probes.push(t.spawn_time);
                probes.extend(t.death_time.map(|d| d.saturating_sub(1)));
                probes.extend(t.death_time);
            }
            let mut found = Vec::new();
            for &a in &probes {
                let around = timeline.around(a);
                assert!(around.is_sorted());
                for (k, l) in lives.iter().enumerate() {
                    assert!(!l.alive_at(a) || around.contains(&k), "life {k} at {a}");
                }
                let b = probes[rng.below(probes.len() as u64) as usize].max(a);
                timeline.around_span(a, b, &mut found);
                assert!(found.is_sorted() && found.windows(2).all(|w| w[0] != w[1]));
                for (k, l) in lives.iter().enumerate() {
                    assert!(
                        !living(l, a, b) || found.contains(&k),
                        "life {k} in {a}..={b}"
                    );
                }
            }
        }
    }

    #[test]
    fn neither_the_second_thread_nor_the_two_steps_change_a_figure() {
        let mut rng = Lcg(4);
        let mut rounds = vec![crate::synth::synth_round(&crate::synth::SynthOptions::new(
            "supply", 1, 12, 120, 8,
        ))];
        rounds.extend((0..10).map(|i| random_round(&mut rng, 2 + i)));
        for r in &rounds {
            let params = MetricParams::default();
            let parallel = derive_split(r, &params, 0);
            assert_eq!(parallel, derive_split(r, &params, usize::MAX));
            let staged = StagedMetrics::lives_first(r, &params);
            assert_eq!(staged.lives(), &parallel.lives[..]);
            assert_eq!(staged.finish(), parallel);
        }
    }

    #[test]
    fn death_position_prefers_the_death_point() {
        let mut e = engagement(1, "v", Team::Axis, 0, 100, crate::format::Outcome::Killed);
        e.end = Vec3::new(5.0, 5.0, 0.0);
        assert_eq!(death_position(&e), Vec3::new(5.0, 5.0, 0.0));
        e.positions.push(crate::format::EngagementPoint {
            time: 100,
            pos: Vec3::new(1.0, 2.0, 3.0),
            event: PositionEvent::Death,
        });
        assert_eq!(death_position(&e), Vec3::new(1.0, 2.0, 3.0));
    }
}
