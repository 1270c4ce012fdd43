//! The command line as an admin meets it: output into a pipe, exit codes.

use std::path::Path;
use std::process::{Command, Output};

use proximity::format::write;
use proximity::synth::{SynthOptions, synth_round};
use proximity_testkit::{Proxy, TestDb};

/// Runs `proximity import <dir>` against `database_url`, its output into pipes.
async fn import(dir: &Path, database_url: String) -> Output {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_proximity"))
            .arg("import")
            .arg(&dir)
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .output()
            .expect("the proximity binary runs")
    })
    .await
    .expect("the import finished")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn rounds(db: &TestDb) -> (i64, i64) {
    sqlx::query_as("SELECT (SELECT count(*) FROM rounds), (SELECT count(*) FROM engagements)")
        .fetch_one(&db.pool)
        .await
        .expect("counts")
}

#[tokio::test]
async fn the_database_going_away_mid_import_stops_it_with_its_own_exit_code_and_loses_nothing() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut engagements = 0;
    for seed in 0..3u64 {
        let round = synth_round(&SynthOptions::new("supply", 1, 24, 600, 40 + seed));
        engagements += round.engagements.len() as i64;
        let name = format!("2026-01-10-19{seed:04}-supply-round-1_engagements.txt");
        std::fs::write(dir.path().join(name), write(&round)).expect("write");
    }
    let proxy = Proxy::start("127.0.0.1:5432").await;
    // Past connecting and the migration check, in the middle of the first round's rows.
    proxy.cut_after(300_000);
    let cut = import(dir.path(), proxy.url(&db.name)).await;
    let (stdout, stderr) = (text(&cut.stdout), text(&cut.stderr));
    assert_eq!(cut.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("0 imported, 0 already imported, 0 failed"),
        "{stdout}"
    );
    assert!(
        stderr.contains("database unavailable") && stderr.contains("3 files not imported"),
        "{stderr}"
    );
    assert_eq!(rounds(&db).await, (0, 0), "nothing half-written");

    proxy.set_up(true);
    let resumed = import(dir.path(), proxy.url(&db.name)).await;
    let stdout = text(&resumed.stdout);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{stdout}{}",
        text(&resumed.stderr)
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.contains(": imported as round #"))
            .count(),
        3,
        "every outcome is printed into the pipe: {stdout}"
    );
    assert!(
        stdout.ends_with("3 imported, 0 already imported, 0 failed\n"),
        "{stdout}"
    );
    assert_eq!(rounds(&db).await, (3, engagements));

    let again = import(dir.path(), proxy.url(&db.name)).await;
    assert!(
        text(&again.stdout).ends_with("0 imported, 3 already imported, 0 failed\n"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(rounds(&db).await, (3, engagements));
    db.drop_db().await;
}

#[tokio::test]
async fn an_unreachable_database_is_said_as_such_with_its_exit_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    let round = synth_round(&SynthOptions::new("supply", 1, 4, 60, 3));
    std::fs::write(dir.path().join("a_engagements.txt"), write(&round)).expect("write");
    let proxy = Proxy::start("127.0.0.1:5432").await;
    proxy.set_up(false);
    let out = import(dir.path(), proxy.url("proximity_nowhere")).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("database unavailable"), "{stderr}");
}

/// Runs `proximity` with `args` and `env`, its output into pipes, no .env of the developer's.
pub(crate) async fn run_binary(args: &[&str], env: &[(&str, &str)]) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_proximity"))
            .args(&args)
            .envs(env)
            .current_dir(dir.path())
            .output()
            .expect("the proximity binary runs")
    })
    .await
    .expect("finished")
}

#[tokio::test]
async fn help_lists_every_variable_of_the_example_configuration() {
    let out = run_binary(&["--help"], &[]).await;
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example"))
        .expect(".env.example");
    let names: Vec<&str> = example
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    assert_eq!(names.len(), proximity::config::VARIABLES.len());
    for name in names {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(name)),
            "--help does not list {name}:\n{help}"
        );
    }
    assert!(help.contains("[default: 300]"), "{help}");
}

