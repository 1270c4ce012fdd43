//! `/round [player] [date] [server]`: a round's card, as posted after it was played.

use chrono::NaiveDate;

use super::autocomplete::{autocomplete_player, autocomplete_server};
use super::reply::{self, Answer};
use super::resolve;
use crate::bot::round_posts::{CARD_FILE, round_embed};
use crate::bot::{Context, Error, acknowledge, user_error};
use crate::present::discord_name;
use crate::render;
use crate::store::queries;

/// A round's card: your (or a player's) latest round, or the round of a day
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn round(
    ctx: Context<'_>,
    #[description = "Name or GUID (default: your linked player, else anyone)"]
    #[autocomplete = "autocomplete_player"]
    player: Option<String>,
    #[description = "The day it was played, e.g. 2026-01-31 (UTC; default: the latest)"]
    date: Option<String>,
    #[description = "Only this game server (default: all servers)"]
    #[autocomplete = "autocomplete_server"]
    server: Option<String>,
) -> Result<(), Error> {
    acknowledge(ctx).await?;
    let data = ctx.data();
    let pool = &data.pool;
    let day = match date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            user_error(format!(
                "{} is not a date: write it as year-month-day, e.g. 2026-01-31.",
                resolve::quoted(d)
            ))
        })?),
        None => None,
    };
    let server = match server.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(resolve::resolve_server(data, s).await?),
        None => None,
    };
    let who = match player.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(resolve::resolve_player(ctx, Some(p)).await?),
        None => match queries::linked_guid(pool, ctx.author().id.get()).await? {
            Some(guid) => queries::player(pool, &guid).await?,
            None => None,
        },
    };
    let guid = who.as_ref().map(|p| p.guid.as_str());
    let Some(id) = queries::latest_round(pool, guid, day, server.as_deref()).await? else {
        let whose = who
            .as_ref()
            .map(|p| format!(" of {}", discord_name(&p.name)))
            .unwrap_or_default();
        let when = day.map(|d| format!(" on {d}")).unwrap_or_default();
        return reply::send_answer(ctx, Answer::NoData(format!("No round{whose}{when}."))).await;
    };
    let key = format!("round {id} {}", data.config.include_bots);
    let bots = data.config.include_bots;
    let public_url = data.config.web_public_url.clone();
    let answer = reply::cached(ctx, key, async move {
        let Some(post) = queries::round_post(pool, id, bots).await? else {
            return Ok(Answer::NoData("That round was just deleted.".to_string()));
        };
        let card = crate::present::round_card(&post);
        let png = reply::render_png(move || render::render_round_card(&card)).await?;
        Ok(Answer::image(
            round_embed(&post, public_url.as_deref()),
            png,
            CARD_FILE,
        ))
    })
    .await?;
    reply::send_answer(ctx, answer).await
}
