//! The scanner against a real PostgreSQL database and temporary folders: watcher, timer, manual
//! scans racing each other, growing files, broken files, duplicates and shutdown.
//!
//! Every wait below ends as soon as its condition holds; the timeouts are failure guards only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use proximity::format;
use proximity::scanner::{
    FolderState, ScanError, ScanEvent, ScanProgress, ScanSummary, Scanner, ScannerConfig,
    StopReason, Trigger,
};
use proximity::store::import_log::{self, ImportStatus, LogEntry};
use proximity::synth::{SynthOptions, synth_round};
use proximity_testkit::db;
use sqlx::PgPool;
use tokio::sync::{broadcast, mpsc};

/// Failure guard for waits.
const GUARD: Duration = Duration::from_secs(30);

/// A small round file (6 players × 60 s); `seed` makes its content (and so its round) unique.
fn round_bytes(seed: u64) -> Vec<u8> {
    format::write(&synth_round(&SynthOptions::new("supply", 1, 6, 60, seed)))
}

fn file_name(i: usize) -> String {
    format!(
        "2026-01-10-18{:02}{:02}-supply-round-1_engagements.txt",
        i / 60,
        i % 60
    )
}

/// Writes like our tracker: `<name>.tmp`, then a rename.
fn write_like_tracker(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let tmp = dir.join(format!("{name}.tmp"));
    std::fs::write(&tmp, bytes).expect("write tmp");
    let path = dir.join(name);
    std::fs::rename(&tmp, &path).expect("rename");
    path
}

/// A test configuration: no watcher, a timer that never fires during a test, short delays.
fn config(dir: &Path) -> ScannerConfig {
    ScannerConfig {
        interval: Duration::from_secs(3600),
        watch: false,
        debounce: Duration::from_millis(100),
        stable_for: Duration::from_millis(500),
        retry_base: Duration::from_millis(300),
        ..ScannerConfig::new(dir)
    }
}

async fn round_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM rounds")
        .fetch_one(pool)
        .await
        .expect("count rounds")
}

async fn round_ids(pool: &PgPool) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT id, file_name FROM rounds ORDER BY file_name")
        .fetch_all(pool)
        .await
        .expect("rounds")
}

async fn log_of(pool: &PgPool) -> Vec<LogEntry> {
    import_log::import_log(pool).await.expect("import log")
}

/// Waits (guarded) until `count` rounds are stored.
async fn wait_for_rounds(pool: &PgPool, count: i64) {
    tokio::time::timeout(GUARD, async {
        while round_count(pool).await != count {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("never reached {count} rounds"));
}

/// The next finished scan that satisfies `pred`; other events are collected into `seen`.
async fn next_scan(
    rx: &mut broadcast::Receiver<ScanEvent>,
    seen: &mut Vec<ScanSummary>,
    pred: impl Fn(&ScanSummary) -> bool,
) -> ScanSummary {
    tokio::time::timeout(GUARD, async {
        loop {
            match rx.recv().await.expect("scanner events") {
                ScanEvent::Finished(s) if pred(&s) => return s,
                ScanEvent::Finished(s) => seen.push(s),
                ScanEvent::Failed { trigger, error } => panic!("{trigger} scan failed: {error}"),
            }
        }
    })
    .await
    .expect("no matching scan before the guard")
}

/// Every event still queued.
fn drain(rx: &mut broadcast::Receiver<ScanEvent>) -> Vec<ScanEvent> {
    let mut out = Vec::new();
    loop {
        match rx.try_recv() {
            Ok(e) => out.push(e),
            Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed) => {
                return out;
            }
            Err(e) => panic!("events lost: {e}"),
        }
    }
}

fn imported_names(events: &[ScanEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ScanEvent::Finished(s) => Some(s.imported.iter().map(|(_, n)| n.clone())),
            ScanEvent::Failed { .. } => None,
        })
        .flatten()
        .collect()
}

