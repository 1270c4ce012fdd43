//! The game's virtual file system over the server's folders: loose files and pk3 archives, in
//! the order the engine searches them, so that the file found is the one the game uses.
//!
//! Order (`FS_AddGameDirectory`, `FS_ReorderLocalFoldersToTop`): the loose files of every
//! folder first, then each folder's pk3s (and `*.pk3dir` folders), the alphabetically LATER one
//! first (names compared with a-z folded to upper case, so `_` sorts after letters). Folders
//! are given highest priority first (the server's `legacy/` before `etmain/`). Names compare
//! without case, with `\` and `:` read as `/`.

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use thiserror::Error;
use zip::ZipArchive;
use zip::result::ZipError;

/// A pk3 with more entries than this is skipped: the engine's own paks hold a few thousand.
const MAX_PK3_ENTRIES: usize = 200_000;

/// Why a file of the VFS could not be read.
#[derive(Debug, Error)]
pub enum VfsError {
    #[error("cannot open: {0}")]
    Open(#[source] io::Error),
    #[error("broken zip entry: {0}")]
    Entry(#[source] ZipError),
    #[error("declares {declared} bytes uncompressed, over the {limit}-byte limit")]
    TooLarge { declared: u64, limit: u64 },
    #[error("inflates to more than the {declared} bytes it declares")]
    Inflates { declared: u64 },
    #[error("holds {got} of the {declared} bytes it declares")]
    Short { got: u64, declared: u64 },
    #[error("reading: {0}")]
    Read(#[source] io::Error),
    #[error("the pk3 changed while it was being read")]
    Changed,
}

/// A folder or pk3 left out of the search, and why (the engine skips an unreadable pk3 too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// A file's identity for caching: where it is, its size and its modification time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Stamp {
    pub path: PathBuf,
    pub len: u64,
    pub modified: Option<SystemTime>,
}

impl Stamp {
    /// The stamp of the file or folder at `path`; `None` when it does not exist.
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = fs::metadata(path).ok()?;
        Some(Stamp {
            path: path.to_path_buf(),
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

/// A file found in the VFS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The name it was found under, lower case with `/` (e.g. `maps/supply.bsp`).
    pub name: String,
    pub place: Place,
}

/// Where a found file is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// A loose file.
    Loose(PathBuf),
    /// Entry `index` of the pk3 at search path `slot`.
    Pk3 {
        pk3: PathBuf,
        slot: usize,
        index: usize,
    },
}

impl Found {
    /// The file that holds it on disk: the loose file or the pk3.
    pub fn container(&self) -> &Path {
        match &self.place {
            Place::Loose(p) => p,
            Place::Pk3 { pk3, .. } => pk3,
        }
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Place::Loose(p) => write!(f, "{}", p.display()),
            Place::Pk3 { pk3, .. } => write!(f, "{} in {}", self.name, pk3.display()),
        }
    }
}

/// One place the engine searches.
enum SearchPath {
    /// A game folder's loose files, or a `*.pk3dir`.
    Dir(PathBuf),
    Pk3(Pk3),
}

struct Pk3 {
    path: PathBuf,
    /// Open only while it is being read (see [`Vfs::with_reader`]).
    archive: Option<ZipArchive<BufReader<File>>>,
    /// Normalised name → entry index, the first of duplicates kept.
    by_name: HashMap<String, usize>,
    /// Normalised names in the archive's order, for listing.
    names: Vec<(String, usize)>,
}

impl Pk3 {
    fn open(path: &Path) -> Result<Pk3, String> {
        let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
        let archive = ZipArchive::new(BufReader::new(file))
            .map_err(|e| format!("not a readable zip: {e}"))?;
        if archive.len() > MAX_PK3_ENTRIES {
            return Err(format!(
                "holds {} entries, over the limit of {MAX_PK3_ENTRIES}",
                archive.len()
            ));
        }
        let mut by_name = HashMap::new();
        let mut names = Vec::new();
        for index in 0..archive.len() {
            let Some(Ok(raw)) = archive.name_for_index(index) else {
                continue;
            };
            // Folders (a trailing `/`) and unsafe names normalise to nothing.
            let Some(name) = normalise(&raw) else {
                continue;
            };
            if !by_name.contains_key(&name) {
                by_name.insert(name.clone(), index);
                names.push((name, index));
            }
        }
        Ok(Pk3 {
            path: path.to_path_buf(),
            archive: None,
            by_name,
            names,
        })
    }
}

/// A name as the VFS compares it: lower case, `\` and `:` as `/`. `None` for names that could
/// leave the folder or name a folder (empty parts, `.`, `..`).
pub fn normalise(name: &str) -> Option<String> {
    let name: String = name
        .chars()
        .map(|c| match c {
            '\\' | ':' => '/',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    let ok = name
        .split('/')
        .all(|part| !part.is_empty() && part != "." && part != "..");
    ok.then_some(name)
}

/// `FS_PathCmp`'s key: a-z folded to upper case, `\` and `:` as `/`, then bytes compared.
fn path_cmp_key(name: &str) -> Vec<u8> {
    name.bytes()
        .map(|b| match b {
            b'\\' | b':' => b'/',
            b => b.to_ascii_uppercase(),
        })
        .collect()
}

/// The loose file or folder `name` (normalised) under `root`, matching each part without case
/// (an exact lower-case name first).
fn resolve(root: &Path, name: &str, want_dir: bool) -> Option<PathBuf> {
    let parts: Vec<&str> = name.split('/').collect();
    let mut at = root.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let fits = |p: &Path| {
            if last && !want_dir {
                p.is_file()
            } else {
                p.is_dir()
            }
        };
        let exact = at.join(part);
        if fits(&exact) {
            at = exact;
            continue;
        }
        let mut other: Vec<PathBuf> = fs::read_dir(&at)
            .ok()?
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(part))
            .map(|e| e.path())
            .filter(|p| fits(p))
            .collect();
        other.sort();
        at = other.into_iter().next()?;
    }
    Some(at)
}

/// The server's files as the engine sees them.
pub struct Vfs {
    paths: Vec<SearchPath>,
    /// The search path whose pk3 is open.
    open: Option<usize>,
    /// Folders and pk3s left out, with why.
    pub problems: Vec<Problem>,
}

impl Vfs {
    /// Indexes `dirs` (highest priority first): lists each folder's pk3s and reads their
    /// directories. Unreadable folders and pk3s are left out and listed in
    /// [`problems`](Vfs::problems).
    pub fn new(dirs: &[PathBuf]) -> Vfs {
        let mut loose = Vec::new();
        let mut packs = Vec::new();
        let mut problems = Vec::new();
        for dir in dirs {
            let entries = match fs::read_dir(dir) {
                Ok(entries) => entries,
                Err(e) => {
                    problems.push(Problem {
                        path: dir.clone(),
                        reason: format!("cannot list the folder: {e}"),
                    });
                    continue;
                }
            };
            loose.push(SearchPath::Dir(dir.clone()));
            let mut found: Vec<(String, PathBuf)> = entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    // The engine skips names with control or non-ASCII bytes.
                    let name = e.file_name().to_str()?.to_string();
                    let printable = name.bytes().all(|b| (32..127).contains(&b));
                    let lower = name.to_ascii_lowercase();
                    let path = e.path();
                    let pack = (lower.ends_with(".pk3") && path.is_file())
                        || (lower.ends_with(".pk3dir") && path.is_dir());
                    (printable && pack).then_some((name, path))
                })
                .collect();
            found.sort_by_key(|(name, _)| std::cmp::Reverse(path_cmp_key(name)));
            for (_, path) in found {
                if path.is_dir() {
                    packs.push(SearchPath::Dir(path));
                    continue;
                }
                match Pk3::open(&path) {
                    Ok(pk3) => packs.push(SearchPath::Pk3(pk3)),
                    Err(reason) => problems.push(Problem { path, reason }),
                }
            }
        }
        loose.extend(packs);
        Vfs {
            paths: loose,
            open: None,
            problems,
        }
    }

