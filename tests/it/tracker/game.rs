//! The medic, gunfight and spawn-timing sections of a round file compared, row by row, with
//! the simulator's ground truth.

use super::check::RoundFile;
use et_server_sim::sim::{Fate, Server, c};
use std::collections::BTreeMap;

/// The one-decimal value the tracker writes for `v` may differ from it by rounding only.
fn near(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn team_word(team: i64) -> &'static str {
    if team == c::TEAM_AXIS {
        "AXIS"
    } else {
        "ALLIES"
    }
}

/// Checks REVIVES, KILL_OUTCOME, WEAPON_ACCURACY, HIT_REGIONS and SPAWN_TIMING against
/// `s.truth`: every row is one true event with the true people and figures, and every true event
/// has its row.
pub fn verify_game(s: &Server, rf: &RoundFile) {
    let truth = &s.truth;
    let frame = s.frame_msec();
    let round_end = truth.round_end.expect("round ended");

    // REVIVES: every revive with the medic the engine recorded.
    assert_eq!(rf.revives.len(), truth.revives.len(), "revive count");
    let mut want: Vec<_> = truth.revives.iter().collect();
    want.sort_by(|a, b| (a.time, &a.revived_guid).cmp(&(b.time, &b.revived_guid)));
    let mut got: Vec<_> = rf.revives.iter().collect();
    got.sort_by(|a, b| (a.time, &a.revived_guid).cmp(&(b.time, &b.revived_guid)));
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            (g.time, g.revived_guid.as_str(), g.medic_guid.as_str()),
            (w.time, w.revived_guid.as_str(), w.medic_guid.as_str()),
            "revive {g:?} vs {w:?}"
        );
        assert_eq!(g.under_fire, w.under_fire, "under fire: {g:?} vs {w:?}");
        for i in 0..3 {
            assert!(near(g.pos[i], w.pos[i], 0.051), "position {g:?} vs {w:?}");
        }
        match &w.nearest_enemy {
            None => assert_eq!(g.distance_to_enemy, None, "{g:?}"),
            Some((guid, d)) => {
                assert_eq!(&g.nearest_enemy_guid, guid, "nearest enemy {g:?} vs {w:?}");
                let gd = g.distance_to_enemy.expect("distance to the enemy");
                assert!(near(gd, *d, 0.051), "distance {gd} vs {d}");
            }
        }
    }

    // KILL_OUTCOME: one row per enemy kill, with its fate, gibber or reviver and time denied.
    assert_eq!(rf.outcomes.len(), truth.kills.len(), "kill outcome count");
    let mut rows: BTreeMap<(i64, String, String), Vec<_>> = BTreeMap::new();
    for o in &rf.outcomes {
        rows.entry((o.kill_time, o.victim_guid.clone(), o.killer_guid.clone()))
            .or_default()
            .push(o);
    }
    for k in &truth.kills {
        let key = (k.time, k.victim_guid.clone(), k.killer_guid.clone());
        let o = rows
            .get_mut(&key)
            .and_then(|v| v.pop())
            .unwrap_or_else(|| panic!("no KILL_OUTCOME row for {k:?}"));
        let fate = k.fate.expect("every kill has a fate at the round end");
        assert_eq!(o.outcome, fate.word(), "{o:?} vs {k:?}");
        assert_eq!(o.kill_mod, k.mod_);
        assert_eq!(
            o.gibber_guid,
            k.gibber_guid.clone().unwrap_or_default(),
            "gibber {o:?} vs {k:?}"
        );
        assert_eq!(
            o.reviver_guid,
            k.reviver_guid.clone().unwrap_or_default(),
            "reviver {o:?} vs {k:?}"
        );
        let ft = k.fate_time.expect("fate time");
        if fate == Fate::TappedOut {
            // A tap-out has no callback: the tracker sees the limbo flag at the next frame.
            assert!(
                (ft..=ft + frame).contains(&o.outcome_time),
                "tap-out time {o:?} vs {k:?}"
            );
        } else {
            assert_eq!(o.outcome_time, ft, "outcome time {o:?} vs {k:?}");
        }
        let back = k.back_time.expect("the kill's time denied ended");
        let denied = match fate {
            Fate::Revived => o.delta_ms,
            Fate::RoundEnd => round_end - k.time,
            _ => back - k.time,
        };
        assert_eq!(o.effective_denied_ms, denied, "denied {o:?} vs {k:?}");
        if fate == Fate::RoundEnd {
            assert_eq!(o.outcome_time, round_end);
        }
    }

    // WEAPON_ACCURACY: shots, hits, kills and headshots per player and weapon equal the truth.
    let got: BTreeMap<(String, i64), (String, [i64; 4])> = rf
        .accuracy
        .iter()
        .map(|a| {
            (
                (a.guid.clone(), a.weapon),
                (a.team.clone(), [a.shots, a.hits, a.kills, a.headshots]),
            )
        })
        .collect();
    assert_eq!(
        got.len(),
        rf.accuracy.len(),
        "one row per player and weapon"
    );
    let want: BTreeMap<(String, i64), (String, [i64; 4])> = truth
        .weapons
        .iter()
        .map(|(k, w)| {
            (
                k.clone(),
                (
                    team_word(w.team).to_string(),
                    [w.shots, w.hits, w.kills, w.headshots],
                ),
            )
        })
        .collect();
    assert_eq!(got, want, "weapon accuracy vs ground truth");

    // HIT_REGIONS: every bullet hit on a living enemy, in the region the engine counted.
    let mut got: Vec<_> = rf
        .regions
        .iter()
        .map(|r| {
            (
                r.time,
                r.attacker_guid.clone(),
                r.victim_guid.clone(),
                r.weapon,
                r.region as usize,
                r.damage,
            )
        })
        .collect();
    let mut want: Vec<_> = truth
        .region_hits
        .iter()
        .map(|r| {
            (
                r.time,
                r.attacker_guid.clone(),
                r.victim_guid.clone(),
                r.weapon,
                r.region,
                r.damage,
            )
        })
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "hit regions vs ground truth");

    // SPAWN_TIMING: one row per enemy kill; the time to the victim team's next wave within one
    // server frame of the frame at which that wave really came.
    assert_eq!(rf.timing.len(), truth.kills.len(), "spawn timing count");
    let mut rows: BTreeMap<(i64, String, String), Vec<_>> = BTreeMap::new();
    for t in &rf.timing {
        rows.entry((t.kill_time, t.victim_guid.clone(), t.killer_guid.clone()))
            .or_default()
            .push(t);
    }
    for k in &truth.kills {
        let key = (k.time, k.victim_guid.clone(), k.killer_guid.clone());
        let t = rows
            .get_mut(&key)
            .and_then(|v| v.pop())
            .unwrap_or_else(|| panic!("no SPAWN_TIMING row for {k:?}"));
        assert_eq!(
            (t.killer_team.as_str(), t.victim_team.as_str()),
            (team_word(k.killer_team), team_word(k.victim_team))
        );
        assert_eq!(t.interval, Some(k.victim_interval), "{t:?} vs {k:?}");
        let next = t.time_to_next.expect("time to the next wave");
        assert!(
            (k.victim_next_wave - frame + 1..=k.victim_next_wave).contains(&next),
            "time to next wave {next} vs the wave's frame {} ({t:?})",
            k.victim_next_wave
        );
        let score = t.score.expect("score");
        assert!(near(score, next as f64 / k.victim_interval as f64, 0.00051));
        let vr = t.victim_reinf.expect("victim_reinf");
        assert!(near(vr * 1000.0, next as f64, 50.1), "{vr} vs {next}");
        let kr = t.killer_reinf.expect("killer_reinf");
        assert!(
            near(kr * 1000.0, k.killer_next_wave as f64, frame as f64 + 50.1),
            "killer_reinf {kr} vs {}",
            k.killer_next_wave
        );
        // The simulator's projection is the wave that really came, when it came in the round.
        let team = (k.victim_team - 1) as usize;
        if k.time + k.victim_next_wave < round_end {
            assert!(
                truth.waves[team].contains(&(k.time + k.victim_next_wave)),
                "no wave at {} for {k:?}",
                k.time + k.victim_next_wave
            );
        }
    }
}
