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

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{derive, pairs};
    use super::*;
    use crate::format::Vec3;

    fn kill_at(id: i64, x: f64, y: f64, killer_team: Option<Team>) -> crate::format::Engagement {
        let victim_team = killer_team.map_or(Team::Axis, opponent);
        let mut e = engagement(id, "v", victim_team, 0, 100, Outcome::Killed);
        if let Some(team) = killer_team {
            e = with_attackers(e, vec![attacker("k", team, 100, 0, 100, true)]);
        }
        e.end = Vec3::new(x, y, 0.0);
        e
    }

    #[test]
    fn kill_heatmap_uses_floor_cells_and_the_killer_team() {
        let mut r = round();
        r.engagements = vec![
            kill_at(1, 100.0, 100.0, Some(Team::Axis)),
            kill_at(2, 511.9, 0.0, Some(Team::Axis)),
            kill_at(3, 512.0, 0.0, Some(Team::Allies)),
            kill_at(4, -1.0, -0.5, None), // target AXIS, no killer: counted for ALLIES
        ];
        r.engagements
            .push(engagement(5, "v", Team::Axis, 0, 100, Outcome::Escaped));
        let cells = kill_heatmap(&r, &MetricParams::default());
        let rows: Vec<(i64, i64, i64, i64)> = cells
            .iter()
            .map(|c| (c.grid_x, c.grid_y, c.axis_kills, c.allies_kills))
            .collect();
        assert_eq!(rows, [(-1, -1, 0, 1), (0, 0, 2, 0), (1, 0, 0, 1)]);
        let s = summary(&r, &MetricParams::default(), &[], &[], &cells, None);
        assert_eq!(
            s.deadliest_cell,
            Some(CellKills {
                grid_x: 0,
                grid_y: 0,
                kills: 2
            })
        );
    }

    #[test]
    fn the_deadliest_cell_tie_goes_to_the_smallest_cell_and_none_without_kills() {
        let mut r = round();
        r.engagements = vec![
            kill_at(1, 600.0, 0.0, Some(Team::Axis)),
            kill_at(2, 0.0, 600.0, Some(Team::Axis)),
        ];
        let cells = kill_heatmap(&r, &MetricParams::default());
        let s = summary(&r, &MetricParams::default(), &[], &[], &cells, None);
        assert_eq!(
            s.deadliest_cell,
            Some(CellKills {
                grid_x: 0,
                grid_y: 1,
                kills: 1
            })
        );
        let s = summary(&round(), &MetricParams::default(), &[], &[], &[], None);
        assert_eq!(s.deadliest_cell, None);
    }

    fn pair(a: &str, b: &str, crossfires: i64, kills: i64) -> PairStats {
        let mut r = round();
        r.tracks.push(track(a, Team::Axis, 0, None, &[]));
        r.tracks.push(track(b, Team::Axis, 0, None, &[]));
        let mut p = pairs(&r).remove(0);
        p.crossfires = crossfires;
        p.crossfire_kills = kills;
        p
    }

    #[test]
    fn best_duo_ranks_kills_then_crossfires_among_pairs_with_enough_crossfires() {
        let params = MetricParams::default();
        let best = |ps: &[PairStats]| {
            summary(&round(), &params, ps, &[], &[], None)
                .best_duo
                .map(|d| (d.guid_a, d.guid_b, d.crossfire_kills, d.crossfires))
        };
        let ps = [
            pair("a", "b", 5, 2),
            pair("c", "d", 6, 2),
            pair("a", "c", 6, 2),
            pair("b", "c", 4, 4), // too few crossfires
        ];
        assert_eq!(best(&ps), Some(("a".into(), "c".into(), 2, 6)));
        assert_eq!(
            best(&[pair("a", "b", 5, 0), pair("a", "c", 5, 1)]),
            Some(("a".into(), "c".into(), 1, 5))
        );
        assert_eq!(best(&[pair("a", "b", 4, 4)]), None);
    }

    #[test]
    fn derive_fills_the_summary() {
        let mut r = round();
        r.header.round_start_unix = 1_768_070_000;
        r.header.round_end_unix = 1_768_070_720;
        // a deals 100 and kills t; b and c deal 50 each; t escapes twice; d escapes once.
        r.engagements.push(crossfire(
            with_attackers(
                engagement(1, "t", Team::Allies, 0, 1000, Outcome::Killed),
                vec![
                    attacker("a", Team::Axis, 100, 0, 1000, true),
                    attacker("b", Team::Axis, 50, 200, 300, false),
                ],
            ),
            &["a", "b"],
            200,
        ));
        r.engagements.push(with_attackers(
            engagement(2, "t", Team::Allies, 2000, 8000, Outcome::Escaped),
            vec![attacker("c", Team::Axis, 50, 2000, 2000, false)],
        ));
        r.engagements.push(engagement(
            3,
            "t",
            Team::Allies,
            9000,
            15_000,
            Outcome::Escaped,
        ));
        r.engagements.push(engagement(
            4,
            "d",
            Team::Allies,
            9000,
            15_000,
            Outcome::Escaped,
        ));
        r.engagements.push(engagement(
            5,
            "d",
            Team::Allies,
            16_000,
            17_000,
            Outcome::RoundEnd,
        ));
        let params = MetricParams {
            top_n: 2,
            ..MetricParams::default()
        };
        let m = derive(&r, &params);
        let s = &m.summary;
        assert_eq!(
            (s.engagements, s.crossfires, s.escapes, s.kills, s.players),
            (5, 1, 3, 1, 5)
        );
        assert_eq!(s.duration_ms, 720_000);
        let top: Vec<(&str, i64)> = s
            .top_damage
            .iter()
            .map(|p| (p.guid.as_str(), p.amount))
            .collect();
        assert_eq!(top, [("a", 100), ("b", 50)]); // b before c on the tie, then cut at 2
        let esc: Vec<(&str, i64)> = s
            .top_escapers
            .iter()
            .map(|p| (p.guid.as_str(), p.amount))
            .collect();
        assert_eq!(esc, [("t", 2), ("d", 1)]);
        assert_eq!(
            s.most_damage.as_ref().map(|p| (p.guid.as_str(), p.amount)),
            Some(("a", 100))
        );
        assert_eq!(
            s.most_damage_taken
                .as_ref()
                .map(|p| (p.guid.as_str(), p.amount)),
            Some(("t", 200))
        );
        assert_eq!(s.best_duo, None); // one crossfire < 5
        assert_eq!(
            s.deadliest_cell,
            Some(CellKills {
                grid_x: 0,
                grid_y: 0,
                kills: 1
            })
        );
        assert_eq!(s.support_mean_pct, None);
        assert_eq!(m.params, params);
        assert_eq!(m.trades.events.len(), 1);

        // Without the header times the round clock decides.
        r.header.round_end_unix = 0;
        assert_eq!(derive(&r, &params).summary.duration_ms, 17_000);
    }
}
