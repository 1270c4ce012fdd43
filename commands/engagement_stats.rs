//! `/engagement_stats [name]`

use sqlx::PgPool;

use super::autocomplete::{autocomplete_map, autocomplete_player, autocomplete_server};
use super::reply::{self, Answer, CardTexts};
use super::resolve;
use crate::bot::{Context, Error};
use crate::metrics::Card;
use crate::store::queries::{PlayerRow, Scope};

/// A player's fights: kills, damage, escapes, reactions, next to the server's median
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn engagement_stats(
    ctx: Context<'_>,
    #[description = "Name or GUID (default: your linked player)"]
    #[autocomplete = "autocomplete_player"]
    name: Option<String>,
    #[description = "Only this map (default: all maps)"]
    #[autocomplete = "autocomplete_map"]
    map: Option<String>,
    #[description = "Only the last N days (default: all time)"]
    #[min = 1]
    #[max = 3650]
    days: Option<i64>,
    #[description = "Only this game server (default: all servers)"]
    #[autocomplete = "autocomplete_server"]
    server: Option<String>,
) -> Result<(), Error> {
    let (who, scope, shown) = resolve::player_request(
        ctx,
        name.as_deref(),
        map.as_deref(),
        days,
        server.as_deref(),
    )
    .await?;
    let key = format!("engagement_stats {} {scope:?}", who.guid);
    let answer = reply::cached(ctx, key, answer(&ctx.data().pool, &who, &scope, &shown)).await?;
    reply::send_answer(ctx, answer).await
}

async fn answer(
    pool: &PgPool,
    who: &PlayerRow,
    scope: &Scope,
    shown: &str,
) -> Result<Answer, Error> {
    let texts = CardTexts {
        nothing: "has no fights yet",
        title: format!("Engagements of {shown}"),
        totals: |t| {
            format!(
                "{} rounds · {} kills ({} in crossfire), {} deaths · targeted {} times, {} escapes",
                t.tp_rounds, t.kills, t.crossfire_kills, t.deaths, t.times_targeted, t.escapes
            )
        },
        file: "engagement_stats.png",
        note: None,
    };
    reply::card_answer(pool, Card::Engagements, who, scope, shown, texts).await
}
