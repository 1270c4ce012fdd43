//! Cards: one player against the server, and the post-round summary.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::RenderError;
use super::canvas::{
    Area, Canvas, anchored, decimals_for, display_name, draw_err, ensure_fonts, fit,
    fmt_duration_ms, fmt_int, fmt_num, fmt_num_with, no_data, put, text, theme, with_unit,
};
use super::density::{Density, Frame, View};
use super::heatmap::HeatPoint;
use crate::maps::map_info;

/// Player card width in pixels.
pub const PLAYER_CARD_WIDTH: u32 = 900;
/// Stats shown at most on a player card.
pub const PLAYER_CARD_MAX_ROWS: usize = 12;
const PC_HEADER: i32 = 128;
const PC_ROW: i32 = 62;
/// Comparison track: left edge and length.
const PC_TRACK_X: i32 = 392;
const PC_TRACK_LEN: i32 = 300;

/// Player card height for `rows` stats: 140 + 62 per stat (at least one, at most
/// [`PLAYER_CARD_MAX_ROWS`]); six stats give 512 px.
pub fn player_card_height(rows: usize) -> u32 {
    (PC_HEADER + 12 + PC_ROW * rows.clamp(1, PLAYER_CARD_MAX_ROWS) as i32) as u32
}

/// One figure of a player next to the server's median.
#[derive(Clone, Debug, PartialEq)]
pub struct CardStat {
    /// e.g. "Average speed", "Support uptime".
    pub label: String,
    /// The player's value; `None` when the player has no data for it.
    pub value: Option<f64>,
    /// The server's median; `None` when unknown.
    pub median: Option<f64>,
    /// Unit of both values, e.g. "u/s", "%", "ms".
    pub unit: String,
    /// Whether more is better (false e.g. for spawn reaction time).
    pub higher_is_better: bool,
}

/// Everything a player card shows.
#[derive(Clone, Debug, PartialEq)]
pub struct PlayerCardInput {
    /// The player's raw name (colour codes stripped when drawn).
    pub name: Vec<u8>,
    /// A line under the name, e.g. "last 30 days · 42 rounds"; may be empty.
    pub subtitle: String,
    /// The stats in display order (movement, teamplay, trades, support uptime, escape rate,
    /// spawn reaction…); at most [`PLAYER_CARD_MAX_ROWS`] are shown.
    pub rows: Vec<CardStat>,
}

/// Draws a player card, [`PLAYER_CARD_WIDTH`] × [`player_card_height`]`(rows)`.
///
/// Each stat row shows the label, the player's value, a track with the player's bar (green
/// when better than the median, red when worse, grey within ±2 %) and a white tick at the
/// median, and the difference to the median in per cent. No stats give a "No data" card.
pub fn render_player_card(input: &PlayerCardInput) -> Result<Vec<u8>, RenderError> {
    ensure_fonts()?;
    let rows = &input.rows[..input.rows.len().min(PLAYER_CARD_MAX_ROWS)];
    let height = player_card_height(rows.len());
    let mut canvas = Canvas::new(PLAYER_CARD_WIDTH, height, theme::BG);
    canvas.draw(|area| {
        // Accent stripe and header.
        area.draw(&Rectangle::new(
            [(0, 0), (7, height as i32)],
            theme::BLURPLE.filled(),
        ))
        .map_err(draw_err)?;
        let name_style = anchored(text(34.0, true, theme::TEXT), HPos::Left, VPos::Center);
        let name = fit(area, &display_name(&input.name), &name_style, 820);
        put(area, &name, &name_style, (34, 40))?;
        let sub = [input.subtitle.trim(), "compared with the server median"]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        let sub_style = anchored(text(18.0, false, theme::MUTED), HPos::Left, VPos::Center);
        let sub = fit(area, &sub, &sub_style, 820);
        put(area, &sub, &sub_style, (34, 80))?;
        let legend = text(14.0, true, theme::FAINT);
        put(
            area,
            "PLAYER",
            &anchored(legend.clone(), HPos::Right, VPos::Center),
            (372, PC_HEADER - 12),
        )?;
        put(
            area,
            "▏ MEDIAN",
            &anchored(legend.clone(), HPos::Left, VPos::Center),
            (PC_TRACK_X, PC_HEADER - 12),
        )?;
        put(
            area,
            "VS MEDIAN",
            &anchored(legend, HPos::Right, VPos::Center),
            (872, PC_HEADER - 12),
        )?;
        if rows.is_empty() {
            return no_data(
                area,
                ((0, PC_HEADER), (PLAYER_CARD_WIDTH as i32, height as i32)),
                "",
            );
        }
        for (i, stat) in rows.iter().enumerate() {
            stat_row(area, PC_HEADER + PC_ROW * i as i32, i, stat)?;
        }
        Ok(())
    })?;
    canvas.into_png()
}

