//! From query results to what people see: render inputs and short texts. Shared by the demo,
//! the post-round summary and the slash commands, so that each of them stays glue.

use crate::format::{ObjectiveAction, Team, Winner};
use crate::heat::HeatKind;
use crate::metrics::Figure;
use crate::names::clean_name;
use crate::render::{
    CardStat, DuoRow, DuosInput, HeatPoint, HeatmapInput, LeaderRow, LeaderboardInput,
    ObjectiveMark, PlayerCardInput, RoundCardInput, RoundDuo,
};
use crate::store::queries::{self, CardFigures, HeatPointRow, RoundPost, Scope};

/// "last 30 days", or "all time".
pub fn period_label(days: Option<i64>) -> String {
    match days {
        Some(1) => "last 24 hours".to_string(),
        Some(d) => format!("last {d} days"),
        None => "all time".to_string(),
    }
}

/// "supply, last 30 days" / "all maps, all time".
pub fn scope_label(scope: &Scope) -> String {
    let label = format!(
        "{}, {}",
        scope.map.as_deref().unwrap_or("all maps"),
        period_label(scope.days)
    );
    match &scope.server {
        Some(server) => format!("{label}, server {server}"),
        None => label,
    }
}

/// [`scope_label`] for Discord text: the map's markdown escaped.
pub fn scope_text(scope: &Scope) -> String {
    format!(
        "{}, {}",
        scope
            .map
            .as_deref()
            .map_or_else(|| "all maps".to_string(), escape_markdown),
        period_label(scope.days)
    ) + &scope
        .server
        .as_deref()
        .map_or_else(String::new, |s| format!(", server {}", escape_markdown(s)))
}

pub fn team_of(code: Option<i16>) -> Option<Team> {
    match code {
        Some(1) => Some(Team::Axis),
        Some(2) => Some(Team::Allies),
        _ => None,
    }
}

/// The winner of a stored round's `winner` code (1 Axis, 2 Allies, 0 nobody).
pub fn winner_of(code: i16) -> Option<Winner> {
    match code {
        0 => Some(Winner::Nobody),
        c => team_of(Some(c)).map(Winner::Team),
    }
}

