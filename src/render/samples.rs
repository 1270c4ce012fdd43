//! Realistic inputs for every image kind the bot posts, at their hardest: the longest names,
//! the most rows, the maps with the most objectives. Built the way the bot builds them (through
//! [`crate::present`] where it does), so the readability test sees what players see.

use super::canvas::Rendered;
use super::{
    DUOS_MAX_ROWS, DuoRow, DuosInput, HeatPoint, HeatmapInput, LEADERBOARD_MAX_ROWS, LeaderRow,
    LeaderboardInput, RoundCardInput, RoundDuo, duos, heatmap, leaderboard, objectives,
    player_card, round_card, weapons,
};
use image::{Rgba, RgbaImage};

use crate::command_map::{CommandMap, MapCoords};
use crate::format::{ObjectiveAction, Team, Winner};
use crate::heat::HeatKind;
use crate::metrics::{Better, Card, FIGURES, Figure};
use crate::present;
use crate::store::queries::{CardFigure, CardFigures, DuoFigures, RankedPlayer, Scope};

/// How many images [`every_image`] renders.
pub(crate) const IMAGE_COUNT: usize = 24;

/// A 32-character name with colour codes: the longest a name is shown.
const LONG: &[u8] = b"^1W^7W^4W^7_the_^3Unpronounceable^7_Wanderer_XL";

fn name(i: usize) -> Vec<u8> {
    match i % 4 {
        0 => LONG.to_vec(),
        1 => format!("^2Medic^7#{i} MMMMMMMMMMMMMMMMMM").into_bytes(),
        2 => "Jörg ✓ ^5Ölmühle".as_bytes().to_vec(),
        _ => format!("p{i}").into_bytes(),
    }
}

fn scope(map: Option<&str>, days: Option<i64>) -> Scope {
    Scope {
        map: map.map(str::to_string),
        days,
        ..Scope::all()
    }
}

