//! One exact scenario per rule of the tracker, on both sides of each threshold.

use super::check::{self, Eng, RoundFile, Track};
use super::game::verify_game;
use super::objectives::verify_objectives;
use et_server_sim::sim::{EngineVersion, Mode, Server, c};

const AXIS: i64 = c::TEAM_AXIS;
const ALLIES: i64 = c::TEAM_ALLIES;
const V285: EngineVersion = EngineVersion::V2_85;

/// A server past warmup: `players` connected in warmup (slot = index), then the warmup → live
/// `map_restart`. The round clock stands at 600 ms afterwards.
fn live(version: EngineVersion, players: &[(&str, i64, i64)]) -> Server {
    let mut s = Server::new(version, 64, &Server::tracker_path());
    s.load_map("supply");
    for (i, (name, team, class)) in players.iter().enumerate() {
        s.connect(i, name, *team, *class, false);
    }
    s.run_for(2000);
    s.go_live();
    s
}

/// Ends the round, plays the intermission, changes map; returns the one round file, checked
/// against the ground truth.
fn finish(s: Server) -> (Server, RoundFile) {
    let (s, rf) = finish_unverified(s);
    verify_game(&s, &rf);
    verify_objectives(&s, &rf);
    (s, rf)
}

/// [`finish`] without the ground-truth check (for rounds whose truth the tracker cannot know).
fn finish_unverified(mut s: Server) -> (Server, RoundFile) {
    s.end_round();
    s.run_for(2000);
    s.load_map("next");
    s.assert_clean();
    let files = s.round_files();
    assert_eq!(files.len(), 1, "exactly one round file");
    let rf = check::read(&files[0].1).unwrap_or_else(|e| panic!("{e}"));
    check::cross_check(&files[0].1, &rf);
    (s, rf)
}

fn guid(s: &Server, cn: usize) -> String {
    s.world.borrow().clients[cn].guid.trim().to_string()
}

fn only(v: &[Eng]) -> &Eng {
    assert_eq!(v.len(), 1, "exactly one engagement: {v:#?}");
    &v[0]
}

fn only_track<'a>(rf: &'a RoundFile, guid: &str) -> &'a Track {
    let t = rf.tracks_of(guid);
    assert_eq!(t.len(), 1, "exactly one track for {guid}");
    t[0]
}

fn events(t: &Track) -> Vec<&str> {
    let mut ev: Vec<&str> = t.path.iter().map(|s| s.event.as_str()).collect();
    ev.dedup();
    ev
}

fn three() -> Server {
    live(
        V285,
        &[
            ("Target", ALLIES, 0),
            ("Alpha", AXIS, 0),
            ("Bravo", AXIS, 1),
        ],
    )
}

/// Target is hit by Alpha, then `delay` ms later by Bravo, then killed by Alpha.
fn crossfire(delay: i64) -> (Server, RoundFile) {
    let mut s = three();
    s.run_for(1000);
    s.damage(0, 1, 20, c::MOD_MP40);
    s.advance(delay);
    s.damage(0, 2, 20, c::MOD_MP40);
    s.run_for(300);
    s.damage(0, 1, 70, c::MOD_MP40);
    s.run_for(500);
    finish(s)
}

#[test]
fn crossfire_at_999_ms() {
    let (s, rf) = crossfire(999);
    let e = only(&rf.engagements);
    assert_eq!(e.num_attackers, 2);
    assert!(e.is_crossfire);
    assert_eq!(e.crossfire_delay, Some(999));
    assert_eq!(e.participants, vec![guid(&s, 1), guid(&s, 2)]);
    assert_eq!(e.outcome, "killed");
    assert_eq!(e.killer_guid, guid(&s, 1));
    assert_eq!(e.total_damage, 110);
}

#[test]
fn no_crossfire_at_1001_ms() {
    let (_, rf) = crossfire(1001);
    let e = only(&rf.engagements);
    assert_eq!(e.num_attackers, 2);
    assert!(!e.is_crossfire);
    assert_eq!(e.crossfire_delay, None);
    assert!(e.participants.is_empty());
}

/// Target is hit once, then stands `dist` units from the hit; `then` plays the rest.
fn escape(dist: f64, then: impl FnOnce(&mut Server)) -> (Server, RoundFile, i64) {
    let mut s = three();
    s.run_for(1000);
    let t0 = s.round_time();
    s.damage(0, 1, 10, c::MOD_MP40);
    let p = s.world.borrow().clients[0].ps.origin;
    s.place(0, [p[0] + dist, p[1], p[2]]);
    then(&mut s);
    let (s, rf) = finish(s);
    (s, rf, t0)
}

