//! The bot end to end: the real poise/serenity client against the fake Discord (every REST
//! request validated against Discord's OpenAPI spec), a real PostgreSQL database per test, the
//! real scanner on a temporary game-server folder.

use std::time::{Duration, Instant};

use fake_discord::*;
use proximity::format::{Name, Round, write};
use proximity::metrics::MetricParams;
use proximity::scanner::{Scanner, ScannerConfig};
use proximity::synth::{SynthOptions, synth_round};
use proximity_testkit::{BotHarness, BotOptions, Proxy, ScannerOptions, TestDb};
use serde_json::{Value, json};

/// Failure guard only; waits end as soon as their event is recorded.
const T: Duration = Duration::from_secs(30);
const NO_MENTIONS: fn() -> Value = || json!({"parse": [], "users": [], "roles": []});

fn round_file(map: &str, round: u8, seed: u64) -> (String, Vec<u8>) {
    let r = synth_round(&SynthOptions::new(map, round, 6, 60, seed));
    (
        format!("2026-01-10-1{seed:05}-{map}-round-{round}_engagements.txt"),
        write(&r),
    )
}

/// Renames every appearance of the player `guid`.
fn rename(round: &mut Round, guid: &str, name: &[u8]) {
    let name = Name::new(name.to_vec());
    for t in round.tracks.iter_mut().filter(|t| t.guid == guid) {
        t.name = name.clone();
    }
    for e in &mut round.engagements {
        if e.target_guid == guid {
            e.target_name = name.clone();
        }
        if e.killer_guid.as_deref() == Some(guid) {
            e.killer_name = Some(name.clone());
        }
        for a in e.attackers.iter_mut().filter(|a| a.guid == guid) {
            a.name = name.clone();
        }
    }
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let reader = decoder.read_info().expect("a PNG");
    (reader.info().width, reader.info().height)
}

#[tokio::test]
async fn startup_registers_every_command_with_admin_permissions() {
    let env = BotHarness::start(BotOptions::scanning(ScannerOptions::default())).await;
    let commands = env
        .fake
        .registered_commands(Some(GUILD_ID))
        .expect("guild registration");
    let mut names: Vec<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        vec![
            "best_duo",
            "compare",
            "crossfire_partners",
            "engagement_stats",
            "escape_artists",
            "heatmap",
            "help",
            "leaderboard",
            "link",
            "link_confirm",
            "medics",
            "objectives",
            "player",
            "proximity_import",
            "proximity_scan",
            "proximity_status",
            "round",
            "unlink",
            "weapons",
        ]
    );
    for c in &commands {
        let admin = c["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("proximity_") || n == "link_confirm");
        let perms = &c["default_member_permissions"];
        if admin {
            assert_eq!(perms, &json!("32"), "{}", c["name"]);
        } else {
            assert!(perms.is_null(), "{}", c["name"]);
        }
    }
    assert!(!env.fake.command_visible_to(ALICE, "proximity_status"));
    assert!(env.fake.command_visible_to(BOB, "proximity_status"));
    env.finish().await;
}

