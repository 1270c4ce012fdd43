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
    let description = round_posts::round_embed(&post)
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
    let ImportOutcome::Replaced { round_id, previous } = again else {
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
    let description = round_posts::round_embed(&post)
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