#[test]
fn escape_after_5000_ms_and_300_units() {
    let (_, rf, t0) = escape(300.0, |s| s.run_for(6000));
    let e = only(&rf.engagements);
    assert_eq!(e.outcome, "escaped");
    assert!(
        (t0 + 5000..t0 + 5200).contains(&e.end),
        "end {} t0 {t0}",
        e.end
    );
    assert_eq!(e.positions.last().unwrap().event, "escape");
    assert_eq!(rf.movement_heatmap.iter().map(|c| c[4]).sum::<i64>(), 1);
}

#[test]
fn no_escape_at_4900_ms() {
    let (s, rf, t0) = escape(300.0, |s| {
        s.run_for(4900);
        s.damage(0, 1, 100, c::MOD_MP40);
        s.run_for(1000);
    });
    let e = only(&rf.engagements);
    assert_eq!(e.outcome, "killed");
    assert_eq!(e.end, t0 + 4900);
    assert_eq!(e.killer_guid, guid(&s, 1));
}

#[test]
fn no_escape_at_290_units_times_out() {
    let (_, rf, t0) = escape(290.0, |s| s.run_for(16000));
    let e = only(&rf.engagements);
    assert_eq!(e.outcome, "timeout");
    assert!((t0 + 15000..t0 + 15200).contains(&e.end), "end {}", e.end);
}

#[test]
fn killed_engagement_and_track() {
    let mut s = three();
    s.run_for(1000);
    let t0 = s.round_time();
    s.damage(0, 1, 30, c::MOD_MP40);
    s.run_for(100);
    s.damage(0, 1, 30, c::MOD_MP40);
    s.run_for(100);
    s.damage(0, 1, 45, c::MOD_MP40);
    let tk = s.round_time();
    s.run_for(1000);
    let (s, rf) = finish(s);
    let e = only(&rf.engagements);
    assert_eq!(e.outcome, "killed");
    assert_eq!((e.start, e.end), (t0, tk));
    assert_eq!(e.target_guid, guid(&s, 0));
    assert_eq!(e.target_name, "Target");
    assert_eq!(e.target_team, "ALLIES");
    assert_eq!(e.killer_guid, guid(&s, 1));
    assert_eq!(e.killer_name, "Alpha");
    assert_eq!(e.total_damage, 105);
    let a = &e.attackers[0];
    assert_eq!(
        (a.damage, a.hits, a.first_hit, a.last_hit),
        (105, 3, t0, tk)
    );
    assert!(a.got_kill);
    assert_eq!(a.team, "AXIS");
    assert_eq!(a.weapons, vec![(c::WP_MP40, 3)]);
    assert_eq!(e.positions.first().unwrap().event, "start");
    assert_eq!(e.positions.last().unwrap().event, "death");
    let t = only_track(&rf, &guid(&s, 0));
    assert_eq!((t.death, t.death_type.as_str()), (tk, "killed"));
    assert_eq!(t.path.last().unwrap().event, "killed");
    assert_eq!(
        rf.kill_heatmap
            .iter()
            .map(|c| (c[2], c[3]))
            .collect::<Vec<_>>(),
        vec![(1, 0)]
    );
    let r = &rf.reactions[0];
    assert_eq!((r.id, r.outcome.as_str()), (e.id, "killed"));
}

#[test]
fn timeout_after_15000_ms_without_damage() {
    let mut s = three();
    s.run_for(1000);
    let t0 = s.round_time();
    s.damage(0, 1, 10, c::MOD_MP40);
    s.run_for(14_000);
    s.damage(0, 2, 10, c::MOD_THOMPSON);
    let t1 = s.round_time();
    s.run_for(16_000);
    let (_, rf) = finish(s);
    let e = only(&rf.engagements);
    assert_eq!(e.outcome, "timeout");
    assert_eq!(e.num_attackers, 2);
    assert_eq!(e.start, t0);
    assert!((t1 + 15000..t1 + 15200).contains(&e.end));
}

#[test]
fn round_end_closes_open_engagements() {
    let mut s = three();
    s.run_for(1000);
    s.damage(0, 1, 10, c::MOD_MP40);
    s.run_for(500);
    let (s, rf) = finish(s);
    let e = only(&rf.engagements);
    assert_eq!(e.outcome, "round_end");
    assert_eq!(e.killer_guid, "");
    let t = only_track(&rf, &guid(&s, 0));
    assert_eq!((t.death, t.death_type.as_str()), (0, "round_end"));
    assert_eq!(t.path.last().unwrap().event, "round_end");
}

