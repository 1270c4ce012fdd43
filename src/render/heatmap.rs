//! Map heatmaps: kills, deaths or movement, smoothed, in the map's own coordinate frame.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{
    Area, Canvas, Rendered, anchored, display_name, draw_err, ensure_fonts, fit, fmt_compact,
    fmt_int, fmt_num, no_data, put, put_halo, size, text, text_width, theme,
};
use super::density::{Density, Frame, View};
use super::{RenderError, backdrop, legend};
use crate::command_map::CommandMap;
use crate::format::Team;
use crate::heat::HeatKind;
use crate::maps::{MapInfo, Objective, map_info};

/// Heatmap image width in pixels.
pub const HEATMAP_WIDTH: u32 = 640;
/// Heatmap image height in pixels: an 86 px title band, a 600 × 600 map area, the legend and
/// the key of up to [`KEY_ROWS`] × 2 numbered objectives.
pub const HEATMAP_HEIGHT: u32 = 1000;

/// Pixel region (x, y, width, height) the map frame is fitted into.
const MAP_REGION: (f64, f64, f64, f64) = (20.0, 86.0, 600.0, 600.0);
/// Kernel standard deviation as a share of the frame's longer side.
const SIGMA_FRAC: f64 = 0.015;
/// Left and right edges of the text.
const LEFT: i32 = 20;
const RIGHT: i32 = HEATMAP_WIDTH as i32 - 20;
/// Centre lines of the legend's four lines.
const LEGEND_Y: [i32; 4] = [708, 738, 768, 798];
/// First line of the objective key, its line pitch and lines per column (two columns).
const KEY_Y: i32 = 836;
const KEY_PITCH: i32 = 28;
const KEY_ROWS: usize = 6;

/// The words a heatmap uses for what it counts.
fn noun(kind: HeatKind) -> &'static str {
    match kind {
        HeatKind::Kills => "kill",
        HeatKind::Deaths => "death",
        HeatKind::Movement => "movement",
        HeatKind::Objectives => "objective",
    }
}

fn count_noun(kind: HeatKind, n: i64) -> &'static str {
    match (kind, n == 1) {
        (HeatKind::Kills, true) => "kill",
        (HeatKind::Kills, false) => "kills",
        (HeatKind::Deaths, true) => "death",
        (HeatKind::Deaths, false) => "deaths",
        (HeatKind::Movement, true) => "sample",
        (HeatKind::Movement, false) => "samples",
        (HeatKind::Objectives, true) => "action or clearing kill",
        (HeatKind::Objectives, false) => "actions and clearing kills",
    }
}

/// One position to count, in world units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeatPoint {
    /// World x (east).
    pub x: f64,
    /// World y (north).
    pub y: f64,
    /// How much this position counts (1 for a kill; a grid cell's count for aggregated data).
    /// Non-positive or non-finite weights are ignored.
    pub weight: f64,
    /// The team it is attributed to (see [`HeatKind`]); `None` when unknown.
    pub team: Option<Team>,
}

/// Everything a heatmap shows.
#[derive(Clone, Debug)]
pub struct HeatmapInput {
    /// Map name as the server names it; its frame and objectives come from [`map_info`]. For an
    /// unknown map the frame is the data's bounds plus a margin, north up.
    pub map: String,
    /// What the points are.
    pub kind: HeatKind,
    /// The positions. Points outside the map frame are left out (and counted in the legend).
    pub points: Vec<HeatPoint>,
    /// Rounds the points come from.
    pub rounds: i64,
    /// The period, e.g. "last 30 days" or "all time"; empty to leave it out.
    pub period_label: String,
    /// A player's raw name (colour codes allowed) when the map is about one player.
    pub player_label: Option<Vec<u8>>,
}

/// Draws a heatmap, [`HEATMAP_WIDTH`] × [`HEATMAP_HEIGHT`].
///
/// The map frame is fitted into a square area with north up; a faint line marks every 512
/// world units. The density is a Gaussian kernel estimate (σ = 1.5 % of the frame) on a
/// 256-cell grid, shown on a square-root scale: the inferno colour scale for one channel, or
/// allies blue → axis red by the local team share when kills / deaths carry teams. The legend
/// says what a spot is (kills: where a victim fell; deaths: where a player died) and what its
/// colour is (the killer's team; the team of the player who died). Objectives of known maps
/// are numbered on the map and named in a key under it. No points (or none inside the frame)
/// give the same image with a "No data" notice.
pub fn render_heatmap(input: &HeatmapInput) -> Result<Vec<u8>, RenderError> {
    render_heatmap_on(input, None)
}

