//! Trades (`metrics.md`, "Trades (per death, derived)").

use std::collections::{BTreeMap, BTreeSet};

use crate::format::{Engagement, Name, Outcome, Round, Team};

use super::{MetricParams, RoundView, death_position, killer_team};

/// The trade analysis of one death: a `killed` engagement with a killer of the other team
/// (kills without a killer, self-kills and kills by a teammate are not analysed).
///
/// - *Opportunity*: a teammate (another GUID) with a life of the victim's team living at the
///   death time whose nearest path sample within `trade_sample_window_ms` is within
///   `trade_radius` (2D) of the death position.
/// - *Attempt*: an attacker row of the victim's team (not the victim) in an engagement whose
///   target is the killer, with its `first_hit` or `last_hit` in `(death, death + trade_window_ms]`.
/// - *Success*: such a teammate (attacker with `got_kill`, or the `killer_guid`) of a `killed`
///   engagement of the killer that ends in `(death, death + trade_window_ms]`; the earliest such
///   kill (then the smallest GUID) is the trade. A success is always also an attempt.
/// - *Isolation*: no opportunity, and the nearest teammate (same sample rule) is farther than
///   `isolation_radius` or there is none.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeEvent {
    pub engagement_id: i64,
    pub victim_guid: String,
    pub victim_name: Name,
    pub victim_team: Team,
    pub killer_guid: String,
    pub killer_name: Name,
    /// The engagement's end time.
    pub death_time: i64,
    /// [`super::death_position`].
    pub death_x: f64,
    pub death_y: f64,
    pub death_z: f64,
    /// Number of teammates who had the opportunity, and their GUIDs (sorted).
    pub opportunities: i64,
    pub opportunity_guids: Vec<String>,
    pub attempted: bool,
    /// Teammates who attempted (sorted).
    pub attempt_guids: Vec<String>,
    pub succeeded: bool,
    pub trader_guid: Option<String>,
    /// Time from the death to the trade kill.
    pub trade_delay_ms: Option<i64>,
    pub isolated: bool,
    /// The nearest living teammate with a sample in the window (2D distance; ties: smallest GUID).
    pub nearest_teammate_guid: Option<String>,
    pub nearest_teammate_distance: Option<f64>,
}

/// One player's trade figures in one round.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerTrades {
    pub guid: String,
    pub name: Name,
    /// Deaths analysed (victim of a [`TradeEvent`]).
    pub deaths: i64,
    /// Of those, the ones a teammate traded.
    pub deaths_traded: i64,
    /// Trade kills made (trader of a teammate's death).
    pub trades_made: i64,
    /// Trade attempts made (attempted a teammate's death, success or not).
    pub trade_attempts: i64,
    pub isolation_deaths: i64,
    /// Times the player was an opportunity for a teammate's death.
    pub trade_opportunities: i64,
    /// Opportunities whose death nobody traded.
    pub missed_trade_chances: i64,
}

/// Every trade event (by death time, then engagement id) and one row per player (by GUID,
/// zeros included).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trades {
    pub events: Vec<TradeEvent>,
    pub players: Vec<PlayerTrades>,
}

/// The trade analysis of every death of the round.
pub fn trades(round: &Round, params: &MetricParams) -> Trades {
    trades_in(&RoundView::new(round), params)
}

