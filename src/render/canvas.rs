//! Shared drawing plumbing: the embedded font, the colour theme, an RGB canvas that encodes to
//! PNG, text helpers and number formatting.

use std::cell::RefCell;
use std::ops::Deref;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::RenderError;

static FONT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static FONT_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// The one font family every image uses.
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers the embedded DejaVu Sans (regular and bold) as `"sans-serif"`, once per process.
pub(crate) fn ensure_fonts() -> Result<(), RenderError> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_REGULAR)
            .map_err(|_| "DejaVuSans.ttf is not a usable font".to_string())?;
        plotters::style::register_font(FAMILY, FontStyle::Bold, FONT_BOLD)
            .map_err(|_| "DejaVuSans-Bold.ttf is not a usable font".to_string())?;
        Ok(())
    })
    .clone()
    .map_err(RenderError::Font)
}

/// Colours of the dark theme. Text colours keep the readability rule's contrast on every
/// surface (see [`super::readability`]); team colours are for teams only.
pub(crate) mod theme {
    use plotters::style::RGBColor;

    /// Image background (Discord's chat background).
    pub const BG: RGBColor = RGBColor(49, 51, 56);
    /// Panels and alternate rows.
    pub const PANEL: RGBColor = RGBColor(43, 45, 49);
    /// The darkest surface (map area).
    pub const DEEP: RGBColor = RGBColor(30, 31, 34);
    /// Lines and empty bar tracks (never text).
    pub const LINE: RGBColor = RGBColor(64, 66, 73);
    /// Main text.
    pub const TEXT: RGBColor = RGBColor(242, 243, 245);
    /// Secondary text: at least 6:1 on every surface.
    pub const MUTED: RGBColor = RGBColor(181, 186, 193);
    /// Highlights (crossfires, the best duo, objectives).
    pub const YELLOW: RGBColor = RGBColor(254, 231, 92);
    /// Better than the median: teal, so that it is neither a team colour nor the green half of
    /// a red/green pair.
    pub const BETTER: RGBColor = RGBColor(72, 207, 173);
    /// Worse than the median: orange, far in hue from the teal and from both teams.
    pub const WORSE: RGBColor = RGBColor(245, 153, 76);
    /// Axis team, and nothing else.
    pub const AXIS: RGBColor = RGBColor(235, 69, 69);
    /// Allies team, and nothing else.
    pub const ALLIES: RGBColor = RGBColor(66, 145, 245);
    /// Where both teams are (the mix of the two team colours on heatmaps).
    pub const BOTH_TEAMS: RGBColor = RGBColor(170, 90, 220);
    /// Rank 1, 2 and 3 bars.
    pub const GOLD: RGBColor = RGBColor(241, 196, 15);
    pub const SILVER: RGBColor = RGBColor(189, 195, 199);
    pub const BRONZE: RGBColor = RGBColor(205, 127, 50);
    /// Bars below the podium: a neutral slate, not a team blue.
    pub const SLATE: RGBColor = RGBColor(116, 122, 136);
}

/// Font sizes (plotters' size: the font's ascent-to-descent height in pixels) for the
/// 640 px wide images; [`SMALL`](size::SMALL) is the least the readability rule allows there.
pub(crate) mod size {
    /// Secondary lines, column heads, legends.
    pub const SMALL: f64 = 19.0;
    /// Names and labels.
    pub const BODY: f64 = 21.0;
    /// Values next to names.
    pub const VALUE: f64 = 22.0;
    /// Image titles and big numbers.
    pub const TITLE: f64 = 30.0;
}

/// A text style of the embedded font.
pub(crate) fn text(size: f64, bold: bool, colour: RGBColor) -> TextStyle<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    // `FontDesc::style` would keep the regular glyphs (plotters 0.3.7 bug): build it directly.
    TextStyle {
        font: FontDesc::new(FontFamily::Name(FAMILY), size, style),
        color: colour.to_backend_color(),
        pos: Pos::new(HPos::Left, VPos::Top),
    }
}

