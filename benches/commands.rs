//! Command latency on ten years of rounds (every player command, and /proximity_status).
//!
//! `cargo bench --bench commands` fills (once; it is kept for later runs) the database
//! `proximity_bench_commands` on the server of `DATABASE_URL` with `PROXIMITY_BENCH_ROUNDS`
//! (default 36,500) synthetic rounds, then runs every player command through the fake Discord
//! and prints p50 / p95 from interaction sent to reply recorded, and the render time of each
//! image. `PROXIMITY_BENCH_GENERATE_ONLY=1` stops after filling the database.
//!
//! The generator imports eight synthetic template rounds (four maps, two rounds each) with the
//! real importer, then copies their per-round rows in bulk SQL (`INSERT … SELECT` over
//! `generate_series`): each copy gets its own date (one round every ~2.4 hours over ten years)
//! and one of 25 player groups (GUIDs and names suffixed), so the server has ~300 players.
//! Engagement paths, life paths and the crossfire participant lists are left empty (no command
//! reads them). Rows are written round by round, as imports write them, so that a round's rows
//! sit together on disk as they would in a real database.

use std::time::{Duration, Instant};

use fake_discord::*;
use proximity::heat::HeatKind;
use proximity::metrics::{Card, Figure, MetricParams, PlayerSums};
use proximity::present;
use proximity::render;
use proximity::store::queries::{self, Scope};
use proximity::synth::{SynthOptions, synth_round};
use proximity_testkit::{BotHarness, BotOptions, TestDb, db};
use serde_json::{Value, json};
use sqlx::PgPool;

const DB_NAME: &str = "proximity_bench_commands";
const GROUPS: i64 = 25;
const TEMPLATE_MAPS: [&str; 4] = ["supply", "sw_goldrush_te", "etl_adlernest", "frostbite"];
/// Timed runs per command (after two warm-up runs).
const RUNS: usize = 20;
const T: Duration = Duration::from_secs(120);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds: i64 = std::env::var("PROXIMITY_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(36_500);
    let url = db::url_with_database(&db::server_url(), DB_NAME);
    let pool = match proximity::store::connect(&url).await {
        Ok(pool) => pool,
        Err(e) => {
            // Typically a changed migration: start over.
            println!("recreating {DB_NAME} ({e})");
            drop_database().await?;
            proximity::store::connect(&url).await?
        }
    };
    let have: i64 =
        sqlx::query_scalar("SELECT count(*) FROM rounds WHERE file_name LIKE 'bench-%'")
            .fetch_one(&pool)
            .await?;
    // Rows generated under an older schema lack what later migrations added: start over.
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_generated (schema_version bigint NOT NULL)")
        .execute(&pool)
        .await?;
    let current = "SELECT max(version) FROM _sqlx_migrations";
    let stale: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT ({current}) IS DISTINCT FROM (SELECT max(schema_version) FROM bench_generated)"
    )))
    .fetch_one(&pool)
    .await?;
    if have != rounds || stale {
        let started = Instant::now();
        generate(&pool, rounds).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DELETE FROM bench_generated; INSERT INTO bench_generated {current}"
        )))
        .execute(&pool)
        .await?;
        println!(
            "generated {rounds} rounds in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    } else {
        println!("reusing {DB_NAME} with {rounds} generated rounds");
    }
    top_up_pending(&pool).await?;
    print_sizes(&pool).await?;
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

async fn drop_database() -> anyhow::Result<()> {
    use sqlx::{ConnectOptions, Connection};
    let admin: sqlx::postgres::PgConnectOptions = db::server_url().parse()?;
    let mut conn = admin.database("postgres").connect().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{DB_NAME}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    conn.close().await?;
    Ok(())
}

fn percentile(times: &mut [Duration], p: f64) -> f64 {
    times.sort();
    let i = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[i].as_secs_f64() * 1000.0
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

async fn print_sizes(pool: &PgPool) -> anyhow::Result<()> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT relname::text, n_live_tup FROM pg_stat_user_tables
         WHERE relname IN ('rounds', 'lives', 'engagements', 'presence', 'pair_stats',
                           'player_teamplay', 'round_reactions', 'players', 'player_totals',
                           'pair_totals', 'heat_totals', 'totals_pending')
         ORDER BY relname",
    )
    .fetch_all(pool)
    .await?;
    let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
        .fetch_one(pool)
        .await?;
    let list: Vec<String> = rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
    println!(
        "database: {} MB; rows: {}",
        size / 1_000_000,
        list.join(", ")
    );
    Ok(())
}

