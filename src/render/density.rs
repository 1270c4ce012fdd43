//! Kernel density estimation on a grid and its painting into a canvas.
//!
//! Points are binned (bilinearly, so sub-cell positions are kept) into a grid of at most
//! [`GRID_CELLS`] cells along the frame's longer side, and the grid is blurred with a separable
//! Gaussian. That equals splatting a Gaussian kernel per point at cell resolution, but costs
//! O(points + cells × kernel) instead of O(points × kernel²).

use super::canvas::{Canvas, theme};
use super::heatmap::HeatPoint;
use crate::command_map::CommandMap;
use crate::format::Team;
use crate::maps::MapInfo;

/// Grid cells along the longer side of the frame.
pub(crate) const GRID_CELLS: usize = 256;

/// World rectangle shown, north up (`top > bottom`, `right > left`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Frame {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl Frame {
    /// The map's command-map frame.
    pub fn from_map(m: &MapInfo) -> Self {
        Self {
            left: m.mins.0.min(m.maxs.0),
            right: m.mins.0.max(m.maxs.0),
            top: m.mins.1.max(m.maxs.1),
            bottom: m.mins.1.min(m.maxs.1),
        }
    }

    /// The world rectangle a command map's image shows (its corners are north up).
    pub fn from_command_map(c: &CommandMap) -> Self {
        Self {
            left: c.mins.0,
            top: c.mins.1,
            right: c.maxs.0,
            bottom: c.maxs.1,
        }
    }

    /// The bounds of the (finite) points plus a margin, at least 1024 units wide and high;
    /// a default frame around the origin when there are none.
    pub fn from_points(points: &[HeatPoint]) -> Self {
        let mut it = points.iter().filter(|p| p.x.is_finite() && p.y.is_finite());
        let Some(first) = it.next() else {
            return Self {
                left: -2048.0,
                top: 2048.0,
                right: 2048.0,
                bottom: -2048.0,
            };
        };
        let (mut x0, mut x1, mut y0, mut y1) = (first.x, first.x, first.y, first.y);
        for p in it {
            x0 = x0.min(p.x);
            x1 = x1.max(p.x);
            y0 = y0.min(p.y);
            y1 = y1.max(p.y);
        }
        let span = (x1 - x0).max(y1 - y0).max(1024.0);
        let margin = span * 0.08;
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let half_w = ((x1 - x0).max(1024.0)) / 2.0 + margin;
        let half_h = ((y1 - y0).max(1024.0)) / 2.0 + margin;
        Self {
            left: cx - half_w,
            right: cx + half_w,
            top: cy + half_h,
            bottom: cy - half_h,
        }
    }

    pub fn width(&self) -> f64 {
        self.right - self.left
    }

    pub fn height(&self) -> f64 {
        self.top - self.bottom
    }

    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.left && x <= self.right && y >= self.bottom && y <= self.top
    }
}

/// Where a frame lands in the image: a pixel rectangle with the frame's aspect ratio.
#[derive(Clone, Copy, Debug)]
pub(crate) struct View {
    pub frame: Frame,
    pub x0: f64,
    pub y0: f64,
    pub w: f64,
    pub h: f64,
}

impl View {
    /// Fits the frame into the pixel region (x, y, width, height), centred, aspect kept.
    pub fn fit(frame: Frame, region: (f64, f64, f64, f64)) -> Self {
        let (rx, ry, rw, rh) = region;
        let scale = (rw / frame.width()).min(rh / frame.height());
        let (w, h) = (
            (frame.width() * scale).round(),
            (frame.height() * scale).round(),
        );
        Self {
            frame,
            x0: (rx + (rw - w) / 2.0).round(),
            y0: (ry + (rh - h) / 2.0).round(),
            w,
            h,
        }
    }

    /// Fits a rectangle of the given aspect (width / height) into the pixel region, centred,
    /// and lays the frame over it: a command map's image keeps its own aspect, and the frame is
    /// stretched per axis as the game stretches it over the image.
    pub fn fit_aspect(frame: Frame, region: (f64, f64, f64, f64), aspect: f64) -> Self {
        let (rx, ry, rw, rh) = region;
        let (w, h) = if rw / rh > aspect {
            (rh * aspect, rh)
        } else {
            (rw, rw / aspect)
        };
        let (w, h) = (w.round().max(1.0), h.round().max(1.0));
        Self {
            frame,
            x0: (rx + (rw - w) / 2.0).round(),
            y0: (ry + (rh - h) / 2.0).round(),
            w,
            h,
        }
    }

