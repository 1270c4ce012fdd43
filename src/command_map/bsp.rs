//! The ET BSP (IBSP version 47): its header, the entity lump, and the worldspawn's
//! `mapcoordsmins` / `mapcoordsmaxs`.
//!
//! Hand-written (about a hundred lines): the Quake 3 BSP crates accept only version 46 (ET is
//! 47), and some panic on it or on entity text that is not UTF-8.

use std::io::{self, Read};

use thiserror::Error;

use super::token::{Tokens, latin1};

/// `dheader_t`: ident, version and 17 lump entries of 8 bytes.
pub const HEADER_LEN: u64 = 144;
/// ET's `BSP_VERSION` (Quake 3 is 46). The engine checks only the version, not the `IBSP`
/// ident, and so do we.
pub const VERSION: i32 = 47;
/// Index of the entity lump.
const ENTITIES: usize = 0;

/// What is wrong with a BSP.
#[derive(Debug, Error)]
pub enum BspError {
    #[error("{len} bytes, shorter than the {HEADER_LEN}-byte BSP header")]
    TooShort { len: u64 },
    #[error("BSP version {found}{}, not {VERSION} (ET)", if *found == 46 { " (Quake 3)" } else { "" })]
    Version { found: i32 },
    #[error(
        "lump {ENTITIES} (entities) at bytes {offset}..{end} is outside the {file_len}-byte file"
    )]
    LumpOutside {
        offset: i64,
        end: i64,
        file_len: u64,
    },
    #[error("lump {ENTITIES} (entities) at byte {offset} overlaps the header")]
    LumpInHeader { offset: i64 },
    #[error("lump {ENTITIES} (entities) is {len} bytes, over the {limit}-byte limit")]
    EntitiesTooLarge { len: u64, limit: u64 },
    #[error("reading the BSP: {0}")]
    Read(#[source] io::Error),
    #[error("the entity text is empty")]
    NoEntities,
    #[error("entity text: {0}")]
    Syntax(String),
    #[error("the first entity is `{0}`, not worldspawn")]
    NotWorldspawn(String),
    #[error("worldspawn has no `{key}`{}", near.as_ref().map(|n| format!(" (only `{n}`: the engine reads the key in lower case only)")).unwrap_or_default())]
    MissingKey {
        key: &'static str,
        near: Option<String>,
    },
    #[error("worldspawn `{key}` is `{value}`, not two numbers")]
    BadCoords { key: &'static str, value: String },
    #[error("mapcoordsmins {mins:?} and mapcoordsmaxs {maxs:?} span no area")]
    Degenerate { mins: (f64, f64), maxs: (f64, f64) },
}

/// The worldspawn's command-map corners, as written: `mins` is the image's top-left corner
/// (min x, max y), `maxs` its bottom-right (max x, min y).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MapCoords {
    pub mins: (f64, f64),
    pub maxs: (f64, f64),
}

/// Reads the entity text of a BSP of `file_len` bytes from `reader` (at its start), reading no
/// further than the end of the entity lump, and keeping no more than `max_entities` bytes.
/// The text is bytes: map strings are not guaranteed to be UTF-8.
pub fn read_entities(
    reader: &mut dyn Read,
    file_len: u64,
    max_entities: u64,
) -> Result<Vec<u8>, BspError> {
    if file_len < HEADER_LEN {
        return Err(BspError::TooShort { len: file_len });
    }
    let mut header = [0u8; HEADER_LEN as usize];
    reader.read_exact(&mut header).map_err(read_err)?;
    let int = |at: usize| {
        i32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let version = int(4);
    if version != VERSION {
        return Err(BspError::Version { found: version });
    }
    // lump_t: int fileofs; unsigned int filelen.
    let at = 8 + ENTITIES * 8;
    let offset = i64::from(int(at));
    let len = i64::from(int(at + 4) as u32);
    let end = offset + len;
    if offset < 0 || end > file_len as i64 {
        return Err(BspError::LumpOutside {
            offset,
            end,
            file_len,
        });
    }
    if offset < HEADER_LEN as i64 {
        return Err(BspError::LumpInHeader { offset });
    }
    if len as u64 > max_entities {
        return Err(BspError::EntitiesTooLarge {
            len: len as u64,
            limit: max_entities,
        });
    }
    let skip = offset as u64 - HEADER_LEN;
    let skipped = io::copy(&mut reader.take(skip), &mut io::sink()).map_err(read_err)?;
    if skipped < skip {
        return Err(read_err(io::ErrorKind::UnexpectedEof.into()));
    }
    let mut lump = Vec::with_capacity(len as usize);
    reader
        .take(len as u64)
        .read_to_end(&mut lump)
        .map_err(read_err)?;
    if lump.len() < len as usize {
        return Err(read_err(io::ErrorKind::UnexpectedEof.into()));
    }
    // The renderer's copy stops at the first NUL (the lump's length counts it).
    let text_len = lump.iter().position(|&b| b == 0).unwrap_or(lump.len());
    lump.truncate(text_len);
    Ok(lump)
}

fn read_err(e: io::Error) -> BspError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        BspError::Read(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the data ends before the entity lump does",
        ))
    } else {
        BspError::Read(e)
    }
}

