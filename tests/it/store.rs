//! The store against a real PostgreSQL (one fresh database per test): imports are exactly-once
//! and all-or-nothing, totals are sums of rounds, and queries return the expected rows.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use proximity::format::{self, Outcome, Round};
use proximity::heat::HeatKind;
use proximity::import::{self, ImportError, ImportOutcome};
use proximity::metrics::{self, Better, Card, FIGURES, Figure, MetricParams, PlayerSums};
use proximity::store::queries::{self, Scope};
use proximity::store::{codec, totals};
use proximity::synth::{SynthOptions, synth_round};
use proximity_testkit::TestDb;

const HAND_ROUND: &[u8] = include_bytes!("../fixtures/hand_round.txt");
/// The figures' reference definition over the raw per-round tables, as a temporary view.
const PLAYER_ROUND_FIGURES: &str = include_str!("../fixtures/player_round_figures.sql");

fn samples() -> Vec<(String, Vec<u8>)> {
    let dir = proximity::demo::samples_dir();
    let mut files = import::collect_files(&[dir]).expect("samples");
    files.sort();
    files
        .into_iter()
        .map(|p| (import::file_name_of(&p), std::fs::read(&p).expect("sample")))
        .collect()
}

async fn count(pool: &sqlx::PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .expect("count")
}

const ROUND_TABLES: [&str; 19] = [
    "rounds",
    "round_players",
    "engagements",
    "lives",
    "kill_cells",
    "movement_cells",
    "presence",
    "pair_stats",
    "player_teamplay",
    "round_trade_events",
    "player_trades",
    "player_support",
    "round_reactions",
    "objective_focus",
    "round_revives",
    "round_kill_outcomes",
    "round_spawn_timings",
    "round_weapons",
    "players",
];

/// Tables written from a round's rows: the all-players presence, the monthly/yearly totals and
/// the list of rounds not added to them yet.
const TOTAL_TABLES: [&str; 7] = [
    "round_presence",
    "player_round_totals",
    "player_totals",
    "pair_totals",
    "heat_totals",
    "weapon_totals",
    "totals_pending",
];

/// The rounds not added to the totals yet.
async fn pending(pool: &sqlx::PgPool) -> Vec<i64> {
    sqlx::query_scalar("SELECT round_id FROM totals_pending ORDER BY 1")
        .fetch_all(pool)
        .await
        .expect("pending")
}

async fn import(
    pool: &sqlx::PgPool,
    name: &str,
    bytes: &[u8],
) -> Result<ImportOutcome, ImportError> {
    import::import_bytes(pool, name, bytes.to_vec(), false, &MetricParams::default())
        .await
        .map(|r| r.outcome)
}

/// Whether the pool's connections are encrypted.
async fn uses_tls(pool: &sqlx::PgPool) -> bool {
    sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_local_server_is_reached_without_tls_unless_the_url_asks_for_it() {
    let db = TestDb::new().await;
    let options: sqlx::postgres::PgConnectOptions = db.url.parse().unwrap();
    let local = options.get_host() == "127.0.0.1"
        && !db.url.contains('?')
        && std::env::var_os("PGSSLMODE").is_none();
    if !local {
        eprintln!("skipped: DATABASE_URL is not 127.0.0.1 with no TLS mode");
        db.drop_db().await;
        return;
    }
    assert!(!uses_tls(&db.pool).await);
    let offered: String = sqlx::query_scalar("SHOW ssl")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let required = proximity::store::connect(&format!("{}?sslmode=require", db.url)).await;
    if offered == "on" {
        let pool = required.unwrap();
        assert!(uses_tls(&pool).await);
        pool.close().await;
    } else {
        assert!(required.is_err(), "the server offers no TLS");
    }
    db.drop_db().await;
}

#[tokio::test]
async fn hand_written_round_gives_exact_rows() {
    let db = TestDb::new().await;
    let pool = &db.pool;
    let id = import(pool, "hand.txt", HAND_ROUND)
        .await
        .unwrap()
        .round_id();

    let counts: Vec<i64> = {
        let mut v = Vec::new();
        for t in ROUND_TABLES {
            v.push(count(pool, t).await);
        }
        v
    };
    // rounds, round_players (lives' players), engagements, lives, kill cells, movement cells,
    // presence cells, pairs, teamplay, trade events (one row), player trades, support, reactions
    // (one row), objective focus, revives, kill outcomes, spawn timing, weapons (the hand
    // round has none of the five sections), player directory.
    assert_eq!(
        counts,
        vec![
            1, 2, 2, 2, 1, 1, counts[6], counts[7], 3, 1, counts[10], 2, 1, 1, 0, 0, 0, 0, 3
        ]
    );
    assert!(counts[6] >= 2, "presence cells of two lives");
    // Each engagement keeps its attackers, all 3 of them, as in the file.
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT attackers FROM engagements WHERE round_id = $1 ORDER BY ord")
            .bind(id)
            .fetch_all(pool)
            .await
            .unwrap();
    let parsed = format::parse(HAND_ROUND).unwrap();
    let attackers: Vec<_> = stored
        .iter()
        .map(|b| codec::decode_attackers(b).unwrap())
        .collect();
    let expected: Vec<_> = parsed
        .engagements
        .iter()
        .map(|e| e.attackers.clone())
        .collect();
    assert_eq!(attackers, expected);
    assert_eq!(attackers.iter().map(Vec::len).sum::<usize>(), 3);

    let r = queries::round(pool, id).await.unwrap().unwrap();
    assert_eq!(
        (r.map.as_str(), r.round_number, r.duration_ms),
        ("supply", 2, 720_000)
    );
    assert_eq!(r.played_at.timestamp(), 1_768_070_720);
    assert_eq!(
        (
            r.engagement_count,
            r.crossfire_count,
            r.escape_count,
            r.kill_count,
            r.player_count
        ),
        (2, 1, 1, 1, 3)
    );

    let duos = queries::best_duos(pool, &Scope::all(), 1, 10)
        .await
        .unwrap();
    assert_eq!(duos.len(), 1);
    let d = &duos[0];
    assert_eq!((d.guid_a.as_str(), d.guid_b.as_str()), ("BBBB", "CCCC"));
    assert_eq!(
        (d.name_a.as_slice(), d.name_b.as_slice()),
        (&b"Killer"[..], &b"Helper"[..])
    );
    assert_eq!(
        (
            d.crossfires,
            d.crossfire_kills,
            d.rounds_together,
            d.combined_damage
        ),
        (1, 1, 1, 140)
    );
    assert!(
        queries::best_duos(pool, &Scope::all(), 2, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let (points, rounds) = queries::heatmap(pool, HeatKind::Kills, &Scope::all(), None)
        .await
        .unwrap();
    assert_eq!(rounds, 1);
    assert_eq!(points.len(), 1);
    // The death at (110.5, -220), drawn at the centre of its 64-unit cell [64, 128) x [-256, -192).
    assert_eq!(
        (points[0].x, points[0].y, points[0].weight, points[0].team),
        (96.0, -224.0, 1, Some(2))
    );
    let (mine, _) = queries::heatmap(pool, HeatKind::Deaths, &Scope::all(), Some("AAAA"))
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        mine[0].team,
        Some(1),
        "deaths are coloured by the victim's team"
    );
    let (none, _) = queries::heatmap(pool, HeatKind::Kills, &Scope::all(), Some("AAAA"))
        .await
        .unwrap();
    assert!(none.is_empty());
    // BBBB's one kill, at its victim's death, in the killer's colour; in the round's map only.
    let (kills, rounds) = queries::heatmap(pool, HeatKind::Kills, &Scope::all(), Some("BBBB"))
        .await
        .unwrap();
    let kills: Vec<_> = kills.iter().map(|p| (p.x, p.y, p.weight, p.team)).collect();
    assert_eq!((kills, rounds), (vec![(96.0, -224.0, 1, Some(2))], 1));
    let elsewhere = Scope {
        map: Some("goldrush".into()),
        ..Scope::all()
    };
    let (none, _) = queries::heatmap(pool, HeatKind::Kills, &elsewhere, Some("BBBB"))
        .await
        .unwrap();
    assert!(none.is_empty());

    let s = queries::round_post(pool, id, false).await.unwrap().unwrap();
    let top: Vec<(&str, i64)> = s
        .top_damage
        .iter()
        .map(|p| (p.guid.as_str(), p.value))
        .collect();
    assert_eq!(top, vec![("BBBB", 90), ("CCCC", 50), ("AAAA", 20)]);
    let esc: Vec<(&str, i64)> = s
        .top_escapes
        .iter()
        .map(|p| (p.guid.as_str(), p.value))
        .collect();
    assert_eq!(esc, vec![("CCCC", 1)]);
    assert_eq!(s.best_duo.as_ref().map(|d| d.crossfire_kills), Some(1));
    assert_eq!(s.kills, vec![(110.5, -220.0, Some(2))]);

    // The stored path decodes to the file's path (speed to whole units).
    let path: Vec<u8> =
        sqlx::query_scalar("SELECT path FROM lives WHERE round_id = $1 AND guid = 'AAAA'")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
    let mut expected = parsed.tracks[0].path.clone();
    for s in &mut expected {
        s.speed = s.speed.round();
    }
    assert_eq!(codec::decode_track_path(&path).unwrap(), expected);
    db.drop_db().await;
}

/// The importer writes each round's per-player totals itself; they equal what the SQL view
/// `player_round_figures` (the figures' definition over the raw per-round tables) sums: the
/// counts exactly, the sums of lives' distances and sprint shares to a millionth. SQL adds a group's rows in whatever order the plan reads them, so those floating
/// point sums may differ from the importer's in the last bit.
#[tokio::test]
async fn per_round_totals_written_by_the_importer_equal_the_view_sums() {
    let db = TestDb::new().await;
    for (name, bytes) in samples() {
        import(&db.pool, &name, &bytes).await.unwrap();
    }
    import(&db.pool, "hand.txt", HAND_ROUND).await.unwrap();
    super::gunfights::import_deployed(&db.pool).await;
    let mut tx = db.pool.begin().await.unwrap();
    // Every kind of objective sum is there to compare, not only zeros.
    let objective: Vec<f64> = sqlx::query_scalar(
        "SELECT unnest(ARRAY[sum(ob_rounds), sum(plants), sum(defuses), sum(constructions),
                             sum(runs), sum(run_efficiency_count), sum(cleared_self),
                             sum(cleared_by_team), sum(clears_for_others), sum(carries),
                             sum(carry_time_ms), sum(returns), sum(carrier_kills)]::float8[]
                       || ARRAY[sum(carry_distance), sum(escort_distance)])
         FROM player_round_totals",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert!(objective.iter().all(|&v| v > 0.0), "{objective:?}");
    sqlx::raw_sql(PLAYER_ROUND_FIGURES)
        .execute(&mut *tx)
        .await
        .unwrap();
    let sums: Vec<String> = PlayerSums::COLUMNS
        .iter()
        .map(|c| format!("sum({c})"))
        .collect();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TEMP TABLE written AS SELECT * FROM player_round_totals;
         DELETE FROM player_round_totals;
         INSERT INTO player_round_totals
         SELECT round_id, guid COLLATE \"C\", {sums} FROM player_round_figures GROUP BY 1, 2;
         UPDATE written SET distance = round(distance::numeric, 6),
             sprint_weighted = round(sprint_weighted::numeric, 6),
             spawn_score_sum = round(spawn_score_sum::numeric, 6),
             run_efficiency_sum = round(run_efficiency_sum::numeric, 6),
             carry_distance = round(carry_distance::numeric, 6),
             escort_distance = round(escort_distance::numeric, 6);
         UPDATE player_round_totals SET distance = round(distance::numeric, 6),
             sprint_weighted = round(sprint_weighted::numeric, 6),
             spawn_score_sum = round(spawn_score_sum::numeric, 6),
             run_efficiency_sum = round(run_efficiency_sum::numeric, 6),
             carry_distance = round(carry_distance::numeric, 6),
             escort_distance = round(escort_distance::numeric, 6);",
        sums = sums.join(", ")
    )))
    .execute(&mut *tx)
    .await
    .unwrap();
    let (written, summed, only_written, only_summed): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM player_round_totals),
                (SELECT count(*) FROM (TABLE written EXCEPT TABLE player_round_totals) w),
                (SELECT count(*) FROM (TABLE player_round_totals EXCEPT TABLE written) s)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert!(written > 20, "{written} rows");
    assert_eq!((written, only_written, only_summed), (summed, 0, 0));
    tx.rollback().await.unwrap();
    db.drop_db().await;
}

