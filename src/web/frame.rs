//! The command map a position is drawn on: its frame in world units, and its image once the
//! server's command maps are read (issue 17, part 1). The pages draw the image under
//! everything when `image_url` is set, and a grid otherwise.

use serde::Serialize;

/// World (x, y) of the command map's top-left (`mins`) and bottom-right (`maxs`) corners; north
/// is up, so `mins[1] > maxs[1]`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Frame {
    pub mins: [f64; 2],
    pub maxs: [f64; 2],
    pub image_url: Option<String>,
}

/// Margin (units) around the positions of a map the binary does not know.
const MARGIN: f64 = 256.0;

impl Frame {
    /// A frame around `positions` with a margin, for a map without a known frame (an
    /// 8192-unit square around the origin when there are none).
    pub fn around(positions: impl IntoIterator<Item = (f64, f64)>) -> Frame {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for (x, y) in positions {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x0 > x1 {
            (x0, y0, x1, y1) = (
                -4096.0 + MARGIN,
                -4096.0 + MARGIN,
                4096.0 - MARGIN,
                4096.0 - MARGIN,
            );
        }
        Frame {
            mins: [x0 - MARGIN, y1 + MARGIN],
            maxs: [x1 + MARGIN, y0 - MARGIN],
            image_url: None,
        }
    }
}

/// The frame of `map` when the binary knows the map (`src/maps.rs`). No image yet.
pub fn frame_of(map: &str) -> Option<Frame> {
    crate::maps::map_info(map).map(|m| Frame {
        mins: [m.mins.0, m.mins.1],
        maxs: [m.maxs.0, m.maxs.1],
        image_url: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_maps_have_their_frame_and_others_one_around_their_positions() {
        let supply = frame_of("supply").expect("known");
        assert_eq!(
            (supply.mins, supply.maxs),
            ([-3200.0, 3200.0], [3200.0, -3200.0])
        );
        assert_eq!(frame_of("no_such_map"), None);
        let f = Frame::around([(100.0, -50.0), (-300.0, 700.0)]);
        assert_eq!((f.mins, f.maxs), ([-556.0, 956.0], [356.0, -306.0]));
        let empty = Frame::around([]);
        assert_eq!(
            (empty.mins, empty.maxs),
            ([-4096.0, 4096.0], [4096.0, -4096.0])
        );
    }
}
