//! Teamplay per player (`metrics.md`, "Per player (teamplay)").

use std::collections::BTreeMap;

use crate::format::{Name, Outcome, Round, Team};

use super::{RoundView, crossfire_participants};

/// One player's teamplay figures in one round. Averages and rates are kept as sums and counts
/// (with helper methods) so that lifetime figures can be summed exactly over rounds.
///
/// Definitions: *focused* = `num_attackers >= 2`, *solo* = `num_attackers == 1` (an engagement
/// with no attacker is neither); a *kill* is being the `killer_guid` of a `killed` engagement, a
/// *death* being its target; an *escape* is an `escaped` outcome. Engagements still open at the
/// round end (`round_end`, `timeout`, …) count as targeted, with their duration and damage, but as
/// neither an escape nor a death.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerTeamplay {
    pub guid: String,
    /// Latest seen name and team.
    pub name: Name,
    pub team: Team,
    pub kills: i64,
    pub deaths: i64,
    /// Damage dealt as an attacker, in all engagements.
    pub damage_dealt: i64,
    /// Crossfire engagements the player took part in ([`crossfire_participants`]).
    pub crossfire_participations: i64,
    /// Kills of crossfire engagements (the killer of a killed crossfire engagement, whether or
    /// not listed as a participant).
    pub crossfire_kills: i64,
    /// The player's damage in the crossfire engagements they took part in.
    pub crossfire_damage: i64,
    /// Sum and count of the engagements' `crossfire_delay` over the player's participations.
    pub crossfire_delay_sum_ms: i64,
    pub crossfire_delay_count: i64,
    /// Kills of engagements with exactly one attacker.
    pub solo_kills: i64,
    pub times_targeted: i64,
    pub times_focused: i64,
    pub focus_escapes: i64,
    pub focus_deaths: i64,
    pub solo_escapes: i64,
    pub solo_deaths: i64,
    /// All escapes as a target (the escape-rate numerator).
    pub escapes: i64,
    /// Sum of the `duration` of engagements the player was the target of (count: times_targeted).
    pub engagement_duration_sum_ms: i64,
    /// Sum of `total_damage` of engagements the player was the target of.
    pub damage_taken: i64,
}

impl PlayerTeamplay {
    fn new(guid: &str, name: Name, team: Team) -> Self {
        PlayerTeamplay {
            guid: guid.to_string(),
            name,
            team,
            kills: 0,
            deaths: 0,
            damage_dealt: 0,
            crossfire_participations: 0,
            crossfire_kills: 0,
            crossfire_damage: 0,
            crossfire_delay_sum_ms: 0,
            crossfire_delay_count: 0,
            solo_kills: 0,
            times_targeted: 0,
            times_focused: 0,
            focus_escapes: 0,
            focus_deaths: 0,
            solo_escapes: 0,
            solo_deaths: 0,
            escapes: 0,
            engagement_duration_sum_ms: 0,
            damage_taken: 0,
        }
    }

    /// **escape rate** = escapes / times targeted.
    pub fn escape_rate(&self) -> Option<f64> {
        (self.times_targeted > 0).then(|| self.escapes as f64 / self.times_targeted as f64)
    }

    /// **average crossfire delay** in ms.
    pub fn avg_crossfire_delay_ms(&self) -> Option<f64> {
        (self.crossfire_delay_count > 0)
            .then(|| self.crossfire_delay_sum_ms as f64 / self.crossfire_delay_count as f64)
    }

    /// **average engagement duration** in ms (as the target).
    pub fn avg_engagement_duration_ms(&self) -> Option<f64> {
        (self.times_targeted > 0)
            .then(|| self.engagement_duration_sum_ms as f64 / self.times_targeted as f64)
    }
}

/// One row per player of the round ([`super::players`]), by GUID, zeros included.
pub fn teamplay(round: &Round) -> Vec<PlayerTeamplay> {
    teamplay_in(&RoundView::new(round))
}

