//! `/link player`

use poise::CreateReply;

use super::autocomplete::autocomplete_player;
use super::resolve;
use crate::bot::{Context, Error};
use crate::present::discord_name;
use crate::store::queries;

/// Link your Discord account to your player, so that commands default to you
#[poise::command(slash_command)]
pub async fn link(
    ctx: Context<'_>,
    #[description = "Your in-game name or GUID"]
    #[autocomplete = "autocomplete_player"]
    player: String,
) -> Result<(), Error> {
    let pool = &ctx.data().pool;
    let who = resolve::find_player(pool, &player).await?;
    queries::link_player(pool, ctx.author().id.get(), &who.guid).await?;
    ctx.send(
        CreateReply::default()
            .content(format!(
                "Linked your account to {} ({}). Commands without a name now show this player.",
                discord_name(&who.name),
                who.guid
            ))
            .ephemeral(true),
    )
    .await?;
    Ok(())
}
