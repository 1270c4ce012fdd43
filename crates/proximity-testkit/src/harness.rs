//! The bot end to end: the real poise/serenity client and the real commands against the fake
//! Discord (every REST request validated against Discord's OpenAPI spec), on a PostgreSQL
//! database, optionally with the real scanner on a temporary game-server folder.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::sync::Arc;

use fake_discord::{FakeDiscord, FakeOptions, GUILD_ID, RunningBot, SUMMARY_CHANNEL};
use poise::serenity_prelude as serenity;
use proximity::bot::discord_state::DiscordState;
use proximity::bot::{Data, Timing};
use proximity::config::Config;
use proximity::metrics::MetricParams;
use proximity::scanner::{Scanner, ScannerConfig};
use tempfile::TempDir;

use crate::TestDb;

/// Failure guard of the wait for the bot's command registration; it ends as soon as the
/// registration is recorded.
const REGISTRATION_GUARD: Duration = Duration::from_secs(60);
/// The scanner's debounce of watcher events (1 s by default in production).
const DEBOUNCE: Duration = Duration::from_millis(200);
/// Failure guard of [`BotHarness::wait_rounds`].
const ROUNDS_GUARD: Duration = Duration::from_secs(30);

/// The bot's waits in tests: retries and polls in milliseconds, Discord's deadlines as in
/// production.
pub fn test_timing() -> Timing {
    Timing {
        retry_min: Duration::from_millis(50),
        retry_max: Duration::from_millis(400),
        poster_poll: Duration::from_millis(300),
        ..Timing::default()
    }
}

/// A test's set-up of the fake Discord before the bot connects.
pub type Prepare = Box<dyn FnOnce(&FakeDiscord) + Send>;

/// What the bot starts with.
#[derive(Default)]
pub struct BotOptions {
    /// The bot's database (e.g. one the test has filled already); a fresh [`TestDb`] when
    /// `None`.
    pub db: Option<TestDb>,
    /// Connect the bot (and its scanner) to PostgreSQL through this URL, with a pool of its
    /// own, instead of sharing the database's pool: e.g. through a proxy the test can cut.
    pub database_url: Option<String>,
    /// A scanner on a temporary game-server folder, posting round summaries in
    /// [`SUMMARY_CHANNEL`]; `None`: no folder, and a scanner with automatic imports off.
    pub scanner: Option<ScannerOptions>,
    /// The bot's `GUILD_ID` (default: the fake's guild). With another guild the harness does
    /// not wait for a successful registration, only for the first attempt.
    pub guild_id: Option<u64>,
    /// The bot's waits and deadlines (default: [`test_timing`]).
    pub timing: Option<Timing>,
    /// The fake Discord's settings.
    pub fake: FakeOptions,
    /// `PROXIMITY_INCLUDE_BOTS`.
    pub include_bots: bool,
    /// `PROXIMITY_ENABLED=false`.
    pub disabled: bool,
    /// `WEB_PUBLIC_URL`: summaries link to their replay.
    pub public_url: Option<String>,
    /// Called with the fake before the bot connects, e.g. to inject failures.
    pub prepare: Option<Prepare>,
    /// `MAPS_DIR`: the folders the command maps are read from.
    pub maps_dir: Option<String>,
    /// Game servers (`SERVERS`) by label, each a temporary folder of its own
    /// ([`BotHarness::server_folder`]) whose scanner imports nothing by itself. Not with
    /// `scanner`.
    pub servers: Vec<String>,
}

impl BotOptions {
    /// A fresh database and a scanner with these settings.
    pub fn scanning(scanner: ScannerOptions) -> BotOptions {
        BotOptions {
            scanner: Some(scanner),
            ..BotOptions::default()
        }
    }
}

/// The scanner's settings (its watcher's debounce is always 200 ms). The defaults suit tests:
/// the timer does not fire during a test, delays are short.
pub struct ScannerOptions {
    /// `PROXIMITY_AUTO_IMPORT`: whether the scanner imports on its own.
    pub auto_import: bool,
    pub watch: bool,
    pub interval: Duration,
    pub stable_for: Duration,
    pub retry_base: Duration,
    /// Files (name, content) put in the folder before the bot starts.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Default for ScannerOptions {
    fn default() -> Self {
        ScannerOptions {
            auto_import: true,
            watch: true,
            interval: Duration::from_secs(300),
            stable_for: Duration::from_millis(800),
            retry_base: Duration::from_millis(100),
            files: Vec::new(),
        }
    }
}

/// The bot connected to a fake Discord, with its commands registered (and its scanner
/// started).
pub struct BotHarness {
    pub db: TestDb,
    pub fake: FakeDiscord,
    /// The bot's registration state and last Discord error.
    pub discord: Arc<DiscordState>,
    bot: RunningBot,
    scanner: Option<Scanner>,
    dir: Option<TempDir>,
    server_dirs: Vec<(String, TempDir)>,
}