/// The importer stores the trade events as derived, in order, lists and all.
#[tokio::test]
async fn trade_events_are_stored_as_derived() {
    let db = TestDb::new().await;
    let round = synth_round(&SynthOptions::new("supply", 1, 16, 300, 31));
    let bytes = format::write(&round);
    let id = import(&db.pool, "trades.txt", &bytes)
        .await
        .unwrap()
        .round_id();
    let derived = metrics::derive(&format::parse(&bytes).unwrap(), &MetricParams::default());
    let events = &derived.trades.events;
    assert!(events.iter().any(|e| e.opportunity_guids.len() > 1));
    assert!(events.iter().any(|e| !e.attempt_guids.is_empty()));
    type Row = (
        Vec<i32>,
        Vec<String>,
        Vec<String>,
        Vec<i32>,
        Vec<String>,
        Vec<bool>,
        Vec<i32>,
        Vec<String>,
        Vec<bool>,
        Vec<Option<String>>,
        Vec<Option<i32>>,
        Vec<bool>,
        Vec<Option<String>>,
    );
    let row: Row = sqlx::query_as(
        "SELECT engagement_id, victim_guid, killer_guid, opportunities, opportunity_guids,
                attempted, attempts, attempt_guids, succeeded, trader_guid, trade_delay_ms,
                isolated, nearest_teammate_guid
         FROM round_trade_events WHERE round_id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let (mut opportunities, mut attempts) = (row.4.iter(), row.7.iter());
    let take = |list: &mut std::slice::Iter<String>, n: i32| -> Vec<String> {
        list.by_ref().take(n as usize).cloned().collect()
    };
    let stored: Vec<_> = (0..row.0.len())
        .map(|i| {
            (
                i64::from(row.0[i]),
                row.1[i].clone(),
                row.2[i].clone(),
                take(&mut opportunities, row.3[i]),
                row.5[i],
                take(&mut attempts, row.6[i]),
                row.8[i],
                row.9[i].clone(),
                row.10[i].map(i64::from),
                row.11[i],
                row.12[i].clone(),
            )
        })
        .collect();
    assert!(opportunities.next().is_none() && attempts.next().is_none());
    let expected: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.engagement_id,
                e.victim_guid.clone(),
                e.killer_guid.clone(),
                e.opportunity_guids.clone(),
                e.attempted,
                e.attempt_guids.clone(),
                e.succeeded,
                e.trader_guid.clone(),
                e.trade_delay_ms,
                e.isolated,
                e.nearest_teammate_guid.clone(),
            )
        })
        .collect();
    assert_eq!(stored, expected);
    db.drop_db().await;
}

/// Imports `n` small rounds of `map` (4 players, 30 s each), made different by `seed`.
async fn import_small_rounds(pool: &sqlx::PgPool, map: &str, n: usize, seed: u64) -> Vec<i64> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let o = SynthOptions::new(map, 1 + (i % 2) as u8, 4, 30, seed + i as u64);
        let bytes = format::write(&synth_round(&o));
        let name = format!("{map}-{seed}-{i}.txt");
        ids.push(import(pool, &name, &bytes).await.unwrap().round_id());
    }
    ids
}

