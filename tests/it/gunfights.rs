//! Medics, gunfights and spawn timing in the store: both trackers' files import their sections
//! exactly, a round stored without them is filled in once, totals follow every import and
//! deletion, and the reads behind `/weapons` and `/medics` equal sums over the raw rows.

use std::collections::BTreeMap;

use proximity::format::{self, GameSection, KillFate, Round, is_bullet_weapon};
use proximity::import::{self, ImportOutcome};
use proximity::metrics::{MetricParams, weapon_uses};
use proximity::store::queries::{self, Scope};
use proximity::store::totals;
use proximity::synth::{SynthOptions, synth_round};
use proximity_testkit::TestDb;

const DEPLOYED: &[u8] = include_bytes!("../fixtures/deployed_v6_round.txt");
pub(crate) const AX1: &str = "1A2B3C4D5E6F70811A2B3C4D5E6F7081";
pub(crate) const AX2: &str = "2B3C4D5E6F7081922B3C4D5E6F708192";
pub(crate) const AL1: &str = "3C4D5E6F708192A33C4D5E6F708192A3";
pub(crate) const AL2: &str = "4D5E6F708192A3B44D5E6F708192A3B4";

/// Imports the deployed tracker's fixture file as complete; its round id.
pub(crate) async fn import_deployed(pool: &sqlx::PgPool) -> i64 {
    import_file(
        pool,
        "2026-01-10-183820-supply-round-1_engagements.txt",
        DEPLOYED,
        true,
    )
    .await
    .round_id()
}

/// Imports `bytes` as the file `name`; its outcome.
pub(crate) async fn import_file(
    pool: &sqlx::PgPool,
    name: &str,
    bytes: &[u8],
    complete: bool,
) -> ImportOutcome {
    import::import_bytes(
        pool,
        name,
        bytes.to_vec(),
        complete,
        &MetricParams::default(),
    )
    .await
    .expect("imports")
    .outcome
}

/// `(guid, revives_given, revives_received, enemy_downs, gibs, time_denied_ms, shots, hits,
/// headshots, wa_rounds, spawn_score_count)` of each player in the round.
type Sums = (String, i32, i32, i32, i32, i64, i64, i64, i64, i32, i32);

async fn round_sums(pool: &sqlx::PgPool, round_id: i64) -> Vec<Sums> {
    sqlx::query_as(
        "SELECT guid, revives_given, revives_received, enemy_downs, gibs, time_denied_ms, shots,
                hits, headshots, wa_rounds, spawn_score_count
         FROM player_round_totals WHERE round_id = $1 ORDER BY guid",
    )
    .bind(round_id)
    .fetch_all(pool)
    .await
    .expect("sums")
}

