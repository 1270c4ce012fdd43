//! The readability rule every image keeps, for the size Discord shows it at.
//!
//! Discord shows an inline image about [`DISPLAY_WIDTH`] (360) px wide on a phone, whatever the
//! image's own width, so every size below is scaled by `360 / image width`. The rule:
//!
//! 1. **Size.** The em of every text, at display width, is at least [`MIN_DISPLAY_EM`] (9) px:
//!    `size × EM_PER_SIZE × 360 / image width ≥ 9`, where `size` is the font size as plotters
//!    takes it (DejaVu Sans' ascent-to-descent height, 2384 font units) and [`EM_PER_SIZE`] is
//!    2048 / 2384 (an em is 2048 units). At the 640 px every image has, that is a size of at
//!    least 18.625 ([`min_font_size`]); a capital letter is then 6.6 px tall on the phone.
//! 2. **Contrast.** Every text colour has a WCAG 2 contrast ratio ([`contrast_ratio`]) of at
//!    least [`MIN_CONTRAST`] (4.5:1) against what it is drawn on: the halo colour for outlined
//!    text over a heatmap, otherwise the commonest colour inside the text's box in the finished
//!    image.
//!
//! The canvas records every text it draws, so the rule is checked on the images themselves: a
//! test renders every image kind with long names and many rows and checks every text (and that
//! no text leaves the image or covers another).

/// Width in pixels at which Discord shows an inline image on a phone.
pub const DISPLAY_WIDTH: f64 = 360.0;
/// The least em, in pixels at display width, any text may have.
pub const MIN_DISPLAY_EM: f64 = 9.0;
/// DejaVu Sans' em as a share of the font size plotters takes (units per em / ascent − descent).
pub const EM_PER_SIZE: f64 = 2048.0 / 2384.0;
/// WCAG 2's least contrast ratio for normal text (level AA).
pub const MIN_CONTRAST: f64 = 4.5;

/// The em, in pixels at display width, of text of plotters size `size` in an image `width` wide.
pub fn display_em(size: f64, width: u32) -> f64 {
    size * EM_PER_SIZE * DISPLAY_WIDTH / f64::from(width)
}

/// The least plotters font size that keeps the size rule in an image `width` pixels wide.
pub fn min_font_size(width: u32) -> f64 {
    MIN_DISPLAY_EM / EM_PER_SIZE * f64::from(width) / DISPLAY_WIDTH
}

