//! The player card: one player's figures next to the server's medians (`/player` and
//! `/engagement_stats`).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::RenderError;
use super::canvas::{
    Area, Canvas, Rendered, anchored, decimals_for, display_name, draw_err, ensure_fonts, fit,
    fmt_num_with, no_data, put, size, text, text_width, theme, with_unit,
};
use super::compare::{BAR_CAP, bar_length, compare};
use crate::metrics::Better;

/// Player card width in pixels.
pub const PLAYER_CARD_WIDTH: u32 = 640;
/// Stats shown at most on a player card.
pub const PLAYER_CARD_MAX_ROWS: usize = 20;
const HEADER: i32 = 120;
const ROW: i32 = 72;
/// Left and right edges of the content.
const LEFT: i32 = 28;
const RIGHT: i32 = PLAYER_CARD_WIDTH as i32 - 28;
/// Comparison track: left edge and length; the median sits at a third of it.
const TRACK_X: i32 = LEFT;
const TRACK_LEN: i32 = 240;
/// Where the verdict ("+11% · better") starts, after the track and its cap mark.
const VERDICT_X: i32 = TRACK_X + TRACK_LEN + 18;

/// Player card height for `rows` stats: 130 + 72 per stat (at least one, at most
/// [`PLAYER_CARD_MAX_ROWS`]); nine stats give 778 px.
pub fn player_card_height(rows: usize) -> u32 {
    (HEADER + 10 + ROW * rows.clamp(1, PLAYER_CARD_MAX_ROWS) as i32) as u32
}

/// One figure of a player next to the server's median.
#[derive(Clone, Debug, PartialEq)]
pub struct CardStat {
    /// e.g. "Distance per life", "Support uptime".
    pub label: String,
    /// The player's value; `None` when the player has no data for it.
    pub value: Option<f64>,
    /// The server's median; `None` when unknown.
    pub median: Option<f64>,
    /// Unit of both values, e.g. "u", "%", "ms".
    pub unit: String,
    /// The figure's better direction ([`crate::metrics::Figure::better`]).
    pub better: Better,
    /// False when none of the player's rounds recorded what the figure is made of (another
    /// tracker's files): the value reads "not recorded" rather than "—".
    pub recorded: bool,
}

/// Everything a player card shows.
#[derive(Clone, Debug, PartialEq)]
pub struct PlayerCardInput {
    /// The player's raw name (colour codes stripped when drawn).
    pub name: Vec<u8>,
    /// A line under the name, e.g. "all maps, last 30 days · 42 rounds"; may be empty.
    pub subtitle: String,
    /// The stats in display order; at most [`PLAYER_CARD_MAX_ROWS`] are shown.
    pub rows: Vec<CardStat>,
}

/// Draws a player card, [`PLAYER_CARD_WIDTH`] × [`player_card_height`]`(rows)`.
///
/// Each stat takes two lines: the label and the player's value; then a bar whose length is
/// value ÷ median (the median at a white tick a third along the track, the track's end at
/// ×3, longer bars stop there with an arrow), the verdict in the figure's direction ("+11% ·
/// better" in teal, "−30% · worse" in orange, "even" within ±2 % in grey) and the median. No
/// stats give a "No data" card.
pub fn render_player_card(input: &PlayerCardInput) -> Result<Vec<u8>, RenderError> {
    player_card(input).map(Rendered::into_png)
}

pub(crate) fn player_card(input: &PlayerCardInput) -> Result<Rendered, RenderError> {
    ensure_fonts()?;
    let rows = &input.rows[..input.rows.len().min(PLAYER_CARD_MAX_ROWS)];
    let height = player_card_height(rows.len());
    let mut canvas = Canvas::new(PLAYER_CARD_WIDTH, height, theme::BG);
    canvas.draw(|area| {
        let name_style = anchored(
            text(size::TITLE, true, theme::TEXT),
            HPos::Left,
            VPos::Center,
        );
        let name = fit(
            area,
            &display_name(&input.name),
            &name_style,
            (RIGHT - LEFT) as u32,
        );
        put(area, &name, &name_style, (LEFT, 34))?;
        let sub_style = anchored(
            text(size::SMALL, false, theme::MUTED),
            HPos::Left,
            VPos::Center,
        );
        let sub = fit(
            area,
            input.subtitle.trim(),
            &sub_style,
            (RIGHT - LEFT) as u32,
        );
        put(area, &sub, &sub_style, (LEFT, 68))?;
        if rows.is_empty() {
            return no_data(
                area,
                ((0, HEADER), (PLAYER_CARD_WIDTH as i32, height as i32)),
                "",
            );
        }
        scale_head(area, HEADER - 16)?;
        for (i, stat) in rows.iter().enumerate() {
            stat_row(area, HEADER + ROW * i as i32, i, stat)?;
        }
        Ok(())
    })?;
    canvas.finish()
}

