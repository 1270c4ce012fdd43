//! The scanner: picks up round files from the game server's folder and imports each complete
//! file exactly once.
//!
//! Three things start a scan: the folder watcher (`notify`, debounced), a timer every
//! `SCAN_INTERVAL_SECS` as a safety net (plus early re-checks when a file is waiting to become
//! ready or a failed file's backoff ends), and [`Scanner::scan_now`]. Scans never overlap: one
//! `tokio::sync::Mutex` guards them, and automatic triggers that fire during a scan coalesce into
//! one follow-up scan (a [`Notify`] holds at most one permit).
//!
//! A scan lists the folder (round file names only, never `.tmp`), loads the import log once and,
//! for each file:
//! - skips it without reading it when the log says imported, duplicate or quarantined and its
//!   size and modification time are those of the file last read;
//! - skips a failed file until its backoff (`retry_base · 2^(attempts−1)`) has passed;
//! - otherwise imports it once it is ready: it ends with `# END` (only the tail is read), or —
//!   another tracker's file — its size and modification time have not changed for `stable_for`.
//!
//! A file that fails [`QUARANTINE_AFTER`](crate::store::queries::QUARANTINE_AFTER) times is
//! quarantined with its error kept in the log. A database outage is not an attempt: the scan
//! stops and the next one tries again. Nothing in the folder is ever written, moved or deleted.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use sqlx::PgPool;
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::{Notify, broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::Config;
use crate::import::ImportOutcome;
use crate::import::{self, file_name_of, is_round_file_name};
use crate::metrics::MetricParams;
use crate::store::StoreError;
use crate::store::import_log::{self, FileState, ImportStatus};

/// How long a file without `# END` must stay unchanged before it is taken as finished (another
/// tracker's file): the scanner's rule, and `proximity import`'s.
pub const STABLE_FOR: Duration = Duration::from_secs(10);

/// How many bytes of a file's end are read to look for `# END`.
const TAIL_BYTES: u64 = 32;
/// Longest backoff exponent (keeps `retry_base · 2^n` from overflowing).
const MAX_BACKOFF_SHIFT: i32 = 16;

/// What the scanner watches and how.
#[derive(Debug, Clone)]
pub struct ScannerConfig {
    /// The folder the tracker writes round files into (`GAMESTATS_DIR`), or a remote server's
    /// spool.
    pub dir: PathBuf,
    /// The label of the game server whose files these are; every round imported gets it.
    pub server: String,
    /// `PROXIMITY_ENABLED`: when false the scanner does nothing and says so in its status.
    pub enabled: bool,
    /// The safety-net scan period (`SCAN_INTERVAL_SECS`).
    pub interval: Duration,
    /// `PROXIMITY_AUTO_IMPORT`: imports by the watcher, the timer and at start. Manual scans work
    /// either way.
    pub auto_import: bool,
    /// Watch the folder for changes (in addition to the timer).
    pub watch: bool,
    /// Quiet time the watcher waits for before reporting a burst of changes.
    pub debounce: Duration,
    /// A file without `# END` is ready once its size and modification time have not changed for
    /// this long.
    pub stable_for: Duration,
    /// First retry delay of a failed file; doubled after each further failure.
    pub retry_base: Duration,
    /// Metric parameters used at import.
    pub params: MetricParams,
}

impl ScannerConfig {
    /// The defaults for `dir`: enabled, automatic, watching, a 300 s timer, 10 s stability,
    /// 30 s first retry, 1 s debounce.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ScannerConfig {
            dir: dir.into(),
            server: crate::servers::DEFAULT_LABEL.to_string(),
            enabled: true,
            interval: Duration::from_secs(crate::config::DEFAULT_SCAN_INTERVAL_SECS),
            auto_import: true,
            watch: true,
            debounce: Duration::from_secs(1),
            stable_for: STABLE_FOR,
            retry_base: Duration::from_secs(30),
            params: MetricParams::default(),
        }
    }

    /// The scanner settings of the program's configuration.
    pub fn from_config(config: &Config) -> Self {
        ScannerConfig {
            enabled: config.enabled,
            interval: config.scan_interval,
            auto_import: config.auto_import,
            ..ScannerConfig::new(&config.gamestats_dir)
        }
    }

    /// How long to wait before retrying a file that has failed `attempts` times.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let shift = (attempts.max(1) - 1).min(MAX_BACKOFF_SHIFT);
        self.retry_base.saturating_mul(1u32 << shift)
    }
}

