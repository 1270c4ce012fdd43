//! The bot under Discord's real rules and failures: refused registration, a slow database
//! behind the 3-second deadline, text over Discord's limits, private errors after a public
//! defer, refused and rate-limited summary posts, expired interaction tokens, a dropped
//! gateway. The fake Discord answers as Discord does and records every breach of its rules.

use std::time::Duration;

use fake_discord::*;
use proximity::bot::Timing;
use proximity::bot::discord_state::Registration;
use proximity::format::write;
use proximity::metrics::MetricParams;
use proximity::synth::{SynthOptions, synth_round};
use proximity_testkit::{BotHarness, BotOptions, ScannerOptions, TestDb, test_timing};
use serde_json::json;

/// Failure guard only; waits end as soon as their event is recorded.
const T: Duration = Duration::from_secs(30);

fn round_file(map: &str, round: u8, seed: u64) -> (String, Vec<u8>) {
    let r = synth_round(&SynthOptions::new(map, round, 6, 60, seed));
    (
        format!("2026-01-10-1{seed:05}-{map}-round-{round}_engagements.txt"),
        write(&r),
    )
}

/// Waits until `check` holds, polling every 50 ms; panics with `what` after [`T`].
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + T;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn unposted(db: &TestDb) -> i64 {
    proximity::store::queries::unposted_count(&db.pool)
        .await
        .expect("count")
}

/// The embed field `name` of a message's first embed.
fn field<'a>(embed: &'a serde_json::Value, name: &str) -> &'a str {
    embed["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["name"] == name))
        .and_then(|f| f["value"].as_str())
        .unwrap_or_else(|| panic!("no field {name:?} in {embed}"))
}

// ---------------------------------------------------------------------------------------------
// 1. Registration

#[tokio::test]
async fn a_wrong_guild_id_keeps_imports_and_summaries_going_and_says_what_to_fix() {
    let env = BotHarness::start(BotOptions {
        guild_id: Some(999),
        ..BotOptions::scanning(ScannerOptions::default())
    })
    .await;
    let (name, bytes) = round_file("supply", 1, 1);
    env.drop_file(&name, &bytes);
    let posts = env.fake.wait_channel_messages(SUMMARY_CHANNEL, 1, T).await;
    assert_eq!(posts[0].embeds[0]["title"], json!("supply · round 1"));
    assert_eq!(env.rounds().await, 1);

    // Refused, explained, and tried again.
    eventually("a second registration attempt", async || {
        matches!(env.discord.registration(), Registration::Failed { attempts, .. } if attempts >= 2)
    })
    .await;
    let Registration::Failed { error, .. } = env.discord.registration() else {
        unreachable!()
    };
    assert!(error.contains("403 Missing Access"), "{error}");
    assert!(error.contains("GUILD_ID (999)"), "{error}");
    assert!(error.contains("applications.commands scope"), "{error}");
    let attempts: Vec<u16> = env
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.status)
        .collect();
    assert!(
        attempts.len() >= 2 && attempts.iter().all(|s| *s == 403),
        "{attempts:?}"
    );
    assert_eq!(env.fake.registered_commands(Some(GUILD_ID)), None);
    env.finish().await;
}

#[tokio::test]
async fn a_refused_registration_is_retried_until_the_commands_work() {
    let env = BotHarness::start(BotOptions {
        prepare: Some(Box::new(|fake: &FakeDiscord| {
            fake.inject(
                Fault::on(
                    "PUT",
                    "/applications/{application_id}/guilds/{guild_id}/commands",
                )
                .status(503)
                .times(2),
            );
        })),
        ..BotOptions::default()
    })
    .await;
    eventually("the commands registered", async || {
        matches!(env.discord.registration(), Registration::Registered { .. })
    })
    .await;
    let statuses: Vec<u16> = env
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [503, 503, 200]);
    let reply = env
        .fake
        .invoke(BOB, "proximity_status", json!({}))
        .reply(T)
        .await;
    let discord = field(&reply.embeds[0], "Discord");
    assert!(discord.starts_with("commands: 19 registered"), "{discord}");
    assert!(discord.contains("last Discord error"), "{discord}");
    assert!(discord.contains("503"), "{discord}");
    env.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 2. Acknowledged before any IO; stuck queries end in an answer

