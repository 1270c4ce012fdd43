//! Parser and writer tests: every section, every vocabulary word, the edges of the layout, and
//! the round trip `parse(write(r)) == r` as a property.

use super::*;
use proptest::prelude::*;

const SAMPLE: &str = "\
# PROXIMITY_TRACKER_V4
# map=supply
# round=2
# crossfire_window=1000
# escape_time=5000
# escape_distance=300
# position_sample_interval=200
# round_start_unix=1768070000
# round_end_unix=1768070720
# tracker_version_full=4.2.0
# capabilities=engagements:1,tracks:1,objective_focus:0
# server=^1Fun ^7Server

# ENGAGEMENTS
# id;start_time;end_time;duration;target_guid;target_name;target_team;outcome;total_damage;killer_guid;killer_name;num_attackers;is_crossfire;crossfire_delay;crossfire_participants;start_x;start_y;start_z;end_x;end_y;end_z;distance_traveled;positions;attackers
1;1000;2300;1300;AAAA;^1Vic^7tim;AXIS;killed;140;BBBB;Killer;2;1;800;BBBB,CCCC;100.0;200.0;30.0;110.5;-220.0;30.0;25.3;1000,100.0,200.0,30.0,start|1200,101.0,201.0,30.0,hit|2300,110.5,-220.0,30.0,death;BBBB,Killer,ALLIES,90,3,1000,2300,1,8:2;7:1;|CCCC,Helper,ALLIES,50,2,1800,2000,0,10:2;
2;5000;11000;6000;CCCC;Helper;ALLIES;escaped;20;;;1;0;;;0.0;0.0;0.0;400.0;0.0;0.0;400.0;;AAAA,^1Vic^7tim,AXIS,20,1,5000,5000,0,3:1;

# PLAYER_TRACKS
# guid;name;team;class;spawn_time;death_time;first_move_time;death_type;samples;path
AAAA;^1Vic^7tim;AXIS;MEDIC;0;2300;400;killed;3;0,100.0,200.0,30.0,140,0.0,3,0,0,spawn|400,105.0,200.0,30.0,140,256.0,3,1,0,sample|2300,110.5,-220.0,30.0,-10,0.0,3,2,1,killed
BBBB;Killer;ALLIES;SOLDIER;0;0;;round_end;1;720000,0.0,0.0,0.0,100,0.0,8,0,0,round_end

# KILL_HEATMAP
# grid_x;grid_y;axis_kills;allies_kills
0;-1;0;1

# MOVEMENT_HEATMAP
# grid_x;grid_y;traversal;combat;escape
0;0;12;3;1

# OBJECTIVE_FOCUS
# guid;name;team;objective;avg_distance;time_within_radius_ms;samples
BBBB;Killer;ALLIES;Depot Gate;512.5;4000;20

# REACTION_METRICS
# engagement_id;target_guid;target_name;target_team;target_class;outcome;num_attackers;return_fire_ms;dodge_reaction_ms;support_reaction_ms;start_time;end_time;duration
1;AAAA;^1Vic^7tim;AXIS;MEDIC;killed;2;250;;900;1000;2300;1300

# END
";

fn err(text: &str) -> ParseError {
    parse(text.as_bytes()).expect_err("the file must be rejected")
}

/// SAMPLE with one line replaced.
fn sample_with(find: &str, replace: &str) -> String {
    assert!(SAMPLE.contains(find), "{find}");
    SAMPLE.replacen(find, replace, 1)
}

#[test]
fn parses_every_section_of_the_sample() {
    let r = parse(SAMPLE.as_bytes()).unwrap();
    let h = &r.header;
    assert_eq!(h.banner, Banner::V4);
    assert_eq!((h.map.as_str(), h.round), ("supply", 2));
    assert_eq!(
        (h.crossfire_window_ms, h.escape_time_ms, h.escape_distance),
        (1000, 5000, 300.0)
    );
    assert_eq!(h.position_sample_interval_ms, 200);
    assert_eq!(
        (h.round_start_unix, h.round_end_unix),
        (1768070000, 1768070720)
    );
    assert_eq!(h.tracker_version_full.as_deref(), Some("4.2.0"));
    assert_eq!(
        h.capabilities,
        vec![
            ("engagements".to_string(), true),
            ("tracks".to_string(), true),
            ("objective_focus".to_string(), false)
        ]
    );
    assert_eq!(
        h.extra,
        vec![("server".to_string(), "^1Fun ^7Server".to_string())]
    );

    assert_eq!(r.engagements.len(), 2);
    let e = &r.engagements[0];
    assert_eq!(
        (e.id, e.start_time, e.end_time, e.duration),
        (1, 1000, 2300, 1300)
    );
    assert_eq!(e.target_guid, "AAAA");
    assert_eq!(e.target_name.display(), "Victim");
    assert_eq!(e.target_name.as_bytes(), b"^1Vic^7tim");
    assert_eq!((e.target_team, e.outcome), (Team::Axis, Outcome::Killed));
    assert_eq!(e.killer_guid.as_deref(), Some("BBBB"));
    assert_eq!(e.killer_name, Some(Name::from("Killer")));
    assert_eq!(
        (e.num_attackers, e.is_crossfire, e.crossfire_delay),
        (2, true, Some(800))
    );
    assert_eq!(e.crossfire_participants, vec!["BBBB", "CCCC"]);
    assert_eq!(e.start, Vec3::new(100.0, 200.0, 30.0));
    assert_eq!(e.end, Vec3::new(110.5, -220.0, 30.0));
    assert_eq!(e.distance_traveled, 25.3);
    assert_eq!(
        e.positions
            .iter()
            .map(|p| (p.time, p.event))
            .collect::<Vec<_>>(),
        vec![
            (1000, PositionEvent::Start),
            (1200, PositionEvent::Hit),
            (2300, PositionEvent::Death)
        ]
    );
    assert_eq!(e.attackers.len(), 2);
    let a = &e.attackers[0];
    assert_eq!(
        (
            a.guid.as_str(),
            a.team,
            a.damage,
            a.hits,
            a.first_hit,
            a.last_hit,
            a.got_kill
        ),
        ("BBBB", Team::Allies, 90, 3, 1000, 2300, true)
    );
    assert_eq!(a.weapons, vec![(8, 2), (7, 1)], "the `;` inside weapons");
    assert_eq!(e.attackers[1].weapons, vec![(10, 2)]);

    let e2 = &r.engagements[1];
    assert_eq!(e2.outcome, Outcome::Escaped);
    assert_eq!(
        (e2.killer_guid.clone(), e2.killer_name.clone()),
        (None, None)
    );
    assert_eq!(
        (e2.crossfire_delay, e2.crossfire_participants.len()),
        (None, 0)
    );
    assert!(e2.positions.is_empty());

    assert_eq!(r.tracks.len(), 2);
    let t = &r.tracks[0];
    assert_eq!(
        (t.class, t.spawn_time, t.death_time),
        (PlayerClass::Medic, 0, Some(2300))
    );
    assert_eq!(
        (t.first_move_time, t.death_type, t.samples),
        (Some(400), DeathType::Killed, 3)
    );
    assert_eq!(t.path.len(), 3);
    assert_eq!(t.path[1].stance, Stance::Crouched);
    assert_eq!(t.path[2].stance, Stance::Prone);
    assert!(t.path[2].sprint);
    assert_eq!(t.path[2].health, -10);
    assert_eq!(t.path[2].event, PathEvent::End(DeathType::Killed));
    let alive = &r.tracks[1];
    assert_eq!((alive.death_time, alive.first_move_time), (None, None));
    assert_eq!(alive.path[0].event, PathEvent::End(DeathType::RoundEnd));

    assert_eq!(
        r.kill_heatmap,
        vec![KillCell {
            grid_x: 0,
            grid_y: -1,
            axis_kills: 0,
            allies_kills: 1
        }]
    );
    assert_eq!(
        r.movement_heatmap,
        vec![MovementCell {
            grid_x: 0,
            grid_y: 0,
            traversal: 12,
            combat: 3,
            escape: 1
        }]
    );
    let o = &r.objective_focus.as_ref().unwrap()[0];
    assert_eq!(o.objective, Name::from("Depot Gate"));
    assert_eq!(
        (o.avg_distance, o.time_within_radius_ms, o.samples),
        (512.5, 4000, 20)
    );
    let m = &r.reactions.as_ref().unwrap()[0];
    assert_eq!(
        (m.return_fire_ms, m.dodge_reaction_ms, m.support_reaction_ms),
        (Some(250), None, Some(900))
    );
    assert_eq!(m.target_class, PlayerClass::Medic);
    assert!(r.skipped.is_empty());
    assert!(r.has_end_marker);
}

