//! Map facts shipped with the binary: each map's command-map frame and its objectives.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

static MAPS_JSON: &str = include_str!("../assets/maps/et_maps.json");

/// One objective (or command post, escort target…) of a map, at its world position.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// Name as the map shows it, e.g. "Allied CP" or "Documents".
    pub name: String,
    /// `objective`, `command_post`, `escort`, … as found in the BSP.
    pub kind: String,
    /// World x.
    pub x: f64,
    /// World y.
    pub y: f64,
}

/// What the renderer knows about a map.
#[derive(Clone, Debug, PartialEq)]
pub struct MapInfo {
    /// Map name, lower case, as the server names it (e.g. `supply`).
    pub name: String,
    /// World (x, y) of the command map's top-left corner (`mapcoordsmins`).
    pub mins: (f64, f64),
    /// World (x, y) of the command map's bottom-right corner (`mapcoordsmaxs`). North is up, so
    /// `mins.1 > maxs.1` for every stock map.
    pub maxs: (f64, f64),
    /// Objectives with known positions (may be empty).
    pub objectives: Vec<Objective>,
}

#[derive(Deserialize)]
struct RawFile {
    maps: BTreeMap<String, RawMap>,
}

#[derive(Deserialize)]
struct RawMap {
    mapcoordsmins: [f64; 2],
    mapcoordsmaxs: [f64; 2],
    #[serde(default)]
    objectives: Vec<RawObjective>,
}

#[derive(Deserialize)]
struct RawObjective {
    name: String,
    #[serde(rename = "type", default)]
    kind: String,
    x: f64,
    y: f64,
}

fn all() -> &'static [MapInfo] {
    static MAPS: OnceLock<Vec<MapInfo>> = OnceLock::new();
    MAPS.get_or_init(|| {
        // The file is part of the source tree and checked by a test, so failure is a build bug.
        let raw: RawFile = serde_json::from_str(MAPS_JSON).expect("assets/maps/et_maps.json");
        raw.maps
            .into_iter()
            .filter(|(_, m)| {
                let (w, h) = (
                    m.mapcoordsmaxs[0] - m.mapcoordsmins[0],
                    m.mapcoordsmins[1] - m.mapcoordsmaxs[1],
                );
                w.is_finite() && h.is_finite() && w.abs() > 1.0 && h.abs() > 1.0
            })
            .map(|(name, m)| MapInfo {
                name: name.to_lowercase(),
                mins: (m.mapcoordsmins[0], m.mapcoordsmins[1]),
                maxs: (m.mapcoordsmaxs[0], m.mapcoordsmaxs[1]),
                objectives: m
                    .objectives
                    .into_iter()
                    .map(|o| Objective {
                        name: o.name,
                        kind: o.kind,
                        x: o.x,
                        y: o.y,
                    })
                    .collect(),
            })
            .collect()
    })
}

/// The facts about map `name` (case-insensitive; surrounding spaces ignored), if known.
pub fn map_info(name: &str) -> Option<&'static MapInfo> {
    let key = name.trim().to_lowercase();
    all().iter().find(|m| m.name == key)
}

/// Names of all known maps, sorted.
pub fn map_names() -> impl Iterator<Item = &'static str> {
    all().iter().map(|m| m.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_maps_parse() {
        assert!(map_names().count() >= 20);
        let supply = map_info("Supply").expect("supply is known");
        assert_eq!(supply.mins, (-3200.0, 3200.0));
        assert_eq!(supply.maxs, (3200.0, -3200.0));
        assert!(!supply.objectives.is_empty());
        let adler = map_info(" ADLERNEST ").expect("adlernest is known");
        assert_eq!(adler.objectives[0].name, "Allied CP");
        assert_eq!(adler.objectives[0].kind, "command_post");
        assert!(map_info("no_such_map").is_none());
        // North up: the top edge has the larger y on every map.
        for name in map_names() {
            let m = map_info(name).unwrap();
            assert!(m.mins.1 > m.maxs.1, "{name}");
            assert!(m.maxs.0 > m.mins.0, "{name}");
        }
    }
}