#[tokio::test]
async fn the_deployed_trackers_v6_file_imports_its_sections_row_for_row() {
    let db = TestDb::new().await;
    let id = import_deployed(&db.pool).await;
    let recorded: i16 = sqlx::query_scalar("SELECT recorded FROM rounds WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    // Every section but HIT_REGIONS, which this file does not hold.
    assert_eq!(recorded, 0b1_1111_0111);
    let (medics, revived, under_fire): (Vec<String>, Vec<String>, Vec<bool>) = sqlx::query_as(
        "SELECT medic_guid, revived_guid, under_fire FROM round_revives WHERE round_id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (medics, revived, under_fire),
        (
            vec![AL2.to_string(), AX2.to_string()],
            vec![AL1.to_string(), AX1.to_string()],
            vec![false, true]
        )
    );
    let (outcomes, teams, denied): (Vec<String>, Vec<i16>, Vec<i32>) = sqlx::query_as(
        "SELECT outcome, victim_team, denied_ms FROM round_kill_outcomes WHERE round_id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (outcomes, teams, denied),
        (
            ["tapped_out", "round_end", "revived", "gibbed"]
                .map(String::from)
                .to_vec(),
            vec![2, 1, 1, 2],
            vec![5000, 2000, 4000, 10000]
        )
    );
    let weapons: Vec<(String, i16, i32, i32, i32, i32)> = sqlx::query_as(
        "SELECT guid, weapon, shots, hits, kills, headshots FROM round_weapons
         WHERE round_id = $1 ORDER BY guid, weapon",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        weapons,
        [
            (AX1.to_string(), 3, 45, 9, 1, 1),
            (AX2.to_string(), 2, 10, 4, 1, 0),
            (AX2.to_string(), 11, 1, 0, 0, 0),
            (AL1.to_string(), 8, 60, 12, 2, 3),
            (AL2.to_string(), 10, 30, 3, 0, 1),
        ]
    );
    // The per-player sums, each from the file's rows: bullets only (the syringe stays out).
    assert_eq!(
        round_sums(&db.pool, id).await,
        [
            (AX1.into(), 0, 1, 1, 1, 10000, 45, 9, 1, 1, 1),
            (AX2.into(), 1, 0, 1, 0, 5000, 10, 4, 0, 1, 1),
            (AL1.into(), 0, 1, 1, 0, 6000, 60, 12, 3, 1, 2),
            (AL2.into(), 1, 0, 1, 0, 0, 30, 3, 1, 1, 0),
        ]
    );
    db.drop_db().await;
}

/// The round as the deployed tracker writes it (the sections, no `capabilities` for them).
fn deployed_style(r: &Round) -> Round {
    let mut r = r.clone();
    r.header
        .capabilities
        .retain(|(name, _)| !GameSection::ALL.iter().any(|s| s.capability() == name));
    r
}

/// The same round as a reader that did not know the five sections stored it.
fn without_game_sections(r: &Round) -> Round {
    let mut r = r.clone();
    r.revives = None;
    r.kill_outcomes = None;
    r.weapon_accuracy = None;
    r.hit_regions = None;
    r.spawn_timing = None;
    r
}

#[tokio::test]
async fn a_round_stored_before_is_filled_in_once_when_its_file_comes_again() {
    let db = TestDb::new().await;
    let full = deployed_style(&synth_round(&SynthOptions::new("supply", 1, 12, 240, 41)));
    let old = without_game_sections(&full);
    assert_eq!(
        format::canonical_digest(&old),
        format::canonical_digest(&full)
    );
    let first = import_file(&db.pool, "old.txt", &format::write(&old), false).await;
    let stored = round_sums(&db.pool, first.round_id()).await;
    assert!(
        stored.iter().all(|s| (s.1, s.6, s.9) == (0, 0, 0)),
        "{stored:?}"
    );
    totals::add_all_pending(&db.pool).await.unwrap();

    let again = import_file(&db.pool, "new.txt", &format::write(&full), false).await;
    let ImportOutcome::Replaced {
        round_id, previous, ..
    } = again
    else {
        panic!("{again:?}");
    };
    assert_eq!(previous, first.round_id());
    let rounds: i64 = sqlx::query_scalar("SELECT count(*) FROM rounds")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(rounds, 1);
    let filled = round_sums(&db.pool, round_id).await;
    let revives: i32 = filled.iter().map(|s| s.1).sum();
    assert_eq!(revives as usize, full.revives.as_ref().unwrap().len());
    assert!(revives > 0);
    // Once filled in, neither file changes anything.
    for (name, bytes) in [
        ("new.txt", format::write(&full)),
        ("old.txt", format::write(&old)),
    ] {
        let outcome = import_file(&db.pool, name, &bytes, false).await;
        assert_eq!(
            outcome,
            ImportOutcome::AlreadyImported { round_id },
            "{name}"
        );
    }
    totals::add_all_pending(&db.pool).await.unwrap();
    assert_weapon_totals_are_their_rounds(&db.pool).await;
    let given: i64 = sqlx::query_scalar(
        "SELECT sum(revives_given)::int8 FROM player_totals WHERE months = 12 AND server = '*'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(given, i64::from(revives));
    db.drop_db().await;
}

/// Every weapon total equals the sum of its rounds' rows, and no total row counts no round.
pub(crate) async fn assert_weapon_totals_are_their_rounds(pool: &sqlx::PgPool) {
    let mismatched: i64 = sqlx::query_scalar(
        "WITH expected AS (
             SELECT p.months, p.bucket, p.map, w.guid, w.weapon, count(*)::int4 AS rounds,
                    sum(w.shots)::int8 AS shots, sum(w.hits)::int8 AS hits,
                    sum(w.kills)::int8 AS kills, sum(w.headshots)::int8 AS headshots,
                    sum(w.head)::int8 AS head, sum(w.arms)::int8 AS arms,
                    sum(w.body)::int8 AS body, sum(w.legs)::int8 AS legs, p.server
             FROM round_weapons w JOIN round_periods p ON p.round_id = w.round_id
             WHERE w.round_id NOT IN (SELECT round_id FROM totals_pending)
             GROUP BY 1, 2, 3, 4, 5, p.server)
         SELECT count(*) FROM ((TABLE expected EXCEPT TABLE weapon_totals)
                               UNION ALL (TABLE weapon_totals EXCEPT TABLE expected)) d",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
}

#[tokio::test]
async fn deleting_rounds_subtracts_their_weapons_and_medic_figures_exactly() {
    let db = TestDb::new().await;
    let mut ids = Vec::new();
    let mut rounds = Vec::new();
    for seed in 0..4 {
        let mut opts = SynthOptions::new(
            ["supply", "frostbite"][seed % 2],
            1,
            10,
            180,
            60 + seed as u64,
        );
        opts.start_unix = 1_767_225_600 + seed as i64 * 40 * 86_400;
        let r = synth_round(&opts);
        ids.push(
            import_file(&db.pool, &format!("r{seed}.txt"), &format::write(&r), false)
                .await
                .round_id(),
        );
        rounds.push(r);
    }
    totals::add_all_pending(&db.pool).await.unwrap();
    assert_weapon_totals_are_their_rounds(&db.pool).await;
    let all = queries::weapons(
        &db.pool,
        None,
        &Scope {
            bots: true,
            ..Scope::all()
        },
    )
    .await
    .unwrap();
    assert_eq!(all, expected_weapons(&rounds, None));
    assert!(queries::delete_round(&db.pool, ids[1]).await.unwrap());
    assert_weapon_totals_are_their_rounds(&db.pool).await;
    let rest: Vec<Round> = rounds
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, r)| r.clone())
        .collect();
    let scope = Scope {
        bots: true,
        ..Scope::all()
    };
    assert_eq!(
        queries::weapons(&db.pool, None, &scope).await.unwrap(),
        expected_weapons(&rest, None)
    );
    assert_eq!(
        medic_table(&queries::medics(&db.pool, &scope, 100).await.unwrap()),
        expected_medics(&rest)
    );
    for id in [ids[0], ids[2], ids[3]] {
        assert!(queries::delete_round(&db.pool, id).await.unwrap());
    }
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM weapon_totals")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    db.drop_db().await;
}

