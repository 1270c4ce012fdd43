//! Engine benchmarks: parse throughput of a 24-player 15-minute round, the full import of that
//! round (parse + metrics + commit into PostgreSQL), the metrics alone and the encoding of its
//! paths for storage.
//!
//! `cargo bench --bench engine` (needs PostgreSQL at DATABASE_URL or the default URL; the import
//! benchmark uses a scratch database `proximity_bench` that it recreates).

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use proximity::format::{self, write};
use proximity::import::ImportOutcome;
use proximity::metrics::{self, MetricParams};
use proximity::synth::{SynthOptions, synth_round};

fn full_round() -> Vec<u8> {
    write(&synth_round(&SynthOptions::new("supply", 1, 24, 900, 42)))
}

fn parse(c: &mut Criterion) {
    let bytes = full_round();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("24 players x 15 min", |b| {
        b.iter(|| format::parse(std::hint::black_box(&bytes)).expect("parses"))
    });
    g.finish();
}

fn derive(c: &mut Criterion) {
    let round = format::parse(&full_round()).expect("parses");
    c.bench_function("metrics 24 players x 15 min", |b| {
        b.iter(|| metrics::derive(std::hint::black_box(&round), &MetricParams::default()))
    });
}

/// The digest that identifies a round (`format::canonical_digest`), on the import's path.
fn digest(c: &mut Criterion) {
    let bytes = full_round();
    let round = format::parse(&bytes).expect("parses");
    let mut g = c.benchmark_group("digest");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("24 players x 15 min", |b| {
        b.iter(|| format::canonical_digest(std::hint::black_box(&round)))
    });
    g.finish();
}

fn encode_paths(c: &mut Criterion) {
    let round = format::parse(&full_round()).expect("parses");
    let samples: usize = round.tracks.iter().map(|t| t.path.len()).sum();
    let mut g = c.benchmark_group("encode paths");
    g.throughput(Throughput::Elements(samples as u64));
    g.bench_function("24 players x 15 min", |b| {
        b.iter(|| {
            std::hint::black_box(&round)
                .tracks
                .iter()
                .map(|t| proximity::store::codec::encode_track_path(&t.path).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

fn import(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| proximity::config::DEFAULT_DATABASE_URL.to_string());
    let base = server
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(server);
    let url = format!("{base}/proximity_bench");
    let pool = rt.block_on(async {
        let pool = match proximity::store::connect(&url).await {
            Ok(pool) => pool,
            // Typically a changed migration: start the scratch database over.
            Err(_) => {
                use sqlx::ConnectOptions;
                let admin: sqlx::postgres::PgConnectOptions = url.parse().expect("url");
                let mut conn = admin.database("postgres").connect().await.expect("server");
                sqlx::query("DROP DATABASE IF EXISTS proximity_bench WITH (FORCE)")
                    .execute(&mut conn)
                    .await
                    .expect("drop");
                proximity::store::connect(&url).await.expect("database")
            }
        };
        sqlx::query("TRUNCATE rounds, players, import_log CASCADE")
            .execute(&pool)
            .await
            .expect("truncate");
        pool
    });
    let bytes = full_round();
    let text = String::from_utf8(bytes).expect("ascii");
    let start = proximity::format::parse(text.as_bytes())
        .expect("the bench round parses")
        .header
        .round_start_unix;
    let mut n = 0u64;
    c.bench_function(
        "import 24 players x 15 min (parse + metrics + commit)",
        |b| {
            b.iter_batched(
                || {
                    // A new start time per iteration makes each import a new round (a round
                    // is its map, number and start); making the file is not part of the import.
                    n += 1;
                    // What autovacuum does on a default server (this machine runs without it):
                    // the totals that every import updates are vacuumed now and then, outside
                    // the timed import.
                    if n.is_multiple_of(25) {
                        rt.block_on(
                            sqlx::raw_sql(
                                "VACUUM heat_totals, pair_totals, player_totals, players, rounds, totals_pending",
                            )
                            .execute(&pool),
                        )
                        .expect("vacuum");
                    }
                    with_start(&text, start + n as i64).into_bytes()
                },
                |unique| {
                    let report = rt
                        .block_on(proximity::import::import_bytes(
                            &pool,
                            "bench.txt",
                            unique,
                            false,
                            &MetricParams::default(),
                        ))
                        .expect("imports");
                    assert!(
                        matches!(report.outcome, ImportOutcome::Imported { .. }),
                        "every iteration imports a new round: {report:?}"
                    );
                },
                BatchSize::PerIteration,
            )
        },
    );
    let (bytes, samples): (i64, i64) = rt
        .block_on(
            sqlx::query_as("SELECT coalesce(sum(pg_column_size(path)), 0)::int8, coalesce(sum(samples), 0)::int8 FROM lives")
                .fetch_one(&pool),
        )
        .expect("sizes");
    println!(
        "stored path bytes per sample: {:.2} ({} samples)",
        bytes as f64 / samples.max(1) as f64,
        samples
    );
}

/// The round file `text` with its header's start time set to `start`.
fn with_start(text: &str, start: i64) -> String {
    text.lines()
        .map(|line| {
            if line.starts_with("# round_start_unix=") {
                format!("# round_start_unix={start}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = parse, derive, digest, encode_paths, import
}
criterion_main!(benches);
