//! Command latency on ten years of rounds (every player command, and /proximity_status).
//!
//! `cargo bench --bench commands` fills (once; it is kept for later runs) the database
//! `proximity_bench_commands` on the server of `DATABASE_URL` with `PROXIMITY_BENCH_ROUNDS`
//! (default 36,500) synthetic rounds, then runs every player command through the fake Discord
//! and prints p50 / p95 from interaction sent to reply recorded, and the render time of each
//! image. `PROXIMITY_BENCH_GENERATE_ONLY=1` stops after filling the database. How the rounds are
//! generated: `support/bench_db.rs`.

use std::time::{Duration, Instant};

use fake_discord::*;
use proximity::heat::HeatKind;
use proximity::metrics::{Card, Figure};
use proximity::present;
use proximity::render;
use proximity::store::queries::{self, Scope};
use proximity_testkit::{BotHarness, BotOptions, TestDb};
use serde_json::{Value, json};
use sqlx::PgPool;

const DB_NAME: &str = "proximity_bench_commands";
/// Timed runs per command (after two warm-up runs).
const RUNS: usize = 20;
const T: Duration = Duration::from_secs(120);

#[path = "support/mod.rs"]
mod support;

use support::percentile;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bench = support::bench_db::open(DB_NAME).await?;
    let (pool, url) = (bench.pool, bench.url);
    if std::env::var_os("PROXIMITY_BENCH_GENERATE_ONLY").is_some() {
        return Ok(());
    }

    // The bench's database is kept for later runs: the bot is stopped, the database not dropped.
    let env = BotHarness::start(BotOptions {
        db: Some(TestDb {
            pool: pool.clone(),
            name: DB_NAME.to_string(),
            url: url.clone(),
        }),
        ..BotOptions::default()
    })
    .await;
    let fake = &env.fake;

    // A busy player of group 00 (for the per-player commands).
    let guid: String = sqlx::query_scalar(
        "SELECT guid FROM round_players WHERE guid LIKE 'G00%' GROUP BY guid
         ORDER BY count(*) DESC, guid LIMIT 1",
    )
    .fetch_one(&pool)
    .await?;
    // Their most frequent teammate, for /compare.
    let mate: String = sqlx::query_scalar(
        "SELECT b.guid FROM round_players a JOIN round_players b
             ON b.round_id = a.round_id AND b.guid <> a.guid
         WHERE a.guid = $1 GROUP BY b.guid ORDER BY count(*) DESC, b.guid LIMIT 1",
    )
    .bind(&guid)
    .fetch_one(&pool)
    .await?;
    // Every run asks something slightly different (the period moves by a day), so that each
    // one is computed and rendered: identical requests would be answered from the cache.
    // "10y" is 3650 − run days (all ten years, less at most a month), "30d" is 30 + run days.
    type Case = (&'static str, &'static str, Box<dyn Fn(usize) -> Value>);
    let g = guid.clone();
    let all = |run: usize| 3650 - run as i64;
    let month = |run: usize| 30 + run as i64;
    // A figure's leaderboard choice is its place in FIGURES.
    let figure = |key: &str| {
        proximity::metrics::FIGURES
            .iter()
            .position(|f| f.key == key)
            .expect("a figure")
    };
    let cases: Vec<Case> = vec![
        (
            "heatmap",
            "supply kills 10y",
            Box::new(move |r| json!({"map": "supply", "days": all(r)})),
        ),
        (
            "heatmap",
            "supply kills 30d",
            Box::new(move |r| json!({"map": "supply", "days": month(r)})),
        ),
        ("heatmap", "supply deaths of a player 10y", {
            let g = g.clone();
            Box::new(move |r| json!({"map": "supply", "kind": 1, "player": g, "days": all(r)}))
        }),
        (
            "heatmap",
            "supply movement 30d",
            Box::new(move |r| json!({"map": "supply", "kind": 2, "days": month(r)})),
        ),
        (
            "heatmap",
            "supply movement 10y",
            Box::new(move |r| json!({"map": "supply", "kind": 2, "days": all(r)})),
        ),
        (
            "best_duo",
            "all maps 10y",
            Box::new(move |r| json!({"days": all(r)})),
        ),
        (
            "best_duo",
            "supply 30d",
            Box::new(move |r| json!({"map": "supply", "days": month(r)})),
        ),
        (
            "leaderboard",
            "crossfire kills 10y",
            Box::new(move |r| json!({"metric": 4, "days": all(r)})),
        ),
        (
            "leaderboard",
            "distance 10y",
            Box::new(move |r| json!({"metric": 0, "days": all(r)})),
        ),
        (
            "leaderboard",
            "support uptime 10y",
            Box::new(move |r| json!({"metric": 6, "days": all(r)})),
        ),
        (
            "leaderboard",
            "escape rate 30d",
            Box::new(move |r| json!({"metric": 7, "days": month(r)})),
        ),
        ("player", "10y", {
            let g = g.clone();
            Box::new(move |r| json!({"name": g, "days": all(r)}))
        }),
        ("player", "30d", {
            let g = g.clone();
            Box::new(move |r| json!({"name": g, "days": month(r)}))
        }),
        ("crossfire_partners", "10y", {
            let g = g.clone();
            Box::new(move |r| json!({"name": g, "days": all(r)}))
        }),
        (
            "escape_artists",
            "10y",
            Box::new(move |r| json!({"days": all(r)})),
        ),
        (
            "escape_artists",
            "30d",
            Box::new(move |r| json!({"days": month(r)})),
        ),
        ("engagement_stats", "10y", {
            let g = g.clone();
            Box::new(move |r| json!({"name": g, "days": all(r)}))
        }),
        ("engagement_stats", "30d", {
            let g = g.clone();
            Box::new(move |r| json!({"name": g, "days": month(r)}))
        }),
        (
            "leaderboard",
            "crossfire kills all time, cached",
            Box::new(|_| json!({"metric": 4})),
        ),
        ("round", "a player's latest, cached", {
            let g = g.clone();
            Box::new(move |_| json!({"player": g}))
        }),
        ("round", "a day's latest", {
            // One day per run, so each is looked up and rendered.
            Box::new(move |r| json!({"date": format!("2025-03-{:02}", 1 + r)}))
        }),
        ("compare", "10y", {
            let (g, m) = (g.clone(), mate.clone());
            Box::new(move |r| json!({"player1": g, "player2": m, "days": all(r)}))
        }),
        (
            "weapons",
            "everyone 10y",
            Box::new(move |r| json!({"days": all(r)})),
        ),
        ("weapons", "a player 10y", {
            let g = g.clone();
            Box::new(move |r| json!({"player": g, "days": all(r)}))
        }),
        ("weapons", "a player 30d", {
            let g = g.clone();
            Box::new(move |r| json!({"player": g, "days": month(r)}))
        }),
        ("medics", "10y", Box::new(move |r| json!({"days": all(r)}))),
        (
            "objectives",
            "plants 10y",
            Box::new(move |r| json!({"days": all(r)})),
        ),
        (
            "objectives",
            "carry time supply 30d",
            Box::new(move |r| json!({"by": 7, "map": "supply", "days": month(r)})),
        ),
        (
            "objectives",
            "clears for others 10y",
            Box::new(move |r| json!({"by": 9, "days": all(r)})),
        ),
        (
            "heatmap",
            "supply objectives 10y",
            Box::new(move |r| json!({"map": "supply", "kind": 3, "days": all(r)})),
        ),
        ("heatmap", "supply objectives of a player 10y", {
            let g = g.clone();
            Box::new(move |r| json!({"map": "supply", "kind": 3, "player": g, "days": all(r)}))
        }),
        (
            "medics",
            "supply 30d",
            Box::new(move |r| json!({"map": "supply", "days": month(r)})),
        ),
        (
            "leaderboard",
            "accuracy 10y",
            Box::new(move |r| json!({"metric": figure("accuracy"), "days": all(r)})),
        ),
        (
            "leaderboard",
            "spawn timing 10y",
            Box::new(move |r| json!({"metric": figure("spawn timing"), "days": all(r)})),
        ),
        // One game server of two: its own rows of the totals.
        (
            "leaderboard",
            "crossfire kills 10y, one server",
            Box::new(move |r| json!({"metric": 4, "days": all(r), "server": "public"})),
        ),
        ("player", "10y, one server", {
            let g = g.clone();
            Box::new(move |r| json!({"name": g, "days": all(r), "server": "public"}))
        }),
        (
            "heatmap",
            "supply kills 10y, one server",
            Box::new(move |r| json!({"map": "supply", "days": all(r), "server": "competitive"})),
        ),
        (
            "best_duo",
            "all maps 10y, one server",
            Box::new(move |r| json!({"days": all(r), "server": "public"})),
        ),
        (
            "objectives",
            "plants 10y, one server",
            Box::new(move |r| json!({"days": all(r), "server": "competitive"})),
        ),
        ("weapons", "a player 10y, one server", {
            let g = g.clone();
            Box::new(move |r| json!({"player": g, "days": all(r), "server": "public"}))
        }),
        ("proximity_status", "(admin)", Box::new(|_| json!({}))),
        ("link", "", {
            let g = g.clone();
            Box::new(move |_| json!({"player": g}))
        }),
    ];
    println!();
    println!(
        "{:<19} {:<36} {:>8} {:>8}",
        "command", "request", "p50 ms", "p95 ms"
    );
    let mut next_user = 0u64;
    for (command, label, options) in &cases {
        let mut times = Vec::with_capacity(RUNS);
        for run in 0..RUNS + 2 {
            // A new user each time: the image commands have a per-user cooldown.
            next_user += 1;
            let user = FakeUser {
                id: 100_000 + next_user,
                name: "bench",
                roles: if command.starts_with("proximity_") {
                    &[ADMIN_ROLE]
                } else {
                    &[]
                },
                bot: false,
            };
            let started = Instant::now();
            let reply = fake.invoke(user, command, options(run)).reply(T).await;
            let elapsed = started.elapsed();
            // Errors are ephemeral text; /link confirms in text, /proximity_status is an
            // ephemeral embed.
            let answered = match *command {
                "link" => true,
                "proximity_status" => reply.content.is_none(),
                _ => !reply.ephemeral(),
            };
            assert!(answered, "/{command} failed: {:?}", reply.content);
            if run >= 2 {
                times.push(elapsed);
            }
        }
        println!(
            "{:<19} {:<36} {:>8.1} {:>8.1}",
            command,
            label,
            percentile(&mut times, 0.50),
            percentile(&mut times, 0.95)
        );
    }
    env.stop().await;

    render_times(&pool, &guid).await?;
    pool.close().await;
    Ok(())
}