/// `/weapons`' rows computed from the files' rows alone (weapon number order for ties).
fn expected_weapons(rounds: &[Round], guid: Option<&str>) -> Vec<queries::WeaponRow> {
    let mut by: BTreeMap<i64, queries::WeaponRow> = BTreeMap::new();
    for r in rounds {
        for u in weapon_uses(r)
            .into_iter()
            .filter(|u| guid.is_none_or(|g| g == u.guid))
        {
            let w = by.entry(u.weapon).or_insert(queries::WeaponRow {
                weapon: u.weapon as i16,
                rounds: 0,
                shots: 0,
                hits: 0,
                kills: 0,
                headshots: 0,
                head: 0,
                arms: 0,
                body: 0,
                legs: 0,
            });
            w.rounds += 1;
            w.shots += u.shots;
            w.hits += u.hits;
            w.kills += u.kills;
            w.headshots += u.headshots;
            w.head += u.regions[0];
            w.arms += u.regions[1];
            w.body += u.regions[2];
            w.legs += u.regions[3];
        }
    }
    let mut rows: Vec<_> = by.into_values().collect();
    rows.sort_by_key(|w| (-w.kills, -w.shots, w.weapon));
    rows
}

type MedicLine = (String, i64, i64, i64, i64);

fn medic_table(rows: &[queries::MedicRow]) -> Vec<MedicLine> {
    rows.iter()
        .map(|m| {
            (
                m.guid.clone(),
                m.revives_given,
                m.revives_under_fire,
                m.downs_revived,
                m.team_downs,
            )
        })
        .collect()
}

