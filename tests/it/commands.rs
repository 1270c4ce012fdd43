//! The player commands end to end: the bot runs against the fake Discord (every REST request
//! validated against Discord's OpenAPI spec) on a fresh PostgreSQL database holding the bundled
//! sample rounds. Embed figures are compared with values computed here from the raw per-round
//! rows, images are decoded and measured.

use std::collections::BTreeMap;
use std::time::Duration;

use fake_discord::*;
use proximity::metrics::Card;
use proximity::render;
use proximity_testkit::{BotHarness, BotOptions};
use serde_json::{Value, json};
use sqlx::PgPool;

/// Choice parameters arrive as the index of the choice.
const DEATHS: u64 = 1;
const MOVEMENT: u64 = 2;
const CROSSFIRE_KILLS: u64 = 4;

/// Failure guard only; every wait ends as soon as its event is recorded.
const T: Duration = Duration::from_secs(60);

/// A bot on the fake Discord with its own database of the six sample rounds (no scanner).
struct Env {
    bot: BotHarness,
}

impl Env {
    async fn start() -> Env {
        let db = crate::samples_db().await;
        let bot = BotHarness::start(BotOptions {
            db: Some(db),
            ..BotOptions::default()
        })
        .await;
        Env { bot }
    }

    fn pool(&self) -> &PgPool {
        &self.bot.db.pool
    }

    async fn run(&self, user: FakeUser, command: &str, options: Value) -> BotMessage {
        let reply = self.bot.fake.invoke(user, command, options).reply(T).await;
        assert_eq!(
            reply.allowed_mentions,
            Some(json!({"parse": [], "users": [], "roles": []})),
            "/{command}: mentions must be off"
        );
        reply
    }

    async fn finish(self) {
        self.bot.finish().await;
    }
}