/// The player and pair totals equal what `rollup_totals` computes from scratch from the rounds
/// added to them (those not pending). Sums of floating-point figures are compared to 1e-6: a
/// batch adds them in another order.
async fn assert_totals_match_sql(pool: &sqlx::PgPool) {
    let players = "SELECT months, bucket, map, server, guid, life_rounds, lives, kills, deaths,
                          trades_made, su_samples, round(distance::numeric, 6)::text
                   FROM player_totals ORDER BY 1, 2, 3, 4, 5";
    let pairs = "SELECT months, bucket, map, server, guid_a, guid_b, rounds, together, crossfires,
                        crossfire_kills, combined_damage
                 FROM pair_totals ORDER BY 1, 2, 3, 4, 5, 6";
    type PlayerRow = (
        i16,
        DateTime<Utc>,
        String,
        String,
        String,
        i32,
        i32,
        i32,
        i32,
        i32,
        i64,
        String,
    );
    type PairRow = (
        i16,
        DateTime<Utc>,
        String,
        String,
        String,
        String,
        i32,
        i32,
        i64,
        i64,
        i64,
    );
    let kept: (Vec<PlayerRow>, Vec<PairRow>) = (
        sqlx::query_as(players).fetch_all(pool).await.unwrap(),
        sqlx::query_as(pairs).fetch_all(pool).await.unwrap(),
    );
    let mut tx = pool.begin().await.unwrap();
    sqlx::raw_sql(
        "TRUNCATE player_totals, pair_totals;
         SELECT rollup_totals(coalesce(array_agg(id), '{}'), 1) FROM rounds
         WHERE id NOT IN (SELECT round_id FROM totals_pending)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    let computed: (Vec<PlayerRow>, Vec<PairRow>) = (
        sqlx::query_as(players).fetch_all(&mut *tx).await.unwrap(),
        sqlx::query_as(pairs).fetch_all(&mut *tx).await.unwrap(),
    );
    tx.rollback().await.unwrap();
    assert_eq!(kept, computed);
}

/// An import lists its round as pending and leaves the totals alone, until the import that
/// makes a batch: that one adds every pending round. Status counts and queries count pending
/// rounds all along.
#[tokio::test]
async fn the_import_that_makes_a_batch_adds_the_pending_rounds_to_the_totals() {
    let db = TestDb::new().await;
    let batch = totals::BATCH as usize;
    let mut ids = Vec::new();
    for i in 0..batch - 1 {
        ids.extend(import_small_rounds(&db.pool, "supply", 1, 700 + i as u64).await);
        assert_eq!(pending(&db.pool).await, ids);
        assert_eq!(count(&db.pool, "player_totals").await, 0);
        assert_eq!(count(&db.pool, "heat_totals").await, 0);
    }
    assert_status_counts(&db.pool).await;
    assert_period_figures(&db.pool, &Scope::all()).await;

    ids.extend(import_small_rounds(&db.pool, "supply", 1, 700 + batch as u64).await);
    assert!(pending(&db.pool).await.is_empty());
    assert_eq!(count(&db.pool, "rounds").await, batch as i64);
    // Four players on one map, in one month and one year, on the one server and on all.
    assert_eq!(count(&db.pool, "player_totals").await, 16);
    assert_eq!(count(&db.pool, "heat_totals").await, 8);
    assert_totals_match_sql(&db.pool).await;
    assert_heat_totals_match_sql(&db.pool).await;
    assert_status_counts(&db.pool).await;
    assert_period_figures(&db.pool, &Scope::all()).await;
    db.drop_db().await;
}

/// Two callers adding the pending rounds at once add each round once.
#[tokio::test]
async fn pending_rounds_added_by_two_callers_at_once_count_once() {
    let db = TestDb::new().await;
    let ids = import_small_rounds(&db.pool, "frostbite", 12, 900).await;
    assert_eq!(pending(&db.pool).await, ids);
    let (a, b) = tokio::join!(totals::add_pending(&db.pool), totals::add_pending(&db.pool));
    assert_eq!(a.unwrap() + b.unwrap(), ids.len());
    assert!(pending(&db.pool).await.is_empty());
    assert_eq!(totals::add_pending(&db.pool).await.unwrap(), 0);
    assert_totals_match_sql(&db.pool).await;
    assert_heat_totals_match_sql(&db.pool).await;
    assert_period_figures(&db.pool, &Scope::all()).await;
    db.drop_db().await;
}

/// The player directory, `(guid, name, display name, match key)`, by GUID.
async fn directory(pool: &sqlx::PgPool) -> Vec<(String, Vec<u8>, String, String)> {
    sqlx::query_as("SELECT guid, name, display_name, match_key FROM players ORDER BY guid")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The hand-written round, started at `start` (unix seconds), with `edits` applied to its text.
fn hand_round_at(start: i64, edits: &[(&str, &str)]) -> Vec<u8> {
    let mut text = String::from_utf8(HAND_ROUND.to_vec())
        .unwrap()
        .replace(
            "round_start_unix=1768070000",
            &format!("round_start_unix={start}"),
        )
        .replace(
            "round_end_unix=1768070720",
            &format!("round_end_unix={}", start + 720),
        );
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    text.into_bytes()
}

#[tokio::test]
async fn the_directory_keeps_each_players_name_from_the_latest_round() {
    let db = TestDb::new().await;
    let pool = &db.pool;
    import(pool, "hand.txt", HAND_ROUND).await.unwrap();
    let named = |guid: &str, raw: &str, display: &str| {
        (
            guid.to_string(),
            raw.as_bytes().to_vec(),
            display.to_string(),
            display.to_lowercase(),
        )
    };
    // Every GUID of the round, the one seen only as an attacker (CCCC) too.
    let first = vec![
        named("AAAA", "^1Vic^7tim", "Victim"),
        named("BBBB", "Killer", "Killer"),
        named("CCCC", "Helper", "Helper"),
    ];
    assert_eq!(directory(pool).await, first);

    // An earlier round renames nobody.
    import(
        pool,
        "earlier.txt",
        &hand_round_at(1_767_000_000, &[("Killer", "^2Old")]),
    )
    .await
    .unwrap();
    assert_eq!(directory(pool).await, first);

    // A later one renames, except to a name that is empty once cleaned.
    let later = hand_round_at(
        1_769_000_000,
        &[("Killer", "^4New^7Name"), ("Helper", "^7")],
    );
    import(pool, "later.txt", &later).await.unwrap();
    assert_eq!(
        directory(pool).await,
        vec![
            named("AAAA", "^1Vic^7tim", "Victim"),
            named("BBBB", "^4New^7Name", "NewName"),
            named("CCCC", "Helper", "Helper"),
        ]
    );
    assert_eq!(count(pool, "rounds").await, 3);
    db.drop_db().await;
}

#[tokio::test]
async fn same_content_twice_or_under_two_names_is_stored_once() {
    let db = TestDb::new().await;
    let first = import(&db.pool, "a.txt", HAND_ROUND).await.unwrap();
    assert!(matches!(first, ImportOutcome::Imported { .. }));
    assert_eq!(
        import(&db.pool, "a.txt", HAND_ROUND).await.unwrap(),
        ImportOutcome::AlreadyImported {
            round_id: first.round_id()
        }
    );
    assert_eq!(
        import(&db.pool, "renamed.txt", HAND_ROUND).await.unwrap(),
        ImportOutcome::AlreadyImported {
            round_id: first.round_id()
        }
    );
    assert_eq!(count(&db.pool, "rounds").await, 1);
    assert_eq!(count(&db.pool, "engagements").await, 2);
    db.drop_db().await;
}

#[tokio::test]
async fn concurrent_imports_of_one_round_store_it_once() {
    let db = TestDb::new().await;
    let (_, bytes) = samples().swap_remove(0);
    let params = MetricParams::default();
    let (a, b, c) = tokio::join!(
        import::import_bytes(&db.pool, "one.txt", bytes.clone(), false, &params),
        import::import_bytes(&db.pool, "two.txt", bytes.clone(), false, &params),
        import::import_bytes(&db.pool, "three.txt", bytes.clone(), false, &params),
    );
    let outcomes = [a.unwrap().outcome, b.unwrap().outcome, c.unwrap().outcome];
    let imported = outcomes
        .iter()
        .filter(|o| matches!(o, ImportOutcome::Imported { .. }))
        .count();
    assert_eq!(imported, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| o.round_id() == outcomes[0].round_id())
    );
    assert_eq!(count(&db.pool, "rounds").await, 1);
    let parsed = format::parse(&bytes).unwrap();
    assert_eq!(
        count(&db.pool, "engagements").await,
        parsed.engagements.len() as i64
    );
    assert_eq!(count(&db.pool, "lives").await, parsed.tracks.len() as i64);
    db.drop_db().await;
}

#[tokio::test]
async fn a_failure_half_way_leaves_no_rows() {
    let db = TestDb::new().await;
    // Make a late table of the import fail: everything written before it must roll back.
    sqlx::raw_sql(sqlx::AssertSqlSafe(
        "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$;
         CREATE TRIGGER boom BEFORE INSERT ON player_support FOR EACH ROW EXECUTE FUNCTION boom();",
    ))
    .execute(&db.pool)
    .await
    .unwrap();
    let err = import(&db.pool, "hand.txt", HAND_ROUND).await.unwrap_err();
    assert!(err.to_string().contains("disk on fire"), "{err}");
    assert!(!err.is_transient());
    for t in ROUND_TABLES.iter().chain(&TOTAL_TABLES) {
        assert_eq!(count(&db.pool, t).await, 0, "{t} must be empty");
    }
    db.drop_db().await;
}

#[tokio::test]
async fn bad_files_are_refused_with_their_reason_and_store_nothing() {
    let db = TestDb::new().await;
    let cut = &HAND_ROUND[..HAND_ROUND.len() - 20];
    let err = import(&db.pool, "cut.txt", cut).await.unwrap_err();
    assert!(err.to_string().starts_with("cut.txt: "), "{err}");
    assert!(matches!(err, ImportError::Parse { .. }));
    assert_eq!(count(&db.pool, "rounds").await, 0);
    db.drop_db().await;
}

/// A duo's pair and figures: (guid_a, guid_b, crossfires, crossfire kills, rounds together).
fn duo_figures(d: queries::DuoFigures) -> (String, String, i64, i64, i64) {
    (
        d.guid_a,
        d.guid_b,
        d.crossfires,
        d.crossfire_kills,
        d.rounds_together,
    )
}

/// Per-player sums over parsed rounds, computed in Rust with the metrics module.
fn rust_totals(rounds: &[Round]) -> BTreeMap<String, (i64, i64, i64, i64, i64)> {
    let mut totals: BTreeMap<String, (i64, i64, i64, i64, i64)> = BTreeMap::new();
    for r in rounds {
        let m = metrics::derive(r, &MetricParams::default());
        for t in &m.teamplay {
            let e = totals.entry(t.guid.clone()).or_default();
            e.0 += t.crossfire_kills;
            e.1 += t.kills;
            e.2 += t.escapes;
            e.3 += t.damage_taken;
        }
        for p in &m.trades.players {
            totals.entry(p.guid.clone()).or_default().4 += p.trades_made;
        }
    }
    totals
}

fn figure(key: &str) -> &'static Figure {
    Figure::by_key(key).expect("a declared figure")
}

