//! The per-player figures, each declared once.
//!
//! - [`PlayerSums`]: what one player did in one round, as sums. One row of
//!   `player_round_totals`; the monthly and yearly totals (`player_totals`) add these rows up
//!   column by column, and every period figure is read from those sums. The SQL functions read
//!   the columns from the catalogue, so they never list them.
//! - [`FIGURES`]: what players are shown, each a ratio of two sums over the rounds in scope,
//!   with its direction, unit and minimum samples. The leaderboard, its command choice and the
//!   cards ([`Card`]) are made from this list.
//!
//! The places a new figure touches are listed in the [`crate::metrics`] module doc.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::RoundMetrics;
use crate::format::Round;

/// A sum as stored: each sum has its column's exact SQL type (`integer`, `bigint`,
/// `double precision`), which binary COPY needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SumValue {
    Int(i32),
    Long(i64),
    Real(f64),
}

impl From<i32> for SumValue {
    fn from(v: i32) -> Self {
        SumValue::Int(v)
    }
}

impl From<i64> for SumValue {
    fn from(v: i64) -> Self {
        SumValue::Long(v)
    }
}

impl From<f64> for SumValue {
    fn from(v: f64) -> Self {
        SumValue::Real(v)
    }
}

/// The type a sum has once summed over many rounds: integers widen to `i64`, as SQL's `sum` of
/// an `integer` gives a `bigint`.
pub trait Widened {
    type Total: Total;
}

impl Widened for i32 {
    type Total = i64;
}

impl Widened for i64 {
    type Total = i64;
}

impl Widened for f64 {
    type Total = f64;
}

/// A total, as a real number for ratios (counts stay far below 2^53, where `f64` is exact).
pub trait Total: Copy + Default {
    fn as_f64(self) -> f64;
}