#[tokio::test]
async fn a_new_file_is_imported_and_its_summary_posted_without_pinging_anyone() {
    let env = BotHarness::start(BotOptions::scanning(ScannerOptions::default())).await;
    let mut round = synth_round(&SynthOptions::new("supply", 1, 6, 90, 11));
    // The top damage dealer is called @everyone, with colour codes and markdown.
    let metrics = proximity::metrics::derive(&round, &MetricParams::default());
    let top = metrics.summary.top_damage[0].guid.clone();
    rename(&mut round, &top, b"^1@everyone **boss**");
    let started = Instant::now();
    env.drop_file(
        "2026-01-10-183820-supply-round-1_engagements.txt",
        &write(&round),
    );

    let posts = env.fake.wait_channel_messages(SUMMARY_CHANNEL, 1, T).await;
    let elapsed = started.elapsed();
    assert_eq!(env.rounds().await, 1);
    let post = &posts[0];
    assert_eq!(post.allowed_mentions, Some(NO_MENTIONS()));
    assert_eq!(post.embeds.len(), 1);
    let embed = &post.embeds[0];
    assert_eq!(embed["title"], json!("supply · round 1"));
    assert_eq!(embed["image"]["url"], json!("attachment://round.png"));
    let fields: Vec<(&str, &str)> = embed["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or(""),
                f["value"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let s = &metrics.summary;
    assert!(
        fields.contains(&("Engagements", s.engagements.to_string().as_str())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("Crossfires", s.crossfires.to_string().as_str())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("Escapes", s.escapes.to_string().as_str())),
        "{fields:?}"
    );
    let top_damage = fields
        .iter()
        .find(|f| f.0 == "Top damage")
        .expect("top damage")
        .1;
    let expected = format!(
        "1. @\u{200b}everyone \\*\\*boss\\*\\* — {}",
        s.top_damage[0].amount
    );
    assert!(top_damage.starts_with(&expected), "{top_damage:?}");
    let card = post.file("round.png").expect("summary card");
    assert_eq!(
        png_size(&card.bytes),
        (
            proximity::render::ROUND_CARD_WIDTH,
            proximity::render::ROUND_CARD_HEIGHT
        )
    );
    println!("file → summary posted in {elapsed:?}");
    env.finish().await;
}

#[tokio::test]
async fn the_timer_imports_files_the_watcher_did_not_see() {
    let before = round_file("supply", 1, 1);
    let env = BotHarness::start(BotOptions::scanning(ScannerOptions {
        watch: false,
        interval: Duration::from_millis(500),
        files: vec![before],
        ..ScannerOptions::default()
    }))
    .await;
    env.wait_rounds(1).await;
    let (name, bytes) = round_file("supply", 2, 2);
    env.drop_file(&name, &bytes);
    env.wait_rounds(2).await;
    assert!(!env.scanner().status().watching);
    env.finish().await;
}

#[tokio::test]
async fn manual_scan_shows_progress_and_racing_triggers_import_each_round_once() {
    let env = BotHarness::start(BotOptions::scanning(ScannerOptions {
        auto_import: false,
        ..ScannerOptions::default()
    }))
    .await;
    for seed in 0..20 {
        let (name, bytes) = round_file("goldrush", 1, 100 + seed);
        env.drop_file(&name, &bytes);
    }
    let handle = env.fake.invoke(BOB, "proximity_scan", json!({}));
    let reply = handle
        .reply_where(|m| m.text().starts_with("Scan done"), T)
        .await;
    let first = handle.callback(T).await;
    let flags = first
        .json()
        .and_then(|j| j["data"]["flags"].as_u64())
        .unwrap_or(0);
    assert_eq!(flags & EPHEMERAL, EPHEMERAL, "the reply is ephemeral");
    assert!(
        reply.text().contains("20 files, 20 imported"),
        "{}",
        reply.text()
    );
    let progress: Vec<String> = handle
        .all_requests()
        .iter()
        .filter_map(|r| {
            r.json()
                .and_then(|j| j["content"].as_str())
                .map(str::to_owned)
        })
        .filter(|c| c.starts_with("Importing "))
        .collect();
    // The first file shows at once, however quick the scan.
    assert!(
        progress
            .first()
            .is_some_and(|p| p.starts_with("Importing 1/20: ")),
        "progress edits: {progress:?}"
    );
    assert_eq!(env.rounds().await, 20);
    // A backlog of 20 new rounds is one digest, not 20 messages.
    let posts = env.fake.wait_channel_messages(SUMMARY_CHANNEL, 1, T).await;
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].embeds[0]["title"], json!("20 rounds imported"));
    assert_eq!(posts[0].allowed_mentions, Some(NO_MENTIONS()));

    // Ten more files while a watcher/timer scanner and two manual scans race.
    let racer = Scanner::new(env.db.pool.clone(), {
        let mut c = ScannerConfig::new(env.folder());
        c.interval = Duration::from_millis(100);
        c.debounce = Duration::from_millis(50);
        c
    });
    racer.start();
    for seed in 0..10 {
        let (name, bytes) = round_file("goldrush", 2, 200 + seed);
        env.drop_file(&name, &bytes);
    }
    let a = env.fake.invoke(BOB, "proximity_scan", json!({}));
    let b = env.fake.invoke(BOB, "proximity_scan", json!({}));
    a.reply_where(|m| m.text().starts_with("Scan done"), T)
        .await;
    b.reply_where(|m| m.text().starts_with("Scan done"), T)
        .await;
    env.wait_rounds(30).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(env.rounds().await, 30);
    let imported: i64 =
        sqlx::query_scalar("SELECT count(*) FROM import_log WHERE status = 'imported'")
            .fetch_one(&env.db.pool)
            .await
            .unwrap();
    assert_eq!(imported, 30);
    racer.shutdown().await;
    env.finish().await;
}