    /// World (x, y) to pixel (x, y): x grows to the right, world y grows up (north).
    pub fn project(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.x0 + (x - self.frame.left) / self.frame.width() * self.w,
            self.y0 + (self.frame.top - y) / self.frame.height() * self.h,
        )
    }

    /// Pixels per world unit.
    pub fn scale(&self) -> f64 {
        self.w / self.frame.width()
    }

    /// The integer pixel rectangle ((x0, y0), (x1, y1)), both inclusive.
    pub fn rect(&self) -> ((i32, i32), (i32, i32)) {
        (
            (self.x0 as i32, self.y0 as i32),
            ((self.x0 + self.w) as i32 - 1, (self.y0 + self.h) as i32 - 1),
        )
    }
}

/// A smoothed density over a frame, in total and (optionally) the axis share of it.
pub(crate) struct Density {
    gw: usize,
    gh: usize,
    total: Vec<f32>,
    /// When split by team: the axis-attributed density (points without a team count half), so
    /// that `axis / total` is the local axis share.
    axis: Option<Vec<f32>>,
    max: f32,
    /// Points (with positive, finite weight) that fell outside the frame.
    pub clipped: usize,
    /// Sum of weights inside the frame: all, axis, allies.
    pub weight: f64,
    pub weight_axis: f64,
    pub weight_allies: f64,
}

impl Density {
    /// Bins and smooths the points. `sigma_frac` is the kernel's standard deviation as a share
    /// of the frame's longer side; `by_team` also keeps the axis share.
    pub fn estimate(frame: Frame, points: &[HeatPoint], by_team: bool, sigma_frac: f64) -> Self {
        let longer = frame.width().max(frame.height());
        let cell = longer / GRID_CELLS as f64;
        let gw = ((frame.width() / cell).ceil() as usize).clamp(1, GRID_CELLS);
        let gh = ((frame.height() / cell).ceil() as usize).clamp(1, GRID_CELLS);
        let n = gw * gh;
        let mut total = vec![0f32; n];
        let mut axis = if by_team { vec![0f32; n] } else { Vec::new() };
        let (mut clipped, mut weight, mut weight_axis, mut weight_allies) = (0, 0.0, 0.0, 0.0);

        for p in points {
            if !(p.weight.is_finite() && p.weight > 0.0) {
                continue;
            }
            if !(p.x.is_finite() && p.y.is_finite() && frame.contains(p.x, p.y)) {
                clipped += 1;
                continue;
            }
            weight += p.weight;
            // Cell-centre coordinates: cell i covers [i, i+1), its centre is at i + 0.5.
            let fx = (p.x - frame.left) / cell - 0.5;
            let fy = (frame.top - p.y) / cell - 0.5;
            let w = p.weight as f32;
            splat_bilinear(&mut total, gw, gh, fx, fy, w);
            if by_team {
                let axis_part = match p.team {
                    Some(Team::Axis) => {
                        weight_axis += p.weight;
                        w
                    }
                    Some(Team::Allies) => {
                        weight_allies += p.weight;
                        0.0
                    }
                    None => w * 0.5,
                };
                if axis_part > 0.0 {
                    splat_bilinear(&mut axis, gw, gh, fx, fy, axis_part);
                }
            }
        }

        let sigma_cells = (sigma_frac * longer / cell).max(0.5);
        let kernel = gaussian_kernel(sigma_cells);
        blur(&mut total, gw, gh, &kernel);
        let axis = by_team.then(|| {
            blur(&mut axis, gw, gh, &kernel);
            axis
        });
        let max = total.iter().copied().fold(0f32, f32::max);
        Self {
            gw,
            gh,
            total,
            axis,
            max,
            clipped,
            weight,
            weight_axis,
            weight_allies,
        }
    }

    /// Whether anything was counted.
    pub fn is_empty(&self) -> bool {
        self.max <= 0.0
    }

