//! Crossfire pairs: the best duos, and one player's crossfire partners.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::RenderError;
use super::canvas::{
    Area, Canvas, Rendered, anchored, display_name, draw_err, ensure_fonts, fit, fmt_int, fmt_num,
    no_data, put, size, text, text_width, theme, with_unit,
};
use super::leaderboard::{header, rank_label};

/// Duos image width in pixels.
pub const DUOS_WIDTH: u32 = 640;
/// Pairs shown at most.
pub const DUOS_MAX_ROWS: usize = 15;
const HEADER: i32 = 116;
const ROW: i32 = 58;
const RIGHT: i32 = DUOS_WIDTH as i32 - 28;
const NAME_X: i32 = 76;
/// The crossfire-kill bar under the number: its full length, ending at the right edge.
const BAR_LEN: i32 = 100;

/// Duos image height for `rows` pairs: 126 + 58 per pair (at least one, at most
/// [`DUOS_MAX_ROWS`]).
pub fn duos_height(rows: usize) -> u32 {
    (HEADER + 10 + ROW * rows.clamp(1, DUOS_MAX_ROWS) as i32) as u32
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
    /// e.g. "all maps, last 30 days · at least 5 crossfires"; may be empty.
    pub subtitle: String,
    pub rows: Vec<DuoRow>,
}

/// Draws the best duos, [`DUOS_WIDTH`] × [`duos_height`]`(rows)`.
///
/// Pairs are ranked by crossfire kills, then crossfires (stable), cut to [`DUOS_MAX_ROWS`]. Each
/// row shows rank, both names and the crossfire kills (yellow, with a bar relative to the top
/// pair); then crossfires, rounds together and kills per round together.
pub fn render_duos(input: &DuosInput) -> Result<Vec<u8>, RenderError> {
    duos(input).map(Rendered::into_png)
}

/// The pairs the image shows, in its order: crossfire kills, then crossfires (stable), cut to
/// [`DUOS_MAX_ROWS`]. The embed beside the image quotes the same order.
pub fn ranked_duos(input: &DuosInput) -> Vec<&DuoRow> {
    let mut rows: Vec<&DuoRow> = input.rows.iter().collect();
    rows.sort_by(|a, b| {
        b.crossfire_kills
            .cmp(&a.crossfire_kills)
            .then(b.crossfires.cmp(&a.crossfires))
    });
    rows.truncate(DUOS_MAX_ROWS);
    rows
}

/// The line under a pair's names: "31 crossfires · 14 rounds · 1.21 kills/round".
pub fn duo_stats(row: &DuoRow) -> String {
    format!(
        "{} crossfires · {} {} · {}",
        fmt_int(row.crossfires),
        fmt_int(row.rounds_together),
        if row.rounds_together == 1 {
            "round"
        } else {
            "rounds"
        },
        with_unit(fmt_num(row.kills_per_round), "kills/round"),
    )
}

/// A pair's crossfire kills as the image writes them.
pub fn duo_kills(row: &DuoRow) -> String {
    fmt_int(row.crossfire_kills)
}

pub(crate) fn duos(input: &DuosInput) -> Result<Rendered, RenderError> {
    ensure_fonts()?;
    let rows = ranked_duos(input);
    let height = duos_height(rows.len());
    let mut canvas = Canvas::new(DUOS_WIDTH, height, theme::BG);
    canvas.draw(|area| {
        header(area, &input.title, input.subtitle.trim(), "")?;
        if rows.is_empty() {
            return no_data(
                area,
                ((0, HEADER - 10), (DUOS_WIDTH as i32, height as i32)),
                "",
            );
        }
        let head = text(size::SMALL, true, theme::MUTED);
        put(
            area,
            "PAIR",
            &anchored(head.clone(), HPos::Left, VPos::Center),
            (NAME_X, HEADER - 24),
        )?;
        put(
            area,
            "CROSSFIRE KILLS",
            &anchored(head, HPos::Right, VPos::Center),
            (RIGHT, HEADER - 24),
        )?;
        let max_kills = rows[0].crossfire_kills.max(1);
        for (i, row) in rows.iter().enumerate() {
            duo_row(area, HEADER + ROW * i as i32, i, row, max_kills)?;
        }
        Ok(())
    })?;
    canvas.finish()
}

/// "a + b" within `max_width` pixels: each name keeps its full length when it fits, and the
/// longer one gives way first.
pub(crate) fn pair_names(
    area: &Area<'_>,
    a: &str,
    b: &str,
    style: &TextStyle<'static>,
    max_width: u32,
) -> String {
    let joined = format!("{a} + {b}");
    if text_width(area, &joined, style) <= max_width {
        return joined;
    }
    let room = max_width.saturating_sub(text_width(area, " + ", style));
    let (wa, wb) = (text_width(area, a, style), text_width(area, b, style));
    let half = room / 2;
    let (ra, rb) = if wa <= half {
        (wa, room - wa)
    } else if wb <= half {
        (room - wb, wb)
    } else {
        (half, room - half)
    };
    format!("{} + {}", fit(area, a, style, ra), fit(area, b, style, rb))
}