/// `/medics` computed from the rows: revives and revives under fire from REVIVES, the downs of
/// each medic's round team from KILL_OUTCOME.
fn expected_medics(rounds: &[Round]) -> Vec<MedicLine> {
    let mut by: BTreeMap<String, MedicLine> = BTreeMap::new();
    fn line<'a>(by: &'a mut BTreeMap<String, MedicLine>, g: &str) -> &'a mut MedicLine {
        by.entry(g.to_string())
            .or_insert((g.to_string(), 0, 0, 0, 0))
    }
    for r in rounds {
        for v in r.revives.iter().flatten() {
            let m = line(&mut by, &v.medic_guid);
            m.1 += 1;
            m.2 += i64::from(v.under_fire);
        }
        let team_of: BTreeMap<&str, format::Team> =
            r.tracks.iter().map(|t| (t.guid.as_str(), t.team)).collect();
        for k in r.kill_outcomes.iter().flatten() {
            if k.outcome == KillFate::Revived
                && let Some(g) = &k.reviver_guid
            {
                line(&mut by, g).3 += 1;
            }
            if let Some(team) = team_of.get(k.victim_guid.as_str()) {
                for (g, t) in &team_of {
                    if t == team && *g != k.victim_guid {
                        line(&mut by, g).4 += 1;
                    }
                }
            }
        }
    }
    let mut rows: Vec<MedicLine> = by.into_values().filter(|m| m.1 > 0).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    rows
}

#[tokio::test]
async fn a_bad_section_row_fails_the_file_naming_section_line_and_field_and_stores_nothing() {
    let db = TestDb::new().await;
    let text = String::from_utf8(DEPLOYED.to_vec()).unwrap();
    let bad = text.replacen(
        &format!("{AL1};^2Lia;ALLIES;8;60;12;2;3"),
        &format!("{AL1};^2Lia;ALLIES;8;60;-12;2;3"),
        1,
    );
    assert_ne!(bad, text);
    let line = bad.lines().position(|l| l.contains(";-12;")).unwrap() + 1;
    let err = import::import_bytes(
        &db.pool,
        "bad.txt",
        bad.into_bytes(),
        true,
        &MetricParams::default(),
    )
    .await
    .expect_err("refused");
    let message = err.to_string();
    assert!(
        message.contains(&format!("line {line}"))
            && message.contains("WEAPON_ACCURACY")
            && message.contains("hits"),
        "{message}"
    );
    let rounds: i64 = sqlx::query_scalar("SELECT count(*) FROM rounds")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let weapons: i64 = sqlx::query_scalar("SELECT count(*) FROM round_weapons")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!((rounds, weapons), (0, 0));
    db.drop_db().await;
}

#[tokio::test]
async fn odd_rows_the_format_allows_are_kept_and_reported() {
    let db = TestDb::new().await;
    let text = String::from_utf8(DEPLOYED.to_vec())
        .unwrap()
        .replacen(
            &format!("{AX2};^4Doc^7Ax;AXIS;11;1;0;0;0"),
            &format!("{AX2};^4Doc^7Ax;AXIS;77;1;0;0;0"),
            1,
        )
        .replacen(
            &format!("35000;{AL2}"),
            "35000;FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
            1,
        );
    let report = import::import_bytes(
        &db.pool,
        "odd.txt",
        text.into_bytes(),
        true,
        &MetricParams::default(),
    )
    .await
    .expect("kept");
    assert_eq!(
        report.notes,
        [
            "weapon ids 77 are not ET:Legacy weapons this reader knows; their rows are kept under their numbers",
            "REVIVES at 35000 ms names medic FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF, who has no life or fight in the round; the revive is kept",
        ]
    );
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM round_weapons WHERE weapon = 77")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(kept, 1);
    db.drop_db().await;
}

#[tokio::test]
async fn bullet_accuracy_and_headshots_per_player_equal_the_files() {
    let db = TestDb::new().await;
    let r = synth_round(&SynthOptions::new("supply", 1, 12, 300, 77));
    import_file(&db.pool, "a.txt", &format::write(&r), false).await;
    let guid = r.tracks[0].guid.clone();
    let (shots, hits, heads) = r
        .weapon_accuracy
        .iter()
        .flatten()
        .filter(|w| w.player_guid == guid && is_bullet_weapon(w.weapon))
        .fold((0, 0, 0), |a, w| {
            (a.0 + w.shots_fired, a.1 + w.hits, a.2 + w.headshots)
        });
    let stored: (i64, i64, i64) =
        sqlx::query_as("SELECT shots, hits, headshots FROM player_round_totals WHERE guid = $1")
            .bind(&guid)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(stored, (shots, hits, heads));
    assert!(shots > 0);
    assert_eq!(
        queries::weapons(&db.pool, Some(&guid), &Scope::all())
            .await
            .unwrap(),
        expected_weapons(std::slice::from_ref(&r), Some(&guid))
    );
    db.drop_db().await;
}

