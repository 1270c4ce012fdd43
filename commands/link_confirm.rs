//! `/link_confirm claim` (admins): confirm a player's `/link` claim.

use poise::serenity_prelude as serenity;

use crate::bot::{Context, Error, acknowledge, limits, user_error};
use crate::names::clean_name;
use crate::present::{discord_name, escape_markdown};
use crate::store::queries;

/// Confirm that a Discord account is the player it claimed with /link
#[poise::command(
    slash_command,
    guild_only,
    ephemeral,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
pub async fn link_confirm(
    ctx: Context<'_>,
    #[description = "A waiting claim"]
    #[autocomplete = "autocomplete_claim"]
    claim: String,
) -> Result<(), Error> {
    acknowledge(ctx).await?;
    let pool = &ctx.data().pool;
    // The choice names the account and the player claimed, so a claim changed after the
    // admin picked it is not confirmed in its place.
    let Some((user, guid)) = claim
        .trim()
        .split_once(':')
        .and_then(|(u, g)| Some((u.parse::<u64>().ok()?, g.to_string())))
    else {
        return Err(user_error("Pick a claim from the list."));
    };
    if !queries::confirm_link(pool, user, &guid, ctx.author().id.get()).await? {
        return Err(user_error(
            "That claim is no longer waiting (it was confirmed, changed or withdrawn).",
        ));
    }
    let name = queries::player(pool, &guid)
        .await?
        .map_or_else(|| "(unknown player)".to_string(), |p| discord_name(&p.name));
    let text = format!("Linked <@{user}> to {name} ({}).", escape_markdown(&guid));
    super::reply::say_private(ctx, &text).await
}

/// Waiting claims: "discord name → player (…GUID end)", the account id as value.
async fn autocomplete_claim(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let claims = queries::link_requests(&ctx.data().pool, partial.trim(), limits::CHOICES as i64)
        .await
        .unwrap_or_default();
    let choices = claims
        .iter()
        .map(|c| {
            let player = c.player_name.as_deref().map(clean_name).unwrap_or_default();
            let tail: String = {
                let chars: Vec<char> = c.guid.chars().collect();
                chars[chars.len().saturating_sub(8)..].iter().collect()
            };
            let name = format!("{} → {player} (…{tail})", c.discord_name);
            serenity::AutocompleteChoice::new(
                limits::choice_name(&name),
                format!("{}:{}", c.discord_user_id, c.guid),
            )
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}
