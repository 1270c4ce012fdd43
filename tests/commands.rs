//! The player commands end to end: the bot runs against the fake Discord (every REST request
//! validated against Discord's OpenAPI spec) on a fresh PostgreSQL database holding the bundled
//! sample rounds. Embed figures are compared with values computed here from the raw per-round
//! rows, images are decoded and measured.

#[path = "db/mod.rs"]
mod db;
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use db::TestDb;
use poise::serenity_prelude as serenity;
use proximity::bot::Data;
use proximity::config::Config;
use proximity::metrics::MetricParams;
use proximity::render;
use serde_json::{Value, json};
use sqlx::PgPool;
use support::*;

/// Choice parameters arrive as the index of the choice.
const DEATHS: u64 = 1;
const MOVEMENT: u64 = 2;

/// Failure guard only; every wait ends as soon as its event is recorded.
const T: Duration = Duration::from_secs(60);

/// A bot on the fake Discord with its own database of the six sample rounds.
struct Env {
    db: TestDb,
    fake: FakeDiscord,
    bot: RunningBot,
}

impl Env {
    async fn start() -> Env {
        let db = TestDb::new().await;
        let files = proximity::import::collect_files(&[proximity::demo::samples_dir()])
            .expect("sample files");
        assert_eq!(files.len(), 6);
        let params = MetricParams::default();
        for f in &files {
            proximity::import::import_path(&db.pool, f, false, &params)
                .await
                .expect("import a sample");
        }
        let url = db.url.clone();
        let config = Config::from_lookup(|k| match k {
            "GUILD_ID" => Some("2000".to_string()),
            "DATABASE_URL" => Some(url.clone()),
            _ => None,
        })
        .expect("config");
        let data = Data {
            pool: db.pool.clone(),
            config,
            scanner: None,
            params,
        };
        let fake = FakeDiscord::start().await;
        let bot = fake
            .start_bot(
                proximity::bot::framework(data),
                serenity::GatewayIntents::non_privileged(),
            )
            .await;
        fake.wait_for_registration(T).await;
        Env { db, fake, bot }
    }

    fn pool(&self) -> &PgPool {
        &self.db.pool
    }

    async fn run(&self, user: FakeUser, command: &str, options: Value) -> BotMessage {
        let reply = self.fake.invoke(user, command, options).reply(T).await;
        assert_eq!(
            reply.allowed_mentions,
            Some(json!({"parse": [], "users": [], "roles": []})),
            "/{command}: mentions must be off"
        );
        reply
    }

    async fn finish(self) {
        self.fake.assert_no_violations();
        self.bot.shutdown().await;
        self.db.drop_db().await;
    }
}

/// A guild member other than the fake's ALICE and BOB (each has their own cooldowns).
fn user(n: u64) -> FakeUser {
    FakeUser {
        id: 7000 + n,
        name: Box::leak(format!("player{n}").into_boxed_str()),
        roles: &[],
        bot: false,
    }
}

/// The reply's single embed and its PNG's (width, height), checking that the embed shows the
/// attached image.
fn image_reply(reply: &BotMessage, file: &str) -> (Value, (u32, u32)) {
    assert!(!reply.ephemeral(), "{:?}", reply.content);
    assert_eq!(reply.embeds.len(), 1, "one embed: {:?}", reply.payload);
    let embed = reply.embeds[0].clone();
    assert_eq!(embed["image"]["url"], json!(format!("attachment://{file}")));
    let part = reply
        .file(file)
        .unwrap_or_else(|| panic!("{file} attached"));
    assert_eq!(part.content_type.as_deref(), Some("image/png"));
    let decoder = png::Decoder::new(std::io::Cursor::new(part.bytes.clone()));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buf).expect("a decodable PNG");
    (embed, (info.width, info.height))
}

fn description(embed: &Value) -> &str {
    embed["description"].as_str().unwrap_or("")
}