/// The pixel x of value ÷ median = `ratio` on the track.
fn track_x(ratio: f64) -> i32 {
    TRACK_X + (ratio / BAR_CAP * f64::from(TRACK_LEN)).round() as i32
}

/// The ruler over the tracks: where the median, twice and three times it are.
fn scale_head(area: &Area<'_>, cy: i32) -> Result<(), RenderError> {
    let head = text(size::SMALL, true, theme::MUTED);
    put(
        area,
        "median",
        &anchored(head.clone(), HPos::Center, VPos::Center),
        (track_x(1.0), cy),
    )?;
    put(
        area,
        "×2",
        &anchored(head.clone(), HPos::Center, VPos::Center),
        (track_x(2.0), cy),
    )?;
    put(
        area,
        "×3",
        &anchored(head.clone(), HPos::Right, VPos::Center),
        (track_x(3.0), cy),
    )?;
    put(
        area,
        "vs median",
        &anchored(head, HPos::Left, VPos::Center),
        (VERDICT_X, cy),
    )
}

fn stat_row(area: &Area<'_>, y: i32, index: usize, stat: &CardStat) -> Result<(), RenderError> {
    let (line1, line2) = (y + 22, y + 51);
    if index.is_multiple_of(2) {
        area.draw(&Rectangle::new(
            [(12, y + 1), (PLAYER_CARD_WIDTH as i32 - 12, y + ROW - 1)],
            theme::PANEL.filled(),
        ))
        .map_err(draw_err)?;
    }
    // Value and median with the same decimals, so "1.00" and "1.01" compare at a glance.
    let decimals = [stat.value, stat.median]
        .into_iter()
        .flatten()
        .filter(|v| v.is_finite())
        .map(decimals_for)
        .max()
        .unwrap_or(0);
    let show = |v: Option<f64>| match v {
        Some(v) => with_unit(fmt_num_with(v, decimals), &stat.unit),
        None => "—".to_string(),
    };
    let value_style = anchored(
        text(size::VALUE, true, theme::TEXT),
        HPos::Right,
        VPos::Center,
    );
    let shown = match stat.value {
        None if !stat.recorded => "not recorded".to_string(),
        v => show(v),
    };
    let value = fit(area, &shown, &value_style, 200);
    put(area, &value, &value_style, (RIGHT, line1))?;
    let label_style = anchored(
        text(size::BODY, true, theme::TEXT),
        HPos::Left,
        VPos::Center,
    );
    let room = RIGHT - LEFT - text_width(area, &value, &value_style) as i32 - 20;
    let label = fit(area, stat.label.trim(), &label_style, room.max(40) as u32);
    put(area, &label, &label_style, (LEFT, line1))?;

    let comparison = compare(stat.value, stat.median, stat.better);
    track(area, line2, stat, comparison.colour())?;
    let verdict_style = anchored(
        text(size::SMALL, true, comparison.colour()),
        HPos::Left,
        VPos::Center,
    );
    let verdict = fit(area, &comparison.label(), &verdict_style, 168);
    put(area, &verdict, &verdict_style, (VERDICT_X, line2))?;
    let median_style = anchored(
        text(size::SMALL, false, theme::MUTED),
        HPos::Right,
        VPos::Center,
    );
    let median = fit(
        area,
        &format!("median {}", show(stat.median)),
        &median_style,
        (RIGHT - VERDICT_X - 168 - 12) as u32,
    );
    put(area, &median, &median_style, (RIGHT, line2))
}

