//! Command maps: the top-down image of a map the game shows in limbo, read from the server's
//! own files, and the transform from world coordinates to its pixels.
//!
//! A map's command map is found as the engine finds it:
//! 1. `maps/<map>.bsp` through the [`Vfs`] (loose files, then pk3s, in the engine's order);
//! 2. its first entity, the worldspawn, gives `mapcoordsmins` (the image's top-left corner in
//!    world units) and `mapcoordsmaxs` (its bottom-right);
//! 3. the image is the first stage of the shader `levelshots/<map>_cc_trans` (then
//!    `_cc_automap`) in `scripts/*.shader`, or the image of that name, or `levelshots/<map>_cc`,
//!    each tried as png, tga, jpg, jpeg, pcx, bmp in that order.
//!
//! Everything read is bounded ([`Limits`]): a corrupt or hostile file gives an error that names
//! the file and what is wrong, never a panic or an unbounded allocation.

mod bsp;
mod cache;
mod levelshot;
mod report;
mod shader;
#[cfg(test)]
pub(crate) mod testfiles;
mod token;
mod vfs;

use std::path::PathBuf;

use image::RgbaImage;
use thiserror::Error;

pub use bsp::{BspError, MapCoords};
pub use cache::{CommandMaps, Outcome};
pub use levelshot::{EXTENSIONS, ImageError};
pub use report::report_lines;
pub use vfs::{Found, Place, Problem, Stamp, Vfs, VfsError, listing};

/// Bounds on what reading one map may cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest image or shader script read whole, declared and inflated.
    pub max_file_bytes: u64,
    /// Largest BSP (declared) inflated up to its entity lump; only the header and the lump are
    /// kept.
    pub max_bsp_bytes: u64,
    /// Largest entity lump (the engine's own limit is 256 KiB).
    pub max_entities_bytes: u64,
    /// Largest image side in pixels (real command maps are 256 to 1024).
    pub max_image_side: u32,
    /// Most bytes the image decoder may allocate.
    pub max_image_alloc: u64,
    /// Longer side of the image kept in memory; larger images are scaled down on loading.
    pub max_kept_side: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 64 << 20,
            max_bsp_bytes: 1 << 30,
            max_entities_bytes: 4 << 20,
            max_image_side: 4096,
            max_image_alloc: 192 << 20,
            max_kept_side: 1024,
        }
    }
}

/// Why a map has no command map. Each names the file and what is wrong with it.
#[derive(Debug, Error)]
pub enum CommandMapError {
    #[error("`{0}` is not a map name")]
    BadName(String),
    #[error("no maps/{0}.bsp in MAPS_DIR")]
    NoBsp(String),
    #[error("{file}: {source}")]
    Read {
        file: String,
        #[source]
        source: VfsError,
    },
    #[error("{file}: {source}")]
    Bsp {
        file: String,
        #[source]
        source: BspError,
    },
    #[error("no command map image: {tried}{}", skipped_note(.skipped))]
    NoImage {
        tried: String,
        /// Shader scripts that could not be read.
        skipped: Vec<String>,
    },
    #[error("{file}: {source}")]
    Image {
        file: String,
        #[source]
        source: ImageError,
    },
}

fn skipped_note(skipped: &[String]) -> String {
    if skipped.is_empty() {
        String::new()
    } else {
        format!(" (unreadable shader scripts: {})", skipped.join("; "))
    }
}

/// A map's command map: its image, north up, and the world rectangle it shows.
#[derive(Clone, Debug)]
pub struct CommandMap {
    /// The map's name, lower case.
    pub map: String,
    /// World (x, y) at the image's top-left corner: (least x, greatest y).
    pub mins: (f64, f64),
    /// World (x, y) at the image's bottom-right corner: (greatest x, least y).
    pub maxs: (f64, f64),
    pub image: RgbaImage,
    /// The image's size in its file (the kept image may be scaled down).
    pub file_size: (u32, u32),
    /// The file the image came from: the pk3 or the loose file.
    pub from: PathBuf,
    /// The image as found, e.g. `levelshots/supply_cc.tga in /srv/etmain/supply.pk3`.
    pub image_file: String,
}