/// Horizontal / vertical anchors, shorter to write.
pub(crate) fn anchored(style: TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

/// Converts any displayable drawing error into a [`RenderError::Draw`].
pub(crate) fn draw_err<E: std::fmt::Display>(e: E) -> RenderError {
    RenderError::Draw(e.to_string())
}

/// The drawing area every renderer draws on: plotters' area over the canvas buffer, plus the
/// texts drawn on it so far. Text goes through [`put`] / [`put_halo`] only, so that every text
/// is recorded and the readability rule is checked on all of them.
pub(crate) struct Area<'a> {
    inner: DrawingArea<BitMapBackend<'a>, Shift>,
    texts: RefCell<Vec<TextDraw>>,
}

impl<'a> Deref for Area<'a> {
    type Target = DrawingArea<BitMapBackend<'a>, Shift>;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

/// One text as drawn: what the readability rule needs to judge it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TextDraw {
    pub text: String,
    /// Plotters' font size: the font's ascent-to-descent height in image pixels.
    pub size: f64,
    pub bold: bool,
    pub colour: RGBColor,
    /// The outline drawn around the glyphs (text over a heatmap), which is then its background.
    pub halo: Option<RGBColor>,
    /// The x the text is anchored at and which part of it sits there: 0 left, 0.5 centre, 1 right.
    pub x: i32,
    pub align: f64,
    /// The baseline's y.
    pub baseline: i32,
}

/// A finished image: the PNG, which is all the bot posts, and every text drawn on it in
/// drawing order, which the readability test checks.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct Rendered {
    pub width: u32,
    pub height: u32,
    pub png: Vec<u8>,
    pub texts: Vec<TextDraw>,
}

impl Rendered {
    /// The PNG, which is all the bot posts.
    pub fn into_png(self) -> Vec<u8> {
        self.png
    }
}

/// An RGB image buffer of a fixed size.
pub(crate) struct Canvas {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
    texts: Vec<TextDraw>,
}

impl Canvas {
    /// A canvas filled with `bg`.
    pub fn new(width: u32, height: u32, bg: RGBColor) -> Self {
        let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
        for _ in 0..width as usize * height as usize {
            rgb.extend_from_slice(&[bg.0, bg.1, bg.2]);
        }
        Self {
            width,
            height,
            rgb,
            texts: Vec::new(),
        }
    }

    /// Draws with plotters on the buffer (the buffer keeps what was there before).
    pub fn draw<F>(&mut self, f: F) -> Result<(), RenderError>
    where
        F: FnOnce(&Area<'_>) -> Result<(), RenderError>,
    {
        let area = Area {
            inner: BitMapBackend::with_buffer(&mut self.rgb, (self.width, self.height))
                .into_drawing_area(),
            texts: RefCell::new(Vec::new()),
        };
        f(&area)?;
        let Area { inner, texts } = area;
        inner.present().map_err(draw_err)?;
        self.texts.extend(texts.into_inner());
        Ok(())
    }

    /// Blends `colour` over pixel (x, y) with opacity `alpha` (0..1); outside pixels are ignored.
    #[inline]
    pub fn blend(&mut self, x: i64, y: i64, colour: [f32; 3], alpha: f32) {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 {
            return;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        let a = alpha.clamp(0.0, 1.0);
        for (c, &src) in colour.iter().enumerate() {
            let dst = self.rgb[i + c] as f32;
            self.rgb[i + c] = (dst + (src - dst) * a).round().clamp(0.0, 255.0) as u8;
        }
    }

    /// Encodes the buffer as an 8-bit RGB PNG, with the texts drawn.
    pub fn finish(self) -> Result<Rendered, RenderError> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            encoder.set_compression(png::Compression::Fast);
            let mut writer = encoder
                .write_header()
                .map_err(|e| RenderError::Encode(e.to_string()))?;
            writer
                .write_image_data(&self.rgb)
                .map_err(|e| RenderError::Encode(e.to_string()))?;
            writer
                .finish()
                .map_err(|e| RenderError::Encode(e.to_string()))?;
        }
        Ok(Rendered {
            width: self.width,
            height: self.height,
            png: out,
            texts: self.texts,
        })
    }
}

