//! What players see: people ranked among people (Omni-bots only when the server asks, and then
//! marked), on the sample rounds, through the real commands.

use std::time::Duration;

use fake_discord::*;
use proximity::metrics::{FIGURES, MetricParams};
use proximity_testkit::{BotHarness, BotOptions, TestDb};
use serde_json::json;

/// Failure guard only.
const T: Duration = Duration::from_secs(60);

async fn samples_db() -> TestDb {
    let db = TestDb::new().await;
    let files =
        proximity::import::collect_files(&[proximity::demo::samples_dir()]).expect("sample files");
    for f in &files {
        proximity::import::import_path(&db.pool, f, false, &MetricParams::default())
            .await
            .expect("import a sample");
    }
    db
}

/// The ranked lines of a list embed, without their rank numbers ("**3.** ").
fn entries(description: &str) -> Vec<String> {
    description
        .lines()
        .filter_map(|l| l.strip_prefix("**"))
        .filter_map(|l| l.split_once(".** ").map(|(_, rest)| rest.to_string()))
        .collect()
}

#[tokio::test]
async fn bots_are_left_out_of_rankings_unless_the_server_includes_them_marked() {
    let db = samples_db().await;
    let bots: i64 = sqlx::query_scalar("SELECT count(*) FROM players WHERE is_bot")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(bots, 1, "the samples have one Omni-bot (Shadow)");
    let url = db.url.clone();
    let people = BotHarness::start(BotOptions {
        db: Some(db),
        ..BotOptions::default()
    })
    .await;
    let with_bots = BotHarness::start(BotOptions {
        // A database of its own for the harness, and the samples' through the URL.
        database_url: Some(url.clone()),
        include_bots: true,
        ..BotOptions::default()
    })
    .await;

    let damage = FIGURES
        .iter()
        .position(|f| f.key == "damage dealt")
        .unwrap();
    let mut asked = Vec::new();
    for (command, options) in [
        ("leaderboard", json!({"metric": damage})),
        ("best_duo", json!({"min_crossfires": 3})),
        ("escape_artists", json!({})),
    ] {
        let a = people
            .fake
            .invoke(ALICE, command, options.clone())
            .reply(T)
            .await;
        let b = with_bots
            .fake
            .invoke(ALICE, command, options)
            .reply(T)
            .await;
        let a = entries(a.embeds[0]["description"].as_str().unwrap());
        let b = entries(b.embeds[0]["description"].as_str().unwrap());
        assert!(a.iter().all(|l| !l.contains("Shadow")), "/{command}: {a:?}");
        let marked: Vec<&String> = b.iter().filter(|l| l.contains("Shadow")).collect();
        assert!(
            !marked.is_empty(),
            "/{command} with bots shows Shadow: {b:?}"
        );
        assert!(
            marked.iter().all(|l| l.contains("Shadow \\[BOT\\]")),
            "/{command}: {marked:?}"
        );
        // Everyone else as without the bot, in the same order.
        let without: Vec<String> = b.into_iter().filter(|l| !l.contains("Shadow")).collect();
        let n = without.len().min(a.len());
        assert_eq!(a[..n], without[..n], "/{command}");
        asked.push(command);
    }
    assert_eq!(asked.len(), 3);

    // The bot's own card is marked, and compared with people's medians.
    let card = people
        .fake
        .invoke(BOB, "player", json!({"name": "OMNIBOT11"}))
        .reply(T)
        .await;
    assert_eq!(card.embeds[0]["title"], json!("Shadow \\[BOT\\]"));
    with_bots.finish().await;
    people.finish().await;
}

#[tokio::test]
async fn with_the_feature_off_every_command_says_so_but_the_status() {
    let env = BotHarness::start(BotOptions {
        disabled: true,
        ..BotOptions::default()
    })
    .await;
    for (user, command, options) in [
        (ALICE, "player", json!({"name": "x"})),
        (ALICE, "leaderboard", json!({"metric": 0})),
        (ALICE, "link", json!({"player": "x"})),
        (BOB, "proximity_scan", json!({})),
    ] {
        let reply = env.fake.invoke(user, command, options).reply(T).await;
        assert!(reply.ephemeral(), "/{command}");
        assert_eq!(reply.text(), proximity::bot::TURNED_OFF, "/{command}");
    }
    let status = env
        .fake
        .invoke(BOB, "proximity_status", json!({}))
        .reply(T)
        .await;
    assert_eq!(
        status.embeds[0]["description"],
        json!("Proximity is turned off (PROXIMITY_ENABLED=false).")
    );
    env.finish().await;
}
