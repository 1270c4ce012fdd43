//! Command maps loaded once per map version, for the bot (and the web) to draw under heatmaps.
//!
//! A map's version is the stamps (path, size, modification time) of the files its parts came
//! from. Each request lists the folders' stamps (no archive opened); when they changed, the map
//! is located again and reloaded only if the files it comes from changed. So a server update
//! (a new pk3, a replaced one) refreshes the map on its next request.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tracing::{info, warn};

use super::{CommandMap, CommandMapError, Limits, Stamp, Vfs, listing, load_located, locate};

/// Maps kept, the least recently used dropped first (each image is at most
/// [`Limits::max_kept_side`]² pixels).
const MAX_ENTRIES: usize = 48;

/// A map's command map, or why it has none.
pub type Outcome = Result<Arc<CommandMap>, Arc<CommandMapError>>;

/// The command maps of the server's folders (`MAPS_DIR`), loaded lazily and kept.
pub struct CommandMaps {
    dirs: Vec<PathBuf>,
    limits: Limits,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The folders' stamps when last looked at, and how often they changed.
    listing: Option<Vec<Stamp>>,
    generation: u64,
    /// The generation whose unreadable pk3s were logged.
    logged: u64,
    maps: HashMap<String, Entry>,
    clock: u64,
}

struct Entry {
    /// The generation the entry was last checked in.
    generation: u64,
    version: Vec<Stamp>,
    outcome: Outcome,
    used: u64,
}