/// Where plotters puts the baseline of text anchored at `y`, as a share of the font size below
/// `y`, after [`put`]'s correction.
fn baseline_offset(v: VPos) -> f64 {
    match v {
        VPos::Top => 0.62,
        VPos::Center => 0.327,
        VPos::Bottom => 0.024,
    }
}

/// Draws `s` at `pos` with `style`.
///
/// The vertical anchor is corrected for how plotters places ab_glyph text (about a quarter of
/// the font size too high): `VPos::Top` puts the top of capitals at `pos.1`, `VPos::Center` the
/// middle of capitals and digits, `VPos::Bottom` the baseline.
pub(crate) fn put(
    area: &Area<'_>,
    s: &str,
    style: &TextStyle<'static>,
    pos: (i32, i32),
) -> Result<(), RenderError> {
    put_recorded(area, s, style, pos, None)
}

fn put_recorded(
    area: &Area<'_>,
    s: &str,
    style: &TextStyle<'static>,
    pos: (i32, i32),
    halo: Option<RGBColor>,
) -> Result<(), RenderError> {
    if s.is_empty() {
        return Ok(());
    }
    draw_plain(area, s, style, pos)?;
    let size = style.font.get_size();
    let c = style.color.rgb;
    area.texts.borrow_mut().push(TextDraw {
        text: s.to_string(),
        size,
        bold: matches!(style.font.get_style(), FontStyle::Bold),
        colour: RGBColor(c.0, c.1, c.2),
        halo,
        x: pos.0,
        align: match style.pos.h_pos {
            HPos::Left => 0.0,
            HPos::Center => 0.5,
            HPos::Right => 1.0,
        },
        baseline: pos.1 + (size * baseline_offset(style.pos.v_pos)).round() as i32,
    });
    Ok(())
}

/// Draws without recording (the halo's copies are outline, not text).
fn draw_plain(
    area: &Area<'_>,
    s: &str,
    style: &TextStyle<'static>,
    pos: (i32, i32),
) -> Result<(), RenderError> {
    let k = match style.pos.v_pos {
        VPos::Top => 0.12,
        VPos::Center => 0.23,
        VPos::Bottom => 0.33,
    };
    let dy = (style.font.get_size() * k).round() as i32;
    area.inner
        .draw_text(s, style, (pos.0, pos.1 + dy))
        .map_err(draw_err)
}

/// Draws `s` with a dark outline so it stays readable over a heatmap.
pub(crate) fn put_halo(
    area: &Area<'_>,
    s: &str,
    style: &TextStyle<'static>,
    pos: (i32, i32),
) -> Result<(), RenderError> {
    if s.is_empty() {
        return Ok(());
    }
    let halo = TextStyle {
        color: theme::DEEP.to_backend_color(),
        ..style.clone()
    };
    for (dx, dy) in [
        (-1, -1),
        (1, -1),
        (-1, 1),
        (1, 1),
        (0, 2),
        (2, 0),
        (0, -2),
        (-2, 0),
    ] {
        draw_plain(area, s, &halo, (pos.0 + dx, pos.1 + dy))?;
    }
    put_recorded(area, s, style, pos, Some(theme::DEEP))
}

/// Width in pixels of `s` drawn with `style`.
pub(crate) fn text_width(area: &Area<'_>, s: &str, style: &TextStyle<'static>) -> u32 {
    if s.is_empty() {
        return 0;
    }
    area.estimate_text_size(s, style)
        .map(|(w, _)| w)
        .unwrap_or(0)
}