// ---------------------------------------------------------------------------------------------
// What players see: the commands through the fake Discord, on the sample rounds.

pub(crate) mod commands {
    use std::time::Duration;

    use fake_discord::{ALICE, BOB, BotMessage};
    use proximity::format::{self, Round, is_bullet_weapon, weapon_name};
    use proximity::metrics::{FIGURES, MetricParams};
    use proximity::render;
    use proximity::store::queries::{self, Scope};
    use proximity_testkit::{BotHarness, BotOptions, TestDb};
    use serde_json::json;

    pub(crate) const T: Duration = Duration::from_secs(60);

    /// A bot on a database holding the sample rounds, and the rounds as parsed.
    pub(crate) async fn bot_with_samples() -> (BotHarness, Vec<Round>) {
        let db = crate::samples_db().await;
        let mut files =
            proximity::import::collect_files(&[proximity::demo::samples_dir()]).expect("samples");
        files.sort();
        let rounds: Vec<Round> = files
            .iter()
            .map(|f| format::parse(&std::fs::read(f).unwrap()).unwrap())
            .collect();
        let bot = BotHarness::start(BotOptions {
            db: Some(db),
            ..BotOptions::default()
        })
        .await;
        (bot, rounds)
    }

    pub(crate) fn png_size(reply: &BotMessage, file: &str) -> (u32, u32) {
        let part = reply
            .file(file)
            .unwrap_or_else(|| panic!("{file} attached"));
        let decoder = png::Decoder::new(std::io::Cursor::new(part.bytes.clone()));
        let info = decoder.read_info().expect("a PNG").info().clone();
        (info.width, info.height)
    }

    pub(crate) fn is_bot(guid: &str) -> bool {
        guid.to_uppercase().starts_with("OMNIBOT")
    }

    #[tokio::test]
    async fn weapons_of_a_player_and_of_everyone_are_the_files_rows() {
        let (bot, rounds) = bot_with_samples().await;
        let guid = rounds[0].tracks[0].guid.clone();
        // Two users: each has a cooldown of their own.
        for (user, options, who) in [
            (ALICE, json!({"player": guid}), Some(guid.as_str())),
            (BOB, json!({}), None),
        ] {
            let reply = bot.fake.invoke(user, "weapons", options).reply(T).await;
            assert_eq!(reply.embeds.len(), 1, "{:?}", reply.content);
            let mut expected = super::expected_weapons(&rounds, who);
            if who.is_none() {
                // People only: recompute without the sample's Omni-bot.
                let people: Vec<Round> = rounds
                    .iter()
                    .map(|r| {
                        let mut r = r.clone();
                        for w in r.weapon_accuracy.iter_mut().flatten() {
                            if is_bot(&w.player_guid) {
                                w.player_guid = "skip".into();
                            }
                        }
                        for h in r.hit_regions.iter_mut().flatten() {
                            if is_bot(&h.attacker_guid) {
                                h.attacker_guid = "skip".into();
                            }
                        }
                        r
                    })
                    .collect();
                expected = super::expected_weapons(&people, None);
                let skipped = super::expected_weapons(&people, Some("skip"));
                for s in skipped {
                    let w = expected.iter_mut().find(|w| w.weapon == s.weapon).unwrap();
                    w.rounds -= s.rounds;
                    w.shots -= s.shots;
                    w.hits -= s.hits;
                    w.kills -= s.kills;
                    w.headshots -= s.headshots;
                    w.head -= s.head;
                    w.arms -= s.arms;
                    w.body -= s.body;
                    w.legs -= s.legs;
                }
                expected.retain(|w| w.rounds > 0);
                expected.sort_by_key(|w| (-w.kills, -w.shots, w.weapon));
            }
            assert!(!expected.is_empty());
            let embed = &reply.embeds[0];
            let lines: Vec<&str> = embed["description"].as_str().unwrap().lines().collect();
            assert_eq!(lines[0], "all maps, all time");
            for (line, w) in lines[1..].iter().zip(&expected) {
                let hits = if is_bullet_weapon(i64::from(w.weapon)) && w.shots > 0 {
                    format!(
                        "{:.1}% accuracy · {:.1}% headshots",
                        100.0 * w.hits as f64 / w.shots as f64,
                        100.0 * w.headshots as f64 / w.hits as f64
                    )
                } else {
                    format!("{} hits", w.hits)
                };
                assert!(
                    line.starts_with(&format!(
                        "**{}** · {} kills · ",
                        weapon_name(i64::from(w.weapon)),
                        w.kills
                    )) && line.ends_with(&hits),
                    "{line} vs {w:?}"
                );
            }
            assert_eq!(lines.len(), 1 + expected.len().min(3));
            assert_eq!(
                png_size(&reply, "weapons.png"),
                (
                    render::WEAPONS_WIDTH,
                    render::weapons_height(expected.len())
                )
            );
        }
        bot.finish().await;
    }