/// A guild member other than the fake's ALICE and BOB (each has their own cooldowns).
fn user(n: u64) -> FakeUser {
    FakeUser {
        id: 20_000 + n,
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

/// Omni-bots, which rankings, duos and medians leave out by default.
fn is_bot(guid: &str) -> bool {
    guid.to_uppercase().starts_with("OMNIBOT")
}

/// `(guid, raw name)` of every player.
async fn raw_names(pool: &PgPool) -> BTreeMap<String, Vec<u8>> {
    sqlx::query_as::<_, (String, Vec<u8>)>("SELECT guid, name FROM players")
        .fetch_all(pool)
        .await
        .expect("players")
        .into_iter()
        .collect()
}

fn duo_row(a: &[u8], b: &[u8], crossfires: i64, kills: i64, together: i64) -> render::DuoRow {
    render::DuoRow {
        name_a: a.to_vec(),
        name_b: b.to_vec(),
        crossfires,
        crossfire_kills: kills,
        rounds_together: together,
        kills_per_round: if together > 0 {
            kills as f64 / together as f64
        } else {
            0.0
        },
    }
}

/// What a duos embed quotes of its image, for pairs computed here (the partner first, and
/// only the partner's name with `partner_only`).
fn quoted_duos(rows: Vec<render::DuoRow>, partner_only: bool) -> String {
    let input = render::DuosInput {
        title: String::new(),
        subtitle: String::new(),
        rows,
    };
    proximity::commands::reply::quoted_duos(&input, partner_only)
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
    let mut ranked: Vec<_> = sums
        .into_iter()
        .filter(|((a, b), s)| s.0 >= min && !is_bot(a) && !is_bot(b))
        .collect();
    ranked.sort_by(|(ka, a), (kb, b)| b.1.cmp(&a.1).then(b.0.cmp(&a.0)).then(ka.cmp(kb)));
    assert!(ranked.len() >= 2, "the samples have duos");
    let raw = raw_names(pool).await;
    let duos: Vec<render::DuoRow> = ranked
        .iter()
        .map(|((a, b), (c, k, t))| duo_row(&raw[a], &raw[b], *c, *k, *t))
        .collect();
    let expected = quoted_duos(duos, false);
    let reply = env
        .run(ALICE, "best_duo", json!({"min_crossfires": min}))
        .await;
    let (embed, size) = image_reply(&reply, "best_duo.png");
    let shown = ranked.len().min(render::DUOS_MAX_ROWS);
    assert_eq!(size, (render::DUOS_WIDTH, render::duos_height(shown)));
    assert_eq!(embed["title"], json!("Best duos"));
    assert_eq!(
        description(&embed),
        format!("all maps, all time · at least {min} crossfires\n{expected}")
    );

    env.finish().await;
}

// ---------------------------------------------------------------------------------------------
// /leaderboard, /player, /crossfire_partners, /escape_artists, /engagement_stats, /link

/// Per-player sums of `columns` of player_teamplay, with the number of rounds.
async fn teamplay_sums(pool: &PgPool, columns: &[&str]) -> BTreeMap<String, (i64, Vec<i64>)> {
    let sql = format!(
        "SELECT guid, ARRAY[{}]::int8[] FROM player_teamplay",
        columns.join(", ")
    );
    let rows: Vec<(String, Vec<i64>)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await
        .expect("teamplay rows");
    let mut sums: BTreeMap<String, (i64, Vec<i64>)> = BTreeMap::new();
    for (guid, values) in rows {
        let e = sums
            .entry(guid)
            .or_insert_with(|| (0, vec![0; columns.len()]));
        e.0 += 1;
        for (s, v) in e.1.iter_mut().zip(values) {
            *s += v;
        }
    }
    sums
}

#[tokio::test]
async fn ranking_and_player_commands_answer_with_exact_figures() {
    let env = Env::start().await;
    let pool = env.pool();

    // Crossfire kills per round, among players with 3 rounds.
    let sums = teamplay_sums(pool, &["crossfire_kills"]).await;
    let mut ranked: Vec<(String, f64, i64)> = sums
        .iter()
        .filter(|(g, (rounds, _))| *rounds >= 3 && !is_bot(g))
        .map(|(g, (rounds, s))| (g.clone(), s[0] as f64 / *rounds as f64, *rounds))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    let raw = raw_names(pool).await;
    let figure = &proximity::metrics::FIGURES[CROSSFIRE_KILLS as usize];
    let board = render::LeaderboardInput {
        title: String::new(),
        subtitle: String::new(),
        unit: figure.unit.to_string(),
        samples_label: figure.sample_label.to_string(),
        rows: ranked
            .iter()
            .map(|(g, v, n)| render::LeaderRow {
                name_raw: raw[g].clone(),
                value: *v,
                samples: *n,
            })
            .collect(),
        better: figure.better,
    };
    let quoted =
        proximity::commands::reply::quoted_entries(&render::leaderboard_entries(&board), |_| {
            String::new()
        });
    let reply = env
        .run(ALICE, "leaderboard", json!({"metric": CROSSFIRE_KILLS}))
        .await;
    let (embed, size) = image_reply(&reply, "leaderboard.png");
    assert_eq!(
        size,
        (
            render::LEADERBOARD_WIDTH,
            render::leaderboard_height(ranked.len())
        )
    );
    assert_eq!(embed["title"], json!("Crossfire kills per round"));
    assert_eq!(
        description(&embed),
        format!("all maps, all time · at least 3 rounds\n{quoted}")
    );

    // Escape artists: escapes, fewest fights first on ties, at least 20 fights.
    let sums = teamplay_sums(
        pool,
        &[
            "escapes",
            "times_targeted",
            "focus_escapes",
            "times_focused",
        ],
    )
    .await;
    let mut ranked: Vec<(&String, &Vec<i64>)> = sums
        .iter()
        .filter(|(g, (_, s))| s[0] > 0 && s[1] >= 20 && !is_bot(g))
        .map(|(g, (_, s))| (g, s))
        .collect();
    ranked.sort_by(|a, b| {
        b.1[0]
            .cmp(&a.1[0])
            .then(a.1[1].cmp(&b.1[1]))
            .then(a.0.cmp(b.0))
    });
    assert!(!ranked.is_empty(), "the samples have escape artists");
    let board = render::LeaderboardInput {
        title: String::new(),
        subtitle: String::new(),
        unit: String::new(),
        samples_label: "fights".to_string(),
        rows: ranked
            .iter()
            .map(|(g, s)| render::LeaderRow {
                name_raw: raw[*g].clone(),
                value: s[0] as f64,
                samples: s[1],
            })
            .collect(),
        better: proximity::metrics::Better::Higher,
    };
    let quoted =
        proximity::commands::reply::quoted_entries(&render::leaderboard_entries(&board), |e| {
            let i = board
                .rows
                .iter()
                .position(|r| std::ptr::eq(r, e.row))
                .unwrap();
            let s = ranked[i].1;
            format!(
                " · {:.1} % escaped, {} of {} when focused",
                100.0 * s[0] as f64 / s[1] as f64,
                s[2],
                s[3]
            )
        });
    let reply = env.run(ALICE, "escape_artists", json!({})).await;
    let (embed, size) = image_reply(&reply, "escape_artists.png");
    assert_eq!(
        size,
        (
            render::LEADERBOARD_WIDTH,
            render::leaderboard_height(ranked.len())
        )
    );
    assert_eq!(
        description(&embed),
        format!("all maps, all time · at least 20 fights\n{quoted}")
    );

    // /link with a coloured, differently cased name is a claim; once an admin confirms it,
    // /player without a name is Alice's, and the card says who is linked.
    let guid: String =
        sqlx::query_scalar("SELECT guid FROM players WHERE match_key = 'luckystrike'")
            .fetch_one(pool)
            .await
            .unwrap();
    let reply = env
        .run(ALICE, "link", json!({"player": "^3LUCKY^1strike"}))
        .await;
    assert!(reply.ephemeral());
    assert_eq!(
        reply.text(),
        format!(
            "Asked the server's admins to confirm that you are LuckyStrike ({guid}). Once an \
             admin confirms with /link_confirm, commands without a name show this player. \
             /unlink withdraws the claim."
        )
    );
    let claims = env
        .bot
        .fake
        .autocomplete(BOB, "link_confirm", json!({"claim": "luck"}))
        .choices(T)
        .await;
    let claim = format!("{}:{guid}", ALICE.id);
    assert_eq!(
        claims,
        vec![
            json!({"name": format!("alice → LuckyStrike (…{})", &guid[guid.len() - 8..]),
                    "value": claim.clone()})
        ]
    );
    // A claim changed after the admin picked it is not confirmed in its place.
    let other: String = sqlx::query_scalar("SELECT guid FROM players WHERE match_key = 'viper'")
        .fetch_one(pool)
        .await
        .unwrap();
    env.run(ALICE, "link", json!({"player": other.clone()}))
        .await;
    let reply = env
        .run(BOB, "link_confirm", json!({"claim": claim.clone()}))
        .await;
    assert!(
        reply.text().starts_with("That claim is no longer waiting"),
        "{}",
        reply.text()
    );
    env.run(ALICE, "link", json!({"player": guid.clone()}))
        .await;
    let reply = env
        .run(BOB, "link_confirm", json!({"claim": claim.clone()}))
        .await;
    assert!(reply.ephemeral());
    assert_eq!(
        reply.text(),
        format!("Linked <@{}> to LuckyStrike ({guid}).", ALICE.id)
    );
    let reply = env
        .run(BOB, "link_confirm", json!({"claim": claim.clone()}))
        .await;
    assert!(reply.text().starts_with("That claim is no longer waiting"));
    let (rounds, lives): (i64, i64) =
        sqlx::query_as("SELECT count(DISTINCT round_id), count(*) FROM lives WHERE guid = $1")
            .bind(&guid)
            .fetch_one(pool)
            .await
            .unwrap();
    let sums = teamplay_sums(
        pool,
        &[
            "kills",
            "deaths",
            "crossfire_kills",
            "times_targeted",
            "escapes",
        ],
    )
    .await;
    let (tp_rounds, s) = &sums[&guid];
    let reply = env.run(ALICE, "player", json!({})).await;
    let (embed, size) = image_reply(&reply, "player.png");
    assert_eq!(
        size,
        (
            render::PLAYER_CARD_WIDTH,
            render::player_card_height(Card::Player.figures().len())
        )
    );
    assert_eq!(embed["title"], json!("LuckyStrike"));
    assert_eq!(
        description(&embed),
        format!(
            "all maps, all time · {rounds} rounds, {lives} lives · {} kills, {} deaths\n\
             Linked to <@{}>",
            s[0], s[1], ALICE.id
        )
    );
    assert_eq!(
        embed["fields"].as_array().map(Vec::len),
        Some(Card::Player.figures().len())
    );

    let reply = env.run(ALICE, "engagement_stats", json!({})).await;
    let (embed, size) = image_reply(&reply, "engagement_stats.png");
    assert_eq!(
        size,
        (render::PLAYER_CARD_WIDTH, render::player_card_height(8))
    );
    assert_eq!(embed["title"], json!("Engagements of LuckyStrike"));
    assert_eq!(
        description(&embed),
        format!(
            "all maps, all time · {tp_rounds} rounds · {} kills ({} in crossfire), {} deaths · \
             targeted {} times, {} escapes",
            s[0], s[2], s[1], s[3], s[4]
        )
    );
    // The escape rate's place among people targeted often enough, from the raw sums.
    let escape = proximity::metrics::Figure::by_key("escape rate").unwrap();
    let rates: Vec<f64> = teamplay_sums(pool, &["escapes", "times_targeted"])
        .await
        .iter()
        .filter(|(g, (_, v))| !is_bot(g) && v[1] >= escape.min_samples)
        .map(|(_, (_, v))| v[0] as f64 / v[1] as f64)
        .collect();
    let mine = s[4] as f64 / s[3] as f64;
    let place = 1 + rates.iter().filter(|r| **r > mine).count();
    let top = (100 * place).div_ceil(rates.len());
    let escape_field = &embed["fields"][3];
    assert_eq!(escape_field["name"], json!("Escape rate"));
    assert_eq!(
        escape_field["value"],
        json!(format!("#{place} of {} · top {top} %", rates.len()))
    );

    // Crossfire partners of the linked player, from the pair rows.
    let pairs: Vec<(String, String, i32, i32, bool)> = sqlx::query_as(
        "SELECT guid_a, guid_b, crossfires, crossfire_kills, together FROM pair_stats
         WHERE guid_a = $1 OR guid_b = $1",
    )
    .bind(&guid)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut partners: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for (a, b, c, k, t) in pairs {
        let partner = if a == guid { b } else { a };
        let e = partners.entry(partner).or_default();
        e.0 += i64::from(c);
        e.1 += i64::from(k);
        e.2 += i64::from(t);
    }
    let mut ranked: Vec<_> = partners
        .into_iter()
        .filter(|(g, s)| s.0 > 0 && !is_bot(g))
        .collect();
    ranked.sort_by(|(ga, a), (gb, b)| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(ga.cmp(gb)));
    assert!(!ranked.is_empty());
    let partners: Vec<render::DuoRow> = ranked
        .iter()
        .map(|(g, (c, k, t))| duo_row(&raw[g], &raw[&guid], *c, *k, *t))
        .collect();
    let quoted = quoted_duos(partners, true);
    let reply = env
        .run(
            BOB,
            "crossfire_partners",
            json!({"name": guid.to_lowercase()}),
        )
        .await;
    let (embed, size) = image_reply(&reply, "crossfire_partners.png");
    assert_eq!(
        size,
        (
            render::DUOS_WIDTH,
            render::duos_height(ranked.len().min(render::DUOS_MAX_ROWS))
        )
    );
    assert_eq!(embed["title"], json!("Crossfire partners of LuckyStrike"));
    assert_eq!(description(&embed), format!("all maps, all time\n{quoted}"));

    // Only admins remove other accounts' links; anyone removes their own.
    let reply = env
        .run(ALICE, "unlink", json!({"player": guid.clone()}))
        .await;
    assert!(reply.ephemeral());
    assert!(reply.text().starts_with("Only admins"), "{}", reply.text());
    let reply = env.run(ALICE, "unlink", json!({})).await;
    assert_eq!(
        reply.text(),
        "Your account is no longer linked to a player."
    );
    let reply = env.run(ALICE, "crossfire_partners", json!({})).await;
    assert!(
        reply.text().starts_with("Give a player name, or link"),
        "{}",
        reply.text()
    );
    // An admin's own /link needs no one else; an admin removes every link to a player.
    let reply = env.run(BOB, "link", json!({"player": guid.clone()})).await;
    assert!(
        reply
            .text()
            .starts_with("Linked your account to LuckyStrike"),
        "{}",
        reply.text()
    );
    let reply = env
        .run(BOB, "unlink", json!({"player": guid.clone()}))
        .await;
    assert_eq!(reply.text(), "Removed 1 link to LuckyStrike.");
    env.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Autocomplete, hostile names, unknown names, no data

#[tokio::test]
async fn autocomplete_names_and_clear_messages() {
    let env = Env::start().await;
    let pool = env.pool();

    // Maps: case-insensitive, prefix matches first, then most rounds.
    let choices = env
        .bot
        .fake
        .autocomplete(ALICE, "heatmap", json!({"map": "SU"}))
        .choices(T)
        .await;
    assert_eq!(choices, [json!({"name": "supply", "value": "supply"})]);
    let choices = env
        .bot
        .fake
        .autocomplete(ALICE, "best_duo", json!({"map": ""}))
        .choices(T)
        .await;
    let maps: Vec<&str> = choices.iter().filter_map(|c| c["value"].as_str()).collect();
    assert_eq!(
        maps,
        ["supply", "sw_goldrush_te", "etl_adlernest", "frostbite"]
    );

    // Players: colour codes ignored, case-insensitive; the value is the GUID.
    let guid: String =
        sqlx::query_scalar("SELECT guid FROM players WHERE match_key = 'luckystrike'")
            .fetch_one(pool)
            .await
            .unwrap();
    let tail = &guid[guid.len() - 8..];
    let choices = env
        .bot
        .fake
        .autocomplete(ALICE, "player", json!({"name": "^3LUCKY"}))
        .choices(T)
        .await;
    assert_eq!(
        choices,
        [json!({"name": format!("LuckyStrike (…{tail})"), "value": guid})]
    );
    // A GUID prefix: every matching player, at most 25.
    let choices = env
        .bot
        .fake
        .autocomplete(ALICE, "link", json!({"player": "000000005eed"}))
        .choices(T)
        .await;
    let expected: i64 =
        sqlx::query_scalar("SELECT count(*) FROM players WHERE guid LIKE '000000005EED%'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(choices.len() as i64, expected.min(25));
    assert!(choices.len() > 1);

    // A hostile name: mentions, markdown and colour codes.
    let hostile = b"^1@everyone ^2**big**_x_ <@6000>".to_vec();
    let target: String = sqlx::query_scalar("SELECT guid FROM players WHERE match_key = 'ghost'")
        .fetch_one(pool)
        .await
        .unwrap();
    let clean = proximity::names::clean_name(&hostile);
    sqlx::query("UPDATE players SET name = $2, display_name = $3, match_key = $4 WHERE guid = $1")
        .bind(&target)
        .bind(&hostile)
        .bind(&clean)
        .bind(clean.to_lowercase())
        .execute(pool)
        .await
        .unwrap();
    let choices = env
        .bot
        .fake
        .autocomplete(ALICE, "engagement_stats", json!({"name": "everyone"}))
        .choices(T)
        .await;
    let tail = &target[target.len() - 8..];
    assert_eq!(
        choices,
        [json!({"name": format!("@everyone **big**_x_ <@6000> (…{tail})"), "value": target})]
    );
    let reply = env.run(ALICE, "player", json!({"name": target})).await;
    let (embed, _) = image_reply(&reply, "player.png");
    let shown = "@\u{200b}everyone \\*\\*big\\*\\*\\_x\\_ <@\u{200b}6000\\>";
    assert_eq!(embed["title"], json!(shown));
    assert!(reply.content.is_none());

    // Unknown names and maps: the closest matches; several matches: the candidates.
    let reply = env.run(BOB, "player", json!({"name": "Ghots"})).await;
    assert!(reply.ephemeral());
    assert!(
        reply
            .text()
            .starts_with("No player matches `Ghots`. Did you mean: "),
        "{}",
        reply.text()
    );
    let reply = env
        .run(BOB, "crossfire_partners", json!({"name": "@here `zz`"}))
        .await;
    assert!(
        reply
            .text()
            .starts_with("No player matches `@\u{200b}here zz`. Did you mean: "),
        "{}",
        reply.text()
    );
    let reply = env.run(BOB, "heatmap", json!({"map": "suply"})).await;
    assert!(reply.ephemeral());
    assert!(
        reply
            .text()
            .starts_with("No map called `suply`. Did you mean: supply"),
        "{}",
        reply.text()
    );
    let reply = env.run(BOB, "engagement_stats", json!({"name": "e"})).await;
    assert!(
        reply.text().starts_with("`e` matches several players: "),
        "{}",
        reply.text()
    );
    let reply = env.run(BOB, "best_duo", json!({"map": "nowhere"})).await;
    assert!(reply.text().starts_with("No map called `nowhere`."));
    // No linked account and no name.
    let reply = env.run(BOB, "escape_artists", json!({"days": 7})).await;
    assert!(!reply.ephemeral());
    assert_eq!(
        reply.text(),
        "Nobody has escaped from 20 fights yet (all maps, last 7 days)."
    );
    let reply = env
        .run(user(1), "link", json!({"player": "Nobody At All"}))
        .await;
    assert!(
        reply
            .text()
            .starts_with("No player matches `Nobody At All`.")
    );
    let reply = env.run(user(1), "player", json!({})).await;
    assert_eq!(
        reply.text(),
        "Give a player name, or link your Discord account to your player with /link (an \
         admin confirms it)."
    );

    // No data: a plain message, not an error. (The samples were played in January 2026.)
    let reply = env
        .run(user(2), "heatmap", json!({"map": "supply", "days": 7}))
        .await;
    assert!(!reply.ephemeral() && reply.embeds.is_empty() && reply.files.is_empty());
    assert_eq!(
        reply.text(),
        "No kills recorded on supply (last 7 days) yet."
    );
    let reply = env
        .run(
            user(2),
            "leaderboard",
            json!({"metric": CROSSFIRE_KILLS, "map": "frostbite"}),
        )
        .await;
    assert_eq!(
        reply.text(),
        "Nobody has 3 rounds for “Crossfire kills per round” yet (frostbite, all time)."
    );
    let reply = env
        .run(
            user(2),
            "player",
            json!({"name": "luckystrike", "days": 30}),
        )
        .await;
    assert_eq!(
        reply.text(),
        "LuckyStrike has no rounds yet (all maps, last 30 days)."
    );

    env.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Cooldown and load

#[tokio::test]
async fn cooldown_and_fifty_concurrent_users() {
    let _alone = crate::CPU_HEAVY.lock().await;
    let env = Env::start().await;

    // The same user twice in a row: the second gets the cooldown message.
    let first = env
        .run(
            ALICE,
            "heatmap",
            json!({"map": "frostbite", "kind": MOVEMENT}),
        )
        .await;
    let (_, size) = image_reply(&first, "heatmap.png");
    assert_eq!(size, (render::HEATMAP_WIDTH, render::HEATMAP_HEIGHT));
    let second = env.run(ALICE, "heatmap", json!({"map": "frostbite"})).await;
    assert!(second.ephemeral());
    assert!(
        second.text().starts_with("Please wait ")
            && second.text().ends_with(" s before using /heatmap again."),
        "{}",
        second.text()
    );

    // 50 users at once, a mix of every image command (seven distinct requests, which the
    // answer cache shares between users). Discord holds every acknowledgement until all fifty
    // have been acknowledged: a command queued behind another would never get to acknowledge
    // (the other cannot finish), so all fifty arriving shows each was taken up at once.
    let held = env.bot.fake.inject(
        Fault::on(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
        )
        .held(),
    );
    let guid: String = sqlx::query_scalar("SELECT guid FROM players WHERE match_key = 'rambo'")
        .fetch_one(env.pool())
        .await
        .unwrap();
    let commands: [(&str, Value, &str); 7] = [
        ("heatmap", json!({"map": "supply"}), "heatmap.png"),
        ("best_duo", json!({}), "best_duo.png"),
        (
            "leaderboard",
            json!({"metric": CROSSFIRE_KILLS}),
            "leaderboard.png",
        ),
        ("player", json!({"name": guid}), "player.png"),
        (
            "crossfire_partners",
            json!({"name": guid}),
            "crossfire_partners.png",
        ),
        ("escape_artists", json!({}), "escape_artists.png"),
        (
            "engagement_stats",
            json!({"name": guid}),
            "engagement_stats.png",
        ),
    ];
    let handles: Vec<_> = (0..50)
        .map(|i| {
            let (command, options, file) = &commands[i % commands.len()];
            (
                env.bot
                    .fake
                    .invoke(user(100 + i as u64), command, options.clone()),
                *file,
            )
        })
        .collect();
    let acknowledged = futures::future::join_all(handles.iter().map(|(h, _)| h.callback(T))).await;
    for callback in &acknowledged {
        assert_eq!(
            callback.json().map(|j| j["type"].clone()),
            Some(json!(5)),
            "each is acknowledged first (deferred): {:?}",
            callback.json()
        );
    }
    assert!(
        handles.iter().all(|(h, _)| h.all_requests().len() == 1),
        "nothing but the acknowledgements while they are held"
    );
    env.bot.fake.clear_fault(held);
    let replies = futures::future::join_all(handles.iter().map(|(h, _)| h.reply(T))).await;
    for (reply, (_, file)) in replies.iter().zip(&handles) {
        image_reply(reply, file);
    }

    env.finish().await;
}
