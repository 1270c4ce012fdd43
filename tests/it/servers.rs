//! Remote game servers against a real OpenSSH server (`/usr/sbin/sshd`, Debian's
//! openssh-server) that each test starts on a loopback port with its own temporary host key,
//! client key and configuration, and a real PostgreSQL database: pulls, a cut connection, a
//! wrong host key, a file still growing, a server unreachable and back.
//!
//! Every wait below ends as soon as its condition holds; the timeouts are failure guards only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use fake_discord::{ALICE, BOB, FakeUser};
use proximity::config::Config;
use proximity::format;
use proximity::heat::HeatKind;
use proximity::import::{self, ImportOutcome};
use proximity::metrics::MetricParams;
use proximity::scanner::{Scanner, ScannerConfig};
use proximity::servers::puller::{PullReport, Puller, PullerConfig};
use proximity::servers::runtime::ServerRuntime;
use proximity::servers::sftp::SftpError;
use proximity::servers::{ServerConfig, SftpSource, Source};
use proximity::store::queries::{self, Scope};
use proximity::store::totals;
use proximity::synth::{SynthOptions, synth_round};
use proximity_testkit::{BotHarness, BotOptions, Proxy, TestDb};
use serde_json::json;
use sqlx::PgPool;
use tokio::sync::Notify;

const GUARD: Duration = Duration::from_secs(60);

