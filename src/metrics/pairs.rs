//! Crossfire duos (`metrics.md`, "Pairs").

use std::collections::{BTreeMap, BTreeSet};

use crate::format::{Engagement, Name, Outcome, Round, Team};

use super::{Roster, RoundView};

/// The figures of one unordered pair of players in one round, `guid_a < guid_b`.
///
/// Rows: every pair that played on the same team in the round (so that "kills per round
/// together" can be summed exactly over rounds, even for rounds without a crossfire), plus any
/// pair with a crossfire that did not (`rounds_together == 0`).
#[derive(Debug, Clone, PartialEq)]
pub struct PairStats {
    pub guid_a: String,
    pub guid_b: String,
    pub name_a: Name,
    pub name_b: Name,
    /// Crossfire engagements in which both took part.
    pub crossfires: i64,
    /// Of those, the ones where the target died and the killer is `a` or `b`.
    pub crossfire_kills: i64,
    /// The two attackers' damage in those engagements.
    pub combined_damage: i64,
    /// Sum and count of the pair's delays: `|first_hit_a − first_hit_b|` from their attacker rows,
    /// or the engagement's `crossfire_delay` when a row is missing.
    pub delay_sum_ms: i64,
    pub delay_count: i64,
    /// 1 when both played on the same team in this round (a life, a target or an attacker row
    /// with that team), else 0.
    pub rounds_together: i64,
}

impl PairStats {
    fn new(a: &str, b: &str) -> Self {
        PairStats {
            guid_a: a.to_string(),
            guid_b: b.to_string(),
            name_a: Name::default(),
            name_b: Name::default(),
            crossfires: 0,
            crossfire_kills: 0,
            combined_damage: 0,
            delay_sum_ms: 0,
            delay_count: 0,
            rounds_together: 0,
        }
    }

    /// The average delay in ms, if any.
    pub fn avg_delay_ms(&self) -> Option<f64> {
        (self.delay_count > 0).then(|| self.delay_sum_ms as f64 / self.delay_count as f64)
    }
}

/// The crossfire participants of an engagement, deduplicated in file order; empty when the
/// engagement is not a crossfire. When the flag is set but the list names fewer than two
/// players (a defective row), every attacker counts as a participant.
pub fn crossfire_participants(e: &Engagement) -> Vec<&str> {
    if !e.is_crossfire {
        return Vec::new();
    }
    let mut seen = BTreeSet::new();
    let listed: Vec<&str> = e
        .crossfire_participants
        .iter()
        .map(String::as_str)
        .filter(|g| seen.insert(*g))
        .collect();
    if listed.len() >= 2 {
        return listed;
    }
    let mut seen = BTreeSet::new();
    e.attackers
        .iter()
        .map(|a| a.guid.as_str())
        .filter(|g| seen.insert(*g))
        .collect()
}

/// Crossfire statistics of every pair that shared a crossfire in `engagements`, by
/// `(guid_a, guid_b)`. `rounds_together` is left 0 and names are the latest seen in these
/// engagements; [`pairs`] fills both from the whole round.
pub fn crossfire_pairs(engagements: &[Engagement]) -> Vec<PairStats> {
    let roster = Roster::new(&[], engagements);
    let mut map = accumulate(engagements);
    for p in map.values_mut() {
        p.name_a = roster.name(&p.guid_a);
        p.name_b = roster.name(&p.guid_b);
    }
    map.into_values().collect()
}

