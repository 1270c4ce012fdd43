//! Ranked lists: a leaderboard of one figure and the best crossfire duos.

use std::cmp::Ordering;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::RenderError;
use super::canvas::{
    Area, Canvas, anchored, decimals_for_size, display_name, draw_err, ensure_fonts, fit,
    fmt_compact, fmt_int, fmt_num, fmt_num_with, no_data, put, text, theme, with_unit,
};

/// Leaderboard image width in pixels.
pub const LEADERBOARD_WIDTH: u32 = 900;
/// Rows shown at most; further rows are left out.
pub const LEADERBOARD_MAX_ROWS: usize = 25;
const LB_HEADER: i32 = 108;
const LB_ROW: i32 = 44;
/// Left edge and full length of a leaderboard bar.
const LB_BAR_X: i32 = 318;
const LB_BAR_LEN: i32 = 330;

/// Leaderboard image height for `rows` rows: 120 + 44 per row (at least one row, so an empty
/// board has room for its "No data" notice; at most [`LEADERBOARD_MAX_ROWS`]).
pub fn leaderboard_height(rows: usize) -> u32 {
    (LB_HEADER + 12 + LB_ROW * rows.clamp(1, LEADERBOARD_MAX_ROWS) as i32) as u32
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
    /// e.g. "Average speed".
    pub title: String,
    /// A line under the title, e.g. "last 30 days · at least 10 rounds"; may be empty.
    pub subtitle: String,
    /// Unit of `value`, e.g. "u/s", "%", "ms"; may be empty.
    pub unit: String,
    /// What `samples` counts, e.g. "rounds" or "lives"; empty shows "n=…".
    pub samples_label: String,
    /// The players, in any order.
    pub rows: Vec<LeaderRow>,
    /// Whether a smaller value ranks higher (e.g. spawn reaction time).
    pub lower_is_better: bool,
}

/// Draws a leaderboard, [`LEADERBOARD_WIDTH`] × [`leaderboard_height`]`(rows)`.
///
/// Rows are ranked by value (descending, or ascending when `lower_is_better`; ties keep the
/// input order and share a rank), cut to [`LEADERBOARD_MAX_ROWS`], and drawn as horizontal bars
/// with rank, cleaned name, value with unit and sample count. A bar's length is the value
/// relative to the leader's (leader / value when lower is better), so the leader's bar is the
/// longest either way. The top three bars are gold, silver and bronze, the rest blurple.
pub fn render_leaderboard(input: &LeaderboardInput) -> Result<Vec<u8>, RenderError> {
    ensure_fonts()?;
    let rows = ranked(&input.rows, input.lower_is_better);
    let height = leaderboard_height(rows.len());
    let mut canvas = Canvas::new(LEADERBOARD_WIDTH, height, theme::BG);
    canvas.draw(|area| {
        let order = if input.lower_is_better {
            "lower is better"
        } else {
            "higher is better"
        };
        let subtitle = [input.subtitle.trim(), order]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        header(area, &input.title, &subtitle)?;
        if rows.is_empty() {
            return no_data(
                area,
                (
                    (0, LB_HEADER - 20),
                    (LEADERBOARD_WIDTH as i32, height as i32),
                ),
                "",
            );
        }
        let best = rows[0].1.value;
        // One number of decimals for the whole board (by its largest value), so values line up.
        let finite = rows.iter().map(|(_, r)| r.value).filter(|v| v.is_finite());
        let decimals = if finite.clone().all(|v| v == v.trunc()) {
            0
        } else {
            decimals_for_size(finite.fold(0.0f64, |m, v| m.max(v.abs())))
        };
        for (i, (rank, row)) in rows.iter().enumerate() {
            let y = LB_HEADER + LB_ROW * i as i32;
            lb_row(area, input, y, (i, *rank), row, best, decimals)?;
        }
        Ok(())
    })?;
    canvas.into_png()
}