    /// Paints the density into the view's rectangle of the canvas: transparent where there is
    /// nothing, then more opaque and brighter towards the peak (square-root scale). With team
    /// data the hue goes from allies blue through violet to axis red by the local axis share.
    pub fn paint(&self, canvas: &mut Canvas, view: &View) {
        if self.is_empty() {
            return;
        }
        let ((px0, py0), (px1, py1)) = view.rect();
        let (px0, px1) = (px0.max(0), px1.min(canvas.width as i32 - 1));
        let (py0, py1) = (py0.max(0), py1.min(canvas.height as i32 - 1));
        // Bilinear taps per column are the same on every row: work them out once.
        let cols: Vec<Tap> = (px0..=px1)
            .map(|px| {
                Tap::new(
                    (px as f64 + 0.5 - view.x0) * self.gw as f64 / view.w,
                    self.gw,
                )
            })
            .collect();
        let inv_max = 1.0 / self.max;
        let mut row_total = vec![0f32; self.gw];
        let mut row_axis = vec![0f32; self.gw];
        for py in py0..=py1 {
            let ty = Tap::new(
                (py as f64 + 0.5 - view.y0) * self.gh as f64 / view.h,
                self.gh,
            );
            ty.lerp_rows(&self.total, self.gw, &mut row_total);
            if let Some(axis) = &self.axis {
                ty.lerp_rows(axis, self.gw, &mut row_axis);
            }
            for (tx, px) in cols.iter().zip(px0..) {
                let v = tx.sample(&row_total) * inv_max;
                if v < 0.03 * 0.03 {
                    continue;
                }
                let s = v.sqrt().min(1.0);
                let alpha = (s / 0.3).min(1.0);
                let colour = if self.axis.is_some() {
                    let t = tx.sample(&row_total);
                    let share = if t > 0.0 {
                        (tx.sample(&row_axis) / t).clamp(0.0, 1.0)
                    } else {
                        0.5
                    };
                    team_heat_colour(share, s)
                } else {
                    heat_colour(s)
                };
                canvas.blend(px as i64, py as i64, colour, alpha);
            }
        }
    }
}

/// A bilinear tap along one grid axis: two neighbouring cells and the weight of the second.
struct Tap {
    i0: usize,
    i1: usize,
    t: f32,
}

impl Tap {
    /// The tap at continuous position `g` in cells (cell i spans [i, i+1)), clamped to the grid.
    fn new(g: f64, n: usize) -> Self {
        let g = (g - 0.5).clamp(0.0, (n - 1) as f64);
        let i0 = g.floor() as usize;
        Self {
            i0,
            i1: (i0 + 1).min(n - 1),
            t: (g - i0 as f64) as f32,
        }
    }

    #[inline]
    fn sample(&self, row: &[f32]) -> f32 {
        row[self.i0] + (row[self.i1] - row[self.i0]) * self.t
    }

    /// Interpolates between grid rows `i0` and `i1` into `out`.
    fn lerp_rows(&self, grid: &[f32], gw: usize, out: &mut [f32]) {
        let a = &grid[self.i0 * gw..(self.i0 + 1) * gw];
        let b = &grid[self.i1 * gw..(self.i1 + 1) * gw];
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = x + (y - x) * self.t;
        }
    }
}

/// Adds `w` to the four cells around (fx, fy), bilinearly; parts outside the grid are dropped.
fn splat_bilinear(grid: &mut [f32], gw: usize, gh: usize, fx: f64, fy: f64, w: f32) {
    let (ix, iy) = (fx.floor(), fy.floor());
    let (tx, ty) = ((fx - ix) as f32, (fy - iy) as f32);
    let (ix, iy) = (ix as i64, iy as i64);
    for (dx, dy, k) in [
        (0, 0, (1.0 - tx) * (1.0 - ty)),
        (1, 0, tx * (1.0 - ty)),
        (0, 1, (1.0 - tx) * ty),
        (1, 1, tx * ty),
    ] {
        let (x, y) = (ix + dx, iy + dy);
        if x >= 0 && y >= 0 && (x as usize) < gw && (y as usize) < gh {
            grid[y as usize * gw + x as usize] += w * k;
        }
    }
}

/// A normalised 1-D Gaussian kernel of radius ⌈3σ⌉.
fn gaussian_kernel(sigma: f64) -> Vec<f32> {
    let r = (3.0 * sigma).ceil() as i64;
    let mut k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp() as f32)
        .collect();
    let sum: f32 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= sum);
    k
}

/// Separable Gaussian blur in place (zero outside the grid). Both passes run over contiguous
/// slices so the compiler can vectorise them.
fn blur(grid: &mut [f32], gw: usize, gh: usize, kernel: &[f32]) {
    let r = kernel.len() / 2;
    // Horizontal: each row padded with zeros, then a dot product per output cell.
    let mut padded = vec![0f32; gw + 2 * r];
    let mut tmp = vec![0f32; grid.len()];
    for y in 0..gh {
        padded[r..r + gw].copy_from_slice(&grid[y * gw..(y + 1) * gw]);
        for (x, out) in tmp[y * gw..(y + 1) * gw].iter_mut().enumerate() {
            *out = padded[x..x + kernel.len()]
                .iter()
                .zip(kernel)
                .map(|(a, b)| a * b)
                .sum();
        }
    }
    // Vertical: each output row is a weighted sum of whole input rows.
    grid.fill(0.0);
    for y in 0..gh {
        let out = &mut grid[y * gw..(y + 1) * gw];
        for (k, &w) in kernel.iter().enumerate() {
            let Some(sy) = (y + k).checked_sub(r).filter(|&sy| sy < gh) else {
                continue;
            };
            for (o, &v) in out.iter_mut().zip(&tmp[sy * gw..(sy + 1) * gw]) {
                *o += v * w;
            }
        }
    }
}