impl BotHarness {
    /// Starts a fake Discord and the bot on it, and waits until the bot has registered its
    /// commands in the fake's guild.
    pub async fn start(options: BotOptions) -> BotHarness {
        let db = match options.db {
            Some(db) => db,
            None => TestDb::new().await,
        };
        let dir = options.scanner.as_ref().map(|s| {
            let dir = tempfile::tempdir().expect("temp dir");
            for (name, bytes) in &s.files {
                std::fs::write(dir.path().join(name), bytes).expect("write");
            }
            dir
        });
        assert!(
            options.servers.is_empty() || options.scanner.is_none(),
            "BotOptions: servers or scanner, not both"
        );
        let server_dirs: Vec<(String, TempDir)> = options
            .servers
            .iter()
            .map(|label| (label.clone(), tempfile::tempdir().expect("temp dir")))
            .collect();
        let servers = (!server_dirs.is_empty()).then(|| {
            server_dirs
                .iter()
                .map(|(label, dir)| format!("{label}={}", dir.path().display()))
                .collect::<Vec<_>>()
                .join(",")
        });
        let url = options
            .database_url
            .clone()
            .unwrap_or_else(|| db.url.clone());
        let folder = dir
            .as_ref()
            .map(|d| d.path().to_string_lossy().into_owned());
        let auto_import = options
            .scanner
            .as_ref()
            .is_some_and(|s| s.auto_import)
            .to_string();
        let guild = options.guild_id.unwrap_or(GUILD_ID);
        let config = Config::from_lookup(|k| match k {
            "GUILD_ID" => Some(guild.to_string()),
            "DATABASE_URL" => Some(url.clone()),
            "SUMMARY_CHANNEL_ID" if folder.is_some() => Some(SUMMARY_CHANNEL.to_string()),
            "GAMESTATS_DIR" => folder.clone(),
            "SERVERS" => servers.clone(),
            "PROXIMITY_AUTO_IMPORT" => Some(auto_import.clone()),
            "PROXIMITY_INCLUDE_BOTS" => Some(options.include_bots.to_string()),
            "PROXIMITY_ENABLED" => Some((!options.disabled).to_string()),
            "MAPS_DIR" => options.maps_dir.clone(),
            "WEB_PUBLIC_URL" => options.public_url.clone(),
            _ => None,
        })
        .expect("config");
        let pool = match &options.database_url {
            Some(url) => proximity::store::connect(url).await.expect("pool"),
            None => db.pool.clone(),
        };
        let scanner = options.scanner.as_ref().map(|s| {
            let mut sc = ScannerConfig::from_config(&config);
            sc.watch = s.watch;
            sc.interval = s.interval;
            sc.stable_for = s.stable_for;
            sc.retry_base = s.retry_base;
            sc.debounce = DEBOUNCE;
            Scanner::new(pool.clone(), sc)
        });
        let idle = || Scanner::new(pool.clone(), ScannerConfig::from_config(&config));
        let data = Data::new(
            pool.clone(),
            config.clone(),
            scanner.clone().unwrap_or_else(idle),
            MetricParams::default(),
        )
        .with_timing(options.timing.unwrap_or_else(test_timing))
        .with_servers(if server_dirs.is_empty() {
            Vec::new()
        } else {
            proximity::servers::runtime::ServerRuntime::all(&pool, &config)
        });
        let discord = Arc::clone(&data.discord);
        let fake = FakeDiscord::start_with(options.fake).await;
        if let Some(prepare) = options.prepare {
            prepare(&fake);
        }
        let bot = fake
            .start_bot(
                proximity::bot::framework(data),
                serenity::GatewayIntents::non_privileged(),
            )
            .await;
        fake.wait_for_registration(REGISTRATION_GUARD).await;
        // The bot starts its scanner once the summary poster listens (during setup, which ends
        // right after the registration); this makes sure it runs before the test goes on.
        if let Some(scanner) = &scanner {
            scanner.start();
        }
        BotHarness {
            db,
            fake,
            discord,
            bot,
            scanner,
            dir,
            server_dirs,
        }
    }

    /// The bot's scanner. Panics when the bot was started without one.
    pub fn scanner(&self) -> &Scanner {
        self.scanner.as_ref().expect("started without a scanner")
    }

    /// The game-server folder the scanner reads. Panics when the bot was started without a
    /// scanner.
    pub fn folder(&self) -> &Path {
        self.dir.as_ref().expect("started without a scanner").path()
    }

    /// The folder of the server `label` (of [`BotOptions::servers`]). Panics for another label.
    pub fn server_folder(&self, label: &str) -> &Path {
        self.server_dirs
            .iter()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("no server {label}"))
            .1
            .path()
    }

    /// Writes a round file the way the tracker does: `.tmp`, then a rename.
    pub fn drop_file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let tmp = self.folder().join(format!("{name}.tmp"));
        std::fs::write(&tmp, bytes).expect("write tmp");
        let path = self.folder().join(name);
        std::fs::rename(&tmp, &path).expect("rename");
        path
    }

    /// The number of rounds in the database.
    pub async fn rounds(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM rounds")
            .fetch_one(&self.db.pool)
            .await
            .expect("count")
    }

    /// Waits until the database holds at least `n` rounds.
    pub async fn wait_rounds(&self, n: i64) {
        let deadline = Instant::now() + ROUNDS_GUARD;
        while self.rounds().await < n {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {n} rounds"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the scanner and the bot, checks that the fake recorded no violation, and hands
    /// the database back (not dropped).
    pub async fn stop(self) -> TestDb {
        if let Some(scanner) = &self.scanner {
            scanner.shutdown().await;
        }
        self.bot.shutdown().await;
        self.fake.assert_no_violations();
        self.db
    }

    /// [`Self::stop`], then drops the database.
    pub async fn finish(self) {
        self.stop().await.drop_db().await;
    }
}
