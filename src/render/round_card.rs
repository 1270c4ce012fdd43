//! The post-round summary card.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{
    Area, Canvas, Rendered, anchored, display_name, draw_err, ensure_fonts, fit, fmt_duration_ms,
    fmt_int, fmt_num, put, size, text, text_width, theme,
};
use super::density::{Density, Frame, View};
use super::heatmap::HeatPoint;
use super::{RenderError, legend};
use crate::format::{ObjectiveAction, Team, Winner};
use crate::heat::HeatKind;
use crate::maps::map_info;

/// Round card width in pixels.
pub const ROUND_CARD_WIDTH: u32 = 640;
/// Round card height in pixels.
pub const ROUND_CARD_HEIGHT: u32 = 920;
const LEFT: i32 = 24;
const RIGHT: i32 = ROUND_CARD_WIDTH as i32 - 24;
/// The top lists' column: left edge and width.
const LIST_X: i32 = LEFT;
const LIST_W: i32 = 262;
/// Mini heatmap region (x, y, width, height).
const MINI_REGION: (f64, f64, f64, f64) = (300.0, 316.0, 316.0, 270.0);
/// Centre lines of the mini map's legend.
const MINI_LEGEND_Y: [i32; 3] = [604, 632, 660];
/// The objective timeline's axis line, and how many of its actions are written out.
const TIMELINE_Y: i32 = 826;
const TIMELINE_LINES: usize = 2;

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
    /// The most revives given: (raw name, revives).
    pub top_medic: Option<(Vec<u8>, i64)>,
    /// The best bullet accuracy: (raw name, percent, shots).
    pub most_accurate: Option<(Vec<u8>, f64, i64)>,
    /// Where the round's victims fell, with the killer's team; empty to leave the map bare.
    pub kill_points: Vec<HeatPoint>,
    /// Who won, when the round's file said.
    pub winner: Option<Winner>,
    /// The round's objective actions in time order; `None` when not recorded.
    pub objectives: Option<Vec<ObjectiveMark>>,
}

/// One objective action on the round's timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveMark {
    pub time_ms: i64,
    pub team: Team,
    /// Raw player name.
    pub name: Vec<u8>,
    pub action: ObjectiveAction,
    /// The objective as the game names it; may be empty.
    pub objective: Vec<u8>,
}

impl ObjectiveMark {
    /// "planted the Main Gate", as the timeline writes it.
    pub fn phrase(&self) -> String {
        let verb = match &self.action {
            ObjectiveAction::DynamitePlant => "planted",
            ObjectiveAction::DynamiteDefuse => "defused",
            ObjectiveAction::ObjectiveDestroyed => "destroyed",
            ObjectiveAction::Constructed => "built",
            ObjectiveAction::Repaired => "repaired",
            ObjectiveAction::CheckpointCaptured => "captured",
            ObjectiveAction::ObjectiveSecured => "secured",
            ObjectiveAction::Other(word) => word.as_str(),
        };
        let objective = display_name(&self.objective);
        if objective.is_empty() {
            verb.to_string()
        } else {
            format!("{verb} {objective}")
        }
    }
}

/// The colour of a team's marks.
fn team_colour(team: Team) -> RGBColor {
    match team {
        Team::Axis => theme::AXIS,
        Team::Allies => theme::ALLIES,
    }
}

/// The x of round time `t` on the timeline.
pub(crate) fn timeline_x(t: i64, duration_ms: i64) -> i32 {
    let share = if duration_ms > 0 {
        (t as f64 / duration_ms as f64).clamp(0.0, 1.0)
    } else {
        0.0
    };
    LEFT + (share * f64::from(RIGHT - LEFT)).round() as i32
}