/// 1. Our tracker's write (`.tmp` then rename) is picked up by the watcher.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_imports_a_renamed_file() {
    let db = db::TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let scanner = Scanner::new(
        db.pool.clone(),
        ScannerConfig {
            watch: true,
            ..config(dir.path())
        },
    );
    let mut rx = scanner.subscribe();
    let mut seen = Vec::new();
    scanner.start();
    let startup = next_scan(&mut rx, &mut seen, |_| true).await;
    assert_eq!(startup.trigger, Trigger::Startup);
    assert_eq!((startup.files, startup.imported.len()), (0, 0));
    let status = scanner.status();
    assert!(status.watching, "{status:?}");
    assert_eq!(status.folder, FolderState::Ready);

    let name = file_name(1);
    let path = write_like_tracker(dir.path(), &name, &round_bytes(1));
    let scan = next_scan(&mut rx, &mut seen, |s| !s.imported.is_empty()).await;
    assert_eq!(scan.trigger, Trigger::Watcher);
    let rounds = round_ids(&db.pool).await;
    assert_eq!(rounds.len(), 1);
    assert_eq!(scan.imported, vec![(rounds[0].0, name.clone())]);
    assert!(
        seen.iter()
            .all(|s| s.imported.is_empty() && s.failed.is_empty())
    );

    let log = log_of(&db.pool).await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].path.as_str(),
            log[0].status.as_str(),
            log[0].round_id,
            log[0].attempts
        ),
        (
            path.to_str().expect("utf-8 path"),
            "imported",
            Some(rounds[0].0),
            1
        )
    );
    let states = import_log::file_states(&db.pool)
        .await
        .expect("file states");
    let mtime = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(
        states[0].file_mtime.map(|t| t.timestamp_micros()),
        Some(chrono::DateTime::<chrono::Utc>::from(mtime).timestamp_micros())
    );
    scanner.shutdown().await;
    assert!(!scanner.status().watching);
    db.drop_db().await;
}

/// 2. Without the watcher, the start-up scan imports the backlog and the timer later files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timer_imports_backlog_and_new_files() {
    let db = db::TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let before = file_name(1);
    write_like_tracker(dir.path(), &before, &round_bytes(1));
    let scanner = Scanner::new(
        db.pool.clone(),
        ScannerConfig {
            interval: Duration::from_millis(300),
            ..config(dir.path())
        },
    );
    let mut rx = scanner.subscribe();
    let mut seen = Vec::new();
    scanner.start();
    let startup = next_scan(&mut rx, &mut seen, |_| true).await;
    assert_eq!(startup.trigger, Trigger::Startup);
    assert_eq!(startup.imported.len(), 1);
    assert_eq!(startup.imported[0].1, before);
    let status = scanner.status();
    assert!(!status.watching && status.watch_error.is_none());
    assert!(status.next_scan.is_some());

    let later = file_name(2);
    write_like_tracker(dir.path(), &later, &round_bytes(2));
    let scan = next_scan(&mut rx, &mut seen, |s| !s.imported.is_empty()).await;
    assert_eq!(scan.trigger, Trigger::Timer);
    assert_eq!(scan.imported.len(), 1);
    assert_eq!(scan.imported[0].1, later);
    assert_eq!(
        scan.unchanged, 1,
        "the first file is skipped without reading"
    );
    assert_eq!(round_count(&db.pool).await, 2);
    scanner.shutdown().await;
    db.drop_db().await;
}