#[tokio::test]
async fn a_locked_database_is_answered_within_the_deadline_and_privately() {
    let env = BotHarness::start(BotOptions {
        timing: Some(Timing {
            // Longer than Discord's 3 s: a command that queried before acknowledging would
            // miss the deadline (the fake records that as a violation).
            command_statement: Duration::from_secs(4),
            ..test_timing()
        }),
        ..BotOptions::default()
    })
    .await;
    let mut lock = env.db.pool.begin().await.expect("begin");
    sqlx::query("LOCK TABLE rounds, players IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .expect("lock");

    let status = env.fake.invoke(BOB, "proximity_status", json!({}));
    let callback = status.callback(T).await;
    assert_eq!(callback.json().unwrap()["type"], json!(5));
    let reply = status.reply(T).await;
    assert_eq!(
        field(&reply.embeds[0], "Database"),
        "too slow to answer: queries are stopped after 4 s"
    );

    let player = env.fake.invoke(ALICE, "player", json!({"name": "anyone"}));
    let reply = player
        .reply_where(|m| m.text().contains("too busy"), T)
        .await;
    assert_eq!(
        reply.text(),
        "The database is too busy to answer right now. Try again in a minute."
    );
    let shown = player.shown();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].ephemeral);

    let link = env.fake.invoke(ALICE, "link", json!({"player": "anyone"}));
    assert_eq!(link.callback(T).await.json().unwrap()["type"], json!(5));
    link.reply(T).await;
    lock.rollback().await.expect("unlock");
    env.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 4. and 5. Limits and visibility

#[tokio::test]
async fn long_errors_fit_discords_field_limits() {
    let env = BotHarness::start(BotOptions::default()).await;
    // Markdown characters double when escaped: an error cut before escaping would overflow.
    let error = "*".repeat(1000);
    for i in 0..3 {
        sqlx::query(
            "INSERT INTO import_log (path, file_name, status, error, attempts)
             VALUES ($1, $2, 'failed', $3, 3)",
        )
        .bind(format!("/x/{i}"))
        .bind(format!("{}{i}_engagements.txt", "_".repeat(240)))
        .bind(&error)
        .execute(&env.db.pool)
        .await
        .expect("insert");
    }
    let reply = env
        .fake
        .invoke(BOB, "proximity_status", json!({}))
        .reply(T)
        .await;
    let errors = field(&reply.embeds[0], "Last errors");
    assert!(errors.chars().count() <= 1024, "{}", errors.chars().count());
    assert_eq!(errors.lines().count(), 3, "{errors}");
    env.finish().await;
}

#[tokio::test]
async fn an_error_after_a_public_defer_is_shown_only_to_the_user() {
    let env = BotHarness::start(BotOptions::default()).await;
    let player = env
        .fake
        .invoke(ALICE, "player", json!({"name": "Nobody At All"}));
    player
        .reply_where(|m| m.text().starts_with("No player matches"), T)
        .await;
    let shown = player.shown();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].ephemeral, "{shown:?}");
    assert!(
        shown[0]
            .content
            .starts_with("No player matches `Nobody At All`")
    );
    env.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 3. Autocomplete values within 100 characters