/// How a value compares with the median: the colour and the "+12 %" text.
fn verdict(stat: &CardStat) -> (RGBColor, String) {
    match (stat.value, stat.median) {
        (Some(v), Some(m)) if v.is_finite() && m.is_finite() => {
            let diff = if m != 0.0 {
                (v - m) / m.abs() * 100.0
            } else if v == 0.0 {
                0.0
            } else {
                f64::INFINITY.copysign(v)
            };
            let colour = if diff.abs() < 2.0 {
                theme::MUTED
            } else if (diff > 0.0) == stat.higher_is_better {
                theme::GOOD
            } else {
                theme::BAD
            };
            let text = if diff.is_infinite() {
                "n/a".to_string()
            } else if diff.abs() < 0.5 {
                "±0%".to_string()
            } else {
                format!(
                    "{}{}%",
                    if diff > 0.0 { "+" } else { "−" },
                    fmt_num(diff.abs().round())
                )
            };
            (colour, text)
        }
        _ => (theme::FAINT, "—".to_string()),
    }
}

fn stat_row(area: &Area<'_>, y: i32, index: usize, stat: &CardStat) -> Result<(), RenderError> {
    let cy = y + PC_ROW / 2;
    if index.is_multiple_of(2) {
        area.draw(&Rectangle::new(
            [(20, y + 2), (PLAYER_CARD_WIDTH as i32 - 20, y + PC_ROW - 2)],
            theme::PANEL.filled(),
        ))
        .map_err(draw_err)?;
    }
    let label_style = anchored(text(19.0, true, theme::TEXT), HPos::Left, VPos::Center);
    let label = fit(area, stat.label.trim(), &label_style, 200);
    put(area, &label, &label_style, (36, cy - 10))?;
    let hint = if stat.higher_is_better {
        "higher is better"
    } else {
        "lower is better"
    };
    put(
        area,
        hint,
        &anchored(text(13.0, false, theme::FAINT), HPos::Left, VPos::Center),
        (36, cy + 14),
    )?;
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
    let value = show(stat.value);
    let value_style = anchored(text(22.0, true, theme::TEXT), HPos::Right, VPos::Center);
    let value = fit(area, &value, &value_style, 140);
    put(area, &value, &value_style, (372, cy))?;

    // Track scaled to 1.25 × the larger of value and median.
    let (colour, delta) = verdict(stat);
    let (tx, ty) = (PC_TRACK_X, cy - 7);
    area.draw(&Rectangle::new(
        [(tx, ty), (tx + PC_TRACK_LEN, ty + 14)],
        theme::LINE.filled(),
    ))
    .map_err(draw_err)?;
    let finite = |v: Option<f64>| v.filter(|v| v.is_finite()).map(|v| v.max(0.0));
    let (v, m) = (finite(stat.value), finite(stat.median));
    let top = v.unwrap_or(0.0).max(m.unwrap_or(0.0)) * 1.25;
    let px = |x: f64| tx + ((x / top) * PC_TRACK_LEN as f64).round() as i32;
    if top > 0.0 {
        if let Some(v) = v {
            let end = px(v);
            if end > tx {
                area.draw(&Rectangle::new([(tx, ty), (end, ty + 14)], colour.filled()))
                    .map_err(draw_err)?;
            }
        }
        if let Some(m) = m {
            let mx = px(m);
            area.draw(&Rectangle::new(
                [(mx - 1, ty - 7), (mx + 1, ty + 21)],
                theme::TEXT.filled(),
            ))
            .map_err(draw_err)?;
        }
    }

    put(
        area,
        &delta,
        &anchored(text(20.0, true, colour), HPos::Right, VPos::Center),
        (872, cy - 10),
    )?;
    let median = format!("median {}", show(stat.median));
    let median_style = anchored(text(14.0, false, theme::MUTED), HPos::Right, VPos::Center);
    let median = fit(area, &median, &median_style, 150);
    put(area, &median, &median_style, (872, cy + 14))
}