#[test]
fn disconnect_mid_fight() {
    let mut s = three();
    s.run_for(1000);
    s.damage(0, 1, 10, c::MOD_MP40);
    s.run_for(300);
    let td = s.round_time();
    let g = guid(&s, 0);
    s.disconnect(0);
    s.run_for(1000);
    s.damage(2, 1, 200, c::MOD_MP40); // a team kill after the disconnect, to keep playing
    let (_, rf) = finish(s);
    let e = &rf.engagement_by_target(&g)[0];
    assert_eq!(e.outcome, "disconnect");
    assert_eq!(e.end, td);
    let t = only_track(&rf, &g);
    assert_eq!((t.death, t.death_type.as_str()), (td, "disconnect"));
}

#[test]
fn team_kill_is_a_killed_engagement() {
    let mut s = three();
    s.run_for(1000);
    s.damage(2, 1, 150, c::MOD_GRENADE_PINEAPPLE);
    s.run_for(500);
    let (s, rf) = finish(s);
    let e = only(&rf.engagements);
    assert_eq!(e.outcome, "killed");
    assert_eq!(e.target_guid, guid(&s, 2));
    assert_eq!(e.target_team, "AXIS");
    assert_eq!(e.killer_guid, guid(&s, 1));
    assert_eq!(e.attackers[0].team, "AXIS");
    assert_eq!(e.attackers[0].weapons, vec![(c::WP_GRENADE_PINEAPPLE, 1)]);
    assert_eq!(only_track(&rf, &guid(&s, 2)).death_type, "teamkill");
    assert_eq!(rf.kill_heatmap.iter().map(|c| c[2]).sum::<i64>(), 1);
}

#[test]
fn fall_and_trigger_damage_open_nothing() {
    let mut s = three();
    s.ents_trigger(100);
    s.run_for(1000);
    s.damage(0, c::ENTITYNUM_WORLD, 30, c::MOD_FALLING);
    s.damage(0, 100, 20, c::MOD_TRIGGER_HURT);
    s.run_for(500);
    let tf = s.round_time();
    s.damage(0, c::ENTITYNUM_WORLD, 90, c::MOD_FALLING);
    s.run_for(500);
    let (s, rf) = finish(s);
    assert!(rf.engagements.is_empty(), "{:#?}", rf.engagements);
    let t = only_track(&rf, &guid(&s, 0));
    assert_eq!((t.death, t.death_type.as_str()), (tf, "fallen"));
    assert!(rf.kill_heatmap.is_empty());
}

#[test]
fn slash_kill_is_a_selfkill() {
    let mut s = three();
    s.run_for(1000);
    let tk = s.round_time();
    s.kill_cmd(0);
    s.run_for(500);
    let (s, rf) = finish(s);
    assert!(rf.engagements.is_empty());
    let t = only_track(&rf, &guid(&s, 0));
    assert_eq!((t.death, t.death_type.as_str()), (tk, "selfkill"));
}

#[test]
fn slash_kill_under_fire_ends_the_engagement_without_killer() {
    let mut s = three();
    s.run_for(1000);
    s.damage(0, 1, 30, c::MOD_MP40);
    s.run_for(300);
    s.kill_cmd(0);
    s.run_for(500);
    let (s, rf) = finish(s);
    let e = only(&rf.engagements);
    assert_eq!(e.outcome, "killed");
    assert_eq!(e.killer_guid, "");
    assert!(!e.attackers[0].got_kill);
    assert_eq!(only_track(&rf, &guid(&s, 0)).death_type, "selfkill");
}

#[test]
fn team_switch_ends_the_life_and_the_next_spawn_starts_one() {
    let mut s = three();
    s.run_for(1000);
    let ts = s.round_time();
    s.switch_team(0, AXIS);
    s.run_for(1000);
    assert!(s.world.borrow().clients[0].is_limbo());
    s.respawn_wave(AXIS);
    let tw = s.round_time();
    s.run_for(1000);
    let (s, rf) = finish(s);
    assert!(rf.engagements.is_empty());
    let tracks = rf.tracks_of(&guid(&s, 0));
    assert_eq!(tracks.len(), 2);
    assert_eq!(
        (tracks[0].team.as_str(), tracks[0].death_type.as_str()),
        ("ALLIES", "selfkill")
    );
    assert_eq!(tracks[0].death, ts);
    assert_eq!((tracks[1].team.as_str(), tracks[1].spawn), ("AXIS", tw));
}

