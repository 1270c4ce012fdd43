//! Autocomplete of maps and players: at most [`MAX_CHOICES`] choices, each name and value
//! within Discord's 100 characters (one over and Discord rejects the whole list). A value cut
//! to 100 characters is a prefix the resolvers take back when only one map or player has it.

use poise::serenity_prelude as serenity;

use super::resolve::ME;
use crate::bot::Context;
use crate::bot::limits;
use crate::names::clean_name;
use crate::store::queries::{self, PlayerRow};

/// Discord accepts at most 25 autocomplete choices (poise does not cap them).
pub const MAX_CHOICES: usize = limits::CHOICES;
/// Discord's limit on a choice's name and value.
const CHOICE_NAME_MAX: usize = limits::CHOICE;

/// Maps with rounds whose name contains what was typed (case-insensitive), prefix matches
/// first, then most rounds.
pub async fn autocomplete_map(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let maps = queries::maps(&ctx.data().pool).await.unwrap_or_default();
    let key = partial.trim().to_lowercase();
    let mut hits: Vec<(bool, usize, &str)> = maps
        .iter()
        .enumerate()
        .filter(|(_, (m, _))| m.to_lowercase().contains(&key))
        .map(|(i, (m, _))| (!m.to_lowercase().starts_with(&key), i, m.as_str()))
        .collect();
    hits.sort();
    let choices = hits
        .into_iter()
        .take(MAX_CHOICES)
        .map(|(_, _, m)| serenity::AutocompleteChoice::new(limits::choice_name(m), choice_value(m)))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Server labels that contain what was typed (case-insensitive), configured ones first.
pub async fn autocomplete_server(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let labels = super::resolve::server_labels(ctx.data())
        .await
        .unwrap_or_default();
    let key = partial.trim().to_lowercase();
    let choices = labels
        .into_iter()
        .filter(|l| l.contains(&key))
        .take(MAX_CHOICES)
        .map(|l| serenity::AutocompleteChoice::new(limits::choice_name(&l), l))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Players whose cleaned name contains what was typed (case-insensitive, colour codes
/// ignored) or whose GUID starts with it. The choice shows the cleaned name and the GUID's end;
/// its value is the GUID, which [`resolve_player`] takes as is.
pub async fn autocomplete_player(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let pool = &ctx.data().pool;
    let found = queries::find_players(pool, partial, MAX_CHOICES as i64)
        .await
        .unwrap_or_default();
    // The caller's own linked player first, as "me", while what was typed could mean it.
    let typed = partial.trim().to_lowercase();
    let mut choices = Vec::new();
    if ME.starts_with(&typed)
        && let Ok(Some(guid)) = queries::linked_guid(pool, ctx.author().id.get()).await
        && let Ok(Some(me)) = queries::player(pool, &guid).await
    {
        let name = format!("me: {}", player_choice_name(&me));
        choices.push(serenity::AutocompleteChoice::new(
            limits::choice_name(&name),
            ME,
        ));
    }
    choices.extend(
        found.iter().take(MAX_CHOICES - choices.len()).map(|p| {
            serenity::AutocompleteChoice::new(player_choice_name(p), choice_value(&p.guid))
        }),
    );
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// "Lucky Strike (…F8E8D8D2)": plain text (choices are never rendered as markdown and never
/// ping), at most 100 characters.
pub fn player_choice_name(p: &PlayerRow) -> String {
    let name = clean_name(&p.name);
    let name = if name.is_empty() {
        "(unnamed)".to_string()
    } else {
        name
    };
    let tail: String = {
        let chars: Vec<char> = p.guid.chars().collect();
        chars[chars.len().saturating_sub(8)..].iter().collect()
    };
    let suffix = format!(" (…{tail})");
    let room = CHOICE_NAME_MAX - suffix.chars().count();
    format!("{}{suffix}", name.chars().take(room).collect::<String>())
}

/// A choice's value: the text itself, or its first 100 characters.
pub fn choice_value(s: &str) -> String {
    s.chars().take(CHOICE_NAME_MAX).collect()
}