impl CommandMap {
    /// A command map of `image` with the worldspawn's corners as written. The game maps a world
    /// point to `(x − mins.x) / (maxs.x − mins.x)` of the image's width (and the same for y);
    /// corners written the other way round (greatest x first, or least y first) show the world
    /// mirrored, so the image is mirrored back and the corners swapped: the same point lands on
    /// the same image content, and the image is always north up.
    pub fn new(map: &str, coords: MapCoords, mut image: RgbaImage) -> CommandMap {
        let MapCoords { mut mins, mut maxs } = coords;
        if mins.0 > maxs.0 {
            image::imageops::flip_horizontal_in_place(&mut image);
            std::mem::swap(&mut mins.0, &mut maxs.0);
        }
        if mins.1 < maxs.1 {
            image::imageops::flip_vertical_in_place(&mut image);
            std::mem::swap(&mut mins.1, &mut maxs.1);
        }
        CommandMap {
            map: map.to_ascii_lowercase(),
            mins,
            maxs,
            file_size: image.dimensions(),
            image,
            from: PathBuf::new(),
            image_file: String::new(),
        }
    }

    /// World (x, y) to a continuous position on the image, from its top-left corner (the pixel
    /// is the floor of each; inside the image when 0 ≤ px < width and 0 ≤ py < height). This is
    /// the game's `CG_TransformToCommandMapCoord` scaled to the image.
    pub fn world_to_pixel(&self, x: f64, y: f64) -> (f64, f64) {
        let (u, v) = self.world_to_unit(x, y);
        (
            u * f64::from(self.image.width()),
            v * f64::from(self.image.height()),
        )
    }

    /// World (x, y) to the share (0..1) of the image's width and height.
    pub fn world_to_unit(&self, x: f64, y: f64) -> (f64, f64) {
        (
            (x - self.mins.0) / (self.maxs.0 - self.mins.0),
            (y - self.mins.1) / (self.maxs.1 - self.mins.1),
        )
    }
}

/// The files a map's command map is made of, as the engine finds them.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    pub bsp: Found,
    /// The shader script that named the image, if one did.
    pub script: Option<Found>,
    pub image: Found,
}

impl Located {
    /// What the command map depends on: the files (pk3s or loose files) holding its parts.
    pub fn version(&self) -> Vec<Stamp> {
        let mut out: Vec<Stamp> = Vec::new();
        let parts = [Some(&self.bsp), self.script.as_ref(), Some(&self.image)];
        for found in parts.into_iter().flatten() {
            if let Some(stamp) = Stamp::of(found.container())
                && !out.contains(&stamp)
            {
                out.push(stamp);
            }
        }
        out
    }
}

/// A map name the VFS can look up: one path part of printable ASCII.
fn check_name(map: &str) -> Result<String, CommandMapError> {
    let name = map.trim().to_ascii_lowercase();
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| (33..127).contains(&b) && !matches!(b, b'/' | b'\\' | b':'));
    if ok {
        Ok(name)
    } else {
        Err(CommandMapError::BadName(map.to_string()))
    }
}

/// The first image `base` names, trying the engine's extensions in order.
fn find_image(vfs: &Vfs, base: &str) -> Option<Found> {
    let base = levelshot::strip_extension(base);
    EXTENSIONS
        .iter()
        .find_map(|ext| vfs.lookup(&format!("{base}.{ext}")))
}