/// The track, the bar of value ÷ median in the verdict's colour (an arrow past the end when it
/// is cut at the cap) and the median's tick.
fn track(area: &Area<'_>, cy: i32, stat: &CardStat, colour: RGBColor) -> Result<(), RenderError> {
    let (top, bottom) = (cy - 7, cy + 7);
    area.draw(&Rectangle::new(
        [(TRACK_X, top), (TRACK_X + TRACK_LEN, bottom)],
        theme::LINE.filled(),
    ))
    .map_err(draw_err)?;
    // Ticks under the track at ×2 and ×3.
    for ratio in [2.0, 3.0] {
        let x = track_x(ratio).min(TRACK_X + TRACK_LEN - 1);
        area.draw(&Rectangle::new(
            [(x, bottom), (x + 1, bottom + 5)],
            theme::MUTED.filled(),
        ))
        .map_err(draw_err)?;
    }
    if let Some((len, capped)) = bar_length(stat.value, stat.median, TRACK_LEN) {
        if len > 0 {
            area.draw(&Rectangle::new(
                [(TRACK_X, top), (TRACK_X + len, bottom)],
                colour.filled(),
            ))
            .map_err(draw_err)?;
        }
        if capped {
            let end = TRACK_X + TRACK_LEN;
            area.draw(&Polygon::new(
                vec![(end, top - 4), (end + 11, cy), (end, bottom + 4)],
                colour.filled(),
            ))
            .map_err(draw_err)?;
        }
    }
    // The median's tick, over the bar, wherever there is a median to scale by.
    if stat.median.is_some_and(|m| m.is_finite() && m > 0.0) {
        let mx = track_x(1.0);
        area.draw(&Rectangle::new(
            [(mx - 1, top - 6), (mx + 1, bottom + 6)],
            theme::TEXT.filled(),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::FIGURES;
    use crate::render::compare::Verdict;
    use crate::render::testutil::{Image, close, rgb, save};

    fn stat(label: &str, value: f64, median: f64, unit: &str, better: Better) -> CardStat {
        CardStat {
            label: label.into(),
            value: Some(value),
            median: Some(median),
            unit: unit.into(),
            better,
            recorded: true,
        }
    }

    fn card(rows: Vec<CardStat>) -> PlayerCardInput {
        PlayerCardInput {
            name: b"^1Red^7Baron".to_vec(),
            subtitle: "all maps, last 30 days · 42 rounds, 310 lives".into(),
            rows,
        }
    }

    /// The centre line of row `i`'s track.
    fn track_y(i: usize) -> u32 {
        (HEADER + ROW * i as i32 + 51) as u32
    }

    /// Length of row `i`'s bar: how far along the track its colour reaches (0 for none).
    fn bar(img: &Image, i: usize, colour: RGBColor) -> u32 {
        let (x0, x1) = (TRACK_X as u32, (TRACK_X + TRACK_LEN - 1) as u32);
        img.last_of(track_y(i) + 3, x0, x1, rgb(colour))
            .map_or(0, |x| x - x0 + 1)
    }

    #[test]
    fn colours_and_words_follow_each_figures_direction() {
        let input = card(vec![
            stat("Distance per life", 310.0, 280.0, "u", Better::Higher),
            stat("Crossfire kills / round", 2.1, 3.0, "", Better::Higher),
            stat("Trades / round", 1.0, 1.01, "", Better::Higher),
            stat("Spawn reaction", 900.0, 1200.0, "ms", Better::Lower),
            stat("Damage taken / round", 1500.0, 1200.0, "hp", Better::Lower),
        ]);
        let r = player_card(&input).unwrap();
        save("player_card.png", &r.png);
        let img = Image::decode(&r.png);
        assert_eq!((img.width, img.height), (640, 130 + 72 * 5));
        let at = |i: usize| img.pixel(TRACK_X as u32 + 10, track_y(i) + 3);
        assert!(close(at(0), rgb(theme::BETTER), 3));
        assert!(close(at(1), rgb(theme::WORSE), 3));
        assert!(close(at(2), rgb(theme::MUTED), 3));
        assert!(
            close(at(3), rgb(theme::BETTER), 3),
            "lower reaction is better"
        );
        assert!(
            close(at(4), rgb(theme::WORSE), 3),
            "more damage taken is worse"
        );
        let verdicts: Vec<(&str, RGBColor)> = r
            .texts
            .iter()
            .filter(|t| t.text.contains("% · "))
            .map(|t| (t.text.as_str(), t.colour))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("+11% · better", theme::BETTER),
                ("−30% · worse", theme::WORSE),
                ("−1% · even", theme::MUTED),
                ("−25% · better", theme::BETTER),
                ("+25% · worse", theme::WORSE),
            ]
        );
    }

    #[test]
    fn bars_show_the_ratio_to_the_median() {
        let input = card(vec![
            stat("Slightly better", 104.0, 100.0, "", Better::Higher),
            stat("Much better", 220.0, 100.0, "", Better::Higher),
            stat("Off the scale", 900.0, 100.0, "", Better::Higher),
            stat("Half", 50.0, 100.0, "", Better::Higher),
        ]);
        let png = render_player_card(&input).unwrap();
        save("player_card_ratios.png", &png);
        let img = Image::decode(&png);
        // The median sits at 80 px of the 240 px track: +4 % is 83.2 px, +120 % is 176 px.
        let (small, big) = (bar(&img, 0, theme::BETTER), bar(&img, 1, theme::BETTER));
        assert!((f64::from(small) - 83.2).abs() <= 1.0, "{small}");
        assert!((f64::from(big) - 176.0).abs() <= 1.0, "{big}");
        // ×9 stops at the end of the track (×3), with an arrow past it.
        assert_eq!(bar(&img, 2, theme::BETTER), TRACK_LEN as u32);
        let tip = (TRACK_X + TRACK_LEN + 6) as u32;
        assert!(close(img.pixel(tip, track_y(2)), rgb(theme::BETTER), 3));
        assert!(!close(img.pixel(tip, track_y(1)), rgb(theme::BETTER), 3));
        assert!((f64::from(bar(&img, 3, theme::WORSE)) - 40.0).abs() <= 1.0);
        // The median's tick is white on every row.
        for i in 0..4 {
            let p = img.pixel(track_x(1.0) as u32, track_y(i) - 9);
            assert!(close(p, rgb(theme::TEXT), 3), "row {i}: {p:?}");
        }
    }

    #[test]
    fn every_figure_is_judged_in_its_own_direction() {
        for figure in FIGURES {
            for (value, above) in [(150.0, true), (50.0, false)] {
                let row = crate::store::queries::CardFigure {
                    figure,
                    value: Some(value),
                    median: Some(100.0),
                    rank: None,
                };
                let stats = crate::present::card_rows(&crate::store::queries::CardFigures {
                    totals: Default::default(),
                    rows: vec![row],
                });
                let r = player_card(&card(stats)).unwrap();
                let expected = if above == (figure.better == Better::Higher) {
                    (Verdict::Better, "better", theme::BETTER)
                } else {
                    (Verdict::Worse, "worse", theme::WORSE)
                };
                let c = compare(Some(value), Some(100.0), figure.better);
                assert_eq!(c.verdict, expected.0, "{}", figure.key);
                let verdict = r
                    .texts
                    .iter()
                    .find(|t| t.text.ends_with(expected.1))
                    .unwrap_or_else(|| panic!("{}: no {:?} mark", figure.key, expected.1));
                assert_eq!(verdict.colour, expected.2, "{}", figure.key);
                let img = Image::decode(&r.png);
                let p = img.pixel(TRACK_X as u32 + 10, track_y(0) + 3);
                assert!(close(p, rgb(expected.2), 3), "{}: bar {p:?}", figure.key);
            }
        }
    }

    #[test]
    fn missing_values_and_empty() {
        let mut input = card(vec![
            CardStat {
                label: "Trades".into(),
                value: None,
                median: Some(1.0),
                unit: "".into(),
                better: Better::Higher,
                recorded: true,
            },
            CardStat {
                label: "Escape rate".into(),
                value: Some(10.0),
                median: None,
                unit: "%".into(),
                better: Better::Higher,
                recorded: true,
            },
            stat("Zero median", 3.0, 0.0, "", Better::Higher),
            stat("NaN", f64::NAN, f64::INFINITY, "", Better::Higher),
            CardStat {
                label: "Accuracy".into(),
                value: None,
                median: Some(30.0),
                unit: "%".into(),
                better: Better::Higher,
                recorded: false,
            },
        ]);
        input.name = [b'N'; 50].to_vec();
        let r = player_card(&input).unwrap();
        save("player_card_missing.png", &r.png);
        let img = Image::decode(&r.png);
        assert_eq!(img.height, player_card_height(5));
        // No ratio, no bar: the tracks stay empty; the median's tick only where it scales.
        for i in 0..4 {
            for colour in [theme::BETTER, theme::WORSE, theme::MUTED] {
                assert_eq!(bar(&img, i, colour), 0, "row {i}");
            }
            let tick = img.pixel(track_x(1.0) as u32, track_y(i) - 9);
            assert_eq!(close(tick, rgb(theme::TEXT), 3), i == 0, "row {i}");
        }
        let marks: Vec<&str> = r
            .texts
            .iter()
            .filter(|t| ["—", "better", "not recorded"].contains(&t.text.as_str()))
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(
            marks,
            ["—", "—", "—", "better", "—", "—", "not recorded", "—"]
        );

        let empty = render_player_card(&PlayerCardInput {
            rows: vec![],
            ..input
        })
        .unwrap();
        let img = Image::decode(&empty);
        assert_eq!(img.height, player_card_height(0));
        assert!(img.count_bright((220, 140), (420, 190)) > 50, "No data");
    }
}
