//! The objective sections of a round file (OBJECTIVE_EVENTS, CARRIER_EVENTS, CARRIER_RETURNS,
//! ESCORT_CREDIT) and the round's winner, defender and time set, compared with the simulator's
//! ground truth; plus one scenario per rule.
//!
//! Every time is exact: the log lines, obituaries, disconnects and client commands arrive with
//! the frame the tracker is in, and what the engine does inside a frame without telling (a
//! secure, a checkpoint capture) the simulator does inside the frame too, where the tracker's
//! `et_RunFrame` sees it with the frame's time.

use super::check::{self, RoundFile};
use et_server_sim::matchgen::{
    COMMAND_POST, DOCUMENTS, FORWARD_BUNKER, MAIN_GATE, MG_NEST, TANK, objective_map,
};
use et_server_sim::sim::{EngineVersion, Mode, Server, c};
use std::collections::BTreeMap;

fn near(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn near3(a: [f64; 3], b: [f64; 3]) -> bool {
    (0..3).all(|i| near(a[i], b[i], 0.051))
}

fn team_word(team: i64) -> &'static str {
    if team == c::TEAM_AXIS {
        "AXIS"
    } else {
        "ALLIES"
    }
}

fn cs_team(v: &str) -> Option<&'static str> {
    match v {
        "0" => Some("AXIS"),
        "1" => Some("ALLIES"),
        "-1" => Some(""),
        _ => None,
    }
}

fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Checks the four objective sections and the result header against `s.truth`: every row is one
/// true event with the true people, times, places and distances, and every true event has its row.
pub fn verify_objectives(s: &Server, rf: &RoundFile) {
    let truth = &s.truth;

    // OBJECTIVE_EVENTS, all exact.
    let mut got: Vec<_> = rf
        .objectives
        .iter()
        .map(|o| {
            (
                o.time,
                o.kind.clone(),
                o.guid.clone(),
                o.team.clone(),
                o.track.clone(),
                o.pos,
            )
        })
        .collect();
    let mut want: Vec<_> = truth
        .objectives
        .iter()
        .map(|o| {
            (
                o.time,
                o.kind.to_string(),
                o.guid.clone(),
                team_word(o.team).to_string(),
                o.track.clone(),
                o.pos,
            )
        })
        .collect();
    let key = |a: &(i64, String, String, String, String, [f64; 3])| {
        (a.0, a.1.clone(), a.2.clone(), a.4.clone())
    };
    got.sort_by_key(key);
    want.sort_by_key(key);
    assert_eq!(
        got.len(),
        want.len(),
        "objective events: {got:#?}\nvs truth {want:#?}"
    );
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(key(g), key(w), "objective event {g:?} vs {w:?}");
        assert_eq!(g.3, w.3, "team {g:?} vs {w:?}");
        assert!(near3(g.5, w.5), "position {g:?} vs {w:?}");
    }

    // CARRIER_EVENTS: one row per carry, with its end, killer, places and path.
    assert_eq!(rf.carries.len(), truth.carries.len(), "carries");
    let mut rows: BTreeMap<(String, i64), _> = BTreeMap::new();
    for r in &rf.carries {
        assert!(
            rows.insert((r.carrier_guid.clone(), r.pickup_time), r)
                .is_none(),
            "two carries of one player at one time"
        );
    }
    for w in &truth.carries {
        let r = rows
            .get(&(w.carrier_guid.clone(), w.pickup_time))
            .unwrap_or_else(|| panic!("no CARRIER_EVENTS row for {w:?}"));
        assert_eq!(
            r.outcome,
            w.outcome.expect("every carry ended"),
            "{r:?} vs {w:?}"
        );
        assert_eq!(
            r.drop_time,
            w.drop_time.expect("drop time"),
            "{r:?} vs {w:?}"
        );
        assert_eq!(
            (r.carrier_team.as_str(), r.flag_team.as_str()),
            (team_word(w.carrier_team), team_word(w.flag_team))
        );
        assert_eq!(
            r.killer_guid,
            w.killer_guid.clone().unwrap_or_default(),
            "{r:?} vs {w:?}"
        );
        assert!(near3(r.pickup_pos, w.pickup_pos), "pickup {r:?} vs {w:?}");
        assert!(near3(r.drop_pos, w.drop_pos), "drop {r:?} vs {w:?}");
        assert_eq!(r.samples, w.samples, "path samples {r:?} vs {w:?}");
        assert!(
            near(r.carry_distance, w.distance, 0.11),
            "path {r:?} vs {w:?}"
        );
        let beeline = dist(w.pickup_pos, w.drop_pos);
        assert!(near(r.beeline, beeline, 0.11), "beeline {r:?} vs {beeline}");
        let eff = if w.distance > 0.0 {
            (beeline / w.distance).min(1.0)
        } else {
            1.0
        };
        assert!(near(r.efficiency, eff, 0.0011), "efficiency {r:?} vs {eff}");
    }

    // CARRIER_RETURNS: the returner (none after the 30 s timeout) and the drop it ended.
    assert_eq!(rf.returns.len(), truth.returns.len(), "returns");
    let mut got: Vec<_> = rf.returns.iter().collect();
    got.sort_by_key(|r| (r.time, r.flag_team.clone()));
    let mut want: Vec<_> = truth.returns.iter().collect();
    want.sort_by_key(|r| (r.time, team_word(r.flag_team)));
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.time, w.time, "{g:?} vs {w:?}");
        assert_eq!(g.flag_team, team_word(w.flag_team));
        assert_eq!(g.returner_guid, w.returner_guid.clone().unwrap_or_default());
        assert_eq!(
            g.returner_team,
            w.returner_team.map(team_word).unwrap_or_default()
        );
        match &w.drop {
            None => assert_eq!(g.drop_time, None, "{g:?} vs {w:?}"),
            Some((carrier, t, pos)) => {
                assert_eq!(&g.carrier_guid, carrier, "{g:?} vs {w:?}");
                assert_eq!(g.drop_time, Some(*t));
                assert_eq!(g.delay, Some(w.time - t));
                assert!(
                    near3(g.drop_pos.expect("drop place"), *pos),
                    "{g:?} vs {w:?}"
                );
            }
        }
    }

    // ESCORT_CREDIT: per player and vehicle, exact times and samples, distances to rounding.
    let got: BTreeMap<(String, String), _> = rf
        .escorts
        .iter()
        .map(|e| ((e.guid.clone(), e.vehicle.clone()), e))
        .collect();
    assert_eq!(
        got.len(),
        rf.escorts.len(),
        "one row per player and vehicle"
    );
    assert_eq!(
        got.len(),
        truth.escorts.len(),
        "escorts: {got:#?} vs {:#?}",
        truth.escorts
    );
    for (k, w) in &truth.escorts {
        let g = got
            .get(k)
            .unwrap_or_else(|| panic!("no ESCORT_CREDIT row for {k:?}"));
        assert_eq!(g.team, team_word(w.team));
        assert_eq!(
            (g.mounted_ms, g.proximity_ms, g.samples),
            (w.mounted_ms, w.proximity_ms, w.samples),
            "{k:?}: {g:?} vs {w:?}"
        );
        assert!(near(g.escort, w.escort, 0.15), "{k:?}: {g:?} vs {w:?}");
        assert!(near(g.credit, w.credit, 0.15), "{k:?}: {g:?} vs {w:?}");
    }

    // The result: what CS_MULTI_MAPWINNER / CS_MULTI_INFO said at the `Exit:` line, and the time
    // from live to it.
    let exit = truth.exit.as_ref().expect("the round ended with Exit:");
    // A listen server prints no `Exit:` line to Lua: the round ends at the intermission.
    let time_set = if s.world.borrow().cvar("dedicated") == "0" {
        truth.round_end.expect("round end")
    } else {
        exit.time
    };
    assert_eq!(rf.header["time_set"], time_set.to_string(), "time_set");
    assert_eq!(
        rf.header.get("winner").map(String::as_str),
        cs_team(&exit.winner),
        "winner"
    );
    assert_eq!(
        rf.header.get("defender").map(String::as_str),
        cs_team(&exit.defender).filter(|d| !d.is_empty()),
        "defender"
    );
}

// ------------------------------------------------------------------------------------------
// Scenarios on the random match's map

const AXIS: i64 = c::TEAM_AXIS;
const ALLIES: i64 = c::TEAM_ALLIES;

/// The objective map in warmup with `players` (slot = index), before going live.
fn warmup(players: &[(&str, i64, i64)]) -> Server {
    let mut s = Server::new(EngineVersion::V2_85, 64, &Server::tracker_path());
    objective_map(&mut s);
    s.load_map("supply");
    for (i, (name, team, class)) in players.iter().enumerate() {
        s.connect(i, name, *team, *class, false);
    }
    s.run_for(2000);
    s
}

fn four() -> Server {
    let mut s = warmup(&[
        ("AxisEngineer", AXIS, 2),
        ("AllyEngineer", ALLIES, 2),
        ("AxisRifle", AXIS, 0),
        ("AllyRifle", ALLIES, 0),
    ]);
    s.go_live();
    s
}