/// 3. A manual scan over 20 files reports progress and imports each once; then the watcher, the
/// timer and three manual scans race over 10 more files and still import each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_triggers_import_each_round_once() {
    let db = db::TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let names: Vec<String> = (0..30).map(file_name).collect();
    for (i, name) in names.iter().enumerate().take(20) {
        write_like_tracker(dir.path(), name, &round_bytes(100 + i as u64));
    }
    let scanner = Scanner::new(
        db.pool.clone(),
        ScannerConfig {
            watch: true,
            interval: Duration::from_millis(200),
            ..config(dir.path())
        },
    );
    let (tx, mut progress_rx) = mpsc::channel(64);
    let summary = scanner.scan_now(Some(tx)).await.expect("manual scan");
    let mut progress = Vec::new();
    while let Ok(p) = progress_rx.try_recv() {
        progress.push(p);
    }
    let mut expected: Vec<ScanProgress> = (0..20)
        .map(|i| ScanProgress {
            done: i,
            total: 20,
            current_file: Some(names[i].clone()),
        })
        .collect();
    expected.push(ScanProgress {
        done: 20,
        total: 20,
        current_file: None,
    });
    assert_eq!(progress, expected);
    assert_eq!(summary.trigger, Trigger::Manual);
    assert_eq!(summary.files, 20);
    assert_eq!(
        summary
            .imported
            .iter()
            .map(|(_, n)| n.clone())
            .collect::<Vec<_>>(),
        names[..20].to_vec()
    );
    assert_eq!(round_ids(&db.pool).await, {
        let mut ids = summary.imported.clone();
        ids.sort_by(|a, b| a.1.cmp(&b.1));
        ids
    });

    // The race.
    let mut rx = scanner.subscribe();
    scanner.start();
    let writer = {
        let dir = dir.path().to_path_buf();
        let names = names.clone();
        tokio::spawn(async move {
            for (i, name) in names.iter().enumerate().skip(20) {
                write_like_tracker(&dir, name, &round_bytes(100 + i as u64));
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
        })
    };
    let manual: Vec<_> = (0..3)
        .map(|_| {
            let scanner = scanner.clone();
            tokio::spawn(async move {
                for _ in 0..3 {
                    scanner.scan_now(None).await.expect("manual scan");
                    tokio::time::sleep(Duration::from_millis(40)).await;
                }
            })
        })
        .collect();
    writer.await.expect("writer");
    for m in manual {
        m.await.expect("manual scans");
    }
    wait_for_rounds(&db.pool, 30).await;
    scanner.shutdown().await;

    let events = drain(&mut rx);
    let mut imported = imported_names(&events);
    imported.sort();
    assert_eq!(
        imported,
        names[20..].to_vec(),
        "each new file imported by exactly one scan"
    );
    assert!(events.iter().all(|e| match e {
        ScanEvent::Finished(s) => s.duplicates.is_empty() && s.failed.is_empty(),
        ScanEvent::Failed { .. } => false,
    }));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ScanEvent::Finished(s) if s.trigger == Trigger::Manual))
    );
    assert_eq!(round_count(&db.pool).await, 30);
    let log = log_of(&db.pool).await;
    assert_eq!(log.len(), 30);
    for entry in &log {
        assert_eq!(
            (
                entry.status.as_str(),
                entry.attempts,
                entry.error.as_deref()
            ),
            ("imported", 1, None),
            "{}",
            entry.file_name
        );
    }
    db.drop_db().await;
}

/// 4. Another tracker's file (no `# END`) is not imported while it grows, and is imported once it
/// has stopped changing for `stable_for`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn growing_file_waits_until_stable() {
    let db = db::TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut round = synth_round(&SynthOptions::new("supply", 1, 6, 60, 7));
    round.has_end_marker = false;
    let bytes = format::write(&round);
    let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    let chunk = lines.len().div_ceil(16);
    let scanner = Scanner::new(
        db.pool.clone(),
        ScannerConfig {
            watch: true,
            interval: Duration::from_millis(100),
            ..config(dir.path())
        },
    );
    let mut rx = scanner.subscribe();
    scanner.start();
    let name = file_name(3);
    let path = dir.path().join(&name);
    let mut saw_waiting = false;
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&path).expect("create");
        for part in lines.chunks(chunk) {
            for line in part {
                file.write_all(line).expect("append");
            }
            file.flush().expect("flush");
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert_eq!(round_count(&db.pool).await, 0, "imported while growing");
            saw_waiting |= scanner.status().waiting == 1;
        }
    }
    assert!(saw_waiting, "the status shows the growing file as waiting");
    assert_eq!(std::fs::read(&path).expect("read back"), bytes);

    let mut seen = Vec::new();
    let scan = next_scan(&mut rx, &mut seen, |s| !s.imported.is_empty()).await;
    assert_eq!(scan.imported.len(), 1);
    assert!(
        seen.iter()
            .all(|s| s.imported.is_empty() && s.failed.is_empty())
    );
    let (has_end, file_bytes): (bool, i64) =
        sqlx::query_as("SELECT has_end_marker, file_bytes FROM rounds")
            .fetch_one(&db.pool)
            .await
            .expect("round");
    assert_eq!((has_end, file_bytes), (false, bytes.len() as i64));
    let log = log_of(&db.pool).await;
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].status.as_str(), log[0].attempts), ("imported", 1));
    scanner.shutdown().await;
    db.drop_db().await;
}