/// Sorts stably by value (non-finite last) and assigns competition ranks (1, 2, 2, 4).
fn ranked(rows: &[LeaderRow], lower_is_better: bool) -> Vec<(usize, &LeaderRow)> {
    let mut sorted: Vec<&LeaderRow> = rows.iter().collect();
    sorted.sort_by(|a, b| match (a.value.is_finite(), b.value.is_finite()) {
        (true, true) if lower_is_better => a.value.total_cmp(&b.value),
        (true, true) => b.value.total_cmp(&a.value),
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
fn bar_fraction(value: f64, best: f64, lower_is_better: bool) -> f64 {
    if !value.is_finite() || !best.is_finite() {
        return 0.0;
    }
    let f = if value == best {
        1.0
    } else if !lower_is_better {
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

/// Bar colour for the row at `index` (0-based position, not rank).
pub(crate) fn bar_colour(rank: usize) -> RGBColor {
    match rank {
        1 => theme::GOLD,
        2 => theme::SILVER,
        3 => theme::BRONZE,
        _ => theme::BLURPLE,
    }
}

/// `#rank`, right-aligned at `at`: gold, silver and bronze for the podium.
fn rank_label(area: &Area<'_>, rank: usize, at: (i32, i32)) -> Result<(), RenderError> {
    let colour = if rank <= 3 {
        bar_colour(rank)
    } else {
        theme::MUTED
    };
    put(
        area,
        &format!("#{rank}"),
        &anchored(text(20.0, true, colour), HPos::Right, VPos::Center),
        at,
    )
}

fn header(area: &Area<'_>, title: &str, subtitle: &str) -> Result<(), RenderError> {
    let title_style = anchored(text(30.0, true, theme::TEXT), HPos::Left, VPos::Center);
    let title = fit(area, title.trim(), &title_style, 840);
    put(area, &title, &title_style, (30, 36))?;
    let sub_style = anchored(text(18.0, false, theme::MUTED), HPos::Left, VPos::Center);
    let subtitle = fit(area, subtitle, &sub_style, 840);
    put(area, &subtitle, &sub_style, (30, 74))
}

fn lb_row(
    area: &Area<'_>,
    input: &LeaderboardInput,
    y: i32,
    (index, rank): (usize, usize),
    row: &LeaderRow,
    best: f64,
    decimals: usize,
) -> Result<(), RenderError> {
    let cy = y + LB_ROW / 2;
    if index.is_multiple_of(2) {
        area.draw(&Rectangle::new(
            [(16, y + 2), (LEADERBOARD_WIDTH as i32 - 16, y + LB_ROW - 2)],
            theme::PANEL.filled(),
        ))
        .map_err(draw_err)?;
    }
    rank_label(area, rank, (70, cy))?;
    let name_style = anchored(text(20.0, false, theme::TEXT), HPos::Left, VPos::Center);
    let name = fit(area, &display_name(&row.name_raw), &name_style, 226);
    put(area, &name, &name_style, (82, cy))?;

    // Track, then the bar.
    area.draw(&Rectangle::new(
        [(LB_BAR_X, cy - 12), (LB_BAR_X + LB_BAR_LEN, cy + 12)],
        theme::LINE.filled(),
    ))
    .map_err(draw_err)?;
    let len =
        (bar_fraction(row.value, best, input.lower_is_better) * LB_BAR_LEN as f64).round() as i32;
    if len > 0 {
        area.draw(&Rectangle::new(
            [(LB_BAR_X, cy - 12), (LB_BAR_X + len.max(3), cy + 12)],
            bar_colour(rank).filled(),
        ))
        .map_err(draw_err)?;
    }
    let value_style = anchored(text(20.0, true, theme::TEXT), HPos::Right, VPos::Center);
    let value = with_unit(fmt_num_with(row.value, decimals), &input.unit);
    let value = fit(area, &value, &value_style, 124);
    put(area, &value, &value_style, (784, cy))?;
    let samples = match input.samples_label.trim() {
        "" => format!("n={}", fmt_compact(row.samples)),
        // "1 round", not "1 rounds".
        label if row.samples == 1 && label.len() > 1 && label.ends_with('s') => {
            format!("1 {}", &label[..label.len() - 1])
        }
        label => format!("{} {label}", fmt_compact(row.samples)),
    };
    let samples_style = anchored(text(15.0, false, theme::FAINT), HPos::Right, VPos::Center);
    let samples = fit(area, &samples, &samples_style, 88);
    put(area, &samples, &samples_style, (880, cy))
}

/// Duos image width in pixels.
pub const DUOS_WIDTH: u32 = 900;
/// Pairs shown at most.
pub const DUOS_MAX_ROWS: usize = 15;
const DUO_HEADER: i32 = 140;
const DUO_ROW: i32 = 60;
/// Centre x of the stat columns: crossfires, crossfire kills, kills per round, rounds.
const DUO_COLS: [i32; 4] = [500, 612, 726, 836];

/// Duos image height for `rows` pairs: 150 + 60 per pair (at least one, at most
/// [`DUOS_MAX_ROWS`]).
pub fn duos_height(rows: usize) -> u32 {
    (DUO_HEADER + 10 + DUO_ROW * rows.clamp(1, DUOS_MAX_ROWS) as i32) as u32
}

/// One crossfire pair (see "Pairs" in the metrics reference).
#[derive(Clone, Debug, PartialEq)]
pub struct DuoRow {
    /// Raw names of the two players.
    pub name_a: Vec<u8>,
    pub name_b: Vec<u8>,
    /// Crossfire engagements they were both in.
    pub crossfires: i64,
    /// Of those, where the target died and one of them killed it.
    pub crossfire_kills: i64,
    /// Rounds both played on the same team.
    pub rounds_together: i64,
    /// Kills per round together.
    pub kills_per_round: f64,
}

/// Everything the best-duos image shows.
#[derive(Clone, Debug, PartialEq)]
pub struct DuosInput {
    /// e.g. "Best duos".
    pub title: String,
    /// e.g. "last 30 days · at least 5 crossfires"; may be empty.
    pub subtitle: String,
    pub rows: Vec<DuoRow>,
}

/// Draws the best duos, [`DUOS_WIDTH`] × [`duos_height`]`(rows)`.
///
/// Pairs are ranked by crossfire kills, then crossfires (stable), cut to [`DUOS_MAX_ROWS`]; each
/// row shows rank, both names, crossfires, crossfire kills (with a bar relative to the top
/// pair), kills per round together and rounds together.
pub fn render_duos(input: &DuosInput) -> Result<Vec<u8>, RenderError> {
    ensure_fonts()?;
    let mut rows: Vec<&DuoRow> = input.rows.iter().collect();
    rows.sort_by(|a, b| {
        b.crossfire_kills
            .cmp(&a.crossfire_kills)
            .then(b.crossfires.cmp(&a.crossfires))
    });
    rows.truncate(DUOS_MAX_ROWS);
    let height = duos_height(rows.len());
    let mut canvas = Canvas::new(DUOS_WIDTH, height, theme::BG);
    canvas.draw(|area| {
        header(area, &input.title, input.subtitle.trim())?;
        if rows.is_empty() {
            return no_data(
                area,
                ((0, DUO_HEADER - 30), (DUOS_WIDTH as i32, height as i32)),
                "",
            );
        }
        let head = text(14.0, true, theme::FAINT);
        put(
            area,
            "DUO",
            &anchored(head.clone(), HPos::Left, VPos::Center),
            (82, DUO_HEADER - 16),
        )?;
        for (x, label) in DUO_COLS
            .iter()
            .zip(["CROSSFIRES", "CF KILLS", "KILLS/ROUND", "ROUNDS"])
        {
            put(
                area,
                label,
                &anchored(head.clone(), HPos::Center, VPos::Center),
                (*x, DUO_HEADER - 16),
            )?;
        }
        let max_kills = rows[0].crossfire_kills.max(1);
        for (i, row) in rows.iter().enumerate() {
            duo_row(area, DUO_HEADER + DUO_ROW * i as i32, i, row, max_kills)?;
        }
        Ok(())
    })?;
    canvas.into_png()
}

fn duo_row(
    area: &Area<'_>,
    y: i32,
    index: usize,
    row: &DuoRow,
    max_kills: i64,
) -> Result<(), RenderError> {
    let cy = y + DUO_ROW / 2;
    if index.is_multiple_of(2) {
        area.draw(&Rectangle::new(
            [(16, y + 2), (DUOS_WIDTH as i32 - 16, y + DUO_ROW - 2)],
            theme::PANEL.filled(),
        ))
        .map_err(draw_err)?;
    }
    let rank = index + 1;
    rank_label(area, rank, (64, cy))?;
    let name_style = anchored(text(19.0, true, theme::TEXT), HPos::Left, VPos::Center);
    let a = fit(area, &display_name(&row.name_a), &name_style, 340);
    let b = fit(
        area,
        &format!("+ {}", display_name(&row.name_b)),
        &name_style,
        340,
    );
    put(area, &a, &name_style, (82, cy - 13))?;
    put(area, &b, &name_style, (82, cy + 13))?;

    let num = |colour| anchored(text(22.0, true, colour), HPos::Center, VPos::Center);
    put(
        area,
        &fmt_int(row.crossfires),
        &num(theme::TEXT),
        (DUO_COLS[0], cy - 4),
    )?;
    put(
        area,
        &fmt_int(row.crossfire_kills),
        &num(theme::YELLOW),
        (DUO_COLS[1], cy - 4),
    )?;
    // Crossfire-kill bar under the number, relative to the top pair.
    let full = 80;
    let len = ((row.crossfire_kills.max(0) as f64 / max_kills as f64) * full as f64).round() as i32;
    let (bx, by) = (DUO_COLS[1] - full / 2, cy + 15);
    area.draw(&Rectangle::new(
        [(bx, by), (bx + full, by + 5)],
        theme::LINE.filled(),
    ))
    .map_err(draw_err)?;
    if len > 0 {
        area.draw(&Rectangle::new(
            [(bx, by), (bx + len, by + 5)],
            theme::YELLOW.filled(),
        ))
        .map_err(draw_err)?;
    }
    put(
        area,
        &fmt_num(row.kills_per_round),
        &num(theme::TEXT),
        (DUO_COLS[2], cy - 4),
    )?;
    put(
        area,
        &fmt_int(row.rounds_together),
        &anchored(text(20.0, false, theme::MUTED), HPos::Center, VPos::Center),
        (DUO_COLS[3], cy - 4),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testutil::{Image, close, save};

    fn row(name: &[u8], value: f64, samples: i64) -> LeaderRow {
        LeaderRow {
            name_raw: name.to_vec(),
            value,
            samples,
        }
    }

    fn board(rows: Vec<LeaderRow>, lower_is_better: bool) -> LeaderboardInput {
        LeaderboardInput {
            title: "Average speed".into(),
            subtitle: "last 30 days · at least 10 rounds".into(),
            unit: "u/s".into(),
            samples_label: "rounds".into(),
            rows,
            lower_is_better,
        }
    }

    fn rgb(c: RGBColor) -> [u8; 3] {
        [c.0, c.1, c.2]
    }

    /// Bar length of the row at `index`, measured along the row's centre line.
    fn bar_len(img: &Image, index: usize, colour: RGBColor) -> u32 {
        let cy = (LB_HEADER + LB_ROW * index as i32 + LB_ROW / 2) as u32;
        img.run_of(cy, LB_BAR_X as u32 + 1, rgb(colour)) + 1
    }

    #[test]
    fn first_bar_is_the_leader_and_longest() {
        let rows = vec![
            row(b"^2Slow", 180.0, 12),
            row(b"^1Fast^7est", 320.0, 40),
            row(b"Mid", 240.0, 25),
            row(b"Tail", 90.5, 11),
        ];
        let png = render_leaderboard(&board(rows, false)).unwrap();
        save("leaderboard.png", &png);
        let img = Image::decode(&png);
        assert_eq!((img.width, img.height), (900, 120 + 44 * 4));
        let lens = [
            bar_len(&img, 0, theme::GOLD),
            bar_len(&img, 1, theme::SILVER),
            bar_len(&img, 2, theme::BRONZE),
            bar_len(&img, 3, theme::BLURPLE),
        ];
        assert_eq!(lens[0], LB_BAR_LEN as u32, "{lens:?}");
        // 240/320 and 180/320 and 90.5/320 of the full length.
        assert!((lens[1] as i32 - 248).abs() <= 2, "{lens:?}");
        assert!((lens[2] as i32 - 186).abs() <= 2, "{lens:?}");
        assert!((lens[3] as i32 - 94).abs() <= 2, "{lens:?}");
    }

    #[test]
    fn lower_is_better_ranks_ascending() {
        let rows = vec![
            row(b"B", 900.0, 30),
            row(b"A", 450.0, 30),
            row(b"C", 1800.0, 30),
            row(b"NaN", f64::NAN, 3),
        ];
        let ranked = ranked(&rows, true);
        let names: Vec<&[u8]> = ranked.iter().map(|(_, r)| r.name_raw.as_slice()).collect();
        assert_eq!(names, [b"A" as &[u8], b"B", b"C", b"NaN"]);
        let mut input = board(rows, true);
        input.unit = "ms".into();
        input.title = "Spawn reaction".into();
        let png = render_leaderboard(&input).unwrap();
        save("leaderboard_lower.png", &png);
        let img = Image::decode(&png);
        let lens = [
            bar_len(&img, 0, theme::GOLD),
            bar_len(&img, 1, theme::SILVER),
        ];
        assert_eq!(lens[0], LB_BAR_LEN as u32);
        assert!((lens[1] as i32 - 166).abs() <= 2, "{lens:?}");
        // The non-finite row has no bar: the track colour starts right away.
        let cy = (LB_HEADER + LB_ROW * 3 + LB_ROW / 2) as u32;
        assert!(close(
            img.pixel(LB_BAR_X as u32 + 2, cy),
            rgb(theme::LINE),
            4
        ));
    }

    #[test]
    fn ties_share_a_rank() {
        let rows = vec![row(b"a", 5.0, 1), row(b"b", 7.0, 1), row(b"c", 5.0, 1)];
        let ranks: Vec<usize> = ranked(&rows, false).iter().map(|(r, _)| *r).collect();
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
        let png = render_leaderboard(&board(rows, false)).unwrap();
        save("leaderboard_hostile.png", &png);
        let img = Image::decode(&png);
        assert_eq!(img.height, leaderboard_height(LEADERBOARD_MAX_ROWS));
        assert_eq!(img.height, 120 + 44 * 25);
        // Names never spill into the bar column: the track starts clean on every row.
        for i in 0..LEADERBOARD_MAX_ROWS {
            let cy = (LB_HEADER + LB_ROW * i as i32 + LB_ROW / 2) as u32;
            let p = img.pixel(LB_BAR_X as u32 - 4, cy);
            assert!(p.iter().all(|&c| c < 90), "row {i}: {p:?}");
        }
    }

    #[test]
    fn empty_board_says_no_data() {
        let png = render_leaderboard(&board(vec![], false)).unwrap();
        save("leaderboard_empty.png", &png);
        let img = Image::decode(&png);
        assert_eq!((img.width, img.height), (900, 164));
        assert!(img.count_bright((300, 110), (600, 160)) > 50);
    }

    fn duo(a: &[u8], b: &[u8], cf: i64, kills: i64) -> DuoRow {
        DuoRow {
            name_a: a.to_vec(),
            name_b: b.to_vec(),
            crossfires: cf,
            crossfire_kills: kills,
            rounds_together: 14,
            kills_per_round: kills as f64 / 14.0 * 3.0,
        }
    }

    #[test]
    fn duos_rank_by_crossfire_kills() {
        let input = DuosInput {
            title: "Best duos".into(),
            subtitle: "last 30 days · at least 5 crossfires".into(),
            rows: vec![
                duo(b"^3Alpha", b"^4Bravo", 40, 9),
                duo(
                    b"Charlie",
                    b"Delta with a really very long name indeed",
                    31,
                    17,
                ),
                duo(b"Echo", b"Foxtrot", 55, 9),
            ],
        };
        let png = render_duos(&input).unwrap();
        save("duos.png", &png);
        let img = Image::decode(&png);
        assert_eq!((img.width, img.height), (900, 150 + 60 * 3));
        // Crossfire-kill bars: the first row (17 kills) full, then 9/17 twice.
        let bar = |i: usize| {
            let y = (DUO_HEADER + DUO_ROW * i as i32 + DUO_ROW / 2 + 17) as u32;
            img.run_of(y, (DUO_COLS[1] - 40) as u32, rgb(theme::YELLOW))
        };
        assert_eq!(bar(0), 80);
        assert!((bar(1) as i32 - 42).abs() <= 1, "{}", bar(1));
        assert!((bar(2) as i32 - 42).abs() <= 1, "{}", bar(2));

        let empty = render_duos(&DuosInput {
            rows: vec![],
            ..input
        })
        .unwrap();
        assert_eq!(Image::decode(&empty).height, duos_height(0));
    }
}