/// Draws the post-round summary, [`ROUND_CARD_WIDTH`] × [`ROUND_CARD_HEIGHT`]: map, round and
/// duration; tiles with players, engagements, crossfires and escapes; the best duo; top damage
/// and top escapes; and a small kill map in the map's frame: where the victims fell, coloured
/// by the killer's team, with a legend that says so.
pub fn render_round_card(input: &RoundCardInput) -> Result<Vec<u8>, RenderError> {
    round_card(input).map(Rendered::into_png)
}

pub(crate) fn round_card(input: &RoundCardInput) -> Result<Rendered, RenderError> {
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
        let map = match info {
            Some(m) => m.name.as_str(),
            None if input.map.trim().is_empty() => "unknown map",
            None => input.map.trim(),
        };
        let title_style = anchored(
            text(size::TITLE, true, theme::TEXT),
            HPos::Left,
            VPos::Center,
        );
        let title = fit(
            area,
            &format!("{map} · round {}", input.round),
            &title_style,
            (RIGHT - LEFT) as u32,
        );
        put(area, &title, &title_style, (LEFT, 34))?;
        put(
            area,
            &format!("Round summary · {}", fmt_duration_ms(input.duration_ms)),
            &anchored(
                text(size::SMALL, false, theme::MUTED),
                HPos::Left,
                VPos::Center,
            ),
            (LEFT, 68),
        )?;
        tiles(area, input)?;
        best_duo(area, input.best_duo.as_ref())?;

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
        top_list(area, 300, "TOP DAMAGE", &damage)?;
        top_list(area, 496, "TOP ESCAPES", &escapes)?;
        medic_and_aim(area, input)?;
        timeline(area, input)?;

        let (p0, p1) = view.rect();
        let kills = density.weight.round() as i64;
        put(
            area,
            &format!(
                "KILL MAP · {} {}",
                fmt_int(kills),
                if kills == 1 { "KILL" } else { "KILLS" }
            ),
            &anchored(
                text(size::SMALL, true, theme::MUTED),
                HPos::Left,
                VPos::Center,
            ),
            (MINI_REGION.0 as i32, 300),
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
                &anchored(
                    text(size::SMALL, false, theme::MUTED),
                    HPos::Center,
                    VPos::Center,
                ),
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
        mini_legend(area, by_team)
    })?;
    canvas.finish()
}

/// The bottom band: the top medic and the most accurate player, or why there is none.
fn medic_and_aim(area: &Area<'_>, input: &RoundCardInput) -> Result<(), RenderError> {
    let half = (RIGHT - LEFT) / 2;
    let medic = input.top_medic.as_ref().map(|(n, v)| {
        let revives = if *v == 1 { "revive" } else { "revives" };
        (display_name(n), format!("{} {revives}", fmt_int(*v)))
    });
    let aim = input.most_accurate.as_ref().map(|(n, pct, shots)| {
        (
            display_name(n),
            format!("{pct:.1}% of {} shots", fmt_int(*shots)),
        )
    });
    for (x, title, value, none) in [
        (LEFT, "TOP MEDIC", medic, "no revives recorded"),
        (
            LEFT + half + 10,
            "MOST ACCURATE",
            aim,
            "no accuracy recorded",
        ),
    ] {
        put(
            area,
            title,
            &anchored(
                text(size::SMALL, true, theme::MUTED),
                HPos::Left,
                VPos::Center,
            ),
            (x, 700),
        )?;
        let body = anchored(
            text(size::BODY, true, theme::TEXT),
            HPos::Left,
            VPos::Center,
        );
        let small = anchored(
            text(size::SMALL, false, theme::MUTED),
            HPos::Left,
            VPos::Center,
        );
        match value {
            Some((name, figure)) => {
                let name = fit(area, &name, &body, (half - 20) as u32);
                put(area, &name, &body, (x, 728))?;
                put(area, &figure, &small, (x, 754))?;
            }
            None => put(area, none, &small, (x, 728))?,
        }
    }
    Ok(())
}

