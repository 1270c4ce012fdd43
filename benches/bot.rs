//! Bot latencies through the fake Discord on loopback, with a real PostgreSQL database and the
//! real scanner: the time from a round file appearing in the folder to its summary being posted,
//! and `/proximity_status` from interaction sent to reply received.
//!
//! `cargo bench --bench bot` (prints p50 / p95 / max; debounce 200 ms as in the tests, 1 s by
//! default in production, which adds to the first figure).

use std::time::{Duration, Instant};

use fake_discord::*;
use proximity::format::write;
use proximity::scanner::ScannerConfig;
use proximity::synth::{SynthOptions, synth_round};
use proximity_testkit::{BotHarness, BotOptions, ScannerOptions};
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
        // The scanner as in production (the configuration's defaults), but for the debounce.
        let production = ScannerConfig::new(".");
        let env = BotHarness::start(BotOptions::scanning(ScannerOptions {
            watch: production.watch,
            interval: production.interval,
            stable_for: production.stable_for,
            retry_base: production.retry_base,
            ..ScannerOptions::default()
        }))
        .await;
        let fake = &env.fake;

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
            let tmp = env.folder().join(format!("{name}.tmp"));
            std::fs::write(&tmp, &bytes).expect("write");
            let started = Instant::now();
            std::fs::rename(&tmp, env.folder().join(&name)).expect("rename");
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

        env.finish().await;
    });
}