#[tokio::test]
async fn admin_commands_refuse_members_and_paths() {
    let env = BotHarness::start(BotOptions::scanning(ScannerOptions {
        auto_import: false,
        ..ScannerOptions::default()
    }))
    .await;
    let denied = env
        .fake
        .invoke(ALICE, "proximity_status", json!({}))
        .reply(T)
        .await;
    assert!(denied.ephemeral());
    assert!(
        denied.text().contains("lacking permissions"),
        "{}",
        denied.text()
    );

    for bad in ["../../etc/passwd", "/etc/passwd", "..\\secret.txt"] {
        let r = env
            .fake
            .invoke(BOB, "proximity_import", json!({ "file": bad }))
            .reply(T)
            .await;
        assert!(r.ephemeral());
        assert!(
            r.text().contains("is not a file name"),
            "{bad}: {}",
            r.text()
        );
    }
    let missing = env
        .fake
        .invoke(
            BOB,
            "proximity_import",
            json!({ "file": "nope_engagements.txt" }),
        )
        .reply(T)
        .await;
    assert!(
        missing.text().starts_with("There is no file"),
        "{}",
        missing.text()
    );
    assert_eq!(env.rounds().await, 0);

    let (name, bytes) = round_file("supply", 1, 5);
    env.drop_file(&name, &bytes);
    let choices = env
        .fake
        .autocomplete(BOB, "proximity_import", json!({ "file": "supply" }))
        .choices(T)
        .await;
    assert_eq!(choices, vec![json!({"name": name, "value": name})]);
    let ok = env
        .fake
        .invoke(BOB, "proximity_import", json!({ "file": name }))
        .reply(T)
        .await;
    assert!(ok.text().contains("imported as round #"), "{}", ok.text());
    assert_eq!(env.rounds().await, 1);
    env.finish().await;
}

#[tokio::test]
async fn growing_files_wait_and_broken_files_are_quarantined_and_shown() {
    let env = BotHarness::start(BotOptions::scanning(ScannerOptions {
        watch: false,
        interval: Duration::from_millis(200),
        stable_for: Duration::from_millis(1500),
        ..ScannerOptions::default()
    }))
    .await;
    // Another tracker's file (no # END), still growing.
    let (name, bytes) = round_file("supply", 1, 7);
    let text = String::from_utf8(bytes).expect("ascii");
    let body = text.trim_end_matches("# END\n").to_string();
    let path = env.folder().join(&name);
    let lines: Vec<&str> = body.lines().collect();
    let half = lines.len() / 2;
    std::fs::write(&path, format!("{}\n", lines[..half].join("\n"))).unwrap();
    for chunk in lines[half..].chunks(lines[half..].len().div_ceil(8)) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(env.rounds().await, 0, "imported while growing");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, format!("{}\n", chunk.join("\n")).as_bytes()).unwrap();
    }
    env.wait_rounds(1).await;
    let complete: bool = sqlx::query_scalar("SELECT has_end_marker FROM rounds")
        .fetch_one(&env.db.pool)
        .await
        .unwrap();
    assert!(!complete);

    // A broken file: tried three times, then quarantined with its error, and left in place.
    let broken = env.drop_file(
        "2026-01-10-190000-supply-round-2_engagements.txt",
        b"# PROXIMITY_TRACKER_V4\n# map=supply\n# round=2\n\n# KILL_HEATMAP\n1;2;x;4\n# END\n",
    );
    let deadline = Instant::now() + T;
    loop {
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM import_log WHERE file_name LIKE '%190000%'")
                .fetch_optional(&env.db.pool)
                .await
                .unwrap();
        if status.as_deref() == Some("quarantined") {
            break;
        }
        assert!(Instant::now() < deadline, "not quarantined: {status:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        broken.is_file(),
        "the file stays in the game server's folder"
    );
    let status = env
        .fake
        .invoke(BOB, "proximity_status", json!({}))
        .reply(T)
        .await;
    assert!(status.ephemeral());
    let text = serde_json::to_string(&status.embeds).unwrap();
    assert!(text.contains("1 quarantined"), "{text}");
    assert!(text.contains("quarantined, 3 attempts"), "{text}");
    assert!(text.contains("field axis\\\\_kills"), "{text}");
    env.finish().await;
}

