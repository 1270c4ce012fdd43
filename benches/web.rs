//! The web dashboard on ten years of rounds: API latency (p50 / p95 per route and over all) and
//! page load (the HTML, then its script and style, then the JSON it asks for first, as a
//! browser does: each step's requests at once on kept-alive connections), over real HTTP.
//!
//! `cargo bench --bench web` fills (once; kept for later runs) the database
//! `proximity_bench_web` as the commands bench fills its own (`support/bench_db.rs`), serves
//! the dashboard on 127.0.0.1 and prints the figures and whether they meet the goals:
//! API p95 ≤ 100 ms, page load ≤ 300 ms. Every run asks for a slightly different period (one
//! day more), so no answer comes from a cache.

use std::time::Instant;

use axum::http::{Request, StatusCode};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use proximity::web::guard::RequestLimit;
use proximity::web::{WebState, router, serve};

#[path = "support/mod.rs"]
mod support;

use support::percentile;

const DB_NAME: &str = "proximity_bench_web";
/// Timed runs per case (after two warm-up runs).
const RUNS: usize = 20;
const API_P95_GOAL_MS: f64 = 100.0;
const PAGE_LOAD_GOAL_MS: f64 = 300.0;

type Http = Client<HttpConnector, Full<Bytes>>;

/// GETs `url` as a browser would (gzip accepted) and returns the body's size.
async fn fetch(client: &Http, url: &str) -> anyhow::Result<usize> {
    let req = Request::get(url)
        .header("accept-encoding", "gzip")
        .body(Full::new(Bytes::new()))?;
    let resp = client.request(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    anyhow::ensure!(status == StatusCode::OK, "{url}: {status}");
    Ok(body.len())
}

async fn fetch_all(client: &Http, urls: &[String]) -> anyhow::Result<usize> {
    let sizes = futures::future::try_join_all(urls.iter().map(|u| fetch(client, u))).await?;
    Ok(sizes.iter().sum())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bench = support::bench_db::open(DB_NAME).await?;
    let pool = bench.pool;
    println!("database: {}", bench.url);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    // One client asks everything here: the per-client limit is lifted.
    let app = router(
        WebState::new(
            &pool,
            false,
            std::sync::Arc::new(proximity::command_map::CommandMaps::new(Vec::new())),
        ),
        RequestLimit::new(100_000, 100_000),
    );
    tokio::spawn(serve(listener, app, std::future::pending()));
    let client: Http = Client::builder(TokioExecutor::new()).build_http();

    // A busy player of group 00 and a recent round.
    let guid: String = sqlx::query_scalar(
        "SELECT guid FROM round_players WHERE guid LIKE 'G00%' GROUP BY guid
         ORDER BY count(*) DESC, guid LIMIT 1",
    )
    .fetch_one(&pool)
    .await?;
    let round: i64 =
        sqlx::query_scalar("SELECT max(id) FROM rounds WHERE file_name LIKE 'bench-%'")
            .fetch_one(&pool)
            .await?;

    // "10y" is 3650 − run days, "30d" is 30 + run days.
    let api = |path: &str, run: usize, long: bool| {
        let days = if long { 3650 - run } else { 30 + run };
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{base}/api/v1{path}{sep}days={days}")
    };
    let cases: Vec<(&str, String, bool)> = vec![
        ("summary 10y", "/proximity/summary".into(), true),
        (
            "summary supply 30d",
            "/proximity/summary?map=supply".into(),
            false,
        ),
        ("engagements 10y", "/proximity/engagements".into(), true),
        ("engagements 30d", "/proximity/engagements".into(), false),
        (
            "hotzones supply kills 10y",
            "/proximity/hotzones?map=supply".into(),
            true,
        ),
        (
            "hotzones supply kills 30d",
            "/proximity/hotzones?map=supply".into(),
            false,
        ),
        (
            "hotzones supply movement 10y",
            "/proximity/hotzones?map=supply&kind=movement".into(),
            true,
        ),
        (
            "hotzones supply deaths of a player 10y",
            format!("/proximity/hotzones?map=supply&kind=deaths&player={guid}"),
            true,
        ),
        ("movers 10y", "/proximity/movers".into(), true),
        ("movers 30d", "/proximity/movers".into(), false),
        (
            "movers of a player 10y",
            format!("/proximity/movers?player={guid}"),
            true,
        ),
        ("teamplay 10y", "/proximity/teamplay".into(), true),
        ("duos 10y", "/proximity/duos".into(), true),
        (
            "duos supply 30d",
            "/proximity/duos?map=supply".into(),
            false,
        ),
        ("player 10y", format!("/players/{guid}"), true),
        ("rounds 10y", "/rounds?limit=20".into(), true),
        ("maps/supply", "/maps/supply".into(), true),
    ];
    println!();
    println!("{:<40} {:>8} {:>8}", "API route", "p50 ms", "p95 ms");
    let mut all = Vec::new();
    for (label, path, long) in &cases {
        let mut times = Vec::with_capacity(RUNS);
        for run in 0..RUNS + 2 {
            let url = api(path, run, *long);
            let t = Instant::now();
            fetch(&client, &url).await?;
            if run >= 2 {
                times.push(t.elapsed());
            }
        }
        all.extend_from_slice(&times);
        println!(
            "{label:<40} {:>8.1} {:>8.1}",
            percentile(&mut times, 0.50),
            percentile(&mut times, 0.95)
        );
    }
    let api_p95 = percentile(&mut all, 0.95);
    println!(
        "{:<40} {:>8.1} {:>8.1}  goal p95 ≤ {API_P95_GOAL_MS} ms: {}",
        "all routes",
        percentile(&mut all, 0.50),
        api_p95,
        if api_p95 <= API_P95_GOAL_MS {
            "met"
        } else {
            "MISSED"
        }
    );

    // Pages: the HTML, then script and style, then the first JSON the script asks for.
    type Page = (&'static str, String, Vec<String>);
    let pages = |run: usize| -> Vec<Page> {
        let d = 3650 - run;
        let q = |path: &str| {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{base}/api/v1{path}{sep}days={d}")
        };
        vec![
            (
                "overview",
                format!("{base}/?days={d}"),
                vec![
                    q("/proximity/summary"),
                    q("/proximity/engagements"),
                    q("/proximity/movers"),
                    q("/proximity/teamplay"),
                    q("/rounds?limit=10"),
                    format!("{base}/api/v1/maps"),
                ],
            ),
            (
                "heatmap",
                format!("{base}/heatmap?map=supply&days={d}"),
                vec![
                    format!("{base}/api/v1/maps"),
                    format!("{base}/api/v1/maps/supply"),
                    q("/proximity/hotzones?map=supply&kind=kills"),
                ],
            ),
            (
                "player",
                format!("{base}/players/{guid}?days={d}"),
                vec![
                    format!("{base}/api/v1/maps"),
                    q(&format!("/players/{guid}")),
                ],
            ),
            (
                "duos",
                format!("{base}/duos?days={d}"),
                vec![format!("{base}/api/v1/maps"), q("/proximity/duos?limit=30")],
            ),
            (
                "replay",
                format!("{base}/rounds/{round}"),
                vec![format!("{base}/api/v1/rounds/{round}/replay")],
            ),
        ]
    };
    let assets = [
        format!("{base}/assets/app.js"),
        format!("{base}/assets/app.css"),
    ];
    println!();
    println!(
        "{:<40} {:>8} {:>8} {:>10}",
        "page load", "p50 ms", "p95 ms", "bytes"
    );
    let mut worst = 0.0f64;
    for i in 0..pages(0).len() {
        let mut times = Vec::with_capacity(RUNS);
        let mut bytes = 0;
        for run in 0..RUNS + 2 {
            let (_, html, data) = pages(run).swap_remove(i);
            let t = Instant::now();
            bytes = fetch(&client, &html).await?;
            bytes += fetch_all(&client, &assets).await?;
            bytes += fetch_all(&client, &data).await?;
            if run >= 2 {
                times.push(t.elapsed());
            }
        }
        let p95 = percentile(&mut times, 0.95);
        worst = worst.max(p95);
        println!(
            "{:<40} {:>8.1} {:>8.1} {bytes:>10}",
            pages(0)[i].0,
            percentile(&mut times, 0.50),
            p95
        );
    }
    println!(
        "{:<40} {:>17.1}  goal ≤ {PAGE_LOAD_GOAL_MS} ms: {}",
        "slowest page, p95",
        worst,
        if worst <= PAGE_LOAD_GOAL_MS {
            "met"
        } else {
            "MISSED"
        }
    );
    Ok(())
}
