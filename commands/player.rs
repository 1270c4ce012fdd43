//! `/player [name]`

use sqlx::PgPool;

use super::autocomplete::{autocomplete_map, autocomplete_player, autocomplete_server};
use super::reply::{self, Answer, CardTexts};
use super::resolve;
use crate::bot::{Context, Error};
use crate::metrics::Card;
use crate::store::queries::{self, PlayerRow, Scope};

/// A player's figures next to the server's median
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn player(
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
    let pool = &ctx.data().pool;
    let accounts = queries::linked_accounts(pool, &who.guid).await?;
    let key = format!("player {} {scope:?} {accounts:?}", who.guid);
    let answer = reply::cached(ctx, key, answer(pool, &who, &scope, &shown, &accounts)).await?;
    reply::send_answer(ctx, answer).await
}

async fn answer(
    pool: &PgPool,
    who: &PlayerRow,
    scope: &Scope,
    shown: &str,
    accounts: &[i64],
) -> Result<Answer, Error> {
    let note = (!accounts.is_empty()).then(|| {
        let mentions: Vec<String> = accounts.iter().map(|a| format!("<@{a}>")).collect();
        format!("Linked to {}", mentions.join(", "))
    });
    let texts = CardTexts {
        nothing: "has no rounds yet",
        title: shown.to_string(),
        totals: |t| {
            format!(
                "{} rounds, {} lives · {} kills, {} deaths",
                t.life_rounds, t.lives, t.kills, t.deaths
            )
        },
        file: "player.png",
        note,
    };
    reply::card_answer(pool, Card::Player, who, scope, shown, texts).await
}