async fn sql_totals(
    pool: &sqlx::PgPool,
    guids: impl Iterator<Item = &String>,
) -> BTreeMap<String, (i64, i64, i64, i64, i64)> {
    let mut out = BTreeMap::new();
    for g in guids {
        if let Some(card) = queries::player_card(pool, Card::Player, g, &Scope::all())
            .await
            .unwrap()
        {
            let me = card.totals;
            out.insert(
                g.clone(),
                (
                    me.crossfire_kills,
                    me.kills,
                    me.escapes,
                    me.damage_taken,
                    me.trades_made,
                ),
            );
        }
    }
    out
}

/// The status counts (read from headline figures and totals) equal the rows they count.
async fn assert_status_counts(pool: &sqlx::PgPool) {
    let counted: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM rounds), (SELECT count(*) FROM engagements),
                (SELECT count(*) FROM lives), (SELECT count(DISTINCT guid) FROM round_players)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let c = queries::db_counts(pool).await.unwrap();
    assert_eq!((c.rounds, c.engagements, c.lives, c.players), counted);
    assert!(c.lives > 0 && c.players > 0);
}

#[tokio::test]
async fn lifetime_totals_are_the_sum_of_their_rounds_and_deleting_a_round_removes_it() {
    let db = TestDb::new().await;
    let files = samples();
    let mut ids = Vec::new();
    for (name, bytes) in &files {
        ids.push(import(&db.pool, name, bytes).await.unwrap().round_id());
    }
    let rounds: Vec<Round> = files
        .iter()
        .map(|(_, b)| format::parse(b).unwrap())
        .collect();
    let expected = rust_totals(&rounds);
    // Players without a life have no profile; every sample player has lives.
    assert_eq!(sql_totals(&db.pool, expected.keys()).await, expected);

    assert_status_counts(&db.pool).await;
    assert!(queries::delete_round(&db.pool, ids[0]).await.unwrap());
    let expected = rust_totals(&rounds[1..]);
    assert_eq!(sql_totals(&db.pool, expected.keys()).await, expected);
    assert_status_counts(&db.pool).await;
    assert_eq!(count(&db.pool, "rounds").await, files.len() as i64 - 1);
    let orphans: i64 = sqlx::query_scalar("SELECT count(*) FROM engagements WHERE round_id = $1")
        .bind(ids[0])
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(orphans, 0);
    db.drop_db().await;
}

#[tokio::test]
async fn sample_queries_match_figures_computed_from_the_files() {
    let db = TestDb::new().await;
    let files = samples();
    for (name, bytes) in &files {
        import(&db.pool, name, bytes).await.unwrap();
    }
    let rounds: Vec<Round> = files
        .iter()
        .map(|(_, b)| format::parse(b).unwrap())
        .collect();
    let params = MetricParams::default();

    // Best duos: pair sums across rounds, ranked by crossfire kills then crossfires.
    let mut pairs: BTreeMap<(String, String), (i64, i64, i64)> = BTreeMap::new();
    for r in &rounds {
        for p in metrics::derive(r, &params).pairs {
            let e = pairs.entry((p.guid_a, p.guid_b)).or_default();
            e.0 += p.crossfires;
            e.1 += p.crossfire_kills;
            e.2 += p.rounds_together;
        }
    }
    let mut expected: Vec<_> = pairs
        .into_iter()
        .filter(|((a, b), v)| v.0 >= 5 && !is_bot(a) && !is_bot(b))
        .map(|((a, b), v)| (a, b, v.0, v.1, v.2))
        .collect();
    expected.sort_by(|x, y| {
        y.3.cmp(&x.3)
            .then(y.2.cmp(&x.2))
            .then(x.0.cmp(&y.0))
            .then(x.1.cmp(&y.1))
    });
    expected.truncate(10);
    let got: Vec<_> = queries::best_duos(&db.pool, &Scope::all(), 5, 10)
        .await
        .unwrap()
        .into_iter()
        .map(duo_figures)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);

    // Kill heatmap: one weight per killed engagement; movement: one per path sample.
    let (points, n) = queries::heatmap(&db.pool, HeatKind::Kills, &Scope::all(), None)
        .await
        .unwrap();
    let kills = rounds
        .iter()
        .flat_map(|r| &r.engagements)
        .filter(|e| e.outcome == Outcome::Killed)
        .count() as i64;
    assert_eq!(
        (points.iter().map(|p| p.weight).sum::<i64>(), n),
        (kills, rounds.len() as i64)
    );
    let (moves, _) = queries::heatmap(&db.pool, HeatKind::Movement, &Scope::all(), None)
        .await
        .unwrap();
    let samples: usize = rounds
        .iter()
        .flat_map(|r| &r.tracks)
        .map(|t| t.path.len())
        .sum();
    assert_eq!(moves.iter().map(|p| p.weight).sum::<i64>(), samples as i64);

    // Map filter: only that map's rounds.
    let supply = Scope {
        map: Some("supply".into()),
        ..Scope::all()
    };
    let (_, n) = queries::heatmap(&db.pool, HeatKind::Kills, &supply, None)
        .await
        .unwrap();
    assert_eq!(n, 2);

    // Leaderboard "kills per life": each player's kills (the engagements they killed in) over
    // their lives (the lives rows), among players with 10 lives.
    let raw: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT l.guid, l.lives,
                (SELECT count(*) FROM engagements e WHERE e.killer_guid = l.guid
                     AND e.outcome = 'killed')
         FROM (SELECT guid, count(*) AS lives FROM lives GROUP BY guid) l
         WHERE l.lives >= 10",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let board = queries::leaderboard(&db.pool, figure("kills per life"), &Scope::all(), 50)
        .await
        .unwrap();
    let mut expected: Vec<(String, f64, i64)> = raw
        .into_iter()
        .filter(|(g, _, _)| !is_bot(g))
        .map(|(g, lives, kills)| (g, kills as f64 / lives as f64, lives))
        .collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    assert!(!expected.is_empty());
    assert_eq!(
        board
            .iter()
            .map(|r| (r.guid.clone(), r.value, r.samples))
            .collect::<Vec<_>>(),
        expected
    );

    // Leaderboard "distance per life": the mean of each player's life distances.
    let mut per_player: BTreeMap<String, (f64, i64)> = BTreeMap::new();
    for r in &rounds {
        for l in metrics::derive(r, &params).lives {
            let e = per_player.entry(l.guid).or_default();
            e.0 += l.distance;
            e.1 += 1;
        }
    }
    let board = queries::leaderboard(&db.pool, figure("distance"), &Scope::all(), 50)
        .await
        .unwrap();
    assert_eq!(
        board.len(),
        per_player
            .iter()
            .filter(|(g, v)| v.1 >= 10 && !is_bot(g))
            .count()
    );
    for row in &board {
        let (sum, lives) = per_player[&row.guid];
        assert_eq!(row.samples, lives);
        assert!((row.value - sum / lives as f64).abs() < 1e-6, "{row:?}");
    }
    assert!(
        board.windows(2).all(|w| w[0].value >= w[1].value),
        "best first"
    );
    for spec in FIGURES {
        let metric = spec.key;
        let rows = queries::leaderboard(&db.pool, spec, &Scope::all(), 10)
            .await
            .unwrap();
        assert!(
            rows.iter().all(|r| r.samples >= spec.min_samples),
            "{metric:?}"
        );
        let ordered = rows.windows(2).all(|w| {
            if spec.better == Better::Lower {
                w[0].value <= w[1].value
            } else {
                w[0].value >= w[1].value
            }
        });
        assert!(ordered, "{metric:?}");
    }

    // Player search: case-insensitive, colour codes ignored, GUID prefix accepted.
    let found = queries::find_players(&db.pool, "redbar", 5).await.unwrap();
    assert_eq!(
        found
            .iter()
            .map(|p| p.display_name.as_str())
            .collect::<Vec<_>>(),
        vec!["RedBaron"]
    );
    let by_guid = queries::find_players(&db.pool, "000000005eed", 25)
        .await
        .unwrap();
    assert_eq!(by_guid.len(), 11, "every non-bot sample player");

    // Storage: bytes per stored path sample, bounded so that the path codec stays compact.
    let (bytes, stored_samples): (i64, i64) =
        sqlx::query_as("SELECT sum(pg_column_size(path))::int8, sum(samples)::int8 FROM lives")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let per_sample = bytes as f64 / stored_samples as f64;
    println!("stored path bytes per sample: {per_sample:.2}");
    assert!(per_sample <= 8.0, "{per_sample:.2} bytes per sample");
    db.drop_db().await;
}

