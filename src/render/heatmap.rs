//! Map heatmaps: kills, deaths or movement, smoothed, in the map's own coordinate frame.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::RenderError;
use super::canvas::{
    Area, Canvas, anchored, display_name, draw_err, ensure_fonts, fit, fmt_int, fmt_num, no_data,
    put, put_halo, text, text_width, theme,
};
use super::density::{Density, Frame, View};
use crate::format::Team;
use crate::heat::HeatKind;
use crate::maps::{MapInfo, map_info};

/// Heatmap image width in pixels.
pub const HEATMAP_WIDTH: u32 = 1000;
/// Heatmap image height in pixels: a 100 px title band, a 920 × 920 map area and a legend band.
pub const HEATMAP_HEIGHT: u32 = 1120;

/// Pixel region (x, y, width, height) the map frame is fitted into.
const MAP_REGION: (f64, f64, f64, f64) = (40.0, 104.0, 920.0, 920.0);
/// Kernel standard deviation as a share of the frame's longer side.
const SIGMA_FRAC: f64 = 0.015;

/// The words a heatmap uses for what it counts.
fn noun(kind: HeatKind) -> &'static str {
    match kind {
        HeatKind::Kills => "kill",
        HeatKind::Deaths => "death",
        HeatKind::Movement => "movement",
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
/// allies blue → axis red by the local team share when kills / deaths carry teams. Objectives
/// of known maps are marked and named. No points (or none inside the frame) give the same
/// image with a "No data" notice.
pub fn render_heatmap(input: &HeatmapInput) -> Result<Vec<u8>, RenderError> {
    ensure_fonts()?;
    let info = map_info(&input.map);
    let frame = match info {
        Some(m) => Frame::from_map(m),
        None => Frame::from_points(&input.points),
    };
    let view = View::fit(frame, MAP_REGION);
    let by_team = input.kind != HeatKind::Movement && input.points.iter().any(|p| p.team.is_some());
    let density = Density::estimate(frame, &input.points, by_team, SIGMA_FRAC);

    let mut canvas = Canvas::new(HEATMAP_WIDTH, HEATMAP_HEIGHT, theme::BG);
    canvas.draw(|area| {
        draw_header(area, input, info.map(|m| m.name.as_str()))?;
        draw_panel(area, &view)
    })?;
    density.paint(&mut canvas, &view);
    canvas.draw(|area| {
        if let Some(m) = info {
            draw_objectives(area, &view, m)?;
        }
        draw_compass_and_scale(area, &view)?;
        if density.is_empty() {
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
        draw_legend(area, input.kind, &density, by_team)
    })?;
    canvas.into_png()
}

fn draw_header(
    area: &Area<'_>,
    input: &HeatmapInput,
    known: Option<&str>,
) -> Result<(), RenderError> {
    let map = match known {
        Some(name) => name.to_string(),
        None if input.map.trim().is_empty() => "unknown map".to_string(),
        None => input.map.trim().to_string(),
    };
    let title = format!("{map} · {} heatmap", noun(input.kind));
    put(
        area,
        &title,
        &anchored(text(34.0, true, theme::TEXT), HPos::Left, VPos::Center),
        (40, 38),
    )?;
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
    if known.is_none() {
        parts.push("map frame from the data".to_string());
    }
    let sub_style = anchored(text(20.0, false, theme::MUTED), HPos::Left, VPos::Center);
    let sub = fit(area, &parts.join(" · "), &sub_style, 920);
    put(area, &sub, &sub_style, (40, 78))
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
    area.draw(&Rectangle::new([p0, p1], theme::LINE.stroke_width(2)))
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

fn draw_objectives(area: &Area<'_>, view: &View, map: &MapInfo) -> Result<(), RenderError> {
    let (p0, p1) = view.rect();
    let style = text(15.0, true, theme::TEXT);
    let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
    for o in &map.objectives {
        if !view.frame.contains(o.x, o.y) {
            continue;
        }
        let (px, py) = view.project(o.x, o.y);
        let (px, py) = (px.round() as i32, py.round() as i32);
        let r = 8;
        let diamond = vec![(px, py - r), (px + r, py), (px, py + r), (px - r, py)];
        area.draw(&Polygon::new(
            diamond.clone(),
            objective_colour(&o.kind).filled(),
        ))
        .map_err(draw_err)?;
        let mut outline = diamond;
        outline.push((px, py - r));
        area.draw(&PathElement::new(outline, theme::DEEP.stroke_width(2)))
            .map_err(draw_err)?;

        // Label beside the marker, on the first side where it neither leaves the panel nor
        // overlaps an earlier label.
        let w = text_width(area, &o.name, &style) as i32;
        let h = 18;
        let candidates = [
            (px + 13, py - h / 2),
            (px - 13 - w, py - h / 2),
            (px - w / 2, py - 14 - h),
            (px - w / 2, py + 14),
        ];
        let inside = |&(x, y): &(i32, i32)| {
            x >= p0.0 + 2 && x + w <= p1.0 - 2 && y >= p0.1 + 2 && y + h <= p1.1 - 2
        };
        let free = |&(x, y): &(i32, i32)| {
            placed
                .iter()
                .all(|&(a, b, c, d)| x + w < a || x > c || y + h < b || y > d)
        };
        let pos = candidates
            .iter()
            .find(|c| inside(c) && free(c))
            .or_else(|| candidates.iter().find(|c| inside(c)))
            .copied()
            .unwrap_or(candidates[0]);
        placed.push((pos.0, pos.1, pos.0 + w, pos.1 + h));
        put_halo(
            area,
            &o.name,
            &anchored(style.clone(), HPos::Left, VPos::Top),
            pos,
        )?;
    }
    Ok(())
}

fn draw_compass_and_scale(area: &Area<'_>, view: &View) -> Result<(), RenderError> {
    let (p0, p1) = view.rect();
    // North arrow, top right.
    let (nx, ny) = (p1.0 - 28, p0.1 + 16);
    area.draw(&Polygon::new(
        vec![(nx, ny), (nx + 9, ny + 20), (nx - 9, ny + 20)],
        theme::MUTED.filled(),
    ))
    .map_err(draw_err)?;
    put_halo(
        area,
        "N",
        &anchored(text(16.0, true, theme::MUTED), HPos::Center, VPos::Top),
        (nx, ny + 24),
    )?;
    // Scale bar, bottom left: the largest round length up to 200 px.
    let scale = view.scale();
    let len = [4000.0, 2000.0, 1000.0, 500.0, 250.0, 100.0]
        .into_iter()
        .find(|l| l * scale <= 200.0)
        .unwrap_or(100.0);
    let px_len = (len * scale).round() as i32;
    let (x0, y0) = (p0.0 + 18, p1.1 - 20);
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
        &anchored(text(14.0, false, theme::MUTED), HPos::Left, VPos::Bottom),
        (x0, y0 - 8),
    )
}

/// Draws a horizontal colour bar from `colour(s)` for s in 0..1 with "low"/"high" ends.
fn colour_bar(
    area: &Area<'_>,
    (x, y, w, h): (i32, i32, i32, i32),
    label: &str,
    colour: impl Fn(f32) -> [f32; 3],
) -> Result<(), RenderError> {
    for i in 0..w {
        let s = (i as f32 + 0.5) / w as f32;
        let alpha = (s / 0.3).min(1.0);
        let c = colour(s);
        let bg = theme::DEEP;
        let mix = |c: f32, b: u8| (b as f32 + (c - b as f32) * alpha).round() as u8;
        let rgb = RGBColor(mix(c[0], bg.0), mix(c[1], bg.1), mix(c[2], bg.2));
        area.draw(&Rectangle::new(
            [(x + i, y), (x + i + 1, y + h)],
            rgb.filled(),
        ))
        .map_err(draw_err)?;
    }
    area.draw(&Rectangle::new(
        [(x, y), (x + w, y + h)],
        theme::LINE.stroke_width(1),
    ))
    .map_err(draw_err)?;
    let small = text(14.0, false, theme::FAINT);
    put(
        area,
        "low",
        &anchored(small.clone(), HPos::Left, VPos::Top),
        (x, y + h + 5),
    )?;
    put(
        area,
        "high",
        &anchored(small, HPos::Right, VPos::Top),
        (x + w, y + h + 5),
    )?;
    put(
        area,
        label,
        &anchored(text(16.0, true, theme::MUTED), HPos::Left, VPos::Bottom),
        (x, y - 6),
    )
}

fn draw_legend(
    area: &Area<'_>,
    kind: HeatKind,
    density: &Density,
    by_team: bool,
) -> Result<(), RenderError> {
    let y = 1060;
    if by_team {
        let who = if kind == HeatKind::Kills {
            "killer"
        } else {
            "victim"
        };
        colour_bar(area, (40, y, 200, 16), &format!("Axis {who}"), |s| {
            super::density::team_heat_colour(1.0, s)
        })?;
        colour_bar(area, (270, y, 200, 16), &format!("Allies {who}"), |s| {
            super::density::team_heat_colour(0.0, s)
        })?;
    } else {
        colour_bar(
            area,
            (40, y, 430, 16),
            "density",
            super::density::heat_colour,
        )?;
    }
    let total = density.weight.round() as i64;
    let mut line = format!("{} {}", fmt_int(total), count_noun(kind, total));
    if by_team {
        line = format!(
            "{line}  ·  axis {}  ·  allies {}",
            fmt_int(density.weight_axis.round() as i64),
            fmt_int(density.weight_allies.round() as i64)
        );
    }
    put(
        area,
        &line,
        &anchored(text(20.0, true, theme::TEXT), HPos::Right, VPos::Center),
        (960, y + 2),
    )?;
    let mut note = vec![];
    if by_team {
        note.push("violet: both teams".to_string());
    }
    if density.clipped > 0 {
        note.push(format!(
            "{} outside the map frame left out",
            fmt_int(density.clipped as i64)
        ));
    }
    note.push("square-root scale".to_string());
    let note = note.join(" · ");
    put(
        area,
        &note,
        &anchored(text(14.0, false, theme::FAINT), HPos::Right, VPos::Center),
        (960, y + 30),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testutil::{Image, save};

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
        assert!(
            ex > 500.0 + 40.0 && ey < 104.0 + 460.0,
            "north-east quadrant"
        );
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
        let png = render_heatmap(&inp).unwrap();
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
