//! The command-map image: found by the engine's extension order, decoded within limits.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, RgbaImage};
use thiserror::Error;

/// The extensions the renderer tries for an image name, in its order (`R_LoadImage`): each one
/// through the whole VFS before the next, so a `.png` anywhere beats a `.tga`.
pub const EXTENSIONS: [&str; 6] = ["png", "tga", "jpg", "jpeg", "pcx", "bmp"];

/// Why an image cannot be used.
#[derive(Debug, Error)]
pub enum ImageError {
    #[error("{ext} images are not supported (png, tga and jpg are)")]
    Unsupported { ext: String },
    #[error("{width}x{height} pixels, over the {limit}-pixel limit per side")]
    TooLarge { width: u32, height: u32, limit: u32 },
    #[error("a {width}x{height} image is empty")]
    Empty { width: u32, height: u32 },
    #[error("cannot decode: {0}")]
    Decode(String),
}

/// The name without its extension (`R_LoadImage` strips it before trying its own).
pub fn strip_extension(name: &str) -> &str {
    match name.rfind('.') {
        Some(dot) if !name[dot..].contains('/') => &name[..dot],
        _ => name,
    }
}

/// Decodes an image file whose name ends in `.ext`, as RGBA. The size is checked from the
/// header before any pixel is decoded, and the decoder's own allocation is capped too.
pub fn decode(
    bytes: &[u8],
    ext: &str,
    max_side: u32,
    max_alloc: u64,
) -> Result<RgbaImage, ImageError> {
    // TGA has no magic number: the format comes from the extension, as in the engine.
    let format = match ext.to_ascii_lowercase().as_str() {
        "png" => ImageFormat::Png,
        "tga" => ImageFormat::Tga,
        "jpg" | "jpeg" => ImageFormat::Jpeg,
        other => {
            return Err(ImageError::Unsupported {
                ext: other.to_string(),
            });
        }
    };
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(max_side);
    limits.max_image_height = Some(max_side);
    limits.max_alloc = Some(max_alloc);
    let reader = || {
        let mut r = ImageReader::with_format(Cursor::new(bytes), format);
        r.limits(limits.clone());
        r
    };
    let (width, height) = match reader().into_dimensions() {
        Ok(d) => d,
        Err(image::ImageError::Limits(_)) => {
            // Read the size without limits only to name it.
            let mut r = ImageReader::with_format(Cursor::new(bytes), format);
            r.no_limits();
            let (width, height) = r
                .into_dimensions()
                .map_err(|e| ImageError::Decode(e.to_string()))?;
            return Err(ImageError::TooLarge {
                width,
                height,
                limit: max_side,
            });
        }
        Err(e) => return Err(ImageError::Decode(e.to_string())),
    };
    if width > max_side || height > max_side {
        return Err(ImageError::TooLarge {
            width,
            height,
            limit: max_side,
        });
    }
    if width == 0 || height == 0 {
        return Err(ImageError::Empty { width, height });
    }
    let image = reader()
        .decode()
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    Ok(image.into_rgba8())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command_map::testfiles::{encode, quadrants, tga_header};

    const LIMIT: u32 = 4096;
    const ALLOC: u64 = 128 << 20;

    #[test]
    fn png_tga_and_jpeg_decode_the_right_way_up() {
        let img = quadrants(8, 4);
        for ext in ["png", "tga"] {
            let bytes = encode(&img, ext);
            let back = decode(&bytes, ext, LIMIT, ALLOC).unwrap();
            assert_eq!(back, img, "{ext}");
        }
        // JPEG is lossy: the quadrants' colours come back close.
        let big = quadrants(64, 32);
        let back = decode(&encode(&big, "jpg"), "JPEG", LIMIT, ALLOC).unwrap();
        assert_eq!(back.dimensions(), (64, 32));
        for (x, y) in [(8, 8), (56, 8), (8, 24), (56, 24)] {
            let (a, b) = (back.get_pixel(x, y).0, big.get_pixel(x, y).0);
            assert!(
                a.iter()
                    .zip(b)
                    .all(|(&p, q)| (p as i32 - q as i32).abs() < 12),
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn a_bottom_up_tga_is_turned_the_right_way() {
        // 2x2, 24-bit, uncompressed, rows stored bottom row first (descriptor bit 5 clear).
        let mut bytes = tga_header(2, 2, 24, 0x00);
        // Bottom row: blue, green; top row: red, white (BGR order).
        bytes.extend_from_slice(&[255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
        let img = decode(&bytes, "tga", LIMIT, ALLOC).unwrap();
        assert_eq!(img.get_pixel(0, 0).0, [255, 0, 0, 255], "top left is red");
        assert_eq!(
            img.get_pixel(1, 1).0,
            [0, 255, 0, 255],
            "bottom right is green"
        );
        // The same rows with bit 5 set are stored top row first.
        bytes[17] = 0x20;
        let img = decode(&bytes, "tga", LIMIT, ALLOC).unwrap();
        assert_eq!(img.get_pixel(0, 0).0, [0, 0, 255, 255], "top left is blue");
    }

    #[test]
    fn huge_corrupt_and_unsupported_images_are_refused_with_the_reason() {
        // A TGA header claiming 65535x65535 pixels (16 GiB) with no pixels after it.
        let huge = tga_header(65535, 65535, 32, 0x20);
        let e = decode(&huge, "tga", LIMIT, ALLOC).unwrap_err();
        assert_eq!(
            e.to_string(),
            "65535x65535 pixels, over the 4096-pixel limit per side"
        );
        // A real PNG over a smaller limit.
        let wide = encode(&quadrants(300, 2), "png");
        let e = decode(&wide, "png", 256, ALLOC).unwrap_err();
        assert_eq!(
            e.to_string(),
            "300x2 pixels, over the 256-pixel limit per side"
        );
        // Within the sides but over the allocation cap.
        let e = decode(&encode(&quadrants(64, 64), "png"), "png", LIMIT, 1000).unwrap_err();
        assert!(
            matches!(e, ImageError::Decode(_) | ImageError::TooLarge { .. }),
            "{e}"
        );
        // Garbage, and a PNG cut short.
        let e = decode(b"definitely not a png", "png", LIMIT, ALLOC).unwrap_err();
        assert!(matches!(e, ImageError::Decode(_)), "{e}");
        let png = encode(&quadrants(64, 64), "png");
        let e = decode(&png[..png.len() / 2], "png", LIMIT, ALLOC).unwrap_err();
        assert!(matches!(e, ImageError::Decode(_)), "{e}");
        // A TGA whose pixels are missing.
        let e = decode(&tga_header(16, 16, 24, 0), "tga", LIMIT, ALLOC).unwrap_err();
        assert!(matches!(e, ImageError::Decode(_)), "{e}");
        let e = decode(b"BM", "bmp", LIMIT, ALLOC).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bmp images are not supported (png, tga and jpg are)"
        );
    }

    #[test]
    fn extensions_are_stripped_from_the_last_part_only() {
        assert_eq!(
            strip_extension("levelshots/goldrush_cc.tga"),
            "levelshots/goldrush_cc"
        );
        assert_eq!(
            strip_extension("levelshots/goldrush_cc"),
            "levelshots/goldrush_cc"
        );
        assert_eq!(
            strip_extension("levels.v2/goldrush_cc"),
            "levels.v2/goldrush_cc"
        );
    }
}