/// The per-player sums of the per-round rows of the rounds in scope (the reference the period
/// queries, which read monthly and yearly totals, must equal).
async fn raw_player_sums(
    pool: &sqlx::PgPool,
    scope: &Scope,
    since: Option<DateTime<Utc>>,
) -> BTreeMap<String, (i64, i64, i64, i64, i64, i64)> {
    let rows: Vec<(String, i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT f.guid, sum(life_rounds)::int8, sum(lives)::int8, sum(kills)::int8,
                sum(crossfire_kills)::int8, sum(trades_made)::int8, sum(tp_rounds)::int8
         FROM player_round_totals f JOIN rounds r ON r.id = f.round_id
         WHERE ($1::text IS NULL OR r.map = $1) AND ($2::timestamptz IS NULL OR r.played_at >= $2)
         GROUP BY f.guid",
    )
    .bind(scope.map.clone())
    .bind(since)
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(g, a, b, c, d, e, f)| (g, (a, b, c, d, e, f)))
        .collect()
}

async fn assert_period_figures(pool: &sqlx::PgPool, scope: &Scope) {
    let since = scope
        .days
        .map(|d| scope.now.unwrap() - chrono::Duration::days(d));
    let what = format!("{scope:?}");
    // Players: the profile (players with a life) and the fight figures (players with a round).
    let raw = raw_player_sums(pool, scope, since).await;
    for (guid, &(life_rounds, lives, kills, crossfire_kills, trades, tp_rounds)) in &raw {
        let profile = queries::player_card(pool, Card::Player, guid, scope)
            .await
            .unwrap();
        match profile.map(|card| card.totals) {
            Some(me) => assert_eq!(
                (
                    me.life_rounds,
                    me.lives,
                    me.kills,
                    me.crossfire_kills,
                    me.trades_made
                ),
                (life_rounds, lives, kills, crossfire_kills, trades),
                "{guid} {what}"
            ),
            None => assert_eq!(life_rounds, 0, "{guid} {what}"),
        }
        let fights = queries::player_card(pool, Card::Engagements, guid, scope)
            .await
            .unwrap();
        assert_eq!(
            fights.map(|card| (card.totals.tp_rounds, card.totals.kills)),
            (tp_rounds > 0).then_some((tp_rounds, kills)),
            "{guid} {what}"
        );
    }
    let ranked = raw.values().filter(|v| v.5 >= 3).count();
    let board = queries::leaderboard(pool, figure("crossfire kills"), scope, 1000)
        .await
        .unwrap();
    assert_eq!(board.len(), ranked, "{what}");
    for row in &board {
        let v = raw[&row.guid];
        assert_eq!(row.samples, v.5, "{what}");
        assert!((row.value - v.3 as f64 / v.5 as f64).abs() < 1e-9, "{what}");
    }

    // Pairs.
    let mut pairs: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT guid_a, guid_b, sum(crossfires)::int8, sum(crossfire_kills)::int8,
                count(*) FILTER (WHERE together)::int8
         FROM pair_stats p JOIN rounds r ON r.id = p.round_id
         WHERE ($1::text IS NULL OR r.map = $1) AND ($2::timestamptz IS NULL OR r.played_at >= $2)
         GROUP BY guid_a, guid_b",
    )
    .bind(scope.map.clone())
    .bind(since)
    .fetch_all(pool)
    .await
    .unwrap();
    pairs.sort_by(|x, y| (y.3, y.2, &x.0, &x.1).cmp(&(x.3, x.2, &y.0, &y.1)));
    let duos: Vec<_> = queries::best_duos(pool, scope, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(duo_figures)
        .collect();
    assert_eq!(duos, pairs, "{what}");

    // Heatmaps: every killed engagement once, every path sample once.
    let (deaths, samples): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM engagements e JOIN rounds r ON r.id = e.round_id
                 WHERE e.death_x IS NOT NULL AND ($1::text IS NULL OR r.map = $1)
                   AND ($2::timestamptz IS NULL OR r.played_at >= $2)),
                (SELECT coalesce(sum(c.samples), 0)::int8 FROM presence c
                 JOIN rounds r ON r.id = c.round_id
                 WHERE ($1::text IS NULL OR r.map = $1)
                   AND ($2::timestamptz IS NULL OR r.played_at >= $2))",
    )
    .bind(scope.map.clone())
    .bind(since)
    .fetch_one(pool)
    .await
    .unwrap();
    let (kills, _) = queries::heatmap(pool, HeatKind::Kills, scope, None)
        .await
        .unwrap();
    assert_eq!(
        kills.iter().map(|p| p.weight).sum::<i64>(),
        deaths,
        "{what}"
    );
    let (moves, _) = queries::heatmap(pool, HeatKind::Movement, scope, None)
        .await
        .unwrap();
    assert_eq!(
        moves.iter().map(|p| p.weight).sum::<i64>(),
        samples,
        "{what}"
    );
}