#[tokio::test]
async fn a_malformed_token_is_named_before_anything_connects() {
    let out = run_binary(
        &["run"],
        &[
            ("DISCORD_TOKEN", "not-a-token"),
            ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/never"),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr.trim(),
        "error: DISCORD_TOKEN is not a bot token (three parts separated by dots): copy it from \
         the Discord developer portal, Bot page, into .env"
    );
}

#[tokio::test]
async fn logs_into_a_pipe_carry_no_colour_codes() {
    let db = TestDb::new().await;
    let url = db.url.clone();
    // The bot logs its start, then cannot reach Discord (no network here); its first lines
    // are read and it is stopped.
    let lines = tokio::task::spawn_blocking(move || {
        use std::io::{BufRead, BufReader};
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_proximity"))
            .arg("run")
            .env("DISCORD_TOKEN", "fake.bot.token")
            .env("DATABASE_URL", url)
            .env("PROXIMITY_ENABLED", "false")
            .env("RUST_LOG", "proximity=info")
            .current_dir(dir.path())
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.expect("a line");
            let done = line.contains("PROXIMITY_ENABLED=false");
            lines.push(line);
            if done {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        lines
    })
    .await
    .expect("read");
    let last = lines.last().expect("a log line");
    assert!(last.contains("INFO"), "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains('\u{1b}')), "{lines:?}");
    db.drop_db().await;
}

/// Sets a file's modification time `ago` in the past.
fn age(path: &Path, ago: std::time::Duration) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(std::time::SystemTime::now() - ago))
        .expect("set mtime");
}

/// The deployed tracker's file (no `# END`) imports without a flag once it has stopped
/// growing, its figures printed into the pipe; while it may still grow it is refused with the
/// reason and what to do; a broken file names its line and field; no database notice is
/// logged at the default level.
#[tokio::test]
async fn import_into_a_pipe_tells_every_files_outcome_and_why() {
    const DEPLOYED: &[u8] = include_bytes!("../fixtures/deployed_v6_round.txt");
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir
        .path()
        .join("2026-01-10-183820-supply-round-1_engagements.txt");
    std::fs::write(&file, DEPLOYED).expect("write");
    let url = db.url.clone();
    let path = file.to_string_lossy().into_owned();

    // Just written: it may still be growing.
    let fresh = run_binary(&["import", &path], &[("DATABASE_URL", &url)]).await;
    let stdout = text(&fresh.stdout);
    assert_eq!(fresh.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "error: 2026-01-10-183820-supply-round-1_engagements.txt: file: the file has no \
             `# END` marker"
        ) && stdout.contains("changed less than 10 s ago")
            && stdout.contains("`--complete` takes it as it is"),
        "{stdout}"
    );
    assert!(stdout.ends_with("0 imported, 0 already imported, 1 failed\n"));
    assert_eq!(rounds(&db).await.0, 0);

    // Unchanged for a minute: finished, imported with its figures.
    age(&file, std::time::Duration::from_secs(60));
    let settled = run_binary(&["import", &path], &[("DATABASE_URL", &url)]).await;
    let (stdout, stderr) = (text(&settled.stdout), text(&settled.stderr));
    assert_eq!(settled.status.code(), Some(0), "{stdout}{stderr}");
    let round = proximity::format::parse_with(
        DEPLOYED,
        proximity::format::ParseOptions {
            assume_complete: true,
        },
    )
    .expect("parses as complete");
    let players: std::collections::BTreeSet<&str> =
        round.tracks.iter().map(|t| t.guid.as_str()).collect();
    let kills = round
        .engagements
        .iter()
        .filter(|e| e.outcome == proximity::format::Outcome::Killed)
        .count();
    let figures = format!(
        "(supply round 1: {} players, {} lives, {} fights, {kills} kills)",
        players.len(),
        round.tracks.len(),
        round.engagements.len()
    );
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("2026-01-10-183820-supply-round-1_engagements.txt: imported as round #")
            && first.contains(&figures)
            && first.ends_with("skipped sections: TEAM_COHESION (2 rows), SHOT_FIRED (3 rows), CARRIER_KILLS (1 row)"),
        "{stdout}\nwanted {figures}"
    );
    assert!(stdout.ends_with("1 imported, 0 already imported, 0 failed\n"));
    // The default log level: no server notice such as `relation "_sqlx_migrations" already
    // exists, skipping`.
    assert!(!stderr.contains("already exists"), "{stderr}");

    // A broken row: the line and field are named, into the pipe.
    let broken_path = dir.path().join("broken_engagements.txt");
    let broken =
        String::from_utf8_lossy(DEPLOYED).replacen("30500;dynamite_plant;", "x;dynamite_plant;", 1);
    std::fs::write(&broken_path, &broken).expect("write");
    age(&broken_path, std::time::Duration::from_secs(60));
    let bad_line = 1 + broken
        .lines()
        .position(|l| l.starts_with("x;dynamite_plant;"))
        .expect("the broken row");
    let out = run_binary(
        &["import", &broken_path.to_string_lossy()],
        &[("DATABASE_URL", &url)],
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("broken_engagements.txt: line {bad_line}"))
            && stdout.contains("field"),
        "{stdout}"
    );
    db.drop_db().await;
}