/// WCAG 2 relative luminance of an sRGB colour.
pub fn relative_luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG 2 contrast ratio of two colours, from 1 (same) to 21 (black on white).
pub fn contrast_ratio(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (relative_luminance(a), relative_luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
pub(crate) use check::violations;

#[cfg(test)]
mod check {
    use std::collections::HashMap;

    use plotters::style::{FontDesc, FontFamily, FontStyle};

    use super::*;
    use crate::render::canvas::{FAMILY, Rendered, TextDraw};
    use crate::render::testutil::Image;

    /// A pixel box: left, top, right, bottom (right and bottom exclusive).
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Box2 {
        pub x0: i32,
        pub y0: i32,
        pub x1: i32,
        pub y1: i32,
    }

    impl Box2 {
        fn overlaps(&self, o: &Box2) -> bool {
            self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
        }
    }

    /// The text's line box: its advance width, and the font's ascent above and descent below
    /// the baseline (together exactly the font size).
    fn bounds(t: &TextDraw) -> Box2 {
        let style = if t.bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        let font = FontDesc::new(FontFamily::Name(FAMILY), t.size, style);
        let w = font.box_size(&t.text).map(|(w, _)| w as f64).unwrap_or(0.0);
        let x0 = (t.x as f64 - t.align * w).round() as i32;
        let ascent = (t.size * 1901.0 / 2384.0).round() as i32;
        Box2 {
            x0,
            y0: t.baseline - ascent,
            x1: x0 + w.round() as i32,
            y1: t.baseline + (t.size - ascent as f64).round() as i32,
        }
    }

    /// What the text is drawn on: its halo, or the commonest colour in its box.
    fn background(img: &Image, t: &TextDraw, b: Box2) -> (u8, u8, u8) {
        if let Some(h) = t.halo {
            return (h.0, h.1, h.2);
        }
        let mut counts: HashMap<[u8; 3], usize> = HashMap::new();
        for y in b.y0.max(0)..b.y1.min(img.height as i32) {
            for x in b.x0.max(0)..b.x1.min(img.width as i32) {
                *counts.entry(img.pixel(x as u32, y as u32)).or_default() += 1;
            }
        }
        let best = counts
            .into_iter()
            .max_by_key(|&(c, n)| (n, c))
            .map(|(c, _)| c)
            .unwrap_or([0, 0, 0]);
        (best[0], best[1], best[2])
    }

    /// Every way the image breaks the rule, one line each; empty when it keeps it. Also
    /// reported: text outside the image and texts whose boxes overlap.
    pub(crate) fn violations(r: &Rendered) -> Vec<String> {
        let img = Image::decode(&r.png);
        let mut out = Vec::new();
        let boxes: Vec<Box2> = r.texts.iter().map(bounds).collect();
        for (t, &b) in r.texts.iter().zip(&boxes) {
            let em = display_em(t.size, r.width);
            if em < MIN_DISPLAY_EM {
                out.push(format!("{:?}: em {em:.2} px at display width", t.text));
            }
            let bg = background(&img, t, b);
            let c = (t.colour.0, t.colour.1, t.colour.2);
            let ratio = contrast_ratio(c, bg);
            if ratio < MIN_CONTRAST {
                out.push(format!(
                    "{:?}: contrast {ratio:.2} of {c:?} on {bg:?}",
                    t.text
                ));
            }
            if b.x0 < 0 || b.y0 < 0 || b.x1 > r.width as i32 || b.y1 > r.height as i32 {
                out.push(format!("{:?}: {b:?} leaves the image", t.text));
            }
        }
        for i in 0..boxes.len() {
            for j in i + 1..boxes.len() {
                if boxes[i].overlaps(&boxes[j]) {
                    out.push(format!(
                        "{:?} {:?} overlaps {:?} {:?}",
                        r.texts[i].text, boxes[i], r.texts[j].text, boxes[j]
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use plotters::style::RGBColor;
    use plotters::style::text_anchor::{HPos, VPos};

    use super::*;
    use crate::render::canvas::{Canvas, anchored, ensure_fonts, put, size, text, theme};
    use crate::render::samples;
    use crate::render::testutil::save;

    #[test]
    fn the_rule_in_numbers() {
        assert!((min_font_size(640) - 18.625).abs() < 1e-9);
        assert!((display_em(19.0, 640) - 9.18).abs() < 0.01);
        assert!(size::SMALL >= min_font_size(640));
        // WCAG's own examples: black on white is 21:1, a colour on itself 1:1.
        assert!((contrast_ratio((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 1e-9);
        assert_eq!(contrast_ratio((49, 51, 56), (49, 51, 56)), 1.0);
        // The old hint grey was 3.4:1 on the background: below the rule.
        assert!((contrast_ratio((128, 132, 142), (49, 51, 56)) - 3.38).abs() < 0.01);
    }

    #[test]
    fn text_colours_keep_the_contrast_on_every_surface() {
        let rgb = |c: RGBColor| (c.0, c.1, c.2);
        for colour in [
            theme::TEXT,
            theme::MUTED,
            theme::YELLOW,
            theme::BETTER,
            theme::WORSE,
        ] {
            for surface in [theme::BG, theme::PANEL, theme::DEEP] {
                let ratio = contrast_ratio(rgb(colour), rgb(surface));
                assert!(
                    ratio >= MIN_CONTRAST,
                    "{colour:?} on {surface:?}: {ratio:.2}"
                );
            }
        }
    }

    #[test]
    fn em_per_size_is_what_the_font_draws() {
        // A capital H (cap height 1493 of 2048 units per em) of size 100 is 62.6 px tall.
        ensure_fonts().unwrap();
        let mut c = Canvas::new(200, 200, RGBColor(0, 0, 0));
        c.draw(|a| {
            let style = anchored(text(100.0, false, theme::TEXT), HPos::Left, VPos::Center);
            put(a, "H", &style, (20, 100))
        })
        .unwrap();
        let rows: Vec<usize> = (0..200)
            .filter(|y| (0..200).any(|x| c.rgb[(y * 200 + x) * 3] > 128))
            .collect();
        let height = (rows[rows.len() - 1] - rows[0] + 1) as f64;
        let expected = 100.0 * EM_PER_SIZE * 1493.0 / 2048.0;
        assert!((height - expected).abs() <= 1.0, "{height} vs {expected}");
    }

    #[test]
    fn every_image_keeps_the_rule() {
        let images = samples::every_image();
        let kinds: Vec<&str> = images.iter().map(|(name, _)| *name).collect();
        assert_eq!(kinds.len(), samples::IMAGE_COUNT, "{kinds:?}");
        for (name, rendered) in &images {
            save(&format!("{name}.png"), &rendered.png);
            assert!(rendered.texts.len() >= 3, "{name} records its texts");
            let problems = violations(rendered);
            assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
        }
    }

    #[test]
    fn a_breach_is_reported() {
        ensure_fonts().unwrap();
        let mut c = Canvas::new(640, 100, theme::BG);
        c.draw(|a| {
            put(a, "tiny", &text(14.0, false, theme::TEXT), (10, 10))?;
            put(
                a,
                "faint",
                &text(20.0, false, RGBColor(128, 132, 142)),
                (300, 10),
            )?;
            put(a, "cut off", &text(20.0, false, theme::TEXT), (600, 10))
        })
        .unwrap();
        let problems = violations(&c.finish().unwrap());
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(
            problems[0].starts_with("\"tiny\": em 6.77"),
            "{problems:#?}"
        );
        assert!(
            problems[1].starts_with("\"faint\": contrast 3.38"),
            "{problems:#?}"
        );
        assert!(problems[2].starts_with("\"cut off\""), "{problems:#?}");
    }
}
