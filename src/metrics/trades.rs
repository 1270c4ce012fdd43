//! Trades (`metrics.md`, "Trades (per death, derived)").

use std::collections::{BTreeMap, BTreeSet};

use crate::format::{Engagement, Name, Outcome, Round, Team};

use super::{Life, MetricParams, Roster, death_position, killer_team};

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
    let roster = Roster::new(&round.tracks, &round.engagements);
    let lives: Vec<Life> = round.tracks.iter().map(Life::new).collect();
    let mut by_target: BTreeMap<&str, Vec<&Engagement>> = BTreeMap::new();
    for e in &round.engagements {
        by_target.entry(&e.target_guid).or_default().push(e);
    }
    let mut events: Vec<TradeEvent> = round
        .engagements
        .iter()
        .filter_map(|e| trade_event(e, &lives, &by_target, &roster, params))
        .collect();
    events.sort_by_key(|ev| (ev.death_time, ev.engagement_id));

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

fn trade_event(
    e: &Engagement,
    lives: &[Life],
    by_target: &BTreeMap<&str, Vec<&Engagement>>,
    roster: &Roster,
    params: &MetricParams,
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

    // Nearest sample distance of every living teammate (the smallest over their lives).
    let mut mates: BTreeMap<&str, f64> = BTreeMap::new();
    for life in lives {
        let tr = life.track;
        if tr.team != team || tr.guid == victim || !life.alive_at(t) {
            continue;
        }
        if let Some(s) = life.nearest(t, params.trade_sample_window_ms) {
            let d = s.pos.distance_2d(&pos);
            mates
                .entry(&tr.guid)
                .and_modify(|m| *m = m.min(d))
                .or_insert(d);
        }
    }
    let opportunity_guids: Vec<String> = mates
        .iter()
        .filter(|(_, d)| **d <= params.trade_radius)
        .map(|(g, _)| (*g).to_string())
        .collect();
    let nearest = mates
        .iter()
        .fold(None::<(&str, f64)>, |best, (g, d)| match best {
            Some((_, bd)) if bd <= *d => best,
            _ => Some((*g, *d)),
        });
    let isolated =
        opportunity_guids.is_empty() && nearest.is_none_or(|(_, d)| d > params.isolation_radius);

    let in_window = |x: i64| x > t && x <= t + params.trade_window_ms;
    let mut attempts: BTreeSet<&str> = BTreeSet::new();
    let mut trade: Option<(i64, &str)> = None;
    for ke in by_target.get(killer).into_iter().flatten() {
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
        victim_name: roster.name(victim),
        victim_team: team,
        killer_guid: killer.to_string(),
        killer_name: roster.name(killer),
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