#[test]
fn crlf_line_ends_parse_the_same() {
    let crlf = SAMPLE.replace('\n', "\r\n");
    assert_eq!(
        parse(crlf.as_bytes()).unwrap(),
        parse(SAMPLE.as_bytes()).unwrap()
    );
}

#[test]
fn optional_sections_absent_are_none() {
    let text =
        "# PROXIMITY_TRACKER_V5\n# map=goldrush\n# round=1\n\n# ENGAGEMENTS\n# cols\n# END\n";
    let r = parse(text.as_bytes()).unwrap();
    assert_eq!(r.header.banner, Banner::V5);
    assert_eq!(
        (r.objective_focus.clone(), r.reactions.clone()),
        (None, None)
    );
    assert!(r.engagements.is_empty() && r.tracks.is_empty());
    // Parameters absent from the header take the documented defaults.
    assert_eq!(r.header.crossfire_window_ms, 1000);
    assert_eq!(r.header.round_start_unix, 0);
}

#[test]
fn every_vocabulary_word_parses() {
    for outcome in Outcome::ALL {
        let text = sample_with(";escaped;", &format!(";{outcome};"));
        let r = parse(text.as_bytes()).unwrap();
        assert_eq!(r.engagements[1].outcome, *outcome);
    }
    for death in DeathType::ALL {
        let text = sample_with(";0;;round_end;1;", &format!(";0;;{death};1;"));
        assert_eq!(parse(text.as_bytes()).unwrap().tracks[1].death_type, *death);
        let text = sample_with(",8,0,0,round_end", &format!(",8,0,0,{death}"));
        assert_eq!(
            parse(text.as_bytes()).unwrap().tracks[1].path[0].event,
            PathEvent::End(*death)
        );
    }
    for event in ["spawn", "sample", "revived"] {
        let text = sample_with(",8,0,0,round_end", &format!(",8,0,0,{event}"));
        let parsed = parse(text.as_bytes()).unwrap().tracks[1].path[0].event;
        assert_eq!(parsed.as_str(), event);
    }
    for event in PositionEvent::ALL {
        let text = sample_with(
            "1200,101.0,201.0,30.0,hit",
            &format!("1200,101.0,201.0,30.0,{event}"),
        );
        assert_eq!(
            parse(text.as_bytes()).unwrap().engagements[0].positions[1].event,
            *event
        );
    }
    for class in PlayerClass::ALL {
        let text = sample_with("AXIS;MEDIC;0;2300", &format!("AXIS;{class};0;2300"));
        assert_eq!(parse(text.as_bytes()).unwrap().tracks[0].class, *class);
    }
    for team in Team::ALL {
        let text = sample_with("Killer;ALLIES;SOLDIER", &format!("Killer;{team};SOLDIER"));
        assert_eq!(parse(text.as_bytes()).unwrap().tracks[1].team, *team);
    }
    for banner in ["V4", "V5", "V6"] {
        let text = SAMPLE.replacen("TRACKER_V4", &format!("TRACKER_{banner}"), 1);
        assert_eq!(
            parse(text.as_bytes()).unwrap().header.banner.as_str(),
            format!("PROXIMITY_TRACKER_{banner}")
        );
    }
}

#[test]
fn unknown_words_are_named() {
    let e = err(&sample_with(";escaped;", ";vanished;"));
    assert_eq!(
        (e.line, e.section.as_deref(), e.field.as_deref()),
        (17, Some("ENGAGEMENTS"), Some("outcome"))
    );
    assert!(
        e.to_string().contains("`vanished` is not a known outcome"),
        "{e}"
    );
    let e = err(&sample_with("AXIS;MEDIC;0;2300", "AXIS;PILOT;0;2300"));
    assert_eq!(e.field.as_deref(), Some("class"));
    let e = err(&sample_with(
        "Killer;ALLIES;SOLDIER",
        "Killer;SPECTATOR;SOLDIER",
    ));
    assert_eq!(e.field.as_deref(), Some("team"));
    let e = err(&sample_with(",8,0,0,round_end", ",8,0,0,teleported"));
    assert_eq!(e.field.as_deref(), Some("path[0].event"));
    let e = err(&sample_with(",8,0,0,round_end", ",8,3,0,round_end"));
    assert_eq!(e.field.as_deref(), Some("path[0].stance"));
}

#[test]
fn non_utf8_and_colour_coded_names_are_kept_as_bytes() {
    let mut bytes = SAMPLE.as_bytes().to_vec();
    let needle = b"BBBB;Killer;ALLIES;SOLDIER";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    bytes.splice(at + 5..at + 11, b"^3K\xe9ller\xff".iter().copied());
    let r = parse(&bytes).unwrap();
    assert_eq!(r.tracks[1].name.as_bytes(), b"^3K\xe9ller\xff");
    assert_eq!(r.tracks[1].name.display(), "K\u{fffd}ller\u{fffd}");
}

#[test]
fn v6_file_with_twenty_unknown_sections_is_accepted_and_reports_them() {
    let mut text = SAMPLE.replacen("TRACKER_V4", "TRACKER_V6", 1);
    let mut extra = String::new();
    for i in 0..20 {
        extra.push_str(&format!("\n# EXTRA_SECTION_{i}\n# a;b;c\n"));
        for row in 0..i {
            extra.push_str(&format!("{row};x;y\n"));
        }
    }
    text = text.replacen("\n# END\n", &format!("{extra}\n# END\n"), 1);
    let r = parse(text.as_bytes()).unwrap();
    assert_eq!(r.skipped.len(), 20);
    for (i, s) in r.skipped.iter().enumerate() {
        assert_eq!((s.name.clone(), s.rows), (format!("EXTRA_SECTION_{i}"), i));
    }
    assert_eq!(r.engagements.len(), 2);
}

#[test]
fn a_file_without_end_is_incomplete_unless_the_caller_says_otherwise() {
    let text = SAMPLE.replacen("\n# END\n", "\n", 1);
    let e = err(&text);
    assert_eq!(e.line, 0);
    assert!(e.message.contains("no `# END`"), "{e}");
    let r = parse_with(
        text.as_bytes(),
        ParseOptions {
            assume_complete: true,
        },
    )
    .unwrap();
    assert!(!r.has_end_marker);
    assert_eq!(r.engagements.len(), 2);
}

#[test]
fn a_file_cut_mid_line_is_rejected_even_when_complete_is_assumed() {
    let cut = &SAMPLE[..SAMPLE.find("BBBB;Killer;ALLIES;SOLDIER").unwrap() + 10];
    let e = parse_with(
        cut.as_bytes(),
        ParseOptions {
            assume_complete: true,
        },
    )
    .unwrap_err();
    assert!(e.message.contains("ends in the middle of a line"), "{e}");
    assert_eq!(e.line, 22);
}

#[test]
fn content_after_end_is_rejected() {
    let e = err(&format!("{SAMPLE}1;2;3\n"));
    assert!(e.message.contains("after the `# END`"), "{e}");
}

#[test]
fn wrong_field_counts_name_the_section() {
    let e = err(&sample_with("0;-1;0;1", "0;-1;0"));
    assert_eq!((e.section.as_deref(), e.line), (Some("KILL_HEATMAP"), 26));
    assert!(
        e.message.contains("4 `;`-separated fields, this one has 3"),
        "{e}"
    );
    let e = err(&sample_with("0;0;12;3;1", "0;0;12;3;1;9"));
    assert!(e.message.contains("has 6"), "{e}");
    let e = err(&sample_with("2;5000;11000;6000;CCCC", "2;5000"));
    assert_eq!(e.section.as_deref(), Some("ENGAGEMENTS"));
    let e = err(&sample_with(
        "1000,100.0,200.0,30.0,start|",
        "1000,100.0,200.0,start|",
    ));
    assert_eq!(e.field.as_deref(), Some("positions[0]"));
    let e = err(&sample_with("10:2;", "10:2;|DDDD,x,AXIS"));
    assert_eq!(e.field.as_deref(), Some("attackers[2]"));
    let e = err(&sample_with("8:2;7:1;", "8:2;7;"));
    assert_eq!(e.field.as_deref(), Some("attackers[0].weapons[1]"));
}

