//! Medics, gunfights and spawn timing (`metrics.md`): the per-player sums of REVIVES,
//! KILL_OUTCOME, WEAPON_ACCURACY and SPAWN_TIMING, and each player's use of each weapon with
//! where its hits landed (HIT_REGIONS).

use std::collections::BTreeMap;

use super::PlayerSums;
use crate::format::{GameSection, KillFate, Round, Team, is_bullet_weapon};

/// Each player's team in the round: the team of their last life, as `round_players` keeps it.
pub fn round_teams(round: &Round) -> BTreeMap<&str, Team> {
    let mut teams = BTreeMap::new();
    for t in &round.tracks {
        teams.insert(t.guid.as_str(), t.team);
    }
    teams
}

/// Adds the medic, gunfight and spawn-timing sums of `round` to `players`. A section the round
/// did not record adds nothing, and its `*_rounds` flag stays 0, so that "not recorded" is told
/// apart from "none".
pub(crate) fn add_game_sums<'a>(round: &'a Round, players: &mut BTreeMap<&'a str, PlayerSums>) {
    let teams = round_teams(round);
    let flags = [
        GameSection::WeaponAccuracy,
        GameSection::Revives,
        GameSection::KillOutcome,
        GameSection::SpawnTiming,
    ]
    .map(|s| i32::from(round.records(s)));
    for guid in teams.keys() {
        let p = players.entry(guid).or_default();
        [p.wa_rounds, p.rv_rounds, p.ko_rounds, p.st_rounds] = flags;
    }
    for w in round.weapon_accuracy.iter().flatten() {
        if !is_bullet_weapon(w.weapon) {
            continue;
        }
        let p = players.entry(&w.player_guid).or_default();
        p.shots += w.shots_fired;
        p.hits += w.hits;
        p.headshots += w.headshots;
    }
    for r in round.revives.iter().flatten() {
        let medic = players.entry(&r.medic_guid).or_default();
        medic.revives_given += 1;
        medic.revives_under_fire += i32::from(r.under_fire);
        players.entry(&r.revived_guid).or_default().revives_received += 1;
    }
    for k in round.kill_outcomes.iter().flatten() {
        let victim = players.entry(&k.victim_guid).or_default();
        victim.enemy_downs += 1;
        match k.outcome {
            KillFate::Revived => victim.times_revived += 1,
            KillFate::Gibbed => victim.times_gibbed += 1,
            KillFate::TappedOut => victim.times_tapped_out += 1,
            KillFate::RoundEnd | KillFate::Expired => {}
        }
        players.entry(&k.killer_guid).or_default().time_denied_ms +=
            k.effective_denied_ms.unwrap_or(0);
        if k.outcome == KillFate::Gibbed
            && let Some(gibber) = k.gibber_guid.as_deref().filter(|g| *g != k.victim_guid)
        {
            players.entry(gibber).or_default().gibs += 1;
        }
        if k.outcome == KillFate::Revived
            && let Some(reviver) = k.reviver_guid.as_deref()
        {
            players.entry(reviver).or_default().downs_revived += 1;
        }
        if let Some(&team) = teams.get(k.victim_guid.as_str()) {
            for (guid, _) in teams
                .iter()
                .filter(|(g, t)| **t == team && **g != k.victim_guid)
            {
                players.entry(guid).or_default().team_downs += 1;
            }
        }
    }
    for t in round.spawn_timing.iter().flatten() {
        if let Some(score) = t.spawn_timing_score {
            let p = players.entry(&t.killer_guid).or_default();
            p.spawn_score_sum += score;
            p.spawn_score_count += 1;
        }
    }
}

/// One player's use of one weapon in a round: WEAPON_ACCURACY's counts and HIT_REGIONS' hits by
/// region (head, arms, body, legs).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WeaponUse {
    pub guid: String,
    pub weapon: i64,
    pub shots: i64,
    pub hits: i64,
    pub kills: i64,
    pub headshots: i64,
    pub regions: [i64; 4],
}