#[test]
fn carbine_and_k98_kills_are_ordinary_kills() {
    let mut s = live(
        V285,
        &[
            ("T1", ALLIES, 0),
            ("T2", AXIS, 0),
            ("Eng1", AXIS, 2),
            ("Eng2", ALLIES, 2),
        ],
    );
    s.run_for(1000);
    s.damage(0, 2, 60, c::MOD_KAR98);
    s.damage(0, 2, 60, c::MOD_KAR98);
    s.run_for(200);
    s.damage(1, 3, 110, c::MOD_CARBINE);
    s.run_for(500);
    let (s, rf) = finish(s);
    assert_eq!(rf.engagements.len(), 2);
    for (target, killer, wp, hits) in [(0, 2, c::WP_KAR98, 2), (1, 3, c::WP_CARBINE, 1)] {
        let e = &rf.engagement_by_target(&guid(&s, target))[0];
        assert_eq!(e.outcome, "killed");
        assert_eq!(e.killer_guid, guid(&s, killer));
        assert_eq!(e.attackers[0].weapons, vec![(wp, hits)]);
        assert_eq!(only_track(&rf, &guid(&s, target)).death_type, "killed");
    }
}

#[test]
fn gib_damage_after_death_opens_nothing() {
    let mut s = three();
    s.run_for(1000);
    s.damage(0, 1, 120, c::MOD_MP40);
    s.run_for(400);
    s.damage(0, 2, 60, c::MOD_MP40);
    s.damage(0, 2, 60, c::MOD_MP40);
    s.run_for(200);
    assert!(s.world.borrow().clients[0].is_limbo(), "gibbed");
    s.run_for(500);
    let (_, rf) = finish(s);
    let e = only(&rf.engagements);
    assert_eq!((e.total_damage, e.num_attackers), (120, 1));
}

fn revive_continues_life(version: EngineVersion) {
    let mut s = live(
        version,
        &[
            ("Target", ALLIES, 0),
            ("Alpha", AXIS, 0),
            ("Medic", ALLIES, 1),
        ],
    );
    s.run_for(1000);
    s.damage(0, 1, 120, c::MOD_MP40);
    let tk = s.round_time();
    s.run_for(2000);
    s.revive(0, 2);
    let tr = s.round_time();
    s.set_motion(0, Mode::Run, 0.0);
    s.run_for(2000);
    let (s, rf) = finish(s);
    let t = only_track(&rf, &guid(&s, 0));
    assert_eq!(
        events(t),
        vec![
            "spawn",
            "sample",
            "killed",
            "revived",
            "sample",
            "round_end"
        ]
    );
    assert_eq!((t.death, t.death_type.as_str()), (0, "round_end"));
    let killed = t.path.iter().find(|p| p.event == "killed").unwrap();
    assert_eq!(killed.time, tk);
    let revived = t.path.iter().find(|p| p.event == "revived").unwrap();
    assert!((tr..=tr + 50).contains(&revived.time));
    assert_eq!(revived.health, 60);
    assert_eq!(rf.tracks.len(), 3);
}

#[test]
fn revive_continues_the_life_2_85() {
    revive_continues_life(EngineVersion::V2_85);
}

#[test]
fn revive_continues_the_life_2_83_1_without_et_revive() {
    revive_continues_life(EngineVersion::V2_83_1);
}

#[test]
fn stance_and_sprint_samples() {
    let mut s = three();
    s.run_for(1000);
    let phases = [
        (Mode::Crouch, 1, false),
        (Mode::Prone, 2, false),
        (Mode::Sprint, 0, true),
        (Mode::Run, 0, false),
    ];
    let mut windows = Vec::new();
    for (mode, _, _) in phases {
        s.set_motion(0, mode, 90.0);
        let a = s.round_time();
        s.run_for(1500);
        windows.push((a + 250, s.round_time()));
    }
    let (s, rf) = finish(s);
    let t = only_track(&rf, &guid(&s, 0));
    let spawn = &t.path[0];
    assert_eq!(
        (spawn.event.as_str(), spawn.stance, spawn.sprint),
        ("spawn", 0, false)
    );
    for ((from, to), (mode, stance, sprint)) in windows.into_iter().zip(phases) {
        let samples: Vec<_> = t
            .path
            .iter()
            .filter(|p| p.event == "sample" && (from..=to).contains(&p.time))
            .collect();
        assert!(samples.len() >= 5, "{mode:?}: {} samples", samples.len());
        for p in samples {
            assert_eq!(
                (p.stance, p.sprint),
                (stance, sprint),
                "{mode:?} at {}",
                p.time
            );
            assert!(
                (p.speed - mode.speed()).abs() < 1.0,
                "{mode:?} speed {}",
                p.speed
            );
        }
    }
}