#[test]
fn bad_numbers_are_clear_errors() {
    let cases = [
        (
            sample_with("100.0;200.0;30.0;110.5", "NaN;200.0;30.0;110.5"),
            "start_x",
            "not a finite number",
        ),
        (
            sample_with("100.0;200.0;30.0;110.5", "1e30;200.0;30.0;110.5"),
            "start_x",
            "out of range",
        ),
        (
            sample_with("2;5000;11000", "2;-5000;11000"),
            "start_time",
            "negative time",
        ),
        (
            sample_with("AXIS;MEDIC;0;2300", "AXIS;MEDIC;-1;2300"),
            "spawn_time",
            "negative time",
        ),
        (
            sample_with("720000,0.0,0.0,0.0,100", "-5,0.0,0.0,0.0,100"),
            "path[0].time",
            "negative time",
        ),
        (
            sample_with("720000,0.0,0.0,0.0,100", "720000,inf,0.0,0.0,100"),
            "path[0].x",
            "not a finite number",
        ),
        (
            sample_with("720000,0.0,0.0,0.0,100", "720000,1e30,0.0,0.0,100"),
            "path[0].x",
            "out of range",
        ),
        (
            sample_with(";140;BBBB;", ";abc;BBBB;"),
            "total_damage",
            "not a whole number",
        ),
        (
            sample_with(";2;1;800;", ";2;7;800;"),
            "is_crossfire",
            "not 0 or 1",
        ),
        (
            sample_with(
                "1;1000;2300;1300;AAAA",
                "1;1000;2300;99999999999999999999;AAAA",
            ),
            "duration",
            "out of range",
        ),
        (
            sample_with("AAAA;^1Vic^7tim;AXIS;MEDIC", ";^1Vic^7tim;AXIS;MEDIC"),
            "guid",
            "is empty",
        ),
        (
            sample_with("# round=2", "# round=zwei"),
            "round",
            "invalid round",
        ),
        (
            sample_with("# crossfire_window=1000", "# crossfire_window=-3"),
            "crossfire_window",
            "not a whole number",
        ),
    ];
    for (text, field, message) in cases {
        let e = err(&text);
        assert_eq!(e.field.as_deref(), Some(field), "{e}");
        assert!(e.message.contains(message), "{e}");
        assert!(e.to_string().starts_with("line "), "{e}");
    }
}

#[test]
fn a_ten_megabyte_line_is_refused() {
    let long = "x".repeat(10 * 1024 * 1024);
    let text = sample_with("0;-1;0;1", &long);
    let e = err(&text);
    assert_eq!(e.line, 26);
    assert!(e.message.contains("more than the"), "{e}");
}

#[test]
fn not_a_round_file() {
    assert!(err("").message.contains("empty"));
    assert!(err("hello\n").message.contains("banner"));
    assert!(err("# SOMETHING_ELSE\n").message.contains("banner"));
    let e = err("# PROXIMITY_TRACKER_V4\n# round=1\n\n# ENGAGEMENTS\n# END\n");
    assert_eq!(e.field.as_deref(), Some("map"));
    let e = err("# PROXIMITY_TRACKER_V4\n# map=x\n# round=1\n1;2;3\n# END\n");
    assert!(e.message.contains("outside of any section"), "{e}");
    let e =
        err("# PROXIMITY_TRACKER_V4\n# map=x\n# round=1\n# KILL_HEATMAP\n# KILL_HEATMAP\n# END\n");
    assert!(e.message.contains("appears twice"), "{e}");
}

#[test]
fn garbage_never_panics() {
    // Every prefix of the sample (cut anywhere) and a few byte flips: errors, never panics.
    let bytes = SAMPLE.as_bytes();
    for cut in 0..bytes.len() {
        let _ = parse_with(
            &bytes[..cut],
            ParseOptions {
                assume_complete: true,
            },
        );
    }
    for i in (0..bytes.len()).step_by(7) {
        for b in [b';', b'|', b',', b'\n', b'-', b'.', 0xff, b'#'] {
            let mut v = bytes.to_vec();
            v[i] = b;
            let _ = parse(&v);
        }
    }
}

#[test]
fn writer_output_of_the_sample_parses_to_the_same_round() {
    let r = parse(SAMPLE.as_bytes()).unwrap();
    let text = write(&r);
    assert_eq!(parse(&text).unwrap(), r);
    assert!(text.ends_with(b"\n# END\n"));
}

#[test]
fn writer_sanitises_names() {
    let mut r = parse(SAMPLE.as_bytes()).unwrap();
    r.tracks[1].name = Name::new(b"a;b|c,d\te\nf".to_vec());
    let back = parse(&write(&r)).unwrap();
    assert_eq!(back.tracks[1].name.as_bytes(), b"a_b_c_d_ef");
}

// ---------------------------------------------------------------------------------------------
// Property: parse(write(r)) == r

fn tenths(range: std::ops::Range<i32>) -> impl Strategy<Value = f64> {
    range.prop_map(|t| f64::from(t) / 10.0)
}

fn vec3_strategy() -> impl Strategy<Value = Vec3> {
    (
        tenths(-655_360..655_360),
        tenths(-655_360..655_360),
        tenths(-50_000..50_000),
    )
        .prop_map(|(x, y, z)| Vec3::new(x, y, z))
}

fn name_strategy() -> impl Strategy<Value = Name> {
    // Any bytes but the separators the writer replaces; colour codes and non-UTF-8 included.
    proptest::collection::vec(
        any::<u8>().prop_filter("separator", |b| !b";|,\t\n\r".contains(b)),
        0..24,
    )
    .prop_map(Name)
}

fn guid_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9A-F]{32}",
        "OMNIBOT[0-9]{2}".prop_map(|s| s),
        "SLOT[0-9]{1,2}",
    ]
}

fn time_strategy() -> impl Strategy<Value = i64> {
    0i64..3_600_000
}

/// `(start, end, duration)` of something that happened: the end no earlier than the start, the
/// duration the time between, give or take a server frame.
fn interval_strategy() -> impl Strategy<Value = (i64, i64, i64)> {
    (time_strategy(), 0i64..600_000, -50i64..=50)
        .prop_map(|(start, length, off)| (start, start + length, (length + off).max(0)))
}

fn opt_time_strategy() -> impl Strategy<Value = Option<i64>> {
    proptest::option::of(time_strategy())
}

fn attacker_strategy() -> impl Strategy<Value = Attacker> {
    (
        guid_strategy(),
        name_strategy(),
        proptest::sample::select(Team::ALL),
        (
            0i64..5000,
            0i64..100,
            time_strategy(),
            time_strategy(),
            any::<bool>(),
        ),
        proptest::collection::vec((0i64..60, 0i64..50), 0..4),
    )
        .prop_map(
            |(guid, name, team, (damage, hits, first_hit, last_hit, got_kill), weapons)| Attacker {
                guid,
                name,
                team,
                damage,
                hits,
                first_hit,
                last_hit,
                got_kill,
                weapons,
            },
        )
}

