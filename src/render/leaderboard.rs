//! A leaderboard: players ranked by one figure, in the figure's own direction.

use std::cmp::Ordering;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::RenderError;
use super::canvas::{
    Area, Canvas, Rendered, anchored, decimals_for_size, display_name, draw_err, ensure_fonts, fit,
    fmt_compact, fmt_num_with, no_data, put, size, text, text_width, theme, with_unit,
};
use crate::metrics::Better;

/// Leaderboard image width in pixels.
pub const LEADERBOARD_WIDTH: u32 = 640;
/// Rows shown at most; further rows are left out.
pub const LEADERBOARD_MAX_ROWS: usize = 25;
const HEADER: i32 = 116;
const ROW: i32 = 54;
const LEFT: i32 = 20;
const RIGHT: i32 = LEADERBOARD_WIDTH as i32 - 28;
/// Where names and bars start (after the rank), and the bar's full length.
pub(crate) const NAME_X: i32 = 76;
pub(crate) const BAR_LEN: i32 = 340;

/// Leaderboard image height for `rows` rows: 126 + 54 per row (at least one row, so an empty
/// board has room for its "No data" notice; at most [`LEADERBOARD_MAX_ROWS`]).
pub fn leaderboard_height(rows: usize) -> u32 {
    (HEADER + 10 + ROW * rows.clamp(1, LEADERBOARD_MAX_ROWS) as i32) as u32
}

/// One player on a leaderboard.
#[derive(Clone, Debug, PartialEq)]
pub struct LeaderRow {
    /// The name as stored (colour codes are stripped when drawn).
    pub name_raw: Vec<u8>,
    /// The figure ranked by, in `unit`s. Non-finite values rank last and show as "—".
    pub value: f64,
    /// How many rounds / lives / engagements the value rests on.
    pub samples: i64,
}

/// Everything a leaderboard shows.
#[derive(Clone, Debug, PartialEq)]
pub struct LeaderboardInput {
    /// e.g. "Distance travelled per life".
    pub title: String,
    /// A line under the title, e.g. "all maps, last 30 days · at least 10 lives"; may be empty.
    pub subtitle: String,
    /// Unit of `value`, e.g. "u", "%", "ms"; may be empty.
    pub unit: String,
    /// What `samples` counts, e.g. "rounds" or "lives"; empty shows "n=…".
    pub samples_label: String,
    /// The players, in any order.
    pub rows: Vec<LeaderRow>,
    /// Which way the figure is better ([`crate::metrics::Figure::better`]): the best ranks first.
    pub better: Better,
}

/// Draws a leaderboard, [`LEADERBOARD_WIDTH`] × [`leaderboard_height`]`(rows)`.
///
/// Rows are ranked best first in the figure's direction (ties keep the input order and share
/// a rank), cut to [`LEADERBOARD_MAX_ROWS`], and drawn on two lines: rank, cleaned name and
/// value with unit; then a bar and the sample count. A bar's length is the value relative to
/// the leader's (leader ÷ value when lower is better), so the leader's bar is the longest
/// either way. The top three bars are gold, silver and bronze, the rest slate.
pub fn render_leaderboard(input: &LeaderboardInput) -> Result<Vec<u8>, RenderError> {
    leaderboard(input).map(Rendered::into_png)
}

/// One row of a leaderboard as the image draws it: rank, player, and the value and sample
/// texts. The embed beside the image quotes these, so both say the same.
#[derive(Clone, Debug, PartialEq)]
pub struct LeaderEntry<'a> {
    pub rank: usize,
    pub row: &'a LeaderRow,
    pub value: String,
    pub samples: String,
}