/// Ends the round, changes map; returns the round file, checked against the ground truth.
fn finish(mut s: Server) -> (Server, RoundFile) {
    s.end_round();
    s.run_for(2000);
    s.load_map("next");
    s.assert_clean();
    let files = s.round_files();
    assert_eq!(files.len(), 1, "exactly one round file");
    let rf = check::read(&files[0].1).unwrap_or_else(|e| panic!("{e}"));
    check::cross_check(&files[0].1, &rf);
    super::game::verify_game(&s, &rf);
    verify_objectives(&s, &rf);
    (s, rf)
}

fn guid(s: &Server, cn: usize) -> String {
    s.world.borrow().clients[cn].guid.trim().to_string()
}

#[test]
fn warmup_objective_play_is_not_recorded() {
    let mut s = warmup(&[("AxisEngineer", AXIS, 2), ("AllyEngineer", ALLIES, 2)]);
    s.plant_dynamite(1, MAIN_GATE);
    s.defuse_dynamite(0, MAIN_GATE);
    s.build(1, COMMAND_POST, 300.0);
    s.repair_mg42(0);
    s.pickup_flag(1, 0);
    s.set_motion(1, Mode::Run, 0.0);
    s.run_for(500);
    s.drop_objective(1);
    s.capture_checkpoint(0, FORWARD_BUNKER);
    s.mount_tank(1, TANK);
    s.set_mover_velocity(TANK, [60.0, 0.0, 0.0]);
    s.run_for(1000);
    s.go_live();
    s.run_for(1000);
    let (s, rf) = finish(s);
    assert!(rf.objectives.is_empty(), "{:?}", rf.objectives);
    assert!(rf.carries.is_empty() && rf.returns.is_empty() && rf.escorts.is_empty());
    assert!(s.truth.objectives.is_empty());
    // The defender set by the map script, nobody won yet: the defender's win.
    assert_eq!(rf.header.get("defender").map(String::as_str), Some("AXIS"));
    assert_eq!(rf.header.get("winner").map(String::as_str), Some("AXIS"));
}

#[test]
fn timeout_return_has_no_returner() {
    let mut s = four();
    s.run_for(1000);
    s.pickup_flag(1, 0);
    s.set_motion(1, Mode::Run, 0.0);
    s.run_for(2000);
    let t_kill = s.round_time();
    s.damage(1, 2, 150, c::MOD_MP40);
    s.run_for(31_000);
    let (s, rf) = finish(s);
    assert_eq!(rf.carries.len(), 1);
    let carry = &rf.carries[0];
    assert_eq!(
        (carry.outcome.as_str(), carry.drop_time),
        ("killed", t_kill)
    );
    assert_eq!(carry.killer_guid, guid(&s, 2));
    assert_eq!(carry.flag_team, "AXIS");
    assert!(carry.carry_distance > 400.0, "{carry:?}");
    assert_eq!(rf.returns.len(), 1);
    let r = &rf.returns[0];
    assert_eq!(
        (r.returner_guid.as_str(), r.returner_team.as_str()),
        ("", "")
    );
    assert_eq!(r.carrier_guid, guid(&s, 1));
    assert!((30_000..30_050).contains(&r.delay.unwrap()), "{r:?}");
}

#[test]
fn return_by_touch_names_the_returner() {
    let mut s = four();
    s.run_for(1000);
    s.pickup_flag(3, 0);
    s.run_for(1000);
    s.drop_objective(3);
    s.run_for(1000);
    let at = s.world.borrow().clients[3].ps.origin;
    s.place(2, at);
    s.return_flag(2, 0);
    s.run_for(500);
    let (s, rf) = finish(s);
    assert_eq!(rf.carries[0].outcome, "dropped");
    assert_eq!(rf.returns.len(), 1);
    assert_eq!(rf.returns[0].returner_guid, guid(&s, 2));
    assert_eq!(rf.returns[0].returner_team, "AXIS");
}

#[test]
fn constructible_destroyed_by_dynamite() {
    let mut s = four();
    s.run_for(1000);
    for _ in 0..70 {
        s.build(1, COMMAND_POST, 4.0);
        s.frame();
    }
    s.run_for(1000);
    s.plant_dynamite(0, COMMAND_POST);
    s.run_for(3000);
    let t_boom = s.round_time();
    s.explode_dynamite(0, COMMAND_POST);
    s.run_for(1000);
    // A constructible of the Axis finished, then an MG42 repair.
    for _ in 0..70 {
        s.build(0, MG_NEST, 4.0);
        s.frame();
    }
    s.repair_mg42(1);
    s.run_for(500);
    let (s, rf) = finish(s);
    let kinds: Vec<&str> = rf.objectives.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "constructed",
            "dynamite_plant",
            "objective_destroyed",
            "constructed",
            "repaired"
        ]
    );
    let d = &rf.objectives[2];
    assert_eq!((d.time, d.guid.clone()), (t_boom, guid(&s, 0)));
    assert_eq!(d.track, "the Command Post");
    assert_eq!(rf.objectives[3].track, "the Axis MG Nest");
    assert_eq!(rf.objectives[4].track, "");
}

