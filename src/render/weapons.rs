//! `/weapons`: each weapon's shots, accuracy, headshots and kills, and where its hits landed.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::RenderError;
use super::canvas::{
    Area, Canvas, Rendered, anchored, draw_err, ensure_fonts, fit, fmt_compact, no_data, put, size,
    text, theme,
};
use super::leaderboard::header;

/// Weapons image width in pixels.
pub const WEAPONS_WIDTH: u32 = 640;
/// Weapons shown at most (most kills first); the rest are left out.
pub const WEAPONS_MAX_ROWS: usize = 12;
const HEADER: i32 = 150;
const ROW: i32 = 84;
const LEFT: i32 = 20;
const RIGHT: i32 = WEAPONS_WIDTH as i32 - 28;
/// The hit-region bar: from LEFT, this long.
const BAR_LEN: i32 = 420;

/// The regions' colours, in the engine's order: head, arms, body, legs.
pub const REGION_COLOURS: [RGBColor; 4] = [theme::GOLD, theme::BETTER, theme::ALLIES, theme::WORSE];
const REGION_NAMES: [&str; 4] = ["head", "arms", "body", "legs"];

/// Weapons image height for `rows` weapons (at least one, at most [`WEAPONS_MAX_ROWS`]).
pub fn weapons_height(rows: usize) -> u32 {
    (HEADER + 10 + ROW * rows.clamp(1, WEAPONS_MAX_ROWS) as i32) as u32
}

/// One weapon's use.
#[derive(Clone, Debug, PartialEq)]
pub struct WeaponLine {
    pub name: String,
    pub shots: i64,
    pub hits: i64,
    pub kills: i64,
    pub headshots: i64,
    /// Hits by region: head, arms, body, legs; all 0 when not recorded.
    pub regions: [i64; 4],
    /// Whether the weapon fires aimed bullets (accuracy and headshots mean something).
    pub bullets: bool,
}

impl WeaponLine {
    /// Hits per shot in percent, bullet weapons with shots only.
    pub fn accuracy_pct(&self) -> Option<f64> {
        (self.bullets && self.shots > 0).then(|| 100.0 * self.hits as f64 / self.shots as f64)
    }

    /// Headshots per hit in percent, bullet weapons with hits only.
    pub fn headshot_pct(&self) -> Option<f64> {
        (self.bullets && self.hits > 0).then(|| 100.0 * self.headshots as f64 / self.hits as f64)
    }

    /// "1,234 shots · 31.2% accuracy · 12.0% headshots", the line the image and embed share.
    pub fn figures_text(&self) -> String {
        let mut parts = vec![format!("{} shots", fmt_compact(self.shots))];
        match (self.accuracy_pct(), self.headshot_pct()) {
            (Some(a), Some(h)) => {
                parts.push(format!("{a:.1}% accuracy"));
                parts.push(format!("{h:.1}% headshots"));
            }
            (Some(a), None) => parts.push(format!("{a:.1}% accuracy")),
            _ => parts.push(format!("{} hits", fmt_compact(self.hits))),
        }
        parts.join(" · ")
    }

    /// "4 kills", "1 kill".
    pub fn kills_text(&self) -> String {
        match self.kills {
            1 => "1 kill".to_string(),
            k => format!("{} kills", fmt_compact(k)),
        }
    }
}

/// Everything the weapons image shows.
#[derive(Clone, Debug, PartialEq)]
pub struct WeaponsInput {
    pub title: String,
    pub subtitle: String,
    /// In display order (the query's: most kills first).
    pub rows: Vec<WeaponLine>,
}

/// Draws the weapons image, [`WEAPONS_WIDTH`] × [`weapons_height`]`(rows)`: per weapon its
/// name and kills, its shots, accuracy and headshot share, and a bar split by where its hits
/// landed (head gold, arms teal, body blue, legs orange), or why there is none.
pub fn render_weapons(input: &WeaponsInput) -> Result<Vec<u8>, RenderError> {
    weapons(input).map(Rendered::into_png)
}

pub(crate) fn weapons(input: &WeaponsInput) -> Result<Rendered, RenderError> {
    ensure_fonts()?;
    let rows = &input.rows[..input.rows.len().min(WEAPONS_MAX_ROWS)];
    let height = weapons_height(rows.len());
    let mut canvas = Canvas::new(WEAPONS_WIDTH, height, theme::BG);
    canvas.draw(|area| {
        header(
            area,
            &input.title,
            input.subtitle.trim(),
            "Most kills first · accuracy and headshots over bullet weapons",
        )?;
        legend(area, 124)?;
        if rows.is_empty() {
            return no_data(
                area,
                ((0, HEADER - 10), (WEAPONS_WIDTH as i32, height as i32)),
                "",
            );
        }
        for (i, line) in rows.iter().enumerate() {
            weapon_row(area, HEADER + ROW * i as i32, i, line)?;
        }
        Ok(())
    })?;
    canvas.finish()
}

fn legend(area: &Area<'_>, y: i32) -> Result<(), RenderError> {
    let style = anchored(
        text(size::SMALL, false, theme::MUTED),
        HPos::Left,
        VPos::Center,
    );
    put(area, "Hits landed:", &style, (LEFT, y))?;
    let mut x = LEFT + 130;
    for (colour, name) in REGION_COLOURS.iter().zip(REGION_NAMES) {
        area.draw(&Rectangle::new(
            [(x, y - 7), (x + 14, y + 7)],
            colour.filled(),
        ))
        .map_err(draw_err)?;
        put(area, name, &style, (x + 20, y))?;
        x += 96;
    }
    Ok(())
}