fn engagement_strategy() -> impl Strategy<Value = Engagement> {
    (
        (0i64..100_000, interval_strategy()),
        (
            guid_strategy(),
            name_strategy(),
            proptest::sample::select(Team::ALL),
            proptest::sample::select(Outcome::ALL),
        ),
        (
            0i64..10_000,
            proptest::option::of(guid_strategy()),
            proptest::option::of(name_strategy().prop_filter("empty", |n| !n.0.is_empty())),
        ),
        (
            0i64..10,
            any::<bool>(),
            opt_time_strategy(),
            proptest::collection::vec(guid_strategy(), 0..3),
        ),
        (vec3_strategy(), vec3_strategy(), tenths(0..1_000_000)),
        proptest::collection::vec(
            (
                time_strategy(),
                vec3_strategy(),
                proptest::sample::select(PositionEvent::ALL),
            )
                .prop_map(|(time, pos, event)| EngagementPoint { time, pos, event }),
            0..6,
        ),
        proptest::collection::vec(attacker_strategy(), 0..4),
    )
        .prop_map(
            |(
                (id, (start_time, end_time, duration)),
                (target_guid, target_name, target_team, outcome),
                (total_damage, killer_guid, killer_name),
                (num_attackers, is_crossfire, crossfire_delay, crossfire_participants),
                (start, end, distance_traveled),
                positions,
                attackers,
            )| Engagement {
                id,
                start_time,
                end_time,
                duration,
                target_guid,
                target_name,
                target_team,
                outcome,
                total_damage,
                killer_guid,
                killer_name,
                num_attackers,
                is_crossfire,
                crossfire_delay,
                crossfire_participants,
                start,
                end,
                distance_traveled,
                positions,
                attackers,
            },
        )
}

fn path_event_strategy() -> impl Strategy<Value = PathEvent> {
    prop_oneof![
        Just(PathEvent::Spawn),
        Just(PathEvent::Sample),
        Just(PathEvent::Revived),
        proptest::sample::select(DeathType::ALL).prop_map(PathEvent::End),
    ]
}

fn track_strategy() -> impl Strategy<Value = PlayerTrack> {
    (
        (
            guid_strategy(),
            name_strategy(),
            proptest::sample::select(Team::ALL),
            proptest::sample::select(PlayerClass::ALL),
        ),
        (
            time_strategy(),
            proptest::option::of(1i64..3_600_000),
            opt_time_strategy(),
        )
            // A life ends no earlier than it starts.
            .prop_map(|(spawn, death, first_move)| (spawn, death.map(|d| spawn + d), first_move)),
        (proptest::sample::select(DeathType::ALL), 0i64..10_000),
        proptest::collection::vec(
            (
                time_strategy(),
                vec3_strategy(),
                -200i64..200,
                tenths(0..5000),
                0i64..56,
                proptest::sample::select(vec![Stance::Standing, Stance::Crouched, Stance::Prone]),
                any::<bool>(),
                path_event_strategy(),
            )
                .prop_map(
                    |(time, pos, health, speed, weapon, stance, sprint, event)| TrackSample {
                        time,
                        pos,
                        health,
                        speed,
                        weapon,
                        stance,
                        sprint,
                        event,
                    },
                ),
            0..8,
        ),
    )
        .prop_map(
            |(
                (guid, name, team, class),
                (spawn_time, death_time, first_move_time),
                (death_type, samples),
                path,
            )| PlayerTrack {
                guid,
                name,
                team,
                class,
                spawn_time,
                death_time,
                first_move_time,
                death_type,
                samples,
                path,
            },
        )
}

fn header_strategy() -> impl Strategy<Value = Header> {
    (
        proptest::sample::select(vec![Banner::V4, Banner::V5, Banner::V6]),
        "[a-z][a-z0-9_.+-]{0,20}",
        1u8..=2,
        (0i64..5000, 0i64..10_000, tenths(0..10_000), 1i64..1000),
        (0i64..2_000_000_000, 0i64..2_000_000_000),
        (
            proptest::option::of("[0-9]\\.[0-9]{1,2}\\.[0-9]"),
            proptest::option::of(any::<bool>()),
            proptest::option::of(0i64..60_000),
            proptest::option::of(0i64..60_000),
        ),
        proptest::collection::vec(("[a-z_]{1,12}", any::<bool>()), 0..4),
        proptest::collection::vec(("x_[a-z]{1,8}", "[a-zA-Z0-9 ^]{0,12}"), 0..2),
        (
            proptest::option::of(prop_oneof![
                Just(Winner::Nobody),
                proptest::sample::select(Team::ALL).prop_map(Winner::Team),
            ]),
            proptest::option::of(proptest::sample::select(Team::ALL)),
            proptest::option::of(0i64..3_600_000),
        ),
    )
        .prop_map(
            |(
                banner,
                map,
                round,
                (cw, et, ed, psi),
                (start, end),
                (tv, tm, asi, alsi),
                capabilities,
                extra,
                (winner, defender, time_set_ms),
            )| {
                let mut h = Header::new(banner, map, round);
                h.crossfire_window_ms = cw;
                h.escape_time_ms = et;
                h.escape_distance = ed;
                h.position_sample_interval_ms = psi;
                h.round_start_unix = start;
                h.round_end_unix = end;
                h.tracker_version_full = tv;
                h.test_mode = tm;
                h.axis_spawn_interval_ms = asi;
                h.allies_spawn_interval_ms = alsi;
                h.capabilities = capabilities;
                h.winner = winner;
                h.defender = defender;
                h.time_set_ms = time_set_ms;
                // Trailing spaces are trimmed like every header value.
                h.extra = extra
                    .into_iter()
                    .map(|(k, v)| (k, v.trim().to_string()))
                    .collect();
                h
            },
        )
}

fn non_empty_name() -> impl Strategy<Value = Name> {
    name_strategy().prop_filter("a name the file can tell from none", |n| !n.0.is_empty())
}

fn revive_strategy() -> impl Strategy<Value = Revive> {
    (
        (time_strategy(), guid_strategy(), name_strategy()),
        (guid_strategy(), name_strategy(), vec3_strategy()),
        (
            proptest::option::of((tenths(0..100_000), guid_strategy())),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (time, medic_guid, medic_name),
                (revived_guid, revived_name, pos),
                (enemy, under_fire),
            )| Revive {
                time,
                medic_guid,
                medic_name,
                revived_guid,
                revived_name,
                pos,
                distance_to_enemy: enemy.as_ref().map(|e| e.0),
                nearest_enemy_guid: enemy.map(|e| e.1),
                under_fire,
            },
        )
}

fn kill_outcome_strategy() -> impl Strategy<Value = KillOutcome> {
    (
        (time_strategy(), guid_strategy(), name_strategy()),
        (guid_strategy(), name_strategy(), 0i64..67),
        (
            proptest::sample::select(KillFate::ALL),
            0i64..60_000,
            opt_time_strategy(),
        ),
        (
            proptest::option::of((guid_strategy(), non_empty_name())),
            proptest::option::of((guid_strategy(), non_empty_name())),
        ),
    )
        .prop_map(
            |(
                (kill_time, victim_guid, victim_name),
                (killer_guid, killer_name, kill_mod),
                (outcome, delta_ms, effective_denied_ms),
                (gibber, reviver),
            )| KillOutcome {
                kill_time,
                victim_guid,
                victim_name,
                killer_guid,
                killer_name,
                kill_mod,
                outcome,
                outcome_time: kill_time + delta_ms,
                delta_ms,
                effective_denied_ms,
                gibber_guid: gibber.as_ref().map(|g| g.0.clone()),
                gibber_name: gibber.map(|g| g.1),
                reviver_guid: reviver.as_ref().map(|g| g.0.clone()),
                reviver_name: reviver.map(|g| g.1),
            },
        )
}

fn weapon_accuracy_strategy() -> impl Strategy<Value = WeaponAccuracy> {
    (
        guid_strategy(),
        name_strategy(),
        proptest::sample::select(Team::ALL),
        0i64..80,
        (0i64..5000, 0i64..5000, 0i64..100, 0i64..500),
    )
        .prop_map(
            |(player_guid, player_name, team, weapon, (shots_fired, hits, kills, headshots))| {
                WeaponAccuracy {
                    player_guid,
                    player_name,
                    team,
                    weapon,
                    shots_fired,
                    hits,
                    kills,
                    headshots,
                }
            },
        )
}

fn hit_region_strategy() -> impl Strategy<Value = HitRegionHit> {
    (
        (time_strategy(), guid_strategy(), name_strategy()),
        (guid_strategy(), name_strategy()),
        (
            0i64..60,
            proptest::sample::select(HitRegion::ALL.to_vec()),
            0i64..200,
        ),
    )
        .prop_map(
            |(
                (time, attacker_guid, attacker_name),
                (victim_guid, victim_name),
                (weapon, region, damage),
            )| HitRegionHit {
                time,
                attacker_guid,
                attacker_name,
                victim_guid,
                victim_name,
                weapon,
                region,
                damage,
            },
        )
}