/// The rows the image shows, ranked (competition ranks), cut, and formatted with one number of
/// decimals for the whole board (by its largest value), so values line up.
pub fn leaderboard_entries(input: &LeaderboardInput) -> Vec<LeaderEntry<'_>> {
    let rows = ranked(&input.rows, input.better);
    let finite = rows.iter().map(|(_, r)| r.value).filter(|v| v.is_finite());
    let decimals = if finite.clone().all(|v| v == v.trunc()) {
        0
    } else {
        decimals_for_size(finite.fold(0.0f64, |m, v| m.max(v.abs())))
    };
    rows.into_iter()
        .map(|(rank, row)| LeaderEntry {
            rank,
            row,
            value: with_unit(fmt_num_with(row.value, decimals), &input.unit),
            samples: samples_text(row.samples, &input.samples_label),
        })
        .collect()
}

/// "12 rounds", "1 life", or "n=12" without a label.
fn samples_text(samples: i64, label: &str) -> String {
    match label.trim() {
        "" => format!("n={}", fmt_compact(samples)),
        // "1 round" and "1 life", not "1 rounds" and "1 lives".
        "lives" if samples == 1 => "1 life".to_string(),
        label if samples == 1 && label.len() > 1 && label.ends_with('s') => {
            format!("1 {}", &label[..label.len() - 1])
        }
        label => format!("{} {label}", fmt_compact(samples)),
    }
}

pub(crate) fn leaderboard(input: &LeaderboardInput) -> Result<Rendered, RenderError> {
    ensure_fonts()?;
    let rows = leaderboard_entries(input);
    let height = leaderboard_height(rows.len());
    let mut canvas = Canvas::new(LEADERBOARD_WIDTH, height, theme::BG);
    canvas.draw(|area| {
        let order = match input.better {
            Better::Higher => "Highest first: higher is better",
            Better::Lower => "Lowest first: lower is better",
        };
        header(area, &input.title, input.subtitle.trim(), order)?;
        if rows.is_empty() {
            return no_data(
                area,
                ((0, HEADER - 10), (LEADERBOARD_WIDTH as i32, height as i32)),
                "",
            );
        }
        let best = rows[0].row.value;
        for (i, entry) in rows.iter().enumerate() {
            let y = HEADER + ROW * i as i32;
            lb_row(area, input, y, i, entry, best)?;
        }
        Ok(())
    })?;
    canvas.finish()
}

/// Sorts stably best first (non-finite last) and assigns competition ranks (1, 2, 2, 4).
fn ranked(rows: &[LeaderRow], better: Better) -> Vec<(usize, &LeaderRow)> {
    let mut sorted: Vec<&LeaderRow> = rows.iter().collect();
    sorted.sort_by(|a, b| match (a.value.is_finite(), b.value.is_finite()) {
        (true, true) => match better {
            Better::Lower => a.value.total_cmp(&b.value),
            Better::Higher => b.value.total_cmp(&a.value),
        },
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => Ordering::Equal,
    });
    sorted.truncate(LEADERBOARD_MAX_ROWS);
    let mut out: Vec<(usize, &LeaderRow)> = Vec::with_capacity(sorted.len());
    for (i, row) in sorted.into_iter().enumerate() {
        let rank = match out.last() {
            Some(&(r, prev)) if prev.value == row.value => r,
            _ => i + 1,
        };
        out.push((rank, row));
    }
    out
}

/// The share of the full bar length for `value`, given the leader's value `best`.
fn bar_fraction(value: f64, best: f64, better: Better) -> f64 {
    if !value.is_finite() || !best.is_finite() {
        return 0.0;
    }
    let f = if value == best {
        1.0
    } else if better == Better::Higher {
        if best > 0.0 {
            value.max(0.0) / best
        } else {
            0.0
        }
    } else if best > 0.0 && value > 0.0 {
        best / value
    } else {
        // Zero or negative leader: fall back to how far the value is from the leader.
        1.0 / (1.0 + (value - best).abs())
    };
    f.clamp(0.0, 1.0)
}

