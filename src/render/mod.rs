//! Pure drawing: plain data in, PNG bytes out.
//!
//! Every public render function takes a plain input struct (no database or Discord types),
//! draws into an in-memory RGB buffer with plotters' bitmap backend and returns the encoded PNG.
//! Images have fixed, documented sizes (see the `*_WIDTH` / `*_HEIGHT` constants and the
//! `*_height` functions) and use a dark theme that sits well in Discord's dark mode.
//!
//! Every image is 640 px wide and designed for the about 360 px Discord shows it at on a
//! phone: [`readability`] states the rule for text size and contrast, and a test checks it on
//! every text of every image kind. Colours have one meaning each: red and blue are the Axis
//! and Allies teams and nothing else; better and worse than the median are teal and orange,
//! always with a sign and the word ("+11% · better"); which way is better comes from the
//! figure ([`crate::metrics::Figure::better`]).
//!
//! Text uses DejaVu Sans embedded in the binary (no system fonts, no fontconfig); it is registered
//! with plotters under the family name `"sans-serif"` once per process, by every public render
//! function. The map facts come from [`crate::maps`].
//!
//! Empty inputs are not an error: they give an image of the usual size that says "No data",
//! so the bot can always post something.

mod backdrop;
mod canvas;
mod compare;
mod density;
mod duos;
mod heatmap;
mod leaderboard;
mod legend;
mod objectives;
mod player_card;
pub mod readability;
mod round_card;
mod weapons;

#[cfg(test)]
mod samples;
#[cfg(test)]
mod testutil;

pub use backdrop::COMMAND_MAP_DIM;
pub use duos::{
    DUOS_MAX_ROWS, DUOS_WIDTH, DuoRow, DuosInput, duo_kills, duo_stats, duos_height, ranked_duos,
    render_duos,
};
pub use heatmap::{
    HEATMAP_HEIGHT, HEATMAP_WIDTH, HeatPoint, HeatmapInput, render_heatmap, render_heatmap_on,
};
pub use leaderboard::{
    LEADERBOARD_MAX_ROWS, LEADERBOARD_WIDTH, LeaderEntry, LeaderRow, LeaderboardInput,
    leaderboard_entries, leaderboard_height, render_leaderboard,
};
pub use objectives::{
    OBJECTIVES_MAX_ROWS, OBJECTIVES_WIDTH, ObjectiveLine, ObjectivesInput, objective_ranks,
    objectives_height, render_objectives, tally_text, tally_value,
};
pub use player_card::{
    CardStat, PLAYER_CARD_MAX_ROWS, PLAYER_CARD_WIDTH, PlayerCardInput, player_card_height,
    render_player_card,
};
pub use round_card::{
    ObjectiveMark, ROUND_CARD_HEIGHT, ROUND_CARD_WIDTH, RoundCardInput, RoundDuo, render_round_card,
};
pub use weapons::{
    REGION_COLOURS, WEAPONS_MAX_ROWS, WEAPONS_WIDTH, WeaponLine, WeaponsInput, region_widths,
    render_weapons, weapons_height,
};

/// Why an image could not be produced. None of these is expected in practice: they mean the
/// embedded font is unusable or plotters / the PNG encoder failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The embedded font could not be registered with plotters.
    #[error("font registration failed: {0}")]
    Font(String),
    /// Plotters reported an error while drawing.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}