    #[tokio::test]
    async fn medics_rank_revives_with_the_team_downs_from_the_rows() {
        let (bot, rounds) = bot_with_samples().await;
        let reply = bot.fake.invoke(BOB, "medics", json!({})).reply(T).await;
        let expected: Vec<super::MedicLine> = super::expected_medics(&rounds)
            .into_iter()
            .filter(|m| !is_bot(&m.0))
            .collect();
        assert!(expected.len() >= 2, "{expected:?}");
        let names = bot.db.pool.clone();
        let description = reply.embeds[0]["description"].as_str().unwrap().to_string();
        let lines: Vec<&str> = description.lines().skip(1).collect();
        for (line, m) in lines.iter().zip(&expected) {
            let name: String =
                sqlx::query_scalar("SELECT display_name FROM players WHERE guid = $1")
                    .bind(&m.0)
                    .fetch_one(&names)
                    .await
                    .unwrap();
            let share = 100.0 * m.3 as f64 / m.4 as f64;
            assert!(line.contains(&name), "{line} / {name}");
            assert!(
                line.contains(&format!("— {} (", m.1))
                    && line.ends_with(&format!(
                        " · {} under fire, {share:.0} % of the team's downs",
                        m.2
                    )),
                "{line} vs {m:?}"
            );
        }
        assert_eq!(
            png_size(&reply, "medics.png"),
            (
                render::LEADERBOARD_WIDTH,
                render::leaderboard_height(expected.len())
            )
        );
        bot.finish().await;
    }