/// Round card width in pixels.
pub const ROUND_CARD_WIDTH: u32 = 900;
/// Round card height in pixels.
pub const ROUND_CARD_HEIGHT: u32 = 500;
/// Mini heatmap region (x, y, width, height) on the round card.
const MINI_REGION: (f64, f64, f64, f64) = (584.0, 124.0, 290.0, 310.0);

/// The round's best duo, as shown on the round card.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundDuo {
    pub name_a: Vec<u8>,
    pub name_b: Vec<u8>,
    pub crossfires: i64,
    pub crossfire_kills: i64,
}

/// Everything the post-round summary card shows.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundCardInput {
    /// Map name; a known map frames the mini heatmap.
    pub map: String,
    /// Round number (1 or 2 in stopwatch).
    pub round: i32,
    /// Round length.
    pub duration_ms: i64,
    /// Players who took part.
    pub players: i64,
    /// Engagements recorded.
    pub engagements: i64,
    /// Crossfire engagements.
    pub crossfires: i64,
    /// Engagements that ended in an escape.
    pub escapes: i64,
    /// The round's best crossfire pair, if any.
    pub best_duo: Option<RoundDuo>,
    /// Most damage dealt: (raw name, damage), best first; up to five are shown.
    pub top_damage: Vec<(Vec<u8>, f64)>,
    /// Most escapes: (raw name, escapes), best first; up to five are shown.
    pub top_escapes: Vec<(Vec<u8>, i64)>,
    /// Kill positions for the mini heatmap (teams = killer's team); empty to leave it out.
    pub kill_points: Vec<HeatPoint>,
}

