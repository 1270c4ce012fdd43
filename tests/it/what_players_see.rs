//! What players see: people ranked among people (Omni-bots only when the server asks, and then
//! marked), on the sample rounds, through the real commands.

use std::time::Duration;

use fake_discord::*;
use proximity::metrics::FIGURES;
use proximity_testkit::{BotHarness, BotOptions};
use serde_json::json;

/// Failure guard only.
const T: Duration = Duration::from_secs(60);

use crate::samples_db;

/// The ranked lines of a list embed, without their ranks ("**#3** ").
fn entries(description: &str) -> Vec<String> {
    description
        .lines()
        .filter_map(|l| l.strip_prefix("**#"))
        .filter_map(|l| l.split_once("** ").map(|(_, rest)| rest.to_string()))
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

/// A guild member other than the fake's ALICE and BOB (each has their own cooldowns).
fn user(n: u64) -> FakeUser {
    FakeUser {
        id: 30_000 + n,
        name: Box::leak(format!("viewer{n}").into_boxed_str()),
        roles: &[],
        bot: false,
    }
}

/// The value after " — " in a ranked line ("Name — 1.20 (12 rounds)").
fn value_of(line: &str) -> f64 {
    let after = line.rsplit_once(" — ").map(|(_, v)| v).unwrap_or(line);
    after
        .split_whitespace()
        .next()
        .map(|v| {
            v.replace(',', "")
                .trim_end_matches(|c: char| !c.is_ascii_digit())
                .to_string()
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no value in {line:?}"))
}

#[tokio::test]
async fn every_figure_has_one_direction_in_help_and_on_the_leaderboard() {
    let env = BotHarness::start(BotOptions {
        db: Some(samples_db().await),
        ..BotOptions::default()
    })
    .await;
    for (i, f) in FIGURES.iter().enumerate() {
        let help = env
            .fake
            .invoke(user(i as u64), "help", json!({"figure": i}))
            .reply(T)
            .await;
        assert!(help.ephemeral());
        let embed = &help.embeds[0];
        assert_eq!(embed["title"], json!(f.title));
        assert_eq!(embed["description"], json!(f.meaning));
        let better = embed["fields"][0]["value"].as_str().unwrap();
        let higher = f.better == proximity::metrics::Better::Higher;
        assert_eq!(better, if higher { "higher" } else { "lower" }, "{}", f.key);

        let board = env
            .fake
            .invoke(user(100 + i as u64), "leaderboard", json!({"metric": i}))
            .reply(T)
            .await;
        let Some(description) = board.embeds.first().and_then(|e| e["description"].as_str()) else {
            continue; // not enough samples for this figure in the samples
        };
        let values: Vec<f64> = entries(description).iter().map(|l| value_of(l)).collect();
        assert!(values.len() >= 2, "{}: {description}", f.key);
        for w in values.windows(2) {
            assert!(
                if higher { w[0] >= w[1] } else { w[0] <= w[1] },
                "{} ranks against its direction: {values:?}",
                f.key
            );
        }
    }
    let help = env.fake.invoke(ALICE, "help", json!({})).reply(T).await;
    let fields = help.embeds[0]["fields"].as_array().unwrap();
    let everyone = help.embeds[0]["description"].as_str().unwrap();
    let registered = proximity::commands::all();
    for c in registered
        .iter()
        .filter(|c| c.default_member_permissions.is_empty())
    {
        assert!(everyone.contains(&format!("`/{}`", c.name)), "{everyone}");
    }
    assert!(!everyone.contains("/proximity_status"));
    assert_eq!(fields[0]["name"], "For admins");
    assert!(
        fields[0]["value"]
            .as_str()
            .unwrap()
            .contains("`/proximity_status`")
    );
    env.finish().await;
}

#[tokio::test]
async fn round_compare_and_the_card_s_places() {
    let env = BotHarness::start(BotOptions {
        db: Some(samples_db().await),
        ..BotOptions::default()
    })
    .await;
    let pool = &env.db.pool;
    let guid = |key: &'static str| async move {
        sqlx::query_scalar::<_, String>("SELECT guid FROM players WHERE match_key = $1")
            .bind(key)
            .fetch_one(pool)
            .await
            .unwrap()
    };
    let lucky = guid("luckystrike").await;
    let viper = guid("viper").await;

    // /round: a player's latest round, and a day's.
    let (map, number): (String, i16) = sqlx::query_as(
        "SELECT r.map, r.round_number FROM rounds r JOIN round_players p ON p.round_id = r.id
         WHERE p.guid = $1 ORDER BY r.played_at DESC, r.id DESC LIMIT 1",
    )
    .bind(&lucky)
    .fetch_one(pool)
    .await
    .unwrap();
    let reply = env
        .fake
        .invoke(ALICE, "round", json!({"player": lucky.clone()}))
        .reply(T)
        .await;
    assert_eq!(
        reply.embeds[0]["title"],
        json!(format!("{map} · round {number}"))
    );
    assert!(reply.file("round.png").is_some());
    let reply = env
        .fake
        .invoke(BOB, "round", json!({"date": "1999-01-01"}))
        .reply(T)
        .await;
    assert_eq!(reply.text(), "No round on 1999-01-01.");
    let reply = env
        .fake
        .invoke(user(1), "round", json!({"date": "yesterday"}))
        .reply(T)
        .await;
    assert!(reply.ephemeral());
    assert!(
        reply.text().starts_with("`yesterday` is not a date"),
        "{}",
        reply.text()
    );

    // /compare: every card figure side by side, the better marked, what they share counted.
    let shared: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM round_players a JOIN round_players b
             ON b.round_id = a.round_id AND b.guid = $2 WHERE a.guid = $1",
    )
    .bind(&lucky)
    .bind(&viper)
    .fetch_one(pool)
    .await
    .unwrap();
    let reply = env
        .fake
        .invoke(
            user(2),
            "compare",
            json!({"player1": lucky.clone(), "player2": viper.clone()}),
        )
        .reply(T)
        .await;
    let embed = &reply.embeds[0];
    assert_eq!(embed["title"], json!("LuckyStrike vs Viper"));
    assert!(
        embed["description"]
            .as_str()
            .unwrap()
            .contains(&format!("{shared} rounds played together")),
        "{}",
        embed["description"]
    );
    let fields = embed["fields"].as_array().unwrap();
    assert_eq!(
        fields.len(),
        proximity::metrics::Card::Player.figures().len()
    );
    for field in fields {
        let v = field["value"].as_str().unwrap();
        assert!(v.matches('▲').count() <= 1, "{v}");
    }

    // The card's place of a figure is the player's place on /leaderboard.
    let figure = FIGURES
        .iter()
        .position(|f| f.key == "kills per life")
        .unwrap();
    let board = proximity::store::queries::leaderboard(
        pool,
        &FIGURES[figure],
        &proximity::store::queries::Scope::all(),
        1000,
    )
    .await
    .unwrap();
    let place = board.iter().position(|r| r.guid == lucky).unwrap() + 1;
    let card = env
        .fake
        .invoke(user(3), "player", json!({"name": lucky.clone()}))
        .reply(T)
        .await;
    let field = card.embeds[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == json!(FIGURES[figure].label))
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        field.starts_with(&format!("#{place} of {} · top ", board.len())),
        "{field}"
    );

    // "me" is the caller's linked player, offered first once linked.
    let reply = env
        .fake
        .invoke(BOB, "link", json!({"player": lucky.clone()}))
        .reply(T)
        .await;
    assert!(
        reply.text().starts_with("Linked your account"),
        "{}",
        reply.text()
    );
    let choices = env
        .fake
        .autocomplete(BOB, "heatmap", json!({"player": ""}))
        .choices(T)
        .await;
    assert_eq!(choices[0]["value"], json!("me"));
    assert!(
        choices[0]["name"]
            .as_str()
            .unwrap()
            .starts_with("me: LuckyStrike")
    );
    let reply = env
        .fake
        .invoke(BOB, "heatmap", json!({"map": "supply", "player": "me"}))
        .reply(T)
        .await;
    assert!(
        reply.embeds[0]["description"]
            .as_str()
            .unwrap()
            .contains("LuckyStrike"),
        "{}",
        reply.embeds[0]
    );
    // "me" names the caller's player in every player option, /unlink's included.
    let reply = env
        .fake
        .invoke(BOB, "unlink", json!({"player": "me"}))
        .reply(T)
        .await;
    assert_eq!(reply.text(), "Removed 1 link to LuckyStrike.");
    env.finish().await;
}
