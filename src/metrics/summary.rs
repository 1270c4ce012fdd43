//! The round's headline figures and the kill heatmap (`metrics.md`, "Heatmaps", "Best duo").

use std::collections::BTreeMap;

use crate::format::{KillCell, Name, Outcome, Round, Team};

use super::{MetricParams, PairStats, PlayerTeamplay, death_position, killer_team, opponent};

/// The best duo of a round: see [`summary`].
#[derive(Debug, Clone, PartialEq)]
pub struct BestDuo {
    pub guid_a: String,
    pub guid_b: String,
    pub name_a: Name,
    pub name_b: Name,
    pub crossfire_kills: i64,
    pub crossfires: i64,
}

/// A player and one amount (damage, escapes, …).
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerAmount {
    pub guid: String,
    pub name: Name,
    pub amount: i64,
}

/// A heatmap cell and its kills (both teams).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellKills {
    pub grid_x: i64,
    pub grid_y: i64,
    pub kills: i64,
}

/// The round's headline figures.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundSummary {
    pub engagements: i64,
    /// Engagements flagged `is_crossfire`.
    pub crossfires: i64,
    /// Engagements with outcome `escaped`.
    pub escapes: i64,
    /// Engagements with outcome `killed`.
    pub kills: i64,
    /// Distinct players ([`super::players`]).
    pub players: i64,
    /// `(round_end_unix − round_start_unix) × 1000` when the header has both (end after start),
    /// else [`Round::end_time`].
    pub duration_ms: i64,
    /// The pair with the most crossfire kills, then crossfires, then the smallest GUIDs, among
    /// pairs with at least `best_duo_min_crossfires` crossfires in this round.
    pub best_duo: Option<BestDuo>,
    /// The `top_n` players by damage dealt (descending, ties by GUID), damage > 0 only.
    pub top_damage: Vec<PlayerAmount>,
    /// The `top_n` players by escapes (descending, ties by GUID), escapes > 0 only.
    pub top_escapers: Vec<PlayerAmount>,
    /// The player who dealt the most damage (the head of `top_damage`).
    pub most_damage: Option<PlayerAmount>,
    /// The player who took the most damage (same ranking rules).
    pub most_damage_taken: Option<PlayerAmount>,
    /// The kill heatmap cell with the most kills (ties: smallest `(grid_x, grid_y)`).
    pub deadliest_cell: Option<CellKills>,
    /// The round-level support uptime ([`super::Support::mean_pct`]).
    pub support_mean_pct: Option<f64>,
}

/// The kill heatmap: every `killed` engagement counts at its victim's death position
/// ([`super::death_position`]) in the cell `(floor(x / cell), floor(y / cell))`, under the
/// killer's team (the target's opponent when the killer is unknown). Sorted by `(x, y)`.
pub fn kill_heatmap(round: &Round, params: &MetricParams) -> Vec<KillCell> {
    let mut cells: BTreeMap<(i64, i64), KillCell> = BTreeMap::new();
    for e in round
        .engagements
        .iter()
        .filter(|e| e.outcome == Outcome::Killed)
    {
        let pos = death_position(e);
        let (gx, gy) = (
            (pos.x / params.heatmap_cell).floor() as i64,
            (pos.y / params.heatmap_cell).floor() as i64,
        );
        let cell = cells.entry((gx, gy)).or_insert(KillCell {
            grid_x: gx,
            grid_y: gy,
            axis_kills: 0,
            allies_kills: 0,
        });
        match killer_team(e).unwrap_or_else(|| opponent(e.target_team)) {
            Team::Axis => cell.axis_kills += 1,
            Team::Allies => cell.allies_kills += 1,
        }
    }
    cells.into_values().collect()
}

/// The round's headline figures from the already derived parts.
pub fn summary(
    round: &Round,
    params: &MetricParams,
    pairs: &[PairStats],
    teamplay: &[PlayerTeamplay],
    kill_cells: &[KillCell],
    support_mean_pct: Option<f64>,
) -> RoundSummary {
    let count = |f: &dyn Fn(&crate::format::Engagement) -> bool| {
        round.engagements.iter().filter(|e| f(e)).count() as i64
    };
    let h = &round.header;
    let duration_ms = if h.round_start_unix > 0 && h.round_end_unix > h.round_start_unix {
        (h.round_end_unix - h.round_start_unix) * 1000
    } else {
        round.end_time()
    };
    let best_duo = pairs
        .iter()
        .filter(|p| p.crossfires >= params.best_duo_min_crossfires)
        .min_by(|x, y| {
            (y.crossfire_kills, y.crossfires)
                .cmp(&(x.crossfire_kills, x.crossfires))
                .then_with(|| (&x.guid_a, &x.guid_b).cmp(&(&y.guid_a, &y.guid_b)))
        })
        .map(|p| BestDuo {
            guid_a: p.guid_a.clone(),
            guid_b: p.guid_b.clone(),
            name_a: p.name_a.clone(),
            name_b: p.name_b.clone(),
            crossfire_kills: p.crossfire_kills,
            crossfires: p.crossfires,
        });
    let top = |amount: fn(&PlayerTeamplay) -> i64, n: usize| {
        let mut v: Vec<PlayerAmount> = teamplay
            .iter()
            .filter(|p| amount(p) > 0)
            .map(|p| PlayerAmount {
                guid: p.guid.clone(),
                name: p.name.clone(),
                amount: amount(p),
            })
            .collect();
        v.sort_by(|x, y| y.amount.cmp(&x.amount).then_with(|| x.guid.cmp(&y.guid)));
        v.truncate(n);
        v
    };
    let top_damage = top(|p| p.damage_dealt, params.top_n);
    let deadliest_cell = kill_cells
        .iter()
        .map(|c| CellKills {
            grid_x: c.grid_x,
            grid_y: c.grid_y,
            kills: c.axis_kills + c.allies_kills,
        })
        .filter(|c| c.kills > 0)
        .min_by(|x, y| {
            y.kills
                .cmp(&x.kills)
                .then_with(|| (x.grid_x, x.grid_y).cmp(&(y.grid_x, y.grid_y)))
        });
    RoundSummary {
        engagements: round.engagements.len() as i64,
        crossfires: count(&|e| e.is_crossfire),
        escapes: count(&|e| e.outcome == Outcome::Escaped),
        kills: count(&|e| e.outcome == Outcome::Killed),
        players: teamplay.len() as i64,
        duration_ms,
        best_duo,
        most_damage: top(|p| p.damage_dealt, 1).pop(),
        top_damage,
        top_escapers: top(|p| p.escapes, params.top_n),
        most_damage_taken: top(|p| p.damage_taken, 1).pop(),
        deadliest_cell,
        support_mean_pct,
    }
}