/// The heatmap totals, cell by cell: batches of rounds are merged into them in Rust, deletions
/// subtract them in SQL; both must equal what `rollup_heat` computes from the per-round rows of
/// the rounds added to the totals (those not pending).
async fn assert_heat_totals_match_sql(pool: &sqlx::PgPool) {
    let cells = "SELECT months, bucket, map, server, kind, u.x, u.y, u.kt, u.tt, u.n::int8
                 FROM heat_totals, unnest(cell_x, cell_y, killer_team, target_team, n)
                     AS u(x, y, kt, tt, n)
                 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9";
    type HeatCell = (
        i16,
        DateTime<Utc>,
        String,
        String,
        i16,
        i32,
        i32,
        i16,
        i16,
        i64,
    );
    let kept: Vec<HeatCell> = sqlx::query_as(cells).fetch_all(pool).await.unwrap();
    assert!(
        kept.iter().all(|c| c.9 > 0),
        "no empty or negative cell is kept"
    );
    let mut tx = pool.begin().await.unwrap();
    sqlx::raw_sql(
        "TRUNCATE heat_totals; SELECT rollup_heat(coalesce(array_agg(id), '{}'), 1) FROM rounds
         WHERE id NOT IN (SELECT round_id FROM totals_pending)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    let computed: Vec<HeatCell> = sqlx::query_as(cells).fetch_all(&mut *tx).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(!kept.is_empty());
    assert_eq!(kept, computed);
}

/// Rounds over two and a half years, on both sides of month and year boundaries: every period
/// query (whole years and months from the totals, the rest from per-round rows) equals the sums
/// of its rounds' rows, whether the rounds have been added to the totals or are still pending,
/// before and after rounds of both kinds are deleted; deleting every round empties the totals.
#[tokio::test]
async fn period_queries_equal_the_sums_of_their_rounds() {
    let db = TestDb::new().await;
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let ends = [
        "2023-11-30T23:59:59Z",
        "2024-06-15T20:00:00Z",
        "2024-12-31T23:59:59Z",
        "2025-01-01T00:00:00Z",
        "2025-03-31T23:59:00Z",
        "2025-04-01T00:00:00Z",
        "2025-12-31T23:00:00Z",
        "2026-01-05T20:00:00Z",
        "2026-01-20T20:00:00Z",
        "2026-02-01T00:00:00Z",
    ];
    let mut ids = Vec::new();
    for (i, end) in ends.iter().enumerate() {
        let map = if i % 3 == 0 { "frostbite" } else { "supply" };
        let mut o = SynthOptions::new(map, 1 + (i % 2) as u8, 6, 60, 100 + i as u64);
        o.start_unix = at(end).timestamp() - 60;
        let bytes = format::write(&synth_round(&o));
        let id = import(&db.pool, &format!("r{i}.txt"), &bytes)
            .await
            .unwrap()
            .round_id();
        let played: DateTime<Utc> =
            sqlx::query_scalar("SELECT played_at FROM rounds WHERE id = $1")
                .bind(id)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(played, at(end), "the round is played when it ends");
        ids.push(id);
        // The first six rounds in the totals, the last four pending: in the partial month of a
        // period and in the whole months and years read from the totals.
        if i == 5 {
            assert_eq!(totals::add_all_pending(&db.pool).await.unwrap(), 6);
        }
    }
    assert_eq!(pending(&db.pool).await, ids[6..].to_vec());
    let now = at("2026-02-10T12:00:00Z");
    let scopes = |maps: &[Option<&str>]| {
        let mut v = Vec::new();
        for map in maps {
            for days in [
                None,
                Some(1),
                Some(9),
                Some(10),
                Some(30),
                Some(41),
                Some(70),
            ]
            .into_iter()
            .chain([
                Some(315),
                Some(316),
                Some(365),
                Some(406),
                Some(407),
                Some(800),
            ]) {
                v.push(Scope {
                    map: map.map(str::to_string),
                    days,
                    now: Some(now),
                    bots: false,
                    server: None,
                });
            }
        }
        v
    };
    for scope in scopes(&[None, Some("supply")]) {
        assert_period_figures(&db.pool, &scope).await;
    }
    assert_heat_totals_match_sql(&db.pool).await;

    // Deleting rounds (by hand, as an admin would) takes them out of every total: one added to
    // the totals, one pending.
    sqlx::query("DELETE FROM rounds WHERE id = ANY($1)")
        .bind(vec![ids[2], ids[8]])
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(pending(&db.pool).await, vec![ids[6], ids[7], ids[9]]);
    for scope in scopes(&[None, Some("frostbite")]) {
        assert_period_figures(&db.pool, &scope).await;
    }
    assert_heat_totals_match_sql(&db.pool).await;

    // The pending rounds added to the totals: the same figures, now from the totals.
    assert_eq!(totals::add_all_pending(&db.pool).await.unwrap(), 3);
    assert!(pending(&db.pool).await.is_empty());
    for scope in scopes(&[None, Some("supply")]) {
        assert_period_figures(&db.pool, &scope).await;
    }
    assert_heat_totals_match_sql(&db.pool).await;

    let totals = |pool: sqlx::PgPool| async move {
        let q = "SELECT (SELECT count(*) FROM player_totals) + (SELECT count(*) FROM pair_totals)
                      + (SELECT count(*) FROM heat_totals)";
        sqlx::query_scalar::<_, i64>(q)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    sqlx::query("DELETE FROM rounds")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        totals(db.pool.clone()).await,
        0,
        "no total outlives its rounds"
    );
    for t in ROUND_TABLES.iter().chain(&TOTAL_TABLES) {
        if *t != "players" {
            assert_eq!(
                count(&db.pool, t).await,
                0,
                "{t} keeps no row of a deleted round"
            );
        }
    }
    db.drop_db().await;
}

/// The sums declared in Rust are the figure columns of both tables, in order: the importer
/// writes them by position and the readers name them.
#[tokio::test]
async fn the_declared_sums_are_the_columns_of_the_per_round_and_period_totals() {
    let db = TestDb::new().await;
    // The key columns; player_totals got its server after the figures of 0001 to 0009.
    let key = ["round_id", "months", "bucket", "map", "server", "guid"];
    for table in ["player_round_totals", "player_totals"] {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT attname::text FROM pg_attribute
             WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        )
        .bind(table)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let figures: Vec<&str> = columns
            .iter()
            .map(String::as_str)
            .filter(|c| !key.contains(c))
            .collect();
        assert_eq!(figures, *PlayerSums::COLUMNS, "{table}");
    }
    db.drop_db().await;
}

// ---------------------------------------------------------------------------------------------
// One round is one round

/// The first sample round and copies of it that differ only in their bytes.
fn byte_variants() -> Vec<(&'static str, Vec<u8>, bool)> {
    let (_, bytes) = samples().remove(0);
    let text = String::from_utf8(bytes.clone()).expect("a sample is text");
    let crlf = text.replace('\n', "\r\n").into_bytes();
    let no_end = text.replace("\n# END\n", "\n").into_bytes();
    let mut trailing = bytes.clone();
    trailing.extend_from_slice(b"\n\n");
    vec![
        ("a.txt", bytes, false),
        ("crlf.txt", crlf, false),
        // Without its end marker only a caller that knows the file stopped growing imports it.
        ("no-end.txt", no_end, true),
        ("trailing.txt", trailing, false),
    ]
}

#[tokio::test]
async fn copies_of_a_round_that_differ_only_in_bytes_are_one_round() {
    let db = TestDb::new().await;
    let (_, bytes) = samples().remove(0);
    let engagements = format::parse(&bytes).unwrap().engagements.len() as i64;
    let mut outcomes = Vec::new();
    for (name, bytes, complete) in byte_variants() {
        let report =
            import::import_bytes(&db.pool, name, bytes, complete, &MetricParams::default())
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        outcomes.push(report.outcome);
    }
    let first = outcomes[0].round_id();
    assert_eq!(
        outcomes,
        vec![
            ImportOutcome::Imported { round_id: first },
            ImportOutcome::AlreadyImported { round_id: first },
            ImportOutcome::AlreadyImported { round_id: first },
            ImportOutcome::AlreadyImported { round_id: first },
        ]
    );
    assert_eq!(count(&db.pool, "rounds").await, 1);
    assert_eq!(
        queries::db_counts(&db.pool).await.unwrap().engagements,
        engagements
    );
    db.drop_db().await;
}

/// The round cut at half its length, as a file that was still being written: the fights and
/// lives that had begun, no end marker.
fn first_half(round: &Round) -> Round {
    let mut partial = round.clone();
    let half = round.end_time() / 2;
    partial.engagements.retain(|e| e.end_time < half);
    partial
        .tracks
        .retain(|t| t.death_time.is_some_and(|d| d < half));
    let kept: std::collections::BTreeSet<i64> = partial.engagements.iter().map(|e| e.id).collect();
    if let Some(reactions) = &mut partial.reactions {
        reactions.retain(|r| kept.contains(&r.engagement_id));
    }
    partial.has_end_marker = false;
    partial
}