/// Draws the post-round summary, [`ROUND_CARD_WIDTH`] × [`ROUND_CARD_HEIGHT`]: map, round and
/// duration; tiles with players, engagements, crossfires and escapes; the best duo; top damage
/// and top escapes; and a small team-coloured kill heatmap in the map's frame.
pub fn render_round_card(input: &RoundCardInput) -> Result<Vec<u8>, RenderError> {
    ensure_fonts()?;
    let info = map_info(&input.map);
    let frame = match info {
        Some(m) => Frame::from_map(m),
        None => Frame::from_points(&input.kill_points),
    };
    let view = View::fit(frame, MINI_REGION);
    let by_team = input.kill_points.iter().any(|p| p.team.is_some());
    let density = Density::estimate(frame, &input.kill_points, by_team, 0.02);

    let mut canvas = Canvas::new(ROUND_CARD_WIDTH, ROUND_CARD_HEIGHT, theme::BG);
    canvas.draw(|area| {
        area.draw(&Rectangle::new(
            [(0, 0), (7, ROUND_CARD_HEIGHT as i32)],
            theme::BLURPLE.filled(),
        ))
        .map_err(draw_err)?;
        let map = match info {
            Some(m) => m.name.as_str(),
            None if input.map.trim().is_empty() => "unknown map",
            None => input.map.trim(),
        };
        let title_style = anchored(text(32.0, true, theme::TEXT), HPos::Left, VPos::Center);
        let title = fit(
            area,
            &format!("{map} · round {}", input.round),
            &title_style,
            820,
        );
        put(area, &title, &title_style, (34, 38))?;
        put(
            area,
            &format!("Round summary · {}", fmt_duration_ms(input.duration_ms)),
            &anchored(text(18.0, false, theme::MUTED), HPos::Left, VPos::Center),
            (34, 76),
        )?;

        let tiles = [
            ("players", input.players, theme::TEXT),
            ("engagements", input.engagements, theme::TEXT),
            ("crossfires", input.crossfires, theme::YELLOW),
            ("escapes", input.escapes, theme::GOOD),
        ];
        for (i, (label, n, colour)) in tiles.into_iter().enumerate() {
            let x = 30 + i as i32 * 134;
            area.draw(&Rectangle::new(
                [(x, 104), (x + 124, 184)],
                theme::PANEL.filled(),
            ))
            .map_err(draw_err)?;
            put(
                area,
                &fmt_int(n),
                &anchored(text(30.0, true, colour), HPos::Center, VPos::Center),
                (x + 62, 134),
            )?;
            put(
                area,
                label,
                &anchored(text(15.0, false, theme::MUTED), HPos::Center, VPos::Center),
                (x + 62, 166),
            )?;
        }

        // Best duo.
        let small_head = text(14.0, true, theme::FAINT);
        put(
            area,
            "BEST DUO",
            &anchored(small_head.clone(), HPos::Left, VPos::Center),
            (32, 212),
        )?;
        match &input.best_duo {
            Some(d) => {
                let names_style =
                    anchored(text(20.0, true, theme::YELLOW), HPos::Left, VPos::Center);
                let names = fit(
                    area,
                    &format!("{} + {}", display_name(&d.name_a), display_name(&d.name_b)),
                    &names_style,
                    530,
                );
                put(area, &names, &names_style, (32, 238))?;
                put(
                    area,
                    &format!(
                        "{} crossfires · {} crossfire kills",
                        fmt_int(d.crossfires),
                        fmt_int(d.crossfire_kills)
                    ),
                    &anchored(text(16.0, false, theme::MUTED), HPos::Left, VPos::Center),
                    (32, 264),
                )?;
            }
            None => put(
                area,
                "no crossfire pair this round",
                &anchored(text(17.0, false, theme::FAINT), HPos::Left, VPos::Center),
                (32, 238),
            )?,
        }

        let damage: Vec<(String, String)> = input
            .top_damage
            .iter()
            .take(5)
            .map(|(n, v)| (display_name(n), fmt_num(*v)))
            .collect();
        let escapes: Vec<(String, String)> = input
            .top_escapes
            .iter()
            .take(5)
            .map(|(n, v)| (display_name(n), fmt_int(*v)))
            .collect();
        top_list(area, (32, 298), "TOP DAMAGE", &damage)?;
        top_list(area, (306, 298), "TOP ESCAPES", &escapes)?;

        let (p0, p1) = view.rect();
        put(
            area,
            "KILL MAP",
            &anchored(small_head, HPos::Left, VPos::Center),
            (p0.0, p0.1 - 12),
        )?;
        area.draw(&Rectangle::new([p0, p1], theme::DEEP.filled()))
            .map_err(draw_err)?;
        area.draw(&Rectangle::new([p0, p1], theme::LINE.stroke_width(2)))
            .map_err(draw_err)
    })?;
    density.paint(&mut canvas, &view);
    canvas.draw(|area| {
        let (p0, p1) = view.rect();
        if density.is_empty() {
            put(
                area,
                "no kill positions",
                &anchored(text(16.0, false, theme::FAINT), HPos::Center, VPos::Center),
                ((p0.0 + p1.0) / 2, (p0.1 + p1.1) / 2),
            )?;
        }
        if let Some(m) = info {
            for o in &m.objectives {
                if view.frame.contains(o.x, o.y) {
                    let (x, y) = view.project(o.x, o.y);
                    let (x, y) = (x.round() as i32, y.round() as i32);
                    area.draw(&Polygon::new(
                        vec![(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)],
                        theme::YELLOW.filled(),
                    ))
                    .map_err(draw_err)?;
                }
            }
        }
        let caption = if by_team {
            format!(
                "{} kills · red axis, blue allies",
                fmt_int(density.weight.round() as i64)
            )
        } else {
            format!("{} kills", fmt_int(density.weight.round() as i64))
        };
        put(
            area,
            &caption,
            &anchored(text(14.0, false, theme::MUTED), HPos::Center, VPos::Top),
            (((p0.0 + p1.0) / 2), p1.1 + 10),
        )
    })?;
    canvas.into_png()
}