/// `m:ss` of a duration.
pub fn duration_label(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

/// Text with Discord markdown characters escaped.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '*' | '_' | '`' | '~' | '|' | '>' | '#' | '[' | ']' | '(' | ')' | '\\' | ':'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A name for Discord text: colour codes stripped, markdown and mentions neutralised, length
/// capped. (Allowed mentions are off on every message as well; this keeps the layout intact.)
pub fn discord_name(raw: &[u8]) -> String {
    let clean = clean_name(raw);
    if clean.is_empty() {
        return "(unnamed)".to_string();
    }
    let clean: String = clean.chars().take(32).collect();
    // A zero-width space after @ breaks @everyone / @here / <@id> even if they were parsed.
    escape_markdown(&clean).replace('@', "@\u{200b}")
}

pub fn round_card(s: &RoundPost) -> RoundCardInput {
    RoundCardInput {
        map: s.round.map.clone(),
        round: i32::from(s.round.round_number),
        duration_ms: s.round.duration_ms,
        players: i64::from(s.round.player_count),
        engagements: i64::from(s.round.engagement_count),
        crossfires: i64::from(s.round.crossfire_count),
        escapes: i64::from(s.round.escape_count),
        best_duo: s.best_duo.as_ref().map(|d| RoundDuo {
            name_a: d.name_a.clone(),
            name_b: d.name_b.clone(),
            crossfires: d.crossfires,
            crossfire_kills: d.crossfire_kills,
        }),
        top_damage: s
            .top_damage
            .iter()
            .map(|p| (p.name.clone(), p.value as f64))
            .collect(),
        top_escapes: s
            .top_escapes
            .iter()
            .map(|p| (p.name.clone(), p.value))
            .collect(),
        top_medic: s.top_medic.as_ref().map(|p| (p.name.clone(), p.value)),
        most_accurate: s.most_accurate.as_ref().map(|(p, shots)| {
            (
                p.name.clone(),
                100.0 * p.value as f64 / *shots as f64,
                *shots,
            )
        }),
        winner: s.round.winner.and_then(winner_of),
        objectives: s.objectives.as_ref().map(|moments| {
            moments
                .iter()
                .filter_map(|m| {
                    Some(ObjectiveMark {
                        time_ms: i64::from(m.time_ms),
                        team: team_of(Some(m.team))?,
                        name: m.name.clone(),
                        action: ObjectiveAction::from_word(&m.action),
                        objective: m.track_name.clone(),
                    })
                })
                .collect()
        }),
        kill_points: s
            .kills
            .iter()
            .map(|(x, y, team)| HeatPoint {
                x: f64::from(*x),
                y: f64::from(*y),
                weight: 1.0,
                team: team_of(*team),
            })
            .collect(),
    }
}

pub fn heatmap_input(
    map: &str,
    kind: HeatKind,
    rows: &[HeatPointRow],
    rounds: i64,
    days: Option<i64>,
    player: Option<&[u8]>,
) -> HeatmapInput {
    HeatmapInput {
        map: map.to_string(),
        kind,
        points: rows
            .iter()
            .map(|r| HeatPoint {
                x: r.x,
                y: r.y,
                weight: r.weight as f64,
                team: team_of(r.team),
            })
            .collect(),
        rounds,
        period_label: period_label(days),
        player_label: player.map(<[u8]>::to_vec),
    }
}

pub fn leaderboard_input(
    spec: &Figure,
    rows: &[queries::RankedPlayer],
    scope: &Scope,
) -> LeaderboardInput {
    LeaderboardInput {
        title: spec.title.to_string(),
        subtitle: format!(
            "{} · at least {} {}",
            scope_label(scope),
            spec.min_samples,
            spec.sample_label
        ),
        unit: spec.unit.to_string(),
        samples_label: spec.sample_label.to_string(),
        rows: rows
            .iter()
            .map(|r| LeaderRow {
                name_raw: r.name.clone(),
                value: r.value,
                samples: r.samples,
            })
            .collect(),
        better: spec.better,
    }
}

pub fn kills_per_round(crossfire_kills: i64, rounds_together: i64) -> f64 {
    if rounds_together > 0 {
        crossfire_kills as f64 / rounds_together as f64
    } else {
        0.0
    }
}

pub fn duos_input(rows: &[queries::DuoFigures], scope: &Scope, min_crossfires: i64) -> DuosInput {
    DuosInput {
        title: "Best duos".to_string(),
        subtitle: format!(
            "{} · at least {min_crossfires} crossfires",
            scope_label(scope)
        ),
        rows: rows
            .iter()
            .map(|d| DuoRow {
                name_a: d.name_a.clone(),
                name_b: d.name_b.clone(),
                crossfires: d.crossfires,
                crossfire_kills: d.crossfire_kills,
                rounds_together: d.rounds_together,
                kills_per_round: kills_per_round(d.crossfire_kills, d.rounds_together),
            })
            .collect(),
    }
}

/// A card's rows: each figure against the median of the players in scope.
pub fn card_rows(card: &CardFigures) -> Vec<CardStat> {
    card.rows
        .iter()
        .map(|r| CardStat {
            label: r.figure.label.to_string(),
            value: r.value,
            median: r.median,
            unit: r.figure.unit.to_string(),
            better: r.figure.better,
            recorded: !r.figure.unrecorded_in(&card.totals),
        })
        .collect()
}

/// The player card of `/player`.
pub fn player_card(name: &[u8], card: &CardFigures, scope: &Scope) -> PlayerCardInput {
    PlayerCardInput {
        name: name.to_vec(),
        subtitle: format!(
            "{} · {} rounds, {} lives",
            scope_label(scope),
            card.totals.life_rounds,
            card.totals.lives
        ),
        rows: card_rows(card),
    }
}

/// The engagements card of `/engagement_stats`.
pub fn engagements_card(name: &[u8], card: &CardFigures, scope: &Scope) -> PlayerCardInput {
    PlayerCardInput {
        name: name.to_vec(),
        subtitle: format!("Engagements · {}", scope_label(scope)),
        rows: card_rows(card),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discord_names_never_ping_or_format() {
        assert_eq!(discord_name(b"^1@everyone"), "@\u{200b}everyone");
        assert_eq!(discord_name(b"**bold**_x_"), "\\*\\*bold\\*\\*\\_x\\_");
        assert_eq!(discord_name(b"^7"), "(unnamed)");
        assert_eq!(discord_name("a".repeat(50).as_bytes()).len(), 32);
    }

    #[test]
    fn every_card_shows_all_its_figures() {
        for card in [
            crate::metrics::Card::Player,
            crate::metrics::Card::Engagements,
        ] {
            assert!(
                card.figures().len() <= crate::render::PLAYER_CARD_MAX_ROWS,
                "{card:?} has more figures than a card has rows"
            );
        }
    }

    #[test]
    fn labels() {
        assert_eq!(period_label(None), "all time");
        assert_eq!(period_label(Some(7)), "last 7 days");
        assert_eq!(duration_label(754_999), "12:34");
        assert_eq!(kills_per_round(3, 2), 1.5);
        assert_eq!(kills_per_round(3, 0), 0.0);
    }
}