/// What started a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The backlog scan when the scanner starts.
    Startup,
    /// The folder watcher saw a round file change.
    Watcher,
    /// The safety-net timer.
    Timer,
    /// An early re-check: a file was waiting to become ready or a backoff ended.
    Recheck,
    /// [`Scanner::scan_now`].
    Manual,
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Trigger::Startup => "start-up",
            Trigger::Watcher => "watcher",
            Trigger::Timer => "timer",
            Trigger::Recheck => "re-check",
            Trigger::Manual => "manual",
        })
    }
}

/// Progress of a manual scan: sent before each import (`current_file` set, `done` files done so
/// far) and once at the end (`current_file: None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanProgress {
    pub done: usize,
    /// Files ready to import in this scan.
    pub total: usize,
    pub current_file: Option<String>,
}

/// A file whose import failed in a scan.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedFile {
    pub file_name: String,
    /// The error, as kept in the import log.
    pub error: String,
    /// Failed attempts so far (from the import log).
    pub attempts: i32,
    /// Quarantined: not retried until the file changes.
    pub quarantined: bool,
    /// When this attempt was logged.
    pub last_attempt: DateTime<Utc>,
    /// When it will be retried (`None` when quarantined).
    pub retry_at: Option<DateTime<Utc>>,
}

/// Why a scan stopped before importing every ready file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// [`Scanner::shutdown`] was called; the import in progress was finished.
    Shutdown,
    /// The database could not be reached; not counted as an attempt, retried by the next scan.
    DatabaseUnavailable(String),
}

/// What one scan did.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanSummary {
    pub trigger: Trigger,
    pub started_at: DateTime<Utc>,
    pub elapsed: Duration,
    /// Round files in the folder.
    pub files: usize,
    /// Rounds imported by this scan, `(round_id, file_name)`, in file name order.
    pub imported: Vec<(i64, String)>,
    /// Files whose round was already stored under another file, `(round_id, file_name)`.
    pub duplicates: Vec<(i64, String)>,
    /// Files that failed in this scan.
    pub failed: Vec<FailedFile>,
    /// Files already done (imported or duplicate) and unchanged: skipped without reading.
    pub unchanged: usize,
    /// Files quarantined earlier and unchanged: not retried.
    pub quarantined: usize,
    /// Failed files whose backoff has not passed yet.
    pub retry_later: usize,
    /// Files not ready yet (no `# END` and changed in the last `stable_for`).
    pub waiting: usize,
    /// Files ready but not imported because the scan stopped early.
    pub pending: usize,
    /// Files that could not be read, with the reason (tried again by the next scan).
    pub unreadable: Vec<(String, String)>,
    pub stopped: Option<StopReason>,
}

impl ScanSummary {
    fn new(trigger: Trigger) -> Self {
        ScanSummary {
            trigger,
            started_at: Utc::now(),
            elapsed: Duration::ZERO,
            files: 0,
            imported: Vec::new(),
            duplicates: Vec::new(),
            failed: Vec::new(),
            unchanged: 0,
            quarantined: 0,
            retry_later: 0,
            waiting: 0,
            pending: 0,
            unreadable: Vec::new(),
            stopped: None,
        }
    }

    /// Files in the folder that failed and will be retried.
    pub fn failed_count(&self) -> usize {
        self.retry_later + self.failed.iter().filter(|f| !f.quarantined).count()
    }

    /// Files in the folder that are quarantined.
    pub fn quarantined_count(&self) -> usize {
        self.quarantined + self.failed.iter().filter(|f| f.quarantined).count()
    }
}

/// What subscribers hear.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanEvent {
    /// A scan finished (possibly having done nothing); `imported` lists the new rounds.
    Finished(ScanSummary),
    /// A scan could not run (folder missing, database unreachable when loading the log).
    Failed { trigger: Trigger, error: String },
}