fn spawn_timing_strategy() -> impl Strategy<Value = SpawnTiming> {
    (
        (
            guid_strategy(),
            name_strategy(),
            proptest::sample::select(Team::ALL),
        ),
        (
            guid_strategy(),
            name_strategy(),
            proptest::sample::select(Team::ALL),
        ),
        time_strategy(),
        proptest::option::of((1i64..60_000, 0i64..60_000, 0u32..1000, 0i32..600, 0i32..600)),
    )
        .prop_map(
            |(
                (killer_guid, killer_name, killer_team),
                (victim_guid, victim_name, victim_team),
                kill_time,
                wave,
            )| SpawnTiming {
                killer_guid,
                killer_name,
                killer_team,
                victim_guid,
                victim_name,
                victim_team,
                kill_time,
                enemy_spawn_interval: wave.map(|w| w.0),
                time_to_next_spawn: wave.map(|w| w.1),
                spawn_timing_score: wave.map(|w| f64::from(w.2) / 1000.0),
                killer_reinf: wave.map(|w| f64::from(w.3) / 10.0),
                victim_reinf: wave.map(|w| f64::from(w.4) / 10.0),
            },
        )
}

fn objective_event_strategy() -> impl Strategy<Value = ObjectiveEvent> {
    (
        time_strategy(),
        prop_oneof![
            proptest::sample::select(ObjectiveAction::KNOWN.to_vec()),
            "[a-z][a-z_]{0,15}".prop_map(|w| ObjectiveAction::from_word(&w)),
        ],
        (
            guid_strategy(),
            name_strategy(),
            proptest::sample::select(Team::ALL),
        ),
        name_strategy(),
        vec3_strategy(),
    )
        .prop_map(
            |(time, action, (player_guid, player_name, player_team), track_name, pos)| {
                ObjectiveEvent {
                    time,
                    action,
                    player_guid,
                    player_name,
                    player_team,
                    track_name,
                    pos,
                }
            },
        )
}

fn carry_strategy() -> impl Strategy<Value = Carry> {
    (
        (
            guid_strategy(),
            name_strategy(),
            proptest::sample::select(Team::ALL),
            proptest::sample::select(Team::ALL),
        ),
        (
            interval_strategy(),
            proptest::sample::select(CarryOutcome::ALL),
        ),
        (
            tenths(0..100_000),
            tenths(0..100_000),
            0u32..1001,
            0i64..1000,
        ),
        (vec3_strategy(), vec3_strategy()),
        proptest::option::of((guid_strategy(), non_empty_name())),
    )
        .prop_map(
            |(
                (carrier_guid, carrier_name, carrier_team, flag_team),
                ((pickup_time, drop_time, duration_ms), outcome),
                (carry_distance, beeline_distance, efficiency, path_samples),
                (pickup_pos, drop_pos),
                killer,
            )| Carry {
                carrier_guid,
                carrier_name,
                carrier_team,
                flag_team,
                pickup_time,
                drop_time,
                duration_ms,
                outcome,
                carry_distance,
                beeline_distance,
                efficiency: f64::from(efficiency) / 1000.0,
                path_samples,
                pickup_pos,
                drop_pos,
                killer_guid: killer.as_ref().map(|k| k.0.clone()),
                killer_name: killer.map(|k| k.1),
            },
        )
}

fn carrier_return_strategy() -> impl Strategy<Value = CarrierReturn> {
    (
        (interval_strategy(), proptest::sample::select(Team::ALL)),
        proptest::option::of(
            (
                guid_strategy(),
                name_strategy(),
                proptest::sample::select(Team::ALL),
            )
                .prop_map(|(guid, name, team)| Returner { guid, name, team }),
        ),
        proptest::option::of((guid_strategy(), vec3_strategy())),
    )
        .prop_map(
            |(((drop_time, return_time, return_delay_ms), flag_team), returner, drop)| {
                CarrierReturn {
                    return_time,
                    returner,
                    flag_team,
                    original_carrier_guid: drop.as_ref().map(|d| d.0.clone()),
                    drop_time: drop.as_ref().map(|_| drop_time),
                    return_delay_ms: drop.as_ref().map(|_| return_delay_ms),
                    drop_pos: drop.map(|d| d.1),
                }
            },
        )
}

fn escort_strategy() -> impl Strategy<Value = EscortCredit> {
    (
        (
            guid_strategy(),
            name_strategy(),
            proptest::sample::select(Team::ALL),
            name_strategy(),
        ),
        (time_strategy(), time_strategy()),
        (tenths(0..100_000), tenths(0..100_000), 0i64..10_000),
    )
        .prop_map(
            |(
                (player_guid, player_name, player_team, vehicle_name),
                (mounted_time_ms, proximity_time_ms),
                (total_escort_distance, credit_distance, samples),
            )| EscortCredit {
                player_guid,
                player_name,
                player_team,
                vehicle_name,
                mounted_time_ms,
                proximity_time_ms,
                total_escort_distance,
                credit_distance,
                samples,
            },
        )
}

/// The four objective sections, each absent or with a few rows.
#[allow(clippy::type_complexity)]
fn objective_sections_strategy() -> impl Strategy<
    Value = (
        Option<Vec<ObjectiveEvent>>,
        Option<Vec<Carry>>,
        Option<Vec<CarrierReturn>>,
        Option<Vec<EscortCredit>>,
    ),
> {
    (
        proptest::option::of(proptest::collection::vec(objective_event_strategy(), 0..3)),
        proptest::option::of(proptest::collection::vec(carry_strategy(), 0..3)),
        proptest::option::of(proptest::collection::vec(carrier_return_strategy(), 0..3)),
        proptest::option::of(proptest::collection::vec(escort_strategy(), 0..3)),
    )
}

/// The five sections of the rest of the game, each absent or with a few rows.
#[allow(clippy::type_complexity)]
fn game_sections_strategy() -> impl Strategy<
    Value = (
        Option<Vec<Revive>>,
        Option<Vec<KillOutcome>>,
        Option<Vec<WeaponAccuracy>>,
        Option<Vec<HitRegionHit>>,
        Option<Vec<SpawnTiming>>,
    ),
> {
    (
        proptest::option::of(proptest::collection::vec(revive_strategy(), 0..3)),
        proptest::option::of(proptest::collection::vec(kill_outcome_strategy(), 0..3)),
        proptest::option::of(proptest::collection::vec(weapon_accuracy_strategy(), 0..3)),
        proptest::option::of(proptest::collection::vec(hit_region_strategy(), 0..3)),
        proptest::option::of(proptest::collection::vec(spawn_timing_strategy(), 0..3)),
    )
}