/// Every total row, with the floating-point sums to a millionth (a round added and subtracted
/// again may leave the last bits).
async fn totals_snapshot(pool: &sqlx::PgPool) -> Vec<String> {
    let sums: Vec<String> = PlayerSums::COLUMNS
        .iter()
        .zip(PlayerSums::default().values())
        .map(|(c, v)| match v {
            metrics::SumValue::Real(_) => format!("round({c}::numeric, 6)"),
            _ => c.to_string(),
        })
        .collect();
    let sql = format!(
        "SELECT format('%s', t) FROM (
             SELECT months, bucket, map, server, guid, {} FROM player_totals) t
         UNION ALL SELECT format('%s', p) FROM pair_totals p
         UNION ALL SELECT format('%s', h) FROM heat_totals h
         UNION ALL SELECT format('%s', (f.guid, f.kills, f.lives)) FROM player_round_totals f
         ORDER BY 1",
        sums.join(", ")
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_finished_file_replaces_its_partial_import_and_the_totals_follow() {
    let (_, bytes) = samples().remove(0);
    let round = format::parse(&bytes).unwrap();
    let partial = format::write(&first_half(&round));
    let params = MetricParams::default();

    let clean = TestDb::new().await;
    import(&clean.pool, "round.txt", &bytes).await.unwrap();
    totals::add_all_pending(&clean.pool).await.unwrap();

    let db = TestDb::new().await;
    let first = import::import_bytes(&db.pool, "round.txt", partial, true, &params)
        .await
        .unwrap();
    let ImportOutcome::Imported {
        round_id: partial_id,
    } = first.outcome
    else {
        panic!("{first:?}");
    };
    // The partial round counts in the totals before the finished file arrives.
    totals::add_all_pending(&db.pool).await.unwrap();
    assert!(totals_snapshot(&db.pool).await.len() > 10);
    let finished = import::import_bytes(&db.pool, "round.txt", bytes.clone(), false, &params)
        .await
        .unwrap();
    let ImportOutcome::Replaced {
        round_id, previous, ..
    } = finished.outcome
    else {
        panic!("{finished:?}");
    };
    assert_eq!(previous, partial_id);
    assert!(finished.describe().contains("replacing the partial round"));
    // Seen again, either file is the stored round.
    assert_eq!(
        import(&db.pool, "round.txt", &bytes).await.unwrap(),
        ImportOutcome::AlreadyImported { round_id }
    );
    let again = import::import_bytes(
        &db.pool,
        "partial.txt",
        format::write(&first_half(&round)),
        true,
        &params,
    )
    .await
    .unwrap();
    assert_eq!(again.outcome, ImportOutcome::AlreadyImported { round_id });

    totals::add_all_pending(&db.pool).await.unwrap();
    assert_eq!(count(&db.pool, "rounds").await, 1);
    for table in ROUND_TABLES {
        assert_eq!(
            count(&db.pool, table).await,
            count(&clean.pool, table).await,
            "{table}"
        );
    }
    assert_eq!(
        totals_snapshot(&db.pool).await,
        totals_snapshot(&clean.pool).await
    );
    clean.drop_db().await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_failure_quoting_a_nul_byte_is_logged_with_the_byte_escaped() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let text = String::from_utf8(HAND_ROUND.to_vec()).unwrap();
    let bad = text.replacen(";140;BBBB;", ";1\u{0}4;BBBB;", 1);
    assert_ne!(bad, text);
    let path = dir.path().join("nul_engagements.txt");
    std::fs::write(&path, bad).unwrap();
    let err = import::import_path(&db.pool, &path, false, &MetricParams::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains('\0'),
        "the error quotes the byte: {err}"
    );
    let log = proximity::store::import_log::import_log(&db.pool)
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "the attempt is recorded");
    assert_eq!(
        log[0].status,
        proximity::store::import_log::ImportStatus::Failed
    );
    let stored = log[0].error.as_deref().unwrap();
    assert!(stored.contains("field total_damage"), "{stored}");
    assert!(stored.contains("`1\\04` is not a whole number"), "{stored}");
    assert_eq!(count(&db.pool, "rounds").await, 0);
    db.drop_db().await;
}

#[tokio::test]
async fn an_impossible_row_refuses_the_file_naming_its_line_and_stores_nothing() {
    let db = TestDb::new().await;
    let text = String::from_utf8(HAND_ROUND.to_vec()).unwrap();
    let line = text.lines().position(|l| l.starts_with("1;")).unwrap() + 1;
    let row = text.lines().nth(line - 1).unwrap();
    let fields: Vec<&str> = row.splitn(5, ';').collect();
    let (start, end, duration) = (fields[1], fields[2], fields[3]);
    let bad = text.replacen(
        &format!("1;{start};{end};{duration};"),
        &format!("1;{end};{start};{duration};"),
        1,
    );
    let err = import(&db.pool, "bad.txt", bad.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "bad.txt: line {line}, section ENGAGEMENTS, field end_time: {start} ms is before \
             start_time {end} ms"
        )
    );
    for table in ROUND_TABLES {
        assert_eq!(count(&db.pool, table).await, 0, "{table}");
    }
    db.drop_db().await;
}

#[tokio::test]
async fn a_header_player_count_that_disagrees_with_the_rows_is_reported_not_refused() {
    let db = TestDb::new().await;
    let text = String::from_utf8(HAND_ROUND.to_vec()).unwrap();
    let with_count = text.replacen("# round_end_unix=", "# players=12\n# round_end_unix=", 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("count_engagements.txt");
    std::fs::write(&path, with_count).unwrap();
    let report = import::import_path(&db.pool, &path, false, &MetricParams::default())
        .await
        .unwrap();
    let players: i32 = sqlx::query_scalar("SELECT player_count FROM rounds")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let note = format!(
        "header players=12 disagrees with the {players} players in the rows; the rows are used"
    );
    assert_eq!(report.notes, vec![note.clone()]);
    assert!(report.describe().ends_with(&format!("; note: {note}")));
    let logged: Vec<String> = sqlx::query_scalar("SELECT unnest(notes) FROM import_log")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(logged, vec![note]);
    db.drop_db().await;
}

#[tokio::test]
async fn a_server_ending_the_session_means_the_database_is_unavailable() {
    let db = TestDb::new().await;
    let sleeper = {
        let pool = db.pool.clone();
        tokio::spawn(async move {
            sqlx::query("SELECT pg_sleep(30)")
                .execute(&pool)
                .await
                .map(|_| ())
        })
    };
    let pid = loop {
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'
             AND datname = current_database()",
        )
        .fetch_optional(&db.pool)
        .await
        .unwrap();
        if let Some(pid) = found {
            break pid;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .execute(&db.pool)
        .await
        .unwrap();
    let e = sleeper.await.unwrap().unwrap_err();
    assert!(proximity::store::is_connection_error(&e), "{e:?}");
    assert!(proximity::store::StoreError::from(e).is_unavailable());
    db.drop_db().await;
}

#[tokio::test]
async fn a_database_from_another_version_is_refused_with_what_to_do() {
    let db = TestDb::new().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99, 'from elsewhere', true, '\\x00', 0)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let e = proximity::store::connect(&db.url).await.unwrap_err();
    assert!(
        matches!(e, proximity::store::StoreError::ForeignSchema(99)),
        "{e:?}"
    );
    assert!(e.to_string().contains("use an empty database"), "{e}");
    db.drop_db().await;
}

/// Omni-bots, which rankings leave out by default.
fn is_bot(guid: &str) -> bool {
    guid.to_uppercase().starts_with("OMNIBOT")
}

/// A question about one server, as every command and page asks it: each figure's ranking and
/// each heatmap kind, with bots.
async fn server_answers(pool: &sqlx::PgPool, server: &str) -> Vec<String> {
    let scope = Scope {
        server: Some(server.to_string()),
        bots: true,
        ..Scope::all()
    };
    let mut answers = Vec::new();
    for figure in FIGURES {
        let ranked = queries::leaderboard(pool, figure, &scope, 100)
            .await
            .unwrap();
        // Float sums are added in another order by the totals.
        answers.push(format!(
            "{}: {:?}",
            figure.key,
            ranked
                .iter()
                .map(|r| (r.guid.clone(), format!("{:.6}", r.value), r.samples))
                .collect::<Vec<_>>()
        ));
    }
    for kind in [
        HeatKind::Kills,
        HeatKind::Deaths,
        HeatKind::Movement,
        HeatKind::Objectives,
    ] {
        let (points, rounds) = queries::heatmap(pool, kind, &scope, None).await.unwrap();
        answers.push(format!("{kind:?}: {rounds} rounds, {points:?}"));
    }
    answers
}

/// Rounds of two servers stored under migration 10 were counted in totals that had no server.
/// The upgrade keeps those as the rows of all servers and adds each server's own: every total
/// equals its rounds again, one server's answers read from the totals equal those read from its
/// rounds, and later batches and deletions keep it so.
#[tokio::test]
async fn the_upgrade_to_totals_per_server_gives_each_server_its_rows() {
    let db = TestDb::at_version(10).await;
    // This importer also writes the column migration 12 adds; it goes again before the upgrade.
    sqlx::raw_sql("ALTER TABLE rounds ADD COLUMN figures_version smallint NOT NULL DEFAULT 1")
        .execute(&db.pool)
        .await
        .unwrap();
    let params = MetricParams::default();
    let import = |seed: u64, server: &'static str| {
        let pool = db.pool.clone();
        let params = params.clone();
        async move {
            let map = ["supply", "goldrush", "radar"][seed as usize % 3];
            let round = synth_round(&SynthOptions::new(map, 1, 8, 120, seed));
            import::import_bytes_from(
                &pool,
                server,
                &format!("2026-02-{seed:02}-120000-{map}-round-1_engagements.txt"),
                format::write(&round),
                false,
                &params,
            )
            .await
            .unwrap();
        }
    };
    for seed in 1..=6 {
        import(seed, if seed % 2 == 0 { "eu" } else { "default" }).await;
    }
    // The totals as migration 10's functions kept them, for every round but the last.
    sqlx::raw_sql(
        "SELECT rollup_rounds(ARRAY(SELECT round_id FROM totals_pending
                                    WHERE round_id < (SELECT max(id) FROM rounds)), 1);
         DELETE FROM totals_pending WHERE round_id < (SELECT max(id) FROM rounds);
         ALTER TABLE rounds DROP COLUMN figures_version;",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    proximity::store::MIGRATOR.run(&db.pool).await.unwrap();

    assert_totals_match_sql(&db.pool).await;
    assert_heat_totals_match_sql(&db.pool).await;
    crate::gunfights::assert_weapon_totals_are_their_rounds(&db.pool).await;
    let servers: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT server FROM player_totals ORDER BY 1")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(servers, ["*", "default", "eu"]);

    // Answers about one server: from its rounds while they are pending, then from its totals.
    for seed in 7..=10 {
        import(seed, "eu").await;
    }
    let pending: Vec<(String, Vec<String>)> = [
        ("eu", server_answers(&db.pool, "eu").await),
        ("default", server_answers(&db.pool, "default").await),
    ]
    .map(|(s, a)| (s.to_string(), a))
    .into();
    // Before the batch, the rounds of `eu` not yet in the totals are read from their rows.
    totals::add_all_pending(&db.pool).await.unwrap();
    assert_eq!(count(&db.pool, "totals_pending").await, 0);
    for (server, answers) in &pending {
        assert_eq!(&server_answers(&db.pool, server).await, answers, "{server}");
    }
    assert_totals_match_sql(&db.pool).await;
    assert_heat_totals_match_sql(&db.pool).await;
    crate::gunfights::assert_weapon_totals_are_their_rounds(&db.pool).await;

    // Deleting a round of `eu` takes it out of that server's rows only.
    let default_before = server_answers(&db.pool, "default").await;
    sqlx::query("DELETE FROM rounds WHERE id = (SELECT min(id) FROM rounds WHERE server = 'eu')")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(server_answers(&db.pool, "default").await, default_before);
    assert_totals_match_sql(&db.pool).await;
    assert_heat_totals_match_sql(&db.pool).await;
    crate::gunfights::assert_weapon_totals_are_their_rounds(&db.pool).await;
    db.drop_db().await;
}