/// `(guid, name)` of every player, cleaned for embeds.
async fn names(pool: &PgPool) -> BTreeMap<String, String> {
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as("SELECT guid, name FROM players")
        .fetch_all(pool)
        .await
        .expect("players");
    rows.into_iter()
        .map(|(g, n)| (g, proximity::present::discord_name(&n)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// /heatmap and /best_duo

#[tokio::test]
async fn heatmap_and_best_duo_answer_with_exact_figures() {
    let env = Env::start().await;
    let pool = env.pool();

    // Kills on supply, counted from the raw engagements.
    let (kills, rounds): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM engagements e JOIN rounds r ON r.id = e.round_id
                 WHERE r.map = 'supply' AND e.outcome = 'killed' AND e.death_x IS NOT NULL),
                (SELECT count(*) FROM rounds WHERE map = 'supply')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(kills > 0 && rounds == 2);
    let reply = env.run(ALICE, "heatmap", json!({"map": "SUPPLY"})).await;
    let (embed, size) = image_reply(&reply, "heatmap.png");
    assert_eq!(size, (render::HEATMAP_WIDTH, render::HEATMAP_HEIGHT));
    assert_eq!(embed["title"], json!("Kill heatmap: supply"));
    assert_eq!(
        description(&embed),
        format!("{kills} kills from 2 rounds · all time")
    );

    // One player's deaths on goldrush, named by a GUID prefix (lower case) and the map by part.
    let (guid, raw): (String, Vec<u8>) =
        sqlx::query_as("SELECT guid, name FROM players WHERE guid LIKE '000000005EED0009%'")
            .fetch_one(pool)
            .await
            .unwrap();
    let (deaths, with_player): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM engagements e JOIN rounds r ON r.id = e.round_id
                 WHERE r.map = 'sw_goldrush_te' AND e.target_guid = $1 AND e.death_x IS NOT NULL),
                (SELECT count(DISTINCT r.id) FROM rounds r JOIN round_players p ON p.round_id = r.id
                 WHERE r.map = 'sw_goldrush_te' AND p.guid = $1)",
    )
    .bind(&guid)
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(deaths > 0);
    let reply = env
        .run(
            BOB,
            "heatmap",
            json!({"map": "goldrush", "kind": DEATHS, "player": "000000005eed0009"}),
        )
        .await;
    let (embed, size) = image_reply(&reply, "heatmap.png");
    assert_eq!(size, (render::HEATMAP_WIDTH, render::HEATMAP_HEIGHT));
    assert_eq!(embed["title"], json!("Death heatmap: sw\\_goldrush\\_te"));
    let name = proximity::present::discord_name(&raw);
    assert_eq!(
        description(&embed),
        format!("{deaths} deaths of {name} from {with_player} rounds · all time")
    );

    // Best duos: pair rows summed here.
    let pairs: Vec<(String, String, i32, i32, bool)> = sqlx::query_as(
        "SELECT guid_a, guid_b, crossfires, crossfire_kills, together FROM pair_stats",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut sums: BTreeMap<(String, String), (i64, i64, i64)> = BTreeMap::new();
    for (a, b, c, k, together) in pairs {
        let e = sums.entry((a, b)).or_default();
        e.0 += i64::from(c);
        e.1 += i64::from(k);
        e.2 += i64::from(together);
    }
    let min = 3;
    let mut ranked: Vec<_> = sums.into_iter().filter(|(_, s)| s.0 >= min).collect();
    ranked.sort_by(|(ka, a), (kb, b)| b.1.cmp(&a.1).then(b.0.cmp(&a.0)).then(ka.cmp(kb)));
    assert!(ranked.len() >= 2, "the samples have duos");
    let who = names(pool).await;
    let expected: Vec<String> = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, ((a, b), (c, k, t)))| {
            let per_round = if *t > 0 { *k as f64 / *t as f64 } else { 0.0 };
            format!(
                "**{}.** {} + {} — {c} crossfires, {k} crossfire kills, {t} rounds together \
                 ({per_round:.2} kills/round)",
                i + 1,
                who[a],
                who[b]
            )
        })
        .collect();
    let reply = env
        .run(ALICE, "best_duo", json!({"min_crossfires": min}))
        .await;
    let (embed, size) = image_reply(&reply, "best_duo.png");
    let shown = ranked.len().min(render::DUOS_MAX_ROWS);
    assert_eq!(size, (render::DUOS_WIDTH, render::duos_height(shown)));
    assert_eq!(embed["title"], json!("Best duos"));
    assert_eq!(
        description(&embed),
        format!(
            "all maps, all time · at least {min} crossfires\n{}",
            expected.join("\n")
        )
    );

    env.finish().await;
}
