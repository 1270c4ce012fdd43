//! Keeps one remote server's spool up to date: a pull pass every interval, each in its own
//! SSH session, and what `/proximity_status` shows (last pull, backlog, error).
//!
//! A pass lists the remote folder and, for each round file not in the spool with its size and
//! modification time, appends what is missing to `<name>.part` (resuming after a cut
//! connection), then moves it to `<name>` once it is finished ([`pull::is_finished`]) and the
//! remote file has not changed during the transfer. The spool file gets the remote
//! modification time, which is how the next pass knows it is done. A partial whose remote file
//! is no longer listed is deleted; finished spool files are never deleted.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::SftpSource;
use super::pull::{self, Observations, RemoteFile};
use super::sftp::{Remote, SftpError};
use crate::import::is_round_file_name;
use crate::scanner::{STABLE_FOR, tail_has_end_marker};

/// How one remote server is pulled.
#[derive(Debug, Clone)]
pub struct PullerConfig {
    pub label: String,
    pub source: SftpSource,
    /// `<SPOOL_DIR>/<label>`: the folder this server's scanner imports from.
    pub spool: PathBuf,
    /// Time between passes.
    pub interval: Duration,
    /// A file without `# END` is finished once unchanged for this long.
    pub stable_for: Duration,
    /// The longest wait for any answer of the server.
    pub timeout: Duration,
}

impl PullerConfig {
    /// The defaults: a pass every 30 s, the scanner's stability rule, 30 s timeout.
    pub fn new(label: &str, source: SftpSource, spool: PathBuf) -> Self {
        PullerConfig {
            label: label.to_string(),
            source,
            spool,
            interval: Duration::from_secs(30),
            stable_for: STABLE_FOR,
            timeout: Duration::from_secs(30),
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Round files in the remote folder.
    pub listed: usize,
    /// Files moved into the spool by this pass, by name.
    pub pulled: Vec<String>,
    /// Bytes received by this pass.
    pub bytes: u64,
    /// Remote files not finished yet (still growing, or changed during the transfer).
    pub waiting: Vec<String>,
    /// Round files whose partial was deleted from the spool: they are no longer listed on the
    /// server, so their transfer can never finish.
    pub discarded: Vec<String>,
}

/// What `/proximity_status` shows of a remote server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullStatus {
    /// The last pass that succeeded.
    pub last_pull: Option<DateTime<Utc>>,
    /// Files pulled since the start.
    pub pulled: u64,
    /// Remote files not finished yet, as of the last pass.
    pub backlog: usize,
    /// The last pass's error, when it failed.
    pub last_error: Option<(DateTime<Utc>, String)>,
    /// Pulls stopped for good (the host key is not the pinned one).
    pub stopped: bool,
    /// Partial files discarded since the start (their remote file was gone).
    pub discarded: u64,
}

/// Pulls one server into its spool. Cheap to clone.
#[derive(Clone)]
pub struct Puller {
    inner: Arc<Inner>,
}

struct Inner {
    config: PullerConfig,
    /// Held for the whole of a pass: passes never overlap.
    observations: tokio::sync::Mutex<Observations>,
    status: parking_lot::Mutex<PullStatus>,
    /// Told after a pass that moved files into the spool (the server's scanner).
    pulled: Arc<Notify>,
    stop: watch::Sender<bool>,
    worker: parking_lot::Mutex<Option<JoinHandle<()>>>,
}

impl Puller {
    /// A puller, idle until [`Puller::start`]; `pulled` is notified after files arrive.
    pub fn new(config: PullerConfig, pulled: Arc<Notify>) -> Puller {
        Puller {
            inner: Arc::new(Inner {
                config,
                observations: tokio::sync::Mutex::default(),
                status: parking_lot::Mutex::default(),
                pulled,
                stop: watch::channel(false).0,
                worker: parking_lot::Mutex::new(None),
            }),
        }
    }

