//! Bot latencies through the fake Discord on loopback, with a real PostgreSQL database and the
//! real scanner: the time from a round file appearing in the folder to its summary being posted,
//! and `/proximity_status` from interaction sent to reply received.
//!
//! `cargo bench --bench bot` (prints p50 / p95 / max; debounce 200 ms as in the tests, 1 s by
//! default in production, which adds to the first figure).

#[path = "../tests/db/mod.rs"]
mod db;

use std::time::{Duration, Instant};

use fake_discord::*;
use poise::serenity_prelude as serenity;
use proximity::bot::Data;
use proximity::config::Config;
use proximity::format::write;
use proximity::metrics::MetricParams;
use proximity::scanner::{Scanner, ScannerConfig};
use proximity::synth::{SynthOptions, synth_round};
use serde_json::json;

const T: Duration = Duration::from_secs(60);

fn report(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<40} n={:>3}  p50 {:>8.1?}  p95 {:>8.1?}  max {:>8.1?}",
        v.len(),
        at(0.5),
        at(0.95),
        v[v.len() - 1]
    );
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let db = db::TestDb::new().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().to_string_lossy().into_owned();
        let url = db.url.clone();
        let config = Config::from_lookup(|k| match k {
            "GUILD_ID" => Some("2000".into()),
            "SUMMARY_CHANNEL_ID" => Some(SUMMARY_CHANNEL.to_string()),
            "DATABASE_URL" => Some(url.clone()),
            "GAMESTATS_DIR" => Some(folder.clone()),
            _ => None,
        })
        .expect("config");
        let mut sc = ScannerConfig::from_config(&config);
        sc.debounce = Duration::from_millis(200);
        let scanner = Scanner::new(db.pool.clone(), sc);
        let data = Data {
            pool: db.pool.clone(),
            config,
            scanner: Some(scanner.clone()),
            params: MetricParams::default(),
        };
        let fake = FakeDiscord::start().await;
        let bot = fake
            .start_bot(
                proximity::bot::framework(data),
                serenity::GatewayIntents::non_privileged(),
            )
            .await;
        fake.wait_for_registration(T).await;

        let mut to_summary = Vec::new();
        for i in 0..20u64 {
            let bytes = write(&synth_round(&SynthOptions::new(
                "supply",
                1,
                12,
                300,
                1000 + i,
            )));
            let name = format!("2026-01-10-2{i:05}-supply-round-1_engagements.txt");
            let tmp = dir.path().join(format!("{name}.tmp"));
            std::fs::write(&tmp, &bytes).expect("write");
            let started = Instant::now();
            std::fs::rename(&tmp, dir.path().join(&name)).expect("rename");
            fake.wait_channel_messages(SUMMARY_CHANNEL, i as usize + 1, T)
                .await;
            to_summary.push(started.elapsed());
        }
        report("file appears → summary posted (12p × 5 min)", to_summary);

        let mut status = Vec::new();
        for _ in 0..50 {
            let started = Instant::now();
            fake.invoke(BOB, "proximity_status", json!({}))
                .callback(T)
                .await;
            status.push(started.elapsed());
        }
        report("/proximity_status interaction → reply", status);

        scanner.shutdown().await;
        bot.shutdown().await;
        fake.assert_no_violations();
        db.drop_db().await;
    });
}