/// Draws a heatmap as [`render_heatmap`] does, on the map's command map when there is one: the
/// image fills the map area with its own aspect, and the points land where the game puts them
/// on it (the image's corners are the worldspawn's `mapcoordsmins` / `mapcoordsmaxs`). Without
/// one, the same image as [`render_heatmap`].
pub fn render_heatmap_on(
    input: &HeatmapInput,
    command_map: Option<&CommandMap>,
) -> Result<Vec<u8>, RenderError> {
    heatmap_on(input, command_map).map(Rendered::into_png)
}

#[cfg(test)]
pub(crate) fn heatmap(input: &HeatmapInput) -> Result<Rendered, RenderError> {
    heatmap_on(input, None)
}

pub(crate) fn heatmap_on(
    input: &HeatmapInput,
    command_map: Option<&CommandMap>,
) -> Result<Rendered, RenderError> {
    ensure_fonts()?;
    let info = map_info(&input.map);
    let (frame, view) = match (command_map, info) {
        (Some(c), _) => {
            let frame = Frame::from_command_map(c);
            let aspect = f64::from(c.image.width()) / f64::from(c.image.height().max(1));
            (frame, View::fit_aspect(frame, MAP_REGION, aspect))
        }
        (None, Some(m)) => {
            let frame = Frame::from_map(m);
            (frame, View::fit(frame, MAP_REGION))
        }
        (None, None) => {
            let frame = Frame::from_points(&input.points);
            (frame, View::fit(frame, MAP_REGION))
        }
    };
    let by_team = input.kind != HeatKind::Movement && input.points.iter().any(|p| p.team.is_some());
    let density = Density::estimate(frame, &input.points, by_team, SIGMA_FRAC);

    let mut canvas = Canvas::new(HEATMAP_WIDTH, HEATMAP_HEIGHT, theme::BG);
    canvas.draw(|area| {
        let frame_from_data = info.is_none() && command_map.is_none();
        draw_header(area, input, info.map(|m| m.name.as_str()), frame_from_data)?;
        match command_map {
            None => draw_panel(area, &view),
            Some(_) => Ok(()),
        }
    })?;
    if let Some(c) = command_map {
        backdrop::paint(&mut canvas, &view, &c.image);
        canvas.draw(|area| draw_border(area, &view))?;
    }
    density.paint(&mut canvas, &view);
    canvas.draw(|area| {
        let objectives = numbered_objectives(info, &view);
        draw_markers(area, &view, &objectives)?;
        draw_compass_and_scale(area, &view)?;
        if density.is_empty() {
            if command_map.is_some() {
                draw_notice_plate(area, &view)?;
            }
            let hint = if density.clipped > 0 {
                format!(
                    "all {} positions are outside the map frame",
                    fmt_int(density.clipped as i64)
                )
            } else {
                "nothing recorded for this selection".to_string()
            };
            no_data(area, view.rect(), &hint)?;
        }
        draw_legend(area, input.kind, &density, by_team)?;
        draw_key(area, info.is_some(), &objectives)
    })?;
    canvas.finish()
}

fn draw_header(
    area: &Area<'_>,
    input: &HeatmapInput,
    known: Option<&str>,
    frame_from_data: bool,
) -> Result<(), RenderError> {
    let map = match known {
        Some(name) => name.to_string(),
        None if input.map.trim().is_empty() => "unknown map".to_string(),
        None => input.map.trim().to_string(),
    };
    let title_style = anchored(
        text(size::TITLE, true, theme::TEXT),
        HPos::Left,
        VPos::Center,
    );
    let title = fit(
        area,
        &format!("{map} · {} heatmap", noun(input.kind)),
        &title_style,
        (RIGHT - LEFT) as u32,
    );
    put(area, &title, &title_style, (LEFT, 32))?;
    let mut parts = vec![match &input.player_label {
        Some(raw) => display_name(raw),
        None => "all players".to_string(),
    }];
    parts.push(format!(
        "{} {}",
        fmt_int(input.rounds.max(0)),
        if input.rounds == 1 { "round" } else { "rounds" }
    ));
    if !input.period_label.trim().is_empty() {
        parts.push(input.period_label.trim().to_string());
    }
    if frame_from_data {
        parts.push("map frame from the data".to_string());
    }
    let sub_style = anchored(
        text(size::SMALL, false, theme::MUTED),
        HPos::Left,
        VPos::Center,
    );
    let sub = fit(area, &parts.join(" · "), &sub_style, (RIGHT - LEFT) as u32);
    put(area, &sub, &sub_style, (LEFT, 64))
}

