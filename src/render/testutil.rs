//! Test helpers: decode PNGs and look at pixels.

use std::io::Cursor;

/// A decoded 8-bit RGB image.
pub(crate) struct Image {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl Image {
    /// Decodes an 8-bit RGB PNG (what the renderers write).
    pub fn decode(png_bytes: &[u8]) -> Self {
        let decoder = png::Decoder::new(Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
        let info = reader.next_frame(&mut buf).expect("PNG frame");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        buf.truncate(info.buffer_size());
        Self {
            width: info.width,
            height: info.height,
            rgb: buf,
        }
    }

    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// The brightest pixel (sum of channels) in the inclusive rectangle; the first on ties.
    pub fn brightest(&self, (x0, y0): (i32, i32), (x1, y1): (i32, i32)) -> (u32, u32) {
        let mut best = (0, 0, -1i32);
        for y in y0.max(0)..=y1.min(self.height as i32 - 1) {
            for x in x0.max(0)..=x1.min(self.width as i32 - 1) {
                let p = self.pixel(x as u32, y as u32);
                let v = p.iter().map(|&c| c as i32).sum::<i32>();
                if v > best.2 {
                    best = (x as u32, y as u32, v);
                }
            }
        }
        (best.0, best.1)
    }

    /// Pixels brighter than mid-grey in the inclusive rectangle (text, highlights).
    pub fn count_bright(&self, (x0, y0): (u32, u32), (x1, y1): (u32, u32)) -> usize {
        let mut n = 0;
        for y in y0..=y1.min(self.height - 1) {
            for x in x0..=x1.min(self.width - 1) {
                if self.pixel(x, y).iter().all(|&c| c > 150) {
                    n += 1;
                }
            }
        }
        n
    }

    /// Length of the run of pixels close to `colour` along row `y`, starting at `x0`.
    pub fn run_of(&self, y: u32, x0: u32, colour: [u8; 3]) -> u32 {
        let mut x = x0;
        while x < self.width && close(self.pixel(x, y), colour, 12) {
            x += 1;
        }
        x - x0
    }
}

impl Image {
    /// The rightmost x in `x0..=x1` on row `y` whose pixel is close to `colour`.
    pub fn last_of(&self, y: u32, x0: u32, x1: u32, colour: [u8; 3]) -> Option<u32> {
        (x0..=x1.min(self.width - 1))
            .rev()
            .find(|&x| close(self.pixel(x, y), colour, 12))
    }
}

/// A theme colour as the pixel it paints.
pub(crate) fn rgb(c: plotters::style::RGBColor) -> [u8; 3] {
    [c.0, c.1, c.2]
}

/// Whether two colours differ by at most `tol` in every channel.
pub(crate) fn close(a: [u8; 3], b: [u8; 3], tol: i32) -> bool {
    a.iter()
        .zip(b.iter())
        .all(|(&x, &y)| (x as i32 - y as i32).abs() <= tol)
}

/// Writes the PNG to `$PROXIMITY_RENDER_OUT/<name>` when that variable is set, for looking at
/// the images by eye; does nothing otherwise.
pub(crate) fn save(name: &str, png_bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("PROXIMITY_RENDER_OUT") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("output folder");
        std::fs::write(dir.join(name), png_bytes).expect("write sample");
    }
}