/// `s` shortened with an ellipsis so that it fits in `max_width` pixels.
pub(crate) fn fit(area: &Area<'_>, s: &str, style: &TextStyle<'static>, max_width: u32) -> String {
    if text_width(area, s, style) <= max_width {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let (mut lo, mut hi) = (0usize, chars.len());
    // Largest prefix length whose "prefix…" fits.
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let candidate: String = chars[..mid].iter().collect::<String>() + "…";
        if text_width(area, &candidate, style) <= max_width {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    chars[..lo]
        .iter()
        .collect::<String>()
        .trim_end()
        .to_string()
        + "…"
}

/// Longest name shown anywhere, in characters, before pixel fitting.
pub(crate) const MAX_NAME_CHARS: usize = 32;

/// A raw player name as people should read it: colour codes stripped, at most
/// [`MAX_NAME_CHARS`] characters, `(unnamed)` when nothing is left.
pub(crate) fn display_name(raw: &[u8]) -> String {
    let clean = crate::names::clean_name(raw);
    if clean.is_empty() {
        return "(unnamed)".to_string();
    }
    if clean.chars().count() > MAX_NAME_CHARS {
        let cut: String = clean.chars().take(MAX_NAME_CHARS - 1).collect();
        return cut.trim_end().to_string() + "…";
    }
    clean
}

/// Decimals that suit a number of this size: none for whole numbers and from 100 up, one from
/// 10 up, two below.
pub(crate) fn decimals_for(v: f64) -> usize {
    if v == v.trunc() {
        0
    } else {
        decimals_for_size(v)
    }
}

/// Decimals by size alone: none from 100 up, one from 10 up, two below.
pub(crate) fn decimals_for_size(v: f64) -> usize {
    match v.abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        _ => 2,
    }
}

/// Formats a number for people: thousands separators, fewer decimals for bigger numbers.
pub(crate) fn fmt_num(v: f64) -> String {
    fmt_num_with(v, decimals_for(v))
}

/// Formats a number with thousands separators and a fixed number of decimals.
pub(crate) fn fmt_num_with(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "—".to_string();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A formatted number followed by its unit (`"%"` and `"/…"` stick to the number, other
/// units get a space).
pub(crate) fn with_unit(n: String, unit: &str) -> String {
    match unit.trim() {
        "" => n,
        u if u.starts_with('%') || u.starts_with('/') => format!("{n}{u}"),
        u => format!("{n} {u}"),
    }
}

/// A count, shortened from 10,000 on: `9,999`, `12.3k`, `4.6M`.
pub(crate) fn fmt_compact(v: i64) -> String {
    let a = v.unsigned_abs() as f64;
    let sign = if v < 0 { "-" } else { "" };
    if a >= 999_950.0 {
        format!("{sign}{:.1}M", a / 1e6)
    } else if a >= 10_000.0 {
        format!("{sign}{:.1}k", a / 1e3)
    } else {
        fmt_int(v)
    }
}

/// An integer with thousands separators.
pub(crate) fn fmt_int(v: i64) -> String {
    fmt_num(v as f64)
}

/// Milliseconds as `m:ss` (or `h:mm:ss`).
pub(crate) fn fmt_duration_ms(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Draws the "No data" notice centred in the rectangle.
pub(crate) fn no_data(
    area: &Area<'_>,
    rect: ((i32, i32), (i32, i32)),
    hint: &str,
) -> Result<(), RenderError> {
    let cx = (rect.0.0 + rect.1.0) / 2;
    let cy = (rect.0.1 + rect.1.1) / 2;
    put(
        area,
        "No data",
        &anchored(
            text(size::TITLE, true, theme::MUTED),
            HPos::Center,
            VPos::Center,
        ),
        (cx, cy - 18),
    )?;
    let style = anchored(
        text(size::SMALL, false, theme::MUTED),
        HPos::Center,
        VPos::Center,
    );
    let hint = fit(
        area,
        hint,
        &style,
        (rect.1.0 - rect.0.0 - 24).max(40) as u32,
    );
    put(area, &hint, &style, (cx, cy + 22))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_rounded() {
        assert_eq!(fmt_num(1234567.0), "1,234,567");
        assert_eq!(fmt_num(123.456), "123");
        assert_eq!(fmt_num(12.345), "12.3");
        assert_eq!(fmt_num(1.234), "1.23");
        assert_eq!(fmt_num(3.0), "3");
        assert_eq!(fmt_num(12.0), "12");
        assert_eq!(fmt_num_with(9.0, 1), "9.0");
        assert_eq!(with_unit(fmt_num(2.1), "/round"), "2.10/round");
        assert_eq!(fmt_compact(9_999), "9,999");
        assert_eq!(fmt_compact(12_345), "12.3k");
        assert_eq!(fmt_compact(1_000_000), "1.0M");
        assert_eq!(fmt_num(-1500.0), "-1,500");
        assert_eq!(fmt_num(f64::NAN), "—");
        assert_eq!(with_unit(fmt_num(42.5), "%"), "42.5%");
        assert_eq!(with_unit(fmt_num(310.0), "u/s"), "310 u/s");
        assert_eq!(fmt_duration_ms(754_000), "12:34");
        assert_eq!(fmt_duration_ms(3_723_000), "1:02:03");
    }

    #[test]
    fn text_is_centred_on_its_anchor() {
        ensure_fonts().unwrap();
        for size in [14.0, 20.0, 34.0] {
            let mut c = Canvas::new(200, 200, RGBColor(0, 0, 0));
            c.draw(|a| {
                let style = anchored(text(size, false, theme::TEXT), HPos::Left, VPos::Center);
                put(a, "H0H", &style, (10, 100))
            })
            .unwrap();
            let rows: Vec<usize> = (0..200)
                .filter(|y| (0..200).any(|x| c.rgb[(y * 200 + x) * 3] > 128))
                .collect();
            let mid = (rows[0] + rows[rows.len() - 1]) as f64 / 2.0;
            assert!((mid - 100.0).abs() <= 1.5, "size {size}: rows {rows:?}");
        }
    }

    /// Hue in degrees and saturation (HSV) of a colour.
    fn hue_sat(c: RGBColor) -> (f64, f64) {
        let [r, g, b] = [c.0, c.1, c.2].map(|v| f64::from(v) / 255.0);
        let (max, min) = (r.max(g).max(b), r.min(g).min(b));
        let d = max - min;
        let hue = if d == 0.0 {
            0.0
        } else if max == r {
            60.0 * ((g - b) / d).rem_euclid(6.0)
        } else if max == g {
            60.0 * ((b - r) / d + 2.0)
        } else {
            60.0 * ((r - g) / d + 4.0)
        };
        (hue, if max == 0.0 { 0.0 } else { d / max })
    }

    #[test]
    fn team_hues_are_for_teams_only() {
        // Every other coloured (not grey) theme colour is at least 25° of hue from both teams,
        // so red never means "worse" and blue never means anything but Allies.
        let teams = [hue_sat(theme::AXIS).0, hue_sat(theme::ALLIES).0];
        for c in [
            theme::BETTER,
            theme::WORSE,
            theme::YELLOW,
            theme::GOLD,
            theme::BRONZE,
            theme::SLATE,
            theme::SILVER,
            theme::MUTED,
        ] {
            let (hue, sat) = hue_sat(c);
            if sat < 0.25 {
                continue;
            }
            for team in teams {
                let d = (hue - team).abs();
                let d = d.min(360.0 - d);
                assert!(d >= 25.0, "{c:?} is {d:.0}° from a team colour");
            }
        }
    }

    #[test]
    fn names_are_cleaned_and_capped() {
        assert_eq!(display_name(b"^1Red^7Ace"), "RedAce");
        assert_eq!(display_name(b"^1^2"), "(unnamed)");
        let long = display_name(&[b'x'; 60]);
        assert_eq!(long.chars().count(), MAX_NAME_CHARS);
        assert!(long.ends_with('…'));
    }
}