/// 5. A broken file is retried with backoff, quarantined after 3 attempts with its error kept,
/// and left untouched in the folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_file_is_quarantined_after_three_attempts() {
    let db = db::TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let name = file_name(4);
    let broken = b"this is not a round file\n# END\n".to_vec();
    let parse_error = format::parse_with(
        &broken,
        format::ParseOptions {
            assume_complete: true,
        },
    )
    .expect_err("the file is broken");
    let expected_error = format!("{name}: {parse_error}");
    let path = write_like_tracker(dir.path(), &name, &broken);
    let mtime = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");

    let retry_base = Duration::from_millis(300);
    let scanner = Scanner::new(
        db.pool.clone(),
        ScannerConfig {
            interval: Duration::from_millis(100),
            retry_base,
            ..config(dir.path())
        },
    );
    let mut rx = scanner.subscribe();
    let mut seen = Vec::new();
    scanner.start();
    let mut failures = Vec::new();
    for _ in 0..3 {
        let scan = next_scan(&mut rx, &mut seen, |s| !s.failed.is_empty()).await;
        assert_eq!(scan.failed.len(), 1);
        failures.push(scan.failed[0].clone());
    }
    // Three more scans: the quarantined file is not tried again.
    for _ in 0..3 {
        let scan = next_scan(&mut rx, &mut Vec::new(), |_| true).await;
        assert!(scan.failed.is_empty());
        assert_eq!((scan.quarantined, scan.quarantined_count()), (1, 1));
    }
    scanner.shutdown().await;

    let base = chrono::Duration::from_std(retry_base).expect("duration");
    assert_eq!(
        failures
            .iter()
            .map(|f| (f.attempts, f.quarantined, f.error.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (1, false, expected_error.as_str()),
            (2, false, expected_error.as_str()),
            (3, true, expected_error.as_str()),
        ]
    );
    assert_eq!(failures[0].retry_at, Some(failures[0].last_attempt + base));
    assert_eq!(
        failures[1].retry_at,
        Some(failures[1].last_attempt + base * 2)
    );
    assert_eq!(failures[2].retry_at, None);
    for pair in failures.windows(2) {
        let retry_at = pair[0].retry_at.expect("retry time");
        assert!(
            pair[1].last_attempt >= retry_at,
            "retried before its backoff"
        );
    }
    assert!(
        seen.iter().any(|s| s.retry_later == 1),
        "scans in between skipped the file"
    );

    let log = log_of(&db.pool).await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].status.as_str(),
            log[0].attempts,
            log[0].error.as_deref(),
            log[0].round_id
        ),
        ("quarantined", 3, Some(expected_error.as_str()), None)
    );
    assert_eq!(round_count(&db.pool).await, 0);
    let status = scanner.status();
    assert_eq!((status.quarantined, status.failed), (1, 0));
    // Untouched: same bytes, same modification time, nothing else in the folder.
    assert_eq!(std::fs::read(&path).expect("still there"), broken);
    assert_eq!(
        std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime"),
        mtime
    );
    let listing: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(listing, vec![name]);
    db.drop_db().await;
}

/// 6. With automatic imports off, neither the watcher nor the timer imports; a manual scan does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_import_off_only_manual_scans_import() {
    let db = db::TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let scanner = Scanner::new(
        db.pool.clone(),
        ScannerConfig {
            auto_import: false,
            watch: true,
            interval: Duration::from_millis(100),
            ..config(dir.path())
        },
    );
    let mut rx = scanner.subscribe();
    scanner.start();
    let name = file_name(5);
    write_like_tracker(dir.path(), &name, &round_bytes(5));
    // Ten timer periods and several debounce periods.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(drain(&mut rx).is_empty(), "no automatic scan ran");
    assert_eq!(round_count(&db.pool).await, 0);
    assert!(log_of(&db.pool).await.is_empty());
    let status = scanner.status();
    assert!(!status.auto_import && !status.watching && status.next_scan.is_none());
    assert!(status.headline().contains("PROXIMITY_AUTO_IMPORT=false"));

    let summary = scanner.scan_now(None).await.expect("manual scan");
    let rounds = round_ids(&db.pool).await;
    assert_eq!(rounds.len(), 1);
    assert_eq!(summary.imported, vec![(rounds[0].0, name)]);
    scanner.shutdown().await;
    db.drop_db().await;
}