    /// Number of pk3 archives searched.
    pub fn pk3_count(&self) -> usize {
        self.paths
            .iter()
            .filter(|p| matches!(p, SearchPath::Pk3(_)))
            .count()
    }

    /// The file the engine would open for `name`: the first search path that has it.
    pub fn lookup(&self, name: &str) -> Option<Found> {
        let name = normalise(name)?;
        self.paths.iter().enumerate().find_map(|(slot, sp)| {
            let place = match sp {
                SearchPath::Dir(root) => Place::Loose(resolve(root, &name, false)?),
                SearchPath::Pk3(p) => Place::Pk3 {
                    pk3: p.path.clone(),
                    slot,
                    index: *p.by_name.get(&name)?,
                },
            };
            Some(Found {
                name: name.clone(),
                place,
            })
        })
    }

    /// The files directly in folder `dir` whose names end in `.ext`, each name once (where the
    /// engine finds it), in search order: loose files by name, pk3 entries in archive order.
    pub fn list(&self, dir: &str, ext: &str) -> Vec<Found> {
        let Some(dir) = normalise(dir) else {
            return Vec::new();
        };
        let suffix = format!(".{}", ext.to_ascii_lowercase());
        let wanted = |name: &str| {
            name.strip_prefix(&dir)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|file| !file.contains('/') && file.ends_with(&suffix))
        };
        let mut out: Vec<Found> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (slot, sp) in self.paths.iter().enumerate() {
            let mut here: Vec<Found> = match sp {
                SearchPath::Dir(root) => {
                    let Some(folder) = resolve(root, &dir, true) else {
                        continue;
                    };
                    let Ok(entries) = fs::read_dir(&folder) else {
                        continue;
                    };
                    let mut files: Vec<Found> = entries
                        .filter_map(Result::ok)
                        .filter(|e| e.path().is_file())
                        .filter_map(|e| {
                            let name = normalise(&format!("{dir}/{}", e.file_name().to_str()?))?;
                            wanted(&name).then(|| Found {
                                name,
                                place: Place::Loose(e.path()),
                            })
                        })
                        .collect();
                    files.sort_by(|a, b| a.name.cmp(&b.name));
                    files
                }
                SearchPath::Pk3(p) => p
                    .names
                    .iter()
                    .filter(|(name, _)| wanted(name))
                    .map(|(name, index)| Found {
                        name: name.clone(),
                        place: Place::Pk3 {
                            pk3: p.path.clone(),
                            slot,
                            index: *index,
                        },
                    })
                    .collect(),
            };
            here.retain(|f| seen.insert(f.name.clone()));
            out.extend(here);
        }
        out
    }

    /// Runs `body` on a reader of the file and its declared length, refusing a file that
    /// declares more than `max` bytes. A pk3 entry's reader inflates as it is read, so `body`
    /// decides how much is ever inflated.
    pub fn with_reader<T>(
        &mut self,
        found: &Found,
        max: u64,
        body: impl FnOnce(&mut dyn Read, u64) -> T,
    ) -> Result<T, VfsError> {
        match &found.place {
            Place::Loose(path) => {
                let file = File::open(path).map_err(VfsError::Open)?;
                let len = file.metadata().map_err(VfsError::Open)?.len();
                if len > max {
                    return Err(VfsError::TooLarge {
                        declared: len,
                        limit: max,
                    });
                }
                Ok(body(&mut BufReader::new(file), len))
            }
            Place::Pk3 { slot, index, .. } => {
                // One pk3 open at a time: a server's hundreds of pk3s hold no file handles
                // between reads, and reads of one pk3 in a row reuse its directory.
                if let Some(old) = self.open.replace(*slot)
                    && old != *slot
                    && let Some(SearchPath::Pk3(p)) = self.paths.get_mut(old)
                {
                    p.archive = None;
                }
                let Some(SearchPath::Pk3(pk3)) = self.paths.get_mut(*slot) else {
                    return Err(VfsError::Open(io::Error::new(
                        io::ErrorKind::NotFound,
                        "not a file of this index",
                    )));
                };
                let archive = match &mut pk3.archive {
                    Some(archive) => archive,
                    none => {
                        let file = File::open(&pk3.path).map_err(VfsError::Open)?;
                        let archive =
                            ZipArchive::new(BufReader::new(file)).map_err(VfsError::Entry)?;
                        none.insert(archive)
                    }
                };
                // Replaced since it was indexed: its entries may have moved.
                let same = archive
                    .name_for_index(*index)
                    .and_then(Result::ok)
                    .and_then(|name| normalise(&name))
                    .is_some_and(|name| name == found.name);
                if !same {
                    return Err(VfsError::Changed);
                }
                let mut entry = archive.by_index(*index).map_err(VfsError::Entry)?;
                let declared = entry.size();
                if declared > max {
                    return Err(VfsError::TooLarge {
                        declared,
                        limit: max,
                    });
                }
                Ok(body(&mut entry, declared))
            }
        }
    }

    /// The whole file, if it declares at most `max` bytes. At most one byte more than it
    /// declares is ever inflated: an entry whose header lies about its size is refused.
    pub fn read(&mut self, found: &Found, max: u64) -> Result<Vec<u8>, VfsError> {
        self.with_reader(found, max, |reader, declared| {
            let mut bytes = Vec::new();
            reader
                .take(declared.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(VfsError::Read)?;
            let got = bytes.len() as u64;
            if got > declared {
                Err(VfsError::Inflates { declared })
            } else if got < declared {
                Err(VfsError::Short { got, declared })
            } else {
                Ok(bytes)
            }
        })?
    }
}