#[test]
fn first_move_after_spawn() {
    let mut s = three();
    s.run_for(2400);
    let start = s.round_time();
    s.set_motion(0, Mode::Run, 0.0);
    s.run_for(2000);
    let (s, rf) = finish(s);
    let t = only_track(&rf, &guid(&s, 0));
    let first = t.first_move.expect("moved");
    assert!(
        (start + 1..=start + 200).contains(&first),
        "{first} vs {start}"
    );
    let moved = t
        .path
        .iter()
        .find(|p| p.event == "sample" && p.speed > 10.0)
        .unwrap();
    assert_eq!(moved.time, first);
    assert_eq!(only_track(&rf, &guid(&s, 1)).first_move, None);
}

#[test]
fn warmup_records_nothing() {
    let mut s = Server::new(V285, 64, &Server::tracker_path());
    s.load_map("supply");
    s.connect(0, "Target", ALLIES, 0, false);
    s.connect(1, "Alpha", AXIS, 0, false);
    s.run_for(1000);
    s.damage(0, 1, 50, c::MOD_MP40);
    s.damage(0, 1, 80, c::MOD_MP40);
    s.run_for(2000);
    // A warmup-only map writes no file.
    s.load_map("supply");
    s.run_for(1000);
    s.damage(0, 1, 50, c::MOD_MP40);
    s.run_for(1000);
    s.go_live();
    s.run_for(3000);
    let (s, rf) = finish(s);
    assert!(rf.engagements.is_empty());
    assert_eq!(rf.tracks.len(), 2);
    assert!(
        rf.tracks
            .iter()
            .all(|t| t.spawn == 500 && t.death_type == "round_end")
    );
    assert_eq!(s.vm_count, 4);
}

#[test]
fn mid_round_map_restart_writes_the_round() {
    let mut s = three();
    s.run_for(1000);
    s.damage(0, 1, 10, c::MOD_MP40);
    s.run_for(200);
    s.map_restart_to_warmup();
    s.run_for(1000);
    s.assert_clean();
    let files = s.round_files();
    assert_eq!(files.len(), 1);
    let rf = check::read(&files[0].1).unwrap();
    let typed = check::cross_check(&files[0].1, &rf);
    assert_eq!(
        typed.engagements[0].outcome,
        proximity::format::Outcome::Shutdown
    );
    assert_eq!(only(&rf.engagements).outcome, "shutdown");
    assert_eq!(rf.tracks.len(), 3);
    assert!(
        rf.tracks
            .iter()
            .all(|t| t.death_type == "shutdown" && t.death == 0)
    );
}

#[test]
fn file_goes_through_tmp_then_rename_and_ends_with_end() {
    let mut s = three();
    s.run_for(1000);
    s.damage(0, 1, 10, c::MOD_MP40);
    s.end_round();
    s.run_for(2000);
    let log = s.world.borrow().fs_log.clone();
    assert_eq!(log.len(), 2, "{log:?}");
    let tmp = log[0]
        .strip_prefix("open ")
        .and_then(|l| l.strip_suffix(" 1"))
        .unwrap()
        .to_string();
    let name = tmp.strip_suffix(".tmp").expect("writes <name>.tmp");
    assert!(name.starts_with("proximity/") && name.ends_with("-supply-round-1_engagements.txt"));
    assert_eq!(log[1], format!("rename {tmp} {name}"));
    let all = s.files_in("proximity");
    assert_eq!(all.len(), 1, "no .tmp left behind");
    assert!(all[0].1.ends_with(b"\n# END\n"));
    // Shutting down afterwards writes nothing more.
    s.load_map("next");
    assert_eq!(s.world.borrow().fs_log.len(), 2);
    s.assert_clean();
}

#[test]
fn names_are_read_when_needed_and_sanitised() {
    let mut s = Server::new(V285, 64, &Server::tracker_path());
    s.load_map("supply");
    s.connect(0, "^1Bad;Na|me,x\tq", ALLIES, 0, false);
    s.connect(1, "^7Bot^2Name", AXIS, 3, true);
    s.run_for(1000);
    s.go_live();
    s.run_for(1000);
    s.damage(0, 1, 150, c::MOD_THOMPSON);
    s.run_for(500);
    let (s, rf) = finish(s);
    let t0 = only_track(&rf, &guid(&s, 0));
    assert_eq!(t0.name, "^1Bad_Na_me_x_q");
    let t1 = only_track(&rf, "OMNIBOT01");
    assert_eq!(
        (t1.name.as_str(), t1.class.as_str()),
        ("^7Bot^2Name", "FIELDOPS")
    );
    let e = only(&rf.engagements);
    assert_eq!(e.target_name, "^1Bad_Na_me_x_q");
    assert_eq!(
        (e.killer_guid.as_str(), e.killer_name.as_str()),
        ("OMNIBOT01", "^7Bot^2Name")
    );
}

