//! The integration tests, in one binary: after a change in `src/`, cargo links one executable
//! with the whole bot, serenity, sqlx and mlua instead of one per area.
//!
//! Tests of different modules run in the same process, concurrently: no test may change
//! process-wide state (environment variables, the current directory, a global tracing
//! subscriber) or rely on a fixed port. Each test gets its own database (`TestDb`), fake
//! Discord (on an ephemeral port) and temporary folders.
//!
//! - `store`: the PostgreSQL store (imports, totals, queries).
//! - `scanner`: the folder scanner against a database and temporary folders.
//! - `servers`: remote game servers over SFTP against a real sshd the tests start.
//! - `commands`: every player command through the fake Discord, on the sample rounds.
//! - `bot`: the bot end to end with its scanner.
//! - `discord_rules`: the bot under Discord's limits, deadlines and failures.
//! - `cli`: the `proximity` command line, its output into pipes and its exit codes.
//! - `command_map`: command maps from a server's pk3s: `proximity maps` and `/heatmap` on them.
//! - `fake_discord`: the fake Discord and its OpenAPI validator themselves.
//! - `gunfights`: medics, gunfights and spawn timing in the store.
//! - `objectives`: the objective game in the store and the round summary.
//! - `tracker`: the game-server tracker in the simulated ET:Legacy server.
//! - `what_players_see`: bots, directions, readable answers, the commands players reach for.
//! - `web`: the web dashboard over HTTP: API against raw rows, replay, guards, replay links.
//! - `web_browser`: every dashboard page in headless Chromium, with screenshots.

mod bot;
mod check;
mod cli;
mod command_map;
mod commands;
mod discord_rules;
mod fake_discord;
mod gunfights;
mod objectives;
mod scanner;
mod servers;
mod store;
mod tracker;
mod web;
mod web_browser;
mod what_players_see;

/// Held by the tests that load the machine most (fifty image commands at once, headless
/// Chromium, the 64-player round), so that they never run side by side on a 2-core machine.
pub static CPU_HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A database of the six sample rounds, imported as `proximity demo` imports them.
pub async fn samples_db() -> proximity_testkit::TestDb {
    let db = proximity_testkit::TestDb::new().await;
    let files =
        proximity::import::collect_files(&[proximity::demo::samples_dir()]).expect("samples");
    assert_eq!(files.len(), 6);
    let params = proximity::metrics::MetricParams::default();
    for f in &files {
        proximity::import::import_path(&db.pool, f, false, &params)
            .await
            .expect("import a sample");
    }
    db
}