fn duo_row(
    area: &Area<'_>,
    y: i32,
    index: usize,
    row: &DuoRow,
    max_kills: i64,
) -> Result<(), RenderError> {
    let (line1, line2) = (y + 19, y + 42);
    if index.is_multiple_of(2) {
        area.draw(&Rectangle::new(
            [(10, y + 1), (DUOS_WIDTH as i32 - 10, y + ROW - 1)],
            theme::PANEL.filled(),
        ))
        .map_err(draw_err)?;
    }
    rank_label(area, index + 1, (NAME_X - 10, line1))?;
    let kills_style = anchored(
        text(size::VALUE, true, theme::YELLOW),
        HPos::Right,
        VPos::Center,
    );
    let kills = fit(area, &duo_kills(row), &kills_style, 160);
    put(area, &kills, &kills_style, (RIGHT, line1))?;
    let names_style = anchored(
        text(size::BODY, true, theme::TEXT),
        HPos::Left,
        VPos::Center,
    );
    let room = RIGHT - NAME_X - BAR_LEN.max(text_width(area, &kills, &kills_style) as i32) - 16;
    let names = pair_names(
        area,
        &display_name(&row.name_a),
        &display_name(&row.name_b),
        &names_style,
        room as u32,
    );
    put(area, &names, &names_style, (NAME_X, line1))?;

    let stats = duo_stats(row);
    let stats_style = anchored(
        text(size::SMALL, false, theme::MUTED),
        HPos::Left,
        VPos::Center,
    );
    let stats = fit(area, &stats, &stats_style, room as u32);
    put(area, &stats, &stats_style, (NAME_X, line2))?;

    // Crossfire-kill bar, relative to the top pair.
    let len =
        ((row.crossfire_kills.max(0) as f64 / max_kills as f64) * BAR_LEN as f64).round() as i32;
    let (bx, by) = (RIGHT - BAR_LEN, line2 - 3);
    area.draw(&Rectangle::new(
        [(bx, by), (bx + BAR_LEN, by + 6)],
        theme::LINE.filled(),
    ))
    .map_err(draw_err)?;
    if len > 0 {
        area.draw(&Rectangle::new(
            [(bx, by), (bx + len, by + 6)],
            theme::YELLOW.filled(),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testutil::{Image, rgb, save};

    fn duo(a: &[u8], b: &[u8], cf: i64, kills: i64) -> DuoRow {
        DuoRow {
            name_a: a.to_vec(),
            name_b: b.to_vec(),
            crossfires: cf,
            crossfire_kills: kills,
            rounds_together: 14,
            kills_per_round: kills as f64 / 14.0,
        }
    }

    #[test]
    fn duos_rank_by_crossfire_kills() {
        let input = DuosInput {
            title: "Best duos".into(),
            subtitle: "all maps, last 30 days · at least 5 crossfires".into(),
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
        let r = duos(&input).unwrap();
        save("duos.png", &r.png);
        let img = Image::decode(&r.png);
        assert_eq!((img.width, img.height), (640, 126 + 58 * 3));
        // Crossfire-kill bars: the first row (17 kills) full, then 9/17 twice.
        let bar = |i: usize| {
            let y = (HEADER + ROW * i as i32 + 42) as u32;
            img.run_of(y, (RIGHT - BAR_LEN) as u32, rgb(theme::YELLOW))
        };
        assert_eq!(bar(0), BAR_LEN as u32);
        assert_eq!((bar(1), bar(2)), (53, 53));
        // Names in rank order; the long one is shortened, the short one kept whole.
        let names: Vec<&str> = r
            .texts
            .iter()
            .filter(|t| t.text.contains(" + "))
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(names.len(), 3);
        assert!(names[0].starts_with("Charlie + Delta with a"), "{names:?}");
        assert!(names[0].ends_with('…'), "{names:?}");
        assert_eq!(names[1..], ["Echo + Foxtrot", "Alpha + Bravo"]);
        let stats: Vec<&str> = r
            .texts
            .iter()
            .filter(|t| t.text.contains("crossfires ·"))
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(stats[0], "31 crossfires · 14 rounds · 1.21 kills/round");

        let empty = render_duos(&DuosInput {
            rows: vec![],
            ..input
        })
        .unwrap();
        assert_eq!(Image::decode(&empty).height, duos_height(0));
    }
}