#[test]
fn spectators_and_limbo_players_are_never_sampled() {
    let mut s = live(
        V285,
        &[
            ("Runner", ALLIES, 0),
            ("Alpha", AXIS, 0),
            ("Spec", c::TEAM_SPECTATOR, 0),
        ],
    );
    // The spectator mirrors the runner's playerstate.
    s.set_motion(0, Mode::Run, 0.0);
    s.run_for(1000);
    assert_eq!(s.world.borrow().clients[2].follow, Some(0));
    s.damage(1, 0, 150, c::MOD_THOMPSON);
    s.run_for(500);
    s.tap_out(1);
    s.run_for(3000);
    let (s, rf) = finish(s);
    assert!(rf.tracks_of(&guid(&s, 2)).is_empty(), "spectator tracked");
    let t = only_track(&rf, &guid(&s, 1));
    assert_eq!(t.death_type, "killed");
    assert_eq!(t.path.last().unwrap().event, "killed");
    assert_eq!(rf.tracks.len(), 2);
}

#[test]
fn pause_does_not_corrupt_the_clock() {
    let mut s = three();
    s.run_for(1400);
    let before = s.round_time();
    s.pause(10_000);
    assert_eq!(s.round_time(), before);
    s.run_for(1000);
    s.damage(0, 1, 150, c::MOD_MP40);
    let tk = s.round_time();
    s.run_for(200);
    let (s, rf) = finish(s);
    let t = only_track(&rf, &guid(&s, 0));
    assert_eq!(t.death, tk);
    assert_eq!(tk, before + 1000);
    let times: Vec<i64> = t.path.iter().map(|p| p.time).collect();
    assert!(times.windows(2).all(|w| w[1] - w[0] <= 200), "{times:?}");
}

#[test]
fn lua_restart_mid_round_resumes() {
    let mut s = three();
    s.run_for(1000);
    s.damage(0, 1, 30, c::MOD_MP40);
    s.run_for(500);
    s.lua_restart();
    // The reloaded tracker starts from scratch: only what follows is its to record.
    s.truth.weapons.clear();
    s.truth.region_hits.clear();
    s.run_for(1000);
    let tr = s.round_time();
    s.damage(0, 1, 120, c::MOD_MP40);
    s.run_for(500);
    let (s, rf) = finish(s);
    let e = only(&rf.engagements);
    assert_eq!(e.outcome, "killed");
    assert_eq!(e.total_damage, 120);
    let t = only_track(&rf, &guid(&s, 0));
    assert_eq!((t.death, t.death_type.as_str()), (tr, "killed"));
    assert!(t.spawn > 1000);
}

#[test]
fn round_clock_starts_at_zero_when_live_although_level_time_does_not() {
    let mut s = three();
    assert!(s.level_time() > 3_600_000);
    s.run_for(1000);
    let (_, rf) = finish(s);
    assert!(rf.tracks.iter().all(|t| t.spawn == 500));
    assert_eq!(rf.header["map"], "supply");
    assert_eq!(rf.header["round"], "1");
    assert_eq!(rf.header["crossfire_window"], "1000");
    assert_eq!(rf.banner, "PROXIMITY_TRACKER_V4");
    assert!(rf.header["capabilities"].contains("player_tracks:1"));
}

#[test]
fn stopwatch_round_two_is_numbered_from_the_round_start() {
    let mut s = Server::new(V285, 64, &Server::tracker_path());
    s.w().cvars.insert("g_gametype".into(), "3".into());
    s.w().cvars.insert("g_currentRound".into(), "1".into());
    s.load_map("goldrush");
    s.connect(0, "A", AXIS, 0, false);
    s.go_live();
    s.run_for(1000);
    let (_, rf) = finish(s);
    assert_eq!(rf.header["round"], "2");
    assert_eq!(rf.header["map"], "goldrush");
}

#[test]
fn reaction_metrics_return_fire_dodge_and_support() {
    let mut s = live(
        V285,
        &[
            ("Target", ALLIES, 0),
            ("Alpha", AXIS, 0),
            ("Mate", ALLIES, 1),
        ],
    );
    s.run_for(1000);
    let t0 = s.round_time();
    s.damage(0, 1, 10, c::MOD_MP40);
    s.run_for(300);
    s.set_motion(0, Mode::Run, 90.0);
    s.run_for(500);
    s.damage(1, 0, 10, c::MOD_THOMPSON); // return fire at t0 + 800
    s.run_for(400);
    s.damage(1, 2, 10, c::MOD_THOMPSON); // support at t0 + 1200
    s.run_for(200);
    let (s, rf) = finish(s);
    let e = &rf.engagement_by_target(&guid(&s, 0))[0];
    let r = rf.reactions.iter().find(|r| r.id == e.id).unwrap();
    assert_eq!(r.return_fire, Some(800));
    assert_eq!(r.support, Some(1200));
    let d = r.dodge.expect("dodged");
    assert!((300..=550).contains(&d), "dodge {d}");
    assert_eq!(r.start, t0);
}