#[tokio::test]
async fn the_database_going_away_and_coming_back() {
    // The bot's log for this test only, on the test's thread (where the bot and the scanner
    // run): a global subscriber would log every other test of the binary at debug level too.
    let _log = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_env_filter("proximity=debug")
            .with_test_writer()
            .finish(),
    );
    let db_for_url = TestDb::new().await;
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let url = proxy.url(&db_for_url.name);
    let env = BotHarness::start(BotOptions {
        database_url: Some(url),
        ..BotOptions::scanning(ScannerOptions {
            watch: false,
            interval: Duration::from_millis(300),
            ..ScannerOptions::default()
        })
    })
    .await;
    let rounds = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM rounds")
            .fetch_one(&db_for_url.pool)
            .await
            .unwrap()
    };
    let (name, bytes) = round_file("supply", 1, 21);
    env.drop_file(&name, &bytes);
    while rounds().await < 1 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    proxy.set_up(false);
    let (name, bytes) = round_file("supply", 2, 22);
    env.drop_file(&name, &bytes);
    let asked = Instant::now();
    let reply = env.fake.invoke(ALICE, "best_duo", json!({})).reply(T).await;
    let took = asked.elapsed();
    assert!(
        reply.text().contains("database is unavailable"),
        "{}",
        reply.text()
    );
    assert!(took < Duration::from_secs(3), "answered in {took:?}");
    let status = env
        .fake
        .invoke(BOB, "proximity_status", json!({}))
        .reply(T)
        .await;
    let text = serde_json::to_string(&status.embeds).unwrap();
    assert!(text.contains("unavailable"), "{text}");
    assert_eq!(
        env.fake.gateway_connections(),
        1,
        "still connected to Discord"
    );

    proxy.set_up(true);
    let deadline = Instant::now() + T;
    while rounds().await < 2 {
        assert!(Instant::now() < deadline, "imports did not resume");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM import_log WHERE status <> 'imported'")
            .fetch_one(&db_for_url.pool)
            .await
            .unwrap();
    assert_eq!(failed, 0, "an outage is not a failed file");
    env.finish().await;
    db_for_url.drop_db().await;
}

/// When the bot starts it reads again the rounds whose figures come from an older version. Their
/// summaries were posted then and are not posted again; a new round's summary is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_start_rounds_of_an_older_version_are_read_again_and_not_announced_again() {
    let db = TestDb::new().await;
    let kept = tempfile::tempdir().expect("temp dir");
    let (name, bytes) = round_file("supply", 1, 61);
    let path = kept.path().join(&name);
    std::fs::write(&path, &bytes).expect("write");
    let old = proximity::import::import_path(&db.pool, &path, false, &MetricParams::default())
        .await
        .expect("import")
        .outcome
        .round_id();
    sqlx::query("UPDATE rounds SET figures_version = 0, summary_posted_at = now()")
        .execute(&db.pool)
        .await
        .expect("an older version's round");

    let env = BotHarness::start(BotOptions {
        db: Some(db),
        ..BotOptions::scanning(ScannerOptions::default())
    })
    .await;
    let pool = env.db.pool.clone();
    tokio::time::timeout(T, async {
        while !proximity::import::rederive::stale_rounds(&pool)
            .await
            .expect("stale rounds")
            .is_empty()
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the round is read again");
    let (id, version, posted): (i64, i16, bool) =
        sqlx::query_as("SELECT id, figures_version, summary_posted_at IS NOT NULL FROM rounds")
            .fetch_one(&pool)
            .await
            .expect("the round");
    assert_ne!(id, old);
    assert_eq!(
        (version, posted),
        (proximity::import::FIGURES_VERSION, true)
    );

    let (name, bytes) = round_file("goldrush", 1, 62);
    env.drop_file(&name, &bytes);
    let posts = env.fake.wait_channel_messages(SUMMARY_CHANNEL, 1, T).await;
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].embeds[0]["title"], json!("goldrush · round 1"));
    env.finish().await;
}

/// `/proximity_status` tells the admin how many rounds have figures of an older version.
#[tokio::test]
async fn the_status_counts_rounds_with_figures_of_an_older_version() {
    let db = TestDb::new().await;
    let (name, bytes) = round_file("supply", 1, 63);
    proximity::import::import_bytes(&db.pool, &name, bytes, false, &MetricParams::default())
        .await
        .expect("import");
    sqlx::query("UPDATE rounds SET figures_version = 0")
        .execute(&db.pool)
        .await
        .expect("an older version's round");
    // Turned off, the bot reads nothing again: the round stays as it is.
    let env = BotHarness::start(BotOptions {
        db: Some(db),
        disabled: true,
        ..BotOptions::default()
    })
    .await;
    let status = env
        .fake
        .invoke(BOB, "proximity_status", json!({}))
        .reply(T)
        .await;
    let fields = status.embeds[0]["fields"].as_array().expect("fields");
    let older = fields
        .iter()
        .find(|f| f["name"] == json!("Older figures"))
        .expect("an Older figures field");
    assert_eq!(
        older["value"],
        json!(
            "1 rounds have figures of an older version: the bot reads them again from their \
             files when it starts (`proximity rederive` does it by hand); see its log for files \
             that are gone"
        )
    );
    env.finish().await;
}