/// Imports recent rounds until as many are pending as ever are between two batches of the
/// totals (`totals::BATCH` - 1): every query then also reads those from their per-round rows, as
/// it would just before a batch. (Their players are not the generated groups' players.)
async fn top_up_pending(pool: &PgPool) -> anyhow::Result<()> {
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM totals_pending")
        .fetch_one(pool)
        .await?;
    let params = MetricParams::default();
    let now = chrono::Utc::now().timestamp();
    for i in pending..proximity::store::totals::BATCH - 1 {
        let map = TEMPLATE_MAPS[i as usize % TEMPLATE_MAPS.len()];
        let mut o = SynthOptions::new(map, 1 + (i % 2) as u8, 24, 900, 1000 + i as u64);
        o.start_unix = now - 3600 * (i + 1);
        let bytes = proximity::format::write(&synth_round(&o));
        let name = format!("pending-{i}.txt");
        proximity::import::import_bytes(pool, &name, bytes, false, &params).await?;
    }
    Ok(())
}

/// Empties the database, imports the templates and copies them `rounds` times.
async fn generate(pool: &PgPool, rounds: i64) -> anyhow::Result<()> {
    sqlx::query(
        // The rounds trigger empties the per-round tables and the totals.
        "TRUNCATE rounds, players, discord_links, import_log RESTART IDENTITY CASCADE",
    )
    .execute(pool)
    .await?;
    let params = MetricParams::default();
    let mut seed = 7;
    for map in TEMPLATE_MAPS {
        for round in 1..=2u8 {
            seed += 1;
            let bytes = proximity::format::write(&synth_round(&SynthOptions::new(
                map, round, 12, 300, seed,
            )));
            let name = format!("2026-01-01-00000{seed}-{map}-round-{round}_engagements.txt");
            proximity::import::import_bytes(pool, &name, bytes, false, &params).await?;
        }
    }
    let mut tx = pool.begin().await?;
    // Ten years of rows in one transaction take longer than the bot lets any statement run.
    sqlx::query("SET LOCAL statement_timeout = 0")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    // gen: one row per copy with its template, id, player group and date.
    sqlx::query(
        "CREATE TEMP TABLE gen ON COMMIT DROP AS
         SELECT i, 1000000 + i AS id, (t.ids)[1 + i % array_length(t.ids, 1)] AS tpl,
                'G' || lpad(to_hex(i % $2), 2, '0') AS grp,
                now() - make_interval(secs => i * (3652.5 * 86400 / $1)) AS played_at
         FROM generate_series(0, $1 - 1) i,
              (SELECT array_agg(id ORDER BY id) AS ids FROM rounds) t",
    )
    .bind(rounds)
    .bind(GROUPS)
    .execute(&mut *tx)
    .await?;
    let steps: [(&str, &str); 15] = [
        (
            "rounds",
            "INSERT INTO rounds (id, played_digest, file_name, map, round_number, start_unix,
                 end_unix, played_at, duration_ms, banner, tracker_version, capabilities, params,
                 skipped_sections, has_end_marker, file_bytes, engagement_count, crossfire_count,
                 escape_count, kill_count, player_count, support_mean_pct, recorded)
             SELECT g.id, sha256(convert_to('bench' || g.i, 'UTF8')), 'bench-' || g.i || '.txt',
                 r.map, r.round_number, extract(epoch FROM g.played_at)::int8 - r.duration_ms / 1000,
                 extract(epoch FROM g.played_at)::int8, g.played_at, r.duration_ms, r.banner,
                 r.tracker_version, r.capabilities, r.params, r.skipped_sections, r.has_end_marker,
                 r.file_bytes, r.engagement_count, r.crossfire_count, r.escape_count, r.kill_count,
                 r.player_count, r.support_mean_pct, r.recorded
             FROM gen g JOIN rounds r ON r.id = g.tpl",
        ),
        (
            "players",
            "INSERT INTO players (guid, name, display_name, match_key, last_seen)
             SELECT DISTINCT ON (g.grp || p.guid) g.grp || p.guid,
                 p.name || convert_to(' ' || g.grp, 'UTF8'), p.display_name || ' ' || g.grp,
                 p.match_key || ' ' || lower(g.grp), g.played_at
             FROM gen g JOIN round_players rp ON rp.round_id = g.tpl
             JOIN players p ON p.guid = rp.guid
             ORDER BY g.grp || p.guid, g.played_at DESC",
        ),
        (
            "round_players",
            "INSERT INTO round_players (round_id, guid, name, team, lives, alive_ms)
             SELECT g.id, g.grp || t.guid, t.name, t.team, t.lives, t.alive_ms
             FROM gen g JOIN round_players t ON t.round_id = g.tpl
             ORDER BY g.id",
        ),
        (
            "engagements",
            "INSERT INTO engagements (round_id, ord, engagement_id, start_ms, end_ms, duration_ms,
                 target_guid, target_name, target_team, outcome, total_damage, killer_guid,
                 killer_name, killer_team, num_attackers, is_crossfire, crossfire_delay_ms,
                 crossfire_participants, start_x, start_y, start_z, end_x, end_y, end_z, death_x,
                 death_y, distance_traveled, positions, attackers)
             SELECT g.id, ord, engagement_id, start_ms, end_ms, duration_ms, g.grp || target_guid,
                 target_name, target_team, outcome, total_damage, g.grp || killer_guid, killer_name,
                 killer_team, num_attackers, is_crossfire, crossfire_delay_ms, '{}', start_x,
                 start_y, start_z, end_x, end_y, end_z, death_x, death_y, distance_traveled, '',
                 attackers
             FROM gen g JOIN engagements t ON t.round_id = g.tpl
             ORDER BY g.id",
        ),
        (
            "lives",
            "INSERT INTO lives (round_id, life_ord, guid, name, team, class, spawn_ms, death_ms,
                 first_move_ms, death_type, samples, alive_ms, distance, avg_speed, peak_speed,
                 sprint_pct, standing_pct, crouched_pct, prone_pct, time_to_first_move_ms, died,
                 path)
             SELECT g.id, life_ord, g.grp || guid, name, team, class, spawn_ms, death_ms,
                 first_move_ms, death_type, samples, alive_ms, distance, avg_speed, peak_speed,
                 sprint_pct, standing_pct, crouched_pct, prone_pct, time_to_first_move_ms, died, ''
             FROM gen g JOIN lives t ON t.round_id = g.tpl
             ORDER BY g.id",
        ),
        (
            "presence",
            "INSERT INTO presence (round_id, guid, cells, samples)
             SELECT g.id, g.grp || t.guid, cells, samples
             FROM gen g JOIN presence t ON t.round_id = g.tpl
             ORDER BY g.id",
        ),
        (
            "round_presence",
            "INSERT INTO round_presence (round_id, cell_x, cell_y, samples)
             SELECT g.id, cell_x, cell_y, samples
             FROM gen g JOIN round_presence t ON t.round_id = g.tpl
             ORDER BY g.id",
        ),
        (
            "pair_stats",
            "INSERT INTO pair_stats (round_id, guid_a, guid_b, crossfires, crossfire_kills,
                 combined_damage, delay_sum_ms, delay_count, together)
             SELECT g.id, g.grp || guid_a, g.grp || guid_b, crossfires, crossfire_kills,
                 combined_damage, delay_sum_ms, delay_count, together
             FROM gen g JOIN pair_stats t ON t.round_id = g.tpl
             ORDER BY g.id",
        ),
        (
            "player_teamplay",
            "INSERT INTO player_teamplay (round_id, guid, team, kills, deaths, damage_dealt,
                 crossfire_participations, crossfire_kills, crossfire_damage,
                 crossfire_delay_sum_ms, crossfire_delay_count, solo_kills, times_targeted,
                 times_focused, focus_escapes, focus_deaths, solo_escapes, solo_deaths, escapes,
                 engagement_duration_sum_ms, damage_taken)
             SELECT g.id, g.grp || guid, team, kills, deaths, damage_dealt,
                 crossfire_participations, crossfire_kills, crossfire_damage,
                 crossfire_delay_sum_ms, crossfire_delay_count, solo_kills, times_targeted,
                 times_focused, focus_escapes, focus_deaths, solo_escapes, solo_deaths, escapes,
                 engagement_duration_sum_ms, damage_taken
             FROM gen g JOIN player_teamplay t ON t.round_id = g.tpl
             ORDER BY g.id",
        ),
        (
            "player_trades",
            "INSERT INTO player_trades (round_id, guid, deaths, deaths_traded, trades_made,
                 trade_attempts, isolation_deaths, trade_opportunities, missed_trade_chances)
             SELECT g.id, g.grp || guid, deaths, deaths_traded, trades_made, trade_attempts,
                 isolation_deaths, trade_opportunities, missed_trade_chances
             FROM gen g JOIN player_trades t ON t.round_id = g.tpl
             ORDER BY g.id",
        ),
        (
            "player_support",
            "INSERT INTO player_support (round_id, guid, samples, supported_samples)
             SELECT g.id, g.grp || guid, samples, supported_samples
             FROM gen g JOIN player_support t ON t.round_id = g.tpl
             ORDER BY g.id",
        ),
        (
            "round_reactions",
            "INSERT INTO round_reactions (round_id, engagement_id, target_guid, target_team,
                 target_class, outcome, num_attackers, return_fire_ms, dodge_reaction_ms,
                 support_reaction_ms)
             SELECT g.id, engagement_id,
                 ARRAY(SELECT g.grp || u.guid FROM unnest(t.target_guid) WITH ORDINALITY
                       AS u(guid, i) ORDER BY u.i),
                 target_team, target_class, outcome, num_attackers, return_fire_ms,
                 dodge_reaction_ms, support_reaction_ms
             FROM gen g JOIN round_reactions t ON t.round_id = g.tpl
             ORDER BY g.id",
        ),
        (
            "round_weapons",
            "INSERT INTO round_weapons (round_id, guid, weapon, shots, hits, kills, headshots,
                 head, arms, body, legs)
             SELECT g.id, g.grp || guid, weapon, shots, hits, kills, headshots, head, arms, body,
                 legs
             FROM gen g JOIN round_weapons t ON t.round_id = g.tpl
             ORDER BY g.id",
        ),
        (
            "round_objective_events",
            "INSERT INTO round_objective_events (round_id, time_ms, action, guid, team,
                 track_name, x, y, z)
             SELECT g.id, time_ms, action,
                 ARRAY(SELECT g.grp || u.guid FROM unnest(t.guid) WITH ORDINALITY AS u(guid, i)
                       ORDER BY u.i),
                 team, track_name, x, y, z
             FROM gen g JOIN round_objective_events t ON t.round_id = g.tpl
             ORDER BY g.id",
        ),
        (
            "round_objective_runs",
            "INSERT INTO round_objective_runs (round_id, event_index, guid, team, time_ms,
                 approach_ms, path_length, beeline, efficiency, clear_run, clear_guid, clear_ms,
                 clear_x, clear_y)
             SELECT g.id, event_index,
                 ARRAY(SELECT g.grp || u.guid FROM unnest(t.guid) WITH ORDINALITY AS u(guid, i)
                       ORDER BY u.i),
                 team, time_ms, approach_ms, path_length, beeline, efficiency, clear_run,
                 ARRAY(SELECT g.grp || u.guid FROM unnest(t.clear_guid) WITH ORDINALITY
                       AS u(guid, i) ORDER BY u.i),
                 clear_ms, clear_x, clear_y
             FROM gen g JOIN round_objective_runs t ON t.round_id = g.tpl
             ORDER BY g.id",
        ),
    ];
    // The per-round totals: every figure column, whatever the figures are.
    let figures = PlayerSums::COLUMNS.join(", ");
    let round_totals = format!(
        "INSERT INTO player_round_totals (round_id, guid, {figures})
         SELECT g.id, g.grp || guid, {figures}
         FROM gen g JOIN player_round_totals t ON t.round_id = g.tpl
         ORDER BY g.id"
    );
    let steps = steps
        .into_iter()
        .chain([("player_round_totals", round_totals.as_str())]);
    for (table, sql) in steps {
        let t = Instant::now();
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await?;
        println!(
            "  {table}: {} rows in {:.1} s",
            done.rows_affected(),
            t.elapsed().as_secs_f64()
        );
    }
    // The templates themselves are not part of the ten years.
    sqlx::query("DELETE FROM rounds WHERE id < 1000000")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM players WHERE guid NOT LIKE 'G%'")
        .execute(&mut *tx)
        .await?;
    // The monthly and yearly totals the importer would have kept, in one pass.
    let t = Instant::now();
    sqlx::query("SELECT rollup_rounds(array_agg(id), 1) FROM rounds")
        .execute(&mut *tx)
        .await?;
    println!("  totals in {:.1} s", t.elapsed().as_secs_f64());
    tx.commit().await?;
    sqlx::query("SELECT setval('rounds_id_seq', (SELECT max(id) FROM rounds))")
        .execute(pool)
        .await?;
    let t = Instant::now();
    let mut conn = pool.acquire().await?;
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut *conn)
        .await?;
    sqlx::query("VACUUM ANALYZE").execute(&mut *conn).await?;
    sqlx::query("RESET statement_timeout")
        .execute(&mut *conn)
        .await?;
    println!("  vacuum analyze in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}
