//! Registering the slash commands with Discord, retried until Discord accepts them.

use std::sync::Arc;

use chrono::Utc;
use poise::serenity_prelude as serenity;
use tracing::{error, info};

use super::Timing;
use super::discord_state::{Backoff, DiscordState, Registration, explain, status_of};

/// Registers `commands` in `guild` (or globally), retrying with backoff until Discord accepts
/// them; every refusal is logged with what to fix and shown by `/proximity_status`.
pub async fn register_until_done(
    http: Arc<serenity::Http>,
    commands: Vec<serenity::CreateCommand>,
    guild: Option<serenity::GuildId>,
    state: Arc<DiscordState>,
    timing: Timing,
) {
    let mut backoff = Backoff::new(timing.retry_min, timing.retry_max);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let result = match guild {
            Some(g) => g.set_commands(&http, commands.clone()).await,
            None => serenity::Command::set_global_commands(&http, commands.clone()).await,
        };
        match result {
            Ok(registered) => {
                info!(
                    "{} commands registered {}",
                    registered.len(),
                    match guild {
                        Some(g) => format!("in guild {g}"),
                        None => "globally (Discord may take up to an hour to show them)".into(),
                    }
                );
                state.set_registration(Registration::Registered {
                    commands: registered.len(),
                    at: Utc::now(),
                });
                return;
            }
            Err(e) => {
                let wait = backoff.fail();
                let text = what_to_fix(&e, guild);
                error!(
                    "{text}. Imports and summaries go on; retrying in {} s",
                    wait.as_secs()
                );
                state.record_error(text.clone());
                state.set_registration(Registration::Failed {
                    attempts,
                    error: text,
                    retry_at: Utc::now()
                        + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX),
                });
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// A refused registration, with the fix for the usual causes.
pub fn what_to_fix(e: &serenity::Error, guild: Option<serenity::GuildId>) -> String {
    let what = "registering the slash commands";
    let base = explain(e, what);
    match (status_of(e), guild) {
        (Some(403), Some(g)) => format!(
            "{base}. Check that GUILD_ID ({g}) is the id of a server the bot is in, and that \
             the bot was invited with the applications.commands scope"
        ),
        (Some(403), None) => {
            format!("{base}. Check that the bot was invited with the applications.commands scope")
        }
        (Some(404), Some(g)) => format!("{base}. Check GUILD_ID ({g})"),
        _ => base,
    }
}
