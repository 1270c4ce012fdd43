//! `/link player`: claim a player as yours; an admin confirms the claim with `/link_confirm`
//! (an admin's own claim needs no one else).

use super::autocomplete::autocomplete_player;
use super::resolve;
use crate::bot::{Context, Error, acknowledge};
use crate::present::{discord_name, escape_markdown};
use crate::store::queries;

/// Claim your player, so that commands default to you once an admin confirms
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn link(
    ctx: Context<'_>,
    #[description = "Your in-game name or GUID"]
    #[autocomplete = "autocomplete_player"]
    player: String,
) -> Result<(), Error> {
    acknowledge(ctx).await?;
    let pool = &ctx.data().pool;
    let who = resolve::resolve_player(ctx, Some(&player)).await?;
    let user = ctx.author().id.get();
    let shown = format!(
        "{} ({})",
        discord_name(&who.name),
        escape_markdown(&who.guid)
    );
    let text = if queries::linked_guid(pool, user).await?.as_deref() == Some(&who.guid) {
        format!("Your account is already linked to {shown}.")
    } else if resolve::is_admin(ctx).await {
        queries::request_link(pool, user, &ctx.author().name, &who.guid).await?;
        queries::confirm_link(pool, user, &who.guid, user).await?;
        format!("Linked your account to {shown}. Commands without a name now show this player.")
    } else {
        queries::request_link(pool, user, &ctx.author().name, &who.guid).await?;
        format!(
            "Asked the server's admins to confirm that you are {shown}. Once an admin confirms \
             with /link_confirm, commands without a name show this player. /unlink withdraws \
             the claim."
        )
    };
    super::reply::say_private(ctx, &text).await
}