#[test]
fn tracker_defines_only_et_callbacks() {
    let mut s = three();
    s.run_for(500);
    let globals = s.new_globals();
    assert!(!globals.is_empty());
    assert!(globals.iter().all(|g| g.starts_with("et_")), "{globals:?}");
    assert_eq!(s.world.borrow().modname.as_deref(), Some("proximity"));
    assert!(
        s.world
            .borrow()
            .prints
            .iter()
            .any(|p| p.starts_with("[proximity] "))
    );
}

// ------------------------------------------------------------------------------------------
// Medics, gunfights and spawn timing (each scenario is also checked row by row against the
// ground truth in `finish`).

fn guid_of(s: &Server, cn: usize) -> String {
    guid(s, cn)
}

/// On 2.83.1 (no `et_Revive`) the medic is still the engine's record, not the nearest medic:
/// from the `Medic_Revive:` line on a dedicated server, from `pers.lastrevive_client` otherwise.
fn revive_on_2_83_1(dedicated: bool) {
    let mut s = live(
        EngineVersion::V2_83_1,
        &[
            ("Target", ALLIES, 0),
            ("Alpha", AXIS, 0),
            ("Medic", ALLIES, 1),
            ("Nearby", ALLIES, 1),
        ],
    );
    if !dedicated {
        s.w().cvars.insert("dedicated".into(), "0".into());
    }
    s.run_for(1000);
    let p = s.world.borrow().clients[0].ps.origin;
    s.place(3, [p[0] + 20.0, p[1], p[2]]);
    s.place(2, [p[0] + 900.0, p[1] + 400.0, p[2]]);
    s.damage(0, 1, 120, c::MOD_MP40);
    s.run_for(4000);
    s.revive(0, 2);
    s.run_for(1000);
    let (s, rf) = finish(s);
    assert_eq!(rf.revives.len(), 1);
    let r = &rf.revives[0];
    assert_eq!(r.medic_guid, guid_of(&s, 2));
    assert_ne!(
        r.medic_guid,
        guid_of(&s, 3),
        "the nearest medic is not the reviver"
    );
    assert_eq!(r.medic_name, "Medic");
    assert!(!r.under_fire, "the kill was 4 s before the revive");
    let o: Vec<_> = rf
        .outcomes
        .iter()
        .filter(|o| o.outcome == "revived")
        .collect();
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].reviver_guid, guid_of(&s, 2));
    assert_eq!(s.truth.revives[0].medic_guid, guid_of(&s, 2));
}

#[test]
fn revive_on_2_83_1_names_the_medic_from_the_log_line() {
    revive_on_2_83_1(true);
}

#[test]
fn revive_on_2_83_1_without_log_line_names_the_medic_from_lastrevive_client() {
    revive_on_2_83_1(false);
}

#[test]
fn warmup_shots_hits_and_kills_are_not_counted() {
    let mut s = Server::new(V285, 64, &Server::tracker_path());
    s.load_map("supply");
    s.connect(0, "Target", ALLIES, 0, false);
    s.connect(1, "Alpha", AXIS, 0, false);
    s.run_for(1000);
    let mut fired = 0;
    for _ in 0..6 {
        s.weapon_fire(1);
        fired += 1;
        s.damage_region(0, 1, 50, c::MOD_MP40, c::HR_HEAD);
        s.run_for(150);
    }
    assert!(s.world.borrow().clients[1].hit_regions[c::HR_HEAD] > 0);
    s.run_for(1000);
    s.go_live();
    s.run_for(1000);
    for i in 0..5 {
        s.weapon_fire(1);
        fired += 1;
        if i % 2 == 0 {
            let region = if i == 0 { c::HR_HEAD } else { c::HR_LEGS };
            s.damage_region(0, 1, 20, c::MOD_MP40, region);
        }
        s.run_for(150);
    }
    s.run_for(500);
    let (s, rf) = finish(s);
    let alpha = guid_of(&s, 1);
    let truth = &s.truth.weapons[&(alpha.clone(), c::WP_MP40)];
    assert!(truth.shots < fired, "warmup shots were fired");
    let row = rf
        .accuracy
        .iter()
        .find(|a| a.guid == alpha && a.weapon == c::WP_MP40)
        .expect("Alpha's MP40 row");
    assert_eq!(
        (row.shots, row.hits, row.kills, row.headshots),
        (truth.shots, truth.hits, truth.kills, truth.headshots)
    );
    assert_eq!(rf.regions.len(), s.truth.region_hits.len());
    assert!(
        rf.outcomes.is_empty() && rf.timing.is_empty(),
        "no live kill"
    );
}