#[tokio::test]
async fn long_map_and_file_names_are_offered_and_taken_back() {
    let map = format!("map{}", "x".repeat(125));
    assert_eq!(map.len(), 128);
    let (name, bytes) = round_file(&map, 1, 7);
    assert!(name.chars().count() > 150);
    let env = BotHarness::start(BotOptions::scanning(ScannerOptions {
        auto_import: false,
        files: vec![(name.clone(), bytes)],
        ..ScannerOptions::default()
    }))
    .await;

    let choices = env
        .fake
        .autocomplete(BOB, "proximity_import", json!({"file": "xxx"}))
        .choices(T)
        .await;
    assert_eq!(choices.len(), 1);
    let value = choices[0]["value"].as_str().unwrap().to_string();
    assert_eq!(value.chars().count(), 100);
    assert!(choices[0]["name"].as_str().unwrap().chars().count() <= 100);
    let reply = env
        .fake
        .invoke(BOB, "proximity_import", json!({"file": value}))
        .reply(T)
        .await;
    assert!(
        reply.text().contains(": imported as round #"),
        "{}",
        reply.text()
    );
    assert_eq!(env.rounds().await, 1);

    let choices = env
        .fake
        .autocomplete(ALICE, "heatmap", json!({"map": "mapx"}))
        .choices(T)
        .await;
    assert_eq!(choices.len(), 1);
    let value = choices[0]["value"].as_str().unwrap().to_string();
    assert_eq!(value, map[..100]);
    let reply = env
        .fake
        .invoke(ALICE, "heatmap", json!({"map": value}))
        .reply(T)
        .await;
    assert_eq!(reply.embeds.len(), 1, "{}", reply.text());
    assert!(
        reply.embeds[0]["title"]
            .as_str()
            .unwrap()
            .contains(&map[..100])
    );
    env.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 6. Durable summaries

#[tokio::test]
async fn summaries_refused_for_a_while_are_each_posted_once_when_access_returns() {
    let env = BotHarness::start(BotOptions {
        prepare: Some(Box::new(|fake: &FakeDiscord| {
            fake.inject(Fault::on("POST", "/channels/{channel_id}/messages").status(403));
        })),
        ..BotOptions::scanning(ScannerOptions::default())
    })
    .await;
    for seed in [1, 2] {
        let (name, bytes) = round_file("supply", seed as u8, seed);
        env.drop_file(&name, &bytes);
        env.wait_rounds(seed as i64).await;
    }
    // Refused again and again while it lasts, and said so.
    eventually("three refused posts", async || {
        env.fake.faulted_requests().len() >= 3
    })
    .await;
    assert_eq!(unposted(&env.db).await, 2);
    let reply = env
        .fake
        .invoke(BOB, "proximity_status", json!({}))
        .reply(T)
        .await;
    let embed = &reply.embeds[0];
    assert_eq!(
        field(embed, "Round summaries"),
        "2 rounds waiting to be posted"
    );
    let discord = field(embed, "Discord");
    assert!(discord.contains("403 Missing Access"), "{discord}");
    assert!(discord.contains("posting round summaries"), "{discord}");

    env.fake.clear_faults();
    let posts = env.fake.wait_channel_messages(SUMMARY_CHANNEL, 2, T).await;
    let titles: Vec<&str> = posts
        .iter()
        .map(|p| p.embeds[0]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["supply · round 1", "supply · round 2"]);
    eventually("nothing left to post", async || {
        unposted(&env.db).await == 0
    })
    .await;
    // Several polls later, still once each.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(env.fake.channel_messages(SUMMARY_CHANNEL).len(), 2);
    env.finish().await;
}

#[tokio::test]
async fn a_rate_limited_post_is_retried_and_posted_once() {
    let env = BotHarness::start(BotOptions {
        prepare: Some(Box::new(|fake: &FakeDiscord| {
            fake.inject(
                Fault::on("POST", "/channels/{channel_id}/messages")
                    .rate_limited(Duration::from_millis(200))
                    .times(1),
            );
        })),
        ..BotOptions::scanning(ScannerOptions::default())
    })
    .await;
    let (name, bytes) = round_file("radar", 1, 3);
    env.drop_file(&name, &bytes);
    let posts = env.fake.wait_channel_messages(SUMMARY_CHANNEL, 1, T).await;
    assert_eq!(posts[0].embeds[0]["title"], json!("radar · round 1"));
    let attempts: Vec<u16> = env
        .fake
        .channel_post_attempts(SUMMARY_CHANNEL)
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(attempts, [429, 200]);
    eventually("nothing left to post", async || {
        unposted(&env.db).await == 0
    })
    .await;
    env.finish().await;
}

#[tokio::test]
async fn rounds_imported_while_the_bot_was_down_are_one_digest_at_start() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("dir");
    for seed in 1..=5u64 {
        let (name, bytes) = round_file("goldrush", 1, seed);
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        proximity::import::import_path(&db.pool, &path, false, &MetricParams::default())
            .await
            .expect("import");
    }
    assert_eq!(unposted(&db).await, 5);
    let env = BotHarness::start(BotOptions {
        db: Some(db),
        ..BotOptions::scanning(ScannerOptions::default())
    })
    .await;
    let posts = env.fake.wait_channel_messages(SUMMARY_CHANNEL, 1, T).await;
    assert_eq!(posts[0].embeds[0]["title"], json!("5 rounds imported"));
    eventually("nothing left to post", async || {
        unposted(&env.db).await == 0
    })
    .await;
    let db = env.stop().await;

    // The next start has nothing to announce.
    let env = BotHarness::start(BotOptions {
        db: Some(db),
        ..BotOptions::scanning(ScannerOptions::default())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(env.fake.channel_messages(SUMMARY_CHANNEL).is_empty());
    env.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 7. A scan that outlives the interaction token

#[tokio::test]
async fn a_scan_report_past_the_token_goes_to_the_channel() {
    let env = BotHarness::start(BotOptions {
        timing: Some(Timing {
            interaction_token: Duration::ZERO,
            ..test_timing()
        }),
        ..BotOptions::scanning(ScannerOptions {
            auto_import: false,
            files: vec![round_file("supply", 1, 5)],
            ..ScannerOptions::default()
        })
    })
    .await;
    env.fake.invoke(BOB, "proximity_scan", json!({}));
    let posts = env.fake.wait_channel_messages(GENERAL_CHANNEL, 1, T).await;
    let text = posts[0].text();
    assert!(
        text.starts_with(&format!("<@{}> Scan done in ", BOB.id)),
        "{text}"
    );
    assert!(text.contains("1 imported"), "{text}");
    assert_eq!(
        posts[0].allowed_mentions,
        Some(json!({"parse": [], "users": [BOB.id.to_string()], "roles": []}))
    );
    env.finish().await;
}

#[tokio::test]
async fn a_scan_report_refused_by_an_expired_token_goes_to_the_channel() {
    let env = BotHarness::start(BotOptions {
        prepare: Some(Box::new(|fake: &FakeDiscord| {
            fake.inject(
                Fault::on(
                    "PATCH",
                    "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                )
                .status(401),
            );
        })),
        ..BotOptions::scanning(ScannerOptions {
            auto_import: false,
            files: vec![round_file("supply", 1, 6)],
            ..ScannerOptions::default()
        })
    })
    .await;
    env.fake.invoke(BOB, "proximity_scan", json!({}));
    let posts = env.fake.wait_channel_messages(GENERAL_CHANNEL, 1, T).await;
    assert!(
        posts[0].text().contains("1 imported"),
        "{}",
        posts[0].text()
    );
    env.finish().await;
}

// ---------------------------------------------------------------------------------------------
// The gateway

#[tokio::test]
async fn a_dropped_gateway_is_resumed_and_commands_still_answer() {
    let env = BotHarness::start(BotOptions::default()).await;
    env.fake.drop_gateway();
    let status = env.fake.invoke(BOB, "proximity_status", json!({}));
    env.fake.wait_gateway_op(6, 1, T).await;
    let reply = status.reply(T).await;
    assert_eq!(reply.embeds[0]["title"], json!("Proximity status"));
    env.finish().await;
}