/// The last band: how the round went. The objective actions on a time axis, a mark per action
/// in its team's colour, the last few written out, and who won when known.
fn timeline(area: &Area<'_>, input: &RoundCardInput) -> Result<(), RenderError> {
    let muted = anchored(
        text(size::SMALL, true, theme::MUTED),
        HPos::Left,
        VPos::Center,
    );
    let count = input.objectives.as_ref().map_or(0, Vec::len);
    let title = if count > TIMELINE_LINES {
        format!("HOW THE ROUND WENT · LAST {TIMELINE_LINES} OF {count}")
    } else {
        "HOW THE ROUND WENT".to_string()
    };
    put(area, &title, &muted, (LEFT, 790))?;
    // The team's colour marks the winner; the words stay in the text colour, which reads on
    // the background where the team colours do not.
    let winner = match input.winner {
        Some(Winner::Team(team)) => Some((
            if team == Team::Axis {
                "AXIS WON"
            } else {
                "ALLIES WON"
            },
            Some(team),
        )),
        Some(Winner::Nobody) => Some(("NO WINNER", None)),
        None => None,
    };
    if let Some((words, team)) = winner {
        let style = anchored(
            text(size::SMALL, true, theme::TEXT),
            HPos::Right,
            VPos::Center,
        );
        put(area, words, &style, (RIGHT, 790))?;
        if let Some(team) = team {
            let x = RIGHT - text_width(area, words, &style) as i32 - 12;
            area.draw(&Circle::new((x, 790), 6, team_colour(team).filled()))
                .map_err(draw_err)?;
        }
    }
    let small = anchored(
        text(size::SMALL, false, theme::MUTED),
        HPos::Left,
        VPos::Center,
    );
    let Some(marks) = &input.objectives else {
        return put(area, "objectives not recorded", &small, (LEFT, 830));
    };
    area.draw(&Rectangle::new(
        [(LEFT, TIMELINE_Y - 1), (RIGHT, TIMELINE_Y + 1)],
        theme::LINE.filled(),
    ))
    .map_err(draw_err)?;
    for x in [LEFT, RIGHT] {
        area.draw(&Rectangle::new(
            [(x - 1, TIMELINE_Y - 6), (x + 1, TIMELINE_Y + 6)],
            theme::LINE.filled(),
        ))
        .map_err(draw_err)?;
    }
    if marks.is_empty() {
        return put(area, "no objective played", &small, (LEFT, 856));
    }
    for m in marks {
        let x = timeline_x(m.time_ms, input.duration_ms);
        area.draw(&Circle::new(
            (x, TIMELINE_Y),
            6,
            team_colour(m.team).filled(),
        ))
        .map_err(draw_err)?;
    }
    let lines = marks.len().min(TIMELINE_LINES);
    let shown = &marks[marks.len() - lines..];
    let name_style = anchored(
        text(size::SMALL, true, theme::TEXT),
        HPos::Left,
        VPos::Center,
    );
    for (i, m) in shown.iter().enumerate() {
        let y = 856 + i as i32 * 28;
        put(area, &fmt_duration_ms(m.time_ms), &small, (LEFT, y))?;
        area.draw(&Circle::new(
            (LEFT + 66, y),
            5,
            team_colour(m.team).filled(),
        ))
        .map_err(draw_err)?;
        let name = fit(area, &display_name(&m.name), &name_style, 200);
        put(area, &name, &name_style, (LEFT + 80, y))?;
        let x = LEFT + 80 + text_width(area, &name, &name_style) as i32 + 8;
        let phrase = fit(area, &m.phrase(), &small, (RIGHT - x).max(40) as u32);
        put(area, &phrase, &small, (x, y))?;
    }
    Ok(())
}

