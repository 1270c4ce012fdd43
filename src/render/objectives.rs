//! `/objectives`: players ranked by one objective tally, each with the rest of their objective
//! play on a line of its own.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::RenderError;
use super::canvas::{
    Area, Canvas, Rendered, anchored, draw_err, ensure_fonts, fit, fmt_compact, fmt_duration_ms,
    fmt_int, no_data, put, size, text, theme,
};
use super::leaderboard::{NAME_X, header, ranked_head};
use crate::metrics::{OBJECTIVE_TALLIES, ObjectiveTally, TallyUnit};

/// Objective board image width in pixels.
pub const OBJECTIVES_WIDTH: u32 = 640;
/// Players shown at most; the rest are left out.
pub const OBJECTIVES_MAX_ROWS: usize = 15;
const HEADER: i32 = 116;
const ROW: i32 = 80;
const RIGHT: i32 = OBJECTIVES_WIDTH as i32 - 28;

/// Objective board height for `rows` players (at least one, at most [`OBJECTIVES_MAX_ROWS`]).
pub fn objectives_height(rows: usize) -> u32 {
    (HEADER + 10 + ROW * rows.clamp(1, OBJECTIVES_MAX_ROWS) as i32) as u32
}

/// One player on the board.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveLine {
    /// The name as stored (colour codes are stripped when drawn).
    pub name_raw: Vec<u8>,
    /// Rounds played that recorded objective play.
    pub rounds: i64,
    /// The totals of [`OBJECTIVE_TALLIES`], in its order.
    pub tallies: Vec<f64>,
}

impl ObjectiveLine {
    /// The total of `tally`.
    pub fn value(&self, tally: &ObjectiveTally) -> f64 {
        OBJECTIVE_TALLIES
            .iter()
            .position(|t| t.key == tally.key)
            .and_then(|i| self.tallies.get(i).copied())
            .unwrap_or(0.0)
    }

    /// The player's other non-zero tallies, "2 plants · 1 defuse · 1:20 carrying", in the
    /// board's column order: the line the image and the embed share.
    pub fn others_text(&self, ranked_by: &ObjectiveTally) -> String {
        let parts: Vec<String> = OBJECTIVE_TALLIES
            .iter()
            .zip(&self.tallies)
            .filter(|(t, v)| t.key != ranked_by.key && **v > 0.0)
            .map(|(t, v)| tally_text(t, *v))
            .collect();
        if parts.is_empty() {
            "nothing else".to_string()
        } else {
            parts.join(" · ")
        }
    }
}

/// A tally's value as the board writes it: "3", "1:20", "1,234 u".
pub fn tally_value(tally: &ObjectiveTally, value: f64) -> String {
    match tally.unit {
        TallyUnit::Count => fmt_compact(value.round() as i64),
        TallyUnit::Duration => fmt_duration_ms(value.round() as i64),
        TallyUnit::Distance => format!("{} u", fmt_int(value.round() as i64)),
    }
}

/// A tally with its words: "3 plants", "1 defuse", "1:20 carrying", "1,234 u escorted".
pub fn tally_text(tally: &ObjectiveTally, value: f64) -> String {
    let n = tally_value(tally, value);
    match tally.unit {
        TallyUnit::Count if value.round() == 1.0 => format!("{n} {}", tally.one),
        _ => format!("{n} {}", tally.many),
    }
}

/// Everything the objective board shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectivesInput {
    /// What the board ranks by.
    pub tally: &'static ObjectiveTally,
    /// The scope, e.g. "all maps, last 30 days".
    pub subtitle: String,
    /// In rank order (the query's: most first).
    pub rows: Vec<ObjectiveLine>,
}

/// The rows the image shows with their competition ranks (1, 2, 2, 4), cut to
/// [`OBJECTIVES_MAX_ROWS`].
pub fn objective_ranks(input: &ObjectivesInput) -> Vec<(usize, &ObjectiveLine)> {
    let mut out: Vec<(usize, &ObjectiveLine)> = Vec::new();
    for (i, row) in input.rows.iter().take(OBJECTIVES_MAX_ROWS).enumerate() {
        let rank = match out.last() {
            Some(&(r, prev)) if prev.value(input.tally) == row.value(input.tally) => r,
            _ => i + 1,
        };
        out.push((rank, row));
    }
    out
}

/// Draws the board, [`OBJECTIVES_WIDTH`] × [`objectives_height`]`(rows)`: per player the rank,
/// name and the ranked total; a bar relative to the leader's and the rounds; then the player's
/// other objective play.
pub fn render_objectives(input: &ObjectivesInput) -> Result<Vec<u8>, RenderError> {
    objectives(input).map(Rendered::into_png)
}