/// A round's per-player rows without its id, and its objective runs.
async fn derived_rows(pool: &sqlx::PgPool, round_id: i64) -> (Vec<String>, i64) {
    let players = sqlx::query_scalar(
        "SELECT (to_jsonb(f) - 'round_id')::text FROM player_round_totals f
         WHERE f.round_id = $1 ORDER BY f.guid",
    )
    .bind(round_id)
    .fetch_all(pool)
    .await
    .unwrap();
    let runs = sqlx::query_scalar("SELECT count(*) FROM round_objective_runs WHERE round_id = $1")
        .bind(round_id)
        .fetch_one(pool)
        .await
        .unwrap();
    (players, runs)
}

/// Rounds stored between migrations 8 and 9 have objective rows but no objective figures. The
/// upgrade finds them; reading them again from their files gives them the figures a fresh import
/// gives, in place (label and posted summary kept, totals following); a round whose file is gone
/// is named with its path and left as it is.
#[tokio::test]
async fn rounds_with_figures_of_an_older_version_are_read_again_from_their_files() {
    use proximity::import::rederive::{self, Rederived};
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let params = MetricParams::default();
    let mut ids = Vec::new();
    for seed in [41, 42, 43] {
        let path = dir.path().join(format!(
            "2026-03-{seed}-120000-supply-round-1_engagements.txt"
        ));
        let round = synth_round(&SynthOptions::new("supply", 1, 10, 300, seed));
        std::fs::write(&path, format::write(&round)).unwrap();
        let report = import::import_path_from(&db.pool, "eu", &path, false, &params)
            .await
            .unwrap();
        ids.push((report.outcome.round_id(), path));
    }
    let (stale, _) = &ids[0];
    let fresh = derived_rows(&db.pool, *stale).await;
    assert!(fresh.1 > 0, "the round has objective runs");

    // As migration 9 left such rounds: objective figures 0, no runs; then into the totals.
    let zeroed: Vec<String> = [
        "plants",
        "defuses",
        "destructions",
        "constructions",
        "repairs",
        "captures",
        "secures",
        "objective_actions",
        "runs",
        "run_approach_sum_ms",
        "run_approach_count",
        "run_efficiency_sum",
        "run_efficiency_count",
        "cleared_self",
        "cleared_by_team",
        "clears_for_others",
        "carries",
        "carry_time_ms",
        "carry_distance",
        "returns",
        "carrier_kills",
        "escort_distance",
    ]
    .iter()
    .map(|c| format!("{c} = 0"))
    .collect();
    for (id, _) in [&ids[0], &ids[2]] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE player_round_totals SET {} WHERE round_id = $1",
            zeroed.join(", ")
        )))
        .bind(id)
        .execute(&db.pool)
        .await
        .unwrap();
        sqlx::query("DELETE FROM round_objective_runs WHERE round_id = $1")
            .bind(id)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE rounds SET summary_posted_at = '2026-03-01T00:00:00Z' WHERE id = $1")
        .bind(stale)
        .execute(&db.pool)
        .await
        .unwrap();
    totals::add_all_pending(&db.pool).await.unwrap();
    std::fs::remove_file(&ids[2].1).unwrap();
    // The database as it was before migration 12.
    sqlx::raw_sql(
        "ALTER TABLE rounds DROP COLUMN figures_version;
         DELETE FROM _sqlx_migrations WHERE version = 12;",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    proximity::store::MIGRATOR.run(&db.pool).await.unwrap();
    let found: Vec<i64> = rederive::stale_rounds(&db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.round_id)
        .collect();
    assert_eq!(found, [ids[0].0, ids[2].0]);

    let mut lines = Vec::new();
    let (done, left) = rederive::rederive_all(&db.pool, &params, |round, result| {
        assert_eq!(
            matches!(result, Rederived::Done(_)),
            round.round_id == *stale
        );
        lines.push(result.describe(round));
    })
    .await
    .unwrap();
    assert_eq!((done, left), (1, 1));
    assert!(lines[0].contains("read again as round #"), "{}", lines[0]);
    assert_eq!(
        lines[1],
        format!(
            "round #{}: {} is gone; import a copy of it to bring its figures up to date",
            ids[2].0,
            ids[2].1.display()
        )
    );

    let (new_id, server, version, posted): (i64, String, i16, bool) = sqlx::query_as(
        "SELECT r.id, r.server, r.figures_version, r.summary_posted_at IS NOT NULL
         FROM import_log l JOIN rounds r ON r.id = l.round_id WHERE l.path = $1",
    )
    .bind(ids[0].1.to_string_lossy().as_ref())
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_ne!(new_id, *stale);
    assert_eq!(
        (server.as_str(), version, posted),
        ("eu", proximity::import::FIGURES_VERSION, true)
    );
    assert_eq!(derived_rows(&db.pool, new_id).await, fresh);
    assert_eq!(count(&db.pool, "rounds").await, 3);
    totals::add_all_pending(&db.pool).await.unwrap();
    assert_totals_match_sql(&db.pool).await;
    assert_heat_totals_match_sql(&db.pool).await;
    // Once read again, a round is up to date: only the one whose file is gone is left.
    let again = rederive::rederive_all(&db.pool, &params, |_, _| {})
        .await
        .unwrap();
    assert_eq!(again, (0, 1));
    db.drop_db().await;
}