/// Render time per image (p50 of 10), on the data of the commands above.
async fn render_times(pool: &PgPool, guid: &str) -> anyhow::Result<()> {
    let scope = Scope {
        map: Some("supply".to_string()),
        days: None,
        now: None,
        bots: false,
        server: None,
    };
    let (kills, rounds) = queries::heatmap(pool, HeatKind::Kills, &scope, None).await?;
    let kills = present::heatmap_input("supply", HeatKind::Kills, &kills, rounds, None, None);
    let month = Scope {
        days: Some(30),
        ..scope.clone()
    };
    let (moves, rounds) = queries::heatmap(pool, HeatKind::Movement, &month, None).await?;
    let moves =
        present::heatmap_input("supply", HeatKind::Movement, &moves, rounds, Some(30), None);
    let all = Scope::all();
    let figure = Figure::by_key("crossfire kills").expect("a declared figure");
    let rows = queries::leaderboard(pool, figure, &all, 25).await?;
    let board = present::leaderboard_input(figure, &rows, &all);
    let duos = queries::best_duos(pool, &all, 5, 15).await?;
    let duos = present::duos_input(&duos, &all, 5);
    let card = queries::player_card(pool, Card::Player, guid, &all)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no profile"))?;
    let card = present::player_card(b"bench", &card, &all);

    println!();
    println!("{:<36} {:>8}", "render", "p50 ms");
    let time = |label: &str, f: &dyn Fn() -> Vec<u8>| {
        let mut times: Vec<Duration> = (0..10)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect();
        println!("{label:<36} {:>8.1}", percentile(&mut times, 0.5));
    };
    time(
        &format!("heatmap kills ({} points)", kills.points.len()),
        &|| render::render_heatmap(&kills).expect("render"),
    );
    time(
        &format!("heatmap movement ({} points)", moves.points.len()),
        &|| render::render_heatmap(&moves).expect("render"),
    );
    time(&format!("leaderboard ({} rows)", board.rows.len()), &|| {
        render::render_leaderboard(&board).expect("render")
    });
    time(&format!("best duos ({} rows)", duos.rows.len()), &|| {
        render::render_duos(&duos).expect("render")
    });
    time(&format!("player card ({} rows)", card.rows.len()), &|| {
        render::render_player_card(&card).expect("render")
    });
    Ok(())
}