pub(crate) fn objectives(input: &ObjectivesInput) -> Result<Rendered, RenderError> {
    ensure_fonts()?;
    let rows = objective_ranks(input);
    let height = objectives_height(rows.len());
    let mut canvas = Canvas::new(OBJECTIVES_WIDTH, height, theme::BG);
    canvas.draw(|area| {
        header(
            area,
            input.tally.title,
            &format!("Objective play · {}", input.subtitle.trim()),
            "Most first · then the rest of each player's objective play",
        )?;
        if rows.is_empty() {
            return no_data(
                area,
                ((0, HEADER - 10), (OBJECTIVES_WIDTH as i32, height as i32)),
                "",
            );
        }
        let best = rows[0].1.value(input.tally);
        for (i, (rank, line)) in rows.iter().enumerate() {
            board_row(
                area,
                input.tally,
                HEADER + ROW * i as i32,
                i,
                *rank,
                line,
                best,
            )?;
        }
        Ok(())
    })?;
    canvas.finish()
}

fn board_row(
    area: &Area<'_>,
    tally: &ObjectiveTally,
    y: i32,
    index: usize,
    rank: usize,
    line: &ObjectiveLine,
    best: f64,
) -> Result<(), RenderError> {
    let (line1, line2, line3) = (y + 18, y + 40, y + 62);
    if index.is_multiple_of(2) {
        area.draw(&Rectangle::new(
            [(10, y + 1), (OBJECTIVES_WIDTH as i32 - 10, y + ROW - 1)],
            theme::PANEL.filled(),
        ))
        .map_err(draw_err)?;
    }
    let share = if best > 0.0 {
        line.value(tally) / best
    } else {
        0.0
    };
    let rounds = match line.rounds {
        1 => "1 round".to_string(),
        n => format!("{} rounds", fmt_compact(n)),
    };
    ranked_head(
        area,
        (line1, line2),
        rank,
        &tally_value(tally, line.value(tally)),
        &line.name_raw,
        share,
        &rounds,
    )?;
    let small_left = anchored(
        text(size::SMALL, false, theme::MUTED),
        HPos::Left,
        VPos::Center,
    );
    let others = fit(
        area,
        &line.others_text(tally),
        &small_left,
        (RIGHT - NAME_X) as u32,
    );
    put(area, &others, &small_left, (NAME_X, line3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::leaderboard::BAR_LEN;
    use crate::render::testutil::{Image, rgb};

    fn line(name: &str, rounds: i64, plants: f64, carry_ms: f64) -> ObjectiveLine {
        let mut tallies = vec![0.0; OBJECTIVE_TALLIES.len()];
        tallies[0] = plants;
        tallies[7] = carry_ms;
        ObjectiveLine {
            name_raw: name.as_bytes().to_vec(),
            rounds,
            tallies,
        }
    }

    #[test]
    fn tallies_read_with_their_words() {
        let plants = ObjectiveTally::by_key("plants").unwrap();
        let carry = ObjectiveTally::by_key("carry time").unwrap();
        let escort = ObjectiveTally::by_key("escort distance").unwrap();
        assert_eq!(tally_text(plants, 1.0), "1 plant");
        assert_eq!(tally_text(plants, 12.0), "12 plants");
        assert_eq!(tally_text(carry, 80_400.0), "1:20 carrying");
        assert_eq!(tally_text(escort, 12_345.4), "12,345 u escorted");
        let l = line("a", 3, 2.0, 80_000.0);
        assert_eq!(l.others_text(plants), "1:20 carrying");
        assert_eq!(l.others_text(carry), "2 plants");
        assert_eq!(line("b", 1, 2.0, 0.0).others_text(plants), "nothing else");
    }

    #[test]
    fn equal_totals_share_a_rank_and_the_leader_has_the_longest_gold_bar() {
        let input = ObjectivesInput {
            tally: ObjectiveTally::by_key("plants").unwrap(),
            subtitle: "all maps, all time".into(),
            rows: vec![
                line("first", 10, 8.0, 0.0),
                line("second", 9, 4.0, 0.0),
                line("also second", 2, 4.0, 1000.0),
                line("fourth", 4, 1.0, 0.0),
            ],
        };
        let ranks: Vec<usize> = objective_ranks(&input).iter().map(|r| r.0).collect();
        assert_eq!(ranks, [1, 2, 2, 4]);
        let png = render_objectives(&input).unwrap();
        let img = Image::decode(&png);
        assert_eq!(
            (img.width, img.height),
            (OBJECTIVES_WIDTH, objectives_height(4))
        );
        let bar_y = (HEADER + 40) as u32;
        // The leader's bar is gold to its end; the second's (half the plants) silver to half.
        assert_eq!(
            img.run_of(bar_y, NAME_X as u32, rgb(theme::GOLD)),
            BAR_LEN as u32
        );
        let second_y = bar_y + ROW as u32;
        assert_eq!(
            img.run_of(second_y, NAME_X as u32, rgb(theme::SILVER)),
            (BAR_LEN / 2) as u32
        );
    }
}
