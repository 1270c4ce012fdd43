//! Every dashboard page in a real headless Chromium (Debian's `chromium` and `chromedriver`,
//! driven over WebDriver): no console error on any page, the heatmap's hottest cell where the
//! raw rows put the most kills, the replay's marker where the stored path puts the player at
//! the slider's time, the replay playing, and the server selector of a bot with two servers
//! reloading the page on the chosen server's rounds. Screenshots of each page go to
//! `target/web-screens/`.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::Method;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use proximity::store::codec::decode_track_path;
use proximity::web::guard::RequestLimit;
use proximity::web::replay::QUANTUM;
use serde_json::{Value, json};

use super::web::{Web, raw_kill_cells, raw_summary, samples_db, two_servers_db};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Failure guard of each wait; every wait ends as soon as its condition holds.
const T: Duration = Duration::from_secs(30);

/// chromedriver and the browser it started, ended (by their process group, which is
/// chromedriver's id) when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver's `POST /session/{id}/se/log`: the browser's console since the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(r#"{"type":"browser"}"#.to_string()))
    }
}

async fn start_browser() -> (Client, Driver) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        // Its own process group, so that ending it ends the browser it started too.
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{CHROMEDRIVER}: {e} (apt-get install -y chromium chromium-driver)")
        });
    let driver = Driver(child);
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1300,1800",
                     "--force-device-scale-factor=1",
                     "--disable-crash-reporter", "--disable-breakpad"]
        },
        "goog:loggingPrefs": {"browser": "ALL"}
    });
    let caps = caps.as_object().cloned().unwrap_or_default();
    let deadline = Instant::now() + T;
    loop {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return (c, driver),
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("chromedriver did not start: {e}"),
        }
    }
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Waits for the page's script to finish drawing (`main[data-loaded]`), then checks the
/// console has no error and saves a screenshot.
async fn load(c: &Client, url: &str, shot: &str) {
    c.goto(url).await.expect("goto");
    let deadline = Instant::now() + T;
    let state = loop {
        let v = js(c, "const m = document.getElementById('app'); return m ? (m.dataset.loaded || '') : 'none';").await;
        if v != "" || Instant::now() > deadline {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let errors = console_errors(c).await;
    screenshot(c, shot).await;
    assert_eq!(
        state, "1",
        "{url} did not finish drawing; console: {errors:?}"
    );
    assert!(errors.is_empty(), "{url}: console errors {errors:?}");
}

async fn console_errors(c: &Client) -> Vec<String> {
    let log = c.issue_cmd(BrowserLog).await.expect("browser log");
    log.as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["level"] == "SEVERE")
                .map(|e| e["message"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn screenshot(c: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/web-screens");
    std::fs::create_dir_all(&dir).expect("screens folder");
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

/// The RGBA of canvas `id` at pixel (x, y).
async fn pixel(c: &Client, id: &str, x: f64, y: f64) -> Vec<u8> {
    let v = js(
        c,
        &format!(
            "return Array.from(document.getElementById('{id}').getContext('2d')\
             .getImageData({}, {}, 1, 1).data);",
            x.floor(),
            y.floor()
        ),
    )
    .await;
    serde_json::from_value(v).expect("pixel")
}

/// World (x, y) to the pixels of an 800×800 canvas showing `map`'s frame unzoomed (as
/// `MapView.toCanvas` in app.js).
fn to_canvas(map: &str, x: f64, y: f64) -> (f64, f64) {
    let m = proximity::maps::map_info(map).expect("known map");
    let (fw, fh) = (m.maxs.0 - m.mins.0, m.mins.1 - m.maxs.1);
    let base = (800.0 / fw).min(800.0 / fh);
    let (bx, by) = ((800.0 - fw * base) / 2.0, (800.0 - fh * base) / 2.0);
    (bx + (x - m.mins.0) * base, by + (m.mins.1 - y) * base)
}

#[tokio::test]
async fn every_page_works_in_headless_chromium() {
    let _heavy = crate::CPU_HEAVY.lock().await;
    let db = samples_db().await;
    let web = Web::start(&db.pool, RequestLimit::default()).await;
    let (b, pool) = (web.base.clone(), db.pool.clone());
    in_browser(|c| every_page(c, b, pool)).await;
    drop(web);
    db.drop_db().await;
}

/// Runs `checks` on a fresh browser. They run in a task of their own, so that a failed one
/// still closes the browser before its panic goes on.
async fn in_browser<F, Fut>(checks: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (c, driver) = start_browser().await;
    let outcome = tokio::spawn(checks(c.clone())).await;
    let _ = c.close().await;
    drop(driver);
    if let Err(failed) = outcome {
        std::panic::resume_unwind(failed.into_panic());
    }
}

/// With the server's command map for supply, the heatmap page draws the map's own image under
/// the heat: its north half green, its south half yellow, where no kill is.
#[tokio::test]
async fn the_heatmap_page_draws_the_servers_command_map() {
    use super::command_map::{NORTH, SOUTH, SUPPLY, bsp, pk3, tga};
    let _heavy = crate::CPU_HEAVY.lock().await;
    let db = samples_db().await;
    let maps = tempfile::tempdir().expect("temp dir");
    pk3(
        &maps.path().join("supply.pk3"),
        &[
            ("maps/supply.bsp", &bsp(47, SUPPLY)),
            ("levelshots/supply_cc.tga", &tga(64)),
        ],
    );
    let command_maps = std::sync::Arc::new(proximity::command_map::CommandMaps::new(vec![
        maps.path().to_path_buf(),
    ]));
    let web = Web::start_with_maps(&db.pool, RequestLimit::default(), command_maps).await;
    let b = web.base.clone();
    in_browser(|c| async move {
        load(
            &c,
            &format!("{b}/heatmap?map=supply&kind=kills"),
            "heatmap-command-map",
        )
        .await;
        // The image arrives after the page has drawn; wait for it to be drawn too.
        let deadline = Instant::now() + T;
        let mut top = Vec::new();
        while Instant::now() < deadline {
            top = pixel(&c, "heat", 4.0, 4.0).await;
            if top[..3] == NORTH {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(top, [NORTH[0], NORTH[1], NORTH[2], 255]);
        let bottom = pixel(&c, "heat", 4.0, 795.0).await;
        assert_eq!(bottom, [SOUTH[0], SOUTH[1], SOUTH[2], 255]);
    })
    .await;
    drop(web);
    db.drop_db().await;
}

async fn every_page(c: Client, b: String, pool: sqlx::PgPool) {
    let pool = &pool;

    // The overview shows the raw count of engagements.
    load(&c, &format!("{b}/"), "overview").await;
    let engagements: i64 = sqlx::query_scalar("SELECT count(*) FROM engagements")
        .fetch_one(pool)
        .await
        .unwrap();
    let tile = js(
        &c,
        "return document.querySelector('.tile[data-key=engagements] b').textContent;",
    )
    .await;
    assert_eq!(tile, engagements.to_string());
    // The API as the page's script reads it.
    let summary = js(
        &c,
        "return fetch('/api/v1/proximity/summary?map=supply').then(r => r.json());",
    )
    .await;
    let raw: (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE e.outcome = 'killed')
         FROM engagements e JOIN rounds r ON r.id = e.round_id WHERE r.map = 'supply'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        (summary["engagements"].as_i64(), summary["kills"].as_i64()),
        (Some(raw.0), Some(raw.1))
    );

    // The heatmap's hottest cell is where the raw rows put the most kills: pure white, and a
    // colder cell is not.
    load(&c, &format!("{b}/heatmap?map=supply&kind=kills"), "heatmap").await;
    let cells = raw_kill_cells(pool, "supply").await;
    let max = *cells.values().max().expect("kills on supply");
    let centre = |(cx, cy): (i64, i64)| {
        to_canvas("supply", cx as f64 * 64.0 + 32.0, cy as f64 * 64.0 + 32.0)
    };
    let hottest: Vec<(i64, i64)> = cells
        .iter()
        .filter(|(_, n)| **n == max)
        .map(|(k, _)| *k)
        .collect();
    for cell in &hottest {
        let (x, y) = centre(*cell);
        assert_eq!(
            pixel(&c, "heat", x, y).await,
            [255, 255, 255, 255],
            "{cell:?}"
        );
    }
    let (cold, _) = cells
        .iter()
        .find(|(_, n)| **n < max)
        .expect("a colder cell");
    let (x, y) = centre(*cold);
    assert_ne!(pixel(&c, "heat", x, y).await, [255, 255, 255, 255]);
    let shown = js(
        &c,
        "return document.getElementById('heat').dataset.hottest;",
    )
    .await;
    let shown: Vec<f64> = shown
        .as_str()
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(shown[2] as i64, max);
    // Zooming changes the view; a double click restores it.
    js(
        &c,
        "const h = document.getElementById('heat'); \
         h.dispatchEvent(new WheelEvent('wheel', {deltaY: -100, clientX: 100, clientY: 100, bubbles: true, cancelable: true}));",
    )
    .await;
    let (x, y) = centre(hottest[0]);
    js(&c, "document.getElementById('heat').dispatchEvent(new MouseEvent('dblclick', {bubbles: true}));").await;
    assert_eq!(pixel(&c, "heat", x, y).await, [255, 255, 255, 255]);

    // A player's page.
    let guid: String = sqlx::query_scalar(
        "SELECT guid FROM lives GROUP BY guid ORDER BY count(*) DESC, guid LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    load(&c, &format!("{b}/players/{guid}"), "player").await;
    let rows = js(
        &c,
        "return document.querySelectorAll('#figures tr').length;",
    )
    .await;
    assert!(rows.as_i64().unwrap() > 10, "{rows}");
    // The other kinds, one player's, and the overview of one map and period.
    load(
        &c,
        &format!("{b}/heatmap?map=supply&kind=movement&days=3650"),
        "heatmap-movement",
    )
    .await;
    load(
        &c,
        &format!("{b}/heatmap?map=sw_goldrush_te&kind=objectives&player={guid}"),
        "heatmap-objectives-player",
    )
    .await;
    load(
        &c,
        &format!("{b}/?map=supply&days=3650&player={guid}"),
        "overview-filtered",
    )
    .await;

    // The synergy graph.
    load(&c, &format!("{b}/duos"), "duos").await;
    assert_eq!(
        js(&c, "return document.getElementById('graph').dataset.ready;").await,
        "1"
    );

    // The replay: following a player and moving the slider puts their marker where their
    // stored path has them at that time.
    let id: i64 = sqlx::query_scalar("SELECT min(id) FROM rounds WHERE map = 'supply'")
        .fetch_one(pool)
        .await
        .unwrap();
    let lives: Vec<(String, i32, Vec<u8>)> = sqlx::query_as(
        "SELECT guid, spawn_ms, path FROM lives WHERE round_id = $1 ORDER BY life_ord",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .unwrap();
    let (who, spawn, path) = lives
        .iter()
        .map(|(g, s, p)| (g, *s, decode_track_path(p).unwrap()))
        .find(|(_, _, p)| p.len() > 100)
        .expect("a long life");
    load(&c, &format!("{b}/rounds/{id}"), "replay").await;
    js(
        &c,
        &format!("document.querySelector('#players button[data-guid=\"{who}\"]').click();"),
    )
    .await;
    let wanted = i64::from(spawn) + 200 * 60;
    let t = js(
        &c,
        &format!(
            "const s = document.getElementById('slider'); s.value = '{wanted}'; \
             s.dispatchEvent(new Event('input')); return Number(s.value);"
        ),
    )
    .await
    .as_i64()
    .unwrap();
    let at = path.iter().rev().find(|s| s.time <= t).expect("alive then");
    let follow = js(
        &c,
        "const f = document.getElementById('follow'); return [Number(f.dataset.x), Number(f.dataset.y), Number(f.dataset.t)];",
    )
    .await;
    let (fx, fy) = (follow[0].as_f64().unwrap(), follow[1].as_f64().unwrap());
    assert_eq!(follow[2].as_i64(), Some(t));
    assert!(
        (fx - at.pos.x).abs() <= QUANTUM / 2.0 && (fy - at.pos.y).abs() <= QUANTUM / 2.0,
        "marker at ({fx}, {fy}), path at {:?} at {t} ms",
        at.pos
    );
    let (px, py) = to_canvas("supply", at.pos.x, at.pos.y);
    assert_eq!(
        pixel(&c, "replay", px, py).await,
        [255, 216, 0, 255],
        "the followed marker is drawn there"
    );
    screenshot(&c, "replay-following").await;
    // Play moves time on; pause stops it.
    js(&c, "document.getElementById('play').click();").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    js(&c, "document.getElementById('play').click();").await;
    let later = js(
        &c,
        "return Number(document.getElementById('slider').value);",
    )
    .await
    .as_i64()
    .unwrap();
    assert!(later > t, "the replay plays: {t} → {later}");
    let errors = console_errors(&c).await;
    assert!(errors.is_empty(), "replay: console errors {errors:?}");

    // An unknown map: a 404 page with the closest maps as links.
    c.goto(&format!("{b}/heatmap?map=supplly"))
        .await
        .expect("goto");
    let links = js(
        &c,
        "return Array.from(document.querySelectorAll('.suggestions a')).map(a => a.getAttribute('href'));",
    )
    .await;
    assert_eq!(links[0], "/heatmap?map=supply");
    screenshot(&c, "not-found").await;
}

/// Waits for `script` to return true; errors (a page being replaced) count as not yet.
async fn wait_for(c: &Client, script: &str) -> bool {
    let deadline = Instant::now() + T;
    while Instant::now() < deadline {
        if let Ok(Value::Bool(true)) = c.execute(script, vec![]).await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// With rounds of two servers the overview's filters offer them; choosing one reloads the page,
/// whose API calls then ask for that server's rounds.
#[tokio::test]
async fn choosing_a_server_reloads_the_overview_on_its_rounds() {
    let _heavy = crate::CPU_HEAVY.lock().await;
    let db = two_servers_db().await;
    let web = Web::start_with_servers(&db.pool, &[]).await;
    let all = raw_summary(&db.pool, None).await;
    let eu = raw_summary(&db.pool, Some("eu")).await;
    let b = web.base.clone();
    in_browser(|c| async move {
        load(&c, &format!("{b}/"), "overview-servers").await;
        let tile = "return document.querySelector('.tile[data-key=engagements] b').textContent;";
        assert_eq!(js(&c, tile).await, all[1].to_string());
        let options = js(
            &c,
            "return Array.from(document.querySelectorAll('#f-server option'))\
             .map(o => [o.value, o.textContent, o.selected]);",
        )
        .await;
        assert_eq!(
            options,
            json!([
                ["", "all servers", true],
                ["default", "default (3)", false],
                ["eu", "eu (3)", false]
            ])
        );

        c.find(fantoccini::Locator::Css("#f-server"))
            .await
            .expect("the server selector")
            .select_by_value("eu")
            .await
            .expect("choose eu");
        assert!(
            wait_for(
                &c,
                "return location.search === '?server=eu' && \
                 document.getElementById('app').dataset.loaded === '1';"
            )
            .await,
            "the page reloads on eu"
        );
        let errors = console_errors(&c).await;
        screenshot(&c, "overview-server-eu").await;
        assert!(errors.is_empty(), "console errors {errors:?}");
        assert_eq!(js(&c, tile).await, eu[1].to_string());
        assert_eq!(
            js(&c, "return document.getElementById('f-server').value;").await,
            "eu"
        );
        // Every call of the page's script asked for eu's rounds, and the links keep it.
        let calls = js(
            &c,
            "return performance.getEntriesByType('resource').map(e => new URL(e.name))\
             .filter(u => u.pathname.startsWith('/api/v1/proximity/') || u.pathname === '/api/v1/rounds')\
             .map(u => u.searchParams.get('server'));",
        )
        .await;
        assert_eq!(calls, json!(["eu", "eu", "eu", "eu", "eu", "eu"]));
        let link = js(&c, "return document.getElementById('hot-link').getAttribute('href');").await;
        assert!(link.as_str().unwrap().contains("server=eu"), "{link}");
        // The latest rounds are eu's, each naming its server.
        let servers = js(
            &c,
            "return Array.from(document.querySelectorAll('#rounds tr')).slice(1)\
             .map(r => r.cells[1].textContent);",
        )
        .await;
        assert_eq!(servers, json!(["eu", "eu", "eu"]));
    })
    .await;
    drop(web);
    db.drop_db().await;
}
