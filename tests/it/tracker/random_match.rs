//! Seeded random matches compared with their ground truth.

use super::check::{self, RoundFile};
use super::game::verify_game;
use super::objectives::verify_objectives;
use et_server_sim::matchgen::{MatchConfig, play};
use et_server_sim::sim::{EngineVersion, LifeEnd, Server, c};
use proximity::format::Outcome;
use std::collections::BTreeMap;

fn death_word(end: LifeEnd) -> &'static str {
    match end {
        LifeEnd::Killed => "killed",
        LifeEnd::Teamkill => "teamkill",
        LifeEnd::Selfkill => "selfkill",
        LifeEnd::Fallen => "fallen",
        LifeEnd::World => "world",
        LifeEnd::Disconnect => "disconnect",
        LifeEnd::RoundEnd => "round_end",
        LifeEnd::Shutdown => "shutdown",
    }
}

/// Checks one played match against its ground truth; returns the file for further checks.
fn verify(s: &Server) -> RoundFile {
    s.assert_clean();
    let files = s.round_files();
    assert_eq!(files.len(), 1, "one round file");
    let rf = check::read(&files[0].1).unwrap_or_else(|e| panic!("strict check: {e}"));
    let typed = check::cross_check(&files[0].1, &rf);
    let truth = &s.truth;
    // The typed round, independently: killed engagements with a killer = ground-truth kills.
    let typed_kills = typed
        .engagements
        .iter()
        .filter(|e| e.outcome == Outcome::Killed && e.killer_guid.is_some())
        .count();
    assert_eq!(
        typed_kills,
        truth
            .deaths
            .iter()
            .filter(|d| d.killer_guid.is_some())
            .count()
    );
    assert_eq!(typed.tracks.len(), truth.lives.len());

    // Every kill by another player is exactly one `killed` engagement with that killer.
    let mut want: BTreeMap<(String, String, i64), usize> = BTreeMap::new();
    for d in &truth.deaths {
        if let Some(k) = &d.killer_guid {
            *want
                .entry((d.victim_guid.trim().into(), k.trim().into(), d.time))
                .or_default() += 1;
        }
    }
    let mut got: BTreeMap<(String, String, i64), usize> = BTreeMap::new();
    for e in rf.engagements.iter().filter(|e| e.outcome == "killed") {
        if !e.killer_guid.is_empty() {
            *got.entry((e.target_guid.clone(), e.killer_guid.clone(), e.end))
                .or_default() += 1;
            let killers: Vec<_> = e.attackers.iter().filter(|a| a.got_kill).collect();
            assert_eq!(killers.len(), 1);
            assert_eq!(killers[0].guid, e.killer_guid);
        } else {
            // A death without a killing player (fall, /kill, team switch, world) under fire.
            assert!(
                truth.deaths.iter().any(|d| d.killer_guid.is_none()
                    && d.victim_guid.trim() == e.target_guid
                    && d.time == e.end),
                "killed engagement without a matching death: {e:?}"
            );
        }
    }
    assert_eq!(got, want, "killed engagements vs ground-truth kills");

    // Every life is exactly one track, with its spawn, death time and death type.
    let mut want: BTreeMap<(String, i64), Vec<(i64, String)>> = BTreeMap::new();
    for l in &truth.lives {
        let end = l.end.expect("every life ended");
        let death = match end {
            LifeEnd::RoundEnd | LifeEnd::Shutdown => 0,
            _ => l.death_time.expect("death time"),
        };
        want.entry((l.guid.trim().into(), l.spawn_time))
            .or_default()
            .push((death, death_word(end).into()));
    }
    let mut got: BTreeMap<(String, i64), Vec<(i64, String)>> = BTreeMap::new();
    for t in &rf.tracks {
        got.entry((t.guid.clone(), t.spawn))
            .or_default()
            .push((t.death, t.death_type.clone()));
        assert!(!t.name.is_empty());
        assert_eq!(t.path[0].event, "spawn");
        assert!(t.path.windows(2).all(|w| w[0].time <= w[1].time));
    }
    assert_eq!(got.len(), want.len(), "track count vs life count");
    assert_eq!(got, want, "tracks vs ground-truth lives");

    // Revived lives carry `revived` path events.
    let revives: u32 = truth.lives.iter().map(|l| l.revives).sum();
    let revived_events = rf
        .tracks
        .iter()
        .flat_map(|t| &t.path)
        .filter(|p| p.event == "revived")
        .count();
    assert_eq!(revived_events as u32, revives);

    // Hits: every ground-truth hit is counted in exactly one engagement.
    let hits: i64 = rf
        .engagements
        .iter()
        .flat_map(|e| &e.attackers)
        .map(|a| a.hits)
        .sum();
    assert_eq!(hits as usize, truth.hits.len());
    let damage: i64 = rf.engagements.iter().map(|e| e.total_damage).sum();
    assert_eq!(damage, truth.hits.iter().map(|h| h.damage).sum::<i64>());
    assert_eq!(rf.reactions.len(), rf.engagements.len());
    verify_game(s, &rf);
    verify_objectives(s, &rf);
    rf
}

