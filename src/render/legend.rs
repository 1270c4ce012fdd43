//! What a heatmap's spots and colours mean, in words and swatches: shared by the heatmap and
//! the round card's kill map, so both say the same thing.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::RenderError;
use super::canvas::{Area, anchored, draw_err, put, size, text, text_width, theme};
use super::density::{heat_colour, team_heat_colour};
use crate::heat::HeatKind;

/// What a spot is: the kill map shows where the victims fell, not where the killers stood.
pub(crate) fn spot_meaning(kind: HeatKind) -> &'static str {
    match kind {
        HeatKind::Kills => "Each spot: where a victim fell",
        HeatKind::Deaths => "Each spot: where a player died",
        HeatKind::Movement => "Each spot: where players were",
    }
}

/// What a spot's colour is.
pub(crate) fn colour_meaning(kind: HeatKind) -> &'static str {
    match kind {
        HeatKind::Kills => "Colour: the killer's team",
        HeatKind::Deaths => "Colour: the team of the player who died",
        HeatKind::Movement => "Colour: time spent there",
    }
}

/// Width of one swatch.
const SWATCH: i32 = 44;

/// A swatch of the colour scale: from nothing (the map's panel) to the peak colour.
fn swatch(
    area: &Area<'_>,
    (x, cy): (i32, i32),
    w: i32,
    colour: impl Fn(f32) -> [f32; 3],
) -> Result<(), RenderError> {
    let (y0, y1) = (cy - 8, cy + 8);
    for i in 0..w {
        let s = (i as f32 + 0.5) / w as f32;
        // The same opacity ramp the density painter uses.
        let alpha = (s / 0.3).min(1.0);
        let c = colour(s);
        let bg = theme::DEEP;
        let mix = |c: f32, b: u8| (b as f32 + (c - b as f32) * alpha).round() as u8;
        let rgb = RGBColor(mix(c[0], bg.0), mix(c[1], bg.1), mix(c[2], bg.2));
        area.draw(&Rectangle::new(
            [(x + i, y0), (x + i + 1, y1)],
            rgb.filled(),
        ))
        .map_err(draw_err)?;
    }
    area.draw(&Rectangle::new(
        [(x, y0), (x + w, y1)],
        theme::LINE.stroke_width(1),
    ))
    .map_err(draw_err)
}

/// The swatches of a team-coloured map: each team's scale and the violet where both are, each
/// followed by its label (e.g. "Axis 1,234"); returns where the last label ends.
pub(crate) fn team_swatches(
    area: &Area<'_>,
    (x, cy): (i32, i32),
    labels: [&str; 3],
) -> Result<i32, RenderError> {
    let style = anchored(
        text(size::SMALL, false, theme::TEXT),
        HPos::Left,
        VPos::Center,
    );
    let mut x = x;
    for (share, label) in [1.0, 0.0, 0.5].into_iter().zip(labels) {
        swatch(area, (x, cy), SWATCH, |s| team_heat_colour(share, s))?;
        put(area, label, &style, (x + SWATCH + 8, cy))?;
        x += SWATCH + 8 + text_width(area, label, &style) as i32 + 20;
    }
    Ok(x - 20)
}

/// The swatch of a one-channel map (movement), from rare to often.
pub(crate) fn density_swatch(
    area: &Area<'_>,
    (x, cy): (i32, i32),
    w: i32,
) -> Result<(), RenderError> {
    swatch(area, (x, cy), w, heat_colour)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legends_say_what_spot_and_colour_are() {
        assert_eq!(
            spot_meaning(HeatKind::Kills),
            "Each spot: where a victim fell"
        );
        assert_eq!(colour_meaning(HeatKind::Kills), "Colour: the killer's team");
        assert!(spot_meaning(HeatKind::Deaths).contains("died"));
        assert_eq!(
            colour_meaning(HeatKind::Deaths),
            "Colour: the team of the player who died"
        );
    }
}