fn round_strategy() -> impl Strategy<Value = Round> {
    (
        header_strategy(),
        proptest::collection::vec(engagement_strategy(), 0..4),
        proptest::collection::vec(track_strategy(), 0..4),
        proptest::collection::vec(
            (-100i64..100, -100i64..100, 0i64..50, 0i64..50).prop_map(
                |(grid_x, grid_y, axis_kills, allies_kills)| KillCell {
                    grid_x,
                    grid_y,
                    axis_kills,
                    allies_kills,
                },
            ),
            0..4,
        ),
        proptest::collection::vec(
            (-100i64..100, -100i64..100, 0i64..500, 0i64..50, 0i64..50).prop_map(
                |(grid_x, grid_y, traversal, combat, escape)| MovementCell {
                    grid_x,
                    grid_y,
                    traversal,
                    combat,
                    escape,
                },
            ),
            0..4,
        ),
        proptest::option::of(proptest::collection::vec(
            (
                guid_strategy(),
                name_strategy(),
                proptest::sample::select(Team::ALL),
                name_strategy(),
                tenths(0..100_000),
                time_strategy(),
                0i64..1000,
            )
                .prop_map(
                    |(
                        guid,
                        name,
                        team,
                        objective,
                        avg_distance,
                        time_within_radius_ms,
                        samples,
                    )| ObjectiveFocus {
                        guid,
                        name,
                        team,
                        objective,
                        avg_distance,
                        time_within_radius_ms,
                        samples,
                    },
                ),
            0..3,
        )),
        proptest::option::of(proptest::collection::vec(
            (
                (
                    0i64..1000,
                    guid_strategy(),
                    name_strategy(),
                    proptest::sample::select(Team::ALL),
                    proptest::sample::select(PlayerClass::ALL),
                ),
                (
                    proptest::sample::select(Outcome::ALL),
                    0i64..6,
                    opt_time_strategy(),
                    opt_time_strategy(),
                    opt_time_strategy(),
                ),
                interval_strategy(),
            )
                .prop_map(
                    |(
                        (engagement_id, target_guid, target_name, target_team, target_class),
                        (
                            outcome,
                            num_attackers,
                            return_fire_ms,
                            dodge_reaction_ms,
                            support_reaction_ms,
                        ),
                        (start_time, end_time, duration),
                    )| ReactionMetric {
                        engagement_id,
                        target_guid,
                        target_name,
                        target_team,
                        target_class,
                        outcome,
                        num_attackers,
                        return_fire_ms,
                        dodge_reaction_ms,
                        support_reaction_ms,
                        start_time,
                        end_time,
                        duration,
                    },
                ),
            0..3,
        )),
    )
        .prop_map(
            |(
                header,
                engagements,
                tracks,
                kill_heatmap,
                movement_heatmap,
                objective_focus,
                reactions,
            )| Round {
                header,
                engagements,
                tracks,
                kill_heatmap,
                movement_heatmap,
                objective_focus,
                reactions,
                revives: None,
                kill_outcomes: None,
                weapon_accuracy: None,
                hit_regions: None,
                spawn_timing: None,
                objective_events: None,
                carries: None,
                carrier_returns: None,
                escorts: None,
                skipped: Vec::new(),
                has_end_marker: true,
            },
        )
}