fn accumulate(engagements: &[Engagement]) -> BTreeMap<(&str, &str), PairStats> {
    let mut map: BTreeMap<(&str, &str), PairStats> = BTreeMap::new();
    for e in engagements {
        let parts = crossfire_participants(e);
        let killed = e.outcome == Outcome::Killed;
        let attacker = |g: &str| {
            let rows = e.attackers.iter().filter(|a| a.guid == g);
            let damage: i64 = rows.clone().map(|a| a.damage).sum();
            (damage, rows.map(|a| a.first_hit).min())
        };
        for (i, &x) in parts.iter().enumerate() {
            for &y in &parts[i + 1..] {
                let (a, b) = if x < y { (x, y) } else { (y, x) };
                let p = map.entry((a, b)).or_insert_with(|| PairStats::new(a, b));
                let (dmg_a, first_a) = attacker(a);
                let (dmg_b, first_b) = attacker(b);
                p.crossfires += 1;
                if killed && matches!(e.killer_guid.as_deref(), Some(k) if k == a || k == b) {
                    p.crossfire_kills += 1;
                }
                p.combined_damage += dmg_a + dmg_b;
                let delay = match (first_a, first_b) {
                    (Some(fa), Some(fb)) => Some((fa - fb).abs()),
                    _ => e.crossfire_delay,
                };
                if let Some(d) = delay {
                    p.delay_sum_ms += d;
                    p.delay_count += 1;
                }
            }
        }
    }
    map
}

/// Every pair of the round: crossfire statistics ([`crossfire_pairs`]) and rounds together,
/// by `(guid_a, guid_b)`.
pub fn pairs(round: &Round) -> Vec<PairStats> {
    pairs_in(&RoundView::new(round))
}