fn full_match(seed: u64) {
    let s = play(MatchConfig {
        players: 24,
        seconds: 15 * 60,
        seed,
        version: EngineVersion::V2_85,
        measure: false,
    });
    let rf = verify(&s);
    // The match exercised what it should.
    let count = |o: &str| rf.engagements.iter().filter(|e| e.outcome == o).count();
    assert!(count("killed") > 100, "kills {}", count("killed"));
    assert!(count("escaped") > 0, "escapes");
    assert!(rf.engagements.iter().any(|e| e.is_crossfire), "crossfires");
    assert!(count("disconnect") >= 1, "disconnect mid-fight");
    for dt in ["teamkill", "fallen", "selfkill"] {
        assert!(
            rf.tracks.iter().any(|t| t.death_type == dt),
            "no {dt} death"
        );
    }
    assert!(s.truth.lives.iter().any(|l| l.revives > 0), "revives");
    // ... and the medic and gunfight sections had every kind of row to check.
    for fate in ["revived", "gibbed", "tapped_out"] {
        assert!(rf.outcomes.iter().any(|o| o.outcome == fate), "no {fate}");
    }
    assert!(
        rf.outcomes
            .iter()
            .any(|o| o.outcome == "gibbed" && o.gibber_guid != o.killer_guid),
        "no gib by another enemy"
    );
    assert!(
        rf.revives.iter().any(|r| r.under_fire),
        "no revive under fire"
    );
    assert!(
        rf.revives.iter().any(|r| !r.under_fire),
        "only revives under fire"
    );
    for region in 0..4 {
        assert!(
            rf.regions.iter().any(|r| r.region == region),
            "no region {region}"
        );
    }
    assert!(rf.accuracy.iter().any(|a| a.hits > 0 && a.headshots > 0));
    // Grenades hit without a region; the syringe fires without hitting.
    assert!(
        rf.accuracy
            .iter()
            .any(
                |a| (a.weapon == c::WP_GRENADE_PINEAPPLE || a.weapon == c::WP_GRENADE_LAUNCHER)
                    && a.hits > 0
            )
    );
    assert!(
        rf.accuracy
            .iter()
            .any(|a| a.weapon == c::WP_MEDIC_SYRINGE && a.shots > 0)
    );
    // ... and the objective game had every kind of row to check.
    for kind in [
        "dynamite_plant",
        "dynamite_defuse",
        "objective_destroyed",
        "constructed",
        "repaired",
        "checkpoint_captured",
        "objective_secured",
    ] {
        assert!(rf.objectives.iter().any(|o| o.kind == kind), "no {kind}");
    }
    for outcome in ["secured", "dropped", "killed", "round_end", "disconnected"] {
        assert!(
            rf.carries.iter().any(|c| c.outcome == outcome),
            "no {outcome} carry"
        );
    }
    assert!(rf.carries.iter().any(|c| !c.killer_guid.is_empty()));
    for team in ["AXIS", "ALLIES"] {
        assert!(rf.carries.iter().any(|c| c.flag_team == team));
    }
    assert!(
        rf.returns.iter().any(|r| r.returner_guid.is_empty()),
        "no timeout return"
    );
    assert!(
        rf.returns.iter().any(|r| !r.returner_guid.is_empty()),
        "no return by touch"
    );
    assert!(
        rf.escorts.iter().any(|e| e.mounted_ms > 0),
        "nobody mounted"
    );
    assert!(rf.escorts.iter().any(|e| e.proximity_ms > 0), "nobody near");
    assert!(
        s.truth.waves.iter().all(|w| w.len() > 5),
        "waves {:?}",
        s.truth.waves
    );
}

#[test]
fn random_match_24_players_15_min_seed_1() {
    full_match(1);
}

#[test]
fn random_match_24_players_15_min_seed_2() {
    full_match(2);
}

#[test]
fn random_match_24_players_15_min_seed_3() {
    full_match(3);
}

#[test]
fn random_match_24_players_15_min_seed_4() {
    full_match(4);
}

#[test]
fn random_match_24_players_15_min_seed_5() {
    full_match(5);
}

/// The same tracker file under 2.83.1: no `et_Revive`, no `et.EF_*`.
#[test]
fn random_match_on_engine_2_83_1() {
    let s = play(MatchConfig {
        players: 16,
        seconds: 5 * 60,
        seed: 7,
        version: EngineVersion::V2_83_1,
        measure: false,
    });
    assert!(s.lua().is_some());
    verify(&s);
}

/// The output is deterministic: the same seed gives the same bytes.
#[test]
fn same_seed_same_file() {
    let cfg = MatchConfig {
        players: 8,
        seconds: 120,
        seed: 11,
        version: EngineVersion::V2_85,
        measure: false,
    };
    let a = play(cfg).round_files();
    let b = play(cfg).round_files();
    assert_eq!(a, b);
}