fn draw_panel(area: &Area<'_>, view: &View) -> Result<(), RenderError> {
    let (p0, p1) = view.rect();
    area.draw(&Rectangle::new([p0, p1], theme::DEEP.filled()))
        .map_err(draw_err)?;
    // Faint world grid every 512 units (the stored grid's cell size).
    let f = view.frame;
    let line = theme::LINE.stroke_width(1);
    let mut x = (f.left / 512.0).ceil() * 512.0;
    while x < f.right {
        let (px, _) = view.project(x, f.top);
        let px = px.round() as i32;
        area.draw(&PathElement::new(vec![(px, p0.1), (px, p1.1)], line))
            .map_err(draw_err)?;
        x += 512.0;
    }
    let mut y = (f.bottom / 512.0).ceil() * 512.0;
    while y < f.top {
        let (_, py) = view.project(f.left, y);
        let py = py.round() as i32;
        area.draw(&PathElement::new(vec![(p0.0, py), (p1.0, py)], line))
            .map_err(draw_err)?;
        y += 512.0;
    }
    draw_border(area, view)
}

/// The map area's outline.
fn draw_border(area: &Area<'_>, view: &View) -> Result<(), RenderError> {
    let (p0, p1) = view.rect();
    area.draw(&Rectangle::new([p0, p1], theme::LINE.stroke_width(2)))
        .map_err(draw_err)
}

/// A dark plate behind the "No data" notice, so that it reads on any command map.
fn draw_notice_plate(area: &Area<'_>, view: &View) -> Result<(), RenderError> {
    let ((x0, y0), (x1, y1)) = view.rect();
    let cy = (y0 + y1) / 2;
    let plate = [(x0 + 6, cy - 52), (x1 - 6, cy + 48)];
    area.draw(&Rectangle::new(plate, theme::DEEP.filled()))
        .map_err(draw_err)
}

/// Marker colour by objective type.
fn objective_colour(kind: &str) -> RGBColor {
    match kind {
        "command_post" => RGBColor(87, 242, 135),
        "escort" => RGBColor(255, 159, 67),
        _ => theme::YELLOW,
    }
}

/// An objective inside the frame with its number on the map and in the key.
struct Numbered<'a> {
    number: usize,
    objective: &'a Objective,
    at: (i32, i32),
}

/// The map's objectives inside the frame, numbered from 1, as many as the key has room for.
/// An objective listed again at the same place (maps repeat them per stage) keeps one number.
fn numbered_objectives<'a>(info: Option<&'a MapInfo>, view: &View) -> Vec<Numbered<'a>> {
    let Some(m) = info else {
        return Vec::new();
    };
    let mut out: Vec<Numbered> = Vec::new();
    for o in m
        .objectives
        .iter()
        .filter(|o| view.frame.contains(o.x, o.y))
    {
        let repeated = out.iter().any(|n| {
            n.objective.name == o.name && (n.objective.x - o.x).hypot(n.objective.y - o.y) < 128.0
        });
        if repeated || out.len() == 2 * KEY_ROWS {
            continue;
        }
        let (x, y) = view.project(o.x, o.y);
        out.push(Numbered {
            number: out.len() + 1,
            objective: o,
            at: (x.round() as i32, y.round() as i32),
        });
    }
    out
}

/// An objective's diamond, `r` pixels from centre to tip.
fn diamond(area: &Area<'_>, (x, y): (i32, i32), r: i32, kind: &str) -> Result<(), RenderError> {
    let points = vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)];
    area.draw(&Polygon::new(
        points.clone(),
        objective_colour(kind).filled(),
    ))
    .map_err(draw_err)?;
    let mut outline = points;
    outline.push((x, y - r));
    area.draw(&PathElement::new(outline, theme::DEEP.stroke_width(2)))
        .map_err(draw_err)
}

