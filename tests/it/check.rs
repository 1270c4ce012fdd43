//! `proximity check` as an admin meets it: each thing the configuration names is reached, and
//! what is wrong comes with what to do, also into a pipe.

use fake_discord::{FakeDiscord, Fault, GUILD_ID, SUMMARY_CHANNEL};
use proximity::check::{self, Finding, Verdict};
use proximity::config::Config;
use proximity_testkit::TestDb;

use super::cli::run_binary;

/// A configuration naming `db`, a folder with one round file, the fake's guild and channel.
fn config(db: &TestDb, dir: &std::path::Path) -> Config {
    let vars = [
        ("DATABASE_URL", db.url.clone()),
        ("GAMESTATS_DIR", dir.to_string_lossy().into_owned()),
        ("GUILD_ID", GUILD_ID.to_string()),
        ("SUMMARY_CHANNEL_ID", SUMMARY_CHANNEL.to_string()),
    ];
    Config::from_lookup(|k| vars.iter().find(|v| v.0 == k).map(|v| v.1.clone())).expect("config")
}

fn verdicts(findings: &[Finding]) -> Vec<(&str, Verdict)> {
    findings.iter().map(|f| (f.subject, f.verdict)).collect()
}

#[tokio::test]
async fn everything_in_order_is_said_so_and_a_missing_permission_is_named_with_its_fix() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("a_engagements.txt"), b"x").expect("write");
    let config = config(&db, dir.path());
    let fake = FakeDiscord::start().await;
    let findings = check::run(&config, Some(&fake.http())).await;
    assert_eq!(
        verdicts(&findings),
        [
            ("database", Verdict::Ok),
            ("round files", Verdict::Ok),
            ("command maps", Verdict::Skipped),
            ("Discord", Verdict::Ok),
            ("Discord guild", Verdict::Ok),
            ("summary channel", Verdict::Ok),
        ],
        "{findings:#?}"
    );
    assert!(
        findings[0].detail.ends_with(", 0 rounds"),
        "{}",
        findings[0]
    );
    assert!(findings[1].detail.ends_with("is readable, 1 round files"));
    assert_eq!(
        findings[5].to_string(),
        format!(
            "ok   summary channel: #summary ({SUMMARY_CHANNEL}): the bot may post and attach images"
        )
    );

    // Attach Files denied in the channel: named, with where to allow it.
    fake.deny_in_channel(SUMMARY_CHANNEL, 1 << 15);
    let findings = check::run(&config, Some(&fake.http())).await;
    let channel = findings.last().expect("the channel's finding");
    assert_eq!(
        channel.to_string(),
        format!(
            "FAIL summary channel: #summary ({SUMMARY_CHANNEL}): the bot lacks Attach Files\n     \
             fix: in the channel's settings (Permissions), allow Attach Files for the bot's role"
        )
    );

    // A token Discord refuses.
    fake.inject(Fault::on("GET", "/users/@me").status(401));
    let findings = check::run(&config, Some(&fake.http())).await;
    let discord = findings
        .iter()
        .find(|f| f.subject == "Discord")
        .expect("Discord");
    assert_eq!(discord.verdict, Verdict::Fail);
    assert!(
        discord.detail.starts_with("the token is refused: 401"),
        "{discord}"
    );
    assert!(
        !findings.iter().any(|f| f.subject == "summary channel"),
        "nothing further is asked with a refused token"
    );
    db.drop_db().await;
}

/// Into a pipe, without a token and with a folder that is not there: each problem on its own
/// line with its fix, exit code 1; the database is still checked.
#[tokio::test]
async fn the_command_prints_each_problem_with_its_fix_into_a_pipe() {
    let db = TestDb::new().await;
    let out = run_binary(
        &["check"],
        &[
            ("DATABASE_URL", &db.url),
            ("GAMESTATS_DIR", "/nonexistent/proximity"),
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("ok   database: reachable, schema at migration "),
        "{stdout}"
    );
    assert_eq!(
        lines[1],
        "FAIL round files: GAMESTATS_DIR /nonexistent/proximity does not exist"
    );
    assert!(
        lines[2].starts_with("     fix: set GAMESTATS_DIR to the folder"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAIL Discord: DISCORD_TOKEN is not set\n     fix: put the bot's token")
    );
    assert_eq!(lines.last(), Some(&"2 to fix"));
    db.drop_db().await;
}