#[derive(Debug, Error)]
pub enum ScanError {
    #[error("proximity is turned off (PROXIMITY_ENABLED=false)")]
    Disabled,
    #[error("the scanner is shutting down")]
    ShutDown,
    #[error("the game server's folder {} does not exist (GAMESTATS_DIR)", dir.display())]
    FolderMissing { dir: PathBuf },
    #[error("cannot read the game server's folder {}: {source}", dir.display())]
    Folder {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// The state of the watched folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderState {
    Ready,
    Missing,
    NotAFolder,
    Unreadable(String),
}

/// Everything `/proximity_status` shows about the scanner. Failed and quarantined counts are
/// those of the last scan (the import log has the totals: `queries::import_counts`).
#[derive(Debug, Clone, PartialEq)]
pub struct ScannerStatus {
    pub enabled: bool,
    pub auto_import: bool,
    pub dir: PathBuf,
    pub folder: FolderState,
    pub watching: bool,
    /// Why the folder is not watched (when watching was wanted).
    pub watch_error: Option<String>,
    /// A scan is running.
    pub scanning: bool,
    pub last_scan: Option<ScanSummary>,
    /// The last scan that could not run, and why.
    pub last_error: Option<(DateTime<Utc>, String)>,
    /// The next automatic scan (`None` when automatic imports are off or stopped).
    pub next_scan: Option<DateTime<Utc>>,
    /// Ready but not imported yet.
    pub pending: usize,
    /// Not ready yet (still growing or changed recently).
    pub waiting: usize,
    pub failed: usize,
    pub quarantined: usize,
}

impl ScannerStatus {
    /// One line that says what the scanner is doing.
    pub fn headline(&self) -> String {
        let dir = self.dir.display();
        if !self.enabled {
            return "Proximity is turned off (PROXIMITY_ENABLED=false).".into();
        }
        match &self.folder {
            FolderState::Missing => {
                return format!("The game server's folder {dir} does not exist (GAMESTATS_DIR).");
            }
            FolderState::NotAFolder => return format!("{dir} is not a folder (GAMESTATS_DIR)."),
            FolderState::Unreadable(e) => return format!("Cannot read {dir}: {e}."),
            FolderState::Ready => {}
        }
        let mode = match (self.auto_import, self.watching) {
            (false, _) => "automatic imports are off (PROXIMITY_AUTO_IMPORT=false)".to_string(),
            (true, true) => "watching it, with a safety-net timer".to_string(),
            (true, false) => match &self.watch_error {
                Some(e) => format!("not watching it ({e}), the timer scans it"),
                None => "the timer scans it".to_string(),
            },
        };
        format!("Folder {dir}: {mode}.")
    }
}

/// Watches the game server's folder and imports round files. Cheap to clone.
#[derive(Clone)]
pub struct Scanner {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    config: ScannerConfig,
    /// Held for the whole of a scan; guards what the scanner remembers between scans.
    scan_lock: tokio::sync::Mutex<Observations>,
    /// Automatic triggers (watcher); at most one stored permit, so bursts coalesce.
    trigger: Arc<Notify>,
    stopping: AtomicBool,
    stop_tx: watch::Sender<bool>,
    started: AtomicBool,
    events: broadcast::Sender<ScanEvent>,
    live: parking_lot::Mutex<Live>,
    worker: parking_lot::Mutex<Option<JoinHandle<()>>>,
}

/// What a file looked like when first seen with its current size and modification time.
#[derive(Debug, Clone)]
struct Seen {
    size: u64,
    mtime_us: i64,
    since: Instant,
    /// Whether it ends with `# END` (read once per size and modification time, so that a waiting
    /// file is not opened by every scan: opening a file wakes the watcher).
    end_marker: Option<bool>,
}

type Observations = HashMap<PathBuf, Seen>;

#[derive(Debug, Default)]
struct Live {
    watching: bool,
    watch_error: Option<String>,
    scanning: bool,
    last_scan: Option<ScanSummary>,
    last_error: Option<(DateTime<Utc>, String)>,
    next_scan: Option<DateTime<Utc>>,
    pending: usize,
    waiting: usize,
}

/// A round file found in the folder.
#[derive(Debug, Clone)]
struct Listed {
    path: PathBuf,
    file_name: String,
    size: u64,
    mtime: DateTime<Utc>,
}

/// What happened to one ready file.
enum FileOutcome {
    Imported(i64),
    Duplicate(i64),
    Failed(FailedFile),
    /// Changed while being read: not ready after all.
    Changed,
    Unreadable(String),
    /// The database is unreachable: stop the scan.
    Unavailable(String),
}

impl Scanner {
    /// A scanner over `config.dir`, idle until [`Scanner::start`].
    pub fn new(pool: PgPool, config: ScannerConfig) -> Self {
        let (events, _) = broadcast::channel(256);
        let (stop_tx, _) = watch::channel(false);
        Scanner {
            inner: Arc::new(Inner {
                pool,
                config,
                scan_lock: tokio::sync::Mutex::new(HashMap::new()),
                trigger: Arc::new(Notify::new()),
                stopping: AtomicBool::new(false),
                stop_tx,
                started: AtomicBool::new(false),
                events,
                live: parking_lot::Mutex::new(Live::default()),
                worker: parking_lot::Mutex::new(None),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ScannerConfig {
        &self.inner.config
    }

    /// The imports' connections (without the commands' statement timeout).
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// Starts automatic imports: the watcher, the timer and the backlog scan. Does nothing when
    /// the feature or automatic imports are off, or when already started. Needs a Tokio runtime.
    pub fn start(&self) {
        let inner = &self.inner;
        if !inner.config.enabled
            || !inner.config.auto_import
            || inner.stopping.load(Ordering::SeqCst)
            || inner.started.swap(true, Ordering::SeqCst)
        {
            return;
        }
        let handle = tokio::spawn(worker(inner.clone(), inner.stop_tx.subscribe()));
        *inner.worker.lock() = Some(handle);
    }

    /// Scans now, whether or not automatic imports are on; waits for a scan in progress first.
    /// `progress` gets a message before each import and one at the end; the scan waits for room
    /// in the channel, so drain it (or give it room).
    pub async fn scan_now(
        &self,
        progress: Option<mpsc::Sender<ScanProgress>>,
    ) -> Result<ScanSummary, ScanError> {
        if !self.inner.config.enabled {
            return Err(ScanError::Disabled);
        }
        // On its own task, so that a caller that gives up (a timeout, a dropped reply) does not
        // cut an import short: the scan runs to its end either way.
        let inner = self.inner.clone();
        let scan =
            tokio::spawn(async move { inner.scan(Trigger::Manual, progress.as_ref()).await });
        match scan.await {
            Ok(result) => result.map(|(summary, _)| summary),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// The automatic trigger, for what brings files into the folder (a server's puller): a
    /// notification starts a scan as the watcher's would.
    pub fn trigger(&self) -> Arc<Notify> {
        Arc::clone(&self.inner.trigger)
    }

    /// Scan results as they happen.
    pub fn subscribe(&self) -> broadcast::Receiver<ScanEvent> {
        self.inner.events.subscribe()
    }

    /// The scanner's state now.
    pub fn status(&self) -> ScannerStatus {
        let config = &self.inner.config;
        let folder = match std::fs::metadata(&config.dir) {
            Ok(m) if m.is_dir() => FolderState::Ready,
            Ok(_) => FolderState::NotAFolder,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FolderState::Missing,
            Err(e) => FolderState::Unreadable(e.to_string()),
        };
        let live = self.inner.live.lock();
        let (failed, quarantined) = live
            .last_scan
            .as_ref()
            .map_or((0, 0), |s| (s.failed_count(), s.quarantined_count()));
        ScannerStatus {
            enabled: config.enabled,
            auto_import: config.auto_import,
            dir: config.dir.clone(),
            folder,
            watching: live.watching,
            watch_error: live.watch_error.clone(),
            scanning: live.scanning,
            last_scan: live.last_scan.clone(),
            last_error: live.last_error.clone(),
            next_scan: live.next_scan,
            pending: live.pending,
            waiting: live.waiting,
            failed,
            quarantined,
        }
    }

    /// Imports one file now (an admin's `/proximity_import`), even one that failed or was
    /// quarantined, without waiting for `# END` or stability: the admin has decided. It waits for
    /// a scan in progress, so there is still only one import at a time.
    pub async fn import_file(
        &self,
        path: &Path,
    ) -> Result<crate::import::ImportReport, crate::import::ImportError> {
        let _one_at_a_time = self.inner.scan_lock.lock().await;
        let c = &self.inner.config;
        crate::import::import_path_from(&self.inner.pool, &c.server, path, true, &c.params).await
    }

    /// Stops the watcher and the timer and waits for the import in progress to finish (the scan
    /// stops after it). The stop is requested as soon as this is called; the returned future
    /// completes when everything has stopped. Later scans return [`ScanError::ShutDown`].
    pub fn shutdown(&self) -> impl Future<Output = ()> + Send + 'static {
        let inner = self.inner.clone();
        inner.stopping.store(true, Ordering::SeqCst);
        inner.stop_tx.send_replace(true);
        async move {
            let handle = inner.worker.lock().take();
            if let Some(handle) = handle
                && let Err(e) = handle.await
            {
                tracing::error!("scanner task ended abnormally: {e}");
            }
            // Waits for a manual scan in progress.
            drop(inner.scan_lock.lock().await);
            let mut live = inner.live.lock();
            live.watching = false;
            live.next_scan = None;
        }
    }
}

/// The automatic side: watcher, backlog scan, timer and re-checks, until shutdown.
async fn worker(inner: Arc<Inner>, mut stop_rx: watch::Receiver<bool>) {
    let config = &inner.config;
    let mut watcher = None;
    if config.watch {
        watcher = inner.try_watch();
    }
    let mut next_timer = Instant::now() + config.interval;
    let mut trigger = Trigger::Startup;
    loop {
        if inner.stopping.load(Ordering::SeqCst) {
            break;
        }
        if config.watch && watcher.is_none() && trigger == Trigger::Timer {
            // The folder may have appeared since.
            watcher = inner.try_watch();
        }
        // The timer's next tick, until the scan says whether to look again sooner.
        inner.live.lock().next_scan = Some(to_wall_clock(next_timer));
        let recheck = match inner.scan(trigger, None).await {
            Ok((_, recheck)) => recheck,
            Err(ScanError::ShutDown) => break,
            Err(_) => None,
        };
        let deadline = recheck.map_or(next_timer, |r| r.min(next_timer));
        inner.live.lock().next_scan = Some(to_wall_clock(deadline));
        tokio::select! {
            biased;
            _ = stop_rx.wait_for(|stop| *stop) => break,
            _ = inner.trigger.notified() => trigger = Trigger::Watcher,
            _ = tokio::time::sleep_until(deadline) => {
                if Instant::now() >= next_timer {
                    trigger = Trigger::Timer;
                    next_timer = Instant::now() + config.interval;
                } else {
                    trigger = Trigger::Recheck;
                }
            }
        }
    }
    drop(watcher);
    let mut live = inner.live.lock();
    live.watching = false;
    live.next_scan = None;
}

fn to_wall_clock(at: Instant) -> DateTime<Utc> {
    let ahead = at.saturating_duration_since(Instant::now());
    Utc::now() + chrono::Duration::from_std(ahead).unwrap_or(chrono::Duration::MAX)
}

impl Inner {
    /// Starts watching the folder; on failure, logs it, records it for the status and returns
    /// `None` (the timer keeps scanning).
    fn try_watch(&self) -> Option<Debouncer<RecommendedWatcher>> {
        let dir = &self.config.dir;
        let trigger = self.trigger.clone();
        let handler = move |result: DebounceEventResult| match result {
            Ok(events) => {
                let round_file = events.iter().any(|e| {
                    e.path
                        .file_name()
                        .is_some_and(|n| is_round_file_name(&n.to_string_lossy()))
                });
                if round_file {
                    trigger.notify_one();
                }
            }
            Err(e) => tracing::warn!("folder watcher: {e}"),
        };
        let watched = new_debouncer(self.config.debounce, handler).and_then(|mut debouncer| {
            debouncer
                .watcher()
                .watch(dir, RecursiveMode::NonRecursive)
                .map(|()| debouncer)
        });
        let mut live = self.live.lock();
        match watched {
            Ok(debouncer) => {
                tracing::info!("watching {}", dir.display());
                live.watching = true;
                live.watch_error = None;
                Some(debouncer)
            }
            Err(e) => {
                let reason = if dir.is_dir() {
                    e.to_string()
                } else {
                    format!("{} does not exist", dir.display())
                };
                if live.watch_error.as_deref() != Some(reason.as_str()) {
                    tracing::warn!(
                        "cannot watch {}: {reason}; scanning on the timer",
                        dir.display()
                    );
                }
                live.watching = false;
                live.watch_error = Some(reason);
                None
            }
        }
    }

    /// One scan under the scan lock. Returns the summary and when to look again at files that are
    /// waiting or in backoff. Publishes the outcome.
    async fn scan(
        &self,
        trigger: Trigger,
        progress: Option<&mpsc::Sender<ScanProgress>>,
    ) -> Result<(ScanSummary, Option<Instant>), ScanError> {
        let mut seen = self.scan_lock.lock().await;
        if self.stopping.load(Ordering::SeqCst) {
            return Err(ScanError::ShutDown);
        }
        self.live.lock().scanning = true;
        let result = self.scan_locked(&mut seen, trigger, progress).await;
        let mut live = self.live.lock();
        live.scanning = false;
        match &result {
            Ok((summary, _)) => {
                live.pending = summary.pending;
                live.waiting = summary.waiting;
                live.last_scan = Some(summary.clone());
                live.last_error = None;
                drop(live);
                log_summary(summary);
                let _ = self.events.send(ScanEvent::Finished(summary.clone()));
            }
            Err(e) => {
                live.last_error = Some((Utc::now(), e.to_string()));
                drop(live);
                tracing::warn!("{trigger} scan of {}: {e}", self.config.dir.display());
                let _ = self.events.send(ScanEvent::Failed {
                    trigger,
                    error: e.to_string(),
                });
            }
        }
        result
    }

    async fn scan_locked(
        &self,
        seen: &mut Observations,
        trigger: Trigger,
        progress: Option<&mpsc::Sender<ScanProgress>>,
    ) -> Result<(ScanSummary, Option<Instant>), ScanError> {
        let started = Instant::now();
        let mut summary = ScanSummary::new(trigger);
        let listed = list_folder(&self.config.dir).await?;
        summary.files = listed.len();
        let log: HashMap<String, FileState> = import_log::file_states(&self.pool)
            .await?
            .into_iter()
            .map(|s| (s.path.clone(), s))
            .collect();
        // Forget files that are gone.
        let present: HashSet<&PathBuf> = listed.iter().map(|l| &l.path).collect();
        seen.retain(|p, _| present.contains(p));

        let now = Utc::now();
        let mut recheck: Option<Instant> = None;
        let mut earliest = |at: Instant| recheck = Some(recheck.map_or(at, |r| r.min(at)));
        let mut ready = Vec::new();
        for file in &listed {
            let state = log.get(file.path.to_string_lossy().as_ref());
            if let Some(state) = state
                && state.file_size == Some(file.size as i64)
                && state.file_mtime.map(|t| t.timestamp_micros())
                    == Some(file.mtime.timestamp_micros())
            {
                match state.status {
                    ImportStatus::Imported | ImportStatus::Duplicate => {
                        summary.unchanged += 1;
                        continue;
                    }
                    ImportStatus::Quarantined => {
                        summary.quarantined += 1;
                        continue;
                    }
                    ImportStatus::Failed => {
                        let retry_at = state.last_attempt
                            + chrono_duration(self.config.backoff(state.attempts));
                        if now < retry_at {
                            summary.retry_later += 1;
                            earliest(
                                Instant::now() + (retry_at - now).to_std().unwrap_or_default(),
                            );
                            continue;
                        }
                    }
                }
            }
            match self.readiness(seen, file, now).await {
                Ok(None) => ready.push(file),
                Ok(Some(at)) => {
                    summary.waiting += 1;
                    earliest(at);
                }
                Err(e) => summary
                    .unreadable
                    .push((file.file_name.clone(), e.to_string())),
            }
        }

        let total = ready.len();
        let mut done = 0;
        for file in ready {
            if let Some(tx) = progress {
                let _ = tx
                    .send(ScanProgress {
                        done,
                        total,
                        current_file: Some(file.file_name.clone()),
                    })
                    .await;
            }
            if self.stopping.load(Ordering::SeqCst) {
                summary.stopped = Some(StopReason::Shutdown);
                break;
            }
            let prior = log.get(file.path.to_string_lossy().as_ref());
            match self.import_file(file, prior).await {
                // Done: from now on the import log says so.
                FileOutcome::Imported(id) => {
                    seen.remove(&file.path);
                    summary.imported.push((id, file.file_name.clone()));
                }
                FileOutcome::Duplicate(id) => {
                    seen.remove(&file.path);
                    summary.duplicates.push((id, file.file_name.clone()));
                }
                FileOutcome::Failed(failed) => {
                    if let Some(retry_at) = failed.retry_at {
                        let wait = (retry_at - Utc::now()).to_std().unwrap_or_default();
                        earliest(Instant::now() + wait);
                    }
                    summary.failed.push(failed);
                }
                FileOutcome::Changed => {
                    seen.remove(&file.path);
                    summary.waiting += 1;
                    earliest(Instant::now() + self.config.stable_for);
                }
                FileOutcome::Unreadable(e) => {
                    summary.unreadable.push((file.file_name.clone(), e));
                }
                FileOutcome::Unavailable(e) => {
                    summary.stopped = Some(StopReason::DatabaseUnavailable(e));
                    break;
                }
            }
            done += 1;
        }
        summary.pending = total - done;
        if let Some(tx) = progress {
            let _ = tx
                .send(ScanProgress {
                    done,
                    total,
                    current_file: None,
                })
                .await;
        }
        summary.elapsed = started.elapsed();
        Ok((summary, recheck))
    }

    /// `None` when `file` is ready, else when to look at it again.
    async fn readiness(
        &self,
        seen: &mut Observations,
        file: &Listed,
        now: DateTime<Utc>,
    ) -> std::io::Result<Option<Instant>> {
        let mtime_us = file.mtime.timestamp_micros();
        let entry = seen.entry(file.path.clone()).or_insert_with(|| Seen {
            size: file.size,
            mtime_us,
            since: Instant::now(),
            end_marker: None,
        });
        if entry.size != file.size || entry.mtime_us != mtime_us {
            *entry = Seen {
                size: file.size,
                mtime_us,
                since: Instant::now(),
                end_marker: None,
            };
        }
        let has_end = match entry.end_marker {
            Some(known) => known,
            None => {
                let found = tail_has_end_marker(&file.path, file.size).await?;
                entry.end_marker = Some(found);
                found
            }
        };
        if has_end {
            return Ok(None);
        }
        // Unchanged since we first saw it, or not modified for as long (a backlog file is ready
        // at once). A modification time in the future counts as just now.
        let observed = entry.since.elapsed();
        let untouched = (now - file.mtime).to_std().unwrap_or_default();
        let quiet = observed.max(untouched);
        if quiet >= self.config.stable_for {
            Ok(None)
        } else {
            Ok(Some(Instant::now() + (self.config.stable_for - quiet)))
        }
    }

    /// Reads, imports and logs one ready file. Uses `import_bytes` and `record_attempt` rather
    /// than `import_path` so that a database outage is not logged as an attempt and a file that
    /// changed while being read is not imported.
    async fn import_file(&self, file: &Listed, prior: Option<&FileState>) -> FileOutcome {
        let bytes = match tokio::fs::read(&file.path).await {
            Ok(bytes) => bytes,
            Err(e) => return FileOutcome::Unreadable(e.to_string()),
        };
        match tokio::fs::metadata(&file.path).await {
            Ok(meta) if bytes.len() as u64 == file.size && meta.len() == file.size => {
                if mtime_of(&meta).timestamp_micros() != file.mtime.timestamp_micros() {
                    return FileOutcome::Changed;
                }
            }
            Ok(_) => return FileOutcome::Changed,
            Err(e) => return FileOutcome::Unreadable(e.to_string()),
        }
        let size = bytes.len() as i64;
        let mut result = import::import_bytes_from(
            &self.pool,
            &self.config.server,
            &file.file_name,
            bytes,
            true,
            &self.config.params,
        )
        .await;
        if let Err(e) = &result
            && e.is_transient()
        {
            return FileOutcome::Unavailable(e.to_string());
        }
        if prior.is_none()
            && let Ok(report) = &mut result
            && let ImportOutcome::AlreadyImported { round_id } = report.outcome
        {
            // A round stored from this very file whose log write was lost (the database went
            // away in between) is this file's import, not a duplicate of another file.
            match stored_from(&self.pool, round_id, &file.file_name).await {
                Ok(true) => report.outcome = ImportOutcome::Imported { round_id },
                Ok(false) => {}
                Err(e) => return FileOutcome::Unavailable(e.to_string()),
            }
        }
        let logged = async {
            crate::import::record_attempt(&self.pool, &file.path, &file.file_name, size, &result)
                .await?;
            import_log::set_file_mtime(&self.pool, &file.path, file.mtime).await
        }
        .await;
        let entry = match logged {
            Ok(entry) => entry,
            // The round (if imported) is stored; the next scan reads the file again, recognises
            // it and logs it.
            Err(e) => return FileOutcome::Unavailable(e.to_string()),
        };
        match result {
            Ok(report) => match report.outcome {
                ImportOutcome::Imported { round_id } | ImportOutcome::Replaced { round_id, .. } => {
                    FileOutcome::Imported(round_id)
                }
                ImportOutcome::AlreadyImported { round_id } => FileOutcome::Duplicate(round_id),
            },
            Err(e) => {
                let attempts = entry
                    .as_ref()
                    .map_or(prior.map_or(0, |p| p.attempts) + 1, |s| s.attempts);
                let quarantined = entry
                    .as_ref()
                    .map_or(attempts >= import_log::QUARANTINE_AFTER, |s| {
                        s.status == ImportStatus::Quarantined
                    });
                let last_attempt = entry.as_ref().map_or_else(Utc::now, |s| s.last_attempt);
                FileOutcome::Failed(FailedFile {
                    file_name: file.file_name.clone(),
                    error: crate::error_text::storable(&e.to_string()),
                    attempts,
                    quarantined,
                    last_attempt,
                    retry_at: (!quarantined)
                        .then(|| last_attempt + chrono_duration(self.config.backoff(attempts))),
                })
            }
        }
    }
}

/// Whether round `round_id` was stored from a file called `file_name`.
async fn stored_from(pool: &PgPool, round_id: i64, file_name: &str) -> Result<bool, StoreError> {
    let name: Option<String> = sqlx::query_scalar("SELECT file_name FROM rounds WHERE id = $1")
        .bind(round_id)
        .fetch_optional(pool)
        .await?;
    Ok(name.as_deref() == Some(file_name))
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn log_summary(s: &ScanSummary) {
    for (round_id, file) in &s.imported {
        tracing::info!("{file}: imported as round #{round_id} ({} scan)", s.trigger);
    }
    for (round_id, file) in &s.duplicates {
        tracing::info!("{file}: already imported as round #{round_id}");
    }
    for f in &s.failed {
        if f.quarantined {
            tracing::warn!("{}: quarantined after {} attempts", f.error, f.attempts);
        } else {
            tracing::warn!("{} (attempt {}, retried later)", f.error, f.attempts);
        }
    }
    for (file, e) in &s.unreadable {
        tracing::warn!("{file}: cannot read: {e}");
    }
    match &s.stopped {
        Some(StopReason::Shutdown) => tracing::info!("scan stopped for shutdown"),
        Some(StopReason::DatabaseUnavailable(e)) => {
            tracing::warn!("scan stopped, retried later: {e}")
        }
        None => {}
    }
}

/// The modification time, to the microsecond (what the import log keeps).
fn mtime_of(meta: &std::fs::Metadata) -> DateTime<Utc> {
    let t = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    let micros = DateTime::<Utc>::from(t).timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// The round files of `dir` (not `.tmp`, not folders), sorted by name.
async fn list_folder(dir: &Path) -> Result<Vec<Listed>, ScanError> {
    let folder_err = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ScanError::FolderMissing {
                dir: dir.to_path_buf(),
            }
        } else {
            ScanError::Folder {
                dir: dir.to_path_buf(),
                source,
            }
        }
    };
    let mut entries = tokio::fs::read_dir(dir).await.map_err(folder_err)?;
    let mut out = Vec::new();
    while let Some(entry) = entries.next_entry().await.map_err(folder_err)? {
        let path = entry.path();
        let file_name = file_name_of(&path);
        if !is_round_file_name(&file_name) {
            continue;
        }
        // Follows symbolic links; a file that vanished meanwhile is simply not listed.
        let Ok(meta) = tokio::fs::metadata(&path).await else {
            continue;
        };
        if meta.is_file() {
            out.push(Listed {
                path,
                file_name,
                size: meta.len(),
                mtime: mtime_of(&meta),
            });
        }
    }
    out.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    Ok(out)
}

/// Whether the file ends with the `# END` line, reading only its last bytes.
pub(crate) async fn tail_has_end_marker(path: &Path, size: u64) -> std::io::Result<bool> {
    let mut file = tokio::fs::File::open(path).await?;
    let start = size.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(start)).await?;
    let mut tail = Vec::with_capacity(TAIL_BYTES as usize);
    file.take(TAIL_BYTES).read_to_end(&mut tail).await?;
    Ok(ends_with_end_marker(&tail, start == 0))
}

/// `tail` (the end of a file; `whole` when it is the whole file) ends with a `# END` line,
/// possibly followed by line breaks or spaces.
pub(crate) fn ends_with_end_marker(tail: &[u8], whole: bool) -> bool {
    let trimmed = tail.trim_ascii_end();
    match trimmed.strip_suffix(b"# END") {
        Some(before) => before.ends_with(b"\n") || (whole && before.is_empty()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_marker_in_the_tail() {
        assert!(ends_with_end_marker(b"1;2;3\n\n# END\n", false));
        assert!(ends_with_end_marker(b"1;2;3\r\n\r\n# END\r\n", false));
        assert!(ends_with_end_marker(b"x\n# END", false));
        assert!(ends_with_end_marker(b"# END\n", true));
        assert!(
            !ends_with_end_marker(b"# END\n", false),
            "line start unseen"
        );
        assert!(!ends_with_end_marker(b"1;2;3\n", false));
        assert!(!ends_with_end_marker(b"x\n# ENDING\n", false));
        assert!(!ends_with_end_marker(b"x;# END\n", false));
        assert!(!ends_with_end_marker(b"", true));
    }

    #[test]
    fn backoff_doubles_from_the_base() {
        let mut c = ScannerConfig::new("x");
        c.retry_base = Duration::from_secs(30);
        assert_eq!(c.backoff(1), Duration::from_secs(30));
        assert_eq!(c.backoff(2), Duration::from_secs(60));
        assert_eq!(c.backoff(3), Duration::from_secs(120));
        assert_eq!(c.backoff(0), Duration::from_secs(30));
        assert!(c.backoff(i32::MAX) >= c.backoff(17));
    }

    #[test]
    fn from_config_takes_the_folder_and_switches() {
        let config = Config::from_lookup(|k| {
            match k {
                "GAMESTATS_DIR" => Some("/srv/et/proximity"),
                "SCAN_INTERVAL_SECS" => Some("42"),
                "PROXIMITY_AUTO_IMPORT" => Some("false"),
                "PROXIMITY_ENABLED" => Some("false"),
                _ => None,
            }
            .map(str::to_string)
        })
        .expect("valid configuration");
        let c = ScannerConfig::from_config(&config);
        assert_eq!(c.dir, PathBuf::from("/srv/et/proximity"));
        assert_eq!(c.interval, Duration::from_secs(42));
        assert!(!c.auto_import && !c.enabled && c.watch);
        assert_eq!(c.stable_for, Duration::from_secs(10));
    }
}