/// Finds the BSP and the image of `map`, reading only shader scripts.
pub fn locate(vfs: &mut Vfs, map: &str, limits: &Limits) -> Result<Located, CommandMapError> {
    let name = check_name(map)?;
    let bsp = vfs
        .lookup(&format!("maps/{name}.bsp"))
        .ok_or_else(|| CommandMapError::NoBsp(name.clone()))?;
    let shaders = [
        format!("levelshots/{name}_cc_trans"),
        format!("levelshots/{name}_cc_automap"),
    ];
    // The scripts' texts are searched as the renderer joins them: in reverse of the listing
    // order, the first definition winning.
    let scripts = vfs.list("scripts", "shader");
    let mut skipped = Vec::new();
    let mut defined: [Option<(Found, Option<String>)>; 2] = [None, None];
    let needle = format!("{name}_cc").into_bytes();
    for script in scripts.iter().rev() {
        if defined.iter().all(Option::is_some) {
            break;
        }
        let text = match vfs.read(script, limits.max_file_bytes) {
            Ok(text) => text,
            Err(e) => {
                skipped.push(format!("{script}: {e}"));
                continue;
            }
        };
        // Most scripts do not mention the map at all.
        if !text
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(&needle))
        {
            continue;
        }
        for (slot, shader) in defined.iter_mut().zip(&shaders) {
            if slot.is_none()
                && let Some(image) = shader::stage_image(&text, shader)
            {
                *slot = Some((script.clone(), image));
            }
        }
    }
    for (shader, definition) in shaders.iter().zip(defined) {
        let (script, image) = match definition {
            Some((script, Some(image))) => (Some(script), image),
            // A shader without an image stage draws nothing: try the next name.
            Some((_, None)) => continue,
            // No definition: the renderer makes an implicit shader of the image of that name.
            None => (None, shader.clone()),
        };
        if let Some(image) = find_image(vfs, &image) {
            return Ok(Located { bsp, script, image });
        }
    }
    let plain = format!("levelshots/{name}_cc");
    if let Some(image) = find_image(vfs, &plain) {
        return Ok(Located {
            bsp,
            script: None,
            image,
        });
    }
    Err(CommandMapError::NoImage {
        tried: format!(
            "no shader or image {} or {}, and no image {plain} (.{}) in MAPS_DIR",
            shaders[0],
            shaders[1],
            EXTENSIONS.join(", .")
        ),
        skipped,
    })
}

/// Reads the located files: the worldspawn's corners and the image.
pub fn load_located(
    vfs: &mut Vfs,
    map: &str,
    located: &Located,
    limits: &Limits,
) -> Result<CommandMap, CommandMapError> {
    let file = |f: &Found| f.to_string();
    let entities = vfs
        .with_reader(&located.bsp, limits.max_bsp_bytes, |reader, len| {
            bsp::read_entities(reader, len, limits.max_entities_bytes)
        })
        .map_err(|source| CommandMapError::Read {
            file: file(&located.bsp),
            source,
        })?
        .map_err(|source| CommandMapError::Bsp {
            file: file(&located.bsp),
            source,
        })?;
    let coords = bsp::map_coords(&entities).map_err(|source| CommandMapError::Bsp {
        file: file(&located.bsp),
        source,
    })?;
    let bytes = vfs
        .read(&located.image, limits.max_file_bytes)
        .map_err(|source| CommandMapError::Read {
            file: file(&located.image),
            source,
        })?;
    let ext = located.image.name.rsplit('.').next().unwrap_or_default();
    let image = levelshot::decode(&bytes, ext, limits.max_image_side, limits.max_image_alloc)
        .map_err(|source| CommandMapError::Image {
            file: file(&located.image),
            source,
        })?;
    let file_size = image.dimensions();
    let (w, h) = file_size;
    let longer = w.max(h);
    let image = if longer > limits.max_kept_side {
        let scale = f64::from(limits.max_kept_side) / f64::from(longer);
        let (kw, kh) = (
            ((f64::from(w) * scale).round() as u32).max(1),
            ((f64::from(h) * scale).round() as u32).max(1),
        );
        image::imageops::resize(&image, kw, kh, image::imageops::FilterType::Triangle)
    } else {
        image
    };
    let mut map = CommandMap::new(map, coords, image);
    map.file_size = file_size;
    map.from = located.image.container().to_path_buf();
    map.image_file = file(&located.image);
    Ok(map)
}

/// Finds and reads `map`'s command map.
pub fn load(vfs: &mut Vfs, map: &str, limits: &Limits) -> Result<CommandMap, CommandMapError> {
    let located = locate(vfs, map, limits)?;
    load_located(vfs, map, &located, limits)
}

#[cfg(test)]
mod tests;