/// Diamonds on the map, each with its number beside it (names are in the key: at the size a
/// phone shows, names would cover the map).
fn draw_markers(area: &Area<'_>, view: &View, objectives: &[Numbered]) -> Result<(), RenderError> {
    let (p0, p1) = view.rect();
    let style = anchored(text(size::SMALL, true, theme::TEXT), HPos::Left, VPos::Top);
    for o in objectives {
        diamond(area, o.at, 8, &o.objective.kind)?;
    }
    // Every number on the first side where it stays inside the panel and off the other
    // markers and numbers.
    let h = size::SMALL.round() as i32;
    let mut taken: Vec<(i32, i32, i32, i32)> = objectives
        .iter()
        .map(|o| (o.at.0 - 9, o.at.1 - 9, o.at.0 + 9, o.at.1 + 9))
        .collect();
    for o in objectives {
        let label = o.number.to_string();
        let w = text_width(area, &label, &style) as i32;
        let (px, py) = o.at;
        let candidates = [
            (px + 12, py - h / 2),
            (px - 12 - w, py - h / 2),
            (px - w / 2, py - 12 - h),
            (px - w / 2, py + 12),
            (px + 10, py - 10 - h),
            (px + 10, py + 10),
            (px - 10 - w, py - 10 - h),
            (px - 10 - w, py + 10),
        ];
        let inside = |&(x, y): &(i32, i32)| {
            x >= p0.0 + 3 && x + w <= p1.0 - 3 && y >= p0.1 + 3 && y + h <= p1.1 - 3
        };
        let free = |&(x, y): &(i32, i32)| {
            taken
                .iter()
                .all(|&(a, b, c, d)| x + w + 2 <= a || x >= c + 2 || y + h + 2 <= b || y >= d + 2)
        };
        let pos = candidates
            .iter()
            .find(|c| inside(c) && free(c))
            .or_else(|| candidates.iter().find(|c| inside(c)))
            .copied()
            .unwrap_or(candidates[0]);
        taken.push((pos.0, pos.1, pos.0 + w, pos.1 + h));
        put_halo(area, &label, &style, pos)?;
    }
    Ok(())
}

fn draw_compass_and_scale(area: &Area<'_>, view: &View) -> Result<(), RenderError> {
    let (p0, p1) = view.rect();
    // North arrow, top right.
    let (nx, ny) = (p1.0 - 24, p0.1 + 12);
    area.draw(&Polygon::new(
        vec![(nx, ny), (nx + 9, ny + 20), (nx - 9, ny + 20)],
        theme::MUTED.filled(),
    ))
    .map_err(draw_err)?;
    put_halo(
        area,
        "N",
        &anchored(
            text(size::SMALL, true, theme::MUTED),
            HPos::Center,
            VPos::Top,
        ),
        (nx, ny + 26),
    )?;
    // Scale bar, bottom left: the largest round length up to 160 px.
    let scale = view.scale();
    let len = [4000.0, 2000.0, 1000.0, 500.0, 250.0, 100.0]
        .into_iter()
        .find(|l| l * scale <= 160.0)
        .unwrap_or(100.0);
    let px_len = (len * scale).round() as i32;
    let (x0, y0) = (p0.0 + 14, p1.1 - 14);
    let style = theme::MUTED.stroke_width(2);
    area.draw(&PathElement::new(vec![(x0, y0), (x0 + px_len, y0)], style))
        .map_err(draw_err)?;
    for x in [x0, x0 + px_len] {
        area.draw(&PathElement::new(vec![(x, y0 - 6), (x, y0 + 1)], style))
            .map_err(draw_err)?;
    }
    put_halo(
        area,
        &format!("{} units", fmt_num(len)),
        &anchored(
            text(size::SMALL, false, theme::MUTED),
            HPos::Left,
            VPos::Bottom,
        ),
        (x0, y0 - 10),
    )
}

/// What a spot is, what its colour is, the swatches of the colour scale and the counts.
fn draw_legend(
    area: &Area<'_>,
    kind: HeatKind,
    density: &Density,
    by_team: bool,
) -> Result<(), RenderError> {
    let width = (RIGHT - LEFT) as u32;
    let strong = anchored(
        text(size::SMALL, true, theme::TEXT),
        HPos::Left,
        VPos::Center,
    );
    let muted = anchored(
        text(size::SMALL, false, theme::MUTED),
        HPos::Left,
        VPos::Center,
    );
    let spot = fit(area, legend::spot_meaning(kind), &strong, width);
    put(area, &spot, &strong, (LEFT, LEGEND_Y[0]))?;
    let colour = fit(area, legend::colour_meaning(kind, by_team), &strong, width);
    put(area, &colour, &strong, (LEFT, LEGEND_Y[1]))?;
    let total = density.weight.round() as i64;
    if by_team {
        let axis = format!("Axis {}", fmt_compact(density.weight_axis.round() as i64));
        let allies = format!(
            "Allies {}",
            fmt_compact(density.weight_allies.round() as i64)
        );
        legend::team_swatches(area, (LEFT, LEGEND_Y[2]), [&axis, &allies, "both teams"])?;
    } else {
        legend::density_swatch(area, (LEFT, LEGEND_Y[2]), 200, kind)?;
    }
    let mut note = vec![
        format!("{} {}", fmt_int(total), count_noun(kind, total)),
        "brighter: more".to_string(),
        "square-root scale".to_string(),
    ];
    if density.clipped > 0 {
        note.push(format!("{} off the map", fmt_int(density.clipped as i64)));
    }
    let note = fit(area, &note.join(" · "), &muted, width);
    put(area, &note, &muted, (LEFT, LEGEND_Y[3]))
}