/// The widths of the region bar's four parts, adding up to the bar's length (the rounding goes
/// to the last non-empty part); all 0 without regions.
pub fn region_widths(regions: [i64; 4], len: i32) -> [i32; 4] {
    let total: i64 = regions.iter().sum();
    if total <= 0 {
        return [0; 4];
    }
    let mut widths = regions.map(|n| (n as f64 / total as f64 * f64::from(len)).floor() as i32);
    let rest = len - widths.iter().sum::<i32>();
    if let Some(last) = (0..4).rev().find(|&i| regions[i] > 0) {
        widths[last] += rest;
    }
    widths
}

fn weapon_row(area: &Area<'_>, y: i32, index: usize, line: &WeaponLine) -> Result<(), RenderError> {
    let (line1, line2, line3) = (y + 18, y + 44, y + 68);
    if index.is_multiple_of(2) {
        area.draw(&Rectangle::new(
            [(10, y + 1), (WEAPONS_WIDTH as i32 - 10, y + ROW - 1)],
            theme::PANEL.filled(),
        ))
        .map_err(draw_err)?;
    }
    let value_style = anchored(
        text(size::VALUE, true, theme::TEXT),
        HPos::Right,
        VPos::Center,
    );
    let kills = fit(area, &line.kills_text(), &value_style, 180);
    put(area, &kills, &value_style, (RIGHT, line1))?;
    let name_style = anchored(
        text(size::BODY, true, theme::TEXT),
        HPos::Left,
        VPos::Center,
    );
    let name = fit(area, &line.name, &name_style, 360);
    put(area, &name, &name_style, (LEFT, line1))?;
    let small = anchored(
        text(size::SMALL, false, theme::MUTED),
        HPos::Left,
        VPos::Center,
    );
    let figures = fit(area, &line.figures_text(), &small, (RIGHT - LEFT) as u32);
    put(area, &figures, &small, (LEFT, line2))?;

    let widths = region_widths(line.regions, BAR_LEN);
    if widths == [0; 4] {
        let why = if line.bullets {
            "hit regions not recorded"
        } else {
            "no hit regions (not a bullet weapon)"
        };
        return put(area, why, &small, (LEFT, line3));
    }
    let mut x = LEFT;
    for (w, colour) in widths.iter().zip(REGION_COLOURS) {
        if *w > 0 {
            area.draw(&Rectangle::new(
                [(x, line3 - 6), (x + w, line3 + 6)],
                colour.filled(),
            ))
            .map_err(draw_err)?;
        }
        x += w;
    }
    let head = line.regions[0] as f64 / line.regions.iter().sum::<i64>() as f64 * 100.0;
    let right = anchored(
        text(size::SMALL, false, theme::MUTED),
        HPos::Right,
        VPos::Center,
    );
    put(area, &format!("{head:.0}% head"), &right, (RIGHT, line3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testutil::{Image, close, rgb, save};

    fn line(name: &str, regions: [i64; 4], bullets: bool) -> WeaponLine {
        WeaponLine {
            name: name.into(),
            shots: 1200,
            hits: regions.iter().sum(),
            kills: 14,
            headshots: regions[0],
            regions,
            bullets,
        }
    }

    #[test]
    fn region_widths_fill_the_bar_in_proportion() {
        assert_eq!(region_widths([1, 1, 2, 0], 400), [100, 100, 200, 0]);
        assert_eq!(region_widths([1, 1, 1, 0], 400), [133, 133, 134, 0]);
        assert_eq!(region_widths([0; 4], 400), [0; 4]);
    }

    #[test]
    fn each_region_gets_its_colour_in_proportion_to_its_hits() {
        let input = WeaponsInput {
            title: "Weapons · ^1Red^7Baron".into(),
            subtitle: "all maps, all time".into(),
            rows: vec![
                line("Thompson", [10, 10, 20, 0], true),
                line("Panzerfaust", [0; 4], false),
                line("MP40", [0; 4], true),
            ],
        };
        let r = weapons(&input).unwrap();
        save("weapons.png", &r.png);
        let img = Image::decode(&r.png);
        assert_eq!(img.height, weapons_height(3));
        let y = (HEADER + 68) as u32;
        // Head: the first quarter, arms the second, body the second half.
        for (x, colour) in [(LEFT + 50, 0), (LEFT + 150, 1), (LEFT + 300, 2)] {
            assert!(
                close(img.pixel(x as u32, y), rgb(REGION_COLOURS[colour]), 2),
                "x {x}"
            );
        }
        assert!(close(
            img.pixel((LEFT + BAR_LEN + 6) as u32, y),
            rgb(theme::PANEL),
            2
        ));
        let texts: Vec<&str> = r.texts.iter().map(|t| t.text.as_str()).collect();
        for expected in [
            "1,200 shots · 3.3% accuracy · 25.0% headshots",
            "25% head",
            "no hit regions (not a bullet weapon)",
            "hit regions not recorded",
            "14 kills",
        ] {
            assert!(texts.contains(&expected), "{expected}: {texts:?}");
        }
    }
}