pub(crate) fn trades_in(ctx: &RoundView, params: &MetricParams) -> Trades {
    let round = ctx.round;
    let roster = &ctx.roster;
    let mut by_target: BTreeMap<&str, Vec<Reach>> = BTreeMap::new();
    for e in &round.engagements {
        by_target
            .entry(&e.target_guid)
            .or_default()
            .push(Reach::new(e));
    }
    // In event order: a stable sort of the engagements by (death time, id) gives the events in
    // the same order as sorting the events would.
    let mut order: Vec<&Engagement> = round.engagements.iter().collect();
    order.sort_by_key(|e| (e.end_time, e.id));
    let mut nearest = Vec::new();
    let events: Vec<TradeEvent> = order
        .into_iter()
        .filter_map(|e| trade_event(e, ctx, &by_target, params, &mut nearest))
        .collect();

    let mut players: BTreeMap<String, PlayerTrades> = roster
        .players()
        .into_iter()
        .map(|p| {
            let row = PlayerTrades {
                guid: p.guid.clone(),
                name: p.name,
                deaths: 0,
                deaths_traded: 0,
                trades_made: 0,
                trade_attempts: 0,
                isolation_deaths: 0,
                trade_opportunities: 0,
                missed_trade_chances: 0,
            };
            (p.guid, row)
        })
        .collect();
    for ev in &events {
        if let Some(v) = players.get_mut(&ev.victim_guid) {
            v.deaths += 1;
            v.deaths_traded += i64::from(ev.succeeded);
            v.isolation_deaths += i64::from(ev.isolated);
        }
        if let Some(t) = ev.trader_guid.as_ref().and_then(|g| players.get_mut(g)) {
            t.trades_made += 1;
        }
        for g in &ev.attempt_guids {
            if let Some(p) = players.get_mut(g) {
                p.trade_attempts += 1;
            }
        }
        for g in &ev.opportunity_guids {
            if let Some(p) = players.get_mut(g) {
                p.trade_opportunities += 1;
                p.missed_trade_chances += i64::from(!ev.succeeded);
            }
        }
    }
    Trades {
        events,
        players: players.into_values().collect(),
    }
}

/// An engagement with the earliest and latest of the times a trade looks at (its end and its
/// attackers' first and last hits), to pass over it quickly when none can be in a window.
struct Reach<'a> {
    e: &'a Engagement,
    earliest: i64,
    latest: i64,
}

impl<'a> Reach<'a> {
    fn new(e: &'a Engagement) -> Self {
        let times = || {
            e.attackers
                .iter()
                .flat_map(|a| [a.first_hit, a.last_hit])
                .chain([e.end_time])
        };
        Reach {
            e,
            earliest: times().min().unwrap_or(e.end_time),
            latest: times().max().unwrap_or(e.end_time),
        }
    }
}