/// The numbered objectives' names, in two columns under the legend.
fn draw_key(area: &Area<'_>, known: bool, objectives: &[Numbered]) -> Result<(), RenderError> {
    let muted = anchored(
        text(size::SMALL, false, theme::MUTED),
        HPos::Left,
        VPos::Center,
    );
    if objectives.is_empty() {
        let note = if known {
            "No objective positions known for this map"
        } else {
            "Unknown map: no objectives shown"
        };
        return put(area, note, &muted, (LEFT, KEY_Y));
    }
    let number = anchored(
        text(size::SMALL, true, theme::TEXT),
        HPos::Right,
        VPos::Center,
    );
    let name = anchored(
        text(size::SMALL, false, theme::TEXT),
        HPos::Left,
        VPos::Center,
    );
    let column = (RIGHT - LEFT) / 2;
    for (i, o) in objectives.iter().enumerate() {
        let x = LEFT + column * (i / KEY_ROWS) as i32;
        let y = KEY_Y + KEY_PITCH * (i % KEY_ROWS) as i32;
        diamond(area, (x + 8, y), 7, &o.objective.kind)?;
        put(area, &o.number.to_string(), &number, (x + 44, y))?;
        let label = fit(area, &o.objective.name, &name, (column - 62) as u32);
        put(area, &label, &name, (x + 52, y))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command_map::MapCoords;
    use crate::command_map::testfiles::{QUADRANTS, quadrants};
    use crate::render::testutil::{Image, rgb, save};

    fn kill(x: f64, y: f64, team: Option<Team>) -> HeatPoint {
        HeatPoint {
            x,
            y,
            weight: 1.0,
            team,
        }
    }

    fn input(map: &str, kind: HeatKind, points: Vec<HeatPoint>) -> HeatmapInput {
        HeatmapInput {
            map: map.into(),
            kind,
            points,
            rounds: 12,
            period_label: "last 30 days".into(),
            player_label: None,
        }
    }

    /// Scattered background points plus a cluster of `n` at `hot`.
    fn scene(hot: (f64, f64), n: usize, team: Option<Team>) -> Vec<HeatPoint> {
        let mut pts = Vec::new();
        for i in 0..n {
            let a = i as f64 * 2.399;
            let r = (i % 7) as f64 * 6.0;
            pts.push(kill(hot.0 + r * a.cos(), hot.1 + r * a.sin(), team));
        }
        // A weaker cluster and some noise.
        for i in 0..n / 3 {
            pts.push(kill(-1500.0 + (i % 5) as f64 * 10.0, -1500.0, team));
        }
        for i in 0..40 {
            let t = i as f64 / 40.0;
            pts.push(kill(-2500.0 + 5000.0 * t, 2500.0 - 4000.0 * t * t, team));
        }
        pts
    }

    #[test]
    fn size_and_hottest_pixel_on_unknown_map() {
        // Unknown map: no objective labels inside the panel, so the brightest panel pixel is
        // the densest heat.
        let hot = (700.0, 900.0);
        let inp = input("my_custom_map", HeatKind::Movement, scene(hot, 60, None));
        let png = render_heatmap(&inp).unwrap();
        save("heatmap_unknown.png", &png);
        let img = Image::decode(&png);
        assert_eq!((img.width, img.height), (HEATMAP_WIDTH, HEATMAP_HEIGHT));
        let view = View::fit(Frame::from_points(&inp.points), MAP_REGION);
        let (ex, ey) = view.project(hot.0, hot.1);
        let ((x0, y0), (x1, y1)) = view.rect();
        // Leave out the compass and scale bar corners.
        let (bx, by) = img.brightest((x0 + 60, y0 + 60), (x1 - 60, y1 - 60));
        assert!(
            (bx as f64 - ex).abs() <= 4.0 && (by as f64 - ey).abs() <= 4.0,
            "brightest at {bx},{by}, expected {ex:.0},{ey:.0}"
        );
        // The peak uses the top of the colour scale; the empty corner is the bare panel.
        let peak = img.pixel(bx, by);
        assert!(peak[0] > 240 && peak[1] > 240, "{peak:?}");
        let far = view.project(256.0, -1700.0);
        assert_eq!(img.pixel(far.0 as u32, far.1 as u32), [30, 31, 34]);
    }

    #[test]
    fn hottest_spot_on_known_map_is_in_map_frame() {
        // supply: frame -3200..3200 both ways. North up: larger y is higher in the image.
        let hot = (1800.0, 2200.0);
        let inp = input("SUPPLY", HeatKind::Deaths, scene(hot, 80, None));
        let png = render_heatmap(&inp).unwrap();
        save("heatmap_supply_deaths.png", &png);
        let img = Image::decode(&png);
        let view = View::fit(Frame::from_map(map_info("supply").unwrap()), MAP_REGION);
        let (ex, ey) = view.project(hot.0, hot.1);
        assert!(ex > 320.0 && ey < 86.0 + 300.0, "north-east quadrant");
        let p = img.pixel(ex as u32, ey as u32);
        assert!(p[0] > 240 && p[1] > 240 && p[2] > 140, "peak colour {p:?}");
        // Points at the south-west cluster are weaker: less bright.
        let (wx, wy) = view.project(-1480.0, -1500.0);
        let w = img.pixel(wx as u32, wy as u32);
        assert!(w.iter().map(|&c| c as u32).sum::<u32>() < p.iter().map(|&c| c as u32).sum());
    }

    #[test]
    fn kills_are_told_apart_by_team() {
        let axis_spot = (-1000.0, 1000.0);
        let allies_spot = (1200.0, -800.0);
        let mut pts = scene(axis_spot, 50, Some(Team::Axis));
        pts.extend((0..50).map(|i| {
            kill(
                allies_spot.0 + (i % 5) as f64 * 8.0,
                allies_spot.1,
                Some(Team::Allies),
            )
        }));
        let mut inp = input("adlernest", HeatKind::Kills, pts);
        inp.player_label = Some(b"^1Red^7Baron".to_vec());
        let r = heatmap(&inp).unwrap();
        let png = r.png;
        save("heatmap_adlernest_kills.png", &png);
        let img = Image::decode(&png);
        let view = View::fit(Frame::from_map(map_info("adlernest").unwrap()), MAP_REGION);
        let (ax, ay) = view.project(axis_spot.0, axis_spot.1);
        let a = img.pixel(ax as u32, ay as u32);
        assert!(a[0] as i32 > a[2] as i32 + 60, "axis spot is red: {a:?}");
        let (lx, ly) = view.project(allies_spot.0 + 16.0, allies_spot.1);
        let l = img.pixel(lx as u32, ly as u32);
        assert!(l[2] as i32 > l[0] as i32 + 60, "allies spot is blue: {l:?}");
    }

    #[test]
    fn legends_say_what_spots_and_colours_are() {
        let team = |i: usize| {
            Some(if i.is_multiple_of(3) {
                Team::Allies
            } else {
                Team::Axis
            })
        };
        let pts: Vec<HeatPoint> = (0..30)
            .map(|i| kill(-1000.0 + i as f64 * 20.0, 500.0, team(i)))
            .collect();
        let cases = [
            (
                HeatKind::Kills,
                [
                    "Each spot: where a victim fell",
                    "Colour: the killer's team",
                    "Axis 20",
                    "Allies 10",
                    "both teams",
                ],
            ),
            (
                HeatKind::Deaths,
                [
                    "Each spot: where a player died",
                    "Colour: the team of the player who died",
                    "Axis 20",
                    "Allies 10",
                    "both teams",
                ],
            ),
            (
                HeatKind::Movement,
                [
                    "Each spot: where players were",
                    "Colour: time spent there",
                    "little",
                    "much",
                    "30 samples · brighter: more · square-root scale",
                ],
            ),
        ];
        let no_teams: Vec<HeatPoint> = pts.iter().map(|p| HeatPoint { team: None, ..*p }).collect();
        let r = heatmap(&input("supply", HeatKind::Kills, no_teams)).unwrap();
        let texts: Vec<&str> = r.texts.iter().map(|t| t.text.as_str()).collect();
        for line in [
            "Each spot: where a victim fell",
            "Colour: how many kills",
            "few",
            "many",
        ] {
            assert!(texts.contains(&line), "{line:?} in {texts:?}");
        }
        assert!(!texts.iter().any(|t| t.contains("team")), "{texts:?}");
        for (kind, lines) in cases {
            let r = heatmap(&input("supply", kind, pts.clone())).unwrap();
            let texts: Vec<&str> = r.texts.iter().map(|t| t.text.as_str()).collect();
            for line in lines {
                assert!(texts.contains(&line), "{kind:?}: {line:?} in {texts:?}");
            }
            // Nothing calls the spots where killers stood.
            assert!(
                texts.iter().all(|t| !t.to_lowercase().contains("killer ")),
                "{texts:?}"
            );
        }
    }

    #[test]
    fn objectives_repeated_at_one_place_keep_one_number() {
        // te_escape2 lists its four objectives three times over.
        let info = map_info("te_escape2").unwrap();
        assert_eq!(info.objectives.len(), 12);
        let view = View::fit(Frame::from_map(info), MAP_REGION);
        let names: Vec<&str> = numbered_objectives(Some(info), &view)
            .iter()
            .map(|n| n.objective.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "Secret Exit",
                "Command Post",
                "Health and Ammo Cabinets",
                "Holy Grail"
            ]
        );
    }

    #[test]
    fn objectives_are_numbered_on_the_map_and_named_in_the_key() {
        let r = heatmap(&input("supply", HeatKind::Kills, vec![])).unwrap();
        let info = map_info("supply").unwrap();
        let view = View::fit(Frame::from_map(info), MAP_REGION);
        let ((x0, y0), (x1, y1)) = view.rect();
        let n = info.objectives.len();
        assert_eq!(n, 6);
        for (i, o) in info.objectives.iter().enumerate() {
            let number = (i + 1).to_string();
            let on_map: Vec<_> = r
                .texts
                .iter()
                .filter(|t| t.text == number && t.halo.is_some())
                .collect();
            assert_eq!(on_map.len(), 1, "{number}");
            let t = on_map[0];
            assert!(t.x > x0 && t.x < x1 && t.baseline > y0 && t.baseline < y1);
            let (px, py) = view.project(o.x, o.y);
            assert!((t.x as f64 - px).abs() < 40.0 && (t.baseline as f64 - py).abs() < 40.0);
            // The key: the same number, then the name, on one line under the legend.
            let key = r
                .texts
                .iter()
                .position(|t| t.text == number && t.halo.is_none())
                .unwrap_or_else(|| panic!("{number} in the key"));
            assert_eq!(r.texts[key + 1].text, o.name);
            assert_eq!(r.texts[key + 1].baseline, r.texts[key].baseline);
            assert!(r.texts[key].baseline > KEY_Y);
        }
    }

    #[test]
    fn outside_points_are_clipped_and_empty_says_no_data() {
        let far = vec![kill(1e7, -1e7, None), kill(f64::NAN, 0.0, None)];
        let png = render_heatmap(&input("supply", HeatKind::Kills, far)).unwrap();
        save("heatmap_clipped.png", &png);
        let img = Image::decode(&png);
        assert_eq!((img.width, img.height), (HEATMAP_WIDTH, HEATMAP_HEIGHT));
        // "No data" is written in light text in the middle of the panel.
        let view = View::fit(Frame::from_map(map_info("supply").unwrap()), MAP_REGION);
        let (cx, cy) = view.project(0.0, 0.0);
        assert!(
            img.count_bright(
                (cx as u32 - 80, cy as u32 - 40),
                (cx as u32 + 80, cy as u32)
            ) > 50
        );

        let png = render_heatmap(&input("", HeatKind::Movement, vec![])).unwrap();
        save("heatmap_empty.png", &png);
        let img = Image::decode(&png);
        assert_eq!((img.width, img.height), (HEATMAP_WIDTH, HEATMAP_HEIGHT));
    }

    /// A command map of a wider-than-high image in four flat quadrants (`QUADRANTS`), over a
    /// square world rectangle: the image is stretched per axis, as the game stretches it.
    fn quadrant_map(map: &str) -> CommandMap {
        CommandMap::new(
            map,
            MapCoords {
                mins: (-1000.0, 3000.0),
                maxs: (3000.0, -1000.0),
            },
            quadrants(200, 100),
        )
    }

    /// Where the centre of image pixel (ix, iy) is drawn.
    fn drawn_at(view: &View, cm: &CommandMap, (ix, iy): (u32, u32)) -> (u32, u32) {
        let (w, h) = cm.image.dimensions();
        (
            (view.x0 + (f64::from(ix) + 0.5) * view.w / f64::from(w)) as u32,
            (view.y0 + (f64::from(iy) + 0.5) * view.h / f64::from(h)) as u32,
        )
    }

    fn shown_rgb(c: [u8; 3]) -> [u8; 3] {
        backdrop::shown([c[0], c[1], c[2], 255]).map(|v| v.round() as u8)
    }

    #[test]
    fn a_hot_point_lands_on_the_command_map_pixel_the_game_puts_it_on() {
        let cm = quadrant_map("my_server_map");
        // The centre of image pixel (160, 30): x = −1000 + 160.5 / 200 · 4000, y likewise.
        let hot = (2210.0, 1780.0);
        assert_eq!(cm.world_to_pixel(hot.0, hot.1), (160.5, 30.5));
        let pts = (0..30).map(|_| kill(hot.0, hot.1, None)).collect();
        let r = heatmap_on(&input("my_server_map", HeatKind::Movement, pts), Some(&cm)).unwrap();
        save("heatmap_command_map_pixel.png", &r.png);
        let img = Image::decode(&r.png);
        // The image keeps its 2:1 aspect in the 600 × 600 area.
        let view = View::fit_aspect(Frame::from_command_map(&cm), MAP_REGION, 2.0);
        assert_eq!(
            (view.x0, view.y0, view.w, view.h),
            (20.0, 236.0, 600.0, 300.0)
        );
        let (ex, ey) = drawn_at(&view, &cm, (160, 30));
        let ((x0, y0), (x1, y1)) = view.rect();
        let (bx, by) = img.brightest((x0, y0), (x1, y1));
        assert!(
            bx.abs_diff(ex) <= 2 && by.abs_diff(ey) <= 2,
            "hottest at {bx},{by}, image pixel (160, 30) drawn at {ex},{ey}"
        );
        let peak = img.pixel(bx, by);
        assert!(peak[0] > 240 && peak[1] > 240, "{peak:?}");
        // Away from the heat, the image shows through, each quadrant in its own colour, dimmed.
        for (q, pixel) in [(0, (50, 25)), (1, (115, 40)), (2, (50, 75)), (3, (150, 75))] {
            let (px, py) = drawn_at(&view, &cm, pixel);
            assert_eq!(
                img.pixel(px, py),
                shown_rgb(QUADRANTS[q]),
                "quadrant {q} at {px},{py}"
            );
        }
        // Above and below the image: the background, not a map frame.
        assert_eq!(img.pixel(320, 200), rgb(theme::BG));
        assert_eq!(img.pixel(320, 560), rgb(theme::BG));
        let texts: Vec<&str> = r.texts.iter().map(|t| t.text.as_str()).collect();
        assert!(
            !texts.iter().any(|t| t.contains("map frame from the data")),
            "{texts:?}"
        );
    }

    #[test]
    fn a_command_map_replaces_the_known_frame_and_keeps_the_objectives() {
        // supply's facts frame it −3200..3200; the server's BSP says otherwise and wins.
        let cm = quadrant_map("supply");
        let r = heatmap_on(&input("supply", HeatKind::Kills, vec![]), Some(&cm)).unwrap();
        save("heatmap_command_map_supply_empty.png", &r.png);
        let view = View::fit_aspect(Frame::from_command_map(&cm), MAP_REGION, 2.0);
        let info = map_info("supply").unwrap();
        let numbered = numbered_objectives(Some(info), &view);
        assert!(!numbered.is_empty());
        for n in &numbered {
            let (x, y) = (n.objective.x, n.objective.y);
            assert!((-1000.0..=3000.0).contains(&x) && (-1000.0..=3000.0).contains(&y));
            let (px, py) = cm.world_to_pixel(x, y);
            let expected = (view.x0 + px * 3.0, view.y0 + py * 3.0);
            assert!(
                (f64::from(n.at.0) - expected.0).abs() <= 1.0
                    && (f64::from(n.at.1) - expected.1).abs() <= 1.0,
                "{} at {:?}, expected {expected:?}",
                n.objective.name,
                n.at
            );
        }
        // "No data" sits on a dark plate, readable on any image.
        let texts: Vec<&str> = r.texts.iter().map(|t| t.text.as_str()).collect();
        assert!(texts.contains(&"No data"), "{texts:?}");
        let problems = crate::render::readability::violations(&r);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn without_a_command_map_the_image_is_unchanged() {
        let inp = input("supply", HeatKind::Kills, scene((1800.0, 2200.0), 40, None));
        assert_eq!(
            render_heatmap_on(&inp, None).unwrap(),
            render_heatmap(&inp).unwrap()
        );
    }

    #[test]
    fn many_points_render() {
        // 100k points (timing is printed, not asserted).
        let mut pts = Vec::with_capacity(100_000);
        let mut seed = 12345u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for i in 0..100_000 {
            let (cx, cy) = [(-1200.0, 1800.0), (600.0, -300.0), (2000.0, 2500.0)][i % 3];
            // Roughly Gaussian clusters (sum of uniforms), as real fights are.
            let r = (rnd() + rnd() + rnd() - 1.5).abs() * 700.0;
            let a = rnd() * std::f64::consts::TAU;
            let axis_share = [0.8, 0.5, 0.2][i % 3];
            let team = if rnd() < axis_share {
                Team::Axis
            } else {
                Team::Allies
            };
            pts.push(kill(cx + r * a.cos(), cy + r * a.sin(), Some(team)));
        }
        let inp = input("sw_goldrush_te", HeatKind::Kills, pts);
        let start = std::time::Instant::now();
        let png = render_heatmap(&inp).unwrap();
        eprintln!("heatmap of 100k points: {:?}", start.elapsed());
        save("heatmap_100k.png", &png);
        assert_eq!(Image::decode(&png).width, HEATMAP_WIDTH);
    }
}