#[test]
fn gate_plant_defuse_and_destruction_and_a_capture() {
    let mut s = four();
    s.run_for(1000);
    s.plant_dynamite(1, MAIN_GATE);
    s.run_for(2000);
    s.defuse_dynamite(0, MAIN_GATE);
    s.plant_dynamite(1, MAIN_GATE);
    s.run_for(2000);
    s.explode_dynamite(1, MAIN_GATE);
    let flag = s.world.borrow().ents[&FORWARD_BUNKER].origin;
    s.place(3, flag);
    s.capture_checkpoint(3, FORWARD_BUNKER);
    s.run_for(500);
    s.set_winner(Some(ALLIES));
    let (_, rf) = finish(s);
    let kinds: Vec<&str> = rf.objectives.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "dynamite_plant",
            "dynamite_defuse",
            "dynamite_plant",
            "objective_destroyed",
            "checkpoint_captured"
        ]
    );
    assert!(
        rf.objectives
            .iter()
            .take(4)
            .all(|o| o.track == "the Main Gate")
    );
    assert_eq!(rf.objectives[4].track, "the Forward Bunker");
    assert_eq!(rf.header.get("winner").map(String::as_str), Some("ALLIES"));
}

#[test]
fn carrier_disconnecting() {
    let mut s = four();
    s.run_for(1000);
    s.pickup_flag(1, 0);
    s.set_motion(1, Mode::Sprint, 90.0);
    s.run_for(1500);
    let t = s.round_time();
    s.disconnect(1);
    s.run_for(31_000);
    let (s, rf) = finish(s);
    assert_eq!(rf.carries.len(), 1);
    assert_eq!(
        (rf.carries[0].outcome.as_str(), rf.carries[0].drop_time),
        ("disconnected", t)
    );
    assert_eq!(rf.returns.len(), 1);
    assert_eq!(rf.returns[0].carrier_guid, guid(&s, 1));
    assert_eq!(rf.returns[0].drop_time, Some(t));
}

#[test]
fn round_end_while_carrying_and_a_secure() {
    let mut s = four();
    s.run_for(1000);
    s.pickup_flag(3, 0);
    s.set_motion(3, Mode::Run, 0.0);
    s.run_for(1000);
    s.secure_flag(3);
    s.run_for(1000);
    s.pickup_flag(3, 0);
    s.run_for(1000);
    s.pickup_flag(0, 1);
    s.run_for(1000);
    let (s, rf) = finish(s);
    let mut outcomes: Vec<(&str, &str)> = rf
        .carries
        .iter()
        .map(|r| (r.outcome.as_str(), r.flag_team.as_str()))
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            ("round_end", "ALLIES"),
            ("round_end", "AXIS"),
            ("secured", "AXIS")
        ]
    );
    let end = s.truth.round_end.unwrap();
    assert_eq!(rf.carries.iter().filter(|r| r.drop_time == end).count(), 2);
    let secured: Vec<_> = rf
        .objectives
        .iter()
        .filter(|o| o.kind == "objective_secured")
        .collect();
    assert_eq!(secured.len(), 1);
    assert_eq!(secured[0].track, "the Secret Documents");
    let _ = DOCUMENTS;
}

#[test]
fn escort_mounted_and_near() {
    let mut s = four();
    s.run_for(1000);
    let tank = s.world.borrow().ents[&TANK].origin;
    // Walk up to the tank (the tracker looks at players near it from their position samples).
    s.place(1, [tank[0] - 600.0, tank[1], tank[2]]);
    s.place(3, [tank[0] - 700.0, tank[1] + 50.0, tank[2]]);
    s.run_for(1000);
    s.set_motion(1, Mode::Run, 0.0);
    s.run_for(1000);
    s.set_motion(1, Mode::Still, 0.0);
    s.mount_tank(1, TANK);
    s.set_mover_velocity(TANK, [60.0, 0.0, 0.0]);
    s.run_for(5000);
    s.leave_vehicle(1);
    s.set_motion(1, Mode::Run, 0.0);
    s.run_for(3000);
    s.set_mover_velocity(TANK, [0.0; 3]);
    s.run_for(1000);
    let (s, rf) = finish(s);
    let e = rf
        .escorts
        .iter()
        .find(|e| e.guid == guid(&s, 1))
        .expect("the rider's row");
    assert_eq!(e.vehicle, "tank");
    assert_eq!(e.mounted_ms, 5000);
    assert!(e.proximity_ms > 0, "{e:?}");
    assert!(e.credit < e.escort, "{e:?}");
}