/// The first entity's key/value pairs, as `CG_ParseSpawnVars` reads them: `{`, then pairs
/// until a `}` where a key would be.
fn first_entity(text: &[u8]) -> Result<Vec<(String, String)>, BspError> {
    let mut tokens = Tokens::new(text);
    match tokens.next() {
        None => return Err(BspError::NoEntities),
        Some(b"{") => {}
        Some(other) => {
            return Err(BspError::Syntax(format!(
                "expected `{{`, found `{}`",
                latin1(other)
            )));
        }
    }
    let mut pairs = Vec::new();
    loop {
        let key = tokens
            .next()
            .ok_or_else(|| BspError::Syntax("the first entity has no closing `}`".into()))?;
        if key == b"}" {
            return Ok(pairs);
        }
        let value = tokens
            .next()
            .ok_or_else(|| BspError::Syntax(format!("key `{}` has no value", latin1(key))))?;
        if value == b"}" {
            return Err(BspError::Syntax(format!(
                "`}}` where the value of `{}` should be",
                latin1(key)
            )));
        }
        pairs.push((latin1(key), latin1(value)));
    }
}

/// The worldspawn's `mapcoordsmins` / `mapcoordsmaxs`, read as the game reads them: the first
/// entity must be the worldspawn (`classname` compared without case), keys are compared with
/// their case and the first of duplicate keys wins.
pub fn map_coords(entities: &[u8]) -> Result<MapCoords, BspError> {
    let pairs = first_entity(entities)?;
    let value = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let classname = value("classname").unwrap_or_default();
    if !classname.eq_ignore_ascii_case("worldspawn") {
        return Err(BspError::NotWorldspawn(classname.to_string()));
    }
    let coords = |key: &'static str| -> Result<(f64, f64), BspError> {
        let Some(v) = value(key) else {
            let near = pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(k, _)| k.clone());
            return Err(BspError::MissingKey { key, near });
        };
        // `sscanf("%f %f")`: two numbers; a missing second one leaves it unset in the game,
        // which no map means, so it is refused.
        let mut numbers = v.split_ascii_whitespace().map(str::parse::<f64>);
        match (numbers.next(), numbers.next()) {
            (Some(Ok(x)), Some(Ok(y))) if x.is_finite() && y.is_finite() => Ok((x, y)),
            _ => Err(BspError::BadCoords {
                key,
                value: v.to_string(),
            }),
        }
    };
    let mins = coords("mapcoordsmins")?;
    let maxs = coords("mapcoordsmaxs")?;
    if mins.0 == maxs.0 || mins.1 == maxs.1 {
        return Err(BspError::Degenerate { mins, maxs });
    }
    Ok(MapCoords { mins, maxs })
}

