//! Test helpers: pk3s, BSPs and images made in the tests themselves.

use std::io::{Cursor, Write};
use std::path::Path;

use image::{ImageFormat, Rgba, RgbaImage};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

/// The colours of [`quadrants`]: top left, top right, bottom left, bottom right.
pub(crate) const QUADRANTS: [[u8; 3]; 4] =
    [[200, 60, 40], [40, 190, 60], [50, 70, 210], [210, 200, 40]];

/// Writes `bytes` to `path`, creating its folders.
pub(crate) fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("folder");
    }
    std::fs::write(path, bytes).expect("write");
}

/// A zip of the entries, deflated.
pub(crate) fn pk3_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).expect("start entry");
        zip.write_all(bytes).expect("entry bytes");
    }
    zip.finish().expect("finish zip").into_inner()
}

/// Writes a pk3 of the entries at `path`.
pub(crate) fn pk3(path: &Path, entries: &[(&str, &[u8])]) {
    write(path, &pk3_bytes(entries));
}

/// Rewrites the uncompressed size the zip declares for entry `name`, in its local and central
/// headers: a zip bomb's lie, or a huge claim.
pub(crate) fn declare_size(zip: &mut [u8], name: &str, size: u32) {
    let mut patched = 0;
    let mut i = 0;
    while i + 46 <= zip.len() {
        let sig = u32::from_le_bytes([zip[i], zip[i + 1], zip[i + 2], zip[i + 3]]);
        let u16_at = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]) as usize;
        let (name_at, name_len, size_at) = match sig {
            0x0403_4b50 => (i + 30, u16_at(i + 26), i + 22),
            0x0201_4b50 => (i + 46, u16_at(i + 28), i + 24),
            _ => {
                i += 1;
                continue;
            }
        };
        if zip.get(name_at..name_at + name_len) == Some(name.as_bytes()) {
            zip[size_at..size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
        i += 4;
    }
    assert_eq!(patched, 2, "local and central header of {name}");
}

/// A `w`×`h` image in four flat quadrants of [`QUADRANTS`].
pub(crate) fn quadrants(w: u32, h: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| {
        let q = usize::from(x >= w / 2) + 2 * usize::from(y >= h / 2);
        let [r, g, b] = QUADRANTS[q];
        Rgba([r, g, b, 255])
    })
}

/// The image encoded as `ext` (png, tga, jpg).
pub(crate) fn encode(img: &RgbaImage, ext: &str) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    match ext {
        "png" => img.write_to(&mut out, ImageFormat::Png),
        "tga" => img.write_to(&mut out, ImageFormat::Tga),
        "jpg" => image::DynamicImage::ImageRgba8(img.clone())
            .into_rgb8()
            .write_to(&mut out, ImageFormat::Jpeg),
        other => panic!("no encoder for {other}"),
    }
    .expect("encode");
    out.into_inner()
}

/// An 18-byte uncompressed true-colour TGA header.
pub(crate) fn tga_header(w: u16, h: u16, bits: u8, descriptor: u8) -> Vec<u8> {
    let mut out = vec![0u8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    out.extend_from_slice(&w.to_le_bytes());
    out.extend_from_slice(&h.to_le_bytes());
    out.push(bits);
    out.push(descriptor);
    out
}
