//! The slash commands, one file each. A command is glue: arguments → query → render → reply;
//! what commands share is in `autocomplete`, `choices`, `resolve` and `reply`.

pub mod autocomplete;
pub mod best_duo;
pub mod choices;
pub mod compare;
pub mod crossfire_partners;
pub mod engagement_stats;
pub mod escape_artists;
pub mod heatmap;
pub mod help;
pub mod leaderboard;
pub mod link;
pub mod link_confirm;
pub mod medics;
pub mod objectives;
pub mod player;
pub mod proximity_import;
pub mod proximity_scan;
pub mod proximity_status;
pub mod reply;
pub mod resolve;
pub mod round;
pub mod unlink;
pub mod weapons;

use crate::bot::{Data, Error};

/// Every command the bot registers.
pub fn all() -> Vec<poise::Command<Data, Error>> {
    vec![
        proximity_status::proximity_status(),
        proximity_scan::proximity_scan(),
        proximity_import::proximity_import(),
        heatmap::heatmap(),
        best_duo::best_duo(),
        leaderboard::leaderboard(),
        player::player(),
        compare::compare(),
        round::round(),
        crossfire_partners::crossfire_partners(),
        escape_artists::escape_artists(),
        weapons::weapons(),
        medics::medics(),
        objectives::objectives(),
        engagement_stats::engagement_stats(),
        link::link(),
        help::help(),
        link_confirm::link_confirm(),
        unlink::unlink(),
    ]
}
