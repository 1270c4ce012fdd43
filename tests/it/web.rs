//! The web dashboard over real HTTP on a database of the sample rounds: the API's JSON against
//! values computed here from the raw per-round rows (also per game server, on the sample rounds
//! split between two), the replay against the stored paths, the guards (404 with suggestions,
//! 400, 405, 429, ETag, security headers), the replay link in the Discord summary, and a
//! 64-player, 30-minute round's replay size. The pages in a real browser are in `web_browser`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use bytes::Bytes;
use fake_discord::SUMMARY_CHANNEL;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use proximity::format::write;
use proximity::metrics::MetricParams;
use proximity::store::codec::decode_track_path;
use proximity::synth::{SynthOptions, synth_round};
use proximity::web::guard::RequestLimit;
use proximity::web::replay::{self, QUANTUM};
use proximity::web::{WebState, router, serve};
use proximity_testkit::{BotHarness, BotOptions, ScannerOptions, TestDb};
use serde_json::Value;
use sqlx::PgPool;
use tokio::sync::oneshot;

/// The dashboard on an ephemeral port of 127.0.0.1; stops when dropped.
pub struct Web {
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Web {
    pub async fn start(pool: &PgPool, limit: RequestLimit) -> Web {
        let none = std::sync::Arc::new(proximity::command_map::CommandMaps::new(Vec::new()));
        Web::start_with_maps(pool, limit, none).await
    }

    /// The dashboard drawing on the command maps of `maps`.
    pub async fn start_with_maps(
        pool: &PgPool,
        limit: RequestLimit,
        maps: std::sync::Arc<proximity::command_map::CommandMaps>,
    ) -> Web {
        Web::serve(WebState::new(pool, false, maps), limit).await
    }

    /// The dashboard of a bot configured with the game servers labelled `servers`.
    pub async fn start_with_servers(pool: &PgPool, servers: &[&str]) -> Web {
        let none = std::sync::Arc::new(proximity::command_map::CommandMaps::new(Vec::new()));
        let labels = servers.iter().map(|s| s.to_string()).collect();
        let state = WebState::with_servers(pool, false, none, labels);
        Web::serve(state, RequestLimit::default()).await
    }

    async fn serve(state: WebState, limit: RequestLimit) -> Web {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel();
        let app = router(state, limit);
        tokio::spawn(serve(listener, app, async {
            let _ = rx.await;
        }));
        Web {
            base: format!("http://{addr}"),
            stop: Some(tx),
        }
    }
}

impl Drop for Web {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request to the dashboard.
pub async fn request(method: Method, url: &str, headers: &[(&str, &str)]) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = client
        .request(req.body(Full::new(Bytes::new())).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn get(url: &str) -> Answer {
    request(Method::GET, url, &[]).await
}

pub use crate::samples_db;

/// The kills of `map` per 64-unit cell (all teams), from the raw engagement rows.
pub async fn raw_kill_cells(pool: &PgPool, map: &str) -> BTreeMap<(i64, i64), i64> {
    raw_kill_cells_on(pool, map, None).await
}

#[tokio::test]
async fn the_api_answers_what_the_raw_rows_say() {
    let db = samples_db().await;
    let pool = &db.pool;
    let web = Web::start(pool, RequestLimit::default()).await;
    let api = |path: &str| format!("{}/api/v1{path}", web.base);

    // The summary: sums of the raw engagement rows.
    let raw: (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM rounds), count(*),
                count(*) FILTER (WHERE outcome = 'killed'),
                count(*) FILTER (WHERE is_crossfire), count(*) FILTER (WHERE outcome = 'escaped')
         FROM engagements",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let s = get(&api("/proximity/summary")).await;
    assert_eq!(s.status, StatusCode::OK);
    let s = s.json();
    assert_eq!(
        (
            s["rounds"].as_i64(),
            s["engagements"].as_i64(),
            s["kills"].as_i64(),
            s["crossfires"].as_i64(),
            s["escapes"].as_i64()
        ),
        (
            Some(raw.0),
            Some(raw.1),
            Some(raw.2),
            Some(raw.3),
            Some(raw.4)
        )
    );
    let people: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT guid) FROM lives WHERE NOT is_bot_guid(guid)")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(s["players"].as_i64(), Some(people));

    // One map's summary and timeline.
    let supply: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM engagements e JOIN rounds r ON r.id = e.round_id
         WHERE r.map = 'supply'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let s = get(&api("/proximity/summary?map=SUPPLY")).await.json();
    assert_eq!(s["scope"]["map"], "supply");
    assert_eq!(s["engagements"].as_i64(), Some(supply));
    let t = get(&api("/proximity/engagements?map=supply")).await.json();
    let summed: i64 = t["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["engagements"].as_i64().unwrap())
        .sum();
    assert_eq!(summed, supply);
    // The sample rounds were played in one evening: hourly bars, whatever the period asked.
    assert_eq!(t["bucket"], "hour");
    let t = get(&api("/proximity/engagements?days=3650")).await.json();
    assert_eq!(t["bucket"], "hour");
    let rounds: i64 = t["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["rounds"].as_i64().unwrap())
        .sum();
    assert_eq!(rounds, raw.0);

    // Hotzones: the kills per cell, all teams summed, are the raw rows'.
    let h = get(&api("/proximity/hotzones?map=supply&kind=kills")).await;
    assert_eq!(h.status, StatusCode::OK);
    let h = h.json();
    assert_eq!(h["cell"].as_f64(), Some(64.0));
    assert_eq!(h["frame"]["mins"], serde_json::json!([-3200.0, 3200.0]));
    assert_eq!(h["frame"]["image_url"], Value::Null);
    let mut api_cells: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for p in h["points"].as_array().unwrap() {
        let cell = (
            (p[0].as_f64().unwrap() / 64.0).floor() as i64,
            (p[1].as_f64().unwrap() / 64.0).floor() as i64,
        );
        *api_cells.entry(cell).or_default() += p[2].as_i64().unwrap();
    }
    assert_eq!(api_cells, raw_kill_cells(pool, "supply").await);

    // Movers: the distance leader is the player with the most distance per life among those
    // with 10 lives, from the raw lives.
    let leader: (String, f64) = sqlx::query_as(
        "SELECT guid, sum(distance) / count(*) FROM lives WHERE NOT is_bot_guid(guid)
         GROUP BY guid HAVING count(*) >= 10 ORDER BY 2 DESC, guid LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let m = get(&api("/proximity/movers")).await.json();
    let distance = &m["figures"][0];
    assert_eq!(distance["key"], "distance");
    assert_eq!(distance["leaders"][0]["guid"], leader.0.as_str());
    let value = distance["leaders"][0]["value"].as_f64().unwrap();
    assert!((value - leader.1).abs() < 1e-3, "{value} vs {}", leader.1);
    let keys: Vec<&str> = m["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["distance", "sprint", "spawn reaction", "survival"]);
    let tp = get(&api("/proximity/teamplay")).await.json();
    assert_eq!(tp["figures"][0]["key"], "crossfire kills");

    // With a player: their own figure and place on each board.
    let p = get(&api(&format!("/proximity/movers?player={}", leader.0))).await;
    assert_eq!(p.status, StatusCode::OK);
    let p = p.json();
    assert_eq!(p["figures"][0]["player"]["rank"].as_i64(), Some(1));

    // Duos: the best pair's crossfire kills are the raw pair rows' sum.
    let best: (String, String, i64) = sqlx::query_as(
        "SELECT guid_a, guid_b, sum(crossfire_kills)::int8 FROM pair_stats
         WHERE NOT is_bot_guid(guid_a) AND NOT is_bot_guid(guid_b)
         GROUP BY 1, 2 HAVING sum(crossfires) >= 1 ORDER BY 3 DESC, sum(crossfires) DESC, 1, 2
         LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let d = get(&api("/proximity/duos")).await.json();
    let top = &d["duos"][0];
    assert_eq!(
        (
            top["a"]["guid"].as_str(),
            top["b"]["guid"].as_str(),
            top["crossfire_kills"].as_i64()
        ),
        (Some(best.0.as_str()), Some(best.1.as_str()), Some(best.2))
    );

    // A player by name, and the rounds list.
    let name: String = sqlx::query_scalar("SELECT display_name FROM players WHERE guid = $1")
        .bind(&leader.0)
        .fetch_one(pool)
        .await
        .unwrap();
    let pl = get(&api(&format!(
        "/players/{}",
        utf8_percent_encode(&name, NON_ALPHANUMERIC)
    )))
    .await;
    assert_eq!(pl.status, StatusCode::OK, "{}", pl.text());
    assert_eq!(pl.json()["player"]["guid"], leader.0.as_str());
    let rounds = get(&api("/rounds?limit=3")).await.json();
    assert_eq!(rounds.as_array().unwrap().len(), 3);

    drop(web);
    db.drop_db().await;
}

#[tokio::test]
async fn the_replay_is_every_life_every_200_ms_and_every_death() {
    let db = samples_db().await;
    let pool = &db.pool;
    let web = Web::start(pool, RequestLimit::default()).await;
    let id: i64 = sqlx::query_scalar("SELECT min(id) FROM rounds WHERE map = 'supply'")
        .fetch_one(pool)
        .await
        .unwrap();
    let r = get(&format!("{}/api/v1/rounds/{id}/replay", web.base)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/octet-stream");
    let (header, tracks) = replay::split(&r.body).expect("a replay");
    assert_eq!(header["step_ms"].as_i64(), Some(200));
    assert_eq!(header["frame"]["image_url"], Value::Null);
    let lives: Vec<(i32, Vec<u8>)> =
        sqlx::query_as("SELECT spawn_ms, path FROM lives WHERE round_id = $1 ORDER BY life_ord")
            .bind(id)
            .fetch_all(pool)
            .await
            .unwrap();
    let counts: Vec<usize> = header["lives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l[3].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(counts.len(), lives.len());
    let decoded = replay::decode_tracks(tracks, &counts).expect("tracks");
    for ((spawn, path), got) in lives.iter().zip(&decoded) {
        let path = decode_track_path(path).unwrap();
        // Every 200 ms from the spawn to the last sample, each the sample at that time.
        let last = path.last().unwrap().time;
        assert_eq!(got.len() as i64, (last - i64::from(*spawn)) / 200 + 1);
        for (k, (x, y)) in got.iter().enumerate() {
            let t = i64::from(*spawn) + 200 * k as i64;
            let s = path.iter().rev().find(|s| s.time <= t).unwrap_or(&path[0]);
            assert!(
                (s.pos.x - x).abs() <= QUANTUM / 2.0 && (s.pos.y - y).abs() <= QUANTUM / 2.0,
                "life at {spawn}, {t} ms: {:?} vs ({x}, {y})",
                s.pos
            );
        }
    }
    let deaths: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM engagements WHERE round_id = $1 AND death_x IS NOT NULL",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(header["deaths"].as_array().unwrap().len() as i64, deaths);
    let crossfires: i64 =
        sqlx::query_scalar("SELECT count(*) FROM engagements WHERE round_id = $1 AND is_crossfire")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(
        header["crossfires"].as_array().unwrap().len() as i64,
        crossfires
    );
    let objectives: i64 = sqlx::query_scalar(
        "SELECT cardinality(time_ms)::int8 FROM round_objective_events WHERE round_id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .unwrap()
    .unwrap_or(0);
    assert_eq!(
        header["objectives"].as_array().unwrap().len() as i64,
        objectives
    );
    drop(web);
    db.drop_db().await;
}

#[tokio::test]
async fn a_long_full_round_replays_in_under_2_mb() {
    let _heavy = crate::CPU_HEAVY.lock().await;
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("2026-01-10-183820-supply-round-1_engagements.txt");
    std::fs::write(
        &path,
        write(&synth_round(&SynthOptions::new("supply", 1, 64, 1800, 7))),
    )
    .unwrap();
    proximity::import::import_path(&db.pool, &path, false, &MetricParams::default())
        .await
        .expect("import");
    let web = Web::start(&db.pool, RequestLimit::default()).await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM rounds")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let r = get(&format!("{}/api/v1/rounds/{id}/replay", web.base)).await;
    assert_eq!(r.status, StatusCode::OK);
    let (header, _) = replay::split(&r.body).expect("a replay");
    let samples: u64 = header["lives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l[3].as_u64().unwrap())
        .sum();
    println!(
        "64 players, 30 minutes: {} bytes for {samples} positions and {} deaths",
        r.body.len(),
        header["deaths"].as_array().unwrap().len()
    );
    assert!(samples > 64 * 1800 * 5 / 2, "most of the round is replayed");
    assert!(r.body.len() <= 2_000_000, "{} bytes", r.body.len());
    // Gzip (what a browser asks for) makes it smaller still.
    let gz = request(
        Method::GET,
        &format!("{}/api/v1/rounds/{id}/replay", web.base),
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(gz.headers[header::CONTENT_ENCODING], "gzip");
    println!("gzip: {} bytes", gz.body.len());
    assert!(gz.body.len() < r.body.len());
    drop(web);
    db.drop_db().await;
}

#[tokio::test]
async fn unknown_names_are_404s_with_suggestions_and_nothing_is_writable() {
    let db = samples_db().await;
    let web = Web::start(&db.pool, RequestLimit::default()).await;
    let b = &web.base;

    let page = get(&format!("{b}/heatmap?map=supplly")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.text().contains("href=\"/heatmap?map=supply\""),
        "{}",
        page.text()
    );
    let api = get(&format!("{b}/api/v1/proximity/hotzones?map=goldrush_x")).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    let names: Vec<String> = api.json()["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names[0], "sw_goldrush_te", "{names:?}");

    let name: String = sqlx::query_scalar("SELECT display_name FROM players ORDER BY guid LIMIT 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let typo: String = name
        .chars()
        .take(name.chars().count() - 1)
        .collect::<String>()
        + "qz";
    let p = get(&format!(
        "{b}/players/{}",
        utf8_percent_encode(&typo, NON_ALPHANUMERIC)
    ))
    .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.text().contains("Did you mean"), "{}", p.text());
    assert!(p.text().contains("/players/"), "{}", p.text());

    // The search box: a name goes to the player's page.
    let guid: String = sqlx::query_scalar("SELECT guid FROM players WHERE display_name = $1")
        .bind(&name)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let found = get(&format!(
        "{b}/players/?q={}",
        utf8_percent_encode(&name, NON_ALPHANUMERIC)
    ))
    .await;
    assert_eq!(found.status, StatusCode::SEE_OTHER);
    assert_eq!(
        found.headers[header::LOCATION],
        format!("/players/{guid}").as_str()
    );

    assert_eq!(
        get(&format!("{b}/rounds/999999")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&format!("{b}/rounds/abc")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&format!("{b}/nowhere")).await.status,
        StatusCode::NOT_FOUND
    );
    let bad = get(&format!("{b}/api/v1/proximity/summary?days=0")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"].as_str().unwrap().contains("days"));
    assert_eq!(
        get(&format!("{b}/api/v1/proximity/hotzones")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&format!("{b}/api/v1/proximity/duos?limit=100000"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let r = request(
            method.clone(),
            &format!("{b}/api/v1/proximity/summary"),
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }

    // Security headers and ETags on every answer.
    let s = get(&format!("{b}/")).await;
    assert_eq!(s.status, StatusCode::OK);
    let csp = s.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(s.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(s.headers[header::X_FRAME_OPTIONS], "DENY");
    assert!(
        !s.text().contains("http://") && !s.text().contains("https://"),
        "a page loads nothing from elsewhere"
    );
    let first = get(&format!("{b}/api/v1/proximity/summary")).await;
    let tag = first.headers[header::ETAG].to_str().unwrap().to_string();
    let again = request(
        Method::GET,
        &format!("{b}/api/v1/proximity/summary"),
        &[("if-none-match", &tag)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    let other = request(
        Method::GET,
        &format!("{b}/api/v1/proximity/summary?map=supply"),
        &[("if-none-match", &tag)],
    )
    .await;
    assert_eq!(other.status, StatusCode::OK, "another answer, another tag");
    drop(web);
    db.drop_db().await;
}

#[tokio::test]
async fn a_client_over_its_request_limit_is_refused() {
    let db = TestDb::new().await;
    let web = Web::start(&db.pool, RequestLimit::new(1, 3)).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(get(&format!("{}/assets/app.css", web.base)).await.status);
    }
    assert_eq!(&statuses[..3], &[StatusCode::OK; 3]);
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS);
    let r = get(&format!("{}/assets/app.css", web.base)).await;
    assert_eq!(r.headers[header::RETRY_AFTER], "1");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        get(&format!("{}/assets/app.css", web.base)).await.status,
        StatusCode::OK,
        "the limit refills"
    );
    drop(web);
    db.drop_db().await;
}

#[tokio::test]
async fn the_round_summary_links_to_its_replay_when_the_dashboard_is_public() {
    let env = BotHarness::start(BotOptions {
        public_url: Some("https://stats.example.org".into()),
        ..BotOptions::scanning(ScannerOptions::default())
    })
    .await;
    let round = synth_round(&SynthOptions::new("supply", 1, 6, 90, 11));
    env.drop_file(
        "2026-01-10-183820-supply-round-1_engagements.txt",
        &write(&round),
    );
    let posts = env
        .fake
        .wait_channel_messages(SUMMARY_CHANNEL, 1, Duration::from_secs(60))
        .await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM rounds")
        .fetch_one(&env.db.pool)
        .await
        .unwrap();
    let embed = &posts[0].embeds[0];
    let url = format!("https://stats.example.org/rounds/{id}");
    assert_eq!(embed["url"], url.as_str());
    let replay = embed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Replay")
        .expect("a replay field");
    assert_eq!(
        replay["value"],
        format!("[Watch the round]({url})").as_str()
    );
    env.finish().await;
}

/// A `proximity` process, ended (by its id) when dropped, also when a test fails.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the `proximity` binary with `args` on `database_url`, the dashboard on a free port,
/// and returns it with the address it printed.
async fn spawn_serving(args: &[&str], database_url: &str) -> (Served, String) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_proximity"))
        .args(args)
        .current_dir(dir.path())
        .env("DATABASE_URL", database_url)
        .env("WEB_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the proximity binary runs");
    let stdout = child.stdout.take().expect("stdout");
    let address = tokio::task::spawn_blocking(move || {
        let _dir = dir;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("a line");
            if let Some(rest) = line.strip_prefix("Web dashboard: ") {
                return rest.split_whitespace().next().map(str::to_string);
            }
        }
        None
    })
    .await
    .expect("read the output");
    let served = Served(child);
    match address {
        Some(a) => (served, a.trim_end_matches('/').to_string()),
        None => panic!("no address printed"),
    }
}

#[tokio::test]
async fn the_demo_prints_an_address_that_serves_every_page_of_the_sample_rounds() {
    let db = TestDb::new().await;
    let out = tempfile::tempdir().expect("temp dir");
    let out_arg = out.path().to_string_lossy().into_owned();
    let (served, base) = spawn_serving(&["demo", "--out", &out_arg], &db.url).await;
    let (round, guid): (i64, String) =
        sqlx::query_as("SELECT (SELECT max(id) FROM rounds), (SELECT min(guid) FROM players)")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    for path in [
        "/".to_string(),
        "/heatmap".into(),
        "/duos".into(),
        format!("/players/{guid}"),
        format!("/rounds/{round}"),
        format!("/api/v1/rounds/{round}/replay"),
        "/assets/app.js".into(),
    ] {
        let r = get(&format!("{base}{path}")).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
    }
    let rounds = get(&format!("{base}/api/v1/rounds")).await.json();
    assert_eq!(rounds.as_array().unwrap().len(), 6, "the six sample rounds");
    drop(served);
    db.drop_db().await;
}

#[tokio::test]
async fn proximity_web_serves_the_dashboard_alone() {
    let db = TestDb::new().await;
    let (served, base) = spawn_serving(&["web"], &db.url).await;
    let maps = get(&format!("{base}/api/v1/maps")).await;
    assert_eq!(maps.status, StatusCode::OK);
    assert_eq!(maps.json(), serde_json::json!([]));
    drop(served);
    db.drop_db().await;
}

/// The sample rounds of `indices` (in file-name order) imported as rounds of `server`.
pub async fn import_samples(pool: &PgPool, server: &str, indices: &[usize]) {
    let files =
        proximity::import::collect_files(&[proximity::demo::samples_dir()]).expect("samples");
    let params = MetricParams::default();
    for &i in indices {
        let name = files[i].file_name().expect("a file").to_string_lossy();
        let bytes = std::fs::read(&files[i]).expect("a sample");
        proximity::import::import_bytes_from(pool, server, &name, bytes, false, &params)
            .await
            .expect("import a sample");
    }
}

/// The six sample rounds on two servers: the first round of each map pair (supply 1,
/// goldrush 1, adlernest) on `eu`, the others on `default`, all in the monthly and yearly
/// totals (which hold every server together).
pub async fn two_servers_db() -> TestDb {
    let db = TestDb::new().await;
    import_samples(&db.pool, "eu", &[0, 2, 4]).await;
    import_samples(&db.pool, "default", &[1, 3, 5]).await;
    proximity::store::totals::add_pending(&db.pool)
        .await
        .expect("totals");
    db
}

/// Rounds, engagements, kills, crossfires, escapes and people of `server`'s rounds (every
/// server's with `None`), from the raw rows.
pub async fn raw_summary(pool: &PgPool, server: Option<&str>) -> [i64; 6] {
    let raw: (i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM rounds r WHERE ($1::text IS NULL OR r.server = $1)),
                count(*), count(*) FILTER (WHERE e.outcome = 'killed'),
                count(*) FILTER (WHERE e.is_crossfire),
                count(*) FILTER (WHERE e.outcome = 'escaped'),
                (SELECT count(DISTINCT l.guid) FROM lives l JOIN rounds r ON r.id = l.round_id
                 WHERE NOT is_bot_guid(l.guid) AND ($1::text IS NULL OR r.server = $1))
         FROM engagements e JOIN rounds r ON r.id = e.round_id
         WHERE ($1::text IS NULL OR r.server = $1)",
    )
    .bind(server)
    .fetch_one(pool)
    .await
    .expect("raw summary");
    [raw.0, raw.1, raw.2, raw.3, raw.4, raw.5]
}

/// The kills of `map` per 64-unit cell on `server`'s rounds, from the raw engagement rows.
async fn raw_kill_cells_on(
    pool: &PgPool,
    map: &str,
    server: Option<&str>,
) -> BTreeMap<(i64, i64), i64> {
    let rows: Vec<(f32, f32)> = sqlx::query_as(
        "SELECT e.death_x, e.death_y FROM engagements e JOIN rounds r ON r.id = e.round_id
         WHERE r.map = $1 AND e.death_x IS NOT NULL AND ($2::text IS NULL OR r.server = $2)",
    )
    .bind(map)
    .bind(server)
    .fetch_all(pool)
    .await
    .expect("kills");
    let mut cells = BTreeMap::new();
    for (x, y) in rows {
        let cell = (
            (f64::from(x) / 64.0).floor() as i64,
            (f64::from(y) / 64.0).floor() as i64,
        );
        *cells.entry(cell).or_default() += 1;
    }
    cells
}

/// A hotzones answer's weights per 64-unit cell.
fn api_cells(h: &Value) -> BTreeMap<(i64, i64), i64> {
    let mut cells = BTreeMap::new();
    for p in h["points"].as_array().expect("points") {
        let cell = (
            (p[0].as_f64().unwrap() / 64.0).floor() as i64,
            (p[1].as_f64().unwrap() / 64.0).floor() as i64,
        );
        *cells.entry(cell).or_default() += p[2].as_i64().unwrap();
    }
    cells
}

/// Distance per life (from 10 lives) and crossfire kills per round (from 3 rounds) of every
/// person on `server`'s rounds, from the raw lives and team-play rows.
async fn raw_boards(pool: &PgPool, server: Option<&str>) -> [BTreeMap<String, f64>; 2] {
    let distance: Vec<(String, f64)> = sqlx::query_as(
        "SELECT l.guid, sum(l.distance)::float8 / count(*) FROM lives l
         JOIN rounds r ON r.id = l.round_id
         WHERE NOT is_bot_guid(l.guid) AND ($1::text IS NULL OR r.server = $1)
         GROUP BY l.guid HAVING count(*) >= 10",
    )
    .bind(server)
    .fetch_all(pool)
    .await
    .expect("distance");
    let crossfire: Vec<(String, f64)> = sqlx::query_as(
        "SELECT t.guid, sum(t.crossfire_kills)::float8 / count(*) FROM player_teamplay t
         JOIN rounds r ON r.id = t.round_id
         WHERE NOT is_bot_guid(t.guid) AND ($1::text IS NULL OR r.server = $1)
         GROUP BY t.guid HAVING count(*) >= 3",
    )
    .bind(server)
    .fetch_all(pool)
    .await
    .expect("crossfire kills");
    [
        distance.into_iter().collect(),
        crossfire.into_iter().collect(),
    ]
}

/// A board's leaders, GUID to value.
fn leaders(board: &Value) -> BTreeMap<String, f64> {
    board["leaders"]
        .as_array()
        .expect("leaders")
        .iter()
        .map(|l| {
            (
                l["guid"].as_str().unwrap().to_string(),
                l["value"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn assert_same_values(got: &BTreeMap<String, f64>, want: &BTreeMap<String, f64>, what: &str) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{what}: the players ranked"
    );
    for (guid, v) in want {
        assert!(
            (got[guid] - v).abs() < 1e-6,
            "{what} of {guid}: {} vs {v}",
            got[guid]
        );
    }
}

/// The pairs of people that crossfired on `server`'s rounds with their crossfire kills.
async fn raw_duos(pool: &PgPool, server: Option<&str>) -> BTreeMap<(String, String), i64> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT s.guid_a, s.guid_b, sum(s.crossfire_kills)::int8 FROM pair_stats s
         JOIN rounds r ON r.id = s.round_id
         WHERE NOT is_bot_guid(s.guid_a) AND NOT is_bot_guid(s.guid_b)
           AND ($1::text IS NULL OR r.server = $1)
         GROUP BY 1, 2 HAVING sum(s.crossfires) >= 1",
    )
    .bind(server)
    .fetch_all(pool)
    .await
    .expect("duos");
    rows.into_iter().map(|(a, b, k)| ((a, b), k)).collect()
}

#[tokio::test]
async fn the_server_filter_answers_what_that_servers_rounds_say() {
    let db = TestDb::new().await;
    let pool = &db.pool;
    import_samples(pool, "eu", &[0, 2, 4]).await;

    // One server: the pages have no server selector.
    let web = Web::start_with_servers(pool, &["eu"]).await;
    for page in ["/", "/heatmap?map=supply", "/duos"] {
        let r = get(&format!("{}{page}", web.base)).await;
        assert_eq!(r.status, StatusCode::OK, "{page}");
        assert!(!r.text().contains("f-server"), "{page}: {}", r.text());
    }
    assert_eq!(
        get(&format!("{}/api/v1/servers", web.base)).await.json(),
        serde_json::json!([{"name": "eu", "rounds": 3}])
    );
    drop(web);

    import_samples(pool, "default", &[1, 3, 5]).await;
    proximity::store::totals::add_pending(pool)
        .await
        .expect("totals");
    // `us` is configured and has no rounds yet.
    let web = Web::start_with_servers(pool, &["eu", "us"]).await;
    let api = |path: &str| format!("{}/api/v1{path}", web.base);
    assert_eq!(
        get(&api("/servers")).await.json(),
        serde_json::json!([
            {"name": "eu", "rounds": 3}, {"name": "us", "rounds": 0},
            {"name": "default", "rounds": 3}
        ])
    );

    let guid_server: BTreeMap<i64, String> = sqlx::query_as("SELECT id, server FROM rounds")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let mut sums = [0i64; 5];
    let mut cells_of_both: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for server in ["eu", "default"] {
        let q = format!("server={server}");
        let raw = raw_summary(pool, Some(server)).await;
        assert_eq!(raw[0], 3);

        // The map list is that server's maps, with its rounds on each.
        let maps: Vec<(String, i64)> = sqlx::query_as(
            "SELECT map, count(*)::int8 FROM rounds WHERE server = $1
             GROUP BY map ORDER BY count(*) DESC, map",
        )
        .bind(server)
        .fetch_all(pool)
        .await
        .unwrap();
        let listed: Vec<(String, i64)> = get(&api(&format!("/maps?{q}")))
            .await
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["name"].as_str().unwrap().to_string(),
                    m["rounds"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(listed, maps);

        let s = get(&api(&format!("/proximity/summary?{q}"))).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.text());
        let s = s.json();
        assert_eq!(s["scope"]["server"], server);
        let got: Vec<i64> = [
            "rounds",
            "engagements",
            "kills",
            "crossfires",
            "escapes",
            "players",
        ]
        .iter()
        .map(|k| s[*k].as_i64().unwrap())
        .collect();
        assert_eq!(got, raw, "{server}: summary");
        for (sum, v) in sums.iter_mut().zip(&raw) {
            *sum += v;
        }

        let t = get(&api(&format!("/proximity/engagements?{q}")))
            .await
            .json();
        let total = |k: &str| -> i64 {
            t["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p[k].as_i64().unwrap())
                .sum()
        };
        assert_eq!(
            (total("rounds"), total("engagements"), total("kills")),
            (raw[0], raw[1], raw[2]),
            "{server}: timeline"
        );

        let h = get(&api(&format!(
            "/proximity/hotzones?map=supply&kind=kills&{q}"
        )))
        .await;
        assert_eq!(h.status, StatusCode::OK);
        let h = h.json();
        assert_eq!(h["rounds"].as_i64(), Some(1), "one supply round on each");
        let cells = api_cells(&h);
        assert_eq!(
            cells,
            raw_kill_cells_on(pool, "supply", Some(server)).await,
            "{server}: hotzones"
        );
        for (cell, n) in cells {
            *cells_of_both.entry(cell).or_default() += n;
        }

        let [distance, crossfire] = raw_boards(pool, Some(server)).await;
        assert!(!distance.is_empty() && distance.len() < 50);
        assert!(!crossfire.is_empty() && crossfire.len() < 50);
        let m = get(&api(&format!("/proximity/movers?limit=50&{q}")))
            .await
            .json();
        assert_eq!(m["figures"][0]["key"], "distance");
        assert_same_values(&leaders(&m["figures"][0]), &distance, "distance");
        let tp = get(&api(&format!("/proximity/teamplay?limit=50&{q}")))
            .await
            .json();
        assert_eq!(tp["figures"][0]["key"], "crossfire kills");
        assert_same_values(&leaders(&tp["figures"][0]), &crossfire, "crossfire kills");

        let duos = raw_duos(pool, Some(server)).await;
        assert!(!duos.is_empty() && duos.len() < 100);
        let d = get(&api(&format!("/proximity/duos?limit=100&{q}")))
            .await
            .json();
        let got: BTreeMap<(String, String), i64> = d["duos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    (
                        x["a"]["guid"].as_str().unwrap().to_string(),
                        x["b"]["guid"].as_str().unwrap().to_string(),
                    ),
                    x["crossfire_kills"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, duos, "{server}: duos");

        // The player with the most lives there: their rounds, figures and partners there.
        let guid: String = sqlx::query_scalar(
            "SELECT l.guid FROM lives l JOIN rounds r ON r.id = l.round_id
             WHERE r.server = $1 AND NOT is_bot_guid(l.guid)
             GROUP BY l.guid ORDER BY count(*) DESC, l.guid LIMIT 1",
        )
        .bind(server)
        .fetch_one(pool)
        .await
        .unwrap();
        let their_rounds: Vec<i64> = sqlx::query_scalar(
            "SELECT r.id FROM rounds r JOIN round_players p ON p.round_id = r.id
             WHERE r.server = $1 AND p.guid = $2 ORDER BY r.played_at DESC, r.id DESC",
        )
        .bind(server)
        .bind(&guid)
        .fetch_all(pool)
        .await
        .unwrap();
        let partners: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT s.partner, sum(s.crossfires)::int8, sum(s.crossfire_kills)::int8
             FROM (SELECT CASE WHEN p.guid_a = $2 THEN p.guid_b ELSE p.guid_a END AS partner,
                          p.crossfires, p.crossfire_kills
                   FROM pair_stats p JOIN rounds r ON r.id = p.round_id
                   WHERE r.server = $1 AND $2 IN (p.guid_a, p.guid_b)) s
             WHERE NOT is_bot_guid(s.partner)
             GROUP BY 1 HAVING sum(s.crossfires) > 0 ORDER BY 2 DESC, 3 DESC, 1 LIMIT 10",
        )
        .bind(server)
        .bind(&guid)
        .fetch_all(pool)
        .await
        .unwrap();
        let p = get(&api(&format!("/players/{guid}?{q}"))).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.text());
        let p = p.json();
        assert_eq!(p["scope"]["server"], server);
        let ids: Vec<i64> = p["rounds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, their_rounds, "{server}: the player's rounds");
        let figure = |key: &str| {
            p["figures"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["key"] == key)
                .and_then(|f| f["value"].as_f64())
        };
        let close = |a: Option<f64>, b: Option<&f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-6,
            _ => false,
        };
        assert!(close(figure("distance"), distance.get(&guid)), "distance");
        assert!(
            close(figure("crossfire kills"), crossfire.get(&guid)),
            "crossfire kills"
        );
        let got: Vec<(String, i64, i64)> = p["partners"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["a"]["guid"].as_str().unwrap().to_string(),
                    d["crossfires"].as_i64().unwrap(),
                    d["crossfire_kills"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, partners, "{server}: the player's partners");

        // The rounds list: that server's rounds, each with its label.
        let r = get(&api(&format!("/rounds?{q}"))).await.json();
        let listed: Vec<(i64, String)> = r
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_i64().unwrap(),
                    r["server"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want: Vec<(i64, String)> = guid_server
            .iter()
            .filter(|(_, s)| *s == server)
            .map(|(id, s)| (*id, s.clone()))
            .collect();
        let mut sorted = listed.clone();
        sorted.sort();
        assert_eq!(sorted, want, "{server}: rounds");
    }

    // Without `server`: both servers' rounds, as the totals and the raw rows say.
    let all = get(&api("/proximity/summary")).await.json();
    assert_eq!(all["scope"]["server"], Value::Null);
    let got: Vec<i64> = ["rounds", "engagements", "kills", "crossfires", "escapes"]
        .iter()
        .map(|k| all[*k].as_i64().unwrap())
        .collect();
    assert_eq!(got, sums, "the sum of both servers");
    assert_eq!(got, raw_summary(pool, None).await[..5]);
    let h = get(&api("/proximity/hotzones?map=supply&kind=kills"))
        .await
        .json();
    assert_eq!(api_cells(&h), cells_of_both);
    assert_eq!(cells_of_both, raw_kill_cells_on(pool, "supply", None).await);
    let [distance, crossfire] = raw_boards(pool, None).await;
    let m = get(&api("/proximity/movers?limit=50")).await.json();
    assert_same_values(&leaders(&m["figures"][0]), &distance, "distance, all");
    let tp = get(&api("/proximity/teamplay?limit=50")).await.json();
    assert_same_values(
        &leaders(&tp["figures"][0]),
        &crossfire,
        "crossfire kills, all",
    );
    let r = get(&api("/rounds")).await.json();
    let listed: BTreeMap<i64, String> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["server"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(listed, guid_server);

    // A label in any case is the server; a configured one without rounds has none.
    let upper = get(&api("/proximity/summary?server=EU")).await;
    assert_eq!(upper.status, StatusCode::OK);
    assert_eq!(
        upper.json(),
        get(&api("/proximity/summary?server=eu")).await.json()
    );
    let us = get(&api("/proximity/summary?server=us")).await.json();
    assert_eq!(
        (us["rounds"].as_i64(), us["engagements"].as_i64()),
        (Some(0), Some(0))
    );
    // The replay is by id, whatever the filter.
    let id = guid_server.keys().next().unwrap();
    let replay = get(&api(&format!("/rounds/{id}/replay?server=nowhere"))).await;
    assert_eq!(replay.status, StatusCode::OK);

    // The pages: a selector of every server, the chosen one selected and handed to the script.
    let page = get(&format!("{}/?server=EU", web.base)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains(
            "<select name=\"server\" id=\"f-server\"><option value=\"\">all servers</option>\
             <option value=\"eu\" selected>eu (3)</option><option value=\"us\">us (0)</option>\
             <option value=\"default\">default (3)</option></select>"
        ),
        "{html}"
    );
    assert!(html.contains("data-server=\"eu\""), "{html}");
    for page in ["/heatmap?map=supply&server=default", "/duos?server=default"] {
        let html = get(&format!("{}{page}", web.base)).await.text();
        assert!(
            html.contains("<option value=\"default\" selected>default (3)</option>"),
            "{page}: {html}"
        );
    }
    drop(web);
    db.drop_db().await;
}

#[tokio::test]
async fn an_unknown_server_is_a_404_naming_the_known_ones_and_a_malformed_one_a_400() {
    let db = two_servers_db().await;
    let web = Web::start_with_servers(&db.pool, &[]).await;
    let b = &web.base;
    let guid: String = sqlx::query_scalar("SELECT min(guid) FROM players")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let routes = [
        "/proximity/summary?".to_string(),
        "/proximity/engagements?".into(),
        "/proximity/hotzones?map=supply&".into(),
        "/proximity/movers?".into(),
        "/proximity/teamplay?".into(),
        "/proximity/duos?".into(),
        format!("/players/{guid}?"),
        "/rounds?".into(),
    ];
    let known = serde_json::json!([
        {"name": "eu", "href": "/?server=eu"},
        {"name": "default", "href": "/?server=default"}
    ]);
    for route in &routes {
        let r = get(&format!("{b}/api/v1{route}server=eux")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{route}");
        assert_eq!(
            r.json(),
            serde_json::json!({"error": "No server called “eux”.", "suggestions": known}),
            "{route}"
        );
        for bad in ["eu%20west", &"x".repeat(33)] {
            let r = get(&format!("{b}/api/v1{route}server={bad}")).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{route} {bad}");
            let error = r.json()["error"].as_str().unwrap().to_string();
            assert!(error.starts_with("server: "), "{route}: {error}");
        }
    }
    let page = get(&format!("{b}/heatmap?map=supply&server=eux")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let html = page.text();
    assert!(html.contains("No server called “eux”."), "{html}");
    assert!(
        html.contains(
            "<ul class=\"suggestions\"><li><a href=\"/?server=eu\">eu</a></li>\
             <li><a href=\"/?server=default\">default</a></li></ul>"
        ),
        "{html}"
    );
    let page = get(&format!("{b}/duos?server=eu%20west")).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.text().contains("server: "), "{}", page.text());
    drop(web);
    db.drop_db().await;
}