/// With several servers configured, `proximity import --server` says which one the files come
/// from, and its rounds keep that label; without it, or with a label that is not configured,
/// nothing is imported and the error says what to do.
#[tokio::test]
async fn import_labels_its_rounds_with_the_server_named() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir
        .path()
        .join("2026-01-10-190000-supply-round-1_engagements.txt");
    std::fs::write(
        &file,
        write(&synth_round(&SynthOptions::new("supply", 1, 4, 60, 8))),
    )
    .expect("write");
    let path = file.to_string_lossy().into_owned();
    let servers = format!(
        "lan={},eu={}",
        dir.path().join("lan").display(),
        dir.path().join("eu").display()
    );
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("SERVERS", servers.as_str()),
    ];

    let unnamed = run_binary(&["import", &path], &env).await;
    assert_eq!(unnamed.status.code(), Some(1));
    assert_eq!(
        text(&unnamed.stderr).trim(),
        "error: several servers are configured (lan, eu): say which one the files come from \
         with --server"
    );
    let unknown = run_binary(&["import", "--server", "us", &path], &env).await;
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        text(&unknown.stderr).trim(),
        "error: --server us: no such server; the servers are lan, eu (SERVERS in .env)"
    );
    assert_eq!(rounds(&db).await.0, 0);

    let named = run_binary(&["import", "--server", "eu", &path], &env).await;
    assert_eq!(named.status.code(), Some(0), "{}", text(&named.stdout));
    let labels: Vec<String> = sqlx::query_scalar("SELECT server FROM rounds")
        .fetch_all(&db.pool)
        .await
        .expect("labels");
    assert_eq!(labels, ["eu"]);
    db.drop_db().await;
}

/// `proximity rederive` into a pipe: a line per round read again or left, then the counts; it
/// exits 1 while a round is left (its file is gone) and 0 when there is nothing to do.
#[tokio::test]
async fn rederive_into_a_pipe_tells_each_rounds_outcome() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for seed in [51, 52] {
        let file = dir.path().join(format!(
            "2026-01-{seed}-190000-supply-round-1_engagements.txt"
        ));
        std::fs::write(
            &file,
            write(&synth_round(&SynthOptions::new("supply", 1, 4, 60, seed))),
        )
        .expect("write");
        files.push(file);
    }
    let env = [("DATABASE_URL", db.url.as_str())];
    let paths: Vec<String> = files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    let imported = run_binary(&["import", &paths[0], &paths[1]], &env).await;
    assert_eq!(imported.status.code(), Some(0));
    let none = run_binary(&["rederive"], &env).await;
    assert_eq!(
        (none.status.code(), text(&none.stdout).as_str()),
        (Some(0), "0 rounds read again, 0 left as they were\n")
    );

    // Both rounds' figures as an older version derived them; one file is gone since.
    sqlx::query("UPDATE rounds SET figures_version = 0")
        .execute(&db.pool)
        .await
        .expect("older figures");
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM rounds ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .expect("ids");
    std::fs::remove_file(&files[1]).expect("remove");
    let out = run_binary(&["rederive"], &env).await;
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[0]
            .starts_with("2026-01-51-190000-supply-round-1_engagements.txt: read again as round #")
            && lines[0].ends_with(&format!(
                "replacing round #{}, which lacked sections or figures of this version",
                ids[0]
            )),
        "{stdout}"
    );
    assert_eq!(
        lines[1],
        format!(
            "round #{}: {} is gone; import a copy of it to bring its figures up to date",
            ids[1], paths[1]
        )
    );
    assert_eq!(lines[2], "1 rounds read again, 1 left as they were");
    assert_eq!(rounds(&db).await.0, 2);
    db.drop_db().await;
}