    #[tokio::test]
    async fn the_accuracy_leaderboard_and_card_say_what_the_rows_say() {
        let (bot, rounds) = bot_with_samples().await;
        // Bullet shots and hits per person, from the files.
        let mut per: std::collections::BTreeMap<String, (i64, i64, i64)> = Default::default();
        for r in &rounds {
            for w in r.weapon_accuracy.iter().flatten() {
                if is_bullet_weapon(w.weapon) && !is_bot(&w.player_guid) {
                    let e = per.entry(w.player_guid.clone()).or_default();
                    e.0 += w.shots_fired;
                    e.1 += w.hits;
                    e.2 += w.headshots;
                }
            }
        }
        let accuracy = FIGURES.iter().position(|f| f.key == "accuracy").unwrap();
        let ranked = queries::leaderboard(&bot.db.pool, &FIGURES[accuracy], &Scope::all(), 25)
            .await
            .unwrap();
        let mut expected: Vec<(String, f64)> = per
            .iter()
            .filter(|(_, v)| v.0 >= 100)
            .map(|(g, v)| (g.clone(), 100.0 * v.1 as f64 / v.0 as f64))
            .collect();
        expected.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let got: Vec<(String, f64)> = ranked.iter().map(|r| (r.guid.clone(), r.value)).collect();
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g.0, e.0);
            assert!((g.1 - e.1).abs() < 1e-9);
        }
        let reply = bot
            .fake
            .invoke(ALICE, "leaderboard", json!({"metric": accuracy}))
            .reply(T)
            .await;
        let description = reply.embeds[0]["description"].as_str().unwrap();
        assert!(description.contains("at least 100 shots"), "{description}");
        assert!(
            description.contains(&format!("{:.1}%", expected[0].1)),
            "{description}"
        );

        // The card: the player's accuracy next to the median, as the rows say.
        let (guid, (shots, hits, heads)) = per.iter().next().unwrap();
        let card = queries::player_card(
            &bot.db.pool,
            proximity::metrics::Card::Player,
            guid,
            &Scope::all(),
        )
        .await
        .unwrap()
        .unwrap();
        let value = |label: &str| {
            card.rows
                .iter()
                .find(|r| r.figure.label == label)
                .and_then(|r| r.value)
        };
        assert_eq!(
            value("Accuracy"),
            Some(100.0 * *hits as f64 / *shots as f64)
        );
        assert_eq!(
            value("Headshot %"),
            Some(100.0 * *heads as f64 / *hits as f64)
        );
        let reply = bot
            .fake
            .invoke(BOB, "player", json!({"name": guid}))
            .reply(T)
            .await;
        assert!(reply.file("player.png").is_some());
        bot.finish().await;
    }

    #[tokio::test]
    async fn rounds_without_the_sections_say_not_recorded() {
        let db = TestDb::new().await;
        // The hand round has none of the five sections.
        let hand = include_bytes!("../fixtures/hand_round.txt");
        proximity::import::import_bytes(
            &db.pool,
            "hand.txt",
            hand.to_vec(),
            false,
            &MetricParams::default(),
        )
        .await
        .unwrap();
        let round = format::parse(hand).unwrap();
        let guid = &round.tracks[0].guid;
        let card = queries::player_card(
            &db.pool,
            proximity::metrics::Card::Player,
            guid,
            &Scope::all(),
        )
        .await
        .unwrap()
        .unwrap();
        let input = proximity::present::player_card(b"x", &card, &Scope::all());
        let unrecorded: Vec<&str> = input
            .rows
            .iter()
            .filter(|r| !r.recorded)
            .map(|r| r.label.as_str())
            .collect();
        assert_eq!(
            unrecorded,
            [
                "Accuracy",
                "Headshot %",
                "Revives given / round",
                "Revives received / round",
                "Gibs / round",
                "Downs revived",
                "Downs gibbed",
                "Downs tapped out",
                "Time denied / round",
                "Spawn timing",
                "Objective actions / round",
            ]
        );
        assert!(
            input
                .rows
                .iter()
                .filter(|r| !r.recorded)
                .all(|r| r.value.is_none())
        );
        db.drop_db().await;
    }
}

#[tokio::test]
async fn the_round_summary_names_the_top_medic_and_the_most_accurate_from_the_rows() {
    let db = TestDb::new().await;
    let round = synth_round(&SynthOptions::new("supply", 1, 16, 300, 91));
    let id = import_file(&db.pool, "summary.txt", &format::write(&round), false)
        .await
        .round_id();
    let post = queries::round_post(&db.pool, id, false)
        .await
        .unwrap()
        .unwrap();
    let person = |g: &str| !g.to_uppercase().starts_with("OMNIBOT");
    let mut revives: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for r in round
        .revives
        .iter()
        .flatten()
        .filter(|r| person(&r.medic_guid))
    {
        let e = revives.entry(&r.medic_guid).or_default();
        e.0 += 1;
        e.1 += i64::from(r.under_fire);
    }
    let top = revives
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(g, v)| (g.to_string(), v.0));
    assert!(top.is_some());
    assert_eq!(post.top_medic.map(|p| (p.guid, p.value)), top);
    let mut aim: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for w in round.weapon_accuracy.iter().flatten() {
        if is_bullet_weapon(w.weapon) && person(&w.player_guid) {
            let e = aim.entry(&w.player_guid).or_default();
            e.0 += w.hits;
            e.1 += w.shots_fired;
        }
    }
    let best = aim
        .iter()
        .filter(|(_, v)| v.1 >= queries::ACCURATE_MIN_SHOTS)
        .max_by(|a, b| {
            (a.1.0 as f64 / a.1.1 as f64)
                .total_cmp(&(b.1.0 as f64 / b.1.1 as f64))
                .then(a.1.1.cmp(&b.1.1))
                .then(b.0.cmp(a.0))
        })
        .map(|(g, v)| (g.to_string(), v.0, v.1));
    assert!(best.is_some());
    assert_eq!(
        post.most_accurate
            .map(|(p, shots)| (p.guid, p.value, shots)),
        best
    );
    db.drop_db().await;
}
