//! The objective game in the store: both trackers' objective sections are kept row for row with
//! the round's result, a round stored without them is filled in once, and deleting a round
//! takes its rows with it.

use proximity::bot::round_posts;
use proximity::format::{
    self, CarrierReturn, Carry, CarryOutcome, EscortCredit, GameSection, Name, ObjectiveAction,
    ObjectiveEvent, Returner, Round, Team, Vec3, Winner,
};
use proximity::import::ImportOutcome;
use proximity::present;
use proximity::store::queries;
use proximity::synth::{SynthOptions, synth_round};
use proximity_testkit::TestDb;

use super::gunfights::{AL1, AL2, AX2, import_deployed, import_file};

/// `(carrier_guid, outcome, pickup_ms, drop_ms, killer_guid)` arrays.
type CarryRows = (
    Vec<String>,
    Vec<String>,
    Vec<i32>,
    Vec<i32>,
    Vec<Option<String>>,
);
/// `(returner_guid, original_carrier_guid, drop_ms)` arrays.
type ReturnRows = (Vec<Option<String>>, Vec<Option<String>>, Vec<Option<i32>>);
type EventRows = (Vec<i32>, Vec<String>, Vec<String>, Vec<i16>, Vec<Vec<u8>>);

async fn event_rows(pool: &sqlx::PgPool, round_id: i64) -> Option<EventRows> {
    sqlx::query_as(
        "SELECT time_ms, action, guid, team, track_name FROM round_objective_events
         WHERE round_id = $1",
    )
    .bind(round_id)
    .fetch_optional(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_deployed_trackers_objective_rows_are_kept_row_for_row() {
    let db = TestDb::new().await;
    let id = import_deployed(&db.pool).await;
    let (times, actions, guids, teams, tracks) = event_rows(&db.pool, id).await.expect("events");
    assert_eq!(times, [30500, 31000, 36000, 38500]);
    // A word of the other tracker's we do not know is kept as it was written.
    assert_eq!(
        actions,
        [
            "dynamite_plant",
            "dynamite_defuse",
            "constructed",
            "dynamite_explode"
        ]
    );
    assert_eq!(guids[2], AX2);
    assert_eq!(teams, [1, 2, 1, 1]);
    assert_eq!(tracks[2], b"the Command Post");
    let carries: CarryRows = sqlx::query_as(
        "SELECT carrier_guid, outcome, pickup_ms, drop_ms, killer_guid FROM round_carries
             WHERE round_id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        carries,
        (
            vec![AL1.to_string(), AL2.to_string()],
            vec!["secured".to_string(), "dropped".to_string()],
            vec![30200, 34000],
            vec![32500, 36000],
            vec![None, None]
        )
    );
    let returns: ReturnRows = sqlx::query_as(
        "SELECT returner_guid, original_carrier_guid, drop_ms FROM round_carrier_returns
         WHERE round_id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        returns,
        (
            vec![Some(AX2.to_string())],
            vec![Some(AL2.to_string())],
            vec![Some(36000)]
        )
    );
    let escorts: (Vec<String>, Vec<Vec<u8>>, Vec<f32>) = sqlx::query_as(
        "SELECT guid, vehicle_name, credit_distance FROM round_escorts WHERE round_id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        escorts,
        (vec![AL2.to_string()], vec![b"truck".to_vec()], vec![240.0])
    );
    let result: (Option<i16>, Option<i32>) =
        sqlx::query_as("SELECT winner, time_set_ms FROM rounds WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        result,
        (None, None),
        "the deployed tracker does not say who won"
    );

    // The summary's timeline: every action in time order, with the player's name and team.
    let post = queries::round_post(&db.pool, id, true)
        .await
        .unwrap()
        .expect("post");
    let card = present::round_card(&post);
    assert_eq!(card.winner, None);
    let description = round_posts::round_embed(&post, None)
        .fitted()
        .description
        .unwrap_or_default();
    assert!(
        description.ends_with(" players"),
        "no result when unknown: {description}"
    );
    let marks = card.objectives.expect("recorded");
    assert_eq!(
        marks
            .iter()
            .map(|m| (m.time_ms, m.team, m.name.clone(), m.phrase()))
            .collect::<Vec<_>>(),
        [
            (
                30500,
                Team::Axis,
                b"^1Axel".to_vec(),
                "planted the Depot Gate".to_string()
            ),
            (
                31000,
                Team::Allies,
                b"^2Lia".to_vec(),
                "defused the Depot Gate".into()
            ),
            (
                36000,
                Team::Axis,
                b"^4Doc^7Ax".to_vec(),
                "built the Command Post".into()
            ),
            (
                38500,
                Team::Axis,
                b"^4Doc^7Ax".to_vec(),
                "dynamite_explode the Depot Gate".into()
            ),
        ]
    );
    db.drop_db().await;
}

/// A synthetic round with objective play in our tracker's layout.
fn with_objectives(mut r: Round) -> Round {
    let (a, b) = (&r.tracks[0], &r.tracks[1]);
    let (a_guid, a_name, a_team) = (a.guid.clone(), a.name.clone(), a.team);
    let (b_guid, b_name, b_team) = (b.guid.clone(), b.name.clone(), b.team);
    let other = |t: Team| {
        if t == Team::Axis {
            Team::Allies
        } else {
            Team::Axis
        }
    };
    r.objective_events = Some(vec![
        ObjectiveEvent {
            time: 40_000,
            action: ObjectiveAction::DynamitePlant,
            player_guid: a_guid.clone(),
            player_name: a_name.clone(),
            player_team: a_team,
            track_name: Name::new("the Main Gate"),
            pos: Vec3::new(100.0, 200.0, 0.0),
        },
        ObjectiveEvent {
            time: 52_000,
            action: ObjectiveAction::CheckpointCaptured,
            player_guid: b_guid.clone(),
            player_name: b_name.clone(),
            player_team: b_team,
            track_name: Name::new("the Forward Bunker"),
            pos: Vec3::new(-300.0, 50.0, 16.0),
        },
    ]);
    r.carries = Some(vec![Carry {
        carrier_guid: a_guid.clone(),
        carrier_name: a_name.clone(),
        carrier_team: a_team,
        flag_team: other(a_team),
        pickup_time: 60_000,
        drop_time: 64_000,
        duration_ms: 4000,
        outcome: CarryOutcome::Killed,
        carry_distance: 420.0,
        beeline_distance: 380.0,
        efficiency: 0.905,
        path_samples: 201,
        pickup_pos: Vec3::new(0.0, 0.0, 0.0),
        drop_pos: Vec3::new(380.0, 0.0, 0.0),
        killer_guid: Some(b_guid.clone()),
        killer_name: Some(b_name.clone()),
    }]);
    r.carrier_returns = Some(vec![
        CarrierReturn {
            return_time: 66_000,
            returner: Some(Returner {
                guid: b_guid.clone(),
                name: b_name.clone(),
                team: other(a_team),
            }),
            flag_team: other(a_team),
            original_carrier_guid: Some(a_guid.clone()),
            drop_time: Some(64_000),
            return_delay_ms: Some(2000),
            drop_pos: Some(Vec3::new(380.0, 0.0, 0.0)),
        },
        CarrierReturn {
            return_time: 100_000,
            returner: None,
            flag_team: other(a_team),
            original_carrier_guid: None,
            drop_time: None,
            return_delay_ms: None,
            drop_pos: None,
        },
    ]);
    r.escorts = Some(vec![EscortCredit {
        player_guid: b_guid,
        player_name: b_name,
        player_team: b_team,
        vehicle_name: Name::new("tank"),
        mounted_time_ms: 5000,
        proximity_time_ms: 12_000,
        total_escort_distance: 900.0,
        credit_distance: 610.5,
        samples: 85,
    }]);
    r.header.winner = Some(Winner::Team(a_team));
    r.header.time_set_ms = Some(118_000);
    r.header.capabilities.extend(
        GameSection::OBJECTIVES
            .iter()
            .map(|s| (s.capability().to_string(), true)),
    );
    r
}

#[tokio::test]
async fn a_round_is_filled_in_with_its_objectives_once_and_deleting_it_takes_them() {
    let db = TestDb::new().await;
    let plain = synth_round(&SynthOptions::new("goldrush", 1, 10, 120, 77));
    // As the deployed tracker writes it (no capabilities for the sections), and as a reader
    // that skipped the sections stored it: the same round.
    let mut full = with_objectives(plain);
    full.header
        .capabilities
        .retain(|(n, _)| !GameSection::OBJECTIVES.iter().any(|s| s.capability() == n));
    let mut old = full.clone();
    (
        old.objective_events,
        old.carries,
        old.carrier_returns,
        old.escorts,
    ) = (None, None, None, None);
    assert_eq!(
        format::canonical_digest(&old),
        format::canonical_digest(&full)
    );
    let first = import_file(&db.pool, "old.txt", &format::write(&old), false).await;
    assert_eq!(event_rows(&db.pool, first.round_id()).await, None);
    // Not recorded: the summary says so rather than showing an empty timeline.
    let post = queries::round_post(&db.pool, first.round_id(), true)
        .await
        .unwrap()
        .expect("post");
    assert_eq!(present::round_card(&post).objectives, None);

    let again = import_file(&db.pool, "new.txt", &format::write(&full), false).await;
    let ImportOutcome::Replaced {
        round_id, previous, ..
    } = again
    else {
        panic!("{again:?}");
    };
    assert_eq!(previous, first.round_id());
    let (times, actions, guids, _, tracks) = event_rows(&db.pool, round_id).await.expect("rows");
    assert_eq!(times, [40_000, 52_000]);
    assert_eq!(actions, ["dynamite_plant", "checkpoint_captured"]);
    assert_eq!(
        guids,
        [full.tracks[0].guid.clone(), full.tracks[1].guid.clone()]
    );
    assert_eq!(
        tracks,
        [b"the Main Gate".to_vec(), b"the Forward Bunker".to_vec()]
    );
    let returns: (Vec<Option<String>>, Vec<Option<i32>>) = sqlx::query_as(
        "SELECT returner_guid, drop_ms FROM round_carrier_returns WHERE round_id = $1",
    )
    .bind(round_id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        returns,
        (
            vec![Some(full.tracks[1].guid.clone()), None],
            vec![Some(64_000), None]
        )
    );
    let result: (Option<i16>, Option<i32>) =
        sqlx::query_as("SELECT winner, time_set_ms FROM rounds WHERE id = $1")
            .bind(round_id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let team = if full.tracks[0].team == Team::Axis {
        1
    } else {
        2
    };
    assert_eq!(result, (Some(team), Some(118_000)));
    let post = queries::round_post(&db.pool, round_id, true)
        .await
        .unwrap()
        .expect("post");
    let card = present::round_card(&post);
    assert_eq!(card.winner, Some(Winner::Team(full.tracks[0].team)));
    let won = if team == 1 { "Axis won" } else { "Allies won" };
    let description = round_posts::round_embed(&post, None)
        .fitted()
        .description
        .unwrap_or_default();
    assert!(
        description.ends_with(&format!("players · {won}")),
        "{description}"
    );
    let marks = card.objectives.expect("recorded");
    assert_eq!(
        marks
            .iter()
            .map(|m| (m.time_ms, m.phrase()))
            .collect::<Vec<_>>(),
        [
            (40_000, "planted the Main Gate".to_string()),
            (52_000, "captured the Forward Bunker".to_string()),
        ]
    );

    // Once filled in, neither file changes anything.
    for (name, bytes) in [
        ("new.txt", format::write(&full)),
        ("old.txt", format::write(&old)),
    ] {
        assert_eq!(
            import_file(&db.pool, name, &bytes, false).await,
            ImportOutcome::AlreadyImported { round_id },
            "{name}"
        );
    }
    sqlx::query("DELETE FROM rounds WHERE id = $1")
        .bind(round_id)
        .execute(&db.pool)
        .await
        .unwrap();
    for table in [
        "round_objective_events",
        "round_carries",
        "round_carrier_returns",
        "round_escorts",
        "round_objective_runs",
    ] {
        let left: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    db.drop_db().await;
}

// ---------------------------------------------------------------------------------------------
// What players see: `/objectives`, the objective heatmap and the card's row, on the sample
// rounds, against totals computed here from the files.

mod commands {
    use std::collections::BTreeMap;

    use fake_discord::{ALICE, BOB};
    use proximity::format::{ObjectiveAction, Outcome, Round};
    use proximity::metrics::{self, Card, OBJECTIVE_TALLIES};
    use proximity::render;
    use proximity::store::queries::{self, Scope};
    use serde_json::json;

    use crate::gunfights::commands::{T, bot_with_samples, is_bot, png_size};

    /// A player's objective tallies in [`OBJECTIVE_TALLIES`] order and the rounds with objective
    /// actions recorded they played, from the files.
    #[derive(Debug, Default, Clone, PartialEq)]
    struct Tallies {
        values: [f64; 11],
        rounds: i64,
    }

    fn expected_tallies(rounds: &[Round]) -> BTreeMap<String, Tallies> {
        let mut by: BTreeMap<String, Tallies> = BTreeMap::new();
        fn add(by: &mut BTreeMap<String, Tallies>, g: &str, i: usize, v: f64) {
            by.entry(g.to_string()).or_default().values[i] += v;
        }
        for r in rounds {
            for e in r.objective_events.iter().flatten() {
                let i = match e.action {
                    ObjectiveAction::DynamitePlant => 0,
                    ObjectiveAction::DynamiteDefuse => 1,
                    ObjectiveAction::ObjectiveDestroyed => 2,
                    ObjectiveAction::Constructed => 3,
                    ObjectiveAction::CheckpointCaptured => 4,
                    ObjectiveAction::ObjectiveSecured => 5,
                    _ => continue,
                };
                add(&mut by, &e.player_guid, i, 1.0);
            }
            for x in r.carrier_returns.iter().flatten() {
                if let Some(w) = &x.returner {
                    add(&mut by, &w.guid, 6, 1.0);
                }
            }
            for c in r.carries.iter().flatten() {
                add(
                    &mut by,
                    &c.carrier_guid,
                    7,
                    (c.drop_time - c.pickup_time) as f64,
                );
            }
            for e in r.escorts.iter().flatten() {
                add(
                    &mut by,
                    &e.player_guid,
                    8,
                    f64::from(e.credit_distance as f32),
                );
            }
            for run in metrics::objective_runs(r) {
                for k in run.clears.iter().filter(|k| k.killer_guid != run.guid) {
                    add(&mut by, &k.killer_guid, 9, 1.0);
                }
            }
            // A kill of someone carrying at that moment.
            for e in r
                .engagements
                .iter()
                .filter(|e| e.outcome == Outcome::Killed)
            {
                let carrying = r.carries.iter().flatten().any(|c| {
                    c.carrier_guid == e.target_guid
                        && c.pickup_time <= e.end_time
                        && e.end_time <= c.drop_time
                });
                if let (true, Some(k)) = (carrying, &e.killer_guid) {
                    add(&mut by, k, 10, 1.0);
                }
            }
            if r.objective_events.is_some() {
                let players: std::collections::BTreeSet<&str> =
                    r.tracks.iter().map(|t| t.guid.as_str()).collect();
                for g in players {
                    by.entry(g.to_string()).or_default().rounds += 1;
                }
            }
        }
        by.retain(|g, _| !is_bot(g));
        by
    }

    /// The board by the tally at `index`: (guid, tallies), most first, then by GUID.
    fn expected_board(rounds: &[Round], index: usize) -> Vec<(String, Tallies)> {
        let mut board: Vec<(String, Tallies)> = expected_tallies(rounds)
            .into_iter()
            .filter(|(_, t)| t.values[index] > 0.0)
            .collect();
        board.sort_by(|a, b| {
            b.1.values[index]
                .total_cmp(&a.1.values[index])
                .then(a.0.cmp(&b.0))
        });
        board
    }

    #[tokio::test]
    async fn the_objective_board_ranks_each_tally_as_the_files_say() {
        let (bot, rounds) = bot_with_samples().await;
        assert_eq!(OBJECTIVE_TALLIES.len(), 11);
        for (index, tally) in OBJECTIVE_TALLIES.iter().enumerate() {
            let got = queries::objective_board(&bot.db.pool, &Scope::all(), tally, 100)
                .await
                .unwrap();
            let expected = expected_board(&rounds, index);
            let got: Vec<(String, i64, Vec<f64>)> = got
                .into_iter()
                .map(|r| (r.guid, r.rounds, r.tallies))
                .collect();
            assert_eq!(got.len(), expected.len(), "{}", tally.key);
            for (g, (guid, t)) in got.iter().zip(&expected) {
                assert_eq!((&g.0, g.1), (guid, t.rounds), "{}", tally.key);
                for (a, b) in g.2.iter().zip(&t.values) {
                    assert!((a - b).abs() < 1e-6, "{}: {a} vs {b}", tally.key);
                }
            }
        }
        // Tallies that the samples play must not be empty boards.
        for key in [
            "plants",
            "defuses",
            "carry time",
            "clears for others",
            "carrier kills",
        ] {
            let i = OBJECTIVE_TALLIES.iter().position(|t| t.key == key).unwrap();
            assert!(!expected_board(&rounds, i).is_empty(), "{key}");
        }

        // Through Discord: by default plants; then the choice of "clears for others".
        for (user, options, index) in [(ALICE, json!({}), 0), (BOB, json!({"by": 9}), 9)] {
            let tally = &OBJECTIVE_TALLIES[index];
            let expected = expected_board(&rounds, index);
            let reply = bot.fake.invoke(user, "objectives", options).reply(T).await;
            let embed = &reply.embeds[0];
            assert_eq!(
                embed["title"].as_str(),
                Some(format!("Objectives: {}", tally.title).as_str())
            );
            let description = embed["description"].as_str().unwrap();
            let lines: Vec<&str> = description.lines().collect();
            assert_eq!(lines[0], "all maps, all time");
            let more = usize::from(expected.len() > 3);
            assert_eq!(lines.len(), 1 + expected.len().min(3) + more);
            for (line, (guid, t)) in lines[1..].iter().take(3).zip(&expected) {
                let name: String =
                    sqlx::query_scalar("SELECT display_name FROM players WHERE guid = $1")
                        .bind(guid)
                        .fetch_one(&bot.db.pool)
                        .await
                        .unwrap();
                let value = render::tally_text(tally, t.values[index]);
                assert!(
                    line.contains(&name) && line.contains(&format!("— {value} (")),
                    "{line} vs {guid} {t:?}"
                );
                assert!(line.contains(&format!("{} rounds", t.rounds)), "{line}");
            }
            assert_eq!(
                png_size(&reply, "objectives.png"),
                (
                    render::OBJECTIVES_WIDTH,
                    render::objectives_height(expected.len())
                )
            );
        }
        bot.finish().await;
    }

    #[tokio::test]
    async fn the_objective_heatmap_counts_every_action_and_clearing_kill_on_the_map() {
        let (bot, rounds) = bot_with_samples().await;
        let map = rounds[0].header.map.clone();
        let on_map: Vec<&Round> = rounds.iter().filter(|r| r.header.map == map).collect();
        let actions: usize = on_map
            .iter()
            .map(|r| r.objective_events.as_deref().unwrap_or_default().len())
            .sum();
        let clears: usize = on_map
            .iter()
            .flat_map(|r| metrics::objective_runs(r))
            .map(|run| run.clears.len())
            .sum();
        assert!(actions > 0 && clears > 0, "{actions} {clears}");
        let scope = Scope {
            map: Some(map.clone()),
            ..Scope::all()
        };
        let (points, n) = queries::heatmap(
            &bot.db.pool,
            proximity::heat::HeatKind::Objectives,
            &scope,
            None,
        )
        .await
        .unwrap();
        assert_eq!(n, on_map.len() as i64);
        let total: i64 = points.iter().map(|p| p.weight).sum();
        assert_eq!(total, (actions + clears) as i64);
        // The same cells once the rounds are in the monthly and yearly totals.
        proximity::store::totals::add_all_pending(&bot.db.pool)
            .await
            .unwrap();
        let (from_totals, _) = queries::heatmap(
            &bot.db.pool,
            proximity::heat::HeatKind::Objectives,
            &scope,
            None,
        )
        .await
        .unwrap();
        assert_eq!(from_totals, points);
        let kind_3: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM heat_totals
             WHERE kind = 3 AND map = $1 AND months = 12 AND server = '*'",
        )
        .bind(&map)
        .fetch_one(&bot.db.pool)
        .await
        .unwrap();
        assert!(kind_3 > 0);
        // One player's: their own actions and clearing kills only.
        let guid = on_map
            .iter()
            .flat_map(|r| r.objective_events.iter().flatten())
            .next()
            .unwrap()
            .player_guid
            .clone();
        let own = on_map
            .iter()
            .map(|r| {
                r.objective_events
                    .iter()
                    .flatten()
                    .filter(|e| e.player_guid == guid)
                    .count()
                    + metrics::objective_runs(r)
                        .iter()
                        .flat_map(|run| &run.clears)
                        .filter(|k| k.killer_guid == guid)
                        .count()
            })
            .sum::<usize>();
        let (mine, _) = queries::heatmap(
            &bot.db.pool,
            proximity::heat::HeatKind::Objectives,
            &scope,
            Some(&guid),
        )
        .await
        .unwrap();
        assert_eq!(mine.iter().map(|p| p.weight).sum::<i64>(), own as i64);

        let kind = 3; // the choice's place: kills, deaths, movement, objectives
        let reply = bot
            .fake
            .invoke(ALICE, "heatmap", json!({"map": map, "kind": kind}))
            .reply(T)
            .await;
        let embed = &reply.embeds[0];
        assert_eq!(
            embed["title"].as_str(),
            Some(format!("Objective heatmap: {map}").as_str())
        );
        assert!(
            embed["description"].as_str().unwrap().starts_with(&format!(
                "{} objective actions and clearing kills from {} rounds",
                actions + clears,
                on_map.len()
            )),
            "{embed}"
        );
        assert_eq!(
            png_size(&reply, "heatmap.png"),
            (render::HEATMAP_WIDTH, render::HEATMAP_HEIGHT)
        );
        bot.finish().await;
    }

    #[tokio::test]
    async fn the_player_card_has_objective_actions_per_round_from_the_files() {
        let (bot, rounds) = bot_with_samples().await;
        let mut per: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for r in rounds.iter().filter(|r| r.objective_events.is_some()) {
            let players: std::collections::BTreeSet<&str> =
                r.tracks.iter().map(|t| t.guid.as_str()).collect();
            for g in players {
                per.entry(g.to_string()).or_default().1 += 1;
            }
            for e in r.objective_events.iter().flatten() {
                if !matches!(e.action, ObjectiveAction::Other(_)) {
                    per.entry(e.player_guid.clone()).or_default().0 += 1;
                }
            }
        }
        let (guid, (actions, played)) = per
            .iter()
            .find(|(g, (a, _))| *a > 0 && !is_bot(g))
            .expect("a player with objective actions");
        let card = queries::player_card(&bot.db.pool, Card::Player, guid, &Scope::all())
            .await
            .unwrap()
            .unwrap();
        let row = card
            .rows
            .iter()
            .find(|r| r.figure.key == "objectives")
            .expect("the objective row");
        assert_eq!(row.value, Some(*actions as f64 / *played as f64));
        let reply = bot
            .fake
            .invoke(BOB, "player", json!({"name": guid}))
            .reply(T)
            .await;
        assert_eq!(
            png_size(&reply, "player.png"),
            (
                render::PLAYER_CARD_WIDTH,
                render::player_card_height(Card::Player.figures().len())
            )
        );
        bot.finish().await;
    }
}