/// Every player's use of every weapon in `round`, by `(guid, weapon)`. Rows of one player and
/// weapon (a tracker may write one per team) are added up.
pub fn weapon_uses(round: &Round) -> Vec<WeaponUse> {
    let mut uses: BTreeMap<(&str, i64), WeaponUse> = BTreeMap::new();
    let entry = |guid: &str, weapon: i64| -> WeaponUse {
        WeaponUse {
            guid: guid.to_string(),
            weapon,
            ..WeaponUse::default()
        }
    };
    for w in round.weapon_accuracy.iter().flatten() {
        let u = uses
            .entry((&w.player_guid, w.weapon))
            .or_insert_with(|| entry(&w.player_guid, w.weapon));
        u.shots += w.shots_fired;
        u.hits += w.hits;
        u.kills += w.kills;
        u.headshots += w.headshots;
    }
    for h in round.hit_regions.iter().flatten() {
        let u = uses
            .entry((&h.attacker_guid, h.weapon))
            .or_insert_with(|| entry(&h.attacker_guid, h.weapon));
        u.regions[h.region as usize] += 1;
    }
    uses.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{ParseOptions, parse_with};

    fn deployed() -> Round {
        parse_with(
            include_bytes!("../../tests/fixtures/deployed_v6_round.txt"),
            ParseOptions {
                assume_complete: true,
            },
        )
        .expect("fixture parses")
    }

    const AX1: &str = "1A2B3C4D5E6F70811A2B3C4D5E6F7081";
    const AX2: &str = "2B3C4D5E6F7081922B3C4D5E6F708192";
    const AL1: &str = "3C4D5E6F708192A33C4D5E6F708192A3";
    const AL2: &str = "4D5E6F708192A3B44D5E6F708192A3B4";

    #[test]
    fn the_deployed_round_adds_up_row_by_row() {
        let round = deployed();
        let mut players = BTreeMap::new();
        add_game_sums(&round, &mut players);
        let p = |g: &str| players[g];
        // Bullets only: the syringe (11) stays out of AX2's accuracy.
        assert_eq!((p(AX2).shots, p(AX2).hits, p(AX2).headshots), (10, 4, 0));
        assert_eq!((p(AL1).shots, p(AL1).hits, p(AL1).headshots), (60, 12, 3));
        assert_eq!((p(AX2).revives_given, p(AX2).revives_under_fire), (1, 1));
        assert_eq!((p(AL2).revives_given, p(AL1).revives_received), (1, 1));
        assert_eq!(
            (
                p(AX1).enemy_downs,
                p(AX1).times_revived,
                p(AL1).times_gibbed,
                p(AL2).times_tapped_out
            ),
            (1, 1, 1, 1)
        );
        assert_eq!((p(AX1).gibs, p(AX2).downs_revived), (1, 1));
        // AL1's kills: 4000 (revived) + 2000 (round end).
        assert_eq!(p(AL1).time_denied_ms, 6000);
        // AX2's team (axis) lost AX1 once; AX1's team lost AX2 once.
        assert_eq!((p(AX2).team_downs, p(AX1).team_downs), (1, 1));
        // Allies lost AL1 and AL2: each teammate counts the other's down.
        assert_eq!((p(AL1).team_downs, p(AL2).team_downs), (1, 1));
        assert_eq!(p(AL1).spawn_score_count, 2);
        assert!((p(AL1).spawn_score_sum - 1.334).abs() < 1e-9);
        // Hit regions were not recorded; the other four sections were.
        assert_eq!(
            (
                p(AX1).wa_rounds,
                p(AX1).rv_rounds,
                p(AX1).ko_rounds,
                p(AX1).st_rounds
            ),
            (1, 1, 1, 1)
        );
    }

    #[test]
    fn a_round_without_the_sections_records_nothing() {
        let mut round = deployed();
        round.revives = None;
        round.kill_outcomes = None;
        round.weapon_accuracy = None;
        round.spawn_timing = None;
        let mut players = BTreeMap::new();
        add_game_sums(&round, &mut players);
        assert!(players.values().all(|p| *p == PlayerSums::default()));
    }

    #[test]
    fn weapon_uses_join_accuracy_and_regions() {
        let mut round = deployed();
        let uses = weapon_uses(&round);
        assert_eq!(uses.len(), 5);
        assert!(uses.iter().all(|u| u.regions == [0; 4]));
        round.hit_regions = Some(vec![crate::format::HitRegionHit {
            time: 9500,
            attacker_guid: AL1.into(),
            attacker_name: "x".into(),
            victim_guid: AX1.into(),
            victim_name: "y".into(),
            weapon: 8,
            region: crate::format::HitRegion::Legs,
            damage: 12,
        }]);
        let uses = weapon_uses(&round);
        let thompson = uses
            .iter()
            .find(|u| u.guid == AL1 && u.weapon == 8)
            .unwrap();
        assert_eq!(
            (thompson.shots, thompson.kills, thompson.regions),
            (60, 2, [0, 0, 0, 1])
        );
    }
}