pub(crate) fn pairs_in(ctx: &RoundView) -> Vec<PairStats> {
    let round = ctx.round;
    let roster = &ctx.roster;
    let mut teams: BTreeMap<&str, BTreeSet<Team>> = BTreeMap::new();
    for t in &round.tracks {
        teams.entry(&t.guid).or_default().insert(t.team);
    }
    for e in &round.engagements {
        teams
            .entry(&e.target_guid)
            .or_default()
            .insert(e.target_team);
        for a in &e.attackers {
            teams.entry(&a.guid).or_default().insert(a.team);
        }
    }
    let mut map = accumulate(&round.engagements);
    let guids: Vec<&str> = teams.keys().copied().collect();
    for (i, &a) in guids.iter().enumerate() {
        for &b in &guids[i + 1..] {
            if !teams[a].is_disjoint(&teams[b]) {
                map.entry((a, b))
                    .or_insert_with(|| PairStats::new(a, b))
                    .rounds_together = 1;
            }
        }
    }
    for p in map.values_mut() {
        p.name_a = roster.name(&p.guid_a);
        p.name_b = roster.name(&p.guid_b);
    }
    map.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::format::Outcome;

    fn three_way_kill() -> Engagement {
        // c, a, b hit the target at 1000, 1200, 1900; b kills.
        let e = with_attackers(
            engagement(1, "t", Team::Allies, 1000, 2500, Outcome::Killed),
            vec![
                attacker("c", Team::Axis, 40, 1000, 1500, false),
                attacker("a", Team::Axis, 30, 1200, 1300, false),
                attacker("b", Team::Axis, 60, 1900, 2500, true),
            ],
        );
        crossfire(e, &["c", "a", "b"], 200)
    }

    #[test]
    fn every_pair_of_a_crossfire_gets_its_own_figures() {
        let p = crossfire_pairs(&[three_way_kill()]);
        let keys: Vec<(&str, &str)> = p
            .iter()
            .map(|p| (p.guid_a.as_str(), p.guid_b.as_str()))
            .collect();
        assert_eq!(keys, [("a", "b"), ("a", "c"), ("b", "c")]);
        // (a, b): killer b in pair; 30 + 60; |1200 − 1900|.
        assert_eq!(
            (p[0].crossfires, p[0].crossfire_kills, p[0].combined_damage),
            (1, 1, 90)
        );
        assert_eq!((p[0].delay_sum_ms, p[0].delay_count), (700, 1));
        // (a, c): killer not in pair.
        assert_eq!(
            (p[1].crossfires, p[1].crossfire_kills, p[1].combined_damage),
            (1, 0, 70)
        );
        assert_eq!(p[1].delay_sum_ms, 200);
        // (b, c)
        assert_eq!(
            (
                p[2].crossfire_kills,
                p[2].combined_damage,
                p[2].delay_sum_ms
            ),
            (1, 100, 900)
        );
        assert_eq!(p[2].name_a, Name::from("b"));
        assert_eq!(p[0].rounds_together, 0);
    }

    #[test]
    fn sums_over_engagements_and_not_killed_means_no_kill() {
        let mut escaped = three_way_kill();
        escaped.id = 2;
        escaped.outcome = Outcome::Escaped;
        let solo = with_attackers(
            engagement(3, "t", Team::Allies, 5000, 6000, Outcome::Killed),
            vec![attacker("a", Team::Axis, 100, 5000, 6000, true)],
        );
        let p = crossfire_pairs(&[three_way_kill(), escaped, solo]);
        assert_eq!(p.len(), 3);
        assert_eq!(
            (p[0].crossfires, p[0].crossfire_kills, p[0].combined_damage),
            (2, 1, 180)
        );
        assert_eq!((p[0].delay_sum_ms, p[0].delay_count), (1400, 2));
        assert_eq!(p[0].avg_delay_ms(), Some(700.0));
    }

    #[test]
    fn participants_are_deduplicated_and_fall_back_to_attackers() {
        let mut e = three_way_kill();
        e.crossfire_participants = vec!["a".into(), "a".into(), "b".into()];
        assert_eq!(crossfire_participants(&e), ["a", "b"]);
        e.crossfire_participants = vec!["a".into()];
        assert_eq!(crossfire_participants(&e), ["c", "a", "b"]);
        e.is_crossfire = false;
        assert!(crossfire_participants(&e).is_empty());
        assert!(crossfire_pairs(&[e]).is_empty());
    }

    #[test]
    fn a_missing_attacker_row_uses_the_engagement_delay() {
        let mut e = three_way_kill();
        e.attackers.retain(|a| a.guid != "b");
        e.crossfire_delay = Some(250);
        let p = crossfire_pairs(&[e]);
        assert_eq!((p[0].guid_a.as_str(), p[0].guid_b.as_str()), ("a", "b"));
        assert_eq!(p[0].combined_damage, 30);
        assert_eq!(p[0].delay_sum_ms, 250);
        assert_eq!(p[0].crossfire_kills, 1); // killer_guid is still b
    }

    #[test]
    fn pairs_list_every_same_team_pair_with_rounds_together() {
        let mut r = round();
        r.engagements.push(three_way_kill());
        r.tracks.push(track("d", Team::Axis, 0, None, &[]));
        r.tracks.push(track("e", Team::Allies, 0, None, &[]));
        let p = pairs(&r);
        let rows: Vec<(&str, &str, i64, i64)> = p
            .iter()
            .map(|p| {
                (
                    p.guid_a.as_str(),
                    p.guid_b.as_str(),
                    p.crossfires,
                    p.rounds_together,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("a", "b", 1, 1),
                ("a", "c", 1, 1),
                ("a", "d", 0, 1),
                ("b", "c", 1, 1),
                ("b", "d", 0, 1),
                ("c", "d", 0, 1),
                ("e", "t", 0, 1),
            ]
        );
    }

    #[test]
    fn a_team_switch_counts_as_together_if_any_team_was_shared() {
        let mut r = round();
        r.tracks.push(track("a", Team::Axis, 0, Some(100), &[]));
        r.tracks.push(track("a", Team::Allies, 200, None, &[]));
        r.tracks.push(track("b", Team::Allies, 0, None, &[]));
        r.tracks.push(track("c", Team::Axis, 0, None, &[]));
        let p = pairs(&r);
        let rows: Vec<(&str, &str)> = p
            .iter()
            .map(|p| (p.guid_a.as_str(), p.guid_b.as_str()))
            .collect();
        assert_eq!(rows, [("a", "b"), ("a", "c")]);
    }
}