impl CommandMaps {
    /// Command maps from `dirs`, highest priority first (none: every heatmap falls back).
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        Self::with_limits(dirs, Limits::default())
    }

    pub fn with_limits(dirs: Vec<PathBuf>, limits: Limits) -> Self {
        CommandMaps {
            dirs,
            limits,
            state: Mutex::new(State::default()),
        }
    }

    /// Whether any folder is configured.
    pub fn is_configured(&self) -> bool {
        !self.dirs.is_empty()
    }

    /// `map`'s command map, if it has one, loaded off the async runtime. Failures are logged
    /// (once per version of the map's files) and give `None`.
    pub async fn get(self: &Arc<Self>, map: &str) -> Option<Arc<CommandMap>> {
        if !self.is_configured() {
            return None;
        }
        let this = Arc::clone(self);
        let map = map.to_string();
        match tokio::task::spawn_blocking(move || this.lookup(&map)).await {
            Ok(outcome) => outcome.ok(),
            Err(e) => {
                warn!("loading a command map failed: {e}");
                None
            }
        }
    }

    /// `map`'s command map or why it has none, from the cache when the files it comes from
    /// are unchanged. Blocking: reads the folders, and on a change the pk3s.
    pub fn lookup(&self, map: &str) -> Outcome {
        let key = map.trim().to_ascii_lowercase();
        let now_listing = listing(&self.dirs);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.listing.as_ref() != Some(&now_listing) {
            state.listing = Some(now_listing);
            state.generation += 1;
        }
        state.clock += 1;
        let (now, generation) = (state.clock, state.generation);
        if let Some(entry) = state.maps.get_mut(&key)
            && entry.generation == generation
            && entry
                .version
                .iter()
                .all(|s| Stamp::of(&s.path).as_ref() == Some(s))
        {
            entry.used = now;
            return entry.outcome.clone();
        }
        let mut vfs = Vfs::new(&self.dirs);
        if state.logged != generation {
            state.logged = generation;
            for problem in &vfs.problems {
                warn!("MAPS_DIR: left out {problem}");
            }
        }
        let located = locate(&mut vfs, &key, &self.limits);
        let version = located.as_ref().map(|l| l.version()).unwrap_or_default();
        if let Some(entry) = state.maps.get_mut(&key)
            && !version.is_empty()
            && entry.version == version
        {
            // Other files changed; this map's did not.
            entry.generation = generation;
            entry.used = now;
            return entry.outcome.clone();
        }
        let outcome: Outcome = located
            .and_then(|l| load_located(&mut vfs, &key, &l, &self.limits))
            .map(Arc::new)
            .map_err(Arc::new);
        match &outcome {
            Ok(cm) => info!(
                map = %key,
                "command map {}x{} from {}",
                cm.file_size.0,
                cm.file_size.1,
                cm.image_file
            ),
            Err(e) => warn!(map = %key, "no command map, heatmaps use the plain frame: {e}"),
        }
        if state.maps.len() >= MAX_ENTRIES
            && !state.maps.contains_key(&key)
            && let Some(oldest) = state
                .maps
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
        {
            state.maps.remove(&oldest);
        }
        state.maps.insert(
            key,
            Entry {
                generation,
                version,
                outcome: outcome.clone(),
                used: now,
            },
        );
        outcome
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::command_map::bsp::{test_bsp, test_entities};
    use crate::command_map::testfiles::{encode, pk3, quadrants};

    fn map_pk3(path: &std::path::Path, map: &str, side: u32) {
        let bsp = test_bsp(&test_entities((-512.0, 512.0), (512.0, -512.0)));
        let image = encode(&quadrants(side, side), "tga");
        pk3(
            path,
            &[
                (&format!("maps/{map}.bsp"), &bsp),
                (&format!("levelshots/{map}_cc.tga"), &image),
            ],
        );
    }

    /// Sets a file's modification time, so a rewrite within the same clock tick still counts.
    fn touch(path: &std::path::Path, secs: u64) {
        let file = File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
            .unwrap();
    }

    #[test]
    fn loaded_once_per_version_and_refreshed_by_an_update() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("supply.pk3");
        map_pk3(&first, "supply", 8);
        map_pk3(&dir.path().join("other.pk3"), "other", 4);
        let maps = CommandMaps::new(vec![dir.path().to_path_buf()]);
        let a = maps.lookup("supply").unwrap();
        assert_eq!(a.image.dimensions(), (8, 8));
        // Asked again: the same loaded map.
        assert!(Arc::ptr_eq(&a, &maps.lookup(" SUPPLY ").unwrap()));
        // Another map's pk3 replaced: supply is located again but not reloaded.
        let other = dir.path().join("other.pk3");
        map_pk3(&other, "other", 6);
        touch(&other, 1_000);
        assert!(Arc::ptr_eq(&a, &maps.lookup("supply").unwrap()));
        assert_eq!(maps.lookup("other").unwrap().image.dimensions(), (6, 6));
        // The map's own pk3 replaced in place.
        map_pk3(&first, "supply", 12);
        touch(&first, 2_000);
        assert_eq!(maps.lookup("supply").unwrap().image.dimensions(), (12, 12));
        // A new pk3 that sorts later overrides it.
        let v2 = dir.path().join("supply_v2.pk3");
        map_pk3(&v2, "supply", 16);
        let b = maps.lookup("supply").unwrap();
        assert_eq!(
            (b.image.dimensions(), b.from.clone()),
            ((16, 16), v2.clone())
        );
        // Removed again: back to the first.
        std::fs::remove_file(&v2).unwrap();
        assert_eq!(maps.lookup("supply").unwrap().image.dimensions(), (12, 12));
    }

    #[test]
    fn failures_are_kept_too_and_nothing_is_configured_without_folders() {
        let dir = tempfile::tempdir().unwrap();
        let maps = CommandMaps::new(vec![dir.path().to_path_buf()]);
        let e = maps.lookup("nowhere").unwrap_err();
        assert_eq!(e.to_string(), "no maps/nowhere.bsp in MAPS_DIR");
        assert!(Arc::ptr_eq(&e, &maps.lookup("nowhere").unwrap_err()));
        // The map appears: found on the next request.
        map_pk3(&dir.path().join("nowhere.pk3"), "nowhere", 4);
        assert!(maps.lookup("nowhere").is_ok());
        assert!(!CommandMaps::new(Vec::new()).is_configured());
    }

    #[tokio::test]
    async fn get_loads_off_the_runtime() {
        let dir = tempfile::tempdir().unwrap();
        map_pk3(&dir.path().join("m.pk3"), "m", 4);
        let maps = Arc::new(CommandMaps::new(vec![dir.path().to_path_buf()]));
        assert_eq!(maps.get("m").await.unwrap().image.dimensions(), (4, 4));
        assert!(maps.get("missing").await.is_none());
        assert!(
            Arc::new(CommandMaps::new(Vec::new()))
                .get("m")
                .await
                .is_none()
        );
    }
}