/// 7. The same round under two file names is stored once; the second file is logged duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_round_under_two_names_is_a_duplicate() {
    let db = db::TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = round_bytes(6);
    let (first, second) = (file_name(6), file_name(7));
    write_like_tracker(dir.path(), &first, &bytes);
    write_like_tracker(dir.path(), &second, &bytes);
    let scanner = Scanner::new(db.pool.clone(), config(dir.path()));
    let summary = scanner.scan_now(None).await.expect("manual scan");
    let rounds = round_ids(&db.pool).await;
    assert_eq!(rounds.len(), 1);
    let id = rounds[0].0;
    assert_eq!(summary.imported, vec![(id, first.clone())]);
    assert_eq!(summary.duplicates, vec![(id, second.clone())]);
    let log: Vec<(String, String, Option<i64>, i32)> = log_of(&db.pool)
        .await
        .into_iter()
        .map(|e| (e.file_name, e.status.to_string(), e.round_id, e.attempts))
        .collect();
    let expected = vec![
        (first.clone(), "imported".to_string(), Some(id), 1),
        (second.clone(), "duplicate".to_string(), Some(id), 1),
    ];
    assert_eq!(log, expected);

    // Scanning again reads neither file: no new attempt.
    let again = scanner.scan_now(None).await.expect("manual scan");
    assert_eq!(
        (
            again.unchanged,
            again.imported.len(),
            again.duplicates.len()
        ),
        (2, 0, 0)
    );
    let log: Vec<(String, String, Option<i64>, i32)> = log_of(&db.pool)
        .await
        .into_iter()
        .map(|e| (e.file_name, e.status.to_string(), e.round_id, e.attempts))
        .collect();
    assert_eq!(log, expected);
    db.drop_db().await;
}

/// 8. Shutdown during a scan finishes the import in progress and stops; no round is partial, and
/// the next scanner imports the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_current_import() {
    let db = db::TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut engagements = HashMap::new();
    for i in 0..4 {
        let round = synth_round(&SynthOptions::new("supply", 1, 6, 60, 200 + i as u64));
        engagements.insert(file_name(10 + i), round.engagements.len() as i64);
        write_like_tracker(dir.path(), &file_name(10 + i), &format::write(&round));
    }
    let scanner = Scanner::new(db.pool.clone(), config(dir.path()));
    // Room for one message: the scan cannot get more than one file ahead of this test.
    let (tx, mut progress) = mpsc::channel(1);
    let scan = tokio::spawn({
        let scanner = scanner.clone();
        async move { scanner.scan_now(Some(tx)).await }
    });
    let first = tokio::time::timeout(GUARD, progress.recv())
        .await
        .expect("progress before the guard")
        .expect("a progress message");
    assert_eq!(first.done, 0);
    let stopped = scanner.shutdown();
    let drained = tokio::spawn(async move { while progress.recv().await.is_some() {} });
    tokio::time::timeout(GUARD, stopped)
        .await
        .expect("shutdown before the guard");
    let summary = scan.await.expect("scan task").expect("scan");
    drained.await.expect("progress drained");

    assert_eq!(summary.stopped, Some(StopReason::Shutdown));
    assert!(
        summary.imported.len() <= 2,
        "stopped within one file: {summary:?}"
    );
    assert_eq!(summary.imported.len() + summary.pending, 4);
    assert!(matches!(
        scanner.scan_now(None).await,
        Err(ScanError::ShutDown)
    ));
    // Whatever was imported is whole and logged.
    let stored: Vec<(String, i64)> = sqlx::query_as(
        "SELECT r.file_name, (SELECT count(*) FROM engagements e WHERE e.round_id = r.id)
         FROM rounds r ORDER BY r.file_name",
    )
    .fetch_all(&db.pool)
    .await
    .expect("rounds");
    assert_eq!(stored.len(), summary.imported.len());
    for (name, count) in &stored {
        assert_eq!(Some(count), engagements.get(name), "{name} is partial");
    }
    let log = log_of(&db.pool).await;
    assert_eq!(
        log.iter().map(|e| e.file_name.clone()).collect::<Vec<_>>(),
        stored.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>()
    );
    assert!(log.iter().all(|e| e.status == ImportStatus::Imported));

    // The next start imports the rest, each once.
    let next = Scanner::new(db.pool.clone(), config(dir.path()));
    next.start();
    wait_for_rounds(&db.pool, 4).await;
    next.shutdown().await;
    let stored: Vec<(String, i64)> = sqlx::query_as(
        "SELECT r.file_name, (SELECT count(*) FROM engagements e WHERE e.round_id = r.id)
         FROM rounds r ORDER BY r.file_name",
    )
    .fetch_all(&db.pool)
    .await
    .expect("rounds");
    let mut expected: Vec<(String, i64)> = engagements.into_iter().collect();
    expected.sort();
    assert_eq!(stored, expected);
    let log = log_of(&db.pool).await;
    assert_eq!(log.len(), 4);
    assert!(
        log.iter()
            .all(|e| e.status == ImportStatus::Imported && e.attempts == 1)
    );
    db.drop_db().await;
}