pub(crate) fn teamplay_in(ctx: &RoundView) -> Vec<PlayerTeamplay> {
    let round = ctx.round;
    let roster = &ctx.roster;
    let mut rows: BTreeMap<String, PlayerTeamplay> = roster
        .players()
        .into_iter()
        .map(|p| (p.guid.clone(), PlayerTeamplay::new(&p.guid, p.name, p.team)))
        .collect();
    for e in &round.engagements {
        let focused = e.num_attackers >= 2;
        let solo = e.num_attackers == 1;
        let killed = e.outcome == Outcome::Killed;
        let escaped = e.outcome == Outcome::Escaped;
        if let Some(t) = rows.get_mut(e.target_guid.as_str()) {
            t.times_targeted += 1;
            t.engagement_duration_sum_ms += e.duration;
            t.damage_taken += e.total_damage;
            t.deaths += i64::from(killed);
            t.escapes += i64::from(escaped);
            if focused {
                t.times_focused += 1;
                t.focus_deaths += i64::from(killed);
                t.focus_escapes += i64::from(escaped);
            }
            if solo {
                t.solo_deaths += i64::from(killed);
                t.solo_escapes += i64::from(escaped);
            }
        }
        for a in &e.attackers {
            if let Some(p) = rows.get_mut(a.guid.as_str()) {
                p.damage_dealt += a.damage;
            }
        }
        let participants = crossfire_participants(e);
        if killed && let Some(k) = e.killer_guid.as_deref().and_then(|k| rows.get_mut(k)) {
            k.kills += 1;
            k.solo_kills += i64::from(solo);
            k.crossfire_kills += i64::from(e.is_crossfire);
        }
        for g in participants {
            if let Some(p) = rows.get_mut(g) {
                p.crossfire_participations += 1;
                p.crossfire_damage += e
                    .attackers
                    .iter()
                    .filter(|a| a.guid == g)
                    .map(|a| a.damage)
                    .sum::<i64>();
                if let Some(d) = e.crossfire_delay {
                    p.crossfire_delay_sum_ms += d;
                    p.crossfire_delay_count += 1;
                }
            }
        }
    }
    rows.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    fn row<'a>(rows: &'a [PlayerTeamplay], guid: &str) -> &'a PlayerTeamplay {
        rows.iter().find(|r| r.guid == guid).unwrap()
    }

    fn sample_round() -> Round {
        let mut r = round();
        // 1: a and b crossfire t (delay 300), b kills; 100 damage taken, 2000 ms.
        r.engagements.push(crossfire(
            with_attackers(
                engagement(1, "t", Team::Allies, 1000, 3000, Outcome::Killed),
                vec![
                    attacker("a", Team::Axis, 45, 1000, 1800, false),
                    attacker("b", Team::Axis, 55, 1300, 3000, true),
                ],
            ),
            &["a", "b"],
            300,
        ));
        // 2: a alone on t, t escapes after 6000 ms.
        r.engagements.push(with_attackers(
            engagement(2, "t", Team::Allies, 10_000, 16_000, Outcome::Escaped),
            vec![attacker("a", Team::Axis, 20, 10_000, 10_500, false)],
        ));
        // 3: t kills a alone.
        r.engagements.push(with_attackers(
            engagement(3, "a", Team::Axis, 20_000, 20_400, Outcome::Killed),
            vec![attacker("t", Team::Allies, 140, 20_000, 20_400, true)],
        ));
        // 4: a and b focus t (not a crossfire), t escapes.
        r.engagements.push(with_attackers(
            engagement(4, "t", Team::Allies, 30_000, 37_000, Outcome::Escaped),
            vec![
                attacker("a", Team::Axis, 10, 30_000, 30_000, false),
                attacker("b", Team::Axis, 15, 33_000, 33_000, false),
            ],
        ));
        // 5: b on t when the round ends: the fight is still open.
        r.engagements.push(with_attackers(
            engagement(5, "t", Team::Allies, 40_000, 41_000, Outcome::RoundEnd),
            vec![attacker("b", Team::Axis, 30, 40_000, 40_900, false)],
        ));
        r.tracks.push(track("z", Team::Axis, 0, None, &[]));
        r
    }

    #[test]
    fn a_target_has_hand_computed_figures() {
        let rows = teamplay(&sample_round());
        let t = row(&rows, "t");
        assert_eq!(t.times_targeted, 4);
        assert_eq!(t.times_focused, 2);
        assert_eq!((t.focus_deaths, t.focus_escapes), (1, 1));
        assert_eq!((t.solo_deaths, t.solo_escapes), (0, 1));
        assert_eq!((t.escapes, t.deaths), (2, 1));
        assert_eq!(t.damage_taken, 100 + 20 + 25 + 30);
        assert_eq!(t.engagement_duration_sum_ms, 2000 + 6000 + 7000 + 1000);
        assert_eq!(t.escape_rate(), Some(0.5));
        assert_eq!(t.avg_engagement_duration_ms(), Some(4000.0));
        assert_eq!((t.kills, t.solo_kills, t.damage_dealt), (1, 1, 140));
        assert_eq!(t.team, Team::Allies);
    }

    #[test]
    fn attackers_have_hand_computed_figures() {
        let rows = teamplay(&sample_round());
        let a = row(&rows, "a");
        assert_eq!(a.crossfire_participations, 1);
        assert_eq!((a.crossfire_kills, a.crossfire_damage), (0, 45));
        assert_eq!(
            (a.crossfire_delay_sum_ms, a.crossfire_delay_count),
            (300, 1)
        );
        assert_eq!(a.damage_dealt, 45 + 20 + 10);
        assert_eq!(
            (a.kills, a.solo_kills, a.deaths, a.solo_deaths),
            (0, 0, 1, 1)
        );
        let b = row(&rows, "b");
        assert_eq!(
            (
                b.crossfire_participations,
                b.crossfire_kills,
                b.crossfire_damage
            ),
            (1, 1, 55)
        );
        assert_eq!((b.kills, b.solo_kills), (1, 0));
        assert_eq!(b.damage_dealt, 55 + 15 + 30);
        assert_eq!(b.avg_crossfire_delay_ms(), Some(300.0));
        assert_eq!(b.times_targeted, 0);
        assert_eq!(b.escape_rate(), None);
    }

    #[test]
    fn every_player_has_a_row_in_guid_order() {
        let rows = teamplay(&sample_round());
        let guids: Vec<&str> = rows.iter().map(|r| r.guid.as_str()).collect();
        assert_eq!(guids, ["a", "b", "t", "z"]);
        let z = row(&rows, "z");
        assert_eq!(z, &PlayerTeamplay::new("z", Name::from("z"), Team::Axis));
    }

    #[test]
    fn a_crossfire_kill_by_a_non_participant_counts_for_the_killer_only() {
        let mut r = round();
        r.engagements.push(crossfire(
            with_attackers(
                engagement(1, "t", Team::Allies, 0, 5000, Outcome::Killed),
                vec![
                    attacker("a", Team::Axis, 45, 0, 100, false),
                    attacker("b", Team::Axis, 55, 500, 600, false),
                    attacker("c", Team::Axis, 10, 4000, 5000, true),
                ],
            ),
            &["a", "b"],
            500,
        ));
        let rows = teamplay(&r);
        let c = row(&rows, "c");
        assert_eq!(
            (
                c.crossfire_kills,
                c.crossfire_participations,
                c.crossfire_damage
            ),
            (1, 0, 0)
        );
        assert_eq!(c.solo_kills, 0);
        assert_eq!(row(&rows, "a").crossfire_kills, 0);
        assert_eq!(row(&rows, "t").times_focused, 1);
    }
}