/// A titled list of up to five (name, value) lines, 220 px wide.
fn top_list(
    area: &Area<'_>,
    (x, y): (i32, i32),
    title: &str,
    rows: &[(String, String)],
) -> Result<(), RenderError> {
    put(
        area,
        title,
        &anchored(text(14.0, true, theme::FAINT), HPos::Left, VPos::Center),
        (x, y),
    )?;
    if rows.is_empty() {
        return put(
            area,
            "—",
            &anchored(text(17.0, false, theme::FAINT), HPos::Left, VPos::Center),
            (x, y + 28),
        );
    }
    let name_style = anchored(text(17.0, false, theme::TEXT), HPos::Left, VPos::Center);
    let value_style = anchored(text(17.0, true, theme::TEXT), HPos::Right, VPos::Center);
    for (i, (name, value)) in rows.iter().enumerate() {
        let ly = y + 28 + i as i32 * 32;
        let rank_colour = super::leaderboard::bar_colour(i + 1);
        area.draw(&Rectangle::new(
            [(x, ly - 9), (x + 3, ly + 9)],
            rank_colour.filled(),
        ))
        .map_err(draw_err)?;
        let value_w = super::canvas::text_width(area, value, &value_style) as i32;
        let name = fit(area, name, &name_style, (236 - value_w - 26).max(40) as u32);
        put(area, &name, &name_style, (x + 12, ly))?;
        put(area, value, &value_style, (x + 250, ly))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Team;
    use crate::render::testutil::{Image, close, save};

    fn stat(label: &str, value: f64, median: f64, unit: &str, higher: bool) -> CardStat {
        CardStat {
            label: label.into(),
            value: Some(value),
            median: Some(median),
            unit: unit.into(),
            higher_is_better: higher,
        }
    }

    fn rgb(c: RGBColor) -> [u8; 3] {
        [c.0, c.1, c.2]
    }

    #[test]
    fn player_card_colours_better_and_worse() {
        let input = PlayerCardInput {
            name: b"^1Red^7Baron".to_vec(),
            subtitle: "last 30 days · 42 rounds".into(),
            rows: vec![
                stat("Average speed", 310.0, 280.0, "u/s", true),
                stat("Crossfire kills", 2.1, 3.0, "/round", true),
                stat("Trades made", 1.0, 1.01, "/round", true),
                stat("Support uptime", 64.0, 58.0, "%", true),
                stat("Escape rate", 22.0, 25.0, "%", true),
                stat("Spawn reaction", 900.0, 1200.0, "ms", false),
            ],
        };
        let png = render_player_card(&input).unwrap();
        save("player_card.png", &png);
        let img = Image::decode(&png);
        assert_eq!((img.width, img.height), (900, 140 + 62 * 6));
        let bar_pixel = |i: usize| {
            let cy = (PC_HEADER + PC_ROW * i as i32 + PC_ROW / 2) as u32;
            img.pixel(PC_TRACK_X as u32 + 10, cy)
        };
        assert!(close(bar_pixel(0), rgb(theme::GOOD), 3));
        assert!(close(bar_pixel(1), rgb(theme::BAD), 3));
        assert!(close(bar_pixel(2), rgb(theme::MUTED), 3));
        assert!(
            close(bar_pixel(5), rgb(theme::GOOD), 3),
            "lower reaction is better"
        );
        // The first bar ends at 310 / (1.25 × 310) of the track (past the median tick at 280).
        let cy = (PC_HEADER + PC_ROW / 2) as u32;
        let end = PC_TRACK_X as u32 + 240;
        assert!(close(img.pixel(end - 2, cy), rgb(theme::GOOD), 3));
        assert!(close(img.pixel(end + 2, cy), rgb(theme::LINE), 3));
        let tick = PC_TRACK_X as u32 + 217;
        assert!(
            close(img.pixel(tick, cy), rgb(theme::TEXT), 3),
            "median tick"
        );
    }

    #[test]
    fn player_card_missing_values_and_empty() {
        let input = PlayerCardInput {
            name: [b'N'; 50].to_vec(),
            subtitle: String::new(),
            rows: vec![
                CardStat {
                    label: "Trades".into(),
                    value: None,
                    median: Some(1.0),
                    unit: "".into(),
                    higher_is_better: true,
                },
                CardStat {
                    label: "Escape rate".into(),
                    value: Some(10.0),
                    median: None,
                    unit: "%".into(),
                    higher_is_better: true,
                },
                stat("Zero median", 3.0, 0.0, "", true),
                stat("NaN", f64::NAN, f64::INFINITY, "", true),
            ],
        };
        let png = render_player_card(&input).unwrap();
        save("player_card_missing.png", &png);
        assert_eq!(Image::decode(&png).height, player_card_height(4));
        let empty = render_player_card(&PlayerCardInput {
            rows: vec![],
            ..input
        })
        .unwrap();
        let img = Image::decode(&empty);
        assert_eq!(img.height, player_card_height(0));
        assert!(img.count_bright((350, 140), (550, 200)) > 50, "No data");
    }

    fn round_input(points: Vec<HeatPoint>) -> RoundCardInput {
        RoundCardInput {
            map: "supply".into(),
            round: 2,
            duration_ms: 754_000,
            players: 12,
            engagements: 348,
            crossfires: 61,
            escapes: 44,
            best_duo: Some(RoundDuo {
                name_a: b"^3Alpha".to_vec(),
                name_b: b"^4Bravo the Magnificent".to_vec(),
                crossfires: 11,
                crossfire_kills: 6,
            }),
            top_damage: vec![
                (b"^1Heavy^7Hitter".to_vec(), 4821.0),
                (b"Medic".to_vec(), 3210.0),
                ([b'L'; 45].to_vec(), 2999.0),
                (b"four".to_vec(), 1200.0),
                (b"five".to_vec(), 800.0),
                (b"six (hidden)".to_vec(), 10.0),
            ],
            top_escapes: vec![(b"Slippery".to_vec(), 7), (b"Eel".to_vec(), 5)],
            kill_points: points,
        }
    }

    #[test]
    fn round_card_mini_heatmap_marks_the_kills() {
        let spot = (-2000.0, -1500.0);
        let pts: Vec<HeatPoint> = (0..30)
            .map(|i| HeatPoint {
                x: spot.0 + (i % 3) as f64 * 10.0,
                y: spot.1,
                weight: 1.0,
                team: Some(Team::Axis),
            })
            .collect();
        let png = render_round_card(&round_input(pts)).unwrap();
        save("round_card.png", &png);
        let img = Image::decode(&png);
        assert_eq!(
            (img.width, img.height),
            (ROUND_CARD_WIDTH, ROUND_CARD_HEIGHT)
        );
        let view = View::fit(Frame::from_map(map_info("supply").unwrap()), MINI_REGION);
        let (x, y) = view.project(spot.0 + 10.0, spot.1);
        let p = img.pixel(x as u32, y as u32);
        assert!(p[0] as i32 > p[2] as i32 + 60, "axis kills are red: {p:?}");
    }

    #[test]
    fn round_card_without_data() {
        let mut input = round_input(vec![]);
        input.map = String::new();
        input.best_duo = None;
        input.top_damage.clear();
        input.top_escapes.clear();
        let png = render_round_card(&input).unwrap();
        save("round_card_empty.png", &png);
        let img = Image::decode(&png);
        assert_eq!(
            (img.width, img.height),
            (ROUND_CARD_WIDTH, ROUND_CARD_HEIGHT)
        );
    }
}