/// A database outage stops the scan without counting an attempt; the next scan imports the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_is_not_an_attempt() {
    let db = db::TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let names: Vec<String> = (20..23).map(file_name).collect();
    for (i, name) in names.iter().enumerate() {
        write_like_tracker(dir.path(), name, &round_bytes(300 + i as u64));
    }
    // The scanner's own pool: closing it is the outage.
    let outage = PgPool::connect(&db.url).await.expect("second pool");
    let scanner = Scanner::new(outage.clone(), config(dir.path()));
    let (tx, mut progress) = mpsc::channel(1);
    let scan = tokio::spawn({
        let scanner = scanner.clone();
        async move { scanner.scan_now(Some(tx)).await }
    });
    tokio::time::timeout(GUARD, progress.recv())
        .await
        .expect("progress before the guard")
        .expect("a progress message");
    // Marks the pool closed at once; the scan cannot reach the third file before that.
    let closing = outage.close();
    let drained = tokio::spawn(async move { while progress.recv().await.is_some() {} });
    tokio::time::timeout(GUARD, closing)
        .await
        .expect("pool closed before the guard");
    let first = scan.await.expect("scan task").expect("scan");
    drained.await.expect("progress drained");
    assert!(
        matches!(first.stopped, Some(StopReason::DatabaseUnavailable(_))),
        "{first:?}"
    );
    assert!(first.failed.is_empty() && first.duplicates.is_empty());
    assert_eq!(first.imported.len() + first.pending, 3);
    let log = log_of(&db.pool).await;
    assert!(
        log.iter()
            .all(|e| e.status == ImportStatus::Imported && e.attempts == 1),
        "{log:?}"
    );

    let scanner = Scanner::new(db.pool.clone(), config(dir.path()));
    let second = scanner.scan_now(None).await.expect("scan after the outage");
    assert_eq!(second.stopped, None);
    let mut imported: Vec<String> = first
        .imported
        .iter()
        .chain(&second.imported)
        .map(|(_, n)| n.clone())
        .collect();
    imported.sort();
    assert_eq!(imported, names);
    assert_eq!(round_count(&db.pool).await, 3);
    let log = log_of(&db.pool).await;
    assert_eq!(log.len(), 3);
    assert!(
        log.iter()
            .all(|e| e.status == ImportStatus::Imported && e.attempts == 1),
        "{log:?}"
    );
    scanner.shutdown().await;
    db.drop_db().await;
}

/// A missing folder and a disabled feature are reported clearly.
#[tokio::test]
async fn missing_folder_and_disabled_feature_are_reported() {
    let pool = PgPool::connect_lazy(&db::server_url()).expect("lazy pool");
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-folder");
    let scanner = Scanner::new(
        pool.clone(),
        ScannerConfig {
            watch: true,
            ..config(&missing)
        },
    );
    let status = scanner.status();
    assert_eq!(status.folder, FolderState::Missing);
    assert_eq!(
        status.headline(),
        format!(
            "The game server's folder {} does not exist (GAMESTATS_DIR).",
            missing.display()
        )
    );
    let mut rx = scanner.subscribe();
    scanner.start();
    let event = tokio::time::timeout(GUARD, rx.recv())
        .await
        .expect("event before the guard")
        .expect("event");
    let message = format!(
        "the game server's folder {} does not exist (GAMESTATS_DIR)",
        missing.display()
    );
    assert_eq!(
        event,
        ScanEvent::Failed {
            trigger: Trigger::Startup,
            error: message.clone()
        }
    );
    let status = scanner.status();
    assert!(!status.watching);
    assert_eq!(
        status.watch_error,
        Some(format!("{} does not exist", missing.display()))
    );
    assert_eq!(status.last_error.map(|(_, e)| e), Some(message));
    assert!(matches!(
        scanner.scan_now(None).await,
        Err(ScanError::FolderMissing { .. })
    ));
    scanner.shutdown().await;

    let off = Scanner::new(
        pool,
        ScannerConfig {
            enabled: false,
            ..config(dir.path())
        },
    );
    off.start();
    assert!(matches!(off.scan_now(None).await, Err(ScanError::Disabled)));
    let status = off.status();
    assert!(!status.enabled && !status.watching && status.next_scan.is_none());
    assert_eq!(
        status.headline(),
        "Proximity is turned off (PROXIMITY_ENABLED=false)."
    );
}