/// Bar colour by rank: gold, silver and bronze for the podium, slate below.
pub(crate) fn bar_colour(rank: usize) -> RGBColor {
    match rank {
        1 => theme::GOLD,
        2 => theme::SILVER,
        3 => theme::BRONZE,
        _ => theme::SLATE,
    }
}

/// `#rank`, right-aligned at `at`.
pub(crate) fn rank_label(area: &Area<'_>, rank: usize, at: (i32, i32)) -> Result<(), RenderError> {
    let colour = if rank <= 3 { theme::TEXT } else { theme::MUTED };
    put(
        area,
        &format!("#{rank}"),
        &anchored(text(size::BODY, true, colour), HPos::Right, VPos::Center),
        at,
    )
}

/// Title, subtitle and a third line (the ranking's direction, or column heads).
pub(crate) fn header(
    area: &Area<'_>,
    title: &str,
    subtitle: &str,
    third: &str,
) -> Result<(), RenderError> {
    let width = (LEADERBOARD_WIDTH as i32 - 2 * LEFT) as u32;
    let title_style = anchored(
        text(size::TITLE, true, theme::TEXT),
        HPos::Left,
        VPos::Center,
    );
    let title = fit(area, title.trim(), &title_style, width);
    put(area, &title, &title_style, (LEFT, 32))?;
    let sub_style = anchored(
        text(size::SMALL, false, theme::MUTED),
        HPos::Left,
        VPos::Center,
    );
    let subtitle = fit(area, subtitle, &sub_style, width);
    put(area, &subtitle, &sub_style, (LEFT, 64))?;
    let third_style = anchored(
        text(size::SMALL, true, theme::MUTED),
        HPos::Left,
        VPos::Center,
    );
    let third = fit(area, third, &third_style, width);
    put(area, &third, &third_style, (LEFT, 92))
}

fn lb_row(
    area: &Area<'_>,
    input: &LeaderboardInput,
    y: i32,
    index: usize,
    entry: &LeaderEntry<'_>,
    best: f64,
) -> Result<(), RenderError> {
    let (rank, row) = (entry.rank, entry.row);
    let (line1, line2) = (y + 18, y + 40);
    if index.is_multiple_of(2) {
        area.draw(&Rectangle::new(
            [(10, y + 1), (LEADERBOARD_WIDTH as i32 - 10, y + ROW - 1)],
            theme::PANEL.filled(),
        ))
        .map_err(draw_err)?;
    }
    ranked_head(
        area,
        (line1, line2),
        rank,
        &entry.value,
        &row.name_raw,
        bar_fraction(row.value, best, input.better),
        &entry.samples,
    )
}