/// What changes when the server's files change: every folder's own stamp and those of its
/// `maps/`, `scripts/` and `levelshots/` folders (a file added or removed changes them), and
/// every pk3's and `*.pk3dir`'s. Cheap: no archive is opened.
pub fn listing(dirs: &[PathBuf]) -> Vec<Stamp> {
    let mut out = Vec::new();
    let with_subfolders = |dir: &Path, out: &mut Vec<Stamp>| {
        out.extend(Stamp::of(dir));
        for sub in ["maps", "scripts", "levelshots"] {
            if let Some(folder) = resolve(dir, sub, true) {
                out.extend(Stamp::of(&folder));
            }
        }
    };
    for dir in dirs {
        with_subfolders(dir, &mut out);
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        let mut packs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    e.eq_ignore_ascii_case("pk3") || e.eq_ignore_ascii_case("pk3dir")
                })
            })
            .collect();
        packs.sort();
        for p in packs {
            if p.is_dir() {
                with_subfolders(&p, &mut out);
            } else {
                out.extend(Stamp::of(&p));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command_map::testfiles::{pk3, write};

    #[test]
    fn names_compare_without_case_and_cannot_leave_the_folder() {
        assert_eq!(
            normalise("Maps\\Supply.BSP").as_deref(),
            Some("maps/supply.bsp")
        );
        assert_eq!(
            normalise("levelshots:x.tga").as_deref(),
            Some("levelshots/x.tga")
        );
        for bad in [
            "",
            "maps/",
            "/etc/passwd",
            "../x",
            "maps/../../x",
            "a//b",
            "./a",
        ] {
            assert_eq!(normalise(bad), None, "{bad}");
        }
        // `_` sorts after letters once folded to upper case: `map_b` after `mapb`.
        let mut names = ["map_b.pk3", "mapb.pk3", "MAPA.pk3"];
        names.sort_by_key(|n| path_cmp_key(n));
        assert_eq!(names, ["MAPA.pk3", "mapb.pk3", "map_b.pk3"]);
    }

    #[test]
    fn the_alphabetically_later_pk3_wins_and_loose_files_beat_pk3s() {
        let base = tempfile::tempdir().unwrap();
        let (legacy, etmain) = (base.path().join("legacy"), base.path().join("etmain"));
        // te_escape2_fixed3 > fixed2 > fixed ('.' < '2'); z_ sorts after the letters too.
        pk3(
            &etmain.join("te_escape2_fixed.pk3"),
            &[("maps/a.txt", b"fixed"), ("maps/b.txt", b"fixed")],
        );
        pk3(
            &etmain.join("te_escape2_fixed2.pk3"),
            &[("maps/a.txt", b"fixed2")],
        );
        pk3(
            &etmain.join("te_escape2_fixed3.pk3"),
            &[("MAPS/A.TXT", b"fixed3")],
        );
        pk3(
            &etmain.join("pak0.pk3"),
            &[("maps/c.txt", b"pak0"), ("maps/b.txt", b"pak0")],
        );
        // A higher-priority folder's pk3 beats every pk3 of a lower one.
        pk3(&legacy.join("aaa.pk3"), &[("maps/c.txt", b"legacy")]);
        // Loose files of any folder beat every pk3.
        write(&etmain.join("Maps/B.txt"), b"loose");
        let mut vfs = Vfs::new(&[legacy.clone(), etmain.clone()]);
        assert!(vfs.problems.is_empty(), "{:?}", vfs.problems);
        assert_eq!(vfs.pk3_count(), 5);
        let mut text = |name: &str| {
            let found = vfs.lookup(name).unwrap_or_else(|| panic!("{name}"));
            String::from_utf8(vfs.read(&found, 100).unwrap()).unwrap()
        };
        assert_eq!(text("maps/a.txt"), "fixed3");
        assert_eq!(text("maps/b.txt"), "loose");
        assert_eq!(text("MAPS\\C.TXT"), "legacy");
        assert!(vfs.lookup("maps/none.txt").is_none());
        let found = vfs.lookup("maps/a.txt").unwrap();
        assert_eq!(
            found.to_string(),
            format!(
                "maps/a.txt in {}",
                etmain.join("te_escape2_fixed3.pk3").display()
            )
        );
        // Listing: each name once, where the engine finds it, in search order.
        let listed: Vec<(String, PathBuf)> = vfs
            .list("maps", "TXT")
            .into_iter()
            .map(|f| (f.name.clone(), f.container().to_path_buf()))
            .collect();
        assert_eq!(
            listed,
            [
                ("maps/b.txt".to_string(), etmain.join("Maps/B.txt")),
                ("maps/c.txt".to_string(), legacy.join("aaa.pk3")),
                (
                    "maps/a.txt".to_string(),
                    etmain.join("te_escape2_fixed3.pk3")
                ),
            ]
        );
    }

    #[test]
    fn a_pk3dir_sits_among_the_pk3s() {
        let dir = tempfile::tempdir().unwrap();
        pk3(&dir.path().join("a.pk3"), &[("maps/x.txt", b"a")]);
        write(&dir.path().join("b.pk3dir/maps/x.txt"), b"b");
        pk3(&dir.path().join("c.pk3"), &[("maps/y.txt", b"c")]);
        write(&dir.path().join("b.pk3dir/maps/y.txt"), b"b");
        let mut vfs = Vfs::new(&[dir.path().to_path_buf()]);
        let found = vfs.lookup("maps/x.txt").unwrap();
        assert_eq!(vfs.read(&found, 10).unwrap(), b"b");
        let found = vfs.lookup("maps/y.txt").unwrap();
        assert_eq!(vfs.read(&found, 10).unwrap(), b"c");
    }

    #[test]
    fn unreadable_pk3s_and_folders_are_left_out_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        write(
            &dir.path().join("broken.pk3"),
            b"this is not a zip file at all",
        );
        pk3(&dir.path().join("good.pk3"), &[("maps/x.txt", b"ok")]);
        // A truncated copy: the central directory is gone.
        let bytes = fs::read(dir.path().join("good.pk3")).unwrap();
        write(&dir.path().join("cut.pk3"), &bytes[..bytes.len() / 2]);
        let missing = dir.path().join("no_such_folder");
        let vfs = Vfs::new(&[missing.clone(), dir.path().to_path_buf()]);
        let problems: Vec<String> = vfs.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with(&format!("{}: cannot list the folder", missing.display())));
        // Later names first: good, cut, broken.
        assert!(
            problems[1].starts_with(&format!(
                "{}: not a readable zip",
                dir.path().join("cut.pk3").display()
            )),
            "{problems:?}"
        );
        assert!(
            problems[2].starts_with(&format!(
                "{}: not a readable zip",
                dir.path().join("broken.pk3").display()
            )),
            "{problems:?}"
        );
        assert!(vfs.lookup("maps/x.txt").is_some());
    }

    #[test]
    fn a_pk3_replaced_after_indexing_is_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.pk3");
        pk3(&path, &[("a.txt", b"a"), ("b.txt", b"b")]);
        let mut vfs = Vfs::new(&[dir.path().to_path_buf()]);
        let b = vfs.lookup("b.txt").unwrap();
        // Rewritten with the entries the other way round: entry 1 is now a.txt.
        pk3(&path, &[("b.txt", b"new b"), ("a.txt", b"new a")]);
        assert!(matches!(vfs.read(&b, 10), Err(VfsError::Changed)));
        // Indexed again, it reads the new file.
        let mut vfs = Vfs::new(&[dir.path().to_path_buf()]);
        let b = vfs.lookup("b.txt").unwrap();
        assert_eq!(vfs.read(&b, 10).unwrap(), b"new b");
    }

    #[test]
    fn sizes_are_bounded_and_a_lying_header_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z.pk3");
        pk3(&path, &[("a.txt", b"hello"), ("big.txt", &[b'x'; 1000])]);
        let mut vfs = Vfs::new(&[dir.path().to_path_buf()]);
        let big = vfs.lookup("big.txt").unwrap();
        let e = vfs.read(&big, 999).unwrap_err();
        assert_eq!(
            e.to_string(),
            "declares 1000 bytes uncompressed, over the 999-byte limit"
        );
        assert_eq!(vfs.read(&big, 1000).unwrap().len(), 1000);
        write(&dir.path().join("loose.txt"), &[0; 50]);
        let loose = vfs.lookup("LOOSE.TXT").unwrap();
        assert!(matches!(
            vfs.read(&loose, 49),
            Err(VfsError::TooLarge {
                declared: 50,
                limit: 49
            })
        ));
    }
}