/// A BSP's bytes with the given entity text, for tests: the header, a q3map2-style marker, and
/// the entity lump (NUL-terminated) last, as q3map2 writes it.
#[cfg(test)]
pub(crate) fn test_bsp(entities: &str) -> Vec<u8> {
    let marker = b"I LOVE MY Q3MAP2 (test)\0";
    let mut lump = entities.as_bytes().to_vec();
    lump.push(0);
    let offset = HEADER_LEN as usize + marker.len() + 40;
    let mut out = Vec::new();
    out.extend_from_slice(b"IBSP");
    out.extend_from_slice(&VERSION.to_le_bytes());
    for i in 0..17 {
        let (ofs, len) = if i == ENTITIES {
            (offset as i32, lump.len() as u32)
        } else {
            (HEADER_LEN as i32 + marker.len() as i32, 0)
        };
        out.extend_from_slice(&ofs.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
    }
    out.extend_from_slice(marker);
    out.resize(offset, 0xAB);
    out.extend_from_slice(&lump);
    out
}

/// Worldspawn entity text with the given corners, for tests.
#[cfg(test)]
pub(crate) fn test_entities(mins: (f64, f64), maxs: (f64, f64)) -> String {
    format!(
        "{{\n\"classname\" \"worldspawn\"\n\"mapcoordsmins\" \"{} {}\"\n\"mapcoordsmaxs\" \"{} {}\"\n}}\n{{\n\"classname\" \"info_player_deathmatch\"\n}}\n",
        mins.0, mins.1, maxs.0, maxs.1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coords_of(bsp: &[u8]) -> Result<MapCoords, BspError> {
        let text = read_entities(&mut &bsp[..], bsp.len() as u64, 1 << 20)?;
        map_coords(&text)
    }

    fn coords(text: &str) -> Result<MapCoords, BspError> {
        map_coords(text.as_bytes())
    }

    #[test]
    fn reads_the_corners_of_a_q3map2_bsp() {
        let bsp = test_bsp(&test_entities((-2048.0, 2048.0), (4096.0, -4096.0)));
        assert_eq!(
            coords_of(&bsp).unwrap(),
            MapCoords {
                mins: (-2048.0, 2048.0),
                maxs: (4096.0, -4096.0)
            }
        );
        // The lump's bytes after the NUL are not read as text; comments are skipped; the first
        // of duplicate keys wins.
        let text = "// made by hand\n{\n\"classname\" \"WorldSpawn\"\n\"mapcoordsmins\" \"-10.5 20\"\n\"mapcoordsmaxs\" \"30 -40.25 7\"\n\"mapcoordsmins\" \"0 0\"\n}\n";
        let mut bsp = test_bsp(text);
        bsp.extend_from_slice(b"junk after the lump");
        assert_eq!(
            coords_of(&bsp).unwrap(),
            MapCoords {
                mins: (-10.5, 20.0),
                maxs: (30.0, -40.25)
            }
        );
    }

    #[test]
    fn a_wrong_version_is_named() {
        let mut bsp = test_bsp(&test_entities((0.0, 1.0), (1.0, 0.0)));
        bsp[4..8].copy_from_slice(&46i32.to_le_bytes());
        let e = coords_of(&bsp).unwrap_err();
        assert_eq!(e.to_string(), "BSP version 46 (Quake 3), not 47 (ET)");
        bsp[4..8].copy_from_slice(&1_000_000i32.to_le_bytes());
        assert!(matches!(
            coords_of(&bsp),
            Err(BspError::Version { found: 1_000_000 })
        ));
    }

    #[test]
    fn a_lump_outside_the_file_is_refused_without_reading_it() {
        let bsp = test_bsp(&test_entities((0.0, 1.0), (1.0, 0.0)));
        let len = bsp.len();
        // Past the end.
        let mut bad = bsp.clone();
        bad[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = coords_of(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "lump 0 (entities) at bytes 208..{} is outside the {len}-byte file",
                208 + u32::MAX as i64
            )
        );
        // A negative offset.
        let mut bad = bsp.clone();
        bad[8..12].copy_from_slice(&(-4i32).to_le_bytes());
        assert!(matches!(
            coords_of(&bad),
            Err(BspError::LumpOutside { offset: -4, .. })
        ));
        // Inside the header.
        let mut bad = bsp.clone();
        bad[8..12].copy_from_slice(&16i32.to_le_bytes());
        bad[12..16].copy_from_slice(&8u32.to_le_bytes());
        assert!(matches!(
            coords_of(&bad),
            Err(BspError::LumpInHeader { offset: 16 })
        ));
        // The file claims more bytes than the reader has (a truncated copy).
        let e = read_entities(&mut &bsp[..len - 10], len as u64, 1 << 20).unwrap_err();
        assert!(e.to_string().contains("ends before the entity lump"), "{e}");
        // Shorter than a header.
        assert!(matches!(
            read_entities(&mut &bsp[..100], 100, 1 << 20),
            Err(BspError::TooShort { len: 100 })
        ));
        // A lump over the limit.
        let e = read_entities(&mut &bsp[..], len as u64, 16).unwrap_err();
        assert!(
            matches!(e, BspError::EntitiesTooLarge { limit: 16, .. }),
            "{e}"
        );
    }

    #[test]
    fn missing_or_bad_coordinates_are_named() {
        let world = |body: &str| format!("{{\n\"classname\" \"worldspawn\"\n{body}\n}}\n");
        let e = coords(&world("\"mapcoordsmaxs\" \"1 0\"")).unwrap_err();
        assert_eq!(e.to_string(), "worldspawn has no `mapcoordsmins`");
        let e = coords(&world(
            "\"MapCoordsMins\" \"0 1\" \"mapcoordsmaxs\" \"1 0\"",
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "worldspawn has no `mapcoordsmins` (only `MapCoordsMins`: the engine reads the key in lower case only)"
        );
        let e = coords(&world("\"mapcoordsmins\" \"0 1\"")).unwrap_err();
        assert_eq!(e.to_string(), "worldspawn has no `mapcoordsmaxs`");
        let e = coords(&world("\"mapcoordsmins\" \"12\" \"mapcoordsmaxs\" \"1 0\"")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "worldspawn `mapcoordsmins` is `12`, not two numbers"
        );
        let e = coords(&world(
            "\"mapcoordsmins\" \"0 nan\" \"mapcoordsmaxs\" \"1 0\"",
        ))
        .unwrap_err();
        assert!(matches!(e, BspError::BadCoords { .. }));
        let e = coords(&world(
            "\"mapcoordsmins\" \"5 1\" \"mapcoordsmaxs\" \"5 0\"",
        ))
        .unwrap_err();
        assert!(matches!(e, BspError::Degenerate { .. }));
        let e = coords("{\n\"classname\" \"func_door\"\n}\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the first entity is `func_door`, not worldspawn"
        );
        assert!(matches!(coords("  "), Err(BspError::NoEntities)));
        assert!(matches!(
            coords("classname worldspawn"),
            Err(BspError::Syntax(_))
        ));
        assert!(matches!(
            coords("{ \"classname\" }"),
            Err(BspError::Syntax(_))
        ));
        assert!(matches!(
            coords("{ \"classname\" \"worldspawn\""),
            Err(BspError::Syntax(_))
        ));
    }
}