/// A round with any of the sections of the rest of the game.
fn full_round_strategy() -> impl Strategy<Value = Round> {
    (
        round_strategy(),
        game_sections_strategy(),
        objective_sections_strategy(),
    )
        .prop_map(|(mut r, g, o)| {
            (
                r.revives,
                r.kill_outcomes,
                r.weapon_accuracy,
                r.hit_regions,
                r.spawn_timing,
            ) = g;
            (r.objective_events, r.carries, r.carrier_returns, r.escorts) = o;
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_inverts_write(round in full_round_strategy()) {
        let text = write(&round);
        let parsed = parse(&text);
        prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed, String::from_utf8_lossy(&text));
        prop_assert_eq!(parsed.unwrap(), round);
    }

    /// The digest covers every part of a file: a round with one part taken from another round
    /// has another digest exactly when its file is another file (the end marker aside).
    #[test]
    fn the_digest_changes_exactly_when_the_file_does(a in round_strategy(), c in round_strategy()) {
        let file = |r: &Round| {
            let mut r = r.clone();
            r.has_end_marker = true;
            write(&r)
        };
        type Swap = fn(&mut Round, &Round);
        let swaps: [(&str, Swap); 7] = [
            ("header", |b, c| b.header = c.header.clone()),
            ("engagements", |b, c| b.engagements = c.engagements.clone()),
            ("tracks", |b, c| b.tracks = c.tracks.clone()),
            ("kill heatmap", |b, c| b.kill_heatmap = c.kill_heatmap.clone()),
            ("movement heatmap", |b, c| b.movement_heatmap = c.movement_heatmap.clone()),
            ("objective focus", |b, c| b.objective_focus = c.objective_focus.clone()),
            ("reactions", |b, c| b.reactions = c.reactions.clone()),
        ];
        for (part, swap) in swaps {
            let mut b = a.clone();
            swap(&mut b, &c);
            prop_assert_eq!(
                file(&a) == file(&b),
                canonical_digest(&a) == canonical_digest(&b),
                "{}",
                part
            );
        }
    }
    /// What the round's players did besides fighting and moving is not part of its identity:
    /// a file imported before the reader knew these sections stays the same round.
    #[test]
    fn the_game_sections_leave_the_digest_alone(
        a in full_round_strategy(),
        g in game_sections_strategy(),
        o in objective_sections_strategy(),
    ) {
        let mut b = a.clone();
        (b.revives, b.kill_outcomes, b.weapon_accuracy, b.hit_regions, b.spawn_timing) = g;
        (b.objective_events, b.carries, b.carrier_returns, b.escorts) = o;
        prop_assert_eq!(canonical_digest(&a), canonical_digest(&b));
    }
}

#[test]
fn impossible_rows_are_refused_with_their_line_and_field() {
    let cases = [
        (
            sample_with("2;5000;11000;6000;", "2;10200;100;2200;"),
            "ENGAGEMENTS",
            "end_time",
            "100 ms is before start_time 10200 ms",
        ),
        (
            sample_with("2;5000;11000;6000;", "2;5000;11000;6051;"),
            "ENGAGEMENTS",
            "duration",
            "6051 ms disagrees with end_time − start_time = 6000 ms",
        ),
        (
            sample_with("AXIS;MEDIC;0;2300;", "AXIS;MEDIC;2400;2300;"),
            "PLAYER_TRACKS",
            "death_time",
            "2300 ms is before spawn_time 2400 ms",
        ),
        (
            sample_with(";900;1000;2300;1300", ";900;2300;1000;1300"),
            "REACTION_METRICS",
            "end_time",
            "1000 ms is before start_time 2300 ms",
        ),
        (
            sample_with(";140;BBBB;", ";-140;BBBB;"),
            "ENGAGEMENTS",
            "total_damage",
            "-140 is outside 0..=2147483647",
        ),
    ];
    for (text, section, field, message) in cases {
        let e = err(&text);
        let line = text
            .lines()
            .position(|l| !SAMPLE.lines().any(|s| s == l))
            .map(|i| i + 1);
        assert_eq!(
            (Some(e.line), e.section.as_deref(), e.field.as_deref()),
            (line, Some(section), Some(field)),
            "{e}"
        );
        assert_eq!(e.message, message, "{e}");
    }
    // A frame's rounding is not an error.
    parse(sample_with("2;5000;11000;6000;", "2;5000;11000;6050;").as_bytes()).unwrap();
}

/// The five sections of the rest of the game, as our tracker writes them.
const GAME_SECTIONS: &str = "
# REVIVES
# time;medic_guid;medic_name;revived_guid;revived_name;x;y;z;distance_to_enemy;nearest_enemy_guid;under_fire
2900;DDDD;Doc;AAAA;^1Vic^7tim;110.5;-220.0;30.0;640.2;BBBB;1
4000;DDDD;Doc;EEEE;Lonely;0.0;0.0;0.0;;;0

# KILL_OUTCOME
# kill_time;victim_guid;victim_name;killer_guid;killer_name;kill_mod;outcome;outcome_time;delta_ms;effective_denied_ms;gibber_guid;gibber_name;reviver_guid;reviver_name
2300;AAAA;^1Vic^7tim;BBBB;Killer;9;revived;2900;600;600;;;DDDD;Doc
7000;CCCC;Helper;AAAA;^1Vic^7tim;8;gibbed;7500;500;13000;AAAA;^1Vic^7tim;;

# WEAPON_ACCURACY
# player_guid;player_name;team;weapon_id;shots_fired;hits;kills;headshots
BBBB;Killer;ALLIES;8;120;40;1;6
AAAA;^1Vic^7tim;AXIS;3;90;20;1;2

# HIT_REGIONS
# time;attacker_guid;attacker_name;victim_guid;victim_name;weapon;region;damage
1000;BBBB;Killer;AAAA;^1Vic^7tim;8;0;50
1200;BBBB;Killer;AAAA;^1Vic^7tim;8;2;18

# SPAWN_TIMING
# killer_guid;killer_name;killer_team;victim_guid;victim_name;victim_team;kill_time;enemy_spawn_interval;time_to_next_spawn;spawn_timing_score;killer_reinf;victim_reinf
BBBB;Killer;ALLIES;AAAA;^1Vic^7tim;AXIS;2300;30000;27700;0.923;12.3;27.7
AAAA;^1Vic^7tim;AXIS;CCCC;Helper;ALLIES;7000;;;;;
";

fn game_sample() -> String {
    SAMPLE.replacen("\n# END\n", &format!("{GAME_SECTIONS}\n# END\n"), 1)
}

fn game_sample_with(find: &str, replace: &str) -> String {
    let s = game_sample();
    assert!(s.contains(find), "{find}");
    s.replacen(find, replace, 1)
}

#[test]
fn the_five_game_sections_parse_field_by_field() {
    let r = parse(game_sample().as_bytes()).unwrap();
    let revives = r.revives.as_ref().unwrap();
    assert_eq!(
        revives[0],
        Revive {
            time: 2900,
            medic_guid: "DDDD".into(),
            medic_name: "Doc".into(),
            revived_guid: "AAAA".into(),
            revived_name: "^1Vic^7tim".into(),
            pos: Vec3::new(110.5, -220.0, 30.0),
            distance_to_enemy: Some(640.2),
            nearest_enemy_guid: Some("BBBB".into()),
            under_fire: true,
        }
    );
    assert_eq!(
        (revives[1].distance_to_enemy, &revives[1].nearest_enemy_guid),
        (None, &None)
    );
    let k = r.kill_outcomes.as_ref().unwrap();
    assert_eq!(
        k[1],
        KillOutcome {
            kill_time: 7000,
            victim_guid: "CCCC".into(),
            victim_name: "Helper".into(),
            killer_guid: "AAAA".into(),
            killer_name: "^1Vic^7tim".into(),
            kill_mod: 8,
            outcome: KillFate::Gibbed,
            outcome_time: 7500,
            delta_ms: 500,
            effective_denied_ms: Some(13000),
            gibber_guid: Some("AAAA".into()),
            gibber_name: Some("^1Vic^7tim".into()),
            reviver_guid: None,
            reviver_name: None,
        }
    );
    assert_eq!(k[0].reviver_guid.as_deref(), Some("DDDD"));
    let w = r.weapon_accuracy.as_ref().unwrap();
    assert_eq!(
        (
            w[0].weapon,
            w[0].shots_fired,
            w[0].hits,
            w[0].kills,
            w[0].headshots
        ),
        (8, 120, 40, 1, 6)
    );
    let h = r.hit_regions.as_ref().unwrap();
    assert_eq!(
        (h[0].region, h[1].region, h[1].damage),
        (HitRegion::Head, HitRegion::Body, 18)
    );
    let t = r.spawn_timing.as_ref().unwrap();
    assert_eq!(
        (
            t[0].enemy_spawn_interval,
            t[0].time_to_next_spawn,
            t[0].spawn_timing_score,
            t[0].killer_reinf,
            t[0].victim_reinf
        ),
        (
            Some(30000),
            Some(27700),
            Some(0.923),
            Some(12.3),
            Some(27.7)
        )
    );
    assert_eq!(
        (t[1].enemy_spawn_interval, t[1].spawn_timing_score),
        (None, None)
    );
    for s in &GameSection::ALL[..5] {
        assert!(r.records(*s), "{s:?}");
    }
    assert_eq!(parse(&write(&r)).unwrap(), r);
}

#[test]
fn a_missing_game_section_is_not_recorded_unless_the_capabilities_say_it_was_on() {
    let r = parse(SAMPLE.as_bytes()).unwrap();
    assert_eq!(r.revives, None);
    assert!(!r.records(GameSection::Revives));
    assert_eq!(r.recorded_mask(), 0);
    let on = sample_with(
        "capabilities=engagements:1,tracks:1,objective_focus:0",
        "capabilities=engagements:1,revives:1,hit_regions:0",
    );
    let r = parse(on.as_bytes()).unwrap();
    assert_eq!(r.revives, None);
    assert!(r.records(GameSection::Revives));
    assert!(!r.records(GameSection::HitRegions));
    assert_eq!(r.recorded_mask(), GameSection::Revives.bit());
    // A section header with no rows: recorded, nothing happened.
    let empty = SAMPLE.replacen(
        "\n# END\n",
        "\n# HIT_REGIONS\n# time;attacker_guid\n\n# END\n",
        1,
    );
    let r = parse(empty.as_bytes()).unwrap();
    assert_eq!(r.hit_regions, Some(Vec::new()));
    assert!(r.records(GameSection::HitRegions));
}

#[test]
fn bad_game_rows_name_their_section_line_and_field() {
    let line_of = |text: &str, find: &str| {
        text.lines()
            .position(|l| l.contains(find))
            .expect("row present")
            + 1
    };
    let cases: [(&str, &str, &str, &str, &str); 8] = [
        (
            "4000;DDDD;Doc;EEEE;Lonely;0.0;0.0;0.0;;;0",
            "4000;DDDD;Doc;EEEE;Lonely;0.0;0.0;0.0;;0",
            "REVIVES",
            "(row)",
            "11 `;`-separated fields, this one has 10",
        ),
        (
            "BBBB;Killer;ALLIES;8;120;40;1;6",
            "BBBB;Killer;ALLIES;8;-120;40;1;6",
            "WEAPON_ACCURACY",
            "shots_fired",
            "-120 is outside 0..=",
        ),
        (
            "1200;BBBB;Killer;AAAA;^1Vic^7tim;8;2;18",
            "1200;BBBB;Killer;AAAA;^1Vic^7tim;8;7;18",
            "HIT_REGIONS",
            "region",
            "7 is not a hit region",
        ),
        (
            "9;revived;2900;600;600;;;DDDD;Doc",
            "9;resurrected;2900;600;600;;;DDDD;Doc",
            "KILL_OUTCOME",
            "outcome",
            "`resurrected` is not a known kill outcome",
        ),
        (
            "9;revived;2900;600;600;;;DDDD;Doc",
            "9;revived;2000;600;600;;;DDDD;Doc",
            "KILL_OUTCOME",
            "outcome_time",
            "before the kill",
        ),
        (
            "2300;30000;27700;0.923;12.3;27.7",
            "2300;30000;27700;-0.5;12.3;27.7",
            "SPAWN_TIMING",
            "spawn_timing_score",
            "outside 0..=1000",
        ),
        (
            "2900;DDDD;Doc;AAAA;^1Vic^7tim;110.5;-220.0;30.0;640.2;BBBB;1",
            "2900;DDDD;Doc;AAAA;^1Vic^7tim;110.5;-220.0;30.0;640.2;BBBB;yes",
            "REVIVES",
            "under_fire",
            "`yes` is not 0 or 1",
        ),
        (
            "AAAA;^1Vic^7tim;AXIS;3;90;20;1;2",
            "AAAA;^1Vic^7tim;AXIS;-3;90;20;1;2",
            "WEAPON_ACCURACY",
            "weapon_id",
            "-3 is outside 0..=9999",
        ),
    ];
    for (find, replace, section, field, message) in cases {
        let text = game_sample_with(find, replace);
        let e = err(&text);
        assert_eq!(
            (
                e.section.as_deref(),
                e.line,
                e.field.as_deref(),
                e.message.contains(message)
            ),
            (Some(section), line_of(&text, replace), Some(field), true),
            "{e}"
        );
    }
}

#[test]
fn the_deployed_trackers_v6_file_imports_its_sections_and_skips_the_rest() {
    let bytes = include_bytes!("../../tests/fixtures/deployed_v6_round.txt");
    assert_eq!(
        parse(bytes).unwrap_err().message,
        "the file has no `# END` marker: it is incomplete (or from another tracker; import it as complete once it has stopped growing)"
    );
    let r = parse_with(
        bytes,
        ParseOptions {
            assume_complete: true,
        },
    )
    .unwrap();
    assert_eq!(r.header.banner, Banner::V6);
    assert_eq!(r.revives.as_ref().map(Vec::len), Some(2));
    assert_eq!(r.kill_outcomes.as_ref().map(Vec::len), Some(4));
    assert_eq!(r.weapon_accuracy.as_ref().map(Vec::len), Some(5));
    assert_eq!(r.spawn_timing.as_ref().map(Vec::len), Some(4));
    // The deployed tracker had no hit regions in this round's build: not recorded, not zero.
    assert_eq!(r.hit_regions, None);
    assert!(!r.records(GameSection::HitRegions));
    let skipped: Vec<(&str, usize)> = r
        .skipped
        .iter()
        .map(|s| (s.name.as_str(), s.rows))
        .collect();
    assert_eq!(
        skipped,
        [
            ("TEAM_COHESION", 2),
            ("SHOT_FIRED", 3),
            ("CARRIER_KILLS", 1)
        ]
    );
    // Its CONSTRUCTION_EVENTS is our OBJECTIVE_EVENTS; a word we do not know is kept.
    let events = r.objective_events.as_ref().expect("objective events");
    let actions: Vec<(&str, &[u8], i64)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.track_name.as_bytes(), e.time))
        .collect();
    assert_eq!(
        actions,
        [
            ("dynamite_plant", &b"the Depot Gate"[..], 30500),
            ("dynamite_defuse", b"the Depot Gate", 31000),
            ("constructed", b"the Command Post", 36000),
            ("dynamite_explode", b"the Depot Gate", 38500),
        ]
    );
    assert_eq!(
        events[3].action,
        ObjectiveAction::Other("dynamite_explode".into())
    );
    let carries = r.carries.as_ref().expect("carries");
    assert_eq!(
        carries
            .iter()
            .map(|c| (
                c.carrier_name.as_bytes(),
                c.outcome,
                c.duration_ms,
                c.efficiency
            ))
            .collect::<Vec<_>>(),
        [
            (&b"^2Lia"[..], CarryOutcome::Secured, 2300, 0.893),
            (b"Medi^3Cal", CarryOutcome::Dropped, 2000, 1.0),
        ]
    );
    let returns = r.carrier_returns.as_ref().expect("returns");
    assert_eq!(returns.len(), 1);
    assert_eq!(
        returns[0].returner.as_ref().map(|w| w.team),
        Some(Team::Axis)
    );
    assert_eq!(returns[0].return_delay_ms, Some(1000));
    let escorts = r.escorts.as_ref().expect("escorts");
    assert_eq!(
        (
            escorts[0].vehicle_name.as_bytes(),
            escorts[0].credit_distance
        ),
        (&b"truck"[..], 240.0)
    );
    // The deployed tracker does not say who won.
    assert_eq!(r.header.winner, None);
    for s in GameSection::OBJECTIVES {
        assert!(r.records(s), "{s:?}");
    }
}