/// Inferno (matplotlib), from 20 % up: dark purple → red → orange → pale yellow. Its lightness
/// rises monotonically, so brighter always means denser.
const INFERNO: [[f32; 3]; 9] = [
    [66.0, 10.0, 104.0],
    [106.0, 23.0, 110.0],
    [147.0, 38.0, 103.0],
    [188.0, 55.0, 84.0],
    [221.0, 81.0, 58.0],
    [243.0, 120.0, 25.0],
    [252.0, 165.0, 10.0],
    [246.0, 215.0, 70.0],
    [252.0, 255.0, 164.0],
];

/// The heat colour at `s` (0..1).
pub(crate) fn heat_colour(s: f32) -> [f32; 3] {
    let s = s.clamp(0.0, 1.0) * (INFERNO.len() - 1) as f32;
    let i = (s.floor() as usize).min(INFERNO.len() - 2);
    let t = s - i as f32;
    let (a, b) = (INFERNO[i], INFERNO[i + 1]);
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

/// Team colour by axis share (0 = all allies, 1 = all axis), brighter towards the peak `s`.
/// Mixed areas go through a saturated violet rather than the grey of a straight blend.
pub(crate) fn team_heat_colour(axis_share: f32, s: f32) -> [f32; 3] {
    let rgb = |c: plotters::style::RGBColor| [c.0 as f32, c.1 as f32, c.2 as f32];
    let (axis, allies, mixed) = (rgb(theme::AXIS), rgb(theme::ALLIES), rgb(theme::BOTH_TEAMS));
    // Stretch the share a little so a 65/35 area already reads as mostly one team.
    let share = (0.5 + (axis_share - 0.5) * 1.5).clamp(0.0, 1.0);
    let lerp = |a: [f32; 3], b: [f32; 3], t: f32| {
        [
            a[0] + (b[0] - a[0]) * t,
            a[1] + (b[1] - a[1]) * t,
            a[2] + (b[2] - a[2]) * t,
        ]
    };
    let base = if share < 0.5 {
        lerp(allies, mixed, share * 2.0)
    } else {
        lerp(mixed, axis, share * 2.0 - 1.0)
    };
    let dim = 0.5 + 0.5 * s;
    let glow = 0.4 * s.powi(6);
    base.map(|c| c * dim + (255.0 - c * dim) * glow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(x: f64, y: f64) -> HeatPoint {
        HeatPoint {
            x,
            y,
            weight: 1.0,
            team: None,
        }
    }

    #[test]
    fn kernel_is_normalised_and_peak_stays_put() {
        let k = gaussian_kernel(3.84);
        assert!((k.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        let frame = Frame {
            left: 0.0,
            top: 2560.0,
            right: 2560.0,
            bottom: 0.0,
        };
        let pts = vec![pt(1000.0, 700.0); 5];
        let d = Density::estimate(frame, &pts, false, 0.015);
        let (i, _) = d
            .total
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap();
        let (cx, cy) = ((i % d.gw) as f64 + 0.5, (i / d.gw) as f64 + 0.5);
        // 10 world units per cell: the peak is within one cell of the point.
        assert!((cx * 10.0 - 1000.0).abs() <= 10.0, "{cx}");
        assert!((2560.0 - cy * 10.0 - 700.0).abs() <= 10.0, "{cy}");
        // Mass is kept (the point is far from the edges).
        let mass: f32 = d.total.iter().sum();
        assert!((mass - 5.0).abs() < 1e-3);
    }

    #[test]
    fn outside_points_are_clipped_and_counted() {
        let frame = Frame {
            left: 0.0,
            top: 100.0,
            right: 100.0,
            bottom: 0.0,
        };
        let pts = vec![
            pt(-5.0, 50.0),
            pt(50.0, 500.0),
            pt(f64::NAN, 1.0),
            pt(50.0, 50.0),
        ];
        let d = Density::estimate(frame, &pts, true, 0.015);
        assert_eq!(d.clipped, 3);
        assert_eq!(d.weight, 1.0);
        assert!(!d.is_empty());
    }

    #[test]
    fn frame_from_points_has_margin_and_is_north_up() {
        let f = Frame::from_points(&[pt(0.0, 0.0), pt(4000.0, 2000.0)]);
        assert!(f.left < 0.0 && f.right > 4000.0);
        assert!(f.top > 2000.0 && f.bottom < 0.0);
        let v = View::fit(f, (0.0, 0.0, 800.0, 800.0));
        let (_, y_north) = v.project(0.0, 2000.0);
        let (_, y_south) = v.project(0.0, 0.0);
        assert!(y_north < y_south);
    }
}