/// `mates` is scratch space, one slot per player of `ctx.life_guids`.
fn trade_event(
    e: &Engagement,
    ctx: &RoundView,
    by_target: &BTreeMap<&str, Vec<Reach>>,
    params: &MetricParams,
    mates: &mut Vec<Option<f64>>,
) -> Option<TradeEvent> {
    if e.outcome != Outcome::Killed {
        return None;
    }
    let killer = e.killer_guid.as_deref()?;
    let victim = e.target_guid.as_str();
    let team = e.target_team;
    if killer == victim || killer_team(e) == Some(team) {
        return None;
    }
    let t = e.end_time;
    let pos = death_position(e);

    // Nearest sample distance of every living teammate (the smallest over their lives), by
    // player index, that is in GUID order.
    let victim_player = ctx.life_player(victim);
    mates.clear();
    mates.resize(ctx.life_guids.len(), None);
    for &i in ctx.timeline.around(t) {
        let (life, player) = (&ctx.lives[i], ctx.life_players[i]);
        let tr = life.track;
        if tr.team != team || Some(player) == victim_player || !life.alive_at(t) {
            continue;
        }
        if let Some(s) = life.nearest(t, params.trade_sample_window_ms) {
            let d = s.pos.distance_2d(&pos);
            let m = &mut mates[player];
            *m = Some(m.map_or(d, |m| m.min(d)));
        }
    }
    let mates = || {
        mates
            .iter()
            .zip(&ctx.life_guids)
            .filter_map(|(d, g)| Some((*g, (*d)?)))
    };
    let opportunity_guids: Vec<String> = mates()
        .filter(|(_, d)| *d <= params.trade_radius)
        .map(|(g, _)| g.to_string())
        .collect();
    let nearest = mates().fold(None::<(&str, f64)>, |best, (g, d)| match best {
        Some((_, bd)) if bd <= d => best,
        _ => Some((g, d)),
    });
    let isolated =
        opportunity_guids.is_empty() && nearest.is_none_or(|(_, d)| d > params.isolation_radius);

    let window_end = t + params.trade_window_ms;
    let in_window = |x: i64| x > t && x <= window_end;
    let mut attempts: BTreeSet<&str> = BTreeSet::new();
    let mut trade: Option<(i64, &str)> = None;
    for reach in by_target.get(killer).into_iter().flatten() {
        // A time in the window is after `t` and at most its end.
        if reach.latest <= t || reach.earliest > window_end {
            continue;
        }
        let ke = reach.e;
        let mates = ke
            .attackers
            .iter()
            .filter(|a| a.team == team && a.guid != victim);
        for a in mates {
            if in_window(a.first_hit) || in_window(a.last_hit) {
                attempts.insert(&a.guid);
            }
            let killed_it = a.got_kill || ke.killer_guid.as_deref() == Some(a.guid.as_str());
            if ke.outcome == Outcome::Killed && in_window(ke.end_time) && killed_it {
                let cand = (ke.end_time, a.guid.as_str());
                if trade.is_none_or(|best| cand < best) {
                    trade = Some(cand);
                }
            }
        }
    }
    if let Some((_, g)) = trade {
        attempts.insert(g);
    }

    Some(TradeEvent {
        engagement_id: e.id,
        victim_guid: victim.to_string(),
        victim_name: ctx.roster.name(victim),
        victim_team: team,
        killer_guid: killer.to_string(),
        killer_name: ctx.roster.name(killer),
        death_time: t,
        death_x: pos.x,
        death_y: pos.y,
        death_z: pos.z,
        opportunities: opportunity_guids.len() as i64,
        opportunity_guids,
        attempted: !attempts.is_empty(),
        attempt_guids: attempts.into_iter().map(str::to_string).collect(),
        succeeded: trade.is_some(),
        trader_guid: trade.map(|(_, g)| g.to_string()),
        trade_delay_ms: trade.map(|(time, _)| time - t),
        isolated,
        nearest_teammate_guid: nearest.map(|(g, _)| g.to_string()),
        nearest_teammate_distance: nearest.map(|(_, d)| d),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::format::{EngagementPoint, PositionEvent, Vec3};

    /// v (ALLIES) is killed by k (AXIS) at 10 000 at (1000, 1000); m2 trades 2900 ms later.
    fn traded_round() -> Round {
        let mut r = round();
        r.tracks = vec![
            track(
                "v",
                Team::Allies,
                0,
                Some(10_000),
                &[(10_000, 1000.0, 1000.0)],
            ),
            track("k", Team::Axis, 0, Some(12_900), &[(12_900, 0.0, 0.0)]),
            // Nearest sample is the one at 10 400 (900 away), not the closer one at 9000.
            track(
                "m1",
                Team::Allies,
                0,
                None,
                &[(9000, 1600.0, 1000.0), (10_400, 1900.0, 1000.0)],
            ),
            // Nearest sample at 8600 (|Δt| 1400 < 1600): 100 away.
            track(
                "m2",
                Team::Allies,
                0,
                None,
                &[(8600, 1000.0, 1100.0), (11_600, 5000.0, 5000.0)],
            ),
            // Dies at the same millisecond: not living.
            track(
                "m3",
                Team::Allies,
                0,
                Some(10_000),
                &[(10_000, 1000.0, 1000.0)],
            ),
            // An enemy on the spot.
            track("m4", Team::Axis, 0, None, &[(10_000, 1000.0, 1000.0)]),
            // No sample within 1500 ms.
            track(
                "m5",
                Team::Allies,
                0,
                None,
                &[(7000, 1000.0, 1000.0), (12_000, 1000.0, 1000.0)],
            ),
        ];
        let mut kill = with_attackers(
            engagement(1, "v", Team::Allies, 9000, 10_000, Outcome::Killed),
            vec![attacker("k", Team::Axis, 100, 9000, 10_000, true)],
        );
        kill.positions.push(EngagementPoint {
            time: 10_000,
            pos: Vec3::new(1000.0, 1000.0, 64.0),
            event: PositionEvent::Death,
        });
        r.engagements.push(kill);
        r.engagements.push(with_attackers(
            engagement(2, "k", Team::Axis, 9500, 12_900, Outcome::Killed),
            vec![
                attacker("x", Team::Allies, 20, 9500, 10_000, false), // last hit at the death: not after
                attacker("m1", Team::Allies, 30, 10_500, 11_000, false),
                attacker("m2", Team::Allies, 90, 12_000, 12_900, true),
            ],
        ));
        // An earlier fight on k: hits long before the death are no attempt.
        r.engagements.push(with_attackers(
            engagement(3, "k", Team::Axis, 2000, 4000, Outcome::Escaped),
            vec![attacker("m5", Team::Allies, 10, 3000, 3000, false)],
        ));
        r
    }

    #[test]
    fn a_traded_death_has_hand_computed_figures() {
        let t = trades(&traded_round(), &MetricParams::default());
        assert_eq!(t.events.len(), 2);
        let ev = &t.events[0];
        assert_eq!(ev.engagement_id, 1);
        assert_eq!(
            (ev.victim_guid.as_str(), ev.killer_guid.as_str()),
            ("v", "k")
        );
        assert_eq!(ev.victim_team, Team::Allies);
        assert_eq!(ev.death_time, 10_000);
        assert_eq!((ev.death_x, ev.death_y, ev.death_z), (1000.0, 1000.0, 64.0));
        assert_eq!(ev.opportunities, 1);
        assert_eq!(ev.opportunity_guids, ["m2"]);
        assert_eq!(ev.nearest_teammate_guid.as_deref(), Some("m2"));
        assert_eq!(ev.nearest_teammate_distance, Some(100.0));
        assert!(!ev.isolated);
        assert!(ev.attempted);
        assert_eq!(ev.attempt_guids, ["m1", "m2"]);
        assert!(ev.succeeded);
        assert_eq!(ev.trader_guid.as_deref(), Some("m2"));
        assert_eq!(ev.trade_delay_ms, Some(2900));
        assert_eq!(ev.killer_name, Name::from("k"));
    }

    #[test]
    fn a_death_with_no_teammate_alive_is_an_isolation_death() {
        let t = trades(&traded_round(), &MetricParams::default());
        // k's death at 12 900: its only teammate m4 has no sample within 1500 ms.
        let ev = &t.events[1];
        assert_eq!((ev.engagement_id, ev.victim_guid.as_str()), (2, "k"));
        assert_eq!(ev.opportunities, 0);
        assert_eq!(ev.nearest_teammate_guid, None);
        assert_eq!(ev.nearest_teammate_distance, None);
        assert!(ev.isolated);
        assert!(!ev.attempted && !ev.succeeded);
        assert_eq!(ev.trade_delay_ms, None);
    }

    #[test]
    fn per_player_figures_count_events() {
        let t = trades(&traded_round(), &MetricParams::default());
        let guids: Vec<&str> = t.players.iter().map(|p| p.guid.as_str()).collect();
        assert_eq!(guids, ["k", "m1", "m2", "m3", "m4", "m5", "v", "x"]);
        let row = |g: &str| t.players.iter().find(|p| p.guid == g).unwrap();
        let f = |p: &PlayerTrades| {
            (
                p.deaths,
                p.deaths_traded,
                p.trades_made,
                p.trade_attempts,
                p.isolation_deaths,
                p.trade_opportunities,
                p.missed_trade_chances,
            )
        };
        assert_eq!(f(row("v")), (1, 1, 0, 0, 0, 0, 0));
        assert_eq!(f(row("k")), (1, 0, 0, 0, 1, 0, 0));
        assert_eq!(f(row("m2")), (0, 0, 1, 1, 0, 1, 0));
        assert_eq!(f(row("m1")), (0, 0, 0, 1, 0, 0, 0));
        assert_eq!(f(row("x")), (0, 0, 0, 0, 0, 0, 0));
    }

    #[test]
    fn an_opportunity_without_a_trade_is_a_missed_chance() {
        let mut r = traded_round();
        r.engagements.truncate(1); // nobody fights k afterwards
        let t = trades(&r, &MetricParams::default());
        assert_eq!(t.events.len(), 1);
        assert!(!t.events[0].attempted && !t.events[0].succeeded);
        let m2 = t.players.iter().find(|p| p.guid == "m2").unwrap();
        assert_eq!((m2.trade_opportunities, m2.missed_trade_chances), (1, 1));
        let v = t.players.iter().find(|p| p.guid == "v").unwrap();
        assert_eq!((v.deaths, v.deaths_traded), (1, 0));
    }

    /// v dies at 5000 at the origin; teammate m has one sample at `(t, d, 0)`.
    fn lone_mate(t: i64, d: f64) -> TradeEvent {
        let mut r = round();
        r.tracks
            .push(track("m", Team::Axis, 0, None, &[(t, d, 0.0)]));
        r.engagements.push(with_attackers(
            engagement(1, "v", Team::Axis, 4000, 5000, Outcome::Killed),
            vec![attacker("k", Team::Allies, 100, 4000, 5000, true)],
        ));
        trades(&r, &MetricParams::default()).events.remove(0)
    }

    #[test]
    fn opportunity_and_isolation_radii_are_inclusive() {
        let at = |d: f64| {
            let ev = lone_mate(5000, d);
            (ev.opportunities, ev.isolated)
        };
        assert_eq!(at(800.0), (1, false));
        assert_eq!(at(800.5), (0, false));
        assert_eq!(at(1200.0), (0, false));
        assert_eq!(at(1200.5), (0, true));
    }

    #[test]
    fn the_sample_window_is_inclusive_and_a_mate_beyond_it_is_absent() {
        let ev = lone_mate(6500, 10.0);
        assert_eq!(
            (ev.opportunities, ev.nearest_teammate_distance),
            (1, Some(10.0))
        );
        let ev = lone_mate(3500, 10.0);
        assert_eq!(ev.opportunities, 1);
        let ev = lone_mate(6501, 10.0);
        assert_eq!(
            (ev.opportunities, ev.nearest_teammate_distance, ev.isolated),
            (0, None, true)
        );
    }

    fn trade_at(kill_end: i64, hit: i64) -> TradeEvent {
        let mut r = round();
        r.engagements.push(with_attackers(
            engagement(1, "v", Team::Axis, 4000, 5000, Outcome::Killed),
            vec![attacker("k", Team::Allies, 100, 4000, 5000, true)],
        ));
        r.engagements.push(with_attackers(
            engagement(2, "k", Team::Allies, hit, kill_end, Outcome::Killed),
            vec![attacker("m", Team::Axis, 100, hit, kill_end, true)],
        ));
        trades(&r, &MetricParams::default()).events.remove(0)
    }

    #[test]
    fn the_trade_window_closes_at_three_seconds_inclusive() {
        let ev = trade_at(8000, 7000);
        assert_eq!(
            (ev.attempted, ev.succeeded, ev.trade_delay_ms),
            (true, true, Some(3000))
        );
        let ev = trade_at(8001, 7000);
        assert_eq!(
            (ev.attempted, ev.succeeded, ev.trader_guid),
            (true, false, None)
        );
        let ev = trade_at(8001, 8001);
        assert!(!ev.attempted && !ev.succeeded);
    }

    #[test]
    fn kills_without_an_enemy_killer_are_not_analysed() {
        let mut r = round();
        r.engagements
            .push(engagement(1, "v", Team::Axis, 0, 100, Outcome::Killed)); // no killer
        let mut selfkill = engagement(2, "v", Team::Axis, 200, 300, Outcome::Killed);
        selfkill.killer_guid = Some("v".into());
        r.engagements.push(selfkill);
        r.engagements.push(with_attackers(
            engagement(3, "v", Team::Axis, 400, 500, Outcome::Killed),
            vec![attacker("tk", Team::Axis, 100, 400, 500, true)],
        ));
        r.engagements.push(with_attackers(
            engagement(4, "v", Team::Axis, 600, 700, Outcome::Escaped),
            vec![attacker("k", Team::Allies, 10, 600, 600, false)],
        ));
        let t = trades(&r, &MetricParams::default());
        assert!(t.events.is_empty());
        assert!(t.players.iter().all(|p| p.deaths == 0));
    }
}
