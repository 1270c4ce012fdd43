//! `/unlink [player]`: remove your link (or claim); admins can remove anyone's link to a player.

use super::autocomplete::autocomplete_player;
use super::resolve;
use crate::bot::{Context, Error, acknowledge, user_error};
use crate::present::discord_name;
use crate::store::queries;

/// Remove your link to a player (admins: every link to the player given)
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn unlink(
    ctx: Context<'_>,
    #[description = "Admins: the player whose links to remove (default: your own link)"]
    #[autocomplete = "autocomplete_player"]
    player: Option<String>,
) -> Result<(), Error> {
    acknowledge(ctx).await?;
    let pool = &ctx.data().pool;
    let text = match player.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => {
            if queries::unlink(pool, ctx.author().id.get()).await? {
                "Your account is no longer linked to a player.".to_string()
            } else {
                "Your account was not linked to a player.".to_string()
            }
        }
        Some(input) => {
            if !resolve::is_admin(ctx).await {
                return Err(user_error(
                    "Only admins (Manage Server) can remove other accounts' links. Use /unlink \
                     without a player to remove your own.",
                ));
            }
            let who = resolve::resolve_player(ctx, Some(input)).await?;
            let n = queries::unlink_player(pool, &who.guid).await?;
            format!(
                "Removed {n} link{} to {}.",
                if n == 1 { "" } else { "s" },
                discord_name(&who.name)
            )
        }
    };
    super::reply::say_private(ctx, &text).await
}