/// A deterministic stream of numbers in 0..1.
fn rng(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Clustered positions inside `map`'s frame, with teams unless `teams` is false.
fn points(map: &str, n: usize, teams: bool) -> Vec<HeatPoint> {
    let m = crate::maps::map_info(map).expect("a known map");
    let (x0, x1) = (m.mins.0.min(m.maxs.0), m.mins.0.max(m.maxs.0));
    let (y0, y1) = (m.mins.1.min(m.maxs.1), m.mins.1.max(m.maxs.1));
    let mut r = rng(n as u64);
    let centres: Vec<(f64, f64, f64)> = (0..5)
        .map(|_| (x0 + (x1 - x0) * r(), y0 + (y1 - y0) * r(), r()))
        .collect();
    (0..n)
        .map(|i| {
            let (cx, cy, axis_share) = centres[i % centres.len()];
            let d = (r() + r() + r() - 1.5).abs() * (x1 - x0) * 0.08;
            let a = r() * std::f64::consts::TAU;
            let team = if r() < axis_share {
                Team::Axis
            } else {
                Team::Allies
            };
            HeatPoint {
                x: cx + d * a.cos(),
                y: cy + d * a.sin(),
                weight: 1.0,
                team: teams.then_some(team),
            }
        })
        .collect()
}

/// A command map like the game's: light buildings and yellow roads on dark ground, with bright
/// patches where labels may land, over `map`'s frame, on a 4:3 image (stretched per axis).
fn command_map(map: &str) -> CommandMap {
    let (mins, maxs) = match crate::maps::map_info(map) {
        Some(m) => (m.mins, m.maxs),
        None => ((-4096.0, 4096.0), (4096.0, -4096.0)),
    };
    let mut r = rng(7);
    let blocks: Vec<(u32, u32, u32, u32, [u8; 3])> = (0..60)
        .map(|i| {
            let colour = match i % 4 {
                0 => [235, 235, 225],
                1 => [180, 175, 160],
                2 => [90, 120, 170],
                _ => [140, 150, 110],
            };
            let (x, y) = ((r() * 480.0) as u32, (r() * 350.0) as u32);
            (
                x,
                y,
                10 + (r() * 60.0) as u32,
                10 + (r() * 40.0) as u32,
                colour,
            )
        })
        .collect();
    let image = RgbaImage::from_fn(512, 384, |x, y| {
        let road = x % 96 < 6 || y % 80 < 5;
        let block = blocks
            .iter()
            .find(|&&(bx, by, w, h, _)| x >= bx && x < bx + w && y >= by && y < by + h);
        let [r, g, b] = match (block, road) {
            (Some(&(.., c)), _) => c,
            (None, true) => [225, 205, 120],
            (None, false) => [70, 90, 55],
        };
        Rgba([r, g, b, 255])
    });
    CommandMap::new(map, MapCoords { mins, maxs }, image)
}

fn heat(map: &str, kind: HeatKind, pts: Vec<HeatPoint>, player: bool) -> HeatmapInput {
    HeatmapInput {
        map: map.into(),
        kind,
        points: pts,
        rounds: 1234,
        period_label: present::period_label(Some(365)),
        player_label: player.then(|| LONG.to_vec()),
    }
}

/// A typical median of `f` and a player's value spread around it, past the bar's cap too.
fn card_figure(f: &'static Figure, i: usize) -> CardFigure {
    let median = match f.unit {
        "u" => 5432.1,
        "%" => 24.6,
        "ms" => 1450.0,
        "s" => 48.5,
        "hp" => 1234.0,
        _ => 1.21,
    };
    let factor = [1.04, 0.62, 2.2, 1.0, 3.7, 0.3, 1.35, 0.97, 1.8][i % 9];
    CardFigure {
        figure: f,
        value: (i != 7).then_some(median * factor),
        median: Some(median),
        rank: None,
    }
}

fn card(card: Card) -> CardFigures {
    CardFigures {
        totals: Default::default(),
        rows: card
            .figures()
            .into_iter()
            .enumerate()
            .map(|(i, f)| card_figure(f, i))
            .collect(),
    }
}

fn ranked(n: usize, value: impl Fn(usize) -> f64) -> Vec<RankedPlayer> {
    (0..n)
        .map(|i| RankedPlayer {
            guid: format!("{i:032X}"),
            name: name(i),
            value: value(i),
            samples: [12, 1_000_000, 1, 987_654][i % 4],
        })
        .collect()
}

fn duo_rows(n: usize) -> Vec<DuoFigures> {
    (0..n)
        .map(|i| DuoFigures {
            guid_a: format!("A{i}"),
            guid_b: format!("B{i}"),
            name_a: name(i),
            name_b: name(i + 1),
            crossfires: 12_345 - i as i64 * 700,
            crossfire_kills: 4_321 - i as i64 * 250,
            rounds_together: 1_234,
            combined_damage: 0,
        })
        .collect()
}

/// The escape artists board as `/escape_artists` builds it.
fn escape_artists() -> LeaderboardInput {
    LeaderboardInput {
        title: "Escape artists".to_string(),
        subtitle: format!(
            "{} · escapes, at least 20 fights",
            present::scope_text(&scope(Some("sw_goldrush_te"), Some(365)))
        ),
        unit: String::new(),
        samples_label: "fights".to_string(),
        rows: (0..LEADERBOARD_MAX_ROWS + 5)
            .map(|i| LeaderRow {
                name_raw: name(i),
                value: 12_345.0 - i as f64 * 97.0,
                samples: 99_999,
            })
            .collect(),
        better: Better::Higher,
    }
}

/// One player's crossfire partners as `/crossfire_partners` builds them.
fn crossfire_partners() -> DuosInput {
    DuosInput {
        title: format!("Crossfire partners of {}", crate::names::clean_name(LONG)),
        subtitle: present::scope_label(&scope(Some("te_escape2"), Some(7))),
        rows: (0..DUOS_MAX_ROWS + 3)
            .map(|i| DuoRow {
                name_a: name(i + 2),
                name_b: LONG.to_vec(),
                crossfires: 999 - i as i64,
                crossfire_kills: 321 - i as i64 * 20,
                rounds_together: 1,
                kills_per_round: present::kills_per_round(321 - i as i64 * 20, 1),
            })
            .collect(),
    }
}

fn round(kills: Vec<HeatPoint>, full: bool) -> RoundCardInput {
    RoundCardInput {
        map: if full { "sw_battery" } else { "" }.into(),
        round: 2,
        duration_ms: 3_723_000,
        players: 64,
        engagements: 123_456,
        crossfires: 12_345,
        escapes: 9_876,
        best_duo: full.then(|| RoundDuo {
            name_a: LONG.to_vec(),
            name_b: name(1),
            crossfires: 1_234,
            crossfire_kills: 567,
        }),
        top_damage: if full {
            (0..6)
                .map(|i| (name(i), 123_456.0 / (i + 1) as f64))
                .collect()
        } else {
            vec![]
        },
        top_escapes: if full {
            (0..6).map(|i| (name(i + 1), 999 - i as i64)).collect()
        } else {
            vec![]
        },
        top_medic: full.then(|| (name(2), 12_345)),
        most_accurate: full.then(|| (name(3), 99.95, 1_234_567)),
        kill_points: kills,
        winner: full.then_some(Winner::Team(Team::Allies)),
        objectives: full.then(|| {
            // Many actions, the longest names and objective names.
            (0..40u32)
                .map(|i| super::ObjectiveMark {
                    time_ms: i64::from(i) * 18_000,
                    team: if i % 2 == 0 { Team::Axis } else { Team::Allies },
                    name: name(i as usize),
                    action: ObjectiveAction::KNOWN[i as usize % ObjectiveAction::KNOWN.len()]
                        .clone(),
                    objective: [b'W'; 60].to_vec(),
                })
                .collect()
        }),
    }
}

/// Every image kind, by name, rendered from realistic worst-case inputs.
pub(crate) fn every_image() -> Vec<(&'static str, Rendered)> {
    let all = scope(None, Some(30));
    let on_map = scope(Some("frostbite"), None);
    let lower = FIGURES
        .iter()
        .find(|f| f.better == Better::Lower)
        .expect("a lower-is-better figure");
    let longest = FIGURES
        .iter()
        .max_by_key(|f| f.title.len())
        .expect("figures");
    let ok = |r: Result<Rendered, super::RenderError>| r.expect("renders");
    vec![
        (
            "heatmap_kills",
            ok(heatmap::heatmap(&heat(
                "sw_goldrush_te",
                HeatKind::Kills,
                points("sw_goldrush_te", 5000, true),
                false,
            ))),
        ),
        (
            "heatmap_deaths",
            ok(heatmap::heatmap(&heat(
                "sw_battery",
                HeatKind::Deaths,
                points("sw_battery", 3000, true),
                true,
            ))),
        ),
        (
            "heatmap_presence",
            ok(heatmap::heatmap(&heat(
                "te_escape2",
                HeatKind::Movement,
                points("te_escape2", 8000, false),
                true,
            ))),
        ),
        (
            "heatmap_command_map",
            ok(heatmap::heatmap_on(
                &heat(
                    "sw_goldrush_te",
                    HeatKind::Kills,
                    points("sw_goldrush_te", 5000, true),
                    true,
                ),
                Some(&command_map("sw_goldrush_te")),
            )),
        ),
        (
            "heatmap_command_map_no_data",
            ok(heatmap::heatmap_on(
                &heat(
                    "a_custom_map_with_a_very_long_name_b7_final",
                    HeatKind::Movement,
                    vec![],
                    true,
                ),
                Some(&command_map("a_custom_map_with_a_very_long_name_b7_final")),
            )),
        ),
        (
            "heatmap_unknown_map_no_data",
            ok(heatmap::heatmap(&heat(
                "a_custom_map_with_a_very_long_name_b7_final",
                HeatKind::Kills,
                vec![],
                true,
            ))),
        ),
        (
            "leaderboard",
            ok(leaderboard::leaderboard(&present::leaderboard_input(
                longest,
                &ranked(LEADERBOARD_MAX_ROWS + 5, |i| 123_456.7 / (i + 1) as f64),
                &all,
            ))),
        ),
        (
            "leaderboard_lower_is_better",
            ok(leaderboard::leaderboard(&present::leaderboard_input(
                lower,
                &ranked(7, |i| 250.0 + 37.5 * i as f64),
                &on_map,
            ))),
        ),
        (
            "leaderboard_empty",
            ok(leaderboard::leaderboard(&present::leaderboard_input(
                lower,
                &[],
                &all,
            ))),
        ),
        (
            "escape_artists",
            ok(leaderboard::leaderboard(&escape_artists())),
        ),
        (
            "best_duos",
            ok(duos::duos(&present::duos_input(
                &duo_rows(DUOS_MAX_ROWS + 2),
                &all,
                5,
            ))),
        ),
        ("crossfire_partners", ok(duos::duos(&crossfire_partners()))),
        (
            "duos_empty",
            ok(duos::duos(&present::duos_input(&[], &on_map, 5))),
        ),
        (
            "player_card",
            ok(player_card::player_card(&present::player_card(
                LONG,
                &card(Card::Player),
                &on_map,
            ))),
        ),
        (
            "engagements_card",
            ok(player_card::player_card(&present::engagements_card(
                LONG,
                &card(Card::Engagements),
                &scope(
                    Some("a_custom_map_with_a_very_long_name_b7_final"),
                    Some(365),
                ),
            ))),
        ),
        (
            "player_card_missing",
            ok(player_card::player_card(&present::player_card(
                b"",
                &CardFigures {
                    totals: Default::default(),
                    rows: FIGURES
                        .iter()
                        .take(4)
                        .zip([
                            (None, Some(1.0)),
                            (Some(10.0), None),
                            (Some(3.0), Some(0.0)),
                            (Some(f64::NAN), Some(f64::INFINITY)),
                        ])
                        .map(|(figure, (value, median))| CardFigure {
                            figure,
                            value,
                            median,
                            rank: None,
                        })
                        .collect(),
                },
                &all,
            ))),
        ),
        (
            "player_card_empty",
            ok(player_card::player_card(&present::player_card(
                LONG,
                &CardFigures {
                    totals: Default::default(),
                    rows: vec![],
                },
                &all,
            ))),
        ),
        (
            "round_card",
            ok(round_card::round_card(&round(
                points("sw_battery", 400, true),
                true,
            ))),
        ),
        (
            "round_card_without_teams",
            ok(round_card::round_card(&round(
                points("sw_battery", 400, false),
                true,
            ))),
        ),
        (
            "round_card_empty",
            ok(round_card::round_card(&round(vec![], false))),
        ),
        (
            "weapons",
            ok(weapons::weapons(&weapons::WeaponsInput {
                title: format!("Weapons · {}", crate::names::clean_name(LONG)),
                subtitle: present::scope_label(&on_map),
                rows: (0..weapons::WEAPONS_MAX_ROWS as i64)
                    .map(|i| weapons::WeaponLine {
                        name: crate::format::weapon_name(i + 20),
                        shots: 1_234_567 / (i + 1),
                        hits: 345_678 / (i + 1),
                        kills: 99_999 / (i + 1),
                        headshots: 45_678 / (i + 1),
                        regions: if i % 3 == 2 { [0; 4] } else { [i + 1, 3, 9, 2] },
                        bullets: i % 4 != 3,
                    })
                    .collect(),
            })),
        ),
        (
            "weapons_empty",
            ok(weapons::weapons(&weapons::WeaponsInput {
                title: "Weapons".into(),
                subtitle: present::scope_label(&all),
                rows: vec![],
            })),
        ),
        (
            "objectives",
            ok(objectives::objectives(&objectives::ObjectivesInput {
                tally: &crate::metrics::OBJECTIVE_TALLIES[9],
                subtitle: present::scope_label(&on_map),
                rows: (0..objectives::OBJECTIVES_MAX_ROWS)
                    .map(|i| objectives::ObjectiveLine {
                        name_raw: name(i),
                        rounds: 9_999 / (i as i64 + 1),
                        tallies: (0..crate::metrics::OBJECTIVE_TALLIES.len())
                            .map(|k| (123_456 * (k + 1) / (i + 1)) as f64)
                            .collect(),
                    })
                    .collect(),
            })),
        ),
        (
            "objectives_empty",
            ok(objectives::objectives(&objectives::ObjectivesInput {
                tally: &crate::metrics::OBJECTIVE_TALLIES[0],
                subtitle: present::scope_label(&all),
                rows: vec![],
            })),
        ),
    ]
}