/// The head of a ranked row, shared by the boards: rank, name and value on `lines.0`; a bar of
/// `fraction` of the full length in the rank's colour, and the samples on the right, on
/// `lines.1`.
pub(crate) fn ranked_head(
    area: &Area<'_>,
    (line1, line2): (i32, i32),
    rank: usize,
    value: &str,
    name_raw: &[u8],
    fraction: f64,
    samples: &str,
) -> Result<(), RenderError> {
    rank_label(area, rank, (NAME_X - 10, line1))?;
    let value_style = anchored(
        text(size::VALUE, true, theme::TEXT),
        HPos::Right,
        VPos::Center,
    );
    let value = fit(area, value, &value_style, 170);
    put(area, &value, &value_style, (RIGHT, line1))?;
    let name_style = anchored(
        text(size::BODY, false, theme::TEXT),
        HPos::Left,
        VPos::Center,
    );
    let room = RIGHT - NAME_X - text_width(area, &value, &value_style) as i32 - 16;
    let name = fit(
        area,
        &display_name(name_raw),
        &name_style,
        room.max(40) as u32,
    );
    put(area, &name, &name_style, (NAME_X, line1))?;

    // Track, then the bar.
    let (top, bottom) = (line2 - 5, line2 + 5);
    area.draw(&Rectangle::new(
        [(NAME_X, top), (NAME_X + BAR_LEN, bottom)],
        theme::LINE.filled(),
    ))
    .map_err(draw_err)?;
    let len = (fraction.clamp(0.0, 1.0) * BAR_LEN as f64).round() as i32;
    if len > 0 {
        area.draw(&Rectangle::new(
            [(NAME_X, top), (NAME_X + len.max(3), bottom)],
            bar_colour(rank).filled(),
        ))
        .map_err(draw_err)?;
    }
    let samples_style = anchored(
        text(size::SMALL, false, theme::MUTED),
        HPos::Right,
        VPos::Center,
    );
    let samples = fit(
        area,
        samples,
        &samples_style,
        (RIGHT - NAME_X - BAR_LEN - 16) as u32,
    );
    put(area, &samples, &samples_style, (RIGHT, line2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::FIGURES;
    use crate::render::testutil::{Image, close, rgb, save};
    use crate::store::queries::{RankedPlayer, Scope};

    fn row(name: &[u8], value: f64, samples: i64) -> LeaderRow {
        LeaderRow {
            name_raw: name.to_vec(),
            value,
            samples,
        }
    }

    fn board(rows: Vec<LeaderRow>, better: Better) -> LeaderboardInput {
        LeaderboardInput {
            title: "Distance travelled per life".into(),
            subtitle: "all maps, last 30 days · at least 10 lives".into(),
            unit: "u".into(),
            samples_label: "lives".into(),
            rows,
            better,
        }
    }

    /// Bar length of the row at `index`, measured along the bar's centre line.
    fn bar_len(img: &Image, index: usize, colour: RGBColor) -> u32 {
        let y = (HEADER + ROW * index as i32 + 40) as u32;
        img.run_of(y, NAME_X as u32, rgb(colour))
    }

    /// The names as drawn, top to bottom.
    fn names(r: &Rendered) -> Vec<String> {
        r.texts
            .iter()
            .filter(|t| !t.bold && t.colour == theme::TEXT && t.x == NAME_X)
            .map(|t| t.text.clone())
            .collect()
    }

    #[test]
    fn first_bar_is_the_leader_and_longest() {
        let rows = vec![
            row(b"^2Slow", 180.0, 12),
            row(b"^1Fast^7est", 320.0, 40),
            row(b"Mid", 240.0, 25),
            row(b"Tail", 90.5, 11),
        ];
        let r = leaderboard(&board(rows, Better::Higher)).unwrap();
        save("leaderboard.png", &r.png);
        let img = Image::decode(&r.png);
        assert_eq!((img.width, img.height), (640, 126 + 54 * 4));
        assert_eq!(names(&r), ["Fastest", "Mid", "Slow", "Tail"]);
        let lens = [
            bar_len(&img, 0, theme::GOLD),
            bar_len(&img, 1, theme::SILVER),
            bar_len(&img, 2, theme::BRONZE),
            bar_len(&img, 3, theme::SLATE),
        ];
        // 320/320, 240/320, 180/320 and 90.5/320 of 340 px.
        assert_eq!(lens, [340, 255, 191, 96]);
        let texts: Vec<&str> = r.texts.iter().map(|t| t.text.as_str()).collect();
        assert!(
            texts.contains(&"Highest first: higher is better"),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"320 u") && texts.contains(&"11 lives"),
            "{texts:?}"
        );
    }

    #[test]
    fn lower_is_better_ranks_ascending() {
        let rows = vec![
            row(b"B", 900.0, 30),
            row(b"A", 450.0, 30),
            row(b"C", 1800.0, 30),
            row(b"NaN", f64::NAN, 1),
        ];
        let ranked = ranked(&rows, Better::Lower);
        let order: Vec<&[u8]> = ranked.iter().map(|(_, r)| r.name_raw.as_slice()).collect();
        assert_eq!(order, [b"A" as &[u8], b"B", b"C", b"NaN"]);
        let mut input = board(rows, Better::Lower);
        input.unit = "ms".into();
        input.title = "Spawn reaction (time to first move)".into();
        let r = leaderboard(&input).unwrap();
        save("leaderboard_lower.png", &r.png);
        let img = Image::decode(&r.png);
        // 450/900 of the full length; the non-finite row has no bar.
        assert_eq!(bar_len(&img, 0, theme::GOLD), 340);
        assert_eq!(bar_len(&img, 1, theme::SILVER), 170);
        let y = (HEADER + ROW * 3 + 40) as u32;
        assert!(close(img.pixel(NAME_X as u32 + 2, y), rgb(theme::LINE), 4));
        let texts: Vec<&str> = r.texts.iter().map(|t| t.text.as_str()).collect();
        assert!(
            texts.contains(&"Lowest first: lower is better"),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"1 life") && texts.contains(&"— ms"),
            "{texts:?}"
        );
    }

    #[test]
    fn every_figure_ranks_and_medals_in_its_own_direction() {
        for figure in FIGURES {
            let players: Vec<RankedPlayer> = [("low", 1.0), ("high", 3.0), ("mid", 2.0)]
                .into_iter()
                .map(|(name, value)| RankedPlayer {
                    guid: name.into(),
                    name: name.as_bytes().to_vec(),
                    value,
                    samples: 50,
                })
                .collect();
            let input = crate::present::leaderboard_input(figure, &players, &Scope::all());
            let r = leaderboard(&input).unwrap();
            let expected = match figure.better {
                Better::Higher => ["high", "mid", "low"],
                Better::Lower => ["low", "mid", "high"],
            };
            assert_eq!(names(&r), expected, "{}", figure.key);
            let img = Image::decode(&r.png);
            assert_eq!(
                bar_len(&img, 0, theme::GOLD),
                BAR_LEN as u32,
                "{}",
                figure.key
            );
            assert!(bar_len(&img, 1, theme::SILVER) > 0, "{}", figure.key);
            assert!(bar_len(&img, 2, theme::BRONZE) > 0, "{}", figure.key);
        }
    }

    #[test]
    fn ties_share_a_rank() {
        let rows = vec![row(b"a", 5.0, 1), row(b"b", 7.0, 1), row(b"c", 5.0, 1)];
        let ranks: Vec<usize> = ranked(&rows, Better::Higher)
            .iter()
            .map(|(r, _)| *r)
            .collect();
        assert_eq!(ranks, [1, 2, 2]);
    }

    #[test]
    fn hostile_names_and_many_rows() {
        let mut rows = vec![
            row(b"^1@everyone ^2**bold** `code` ||spoiler||", 10.0, 1),
            row(&[b'W'; 60], 9.0, 2),
            row(b"^^^", 8.0, 3),
            row(b"", 7.0, 4),
            row("Jörg ✓ \u{202e}rtl".as_bytes(), 6.0, 5),
            row(b"\xff\xfe bad utf8", 5.0, 6),
        ];
        for i in 0..40 {
            rows.push(row(
                format!("filler{i}").as_bytes(),
                i as f64 / 10.0,
                1_000_000,
            ));
        }
        let r = leaderboard(&board(rows, Better::Higher)).unwrap();
        save("leaderboard_hostile.png", &r.png);
        let img = Image::decode(&r.png);
        assert_eq!(img.height, leaderboard_height(LEADERBOARD_MAX_ROWS));
        assert_eq!(img.height, 126 + 54 * 25);
        assert_eq!(names(&r).len(), LEADERBOARD_MAX_ROWS);
        // Every name stays clear of its value.
        let problems = crate::render::readability::violations(&r);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn empty_board_says_no_data() {
        let png = render_leaderboard(&board(vec![], Better::Higher)).unwrap();
        save("leaderboard_empty.png", &png);
        let img = Image::decode(&png);
        assert_eq!((img.width, img.height), (640, 180));
        assert!(img.count_bright((220, 120), (420, 170)) > 50);
    }
}
