//! The command-map image under a heatmap: scaled into the map area, over black as the game
//! draws it in limbo, and dimmed so the heat and the labels stand out on it.

use image::RgbaImage;
use image::imageops::{FilterType, resize};

use super::canvas::Canvas;
use super::density::View;

/// Share of a command map's brightness kept under a heatmap.
pub const COMMAND_MAP_DIM: f32 = 0.6;

/// The colour an image pixel is painted as: its RGB over black by its alpha, dimmed.
pub(crate) fn shown([r, g, b, a]: [u8; 4]) -> [f32; 3] {
    let k = f32::from(a) / 255.0 * COMMAND_MAP_DIM;
    [f32::from(r) * k, f32::from(g) * k, f32::from(b) * k]
}

/// Paints `image` into the view's rectangle, scaled to fill it (the view has the image's
/// aspect). A pixel centre of the view samples the image at the same share of its size.
pub(crate) fn paint(canvas: &mut Canvas, view: &View, image: &RgbaImage) {
    let (w, h) = (view.w as u32, view.h as u32);
    if w == 0 || h == 0 || image.width() == 0 || image.height() == 0 {
        return;
    }
    let scaled = resize(image, w, h, FilterType::Triangle);
    let (x0, y0) = (view.x0 as i64, view.y0 as i64);
    for (x, y, p) in scaled.enumerate_pixels() {
        canvas.blend(x0 + i64::from(x), y0 + i64::from(y), shown(p.0), 1.0);
    }
}

#[cfg(test)]
mod tests {
    use image::Rgba;
    use plotters::style::RGBColor;

    use super::*;
    use crate::render::density::Frame;

    #[test]
    fn the_image_fills_the_view_over_black_and_dimmed() {
        let frame = Frame {
            left: 0.0,
            top: 100.0,
            right: 200.0,
            bottom: 0.0,
        };
        let view = View::fit_aspect(frame, (10.0, 10.0, 100.0, 100.0), 2.0);
        assert_eq!(
            (view.x0, view.y0, view.w, view.h),
            (10.0, 35.0, 100.0, 50.0)
        );
        // Left half opaque white, right half half-transparent white.
        let image = RgbaImage::from_fn(4, 2, |x, _| {
            Rgba([255, 255, 255, if x < 2 { 255 } else { 128 }])
        });
        let mut canvas = Canvas::new(120, 120, RGBColor(1, 2, 3));
        paint(&mut canvas, &view, &image);
        let px = |x: usize, y: usize| {
            let i = (y * 120 + x) * 3;
            [canvas.rgb[i], canvas.rgb[i + 1], canvas.rgb[i + 2]]
        };
        assert_eq!(px(20, 60), [153, 153, 153]);
        assert_eq!(px(100, 60), [77, 77, 77]);
        // Outside the view the canvas is untouched.
        assert_eq!(px(20, 30), [1, 2, 3]);
        assert_eq!(px(20, 85), [1, 2, 3]);
        assert_eq!(px(20, 84), [153, 153, 153]);
    }
}