#[test]
fn revived_players_second_death_has_its_own_outcome() {
    let mut s = live(
        V285,
        &[
            ("Target", ALLIES, 0),
            ("Alpha", AXIS, 0),
            ("Bravo", AXIS, 0),
            ("Medic", ALLIES, 1),
        ],
    );
    s.run_for(1000);
    s.damage(0, 1, 120, c::MOD_MP40);
    s.run_for(2000);
    s.revive(0, 3);
    s.run_for(3000);
    s.damage(0, 2, 80, c::MOD_MP40);
    s.run_for(1500);
    s.tap_out(0);
    s.run_for(25_000);
    let (s, rf) = finish(s);
    let target = guid_of(&s, 0);
    let mut rows: Vec<_> = rf
        .outcomes
        .iter()
        .filter(|o| o.victim_guid == target)
        .collect();
    rows.sort_by_key(|o| o.kill_time);
    let truth: Vec<_> = s
        .truth
        .kills
        .iter()
        .filter(|k| k.victim_guid == target)
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows.len(), truth.len());
    assert_eq!(
        (rows[0].outcome.as_str(), rows[0].killer_guid.as_str()),
        ("revived", guid_of(&s, 1).as_str())
    );
    assert_eq!(rows[0].reviver_guid, guid_of(&s, 3));
    assert_eq!(rows[0].effective_denied_ms, rows[0].delta_ms);
    assert_eq!(
        (rows[1].outcome.as_str(), rows[1].killer_guid.as_str()),
        ("tapped_out", guid_of(&s, 2).as_str())
    );
    // Tapped out: denied until the next wave brought the player back.
    let respawn = rf
        .tracks_of(&target)
        .iter()
        .map(|t| t.spawn)
        .filter(|&t| t > rows[1].kill_time)
        .min()
        .expect("respawned with the wave");
    assert_eq!(rows[1].effective_denied_ms, respawn - rows[1].kill_time);
}

#[test]
fn gib_of_a_downed_player_by_another_enemy_names_the_gibber() {
    let mut s = three();
    s.run_for(1000);
    s.damage(0, 1, 110, c::MOD_MP40);
    let tk = s.round_time();
    s.run_for(700);
    s.damage(0, 2, 60, c::MOD_THOMPSON);
    assert!(!s.world.borrow().clients[0].is_limbo(), "-70: still down");
    s.run_for(300);
    s.damage(0, 2, 60, c::MOD_THOMPSON);
    let tg = s.round_time();
    assert!(s.world.borrow().clients[0].is_limbo(), "-130: gibbed");
    s.run_for(25_000);
    let (s, rf) = finish(s);
    assert_eq!(rf.outcomes.len(), 1);
    let o = &rf.outcomes[0];
    assert_eq!(
        (o.outcome.as_str(), o.kill_time, o.outcome_time),
        ("gibbed", tk, tg)
    );
    assert_eq!(o.killer_guid, guid_of(&s, 1));
    assert_eq!(o.gibber_guid, guid_of(&s, 2));
    assert!(o.reviver_guid.is_empty());
    // Body shots are no hits on a living enemy.
    let bravo = rf.accuracy.iter().find(|a| a.guid == guid_of(&s, 2));
    assert!(bravo.is_none(), "{bravo:?}");
    // The wave that brought the victim back is the one SPAWN_TIMING announced.
    let t = &rf.timing[0];
    let next = t.time_to_next.expect("known interval");
    let respawn = rf
        .tracks_of(&guid_of(&s, 0))
        .iter()
        .map(|t| t.spawn)
        .filter(|&t| t > tk)
        .min()
        .expect("respawned");
    assert!(
        (tk + next..tk + next + s.frame_msec()).contains(&respawn),
        "respawn {respawn}, kill {tk} + {next}"
    );
    assert_eq!(o.effective_denied_ms, respawn - tk);
}

#[test]
fn unknown_limbo_time_leaves_the_wave_fields_empty() {
    let mut s = three();
    s.w().cvars.insert("g_bluelimbotime".into(), "".into());
    s.run_for(1000);
    s.damage(0, 1, 120, c::MOD_MP40);
    s.run_for(500);
    s.w().cvars.insert("g_bluelimbotime".into(), "20000".into());
    let (_, rf) = finish_unverified(s);
    let t = &rf.timing[0];
    assert_eq!((t.interval, t.time_to_next, t.score), (None, None, None));
    assert_eq!(t.victim_reinf, None);
    assert!(t.killer_reinf.is_some(), "the axis interval is known");
}