/// An sshd of this test: its folder holds the keys, the configuration and the remote folder.
struct Sshd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    user: String,
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen (openssh-client) runs");
    assert!(ok.success(), "ssh-keygen failed");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl Sshd {
    fn start() -> Sshd {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        keygen(&d.join("host_key"));
        keygen(&d.join("client_key"));
        std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).expect("keys");
        std::fs::create_dir(d.join("remote")).expect("remote folder");
        let user = String::from_utf8(Command::new("id").arg("-un").output().expect("id").stdout)
            .expect("user name")
            .trim()
            .to_string();
        // sshd's privilege separation folder, which the service would create.
        if !Path::new("/run/sshd").exists() {
            let _ = std::fs::create_dir_all("/run/sshd");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a loopback port")
            .local_addr()
            .expect("its address")
            .port();
        let config = format!(
            "ListenAddress 127.0.0.1:{port}\n\
             HostKey {d}/host_key\n\
             PidFile {d}/sshd.pid\n\
             AuthorizedKeysFile {d}/authorized_keys\n\
             StrictModes no\n\
             UsePAM no\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\n\
             PermitRootLogin prohibit-password\n\
             AllowUsers {user}\n\
             Subsystem sftp internal-sftp\n\
             LogLevel ERROR\n",
            d = d.display()
        );
        std::fs::write(d.join("sshd_config"), config).expect("sshd_config");
        // Its log (the readiness probe below shows up there as a closed connection).
        let log = std::fs::File::create(d.join("sshd.log")).expect("sshd.log");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("/usr/sbin/sshd starts (apt-get install openssh-server)");
        let sshd = Sshd {
            child,
            port,
            dir,
            user,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "sshd did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        sshd
    }

    fn remote(&self) -> PathBuf {
        self.dir.path().join("remote")
    }

    fn host_key(&self) -> String {
        read(&self.dir.path().join("host_key.pub"))
    }

    /// The source of this server through `port` (sshd's own or a proxy's).
    fn source(&self, port: u16) -> SftpSource {
        SftpSource {
            user: self.user.clone(),
            host: "127.0.0.1".into(),
            port,
            path: self.remote().display().to_string(),
            key_file: self.dir.path().join("client_key"),
            host_key: self.host_key(),
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn round_bytes(seed: u64) -> Vec<u8> {
    format::write(&synth_round(&SynthOptions::new("supply", 1, 6, 60, seed)))
}

fn file_name(i: usize) -> String {
    format!("2026-01-10-18{i:02}00-supply-round-1_engagements.txt")
}

fn puller(sshd: &Sshd, port: u16, spool: &Path) -> (Puller, Arc<Notify>) {
    let pulled = Arc::new(Notify::new());
    let config = PullerConfig {
        stable_for: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        ..PullerConfig::new("eu", sshd.source(port), spool.to_path_buf())
    };
    (Puller::new(config, Arc::clone(&pulled)), pulled)
}

fn spool_scanner(pool: &PgPool, spool: &Path) -> Scanner {
    Scanner::new(
        pool.clone(),
        ScannerConfig {
            server: "eu".into(),
            watch: false,
            interval: Duration::from_secs(3600),
            stable_for: Duration::ZERO,
            ..ScannerConfig::new(spool)
        },
    )
}

/// Every file of a folder with its bytes and modification time.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, std::time::SystemTime)> {
    std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| {
            let e = e.expect("entry");
            let path = e.path();
            (
                e.file_name().to_string_lossy().into_owned(),
                (
                    std::fs::read(&path).expect("bytes"),
                    e.metadata().expect("meta").modified().expect("mtime"),
                ),
            )
        })
        .collect()
}

fn names(dir: &Path) -> Vec<String> {
    snapshot(dir).into_keys().collect()
}

async fn rounds_by_server(pool: &PgPool) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT server, count(*) FROM rounds GROUP BY server ORDER BY server")
        .fetch_all(pool)
        .await
        .expect("rounds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_files_are_pulled_and_imported_once_and_a_growing_one_waits() {
    let sshd = Sshd::start();
    let db = TestDb::new().await;
    let spool = tempfile::tempdir().expect("spool");
    let remote = sshd.remote();
    std::fs::write(remote.join(file_name(1)), round_bytes(1)).expect("write");
    std::fs::write(remote.join(file_name(2)), round_bytes(2)).expect("write");
    // The third round is still being written: half of it, no `# END`.
    let third = round_bytes(3);
    let half = &third[..third.len() / 2];
    std::fs::write(remote.join(file_name(3)), half).expect("write");
    std::fs::write(remote.join(format!("{}.tmp", file_name(4))), b"tmp").expect("write");
    let before = snapshot(&remote);

    let (puller, _) = puller(&sshd, sshd.port, spool.path());
    let report = puller.pull_once().await.expect("pull");
    assert_eq!(report.listed, 3, "the .tmp file is not a round file");
    assert_eq!(report.pulled, [file_name(1), file_name(2)]);
    assert_eq!(report.waiting, [file_name(3)]);
    assert_eq!(
        names(spool.path()),
        [file_name(1), file_name(2), format!("{}.part", file_name(3))]
    );
    assert_eq!(
        std::fs::read(spool.path().join(file_name(1))).unwrap(),
        round_bytes(1)
    );
    assert_eq!(puller.status().backlog, 1);

    let scanner = spool_scanner(&db.pool, spool.path());
    let scan = scanner.scan_now(None).await.expect("scan");
    assert_eq!(scan.imported.len(), 2);
    assert_eq!(rounds_by_server(&db.pool).await, [("eu".to_string(), 2)]);

    // Nothing more to pull or import; the growing file's partial is complete, so no bytes move.
    let again = puller.pull_once().await.expect("pull");
    assert_eq!((again.pulled.len(), again.bytes), (0, 0));
    assert_eq!(
        scanner.scan_now(None).await.expect("scan").imported.len(),
        0
    );

    // The tracker finishes the third round: the rest of it arrives and is imported.
    std::fs::write(remote.join(file_name(3)), &third).expect("write");
    let last = puller.pull_once().await.expect("pull");
    assert_eq!(last.pulled, [file_name(3)]);
    assert_eq!(
        last.bytes,
        (third.len() - half.len()) as u64,
        "resumed after the half"
    );
    assert_eq!(
        std::fs::read(spool.path().join(file_name(3))).unwrap(),
        third
    );
    assert_eq!(
        scanner.scan_now(None).await.expect("scan").imported.len(),
        1
    );
    assert_eq!(rounds_by_server(&db.pool).await, [("eu".to_string(), 3)]);

    // Nothing on the game server was changed, but for the file its tracker wrote.
    let mut after = snapshot(&remote);
    let mut expected = before;
    expected.remove(&file_name(3));
    after.remove(&file_name(3));
    assert_eq!(after, expected);
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_stops_growing_without_end_is_pulled_once_stable() {
    let sshd = Sshd::start();
    let spool = tempfile::tempdir().expect("spool");
    // Another tracker's file: no `# END` ever.
    let bytes = round_bytes(5);
    let text = String::from_utf8(bytes).expect("text");
    let without_end = text
        .trim_end()
        .strip_suffix("# END")
        .expect("has END")
        .to_string();
    std::fs::write(sshd.remote().join(file_name(5)), &without_end).expect("write");
    let (puller, _) = puller(&sshd, sshd.port, spool.path());
    let first = puller.pull_once().await.expect("pull");
    assert_eq!((first.pulled.len(), first.waiting.len()), (0, 1));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let second = puller.pull_once().await.expect("pull");
    assert_eq!(second.pulled, [file_name(5)]);
    assert_eq!(second.bytes, 0, "the bytes were already in the partial");
    assert_eq!(
        std::fs::read_to_string(spool.path().join(file_name(5))).unwrap(),
        without_end
    );
}

/// Starts a pass and cuts its connection once `partial` holds 1 MiB (of a large file); answers
/// the cut pass's result, with the connection back up.
async fn cut_a_transfer(
    puller: &Puller,
    proxy: &Proxy,
    partial: &Path,
) -> Result<PullReport, SftpError> {
    let pulling = tokio::spawn({
        let puller = puller.clone();
        async move { puller.pull_once().await }
    });
    tokio::time::timeout(GUARD, async {
        while std::fs::metadata(partial).map_or(0, |m| m.len()) < 1024 * 1024 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the transfer started");
    proxy.set_up(false);
    let cut = pulling.await.expect("task");
    proxy.set_up(true);
    cut
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_resumes_where_it_stopped() {
    let sshd = Sshd::start();
    let spool = tempfile::tempdir().expect("spool");
    // A large file, so that the connection is cut in its middle.
    let mut big: Vec<u8> = (0..24 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    big.extend_from_slice(b"\n# END\n");
    let name = file_name(7);
    std::fs::write(sshd.remote().join(&name), &big).expect("write");
    let proxy = Proxy::start(&format!("127.0.0.1:{}", sshd.port)).await;
    let (puller, _) = puller(&sshd, proxy.port, spool.path());
    let partial = spool.path().join(format!("{name}.part"));

    let cut = cut_a_transfer(&puller, &proxy, &partial).await;
    assert!(cut.is_err(), "the cut pass fails: {cut:?}");
    let kept = std::fs::metadata(&partial).expect("partial kept").len();
    assert!(
        kept > 0 && kept < big.len() as u64,
        "cut in the middle: {kept}"
    );
    assert!(
        !spool.path().join(&name).exists(),
        "half a file is never a round file"
    );
    assert!(puller.status().last_error.is_some());

    let resumed = puller.pull_once().await.expect("pull after the cut");
    assert_eq!(resumed.pulled, std::slice::from_ref(&name));
    assert_eq!(
        resumed.bytes,
        big.len() as u64 - kept,
        "only the rest was sent"
    );
    assert_eq!(std::fs::read(spool.path().join(&name)).unwrap(), big);
    assert_eq!(puller.status().last_error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_key_that_is_not_the_pinned_one_stops_the_pulls() {
    let sshd = Sshd::start();
    let spool = tempfile::tempdir().expect("spool");
    std::fs::write(sshd.remote().join(file_name(1)), round_bytes(1)).expect("write");
    let other = tempfile::tempdir().expect("keys");
    keygen(&other.path().join("k"));
    let config = PullerConfig {
        source: SftpSource {
            host_key: read(&other.path().join("k.pub")),
            ..sshd.source(sshd.port)
        },
        ..PullerConfig::new("eu", sshd.source(sshd.port), spool.path().to_path_buf())
    };
    let puller = Puller::new(config, Arc::new(Notify::new()));
    let e = puller.pull_once().await.expect_err("refused");
    assert!(matches!(e, SftpError::HostKeyChanged { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("not the pinned SHA256:")
            && text.contains("pulls from this server are stopped"),
        "{text}"
    );
    let status = puller.status();
    assert!(status.stopped && status.last_pull.is_none());
    assert!(names(spool.path()).is_empty(), "nothing was pulled");
    let again = puller.pull_once().await.expect_err("still stopped");
    assert!(again.to_string().contains("pulls are stopped"), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_loses_nothing_and_doubles_nothing() {
    let sshd = Sshd::start();
    let db = TestDb::new().await;
    let spool = tempfile::tempdir().expect("spool");
    let proxy = Proxy::start(&format!("127.0.0.1:{}", sshd.port)).await;
    let (puller, _) = puller(&sshd, proxy.port, spool.path());
    let scanner = spool_scanner(&db.pool, spool.path());
    for i in 1..=2 {
        std::fs::write(sshd.remote().join(file_name(i)), round_bytes(i as u64)).expect("write");
    }
    assert_eq!(puller.pull_once().await.expect("pull").pulled.len(), 2);
    assert_eq!(
        scanner.scan_now(None).await.expect("scan").imported.len(),
        2
    );

    // The server goes away; rounds keep being played on it.
    proxy.set_up(false);
    for i in 3..=5 {
        std::fs::write(sshd.remote().join(file_name(i)), round_bytes(i as u64)).expect("write");
        let e = puller.pull_once().await.expect_err("unreachable");
        assert!(!e.stops_pulls(), "an outage is retried: {e}");
        assert!(puller.status().last_error.is_some());
    }
    assert_eq!(
        scanner.scan_now(None).await.expect("scan").imported.len(),
        0
    );

    proxy.set_up(true);
    let back = puller.pull_once().await.expect("pull when back");
    assert_eq!(back.pulled, [file_name(3), file_name(4), file_name(5)]);
    assert_eq!(puller.status().last_error, None);
    assert_eq!(
        scanner.scan_now(None).await.expect("scan").imported.len(),
        3
    );
    assert_eq!(puller.pull_once().await.expect("pull").pulled.len(), 0);
    assert_eq!(
        scanner.scan_now(None).await.expect("scan").imported.len(),
        0
    );
    assert_eq!(rounds_by_server(&db.pool).await, [("eu".to_string(), 5)]);
    db.drop_db().await;
}

/// The sum of a heatmap's weights and its rounds, of one server or all.
async fn kill_heat(pool: &PgPool, server: Option<&str>) -> (i64, i64) {
    let scope = Scope {
        server: server.map(str::to_string),
        ..Scope::all()
    };
    let (points, rounds) = queries::heatmap(pool, HeatKind::Kills, &scope, None)
        .await
        .expect("heatmap");
    (points.iter().map(|p| p.weight).sum(), rounds)
}

#[tokio::test]
async fn a_server_option_counts_only_that_servers_rounds() {
    let db = TestDb::new().await;
    let params = MetricParams::default();
    for seed in 1..=5u64 {
        let server = if seed <= 3 { "eu" } else { "default" };
        import::import_bytes_from(
            &db.pool,
            server,
            &file_name(seed as usize),
            round_bytes(seed),
            false,
            &params,
        )
        .await
        .expect("import");
    }
    // The same round again from the other server stays one round, with its first label.
    let again = import::import_bytes_from(
        &db.pool,
        "default",
        "copy_engagements.txt",
        round_bytes(1),
        false,
        &params,
    )
    .await
    .expect("import");
    assert!(matches!(
        again.outcome,
        ImportOutcome::AlreadyImported { .. }
    ));
    // Into the monthly and yearly totals, which hold every server's rounds together.
    totals::add_pending(&db.pool).await.expect("totals");
    let all = kill_heat(&db.pool, None).await;
    let eu = kill_heat(&db.pool, Some("eu")).await;
    let default = kill_heat(&db.pool, Some("default")).await;
    assert_eq!((all.1, eu.1, default.1), (5, 3, 2));
    assert!(eu.0 > 0 && default.0 > 0);
    assert_eq!(eu.0 + default.0, all.0, "the servers split the kills");
    assert_eq!(kill_heat(&db.pool, Some("nowhere")).await, (0, 0));
    assert_eq!(
        queries::rounds_per_server(&db.pool).await.expect("servers"),
        [("eu".to_string(), 3), ("default".to_string(), 2)]
    );
    db.drop_db().await;
}

#[tokio::test]
async fn rounds_stored_before_servers_get_the_label_default_on_upgrade() {
    let db = TestDb::at_version(10).await;
    // This importer also writes the column migration 12 adds; it goes again before the upgrade.
    sqlx::raw_sql("ALTER TABLE rounds ADD COLUMN figures_version smallint NOT NULL DEFAULT 1")
        .execute(&db.pool)
        .await
        .expect("column of 12");
    let params = MetricParams::default();
    import::import_bytes_from(
        &db.pool,
        "eu",
        &file_name(1),
        round_bytes(1),
        false,
        &params,
    )
    .await
    .expect("import");
    // The database as it was before migration 10, with its round.
    sqlx::raw_sql(
        "DROP INDEX rounds_server_played_at; ALTER TABLE rounds DROP COLUMN server;
         ALTER TABLE rounds DROP COLUMN figures_version;
         DELETE FROM _sqlx_migrations WHERE version = 10;",
    )
    .execute(&db.pool)
    .await
    .expect("downgrade");
    proximity::store::MIGRATOR
        .run(&db.pool)
        .await
        .expect("upgrade");
    assert_eq!(
        rounds_by_server(&db.pool).await,
        [("default".to_string(), 1)]
    );
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_sftp_server_is_pulled_and_imported_by_itself() {
    let sshd = Sshd::start();
    let db = TestDb::new().await;
    let spool = tempfile::tempdir().expect("spool");
    let source = sshd.source(sshd.port);
    let vars: std::collections::HashMap<&str, String> = [
        (
            "SERVERS",
            format!(
                "eu-1=sftp://{}@127.0.0.1:{}{}",
                source.user, sshd.port, source.path
            ),
        ),
        (
            "SERVERS_EU_1_KEY_FILE",
            source.key_file.display().to_string(),
        ),
        ("SERVERS_EU_1_HOST_KEY", source.host_key.clone()),
        ("SPOOL_DIR", spool.path().display().to_string()),
    ]
    .into_iter()
    .collect();
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("config");
    std::fs::write(sshd.remote().join(file_name(1)), round_bytes(1)).expect("write");
    let servers = ServerRuntime::all(&db.pool, &config);
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0].import_dir(), spool.path().join("eu-1"));
    servers[0].start();
    tokio::time::timeout(GUARD, async {
        while rounds_by_server(&db.pool).await != [("eu-1".to_string(), 1)] {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the round was pulled and imported");
    let status = servers[0].puller.as_ref().expect("a puller").status();
    assert!(status.last_pull.is_some() && status.last_error.is_none());
    // The round's summary says which server it was played on.
    let id: i64 = sqlx::query_scalar("SELECT id FROM rounds")
        .fetch_one(&db.pool)
        .await
        .expect("round");
    let post = queries::round_post(&db.pool, id, false)
        .await
        .expect("post")
        .expect("the round");
    let embed = proximity::bot::round_posts::round_embed(&post, None).build();
    let description = serde_json::to_value(&embed).expect("json")["description"].clone();
    assert_eq!(
        description,
        json!("1:00 played · 6 players · Allies won · server eu-1")
    );
    assert_eq!(status.pulled, 1);
    servers[0].shutdown().await;
    db.drop_db().await;
}

/// A third member: each user has their own command cooldown.
const CAROL: FakeUser = FakeUser {
    id: 30_001,
    name: "carol",
    roles: &[],
    bot: false,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_take_an_optional_server() {
    let db = TestDb::new().await;
    let files = import::collect_files(&[proximity::demo::samples_dir()]).expect("samples");
    let params = MetricParams::default();
    for f in &files {
        let server = if import::file_name_of(f).contains("supply") {
            "eu"
        } else {
            "default"
        };
        import::import_path_from(&db.pool, server, f, false, &params)
            .await
            .expect("import a sample");
    }
    let kills: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM engagements e JOIN rounds r ON r.id = e.round_id
         WHERE r.map = 'supply' AND r.server = 'eu' AND e.outcome = 'killed'
           AND e.death_x IS NOT NULL",
    )
    .fetch_one(&db.pool)
    .await
    .expect("kills");
    assert!(kills > 0);
    let bot = BotHarness::start(BotOptions {
        db: Some(db),
        ..BotOptions::default()
    })
    .await;
    let t = Duration::from_secs(60);
    let eu = bot
        .fake
        .invoke(ALICE, "heatmap", json!({"map": "supply", "server": "EU"}))
        .reply(t)
        .await;
    assert_eq!(eu.embeds.len(), 1, "{:?}", eu.content);
    assert_eq!(
        eu.embeds[0]["description"],
        json!(format!("{kills} kills from 2 rounds · all time"))
    );
    let other = bot
        .fake
        .invoke(
            BOB,
            "heatmap",
            json!({"map": "supply", "server": "default"}),
        )
        .reply(t)
        .await;
    assert_eq!(
        other.content.as_deref(),
        Some("No kills recorded on supply (all time, server default) yet."),
        "{:?}",
        other.payload
    );
    let unknown = bot
        .fake
        .invoke(CAROL, "heatmap", json!({"map": "supply", "server": "us"}))
        .reply(t)
        .await;
    assert_eq!(
        unknown.content.as_deref(),
        Some("No server called `us`. The servers are: default, eu.")
    );
    let choices = bot
        .fake
        .autocomplete(ALICE, "leaderboard", json!({"server": "EU"}))
        .choices(t)
        .await;
    assert_eq!(choices, [json!({"name": "eu", "value": "eu"})]);
    bot.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_puller_rides_out_an_outage() {
    let sshd = Sshd::start();
    let db = TestDb::new().await;
    let spool = tempfile::tempdir().expect("spool");
    let proxy = Proxy::start(&format!("127.0.0.1:{}", sshd.port)).await;
    let scanner = spool_scanner(&db.pool, spool.path());
    let config = PullerConfig {
        interval: Duration::from_millis(200),
        timeout: Duration::from_secs(2),
        ..PullerConfig::new("eu", sshd.source(proxy.port), spool.path().to_path_buf())
    };
    let puller = Puller::new(config, scanner.trigger());
    std::fs::write(sshd.remote().join(file_name(1)), round_bytes(1)).expect("write");
    scanner.start();
    puller.start();
    let wait_rounds = |n: i64| {
        let pool = db.pool.clone();
        async move {
            tokio::time::timeout(GUARD, async {
                while rounds_by_server(&pool).await != [("eu".to_string(), n)] {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
            .await
            .unwrap_or_else(|_| panic!("never {n} rounds"));
        }
    };
    wait_rounds(1).await;

    // Down for many passes while rounds are played on the server.
    proxy.set_up(false);
    for i in 2..=4 {
        std::fs::write(sshd.remote().join(file_name(i)), round_bytes(i as u64)).expect("write");
    }
    tokio::time::timeout(GUARD, async {
        while puller.status().last_error.is_none() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the outage is reported");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(rounds_by_server(&db.pool).await, [("eu".to_string(), 1)]);
    assert!(
        !puller.status().stopped,
        "an outage does not stop the pulls"
    );

    proxy.set_up(true);
    wait_rounds(4).await;
    // More passes change nothing.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(rounds_by_server(&db.pool).await, [("eu".to_string(), 4)]);
    let imports: i64 = sqlx::query_scalar("SELECT count(*) FROM import_log")
        .fetch_one(&db.pool)
        .await
        .expect("log");
    assert_eq!(imports, 4, "one import per file");
    let status = puller.status();
    assert_eq!(
        (status.pulled, status.backlog, status.last_error),
        (4, 0, None)
    );
    puller.shutdown().await;
    scanner.shutdown().await;
    db.drop_db().await;
}

/// `proximity check` reaches each SFTP server with its pinned key and lists its round files;
/// a key that is not the pinned one is a failure naming both fingerprints, with what to do.
#[tokio::test]
async fn check_reaches_each_server_with_its_pinned_key() {
    let sshd = Sshd::start();
    let db = TestDb::new().await;
    std::fs::write(sshd.remote().join(file_name(1)), round_bytes(1)).expect("write");
    std::fs::write(sshd.remote().join(file_name(2)), round_bytes(2)).expect("write");
    let mut config =
        Config::from_lookup(|k| (k == "DATABASE_URL").then(|| db.url.clone())).expect("config");
    let source = sshd.source(sshd.port);
    config.servers = vec![ServerConfig {
        label: "eu".into(),
        source: Source::Sftp(source.clone()),
    }];
    let findings = proximity::check::run(&config, None).await;
    let server = &findings[1];
    assert_eq!(
        server.to_string(),
        format!(
            "ok   round files: server eu ({}): host key as pinned, 2 round files",
            source.url()
        )
    );

    let other = tempfile::tempdir().expect("keys");
    keygen(&other.path().join("k"));
    config.servers[0].source = Source::Sftp(SftpSource {
        host_key: read(&other.path().join("k.pub")),
        ..source.clone()
    });
    let findings = proximity::check::run(&config, None).await;
    let server = &findings[1];
    assert_eq!(server.verdict, proximity::check::Verdict::Fail);
    let text = server.to_string();
    assert!(
        text.contains("server eu")
            && text.contains("not the pinned SHA256:")
            && text.contains("fix: check the address, the key file and the pinned host key"),
        "{text}"
    );
    db.drop_db().await;
}

/// `/proximity_import` with two folder servers: the file's autocomplete lists both servers'
/// files naming their server (only the chosen server's once the server option is filled in),
/// a file is imported as a round of the server whose folder holds it, and a name in both
/// folders asks which server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proximity_import_offers_and_imports_each_servers_files() {
    let bot = BotHarness::start(BotOptions {
        servers: vec!["lan".into(), "eu".into()],
        ..BotOptions::default()
    })
    .await;
    let (lan, eu) = (bot.server_folder("lan"), bot.server_folder("eu"));
    std::fs::write(lan.join(file_name(1)), round_bytes(1)).expect("write");
    std::fs::write(eu.join(file_name(2)), round_bytes(2)).expect("write");
    // The same name on both servers, each its own round.
    std::fs::write(lan.join(file_name(3)), round_bytes(3)).expect("write");
    std::fs::write(eu.join(file_name(3)), round_bytes(4)).expect("write");
    let t = Duration::from_secs(60);

    let every = bot
        .fake
        .autocomplete(BOB, "proximity_import", json!({"file": "supply"}))
        .choices(t)
        .await;
    let choice = |server: &str, i: usize| json!({"name": format!("{server}: {}", file_name(i)), "value": file_name(i)});
    assert_eq!(
        every,
        [
            choice("lan", 3),
            choice("eu", 3),
            choice("eu", 2),
            choice("lan", 1)
        ]
    );
    let chosen = bot
        .fake
        .autocomplete(
            BOB,
            "proximity_import",
            json!([
                {"name": "file", "type": 3, "value": "", "focused": true},
                {"name": "server", "type": 3, "value": "lan"},
            ]),
        )
        .choices(t)
        .await;
    assert_eq!(
        chosen,
        [
            json!({"name": file_name(3), "value": file_name(3)}),
            json!({"name": file_name(1), "value": file_name(1)}),
        ]
    );

    // Only the second server has this file: it is that server's round.
    let second = bot
        .fake
        .invoke(BOB, "proximity_import", json!({"file": file_name(2)}))
        .reply(t)
        .await;
    assert!(
        second.text().contains("imported as round #"),
        "{}",
        second.text()
    );
    assert_eq!(
        rounds_by_server(&bot.db.pool).await,
        [("eu".to_string(), 1)]
    );

    let both = bot
        .fake
        .invoke(BOB, "proximity_import", json!({"file": file_name(3)}))
        .reply(t)
        .await;
    assert_eq!(
        both.text(),
        format!(
            "`{}` is in the folders of several servers (lan, eu): choose one with the server \
             option.",
            file_name(3)
        )
    );
    let missing = bot
        .fake
        .invoke(
            BOB,
            "proximity_import",
            json!({"file": "2026-01-10-235900-supply-round-1_engagements.txt"}),
        )
        .reply(t)
        .await;
    assert_eq!(
        missing.text(),
        format!(
            "There is no file `2026-01-10-235900-supply-round-1_engagements.txt` in {} (server \
             lan) or {} (server eu).",
            lan.display(),
            eu.display()
        )
    );
    let named = bot
        .fake
        .invoke(
            BOB,
            "proximity_import",
            json!({"file": file_name(3), "server": "LAN"}),
        )
        .reply(t)
        .await;
    assert!(
        named.text().contains("imported as round #"),
        "{}",
        named.text()
    );
    assert_eq!(
        rounds_by_server(&bot.db.pool).await,
        [("eu".to_string(), 1), ("lan".to_string(), 1)]
    );
    let from: String = sqlx::query_scalar(
        "SELECT l.path FROM import_log l JOIN rounds r ON r.id = l.round_id
         WHERE r.server = 'lan'",
    )
    .fetch_one(&bot.db.pool)
    .await
    .expect("the lan round's file");
    assert_eq!(from, lan.join(file_name(3)).display().to_string());
    bot.finish().await;
}

/// Every SFTP server's key file is read when the configuration is loaded: a missing file, one
/// that is not a private key, a public key or one with a passphrase stops `run`, `web` and
/// `import` with a line naming the server, the file and what is wrong; `proximity check` says
/// the same as a failure with its fix, and goes on with the other checks.
#[tokio::test]
async fn an_unusable_key_file_stops_the_start_and_check_names_it() {
    let keys = tempfile::tempdir().expect("keys");
    let k = keys.path();
    keygen(&k.join("good"));
    let locked = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "a passphrase",
            "-C",
            "test",
            "-f",
        ])
        .arg(k.join("locked"))
        .status()
        .expect("ssh-keygen runs");
    assert!(locked.success());
    std::fs::write(k.join("notes.txt"), "not a key\n").expect("write");
    let host_key = read(&k.join("good.pub"));
    let config_with = |key_file: &Path| {
        let key_file = key_file.display().to_string();
        let host_key = host_key.clone();
        Config::from_lookup(move |name| match name {
            "SERVERS" => Some("eu=sftp://et@127.0.0.1:22/srv/proximity".into()),
            "SERVERS_EU_KEY_FILE" => Some(key_file.clone()),
            "SERVERS_EU_HOST_KEY" => Some(host_key.clone()),
            _ => None,
        })
        .expect("the configuration parses without reading the key file")
    };
    let problem = |file: &str| {
        config_with(&k.join(file))
            .check_key_files()
            .expect_err(file)
            .to_string()
    };
    let named = |file: &str, what: &str| {
        format!(
            "SERVERS: server `eu`: key_file {}: {what}",
            k.join(file).display()
        )
    };
    assert_eq!(
        problem("missing"),
        named("missing", "there is no such file")
    );
    assert!(
        problem("notes.txt").starts_with(&named(
            "notes.txt",
            "it is not a private key in OpenSSH format"
        )),
        "{}",
        problem("notes.txt")
    );
    assert_eq!(
        problem("good.pub"),
        named(
            "good.pub",
            "it is a public key; give the private key (the file without .pub)"
        )
    );
    assert_eq!(
        problem("locked"),
        named(
            "locked",
            "the key has a passphrase; the bot needs a key without one"
        )
    );
    assert_eq!(config_with(&k.join("good")).check_key_files(), Ok(()));

    // The program as an admin starts it.
    let missing = k.join("missing").display().to_string();
    let env = [
        ("SERVERS", "eu=sftp://et@127.0.0.1:22/srv/proximity"),
        ("SERVERS_EU_KEY_FILE", missing.as_str()),
        ("SERVERS_EU_HOST_KEY", host_key.trim()),
    ];
    let run = crate::cli::run_binary(&["run"], &env).await;
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr).trim(),
        format!("error: {}", named("missing", "there is no such file"))
    );
    let db = TestDb::new().await;
    let mut with_db = env.to_vec();
    with_db.push(("DATABASE_URL", db.url.as_str()));
    let check = crate::cli::run_binary(&["check"], &with_db).await;
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("ok   database: "), "{stdout}");
    assert_eq!(
        lines[1],
        format!(
            "FAIL round files: server eu (sftp://et@127.0.0.1:22/srv/proximity): key_file {}: \
             there is no such file",
            missing
        )
    );
    assert!(
        lines[2].starts_with("     fix: set key_file (SERVERS_<LABEL>_KEY_FILE in the list form)"),
        "{stdout}"
    );
    db.drop_db().await;
}

/// A transfer cut in the middle leaves a partial in the spool; when its file is then removed on
/// the server, the next pass deletes the partial and says so. Finished spool files (the
/// imported history), the partial of a file still listed and a `.part` that is no round
/// file's stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_whose_remote_file_is_gone_is_discarded_and_nothing_else() {
    let sshd = Sshd::start();
    let spool = tempfile::tempdir().expect("spool");
    let remote = sshd.remote();
    std::fs::write(remote.join(file_name(1)), round_bytes(1)).expect("write");
    // Still being written: half of it, no `# END`.
    let growing = round_bytes(2);
    std::fs::write(remote.join(file_name(2)), &growing[..growing.len() / 2]).expect("write");
    let proxy = Proxy::start(&format!("127.0.0.1:{}", sshd.port)).await;
    let (puller, _) = puller(&sshd, proxy.port, spool.path());
    let first = puller.pull_once().await.expect("pull");
    assert_eq!(
        (first.pulled, first.waiting),
        (vec![file_name(1)], vec![file_name(2)])
    );

    // A large file, its transfer cut in the middle.
    let mut big: Vec<u8> = (0..24 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    big.extend_from_slice(b"\n# END\n");
    std::fs::write(remote.join(file_name(3)), &big).expect("write");
    let partial = spool.path().join(format!("{}.part", file_name(3)));
    let cut = cut_a_transfer(&puller, &proxy, &partial).await;
    assert!(cut.is_err(), "the cut pass fails");
    assert!(partial.exists(), "the cut transfer left its partial");
    std::fs::write(spool.path().join("notes.txt.part"), b"not a round file's").expect("write");

    // The server's admin removes the cut file, and the finished one.
    std::fs::remove_file(remote.join(file_name(3))).expect("remove");
    std::fs::remove_file(remote.join(file_name(1))).expect("remove");
    let next = puller.pull_once().await.expect("pull");
    assert_eq!(next.discarded, [file_name(3)]);
    assert_eq!(next.waiting, [file_name(2)]);
    assert_eq!(
        names(spool.path()),
        [
            file_name(1),
            format!("{}.part", file_name(2)),
            "notes.txt.part".to_string()
        ]
    );
    assert_eq!(
        std::fs::read(spool.path().join(file_name(1))).expect("kept"),
        round_bytes(1)
    );
    let status = puller.status();
    assert_eq!((status.discarded, status.last_error), (1, None));
    assert_eq!(
        puller.pull_once().await.expect("pull").discarded,
        Vec::<String>::new(),
        "nothing more to discard"
    );
}

/// Failure guard of the waits of the two-minute outage (a pass every 30 s, each silent pass
/// waiting 30 s for its timeout); they end as soon as their condition holds.
const OUTAGE_GUARD: Duration = Duration::from_secs(300);

/// Waits until `done` holds, polling; panics with `what` after [`OUTAGE_GUARD`].
async fn wait_until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    tokio::time::timeout(OUTAGE_GUARD, async {
        while !done().await {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what}: not within {OUTAGE_GUARD:?}"));
}

/// Takes about three minutes of wall clock. A server configured as in production (every
/// setting its default: a pass every 30 s, a 30 s timeout, the spool's scanner watching), its
/// puller and scanner running on their own, goes away for about two minutes while rounds are
/// played on it: first its connections are refused, then they are accepted and nothing is ever
/// said on them, so each pass waits for its timeout. When it is back, every round is imported
/// once: none lost, none twice, and the status shows no error and no backlog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_minute_outage_refused_then_silent_loses_nothing_and_doubles_nothing() {
    let sshd = Sshd::start();
    let db = TestDb::new().await;
    let spool = tempfile::tempdir().expect("spool");
    let proxy = Proxy::start(&format!("127.0.0.1:{}", sshd.port)).await;
    let source = sshd.source(proxy.port);
    let vars: std::collections::HashMap<&str, String> = [
        (
            "SERVERS",
            format!(
                "eu=sftp://{}@127.0.0.1:{}{}",
                source.user, proxy.port, source.path
            ),
        ),
        ("SERVERS_EU_KEY_FILE", source.key_file.display().to_string()),
        ("SERVERS_EU_HOST_KEY", source.host_key.clone()),
        ("SPOOL_DIR", spool.path().display().to_string()),
    ]
    .into_iter()
    .collect();
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("config");
    let server = ServerRuntime::all(&db.pool, &config).remove(0);
    let puller = server.puller.clone().expect("a puller");
    // Nothing is shortened: the test ends in minutes with production's waits.
    let production = PullerConfig::new("eu", source.clone(), spool.path().join("eu"));
    let c = puller.config();
    assert_eq!(
        (c.interval, c.timeout, c.stable_for),
        (
            production.interval,
            production.timeout,
            production.stable_for
        )
    );
    let remote = sshd.remote();
    for i in 1..=2 {
        std::fs::write(remote.join(file_name(i)), round_bytes(i as u64)).expect("write");
    }
    server.start();
    let pool = db.pool.clone();
    let rounds = move || {
        let pool = pool.clone();
        async move { rounds_by_server(&pool).await }
    };
    wait_until("the first rounds imported", || async {
        rounds().await == [("eu".to_string(), 2)]
    })
    .await;

    // Refused for a minute, a round played meanwhile.
    proxy.set_up(false);
    std::fs::write(remote.join(file_name(3)), round_bytes(3)).expect("write");
    let error = || {
        puller
            .status()
            .last_error
            .map(|(_, e)| e)
            .unwrap_or_default()
    };
    tokio::join!(
        tokio::time::sleep(Duration::from_secs(60)),
        wait_until("a pass refused", || async {
            error().contains("cannot connect")
        }),
    );
    // Then silent for a minute: every pass waits for its timeout. Two more rounds.
    proxy.set_silent();
    std::fs::write(remote.join(file_name(4)), round_bytes(4)).expect("write");
    tokio::join!(
        tokio::time::sleep(Duration::from_secs(60)),
        wait_until("a pass timed out", || async {
            error().contains("no answer within 30 s")
        }),
    );
    std::fs::write(remote.join(file_name(5)), round_bytes(5)).expect("write");
    assert_eq!(
        rounds().await,
        [("eu".to_string(), 2)],
        "nothing came through"
    );
    assert!(
        !puller.status().stopped,
        "an outage does not stop the pulls"
    );

    proxy.set_up(true);
    wait_until(
        "every round imported and the server's status clear",
        || async {
            let status = puller.status();
            rounds().await == [("eu".to_string(), 5)]
                && status.last_error.is_none()
                && status.backlog == 0
        },
    )
    .await;
    // One more pass and scan change nothing.
    assert_eq!(puller.pull_once().await.expect("pull").pulled.len(), 0);
    assert_eq!(
        server
            .scanner
            .scan_now(None)
            .await
            .expect("scan")
            .imported
            .len(),
        0
    );
    assert_eq!(rounds().await, [("eu".to_string(), 5)]);
    let imports: Vec<(String, String)> =
        sqlx::query_as("SELECT file_name, status FROM import_log ORDER BY file_name")
            .fetch_all(&db.pool)
            .await
            .expect("log");
    let expected: Vec<(String, String)> = (1..=5)
        .map(|i| (file_name(i), "imported".to_string()))
        .collect();
    assert_eq!(imports, expected, "one import per file");
    let status = puller.status();
    assert_eq!(
        (status.pulled, status.backlog, status.last_error),
        (5, 0, None)
    );
    server.shutdown().await;
    db.drop_db().await;
}
