//! The ten-year bench database shared by the benches (`commands`, `web`).
//!
//! The generator imports eight synthetic template rounds (four maps, two rounds each) with the
//! real importer, then copies their per-round rows in bulk SQL (`INSERT … SELECT` over
//! `generate_series`): each copy gets its own date (one round every ~2.4 hours over ten years)
//! and one of 25 player groups (GUIDs and names suffixed), so the server has ~300 players.
//! Rounds belong to two game servers, as in a community with a public and a competitive one:
//! every third round to `competitive`, the others to `public`.
//! Engagement paths, life paths and the crossfire participant lists are left empty (no command
//! reads them). Rows are written round by round, as imports write them, so that a round's rows
//! sit together on disk as they would in a real database.

use std::time::Instant;

use proximity::metrics::{MetricParams, PlayerSums};
use proximity::synth::{SynthOptions, synth_round};
use proximity_testkit::db;
use sqlx::PgPool;

const GROUPS: i64 = 25;
pub const TEMPLATE_MAPS: [&str; 4] = ["supply", "sw_goldrush_te", "etl_adlernest", "frostbite"];

/// An open bench database.
pub struct BenchDb {
    pub pool: PgPool,
    pub url: String,
}

/// The bench database `name` on the server of `DATABASE_URL`, with
/// `PROXIMITY_BENCH_ROUNDS` (default 36,500) generated rounds: reused when it has them under the
/// current schema, generated (again) otherwise; then topped up with rounds pending for the
/// totals, as just before a batch.
pub async fn open(name: &'static str) -> anyhow::Result<BenchDb> {
    let rounds: i64 = std::env::var("PROXIMITY_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(36_500);
    let url = db::url_with_database(&db::server_url(), name);
    let pool = match proximity::store::connect(&url).await {
        Ok(pool) => pool,
        Err(e) => {
            // Typically a changed migration: start over.
            println!("recreating {name} ({e})");
            drop_database(name).await?;
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
        println!("reusing {name} with {rounds} generated rounds");
    }
    top_up_pending(&pool).await?;
    print_sizes(&pool).await?;
    Ok(BenchDb { pool, url })
}

async fn drop_database(name: &str) -> anyhow::Result<()> {
    use sqlx::{ConnectOptions, Connection};
    let admin: sqlx::postgres::PgConnectOptions = db::server_url().parse()?;
    let mut conn = admin.database("postgres").connect().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    conn.close().await?;
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
                 escape_count, kill_count, player_count, support_mean_pct, recorded, server,
                 figures_version)
             SELECT g.id, sha256(convert_to('bench' || g.i, 'UTF8')), 'bench-' || g.i || '.txt',
                 r.map, r.round_number, extract(epoch FROM g.played_at)::int8 - r.duration_ms / 1000,
                 extract(epoch FROM g.played_at)::int8, g.played_at, r.duration_ms, r.banner,
                 r.tracker_version, r.capabilities, r.params, r.skipped_sections, r.has_end_marker,
                 r.file_bytes, r.engagement_count, r.crossfire_count, r.escape_count, r.kill_count,
                 r.player_count, r.support_mean_pct, r.recorded,
                 CASE WHEN g.i % 3 = 0 THEN 'competitive' ELSE 'public' END, r.figures_version
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
