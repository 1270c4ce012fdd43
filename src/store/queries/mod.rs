//! The reads behind every command, one module per concern. Figures over a period are sums of
//! per-round rows, read from the monthly and yearly totals where whole buckets lie in the period
//! ([`scope`]); averages are sums divided by sums, so they are exact across rounds.

mod dashboard;
mod duos;
mod gunfights;
mod heatmaps;
mod leaderboards;
mod links;
mod objectives;
mod players;
mod replays;
mod rounds;
mod scope;
mod status;
mod summaries;

pub use dashboard::{
    Bucket, Overview, TIMELINE_MAX, TimelinePoint, overview, played_span, player_count,
    recent_rounds, timeline,
};
pub use duos::{Together, best_duos, crossfire_partners, together};
pub use gunfights::{MedicRow, WeaponRow, medics, weapons};
pub use heatmaps::{HeatPointRow, heatmap};
pub use leaderboards::{EscapeRow, RankedPlayer, escape_artists, leaderboard};
pub use links::{
    LinkRequest, confirm_link, link_requests, linked_accounts, linked_guid, request_link, unlink,
    unlink_player,
};
pub use objectives::{ObjectiveRow, objective_board, objective_heat};
pub use players::{
    CardFigure, CardFigures, PlayerMatch, PlayerRow, all_player_names, find_players, match_player,
    player, player_card,
};
pub use replays::{ReplayEngagement, ReplayLife, ReplayObjective, ReplayRows, replay_rows};
pub use rounds::{
    ACCURATE_MIN_SHOTS, DuoFigures, PlayerFigure, RoundHeadline, RoundPost, StaleRound,
    delete_round, latest_round, maps, maps_on, round, round_post, rounds_per_server,
    stale_round_count, stale_rounds,
};
pub use scope::{Periods, Scope};
pub use status::{DbCounts, TrackerVersion, db_counts, tracker_versions};
pub use summaries::{mark_posted, unposted_count, unposted_rounds};

use crate::metrics::Figure;

/// `figure` over the summed player figures of a group: `scale × Σ numerator / Σ denominator`,
/// NULL when the denominator is 0.
fn figure_sql(figure: &Figure) -> String {
    let ratio = format!(
        "sum({})::float8 / nullif(sum({}), 0)",
        figure.numerator, figure.denominator
    );
    if figure.scale == 1.0 {
        format!("({ratio})")
    } else {
        format!("({:?} * {ratio})", figure.scale)
    }
}
