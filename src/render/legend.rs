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
        HeatKind::Objectives => "Each spot: an objective action or a kill clearing its way",
    }
}

/// What a spot's colour is: a team when the map is painted by team, else how much is there.
pub(crate) fn colour_meaning(kind: HeatKind, by_team: bool) -> &'static str {
    match (kind, by_team) {
        (HeatKind::Kills, true) => "Colour: the killer's team",
        (HeatKind::Deaths, true) => "Colour: the team of the player who died",
        (HeatKind::Kills, false) => "Colour: how many kills",
        (HeatKind::Deaths, false) => "Colour: how many deaths",
        (HeatKind::Movement, _) => "Colour: time spent there",
        (HeatKind::Objectives, true) => "Colour: the team playing the objective",
        (HeatKind::Objectives, false) => "Colour: how many actions and clearing kills",
    }
}

/// The words at the two ends of a one-channel colour scale.
pub(crate) fn scale_ends(kind: HeatKind) -> (&'static str, &'static str) {
    match kind {
        HeatKind::Movement => ("little", "much"),
        HeatKind::Kills | HeatKind::Deaths | HeatKind::Objectives => ("few", "many"),
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

/// The swatch of a one-channel map, `w` pixels long between the words at its ends.
pub(crate) fn density_swatch(
    area: &Area<'_>,
    (x, cy): (i32, i32),
    w: i32,
    kind: HeatKind,
) -> Result<(), RenderError> {
    let style = anchored(
        text(size::SMALL, false, theme::TEXT),
        HPos::Left,
        VPos::Center,
    );
    let (low, high) = scale_ends(kind);
    put(area, low, &style, (x, cy))?;
    let x = x + text_width(area, low, &style) as i32 + 10;
    swatch(area, (x, cy), w, heat_colour)?;
    put(area, high, &style, (x + w + 10, cy))
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
        assert_eq!(
            colour_meaning(HeatKind::Kills, true),
            "Colour: the killer's team"
        );
        assert_eq!(
            spot_meaning(HeatKind::Deaths),
            "Each spot: where a player died"
        );
        assert_eq!(
            colour_meaning(HeatKind::Deaths, true),
            "Colour: the team of the player who died"
        );
        // Without teams the colour is only how many: it must not claim a team.
        assert_eq!(
            colour_meaning(HeatKind::Kills, false),
            "Colour: how many kills"
        );
        assert_eq!(scale_ends(HeatKind::Kills), ("few", "many"));
    }
}
