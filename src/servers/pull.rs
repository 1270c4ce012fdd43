//! What to do with each remote file, decided from the remote listing and the spool alone (no
//! IO here): which files are done, where a transfer resumes, when a file is finished.
//!
//! A file is finished, as the scanner decides it for a folder, when it ends with `# END` or its
//! size and modification time have not changed for [`STABLE_FOR`](crate::scanner::STABLE_FOR).
//! Only a finished file is moved from its partial (`<name>.part`) to its name in the spool,
//! where the scanner sees it; a file still growing stays partial and is never imported.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// A round file in the remote folder, as its listing says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    pub name: String,
    pub size: u64,
    /// Modification time, in seconds since the epoch (SFTP's resolution).
    pub mtime: u32,
}

/// The suffix of a file being pulled: not a round file name, so the scanner leaves it alone.
pub const PARTIAL_SUFFIX: &str = ".part";

/// The partial file's name of `name`.
pub fn partial_name(name: &str) -> String {
    format!("{name}{PARTIAL_SUFFIX}")
}

/// Whether the spool's copy (`size`, `mtime` in seconds) is the remote file as listed: then
/// there is nothing to pull.
pub fn is_pulled(spooled: Option<(u64, u32)>, remote: &RemoteFile) -> bool {
    spooled == Some((remote.size, remote.mtime))
}

/// Where the transfer of `remote` continues: after the partial's bytes, or from the start when
/// the partial is longer than the remote file (the file was replaced by a shorter one).
pub fn resume_offset(partial_len: Option<u64>, remote: &RemoteFile) -> u64 {
    match partial_len {
        Some(len) if len <= remote.size => len,
        _ => 0,
    }
}

/// When each remote file was first listed with its current size and modification time.
#[derive(Debug, Default)]
pub struct Observations {
    seen: HashMap<String, (u64, u32, Instant)>,
}

impl Observations {
    /// Records the listing of `file` at `now` and answers how long it has been unchanged.
    pub fn unchanged_for(&mut self, file: &RemoteFile, now: Instant) -> Duration {
        let entry = self
            .seen
            .entry(file.name.clone())
            .or_insert((file.size, file.mtime, now));
        if (entry.0, entry.1) != (file.size, file.mtime) {
            *entry = (file.size, file.mtime, now);
        }
        now.saturating_duration_since(entry.2)
    }

    /// Forgets the files no longer listed.
    pub fn keep_only(&mut self, listed: &[RemoteFile]) {
        let names: std::collections::HashSet<&str> =
            listed.iter().map(|f| f.name.as_str()).collect();
        self.seen.retain(|name, _| names.contains(name.as_str()));
    }
}

/// Whether a fully transferred file is finished: it ends with `# END`, or it has not changed
/// for `stable_for`.
pub fn is_finished(has_end_marker: bool, unchanged_for: Duration, stable_for: Duration) -> bool {
    has_end_marker || unchanged_for >= stable_for
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(size: u64, mtime: u32) -> RemoteFile {
        RemoteFile {
            name: "a_engagements.txt".into(),
            size,
            mtime,
        }
    }

    #[test]
    fn resume_after_the_partial_unless_it_is_longer() {
        assert_eq!(resume_offset(None, &file(100, 1)), 0);
        assert_eq!(resume_offset(Some(40), &file(100, 1)), 40);
        assert_eq!(resume_offset(Some(100), &file(100, 1)), 100);
        assert_eq!(resume_offset(Some(140), &file(100, 1)), 0);
    }

    #[test]
    fn pulled_means_same_size_and_mtime() {
        assert!(is_pulled(Some((100, 7)), &file(100, 7)));
        assert!(!is_pulled(Some((100, 7)), &file(100, 8)));
        assert!(!is_pulled(Some((90, 7)), &file(100, 7)));
        assert!(!is_pulled(None, &file(100, 7)));
    }

    #[test]
    fn a_change_restarts_the_stability_clock() {
        let t0 = Instant::now();
        let mut seen = Observations::default();
        assert_eq!(seen.unchanged_for(&file(10, 1), t0), Duration::ZERO);
        let t5 = t0 + Duration::from_secs(5);
        assert_eq!(seen.unchanged_for(&file(10, 1), t5), Duration::from_secs(5));
        assert_eq!(seen.unchanged_for(&file(20, 2), t5), Duration::ZERO);
        let t20 = t0 + Duration::from_secs(20);
        assert_eq!(
            seen.unchanged_for(&file(20, 2), t20),
            Duration::from_secs(15)
        );
        seen.keep_only(&[]);
        assert_eq!(seen.unchanged_for(&file(20, 2), t20), Duration::ZERO);
        let stable = Duration::from_secs(10);
        assert!(!is_finished(false, Duration::from_secs(9), stable));
        assert!(is_finished(false, stable, stable));
        assert!(is_finished(true, Duration::ZERO, stable));
    }
}