/// Four tiles: players, engagements, crossfires (highlighted) and escapes.
fn tiles(area: &Area<'_>, input: &RoundCardInput) -> Result<(), RenderError> {
    let tiles = [
        ("players", input.players, theme::TEXT),
        ("engagements", input.engagements, theme::TEXT),
        ("crossfires", input.crossfires, theme::YELLOW),
        ("escapes", input.escapes, theme::TEXT),
    ];
    let gap = 8;
    let w = (RIGHT - LEFT - 3 * gap) / 4;
    for (i, (label, n, colour)) in tiles.into_iter().enumerate() {
        let x = LEFT + i as i32 * (w + gap);
        area.draw(&Rectangle::new(
            [(x, 92), (x + w, 174)],
            theme::PANEL.filled(),
        ))
        .map_err(draw_err)?;
        let number = anchored(text(size::TITLE, true, colour), HPos::Center, VPos::Center);
        let n = fit(area, &fmt_int(n), &number, (w - 12) as u32);
        put(area, &n, &number, (x + w / 2, 120))?;
        let label_style = anchored(
            text(size::SMALL, false, theme::MUTED),
            HPos::Center,
            VPos::Center,
        );
        put(area, label, &label_style, (x + w / 2, 154))?;
    }
    Ok(())
}

fn best_duo(area: &Area<'_>, duo: Option<&RoundDuo>) -> Result<(), RenderError> {
    put(
        area,
        "BEST DUO",
        &anchored(
            text(size::SMALL, true, theme::MUTED),
            HPos::Left,
            VPos::Center,
        ),
        (LEFT, 200),
    )?;
    let Some(d) = duo else {
        return put(
            area,
            "no crossfire pair this round",
            &anchored(
                text(size::BODY, false, theme::MUTED),
                HPos::Left,
                VPos::Center,
            ),
            (LEFT, 230),
        );
    };
    let names_style = anchored(
        text(size::BODY, true, theme::YELLOW),
        HPos::Left,
        VPos::Center,
    );
    let names = super::duos::pair_names(
        area,
        &display_name(&d.name_a),
        &display_name(&d.name_b),
        &names_style,
        (RIGHT - LEFT) as u32,
    );
    put(area, &names, &names_style, (LEFT, 230))?;
    put(
        area,
        &format!(
            "{} crossfires · {} crossfire kills",
            fmt_int(d.crossfires),
            fmt_int(d.crossfire_kills)
        ),
        &anchored(
            text(size::SMALL, false, theme::MUTED),
            HPos::Left,
            VPos::Center,
        ),
        (LEFT, 258),
    )
}

/// A titled list of up to five (name, value) lines in the left column, its title at `y`.
fn top_list(
    area: &Area<'_>,
    y: i32,
    title: &str,
    rows: &[(String, String)],
) -> Result<(), RenderError> {
    put(
        area,
        title,
        &anchored(
            text(size::SMALL, true, theme::MUTED),
            HPos::Left,
            VPos::Center,
        ),
        (LIST_X, y),
    )?;
    if rows.is_empty() {
        return put(
            area,
            "—",
            &anchored(
                text(size::BODY, false, theme::MUTED),
                HPos::Left,
                VPos::Center,
            ),
            (LIST_X, y + 30),
        );
    }
    let name_style = anchored(
        text(size::SMALL, false, theme::TEXT),
        HPos::Left,
        VPos::Center,
    );
    let value_style = anchored(
        text(size::SMALL, true, theme::TEXT),
        HPos::Right,
        VPos::Center,
    );
    for (i, (name, value)) in rows.iter().enumerate() {
        let ly = y + 30 + i as i32 * 29;
        let rank_colour = super::leaderboard::bar_colour(i + 1);
        area.draw(&Rectangle::new(
            [(LIST_X, ly - 10), (LIST_X + 3, ly + 10)],
            rank_colour.filled(),
        ))
        .map_err(draw_err)?;
        let value = fit(area, value, &value_style, 90);
        let value_w = text_width(area, &value, &value_style) as i32;
        let name = fit(
            area,
            name,
            &name_style,
            (LIST_W - 12 - value_w - 12).max(40) as u32,
        );
        put(area, &name, &name_style, (LIST_X + 12, ly))?;
        put(area, &value, &value_style, (LIST_X + LIST_W, ly))?;
    }
    Ok(())
}