    pub fn config(&self) -> &PullerConfig {
        &self.inner.config
    }

    pub fn status(&self) -> PullStatus {
        self.inner.status.lock().clone()
    }

    /// Starts the passes (the first at once) until [`Puller::shutdown`] or a host key that is not
    /// the pinned one.
    pub fn start(&self) {
        let mut worker = self.inner.worker.lock();
        if worker.is_some() {
            return;
        }
        let this = self.clone();
        let mut stop = self.inner.stop.subscribe();
        *worker = Some(tokio::spawn(async move {
            loop {
                if let Err(e) = this.pull_once().await
                    && e.stops_pulls()
                {
                    tracing::error!(server = %this.inner.config.label, "{e}");
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep(this.inner.config.interval) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        }));
    }

    /// Stops the passes after the current one.
    pub async fn shutdown(&self) {
        self.inner.stop.send_replace(true);
        let worker = self.inner.worker.lock().take();
        if let Some(w) = worker {
            let _ = w.await;
        }
    }

    /// One pass; its outcome is also kept for the status.
    pub async fn pull_once(&self) -> Result<PullReport, SftpError> {
        let mut observations = self.inner.observations.lock().await;
        if self.inner.status.lock().stopped {
            return Err(self.stopped_error());
        }
        let result = pass(&self.inner.config, &mut observations).await;
        let now = Utc::now();
        let mut status = self.inner.status.lock();
        match &result {
            Ok(report) => {
                status.last_pull = Some(now);
                status.pulled += report.pulled.len() as u64;
                status.discarded += report.discarded.len() as u64;
                status.backlog = report.waiting.len();
                status.last_error = None;
            }
            Err(e) => {
                tracing::warn!(server = %self.inner.config.label, "pull failed: {e}");
                status.last_error = Some((now, e.to_string()));
                status.stopped = e.stops_pulls();
            }
        }
        drop(status);
        // A pass cut short may have moved files in before it failed: the scan finds out.
        if result.as_ref().map_or(true, |r| !r.pulled.is_empty()) {
            self.inner.pulled.notify_one();
        }
        result
    }

    fn stopped_error(&self) -> SftpError {
        let reason = self
            .inner
            .status
            .lock()
            .last_error
            .as_ref()
            .map_or_else(String::new, |(_, e)| e.clone());
        SftpError::Remote {
            url: self.inner.config.source.url(),
            reason: format!("pulls are stopped: {reason}"),
        }
    }
}

async fn pass(config: &PullerConfig, seen: &mut Observations) -> Result<PullReport, SftpError> {
    let spool_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SftpError::Spool { path, source }
    };
    tokio::fs::create_dir_all(&config.spool)
        .await
        .map_err(spool_err(&config.spool))?;
    let remote = Remote::connect(&config.source, config.timeout).await?;
    let result = pull_files(config, seen, &remote).await;
    remote.close().await;
    result
}

async fn pull_files(
    config: &PullerConfig,
    seen: &mut Observations,
    remote: &Remote,
) -> Result<PullReport, SftpError> {
    let dir = config.source.path.trim_end_matches('/');
    let files = remote.list(dir).await?;
    seen.keep_only(&files);
    let mut report = PullReport {
        listed: files.len(),
        discarded: discard_orphans(config, &files).await,
        ..PullReport::default()
    };
    for file in &files {
        let unchanged_for = seen.unchanged_for(file, Instant::now());
        let target = config.spool.join(&file.name);
        if pull::is_pulled(spooled(&target).await, file) {
            continue;
        }
        let remote_path = format!("{dir}/{}", file.name);
        let partial = config.spool.join(pull::partial_name(&file.name));
        let (bytes, finished) =
            fetch(config, remote, file, &remote_path, &partial, unchanged_for).await?;
        report.bytes += bytes;
        if !finished {
            report.waiting.push(file.name.clone());
            continue;
        }
        // The remote file must still be what was transferred: a file that grew meanwhile
        // waits for the next pass.
        let now = remote.stat(&remote_path).await?;
        if now != (file.size, file.mtime) {
            report.waiting.push(file.name.clone());
            continue;
        }
        promote(&partial, &target, file.mtime).await?;
        report.pulled.push(file.name.clone());
    }
    Ok(report)
}

/// Deletes the partials of round files the listing no longer has (removed or moved away on the
/// server) and answers their round files' names. Only `<round file>.part` files are touched:
/// finished spool files are the imported history. A partial that cannot be deleted is tried
/// again at the next pass.
async fn discard_orphans(config: &PullerConfig, listed: &[RemoteFile]) -> Vec<String> {
    let listed: std::collections::HashSet<&str> = listed.iter().map(|f| f.name.as_str()).collect();
    let mut orphans = Vec::new();
    let mut entries = match tokio::fs::read_dir(&config.spool).await {
        Ok(entries) => entries,
        Err(e) => {
            tracing::warn!(server = %config.label, "cannot list the spool {}: {e}", config.spool.display());
            return orphans;
        }
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let file_name = entry.file_name();
        let Some(name) = file_name
            .to_str()
            .and_then(|n| n.strip_suffix(pull::PARTIAL_SUFFIX))
        else {
            continue;
        };
        if !is_round_file_name(name) || listed.contains(name) {
            continue;
        }
        match tokio::fs::remove_file(entry.path()).await {
            Ok(()) => {
                tracing::info!(server = %config.label, "{name} is no longer on the server: its partial pull is discarded");
                orphans.push(name.to_string());
            }
            Err(e) => {
                tracing::warn!(server = %config.label, "cannot delete {}: {e}", entry.path().display())
            }
        }
    }
    orphans.sort();
    orphans
}

/// Brings `<name>.part` up to the listed size; answers the bytes received and whether the
/// file is finished.
async fn fetch(
    config: &PullerConfig,
    remote: &Remote,
    file: &RemoteFile,
    remote_path: &str,
    partial: &Path,
    unchanged_for: Duration,
) -> Result<(u64, bool), SftpError> {
    let spool = |source| SftpError::Spool {
        path: partial.to_path_buf(),
        source,
    };
    let len = match tokio::fs::metadata(partial).await {
        Ok(m) => Some(m.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(spool(e)),
    };
    let offset = pull::resume_offset(len, file);
    let mut out = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(partial)
        .await
        .map_err(spool)?;
    if offset == 0 && len.unwrap_or(0) > 0 {
        out.set_len(0).await.map_err(spool)?;
    }
    let bytes = remote
        .copy_range(remote_path, offset, file.size, &mut out, partial)
        .await?;
    out.sync_all().await.map_err(spool)?;
    drop(out);
    let have = offset + bytes;
    if have < file.size {
        return Ok((bytes, false));
    }
    let ended = tail_has_end_marker(partial, have).await.map_err(spool)?;
    Ok((
        bytes,
        pull::is_finished(ended, unchanged_for, config.stable_for),
    ))
}

/// The spool copy's size and modification time (seconds), if any.
async fn spooled(path: &Path) -> Option<(u64, u32)> {
    let meta = tokio::fs::metadata(path).await.ok()?;
    let secs = meta
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some((meta.len(), u32::try_from(secs).ok()?))
}

/// Gives the partial the remote modification time and moves it to its name (one rename: the
/// scanner never sees half a file).
async fn promote(partial: &Path, target: &Path, mtime: u32) -> Result<(), SftpError> {
    let spool = |source| SftpError::Spool {
        path: partial.to_path_buf(),
        source,
    };
    let file = std::fs::File::options()
        .write(true)
        .open(partial)
        .map_err(spool)?;
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(mtime)))
        .map_err(spool)?;
    drop(file);
    tokio::fs::rename(partial, target).await.map_err(spool)
}