/// Our tracker's objective sections, the round's result in the header, and every kind of bad
/// row refused with its section, line and field.
const OBJECTIVES: &str = "
# OBJECTIVE_EVENTS
# event_time;event_type;player_guid;player_name;player_team;track_name;player_x;player_y;player_z
4100;dynamite_plant;AAAA;^1Ax;AXIS;the Main Gate;10.0;20.0;0.0
4600;checkpoint_captured;BBBB;^4Al;ALLIES;;-5.5;0.0;8.0

# CARRIER_EVENTS
# carrier_guid;carrier_name;carrier_team;flag_team;pickup_time;drop_time;duration_ms;outcome;carry_distance;beeline_distance;efficiency;path_samples;pickup_x;pickup_y;pickup_z;drop_x;drop_y;drop_z;killer_guid;killer_name
BBBB;^4Al;ALLIES;AXIS;3000;4500;1500;killed;300.0;200.0;0.667;76;0.0;0.0;0.0;200.0;0.0;0.0;AAAA;^1Ax

# CARRIER_RETURNS
# return_time;returner_guid;returner_name;returner_team;flag_team;original_carrier_guid;drop_time;return_delay_ms;drop_x;drop_y;drop_z
34500;;;;AXIS;BBBB;4500;30000;200.0;0.0;0.0

# ESCORT_CREDIT
# player_guid;player_name;player_team;vehicle_name;mounted_time_ms;proximity_time_ms;total_escort_distance;credit_distance;samples
BBBB;^4Al;ALLIES;tank;1200;800;350.5;300.0;10
";

fn with_objectives(header_line: &str) -> String {
    let text = sample_with("\n# END\n", &format!("{OBJECTIVES}\n# END\n"));
    text.replacen(
        "# round_end_unix=",
        &format!("{header_line}\n# round_end_unix="),
        1,
    )
}

#[test]
fn the_objective_sections_and_the_result_parse_field_by_field() {
    let r =
        parse(with_objectives("# winner=ALLIES\n# defender=AXIS\n# time_set=512000").as_bytes())
            .unwrap();
    assert_eq!(r.header.winner, Some(Winner::Team(Team::Allies)));
    assert_eq!(r.header.defender, Some(Team::Axis));
    assert_eq!(r.header.time_set_ms, Some(512_000));
    let e = r.objective_events.as_ref().unwrap();
    assert_eq!(e[0].action, ObjectiveAction::DynamitePlant);
    assert_eq!(e[0].track_name.as_bytes(), b"the Main Gate");
    assert_eq!(e[1].action, ObjectiveAction::CheckpointCaptured);
    assert_eq!(
        (e[1].track_name.as_bytes(), e[1].pos),
        (&b""[..], Vec3::new(-5.5, 0.0, 8.0))
    );
    let c = &r.carries.as_ref().unwrap()[0];
    assert_eq!(
        (
            c.outcome,
            c.killer_guid.as_deref(),
            c.efficiency,
            c.path_samples
        ),
        (CarryOutcome::Killed, Some("AAAA"), 0.667, 76)
    );
    let back = &r.carrier_returns.as_ref().unwrap()[0];
    assert_eq!(back.returner, None, "a timeout return has no returner");
    assert_eq!(back.original_carrier_guid.as_deref(), Some("BBBB"));
    let esc = &r.escorts.as_ref().unwrap()[0];
    assert_eq!(
        (esc.mounted_time_ms, esc.total_escort_distance),
        (1200, 350.5)
    );
    assert_eq!(parse(&write(&r)).unwrap(), r);

    // An empty winner is nobody (a draw), not unknown.
    let r = parse(with_objectives("# winner=").as_bytes()).unwrap();
    assert_eq!(r.header.winner, Some(Winner::Nobody));
    assert_eq!(parse(&write(&r)).unwrap(), r);
}

#[test]
fn bad_objective_rows_are_refused_with_their_line_and_field() {
    let base = with_objectives("# time_set=1000");
    let cases = [
        (
            base.replacen(
                ";the Main Gate;10.0;20.0;0.0",
                ";the Main Gate;10.0;20.0",
                1,
            ),
            "OBJECTIVE_EVENTS",
            "(row)",
            "OBJECTIVE_EVENTS rows have 9 `;`-separated fields, this one has 8",
        ),
        (
            base.replacen("4100;dynamite_plant;", "4100;;", 1),
            "OBJECTIVE_EVENTS",
            "event_type",
            "is empty",
        ),
        (
            base.replacen("1500;killed;300.0", "1500;stolen;300.0", 1),
            "CARRIER_EVENTS",
            "outcome",
            "`stolen` is not a known carry outcome",
        ),
        (
            base.replacen("3000;4500;1500;", "3000;2500;1500;", 1),
            "CARRIER_EVENTS",
            "drop_time",
            "2500 ms is before the pickup at 3000 ms",
        ),
        (
            base.replacen("0.667;76;", "0.667;-76;", 1),
            "CARRIER_EVENTS",
            "path_samples",
            "-76 is outside 0..=2147483647",
        ),
        (
            base.replacen("34500;;;;AXIS", "34500;;;ALLIES;AXIS", 1),
            "CARRIER_RETURNS",
            "returner_guid",
            "is empty",
        ),
        (
            base.replacen(";tank;1200;", ";tank;-1200;", 1),
            "ESCORT_CREDIT",
            "mounted_time_ms",
            "negative time -1200 ms",
        ),
    ];
    for (text, section, field, message) in cases {
        let e = parse(text.as_bytes()).unwrap_err();
        let line = text
            .lines()
            .position(|l| !base.lines().any(|s| s == l))
            .map(|i| i + 1);
        assert_eq!(
            (
                Some(e.line),
                e.section.as_deref(),
                e.field.as_deref(),
                e.message.as_str()
            ),
            (line, Some(section), Some(field), message),
        );
    }
    let e = parse(with_objectives("# winner=RED").as_bytes()).unwrap_err();
    assert_eq!(
        (e.field.as_deref(), e.message.as_str()),
        (
            Some("winner"),
            "`RED` is not AXIS, ALLIES or empty (nobody)"
        )
    );
}
