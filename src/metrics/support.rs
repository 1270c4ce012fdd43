//! Support uptime (`metrics.md`, "Support uptime").

use std::cmp::Ordering;

use crate::format::{Name, Round, Team, TrackSample, Vec3};

use super::{MetricParams, RoundView, first_at_or_after};

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
/// Cost: for each life, each teammate life living during it walks the samples of the first at
/// which it is living, with a cursor into its own path that only moves forward: linear in the
/// samples times the number of overlapping teammate lives. Runs of [`CHUNK`] samples are passed
/// over at once when they are all supported already, or when no sample of the teammate that can
/// be the nearest to one of them is within the radius of any of them (bounding boxes).
pub fn support_uptime(round: &Round, params: &MetricParams) -> Support {
    support_uptime_in(&RoundView::new(round), params)
}

/// Samples per bounding box.
const CHUNK: usize = 8;

pub(crate) fn support_uptime_in(ctx: &RoundView, params: &MetricParams) -> Support {
    let window = params.support_sample_window_ms;
    let radius = Radius::new(params.support_radius);
    let lives = &ctx.lives;
    let boxes: Vec<Vec<Bounds>> = lives
        .iter()
        .map(|l| l.path.chunks(CHUNK).map(Bounds::of).collect())
        .collect();
    // (samples, supported samples) per player of `ctx.life_guids`.
    let mut counts: Vec<(i64, i64)> = vec![(0, 0); ctx.life_guids.len()];
    let mut supported: Vec<bool> = Vec::new();
    // Unsupported samples per chunk of `supported`.
    let mut open: Vec<usize> = Vec::new();
    let mut others: Vec<usize> = Vec::new();
    for ((life, &player), my_boxes) in lives.iter().zip(&ctx.life_players).zip(&boxes) {
        let times = &life.times;
        let (Some(&first), Some(&last)) = (times.first(), times.last()) else {
            continue;
        };
        let me = life.track;
        supported.clear();
        supported.resize(times.len(), false);
        open.clear();
        open.extend(times.chunks(CHUNK).map(<[i64]>::len));
        let mut unsupported = times.len();
        ctx.timeline.around_span(first, last, &mut others);
        for &i in &others {
            let (other, other_player) = (&lives[i], ctx.life_players[i]);
            let o = other.track;
            if unsupported == 0 {
                break;
            }
            if o.team != me.team
                || other_player == player
                || o.spawn_time > last
                || o.death_time.is_some_and(|d| d <= first)
                || other.times.is_empty()
            {
                continue;
            }
            // The samples of this life at which the teammate is living (see `Life::alive_at`).
            let from = if o.spawn_time <= first {
                0
            } else {
                first_at_or_after(times, o.spawn_time)
            };
            let to = match o.death_time {
                Some(d) if d <= last => first_at_or_after(times, d),
                _ => times.len(),
            };
            let Some(start) = times.get(from) else {
                continue;
            };
            let ot = &other.times;
            let last_sample = ot.len() - 1;
            // The first sample of the teammate at or after `t`, moved forward as `t` grows:
            // with the one before it, the pair `nearest_sample` finds by binary search.
            let mut cursor = first_at_or_after(ot, *start);
            let mut k = from;
            while k < to {
                let chunk = k / CHUNK;
                let end = ((chunk + 1) * CHUNK).min(to);
                if open[chunk] == 0 {
                    k = end;
                    continue;
                }
                // The teammate's samples that can be the nearest to one of `k..end`: from the one
                // before the first at or after `times[k]` to the first at or after
                // `times[end - 1]`, or more.
                let t = times[k];
                while ot.get(cursor).is_some_and(|&x| x < t) {
                    cursor += 1;
                }
                let t_end = times[end - 1];
                let mut ahead = (cursor + CHUNK + 1).min(last_sample);
                // Usually a teammate samples no faster than this life: one comparison.
                if ot[ahead] < t_end {
                    ahead = last_sample;
                }
                let first_box = cursor.saturating_sub(1) / CHUNK;
                let last_box = ahead / CHUNK;
                let theirs = Bounds::union(&boxes[i][first_box..=last_box]);
                if !radius.may_reach(&my_boxes[chunk], &theirs) {
                    k = end;
                    continue;
                }
                // Samples already supported are checked again rather than skipped, and the
                // checks are written without branches on the data: a mispredicted branch costs
                // more than the check.
                let mut newly = 0;
                for k in k..end {
                    let t = times[k];
                    while ot.get(cursor).is_some_and(|&x| x < t) {
                        cursor += 1;
                    }
                    // `nearest_around`, with the missing neighbour at either end of the path
                    // replaced by the one that exists (which then wins either way).
                    let before = &other.path[cursor.saturating_sub(1)];
                    let after = &other.path[cursor.min(last_sample)];
                    let nearest = if t.wrapping_sub(before.time) <= after.time.wrapping_sub(t) {
                        before
                    } else {
                        after
                    };
                    // `&`, not `&&`: no branch on whether the time fits.
                    let hit = (nearest.time.wrapping_sub(t).wrapping_abs() <= window)
                        & radius.contains(&nearest.pos, &life.path[k].pos);
                    newly += usize::from(hit & !supported[k]);
                    supported[k] |= hit;
                }
                open[chunk] -= newly;
                unsupported -= newly;
                k = end;
            }
        }
        let c = &mut counts[player];
        c.0 += times.len() as i64;
        c.1 += (times.len() - unsupported) as i64;
    }
    let players: Vec<SupportUptime> = ctx
        .roster
        .players()
        .into_iter()
        .filter_map(|p| {
            let (samples, supported) = counts[ctx.life_player(&p.guid)?];
            (samples > 0).then(|| SupportUptime {
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

/// The 2D bounding box of some samples; infinite when a coordinate is not finite, so that it
/// never rules anything out.
#[derive(Clone, Copy)]
struct Bounds {
    min_x: f64,
    max_x: f64,
    min_y: f64,
    max_y: f64,
}

impl Bounds {
    const EMPTY: Bounds = Bounds {
        min_x: f64::INFINITY,
        max_x: f64::NEG_INFINITY,
        min_y: f64::INFINITY,
        max_y: f64::NEG_INFINITY,
    };
    const EVERYWHERE: Bounds = Bounds {
        min_x: f64::NEG_INFINITY,
        max_x: f64::INFINITY,
        min_y: f64::NEG_INFINITY,
        max_y: f64::INFINITY,
    };

    fn of(samples: &[TrackSample]) -> Self {
        let mut b = Bounds::EMPTY;
        let mut finite = true;
        for s in samples {
            let (x, y) = (s.pos.x, s.pos.y);
            finite &= x.is_finite() & y.is_finite();
            b.min_x = if x < b.min_x { x } else { b.min_x };
            b.max_x = if x > b.max_x { x } else { b.max_x };
            b.min_y = if y < b.min_y { y } else { b.min_y };
            b.max_y = if y > b.max_y { y } else { b.max_y };
        }
        if finite { b } else { Bounds::EVERYWHERE }
    }

    fn union(boxes: &[Bounds]) -> Self {
        // Boxes are never NaN (see `of`): plain comparisons will do.
        boxes.iter().fold(Bounds::EMPTY, |a, b| Bounds {
            min_x: if b.min_x < a.min_x { b.min_x } else { a.min_x },
            max_x: if b.max_x > a.max_x { b.max_x } else { a.max_x },
            min_y: if b.min_y < a.min_y { b.min_y } else { a.min_y },
            max_y: if b.max_y > a.max_y { b.max_y } else { a.max_y },
        })
    }
}

/// `a.distance_2d(b) <= radius` without the square root: as the (correctly rounded) square root
/// never decreases, `sqrt(s) <= radius` holds exactly for the squares `s` up to some greatest
/// double, found once.
struct Radius {
    /// The greatest `s` with `s.sqrt() <= radius` (NaN when there is none).
    max_squared: f64,
}

impl Radius {
    fn new(radius: f64) -> Self {
        let max_squared = if radius.is_nan() || radius < 0.0 {
            // No square root is NaN or negative... but that of -0.0, which no sum of squares is.
            f64::NAN
        } else if radius == f64::INFINITY {
            f64::INFINITY
        } else {
            // Within a few units in the last place of `radius²`.
            let mut s = radius * radius;
            while s.sqrt() > radius {
                s = s.next_down();
            }
            while s.next_up().sqrt() <= radius {
                s = s.next_up();
            }
            s
        };
        Radius { max_squared }
    }

    #[inline]
    fn contains(&self, a: &Vec3, b: &Vec3) -> bool {
        // The same operations as `Vec3::distance_2d`, so the same value under the root.
        let (dx, dy) = (a.x - b.x, a.y - b.y);
        dx * dx + dy * dy <= self.max_squared
    }

    /// Whether a point of `a` may be within the radius of a point of `b` by [`Self::contains`].
    /// `false` is exact: the coordinate gaps between the boxes are at most those between any two
    /// of their points, and rounding keeps that order (subtracting, squaring and adding
    /// non-negative doubles never decrease), so every pair's squared distance is at least the
    /// boxes'.
    fn may_reach(&self, a: &Bounds, b: &Bounds) -> bool {
        let gap_x = (a.min_x - b.max_x).max(b.min_x - a.max_x).max(0.0);
        let gap_y = (a.min_y - b.max_y).max(b.min_y - a.max_y).max(0.0);
        // Unordered (NaN) is not "farther": it rules nothing out.
        (gap_x * gap_x + gap_y * gap_y).partial_cmp(&self.max_squared) != Some(Ordering::Greater)
    }
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

    /// The definition, sample by sample and teammate life by teammate life: slow and plain.
    fn by_definition(round: &Round, params: &MetricParams) -> Vec<(String, i64, i64)> {
        use super::super::{Life, nearest_sample};
        let lives: Vec<Life> = round.tracks.iter().map(Life::new).collect();
        let mut counts: std::collections::BTreeMap<&str, (i64, i64)> = Default::default();
        for life in &lives {
            let me = life.track;
            for s in life.path.iter() {
                let supported = lives.iter().any(|o| {
                    o.track.team == me.team
                        && o.track.guid != me.guid
                        && o.alive_at(s.time)
                        && nearest_sample(&o.path, s.time, params.support_sample_window_ms)
                            .is_some_and(|n| n.pos.distance_2d(&s.pos) <= params.support_radius)
                });
                let c = counts.entry(&me.guid).or_default();
                c.0 += 1;
                c.1 += i64::from(supported);
            }
        }
        counts
            .into_iter()
            .map(|(g, (n, k))| (g.to_string(), n, k))
            .collect()
    }

    #[test]
    fn awkward_rounds_have_the_uptime_of_the_definition() {
        let mut rng = Lcg(5);
        let mut rounds: Vec<Round> = (0..60).map(|i| random_round(&mut rng, 2 + i % 9)).collect();
        rounds.push(crate::synth::synth_round(&crate::synth::SynthOptions::new(
            "supply", 1, 8, 60, 2,
        )));
        for (i, r) in rounds.iter().enumerate() {
            for (radius, window) in [(600.0, 1500), (800.0, 100), (0.0, 0), (f64::NAN, 1500)] {
                let params = MetricParams {
                    support_radius: radius,
                    support_sample_window_ms: window,
                    ..MetricParams::default()
                };
                let got: Vec<(String, i64, i64)> = support_uptime(r, &params)
                    .players
                    .into_iter()
                    .map(|p| (p.guid, p.samples, p.supported_samples))
                    .collect();
                assert_eq!(
                    got,
                    by_definition(r, &params),
                    "round {i}, {radius} {window}"
                );
            }
        }
    }

    #[test]
    fn the_radius_test_is_the_square_root_test() {
        let radii = [
            600.0,
            800.0,
            0.1,
            123.456,
            1e-300,
            5e-324,
            1e200,
            0.0,
            -0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::MAX,
        ];
        let mut rng = Lcg(3);
        for r in radii {
            let radius = Radius::new(r);
            let scale = if r.is_finite() && r != 0.0 {
                r.abs()
            } else {
                1.0
            };
            for i in 0..4000 {
                // Points on and around the circle, nudged by a few units in the last place.
                let angle = rng.below(360) as f64 * std::f64::consts::PI / 180.0;
                let mut dx = scale * angle.cos();
                let mut dy = scale * angle.sin();
                if i % 2 == 0 {
                    (dx, dy) = (
                        scale * [0.6, 0.8, 1.0, 0.0][i % 4],
                        scale * [0.8, 0.6, 0.0, 1.0][i % 4],
                    );
                }
                for _ in 0..rng.below(4) {
                    dx = if rng.below(2) == 0 {
                        dx.next_up()
                    } else {
                        dx.next_down()
                    };
                }
                let a = Vec3::new(dx + 1.0, dy - 2.0, 0.0);
                let b = Vec3::new(1.0, -2.0, 0.0);
                assert_eq!(
                    radius.contains(&a, &b),
                    a.distance_2d(&b) <= r,
                    "radius {r}, {a:?}"
                );
            }
            let far = Vec3::new(f64::INFINITY, 0.0, 0.0);
            let nan = Vec3::new(f64::NAN, 0.0, 0.0);
            let origin = Vec3::default();
            assert_eq!(
                radius.contains(&far, &origin),
                far.distance_2d(&origin) <= r
            );
            assert_eq!(
                radius.contains(&nan, &origin),
                nan.distance_2d(&origin) <= r
            );
            assert_eq!(radius.contains(&origin, &origin), 0.0 <= r);
        }
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