/// Under the kill map: what a spot is and what its colour is, with the team swatches.
fn mini_legend(area: &Area<'_>, by_team: bool) -> Result<(), RenderError> {
    let x = MINI_REGION.0 as i32;
    let width = MINI_REGION.2 as u32;
    let style = anchored(
        text(size::SMALL, false, theme::TEXT),
        HPos::Left,
        VPos::Center,
    );
    let spot = fit(area, legend::spot_meaning(HeatKind::Kills), &style, width);
    put(area, &spot, &style, (x, MINI_LEGEND_Y[0]))?;
    let colour = legend::colour_meaning(HeatKind::Kills, by_team);
    let colour = fit(area, colour, &style, width);
    put(area, &colour, &style, (x, MINI_LEGEND_Y[1]))?;
    if by_team {
        legend::team_swatches(area, (x, MINI_LEGEND_Y[2]), ["Axis", "Allies", "both"])?;
        Ok(())
    } else {
        legend::density_swatch(area, (x, MINI_LEGEND_Y[2]), 160, HeatKind::Kills)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Team;
    use crate::render::testutil::{Image, save};

    pub(crate) fn round_input(points: Vec<HeatPoint>) -> RoundCardInput {
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
            top_medic: Some((b"^2Doc".to_vec(), 4)),
            most_accurate: Some((b"^1Heavy^7Hitter".to_vec(), 41.3, 160)),
            kill_points: points,
            winner: Some(Winner::Team(Team::Allies)),
            objectives: Some(vec![
                mark(
                    120_000,
                    Team::Axis,
                    b"^1Axel",
                    ObjectiveAction::DynamitePlant,
                    b"the Gate",
                ),
                mark(
                    150_000,
                    Team::Allies,
                    b"^4Lia",
                    ObjectiveAction::DynamiteDefuse,
                    b"the Gate",
                ),
                mark(
                    600_000,
                    Team::Allies,
                    b"^4Lia",
                    ObjectiveAction::ObjectiveSecured,
                    b"the Gold",
                ),
            ]),
        }
    }

    fn mark(
        t: i64,
        team: Team,
        name: &[u8],
        action: ObjectiveAction,
        what: &[u8],
    ) -> ObjectiveMark {
        ObjectiveMark {
            time_ms: t,
            team,
            name: name.to_vec(),
            action,
            objective: what.to_vec(),
        }
    }

    #[test]
    fn the_timeline_puts_each_objective_action_at_its_time_in_its_teams_colour() {
        let input = round_input(vec![]);
        let r = round_card(&input).unwrap();
        save("round_card_timeline.png", &r.png);
        let img = Image::decode(&r.png);
        for (t, colour) in [
            (120_000, theme::AXIS),
            (150_000, theme::ALLIES),
            (600_000, theme::ALLIES),
        ] {
            let x = timeline_x(t, input.duration_ms);
            let p = img.pixel(x as u32, TIMELINE_Y as u32);
            assert_eq!(p[..3], [colour.0, colour.1, colour.2], "mark at {t} ms");
        }
        // Between the marks: the bare axis.
        let p = img.pixel(
            timeline_x(400_000, input.duration_ms) as u32,
            TIMELINE_Y as u32,
        );
        assert_eq!(p[..3], [theme::LINE.0, theme::LINE.1, theme::LINE.2]);
        let texts: Vec<&str> = r.texts.iter().map(|t| t.text.as_str()).collect();
        for line in [
            "ALLIES WON",
            "Lia",
            "defused the Gate",
            "secured the Gold",
            "HOW THE ROUND WENT · LAST 2 OF 3",
            "10:00",
        ] {
            assert!(texts.contains(&line), "{line:?} in {texts:?}");
        }
        assert!(
            !texts.contains(&"planted the Gate"),
            "only the last two are written out"
        );

        let mut unrecorded = round_input(vec![]);
        (unrecorded.objectives, unrecorded.winner) = (None, None);
        let texts: Vec<String> = round_card(&unrecorded)
            .unwrap()
            .texts
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert!(
            texts.iter().any(|t| t == "objectives not recorded"),
            "{texts:?}"
        );
        assert!(!texts.iter().any(|t| t.ends_with("WON")), "{texts:?}");
        let mut none = round_input(vec![]);
        none.objectives = Some(Vec::new());
        none.winner = Some(Winner::Nobody);
        let texts: Vec<String> = round_card(&none)
            .unwrap()
            .texts
            .into_iter()
            .map(|t| t.text)
            .collect();
        for line in ["no objective played", "NO WINNER", "HOW THE ROUND WENT"] {
            assert!(texts.iter().any(|t| t == line), "{line}: {texts:?}");
        }
    }

    #[test]
    fn mini_heatmap_marks_the_kills_and_says_what_they_are() {
        let spot = (-2000.0, -1500.0);
        let pts: Vec<HeatPoint> = (0..30)
            .map(|i| HeatPoint {
                x: spot.0 + (i % 3) as f64 * 10.0,
                y: spot.1,
                weight: 1.0,
                team: Some(Team::Axis),
            })
            .collect();
        let r = round_card(&round_input(pts)).unwrap();
        save("round_card.png", &r.png);
        let img = Image::decode(&r.png);
        assert_eq!(
            (img.width, img.height),
            (ROUND_CARD_WIDTH, ROUND_CARD_HEIGHT)
        );
        let view = View::fit(Frame::from_map(map_info("supply").unwrap()), MINI_REGION);
        let (x, y) = view.project(spot.0 + 10.0, spot.1);
        let p = img.pixel(x as u32, y as u32);
        assert!(p[0] as i32 > p[2] as i32 + 60, "axis kills are red: {p:?}");
        let texts: Vec<&str> = r.texts.iter().map(|t| t.text.as_str()).collect();
        for line in [
            "KILL MAP · 30 KILLS",
            "Each spot: where a victim fell",
            "Colour: the killer's team",
            "Axis",
            "Allies",
            "both",
        ] {
            assert!(texts.contains(&line), "{line:?} in {texts:?}");
        }
    }

    #[test]
    fn without_data() {
        let mut input = round_input(vec![]);
        input.map = String::new();
        input.best_duo = None;
        input.top_damage.clear();
        input.top_escapes.clear();
        let r = round_card(&input).unwrap();
        save("round_card_empty.png", &r.png);
        let img = Image::decode(&r.png);
        assert_eq!(
            (img.width, img.height),
            (ROUND_CARD_WIDTH, ROUND_CARD_HEIGHT)
        );
        let texts: Vec<&str> = r.texts.iter().map(|t| t.text.as_str()).collect();
        assert!(texts.contains(&"no kill positions"), "{texts:?}");
        assert!(texts.contains(&"no crossfire pair this round"), "{texts:?}");
    }

    #[test]
    fn the_top_medic_and_the_most_accurate_player_are_named() {
        let texts = |input: &RoundCardInput| -> Vec<String> {
            round_card(input)
                .unwrap()
                .texts
                .into_iter()
                .map(|t| t.text)
                .collect()
        };
        let full = texts(&round_input(vec![]));
        for expected in [
            "TOP MEDIC",
            "Doc",
            "4 revives",
            "MOST ACCURATE",
            "HeavyHitter",
            "41.3% of 160 shots",
        ] {
            assert!(full.iter().any(|t| t == expected), "{expected}: {full:?}");
        }
        let mut none = round_input(vec![]);
        none.top_medic = None;
        none.most_accurate = None;
        let none = texts(&none);
        for expected in ["no revives recorded", "no accuracy recorded"] {
            assert!(none.iter().any(|t| t == expected), "{expected}");
        }
    }
}