impl Total for i64 {
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Total for f64 {
    fn as_f64(self) -> f64 {
        self
    }
}

/// Declares the sums: [`PlayerSums`] (one round, exact column types) and [`PlayerTotals`] (any
/// number of rounds), with the column list both share.
macro_rules! player_sums {
    ($($(#[doc = $doc:literal])* $field:ident: $ty:ident,)*) => {
        /// One player's sums in one round: a row of `player_round_totals`, its columns in this
        /// order after `round_id` and `guid`.
        #[derive(Debug, Clone, Copy, Default, PartialEq)]
        pub struct PlayerSums {
            $($(#[doc = $doc])* pub $field: $ty,)*
        }

        /// One player's sums over the rounds in a scope.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
        #[serde(default)]
        pub struct PlayerTotals {
            $($(#[doc = $doc])* pub $field: <$ty as Widened>::Total,)*
        }

        impl PlayerSums {
            /// The columns of the sums, in declaration order.
            pub const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The values, in the order of [`PlayerSums::COLUMNS`].
            pub fn values(&self) -> [SumValue; PlayerSums::COLUMNS.len()] {
                [$(SumValue::from(self.$field)),*]
            }
        }

        impl PlayerTotals {
            /// The total of `column` (one of [`PlayerSums::COLUMNS`]).
            pub fn get(&self, column: &str) -> Option<f64> {
                match column {
                    $(stringify!($field) => Some(self.$field.as_f64()),)*
                    _ => None,
                }
            }
        }
    };
}

player_sums! {
    /// 1 when the player had a life in the round.
    life_rounds: i32,
    lives: i32,
    /// Units travelled, over every life.
    distance: f64,
    alive_ms: i64,
    /// Each life's sprint share (0–100) times its path samples.
    sprint_weighted: f64,
    /// Path samples, over every life.
    samples: i64,
    first_move_sum_ms: i64,
    /// Lives with a first move.
    first_move_count: i32,
    /// 1 when the player was in an engagement (teamplay figures).
    tp_rounds: i32,
    kills: i32,
    deaths: i32,
    damage_dealt: i64,
    crossfire_participations: i32,
    crossfire_kills: i32,
    solo_kills: i32,
    times_targeted: i32,
    times_focused: i32,
    focus_escapes: i32,
    escapes: i32,
    damage_taken: i64,
    engagement_duration_sum_ms: i64,
    /// 1 when the player has trade figures in the round.
    tr_rounds: i32,
    trades_made: i32,
    deaths_traded: i32,
    isolation_deaths: i32,
    /// 1 when the player has support samples in the round.
    su_rounds: i32,
    su_samples: i64,
    su_supported: i64,
    return_fire_sum_ms: i64,
    return_fire_count: i32,
    dodge_sum_ms: i64,
    dodge_count: i32,
    /// 1 when the player had a life in a round that recorded WEAPON_ACCURACY.
    wa_rounds: i32,
    /// Shots, hits and headshots with bullet weapons (`format::is_bullet_weapon`).
    shots: i64,
    hits: i64,
    headshots: i64,
    /// 1 when the player had a life in a round that recorded REVIVES.
    rv_rounds: i32,
    revives_given: i32,
    revives_received: i32,
    /// Revives given to a teammate who had taken enemy damage in the 3 s before.
    revives_under_fire: i32,
    /// 1 when the player had a life in a round that recorded KILL_OUTCOME.
    ko_rounds: i32,
    /// Times downed by an enemy, and how those downs ended.
    enemy_downs: i32,
    times_revived: i32,
    times_gibbed: i32,
    times_tapped_out: i32,
    /// Downed enemies this player gibbed.
    gibs: i32,
    /// Σ effective_denied_ms of the player's kills.
    time_denied_ms: i64,
    /// Teammates (same round team) downed by enemies, and those of them this player revived.
    team_downs: i32,
    downs_revived: i32,
    /// 1 when the player had a life in a round that recorded SPAWN_TIMING.
    st_rounds: i32,
    /// Σ and count of the spawn_timing_score of the player's kills that have one.
    spawn_score_sum: f64,
    spawn_score_count: i32,
    /// 1 when the player had a life in a round that recorded OBJECTIVE_EVENTS.
    ob_rounds: i32,
    /// Every objective action of a known kind (the seven below).
    objective_actions: i32,
    plants: i32,
    defuses: i32,
    destructions: i32,
    constructions: i32,
    repairs: i32,
    captures: i32,
    secures: i32,
    /// Objective runs (plants, defuses, destructions, constructions and secures).
    runs: i32,
    /// Σ and count of the runs' approach times, over runs with an approach.
    run_approach_sum_ms: i64,
    run_approach_count: i32,
    /// Σ and count of the runs' efficiencies (beeline / path), over runs with movement.
    run_efficiency_sum: f64,
    run_efficiency_count: i32,
    /// Kills that cleared the way for the player's own runs: by the player, by teammates.
    cleared_self: i32,
    cleared_by_team: i32,
    /// The player's kills that cleared the way for a teammate's run ("escorts" in metrics.md).
    clears_for_others: i32,
    /// 1 when the player had a life in a round that recorded CARRIER_EVENTS.
    ca_rounds: i32,
    carries: i32,
    /// Σ (drop time − pickup time) of the player's carries.
    carry_time_ms: i64,
    carry_distance: f64,
    /// Dropped items the player returned (CARRIER_RETURNS).
    returns: i32,
    /// Kills of a player who was carrying at that moment.
    carrier_kills: i32,
    /// 1 when the player had a life in a round that recorded ESCORT_CREDIT.
    es_rounds: i32,
    /// Σ credit_distance of the player's escorts.
    escort_distance: f64,
}

/// Every player's sums in `round`, by GUID. Each figure is narrowed to its column's type before
/// it is added, and floating-point sums are added in the lives' order, so that the sums equal
/// what SQL's `sum` over the round's stored rows gives, to the bit.
pub fn player_sums<'a>(round: &'a Round, m: &'a RoundMetrics) -> BTreeMap<&'a str, PlayerSums> {
    let mut players: BTreeMap<&str, PlayerSums> = BTreeMap::new();
    for t in &round.tracks {
        players.entry(&t.guid).or_default().life_rounds = 1;
    }
    for l in &m.lives {
        let Some(t) = round.tracks.get(l.track_index) else {
            continue;
        };
        let p = players.entry(&t.guid).or_default();
        let samples = t.path.len() as i32;
        p.lives += 1;
        p.distance += l.distance;
        p.alive_ms += l.alive_ms;
        p.sprint_weighted += l.sprint_pct * f64::from(samples);
        p.samples += i64::from(samples);
        p.first_move_sum_ms += l.time_to_first_move_ms.unwrap_or(0);
        p.first_move_count += i32::from(l.time_to_first_move_ms.is_some());
    }
    for x in &m.teamplay {
        let p = players.entry(&x.guid).or_default();
        p.tp_rounds += 1;
        p.kills += x.kills as i32;
        p.deaths += x.deaths as i32;
        p.damage_dealt += i64::from(x.damage_dealt as i32);
        p.crossfire_participations += x.crossfire_participations as i32;
        p.crossfire_kills += x.crossfire_kills as i32;
        p.solo_kills += x.solo_kills as i32;
        p.times_targeted += x.times_targeted as i32;
        p.times_focused += x.times_focused as i32;
        p.focus_escapes += x.focus_escapes as i32;
        p.escapes += x.escapes as i32;
        p.damage_taken += i64::from(x.damage_taken as i32);
        p.engagement_duration_sum_ms += x.engagement_duration_sum_ms;
    }
    for x in &m.trades.players {
        let p = players.entry(&x.guid).or_default();
        p.tr_rounds += 1;
        p.trades_made += x.trades_made as i32;
        p.deaths_traded += x.deaths_traded as i32;
        p.isolation_deaths += x.isolation_deaths as i32;
    }
    for x in &m.support.players {
        let p = players.entry(&x.guid).or_default();
        p.su_rounds += 1;
        p.su_samples += i64::from(x.samples as i32);
        p.su_supported += i64::from(x.supported_samples as i32);
    }
    super::game::add_game_sums(round, &mut players);
    super::objectives::add_objective_sums(round, &m.objective_runs, &mut players);
    for x in round.reactions.iter().flatten() {
        let p = players.entry(&x.target_guid).or_default();
        if let Some(ms) = x.return_fire_ms {
            p.return_fire_sum_ms += i64::from(ms as i32);
            p.return_fire_count += 1;
        }
        if let Some(ms) = x.dodge_reaction_ms {
            p.dodge_sum_ms += i64::from(ms as i32);
            p.dodge_count += 1;
        }
    }
    players
}

/// Which way a figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// A figure shown to players: `scale × Σ numerator / Σ denominator` over the rounds in scope,
/// ranked among players with at least `min_samples` of `samples`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    /// The name of the leaderboard's choice, and the figure's key.
    pub key: &'static str,
    /// The leaderboard's title.
    pub title: &'static str,
    /// The player card's label.
    pub label: &'static str,
    pub unit: &'static str,
    pub better: Better,
    /// Columns of [`PlayerSums`].
    pub numerator: &'static str,
    pub denominator: &'static str,
    pub scale: f64,
    /// The column counting what a player needs `min_samples` of to be ranked.
    pub samples: &'static str,
    pub min_samples: i64,
    pub sample_label: &'static str,
    /// One sentence for `/help`, from the definitions in `metrics.md`.
    pub meaning: &'static str,
    /// The column counting the rounds that recorded what the figure is made of, for figures of
    /// sections a tracker may not write: 0 of them is "not recorded", not "none".
    pub recorded_by: Option<&'static str>,
}

impl Figure {
    /// The figure of `t`, `None` when its denominator is 0.
    pub fn value_of(&self, t: &PlayerTotals) -> Option<f64> {
        let num = t.get(self.numerator)?;
        let den = t.get(self.denominator)?;
        (den != 0.0).then(|| self.scale * num / den)
    }

    /// The figure by its key, ranked or card-only.
    pub fn by_key(key: &str) -> Option<&'static Figure> {
        FIGURES
            .iter()
            .chain(CARD_ONLY_FIGURES)
            .find(|f| f.key == key)
    }

    /// Whether `t` comes from rounds none of which recorded this figure's section.
    pub fn unrecorded_in(&self, t: &PlayerTotals) -> bool {
        self.recorded_by
            .and_then(|c| t.get(c))
            .is_some_and(|rounds| rounds == 0.0)
    }
}

/// Every figure players are shown, in the order the leaderboard offers them: a figure's place
/// is its choice's value in Discord, so new figures go at the end.
pub const FIGURES: &[Figure] = &[
    Figure {
        key: "distance",
        title: "Distance travelled per life",
        label: "Distance per life",
        unit: "u",
        better: Better::Higher,
        numerator: "distance",
        denominator: "lives",
        scale: 1.0,
        samples: "lives",
        min_samples: 10,
        meaning: "How far a player moves in one life: the summed 3D distance between consecutive path samples, averaged over lives.",
        sample_label: "lives",
        recorded_by: None,
    },
    Figure {
        key: "sprint",
        title: "Time sprinting",
        label: "Sprint",
        unit: "%",
        better: Better::Higher,
        numerator: "sprint_weighted",
        denominator: "samples",
        scale: 1.0,
        samples: "lives",
        min_samples: 10,
        meaning: "The share of a player's path samples taken while sprinting.",
        sample_label: "lives",
        recorded_by: None,
    },
    Figure {
        key: "spawn reaction",
        title: "Spawn reaction (time to first move)",
        label: "Spawn reaction",
        unit: "ms",
        better: Better::Lower,
        numerator: "first_move_sum_ms",
        denominator: "first_move_count",
        scale: 1.0,
        samples: "first_move_count",
        min_samples: 10,
        meaning: "How long after spawning a player first moves (time_to_first_move_ms), averaged over the lives that moved.",
        sample_label: "spawns",
        recorded_by: None,
    },
    Figure {
        key: "survival",
        title: "Survival time per life",
        label: "Survival per life",
        unit: "s",
        better: Better::Higher,
        numerator: "alive_ms",
        denominator: "lives",
        scale: 0.001,
        samples: "lives",
        min_samples: 10,
        meaning: "How long a life lasts: from spawn to death, or to the round's end when alive, averaged over lives.",
        sample_label: "lives",
        recorded_by: None,
    },
    Figure {
        key: "crossfire kills",
        title: "Crossfire kills per round",
        label: "Crossfire kills / round",
        unit: "",
        better: Better::Higher,
        numerator: "crossfire_kills",
        denominator: "tp_rounds",
        scale: 1.0,
        samples: "tp_rounds",
        min_samples: 3,
        meaning: "Kills in crossfire (two or more attackers whose first hits on the target fall within 1 s), per round played.",
        sample_label: "rounds",
        recorded_by: None,
    },
    Figure {
        key: "trades",
        title: "Trade kills per round",
        label: "Trades / round",
        unit: "",
        better: Better::Higher,
        numerator: "trades_made",
        denominator: "tr_rounds",
        scale: 1.0,
        samples: "tr_rounds",
        min_samples: 3,
        meaning: "Trades made per round: killing a teammate's killer within 3 s of the teammate's death.",
        sample_label: "rounds",
        recorded_by: None,
    },
    Figure {
        key: "support uptime",
        title: "Support uptime",
        label: "Support uptime",
        unit: "%",
        better: Better::Higher,
        numerator: "su_supported",
        denominator: "su_samples",
        scale: 100.0,
        samples: "su_rounds",
        min_samples: 3,
        meaning: "The share of a player's path samples with a living teammate within 600 units: high plays with the team, low is a lone wolf.",
        sample_label: "rounds",
        recorded_by: None,
    },
    Figure {
        key: "escape rate",
        title: "Escape rate",
        label: "Escape rate",
        unit: "%",
        better: Better::Higher,
        numerator: "escapes",
        denominator: "times_targeted",
        scale: 100.0,
        samples: "times_targeted",
        min_samples: 20,
        meaning: "Fights a player was the target of and got away from (5 s without damage and 300 units from the last hit), per fight.",
        sample_label: "fights",
        recorded_by: None,
    },
    Figure {
        key: "damage taken",
        title: "Damage taken per round",
        label: "Damage taken / round",
        unit: "hp",
        better: Better::Lower,
        numerator: "damage_taken",
        denominator: "tp_rounds",
        scale: 1.0,
        samples: "tp_rounds",
        min_samples: 3,
        meaning: "Damage a player takes in fights, per round played.",
        sample_label: "rounds",
        recorded_by: None,
    },
    Figure {
        key: "kills per round",
        title: "Kills per round",
        label: "Kills / round",
        unit: "",
        better: Better::Higher,
        numerator: "kills",
        denominator: "tp_rounds",
        scale: 1.0,
        samples: "tp_rounds",
        min_samples: 3,
        meaning: "Kills per round played.",
        sample_label: "rounds",
        recorded_by: None,
    },
    Figure {
        key: "damage dealt",
        title: "Damage dealt per round",
        label: "Damage dealt / round",
        unit: "hp",
        better: Better::Higher,
        numerator: "damage_dealt",
        denominator: "tp_rounds",
        scale: 1.0,
        samples: "tp_rounds",
        min_samples: 3,
        meaning: "Damage a player deals in fights, per round played.",
        sample_label: "rounds",
        recorded_by: None,
    },
    Figure {
        key: "crossfire share",
        title: "Crossfire share of kills",
        label: "Crossfire share of kills",
        unit: "%",
        better: Better::Higher,
        numerator: "crossfire_kills",
        denominator: "kills",
        scale: 100.0,
        samples: "kills",
        min_samples: 10,
        meaning: "The share of a player's kills made in crossfire.",
        sample_label: "kills",
        recorded_by: None,
    },
    Figure {
        key: "fight length",
        title: "Fight length when targeted",
        label: "Fight length",
        unit: "s",
        better: Better::Higher,
        numerator: "engagement_duration_sum_ms",
        denominator: "times_targeted",
        scale: 0.001,
        samples: "times_targeted",
        min_samples: 20,
        meaning: "How long the fights a player is the target of last, from first hit to their end.",
        sample_label: "fights",
        recorded_by: None,
    },
    Figure {
        key: "return fire",
        title: "Return fire (time to shoot back)",
        label: "Return fire",
        unit: "ms",
        better: Better::Lower,
        numerator: "return_fire_sum_ms",
        denominator: "return_fire_count",
        scale: 1.0,
        samples: "return_fire_count",
        min_samples: 10,
        meaning: "How long a targeted player takes to hit back after the first hit on them (the tracker's return_fire_ms), over the fights where they did within 5 s.",
        sample_label: "reactions",
        recorded_by: None,
    },
    Figure {
        key: "dodge reaction",
        title: "Dodge reaction (time to move when hit)",
        label: "Dodge reaction",
        unit: "ms",
        better: Better::Lower,
        numerator: "dodge_sum_ms",
        denominator: "dodge_count",
        scale: 1.0,
        samples: "dodge_count",
        min_samples: 10,
        meaning: "How long a targeted player takes to react by moving after the first hit on them (the tracker's dodge_reaction_ms), over the fights where they did within 5 s.",
        sample_label: "reactions",
        recorded_by: None,
    },
    Figure {
        key: "kills per life",
        title: "Kills per life",
        label: "Kills / life",
        unit: "",
        better: Better::Higher,
        numerator: "kills",
        denominator: "lives",
        scale: 1.0,
        samples: "lives",
        min_samples: 10,
        meaning: "Kills per life: the fights a player ended as the killer, over their lives.",
        sample_label: "lives",
        recorded_by: None,
    },
    Figure {
        key: "accuracy",
        title: "Accuracy (bullet weapons)",
        label: "Accuracy",
        unit: "%",
        better: Better::Higher,
        numerator: "hits",
        denominator: "shots",
        scale: 100.0,
        samples: "shots",
        min_samples: 100,
        meaning: "Hits on living enemies per shot fired, over bullet weapons (pistols, SMGs, rifles, FG42, MG42/Browning, MP34); explosives and blades stay out.",
        sample_label: "shots",
        recorded_by: Some("wa_rounds"),
    },
    Figure {
        key: "headshots",
        title: "Headshot share of hits",
        label: "Headshot %",
        unit: "%",
        better: Better::Higher,
        numerator: "headshots",
        denominator: "hits",
        scale: 100.0,
        samples: "shots",
        min_samples: 100,
        meaning: "The share of a player's bullet hits that landed in the head.",
        sample_label: "shots",
        recorded_by: Some("wa_rounds"),
    },
    Figure {
        key: "revives",
        title: "Revives given per round",
        label: "Revives given / round",
        unit: "",
        better: Better::Higher,
        numerator: "revives_given",
        denominator: "rv_rounds",
        scale: 1.0,
        samples: "rv_rounds",
        min_samples: 3,
        meaning: "Teammates a player revived (the engine's record of the medic), per round played.",
        sample_label: "rounds",
        recorded_by: Some("rv_rounds"),
    },
    Figure {
        key: "gibs",
        title: "Gibs per round",
        label: "Gibs / round",
        unit: "",
        better: Better::Higher,
        numerator: "gibs",
        denominator: "ko_rounds",
        scale: 1.0,
        samples: "ko_rounds",
        min_samples: 3,
        meaning: "Downed enemies a player finished off by destroying the body (so no medic could revive them), per round played.",
        sample_label: "rounds",
        recorded_by: Some("ko_rounds"),
    },
    Figure {
        key: "time denied",
        title: "Time denied per round",
        label: "Time denied / round",
        unit: "s",
        better: Better::Higher,
        numerator: "time_denied_ms",
        denominator: "ko_rounds",
        scale: 0.001,
        samples: "ko_rounds",
        min_samples: 3,
        meaning: "How long a player's kills kept enemies out of the game: for each kill, the time to the victim's revive, or to their next spawn when gibbed or tapped out; per round played.",
        sample_label: "rounds",
        recorded_by: Some("ko_rounds"),
    },
    Figure {
        key: "spawn timing",
        title: "Spawn timing of kills",
        label: "Spawn timing",
        unit: "",
        better: Better::Higher,
        numerator: "spawn_score_sum",
        denominator: "spawn_score_count",
        scale: 1.0,
        samples: "spawn_score_count",
        min_samples: 20,
        meaning: "The mean of a player's kills' time to the victim team's next wave over its interval: 1.00 = every kill right after the enemy's wave (the longest wait), 0 = just before it.",
        sample_label: "kills",
        recorded_by: Some("st_rounds"),
    },
    Figure {
        key: "objectives",
        title: "Objective actions per round",
        label: "Objective actions / round",
        unit: "",
        better: Better::Higher,
        numerator: "objective_actions",
        denominator: "ob_rounds",
        scale: 1.0,
        samples: "ob_rounds",
        min_samples: 3,
        meaning: "Plants, defuses, objectives destroyed, constructions, repairs, flag captures and secures (documents or gold delivered), per round played.",
        sample_label: "rounds",
        recorded_by: Some("ob_rounds"),
    },
];

/// Figures shown on cards but not offered by the leaderboard (Discord allows 25 choices).
pub const CARD_ONLY_FIGURES: &[Figure] = &[
    Figure {
        key: "revives received",
        title: "Revives received per round",
        label: "Revives received / round",
        unit: "",
        better: Better::Higher,
        numerator: "revives_received",
        denominator: "rv_rounds",
        scale: 1.0,
        samples: "rv_rounds",
        min_samples: 3,
        meaning: "Times a player was revived by a teammate, per round played.",
        sample_label: "rounds",
        recorded_by: Some("rv_rounds"),
    },
    Figure {
        key: "revived share",
        title: "Downs revived",
        label: "Downs revived",
        unit: "%",
        better: Better::Higher,
        numerator: "times_revived",
        denominator: "enemy_downs",
        scale: 100.0,
        samples: "enemy_downs",
        min_samples: 10,
        meaning: "Of the times an enemy downed the player, the share a medic revived.",
        sample_label: "downs",
        recorded_by: Some("ko_rounds"),
    },
    Figure {
        key: "gibbed share",
        title: "Downs gibbed",
        label: "Downs gibbed",
        unit: "%",
        better: Better::Lower,
        numerator: "times_gibbed",
        denominator: "enemy_downs",
        scale: 100.0,
        samples: "enemy_downs",
        min_samples: 10,
        meaning: "Of the times an enemy downed the player, the share that ended gibbed.",
        sample_label: "downs",
        recorded_by: Some("ko_rounds"),
    },
    Figure {
        key: "tapped out share",
        title: "Downs tapped out",
        label: "Downs tapped out",
        unit: "%",
        better: Better::Lower,
        numerator: "times_tapped_out",
        denominator: "enemy_downs",
        scale: 100.0,
        samples: "enemy_downs",
        min_samples: 10,
        meaning: "Of the times an enemy downed the player, the share that went to limbo without being gibbed or revived (tap-out or the reinforcement wave).",
        sample_label: "downs",
        recorded_by: Some("ko_rounds"),
    },
    Figure {
        key: "revive share",
        title: "Revive share of the team's downs",
        label: "Revive share of team downs",
        unit: "%",
        better: Better::Higher,
        numerator: "downs_revived",
        denominator: "team_downs",
        scale: 100.0,
        samples: "rv_rounds",
        min_samples: 3,
        meaning: "Of the teammates downed by enemies in a player's rounds, the share this player revived.",
        sample_label: "rounds",
        recorded_by: Some("ko_rounds"),
    },
    Figure {
        key: "revives under fire",
        title: "Revives under fire per round",
        label: "Revives under fire / round",
        unit: "",
        better: Better::Higher,
        numerator: "revives_under_fire",
        denominator: "rv_rounds",
        scale: 1.0,
        samples: "rv_rounds",
        min_samples: 3,
        meaning: "Revives of a teammate who had been shot by an enemy in the 3 s before, per round played.",
        sample_label: "rounds",
        recorded_by: Some("rv_rounds"),
    },
];

/// A card of figures next to their medians.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Card {
    /// `/player`: how the player moves, supports and survives.
    Player,
    /// `/engagement_stats`: how the player fights.
    Engagements,
}

impl Card {
    /// The keys of the card's figures, in the card's order.
    const fn keys(self) -> &'static [&'static str] {
        match self {
            Card::Player => &[
                "distance",
                "sprint",
                "spawn reaction",
                "crossfire kills",
                "trades",
                "support uptime",
                "escape rate",
                "survival",
                "kills per life",
                "accuracy",
                "headshots",
                "revives",
                "revives received",
                "gibs",
                "revived share",
                "gibbed share",
                "tapped out share",
                "time denied",
                "spawn timing",
                "objectives",
            ],
            Card::Engagements => &[
                "kills per round",
                "damage dealt",
                "damage taken",
                "escape rate",
                "crossfire share",
                "fight length",
                "return fire",
                "dodge reaction",
            ],
        }
    }

    /// The card's figures, in the card's order.
    pub fn figures(self) -> Vec<&'static Figure> {
        self.keys()
            .iter()
            .filter_map(|k| Figure::by_key(k))
            .collect()
    }

    /// The sum that makes a player count on the card (and in its medians) when non-zero: a life
    /// for the player card, a fight for the engagements card.
    pub fn counts_players_with(self) -> &'static str {
        match self {
            Card::Player => "life_rounds",
            Card::Engagements => "tp_rounds",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_figure_is_made_of_declared_sums() {
        for f in FIGURES.iter().chain(CARD_ONLY_FIGURES) {
            for column in [f.numerator, f.denominator, f.samples]
                .into_iter()
                .chain(f.recorded_by)
            {
                assert!(
                    PlayerSums::COLUMNS.contains(&column),
                    "{}: {column} is not a sum",
                    f.key
                );
            }
            assert!(
                f.key.len() <= 100 && !f.key.is_empty(),
                "a Discord choice name"
            );
        }
        let mut keys: Vec<&str> = FIGURES
            .iter()
            .chain(CARD_ONLY_FIGURES)
            .map(|f| f.key)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(
            keys.len(),
            FIGURES.len() + CARD_ONLY_FIGURES.len(),
            "keys are unique"
        );
        assert!(FIGURES.len() <= 25, "Discord shows at most 25 choices");
        for t in crate::metrics::OBJECTIVE_TALLIES {
            for column in [t.column, t.recorded_by] {
                assert!(PlayerSums::COLUMNS.contains(&column), "{}: {column}", t.key);
            }
        }
        for card in [Card::Player, Card::Engagements] {
            assert_eq!(
                card.figures().len(),
                card.keys().len(),
                "{card:?} names figures"
            );
            assert!(PlayerSums::COLUMNS.contains(&card.counts_players_with()));
        }
    }

    #[test]
    fn a_figure_is_its_scaled_ratio_of_totals() {
        let t = PlayerTotals {
            alive_ms: 90_000,
            lives: 3,
            escapes: 1,
            times_targeted: 4,
            ..PlayerTotals::default()
        };
        let survival = Figure::by_key("survival").unwrap();
        assert_eq!(survival.value_of(&t), Some(30.0));
        assert_eq!(
            Figure::by_key("escape rate").unwrap().value_of(&t),
            Some(25.0)
        );
        assert_eq!(Figure::by_key("spawn reaction").unwrap().value_of(&t), None);
        let values = PlayerSums {
            lives: 2,
            distance: 1.5,
            alive_ms: 7,
            ..PlayerSums::default()
        }
        .values();
        assert_eq!(values[1], SumValue::Int(2));
        assert_eq!(values[2], SumValue::Real(1.5));
        assert_eq!(values[3], SumValue::Long(7));
    }
}
